#pragma once
// Activation functions (PyTorch's definitions and defaults), differentiable.
#include <string_view>

#include "cajal/core/tensor.h"

namespace cajal {

Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
// weight: [1] (one slope) or [C] (one per channel, dim 1 of x).
Tensor prelu(const Tensor& x, const Tensor& weight);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor selu(const Tensor& x);
Tensor celu(const Tensor& x, double alpha = 1.0);
// approximate: "none" (exact, with erf) or "tanh".
Tensor gelu(const Tensor& x, std::string_view approximate = "none");
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor softsign(const Tensor& x);
Tensor silu(const Tensor& x);  // also called swish: x * sigmoid(x)
Tensor mish(const Tensor& x);  // x * tanh(softplus(x))
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
Tensor hard_sigmoid(const Tensor& x);  // relu6(x + 3) / 6, as torch.nn.Hardsigmoid
Tensor hard_swish(const Tensor& x);    // x * hard_sigmoid(x)
Tensor log_sigmoid(const Tensor& x);
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);  // numerically stable
Tensor softmin(const Tensor& x, int64_t dim);
// Maxout: splits dim `dim` of size C*pieces into C groups of `pieces` consecutive features and
// keeps each group's maximum. x: [..., C*pieces, ...] -> [..., C, ...].
Tensor maxout(const Tensor& x, int64_t pieces, int64_t dim = 1);

}  // namespace cajal
