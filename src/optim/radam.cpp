#include "cajal/optim/radam.h"

#include <cmath>

#include "cajal/ops/math.h"

namespace cajal::optim {

void RAdamOptions::validate(const std::string& optimizer) const {
  detail::check_non_negative(optimizer, "lr", lr);
  detail::check_unit_interval(optimizer, "betas[0]", betas.first);
  detail::check_unit_interval(optimizer, "betas[1]", betas.second);
  detail::check_non_negative(optimizer, "eps", eps);
  detail::check_non_negative(optimizer, "weight_decay", weight_decay);
}

RAdam::RAdam(std::vector<Tensor> params, RAdamOptions options)
    : OptimizerBase("RAdam", std::move(params), options) {}

RAdam::RAdam(std::vector<Group> groups) : OptimizerBase("RAdam", std::move(groups)) {}

std::optional<double> RAdam::momentum(size_t group) const {
  return param_groups().at(group).options.betas.first;
}

void RAdam::set_momentum(size_t group, double momentum) {
  detail::check_unit_interval(name(), "betas[0]", momentum);
  param_groups().at(group).options.betas.first = momentum;
}

void RAdam::update() {
  for (size_t g = 0; g < param_groups().size(); ++g) {
    const Group& group = param_groups()[g];
    const RAdamOptions& options = group.options;
    const auto [beta1, beta2] = options.betas;
    for (size_t i = 0; i < group.params.size(); ++i) {
      Tensor param = group.params[i];
      Tensor grad = param.grad();
      if (!grad.defined()) continue;
      OrderedDict<Tensor>& state = this->state(g, i);
      if (state.empty()) {
        state.insert("step", scalar_tensor(0.0, Dtype::float64));
        state.insert("exp_avg", zeros_like(param));
        state.insert("exp_avg_sq", zeros_like(param));
      }
      Tensor& step_tensor = state.at("step");
      const double step = step_tensor.item<double>() + 1;
      step_tensor.fill_(step);

      if (options.weight_decay != 0) {
        if (options.decoupled_weight_decay) {
          param.mul_(1 - options.lr * options.weight_decay);
        } else {
          grad = grad + options.weight_decay * param;
        }
      }
      Tensor& exp_avg = state.at("exp_avg");
      Tensor& exp_avg_sq = state.at("exp_avg_sq");
      exp_avg.mul_(beta1).add_(grad, 1 - beta1);
      exp_avg_sq.mul_(beta2).add_(grad * grad, 1 - beta2);

      const double bias_correction1 = 1 - std::pow(beta1, step);
      const double bias_correction2 = 1 - std::pow(beta2, step);
      // Length of the approximated simple moving average: the rectification needs rho_t > 4 to
      // be defined, and the paper trusts it only above 5.
      const double rho_inf = 2 / (1 - beta2) - 1;
      const double rho_t = rho_inf - 2 * step * std::pow(beta2, step) / bias_correction2;
      Tensor corrected_exp_avg = exp_avg / bias_correction1;
      if (rho_t > 5) {
        const double rectification = std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                                               ((rho_inf - 4) * (rho_inf - 2) * rho_t));
        Tensor adaptive_lr = std::sqrt(bias_correction2) / (sqrt(exp_avg_sq) + options.eps);
        param.sub_(corrected_exp_avg * adaptive_lr, options.lr * rectification);
      } else {
        param.sub_(corrected_exp_avg, options.lr);
      }
    }
  }
}

}  // namespace cajal::optim
