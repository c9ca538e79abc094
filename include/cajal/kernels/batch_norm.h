#pragma once
// Fused batch-normalization kernels (no autograd; nn::functional::batch_norm records them).
// Every kernel views its input x: [N, C, *] as [N, C, S] (S = product of the dims after 1) and
// works per channel c over the N * S values x[:, c, ...], channels in parallel. Inputs may have
// any strides; outputs are contiguous and have x's dtype. float32 and float64 only; sums are
// accumulated in double.
#include <optional>

#include "cajal/core/tensor.h"

namespace cajal::kernels {

struct BatchNormForward {
  Tensor y;       // x's shape, contiguous
  Tensor mean;    // [C], per-channel mean
  Tensor var;     // [C], per-channel biased (population) variance, computed in two passes
  Tensor invstd;  // [C], 1 / sqrt(var + eps)
};

// Training forward: the batch statistics of each channel and
//   y = (x - mean) * invstd * weight + bias
// weight, bias: [C] of x's dtype, or undefined (1 and 0). Each channel's three passes (sum,
// squared deviations, output) run back to back while its values are in cache.
// Requires x.numel() > 0 and x.dim() >= 2.
BatchNormForward batch_norm_training(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                     double eps);

// Evaluation forward: y[n, c, s] = x[n, c, s] * scale[c] + shift[c]. scale, shift: [C] of x's
// dtype.
Tensor batch_norm_affine(const Tensor& x, const Tensor& scale, const Tensor& shift);

struct BatchNormGrads {
  Tensor x;       // [N, C, *]
  Tensor weight;  // [C]: sum over n, s of dy * (x - mean) * invstd
  Tensor bias;    // [C]: sum over n, s of dy
};

// The gradients of y = (x - mean) * invstd * weight + bias (weight undefined: 1).
// batch_statistics: mean and invstd = 1 / sqrt(var + eps) are the statistics of x itself
// (training), so dx includes their dependence on x:
//   dx = weight * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)),  xhat = (x - mean) * invstd
// with means per channel over n, s. Otherwise they are constants (evaluation): dx = dy * weight *
// invstd. dy: x's shape, any strides. mean, invstd, weight: [C] of x's dtype.
BatchNormGrads batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& mean,
                                   const Tensor& invstd, const Tensor& weight,
                                   bool batch_statistics);

}  // namespace cajal::kernels
