#pragma once
// Fused layer-normalization kernels (no autograd; nn::functional::layer_norm records them).
// Every kernel views x as [R, D]: D = the product of the normalized (trailing) dims, R = the rest,
// and normalizes each row on its own, rows in parallel. Inputs may have any strides; outputs are
// contiguous and have x's dtype. float32 and float64 only; sums are accumulated in double.
#include <cstdint>

#include "cajal/core/tensor.h"

namespace cajal::kernels {

struct LayerNormForward {
  Tensor y;       // x's shape
  Tensor mean;    // [R], per-row mean
  Tensor invstd;  // [R], 1 / sqrt(biased variance + eps), the variance computed in two passes
};

// y = (x - mean) * invstd * weight + bias per row. weight, bias: D elements of x's dtype (any
// shape), or undefined (1 and 0). Requires x.numel() > 0 and D > 0 dividing x.numel().
LayerNormForward layer_norm_forward(const Tensor& x, int64_t normalized_size, const Tensor& weight,
                                    const Tensor& bias, double eps);

struct LayerNormGrads {
  Tensor x;       // x's shape
  Tensor weight;  // [D]: sum over rows of dy * xhat
  Tensor bias;    // [D]: sum over rows of dy
};

// With g = dy * weight and xhat = (x - mean) * invstd, per row:
//   dx = invstd * (g - mean(g) - xhat * mean(g * xhat))
// dy: x's shape, any strides. mean, invstd: [R] from layer_norm_forward.
LayerNormGrads layer_norm_backward(const Tensor& dy, const Tensor& x, int64_t normalized_size,
                                   const Tensor& mean, const Tensor& invstd, const Tensor& weight);

}  // namespace cajal::kernels
