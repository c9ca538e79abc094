#include "cajal/optim/adamax.h"

#include <cmath>

#include "cajal/ops/math.h"

namespace cajal::optim {

void AdamaxOptions::validate(const std::string& optimizer) const {
  detail::validate_adam_like(optimizer, lr, betas, eps, weight_decay);
}

std::vector<std::string> Adamax::state_keys(const Options& /*options*/) const {
  return {"step", "exp_avg", "exp_inf"};
}

void Adamax::update() {
  for_each_parameter([](const Options& options, Tensor& param, const Tensor& grad,
                        OrderedDict<Tensor>& param_state) {
    const auto [beta1, beta2] = options.betas;
    const double step = static_cast<double>(detail::increment_step(param_state));
    Tensor exp_avg = detail::state_or_zeros(param_state, "exp_avg", param);
    Tensor exp_inf = detail::state_or_zeros(param_state, "exp_inf", param);
    Tensor direction =
        detail::decayed_gradient(param, grad, options.weight_decay, options.maximize);

    exp_avg.mul_(beta1).add_(direction, 1 - beta1);
    exp_inf.mul_(beta2);
    exp_inf.copy_(maximum(exp_inf, abs(direction) + options.eps));
    const double step_size = options.lr / (1 - std::pow(beta1, step));
    param.add_(exp_avg / exp_inf, -step_size);
  });
}

}  // namespace cajal::optim
