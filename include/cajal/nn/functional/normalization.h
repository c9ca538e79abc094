#pragma once
// Normalization as functions (torch.nn.functional.batch_norm / layer_norm). Both run fused
// kernels (kernels/batch_norm.h, kernels/layer_norm.h) forward and backward; under create_graph
// the backward is written with differentiable ops instead, so they have first- and second-order
// gradients in every argument.
//
//   Tensor y = nn::functional::layer_norm(x, {512}, gamma, beta);  // x: [N, T, 512]
#include <optional>

#include "cajal/core/tensor.h"

namespace cajal::nn::functional {

// Batch normalization (Ioffe & Szegedy, 2015), per channel of dim 1:
//   y = (x - mean) / sqrt(var + eps) * weight + bias
// x: [N, C, *] -> [N, C, *]. running_mean, running_var: [C], both or neither. weight, bias: [C]
// or undefined (no scale, no shift).
//
// training: mean and var are the statistics of this batch over every dim but 1 (var is the
// biased, population variance). When running statistics are given they are updated in place,
// outside the graph:
//   running_mean = (1 - f) * running_mean + f * mean
//   running_var  = (1 - f) * running_var  + f * var * n / (n - 1)     (the unbiased variance)
// with f = momentum, or, when momentum is nullopt, f = 1 / num_batches_tracked (the cumulative
// moving average; needs num_batches_tracked). num_batches_tracked (an int64 0-dim tensor), when
// given, is incremented first. Training needs more than one value per channel (n > 1,
// ValueError otherwise).
// Not training: mean and var are the running statistics (ValueError when absent); nothing
// changes.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                  bool training = false, std::optional<double> momentum = 0.1, double eps = 1e-5,
                  const Tensor& num_batches_tracked = Tensor());

// Layer normalization (Ba, Kiros & Hinton, 2016) over the trailing dims given by
// normalized_shape, each sample on its own:
//   y = (x - mean) / sqrt(var + eps) * weight + bias      (var biased)
// x: [*, normalized_shape...] -> same shape. weight, bias: normalized_shape or undefined.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

}  // namespace cajal::nn::functional
