#include "cajal/optim/adam.h"

#include <cmath>

#include "cajal/ops/math.h"

namespace cajal::optim {

void AdamOptions::validate(const std::string& optimizer) const {
  detail::check_non_negative(optimizer, "lr", lr);
  detail::check_unit_interval(optimizer, "betas[0]", betas.first);
  detail::check_unit_interval(optimizer, "betas[1]", betas.second);
  detail::check_non_negative(optimizer, "eps", eps);
  detail::check_non_negative(optimizer, "weight_decay", weight_decay);
}

std::optional<double> Adam::momentum(size_t group) const {
  return param_groups().at(group).options.betas.first;
}

void Adam::set_momentum(size_t group, double momentum) {
  detail::check_unit_interval(name(), "betas[0]", momentum);
  param_groups().at(group).options.betas.first = momentum;
}

std::vector<std::string> Adam::state_keys(const Options& options) const {
  std::vector<std::string> keys{"step", "exp_avg", "exp_avg_sq"};
  if (options.amsgrad) keys.push_back("max_exp_avg_sq");
  return keys;
}

void Adam::update() {
  for (size_t g = 0; g < num_param_groups(); ++g) {
    const Options& options = param_groups()[g].options;
    const auto [beta1, beta2] = options.betas;
    const std::vector<Tensor>& group_params = params(g);
    for (size_t i = 0; i < group_params.size(); ++i) {
      Tensor param = group_params[i];
      const Tensor grad = param.grad();
      if (!grad.defined()) continue;
      OrderedDict<Tensor>& param_state = state(g, i);
      const double step = static_cast<double>(detail::increment_step(param_state));
      Tensor exp_avg = detail::state_or_zeros(param_state, "exp_avg", param);
      Tensor exp_avg_sq = detail::state_or_zeros(param_state, "exp_avg_sq", param);
      Tensor direction =
          detail::decayed_gradient(param, grad, options.weight_decay, options.maximize);

      exp_avg.mul_(beta1).add_(direction, 1 - beta1);
      exp_avg_sq.mul_(beta2).add_(direction * direction, 1 - beta2);
      const double step_size = options.lr / (1 - std::pow(beta1, step));
      const double bias_correction2_sqrt = std::sqrt(1 - std::pow(beta2, step));
      Tensor second_moment = exp_avg_sq;
      if (options.amsgrad) {
        Tensor max_exp_avg_sq = detail::state_or_zeros(param_state, "max_exp_avg_sq", param);
        max_exp_avg_sq.copy_(maximum(max_exp_avg_sq, exp_avg_sq));
        second_moment = max_exp_avg_sq;
      }
      Tensor denominator = sqrt(second_moment).div_(bias_correction2_sqrt);
      denominator.add_(scalar_tensor(options.eps, denominator.dtype()));
      param.add_(exp_avg / denominator, -step_size);
    }
  }
}

}  // namespace cajal::optim
