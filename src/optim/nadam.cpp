#include "cajal/optim/nadam.h"

#include <cmath>

#include "cajal/ops/math.h"

namespace cajal::optim {

void NAdamOptions::validate(const std::string& optimizer) const {
  detail::check_non_negative(optimizer, "lr", lr);
  detail::check_unit_interval(optimizer, "betas[0]", betas.first);
  detail::check_unit_interval(optimizer, "betas[1]", betas.second);
  detail::check_non_negative(optimizer, "eps", eps);
  detail::check_non_negative(optimizer, "weight_decay", weight_decay);
  detail::check_non_negative(optimizer, "momentum_decay", momentum_decay);
}

NAdam::NAdam(std::vector<Tensor> params, NAdamOptions options)
    : OptimizerBase("NAdam", std::move(params), options) {}

NAdam::NAdam(std::vector<Group> groups) : OptimizerBase("NAdam", std::move(groups)) {}

std::optional<double> NAdam::momentum(size_t group) const {
  return param_groups().at(group).options.betas.first;
}

void NAdam::set_momentum(size_t group, double momentum) {
  detail::check_unit_interval(name(), "betas[0]", momentum);
  param_groups().at(group).options.betas.first = momentum;
}

void NAdam::update() {
  for (size_t g = 0; g < param_groups().size(); ++g) {
    const Group& group = param_groups()[g];
    const NAdamOptions& options = group.options;
    const auto [beta1, beta2] = options.betas;
    for (size_t i = 0; i < group.params.size(); ++i) {
      Tensor param = group.params[i];
      Tensor grad = param.grad();
      if (!grad.defined()) continue;
      OrderedDict<Tensor>& state = this->state(g, i);
      if (state.empty()) {
        state.insert("step", scalar_tensor(0.0, Dtype::float64));
        state.insert("mu_product", scalar_tensor(1.0, Dtype::float64));
        state.insert("exp_avg", zeros_like(param));
        state.insert("exp_avg_sq", zeros_like(param));
      }
      Tensor& step_tensor = state.at("step");
      const double step = step_tensor.item<double>() + 1;
      step_tensor.fill_(step);

      if (options.weight_decay != 0) grad = grad + options.weight_decay * param;
      // The momentum schedule: mu_t for this step and mu_{t+1} for the Nesterov look-ahead.
      const double mu = beta1 * (1 - 0.5 * std::pow(0.96, step * options.momentum_decay));
      const double mu_next =
          beta1 * (1 - 0.5 * std::pow(0.96, (step + 1) * options.momentum_decay));
      Tensor& mu_product_tensor = state.at("mu_product");
      const double mu_product = mu_product_tensor.item<double>() * mu;
      mu_product_tensor.fill_(mu_product);
      // prod_{i<=t+1} mu_i, as the NAdam equations and PyTorch >= 2.0 have it. (PyTorch 1.13's
      // default single-tensor path multiplied mu in twice here; its foreach path did not.)
      const double mu_product_next = mu_product * mu_next;

      Tensor& exp_avg = state.at("exp_avg");
      Tensor& exp_avg_sq = state.at("exp_avg_sq");
      exp_avg.mul_(beta1).add_(grad, 1 - beta1);
      exp_avg_sq.mul_(beta2).add_(grad * grad, 1 - beta2);
      const double bias_correction2 = 1 - std::pow(beta2, step);
      Tensor denom = sqrt(exp_avg_sq / bias_correction2) + options.eps;
      param.sub_(grad / denom, options.lr * (1 - mu) / (1 - mu_product));
      param.sub_(exp_avg / denom, options.lr * mu_next / (1 - mu_product_next));
    }
  }
}

}  // namespace cajal::optim
