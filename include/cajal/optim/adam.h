#pragma once
// Adam (Kingma & Ba, 2015): steps from bias-corrected running averages of the gradient and its
// square; optionally AMSGrad (Reddi, Kale & Kumar, 2018: divide by the running maximum of the
// second moment). weight_decay here is the coupled L2 penalty (added to the gradient); for
// decoupled decay use AdamW. PyTorch's torch.optim.Adam, update for update.
//
//   optim::Adam opt(net.parameters(), {.lr = 1e-3, .betas = {0.9, 0.999}});
//
// Per parameter, at step t (from 1), with g the gradient (negated when maximizing):
//   g <- g + weight_decay * p
//   m <- beta1 * m + (1 - beta1) * g                     (exp_avg)
//   v <- beta2 * v + (1 - beta2) * g^2                   (exp_avg_sq)
//   v_max <- max(v_max, v)                               (max_exp_avg_sq, AMSGrad only)
//   p <- p - lr / (1 - beta1^t) * m / (sqrt(v or v_max) / sqrt(1 - beta2^t) + eps)
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/optim/optimizer.h"

namespace cajal::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};  // each in [0, 1)
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  bool maximize = false;

  // ValueError naming the option and value: negative lr, eps or weight_decay, a beta outside
  // [0, 1) ("Adam: betas[0] must be in [0, 1), got 1.5").
  void validate(const std::string& optimizer) const;
  template <typename F>
  void visit(F&& f) {
    detail::visit_adam_like(f, lr, betas, eps, weight_decay);
    f("amsgrad", amsgrad);
    f("maximize", maximize);
  }
};

namespace detail {
// One Adam step of `param` from `grad` (the update in the comment above), with the weight decay
// coupled (added to the gradient, Adam) or decoupled (shrinking the parameter first, AdamW).
// Creates the state on the parameter's first update.
void adam_update(Tensor param, const Tensor& grad, OrderedDict<Tensor>& state,
                 const AdamOptions& options, bool decoupled_weight_decay);
// The same update as separate tensor ops: the path for layouts and dtypes the fused kernel
// (kernels::adam_step) does not take, and the reference it is tested against. `step` is the
// count after this update; max_exp_avg_sq is used only with amsgrad.
void adam_update_composite(Tensor param, const Tensor& grad, Tensor exp_avg, Tensor exp_avg_sq,
                           Tensor max_exp_avg_sq, double step, const AdamOptions& options,
                           bool decoupled_weight_decay);
std::vector<std::string> adam_state_keys(bool amsgrad);
}  // namespace detail

// Adam and AdamW: one update, with options of type `Options` (the fields of AdamOptions).
template <typename Options, bool decoupled_weight_decay>
class AdamBase : public BetasOptimizer<Options> {
 public:
  using BetasOptimizer<Options>::BetasOptimizer;

 protected:
  void update() override {
    this->for_each_parameter(
        [](const Options& options, Tensor& param, const Tensor& grad, OrderedDict<Tensor>& state) {
          const AdamOptions adam{options.lr,           options.betas,   options.eps,
                                 options.weight_decay, options.amsgrad, options.maximize};
          detail::adam_update(param, grad, state, adam, decoupled_weight_decay);
        });
  }
  std::vector<std::string> state_keys(const Options& options) const override {
    return detail::adam_state_keys(options.amsgrad);
  }
};

// State per parameter (created at its first update): "step" (int64 []), "exp_avg",
// "exp_avg_sq", and with AMSGrad "max_exp_avg_sq" (like the parameter).
class Adam : public AdamBase<AdamOptions, false> {
 public:
  using Options = AdamOptions;
  explicit Adam(std::vector<Tensor> params, Options options = {})
      : AdamBase("Adam", std::move(params), options) {}
  explicit Adam(std::vector<Group> groups) : AdamBase("Adam", std::move(groups)) {}
};

}  // namespace cajal::optim
