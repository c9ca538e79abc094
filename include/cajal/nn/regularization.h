#pragma once
// Weight regularization: L1/L2 penalties added to the loss, decoupled weight decay for plain SGD,
// and the max-norm constraint. (Dropout is a layer, nn::Dropout; gradient clipping is in
// clip_grad.h; gradient checkpointing in checkpoint.h. docs/regularization.md is the guide.)
//
//   // Penalize the weights of the whole network, but not biases or normalization parameters:
//   std::vector<Tensor> decayed = nn::regularized_parameters(net);
//   Tensor loss = criterion(net(x), y) + nn::l2_penalty(decayed, 5e-4);
//
//   // Different strengths per part of the network (or per optimizer group: opt.params(g)):
//   nn::Regularizer trunk_reg{.l2 = 1e-4}, head_reg{.l1 = 1e-5, .l2 = 1e-3};
//   loss = loss + trunk_reg.penalty(*net.trunk) + head_reg.penalty(*net.head);
//
// How the conventions of other libraries map onto these functions:
//   - PyTorch's optimizer option weight_decay = wd adds wd * w to the gradient, which is the
//     gradient of l2_penalty(params, wd / 2): lambda = wd / 2.
//   - Keras' kernel_regularizer=l2(x) adds x * sum(w^2) to the loss: lambda = x. Likewise l1(x).
// A penalty is coupled to the optimizer: adaptive methods (Adam, RMSprop) rescale its gradient
// with everything else. Decoupled weight decay (Loshchilov & Hutter, 2019) shrinks the weights
// directly instead; optim::AdamW has it built in, and apply_weight_decay_ gives it to any other
// optimizer.
#include <cstdint>
#include <vector>

#include "cajal/core/tensor.h"
#include "cajal/nn/module.h"

namespace cajal::nn {

// lambda * sum over params of sum(|w|). Differentiable (the gradient at w = 0 is 0, as PyTorch's
// abs). Requires lambda >= 0. Returns a scalar of the parameters' (promoted) dtype; a float32
// zero without graph when params is empty.
Tensor l1_penalty(const std::vector<Tensor>& params, double lambda);

// lambda * sum over params of sum(w^2). Differentiable. Requires lambda >= 0. Note that the sum
// of squares is not halved: the gradient is 2 * lambda * w.
Tensor l2_penalty(const std::vector<Tensor>& params, double lambda);

struct RegularizedParametersOptions {
  // Parameters whose own name is "bias" or starts with "bias_" (recurrent layers' bias_ih_l0).
  bool include_biases = false;
  // The parameters of normalization layers (BatchNorm*, LayerNorm, GroupNorm, InstanceNorm*):
  // they set a scale, and shrinking it toward 0 is not what a weight penalty is meant to do.
  bool include_normalization = false;
  // Parameters with requires_grad false (a frozen trunk): a penalty on them only adds a
  // constant to the loss.
  bool include_frozen = false;
};

// The parameters of `module` (each shared tensor once, in parameters() order) that a penalty, a
// decoupled decay or a max-norm constraint should cover. The owner of a parameter is found by
// its module's type_name().
std::vector<Tensor> regularized_parameters(const Module& module,
                                           RegularizedParametersOptions options = {});

// An L1 + L2 penalty with its strengths, to give each parameter group or submodule its own.
struct Regularizer {
  double l1 = 0;  // lambda of l1_penalty; >= 0
  double l2 = 0;  // lambda of l2_penalty; >= 0

  // l1 * sum(|w|) + l2 * sum(w^2) over params (a float32 zero when both strengths are 0).
  Tensor penalty(const std::vector<Tensor>& params) const;
  // The same over regularized_parameters(module): biases and normalization layers excluded.
  Tensor penalty(const Module& module) const;
};

// Decoupled weight decay for optimizers that lack it: w <- w - lr * weight_decay * w, in place and
// without recording a graph, for every tensor of params that has a gradient (as optimizers skip
// parameters without one). Call it after backward() and before optimizer.step(), which is the
// order optim::AdamW uses. For plain SGD without momentum it is the same as an L2 penalty; with
// momentum or adaptive methods it differs (the decay is not accumulated in the momentum or
// rescaled by the adaptive denominator). Requires lr >= 0 and weight_decay >= 0.
void apply_weight_decay_(const std::vector<Tensor>& params, double lr, double weight_decay);

// Max-norm constraint (Srivastava et al., 2014, "Dropout: a simple way to prevent neural networks
// from overfitting", section 5.1; Keras' MaxNorm): rescales, in place and without recording a
// graph, every slice weight.select(dim, i) whose L2 norm exceeds max_value to norm max_value.
// Slices within the bound are left untouched; an exceeding one is multiplied by
// max_value / (norm + eps), as torch.renorm(weight, 2, dim, max_value) does.
// With PyTorch's weight layout [out_features, in_features, ...kernel], dim = 0 constrains the
// incoming weights of each output unit (each filter of a convolution), which is what Keras'
// MaxNorm(axis=0) does for its [in, out] kernels: Keras' axis names the dims reduced over, while
// dim here names the dim that is kept. Apply it after optimizer.step().
// Requires max_value >= 0, eps >= 0, and weight of at least one dim. Returns weight.
Tensor max_norm_(const Tensor& weight, double max_value, int64_t dim = 0, double eps = 1e-7);

// max_norm_(w, max_value, dim, eps) for every weight matrix or kernel of `module`: the
// parameters of regularized_parameters(module) (so no biases, no normalization or frozen
// parameters) that have at least two dims (a PReLU slope or other per-channel vector is not a set
// of incoming weights).
void apply_max_norm_(Module& module, double max_value, int64_t dim = 0, double eps = 1e-7);

}  // namespace cajal::nn
