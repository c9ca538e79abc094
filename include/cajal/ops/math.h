#pragma once
// Elementwise unary math, differentiable. Integer inputs are promoted to float32 where the result
// is not an integer (exp, log, sqrt, trigonometry, ...).
#include "cajal/core/tensor.h"

namespace cajal {

Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor abs(const Tensor& x);   // gradient sign(x), 0 at 0
Tensor sign(const Tensor& x);  // gradient 0
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tan(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor floor(const Tensor& x);  // gradient 0
Tensor ceil(const Tensor& x);   // gradient 0
Tensor round(const Tensor& x);  // gradient 0; halves round to even

}  // namespace cajal
