#pragma once
// Matrix products (float32 on oneDNN's sgemm; float64 on cajal's row-parallel loops).
#include "cajal/core/tensor.h"

namespace cajal {

// NumPy matmul semantics: 1-D x 1-D is a dot product, 1-D operands gain and lose a dim,
// batch dims broadcast. [..., n, k] x [..., k, m] -> [..., n, m].
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);     // [n, k] x [k, m] -> [n, m]
Tensor bmm(const Tensor& a, const Tensor& b);    // [B, n, k] x [B, k, m] -> [B, n, m]
Tensor dot(const Tensor& a, const Tensor& b);    // [n] . [n] -> []
Tensor outer(const Tensor& a, const Tensor& b);  // [n] x [m] -> [n, m]
// x: [..., in], weight: [out, in], bias: [out] or undefined -> [..., out]
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace cajal
