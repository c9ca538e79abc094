#pragma once
// Softmax cross-entropy over class-index targets in one pass per row, forward and backward, for
// nn::functional::cross_entropy. With z = log_softmax(x[i]), t = target[i], w[c] the class
// weights (1 without), W = sum_c w[c], e the label smoothing and C the class count:
//   weight_i = w[t] (0 when t == ignore_index), valid_i = (t != ignore_index)
//   loss_i   = (1 - e) * (-z[t] * weight_i) + (e / C) * (-sum_c w[c] z[c] * valid_i)
// (without smoothing just the first term), reduced by none / sum / mean, where mean divides both
// sums by sum_i weight_i. The gradient of loss_i:
//   d loss_i / d x[c] = (1 - e) weight_i (p[c] - [c == t]) + (e / C) valid_i (W p[c] - w[c]).
// Sums accumulate in double.
#include <cstdint>

#include "cajal/core/tensor.h"

namespace cajal::kernels {

enum class CrossEntropyReduction { none, sum, mean };

struct CrossEntropyArgs {
  Tensor weight;  // [C] in the input's dtype, contiguous, or undefined
  int64_t ignore_index = -100;
  double label_smoothing = 0;
  CrossEntropyReduction reduction = CrossEntropyReduction::mean;
};

struct CrossEntropyForward {
  Tensor loss;         // [] (sum, mean) or [N] (none), the input's dtype
  Tensor log_sum_exp;  // [N] float64: what backward needs to recompute the softmax
  double weight_sum;   // sum_i weight_i (mean's divisor)
};

// Whether the kernels take these operands: input [N, C] float32/float64 contiguous with C >= 1,
// target [N] int64, weight undefined or [C] of the input's dtype. Targets are checked by the
// caller (in [0, C) or ignore_index).
bool cross_entropy_fusable(const Tensor& input, const Tensor& target, const Tensor& weight);

CrossEntropyForward cross_entropy_forward(const Tensor& input, const Tensor& target,
                                          const CrossEntropyArgs& args);

// grad: the loss's gradient, [] (sum, mean) or [N] (none), any float dtype. Returns [N, C].
Tensor cross_entropy_backward(const Tensor& grad, const Tensor& input, const Tensor& target,
                              const CrossEntropyForward& forward, const CrossEntropyArgs& args);

}  // namespace cajal::kernels
