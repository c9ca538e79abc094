#include "cajal/optim/adam.h"

#include <cmath>

#include "cajal/core/storage.h"

#include "cajal/kernels/optimizer_step.h"
#include "cajal/ops/math.h"

namespace cajal::optim {

void AdamOptions::validate(const std::string& optimizer) const {
  detail::validate_adam_like(optimizer, lr, betas, eps, weight_decay);
}

namespace detail {

std::vector<std::string> adam_state_keys(bool amsgrad) {
  std::vector<std::string> keys{"step", "exp_avg", "exp_avg_sq"};
  if (amsgrad) keys.push_back("max_exp_avg_sq");
  return keys;
}

namespace {

// increment_step without its fill_ (whose loop set-up allocates) for the usual int64 counter, so
// that a steady-state step allocates nothing.
int64_t next_step(OrderedDict<Tensor>& state) {
  Tensor* step = state.find("step");
  if (step == nullptr || step->dtype() != Dtype::int64 || step->numel() != 1) {
    return increment_step(state);
  }
  int64_t* count = step->data_ptr<int64_t>();
  *count += 1;
  step->storage()->bump_version();
  return *count;
}

}  // namespace

void adam_update(Tensor param, const Tensor& grad, OrderedDict<Tensor>& state,
                 const AdamOptions& options, bool decoupled_weight_decay) {
  const auto [beta1, beta2] = options.betas;
  const double step = static_cast<double>(next_step(state));
  Tensor exp_avg = state_or_zeros(state, "exp_avg", param);
  Tensor exp_avg_sq = state_or_zeros(state, "exp_avg_sq", param);
  Tensor max_exp_avg_sq;
  if (options.amsgrad) max_exp_avg_sq = state_or_zeros(state, "max_exp_avg_sq", param);
  const kernels::AdamStepOptions fused{.lr = options.lr,
                                       .beta1 = beta1,
                                       .beta2 = beta2,
                                       .eps = options.eps,
                                       .weight_decay = options.weight_decay,
                                       .amsgrad = options.amsgrad,
                                       .maximize = options.maximize,
                                       .decoupled_weight_decay = decoupled_weight_decay,
                                       .step = static_cast<int64_t>(step)};
  if (kernels::adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, fused)) return;
  adam_update_composite(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, options,
                        decoupled_weight_decay);
}

void adam_update_composite(Tensor param, const Tensor& grad, Tensor exp_avg, Tensor exp_avg_sq,
                           Tensor max_exp_avg_sq, double step, const AdamOptions& options,
                           bool decoupled_weight_decay) {
  const auto [beta1, beta2] = options.betas;
  Tensor direction;
  if (decoupled_weight_decay) {
    direction = options.maximize ? -grad : grad;
    // The decoupled decay acts on the parameter before the adaptive step (as PyTorch does).
    param.mul_(1 - options.lr * options.weight_decay);
  } else {
    direction = decayed_gradient(param, grad, options.weight_decay, options.maximize);
  }

  exp_avg.mul_(beta1).add_(direction, 1 - beta1);
  exp_avg_sq.mul_(beta2).add_(direction * direction, 1 - beta2);
  const double step_size = options.lr / (1 - std::pow(beta1, step));
  const double bias_correction2_sqrt = std::sqrt(1 - std::pow(beta2, step));
  Tensor second_moment = exp_avg_sq;
  if (options.amsgrad) {
    max_exp_avg_sq.copy_(maximum(max_exp_avg_sq, exp_avg_sq));
    second_moment = max_exp_avg_sq;
  }
  Tensor denominator = sqrt(second_moment).div_(bias_correction2_sqrt);
  denominator.add_(scalar_tensor(options.eps, denominator.dtype()));
  param.add_(exp_avg / denominator, -step_size);
}

}  // namespace detail
}  // namespace cajal::optim
