#include "cajal/optim/adabelief.h"

#include <cmath>

#include "cajal/ops/math.h"

namespace cajal::optim {

void AdaBeliefOptions::validate(const std::string& optimizer) const {
  detail::check_non_negative(optimizer, "lr", lr);
  detail::check_unit_interval(optimizer, "betas[0]", betas.first);
  detail::check_unit_interval(optimizer, "betas[1]", betas.second);
  detail::check_non_negative(optimizer, "eps", eps);
  detail::check_non_negative(optimizer, "weight_decay", weight_decay);
}

AdaBelief::AdaBelief(std::vector<Tensor> params, AdaBeliefOptions options)
    : OptimizerBase("AdaBelief", std::move(params), options) {}

AdaBelief::AdaBelief(std::vector<Group> groups) : OptimizerBase("AdaBelief", std::move(groups)) {}

std::optional<double> AdaBelief::momentum(size_t group) const {
  return param_groups().at(group).options.betas.first;
}

void AdaBelief::set_momentum(size_t group, double momentum) {
  detail::check_unit_interval(name(), "betas[0]", momentum);
  param_groups().at(group).options.betas.first = momentum;
}

void AdaBelief::update() {
  for (size_t g = 0; g < param_groups().size(); ++g) {
    const Group& group = param_groups()[g];
    const AdaBeliefOptions& options = group.options;
    const auto [beta1, beta2] = options.betas;
    for (size_t i = 0; i < group.params.size(); ++i) {
      Tensor param = group.params[i];
      Tensor grad = param.grad();
      if (!grad.defined()) continue;
      OrderedDict<Tensor>& state = this->state(g, i);
      if (state.empty()) {
        state.insert("step", scalar_tensor(0.0, Dtype::float64));
        state.insert("exp_avg", zeros_like(param));
        state.insert("exp_avg_var", zeros_like(param));
      }
      // amsgrad may be switched on after some steps (or by load_state_dict): start the maximum
      // from the current s_t then.
      if (options.amsgrad && !state.contains("max_exp_avg_var")) {
        state.insert("max_exp_avg_var", zeros_like(param));
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
      Tensor& exp_avg_var = state.at("exp_avg_var");
      exp_avg.mul_(beta1).add_(grad, 1 - beta1);
      Tensor residual = grad - exp_avg;
      exp_avg_var.mul_(beta2).add_(residual * residual, 1 - beta2);
      exp_avg_var.add_(full_like(exp_avg_var, options.eps));

      Tensor belief = exp_avg_var;
      if (options.amsgrad) {
        Tensor& max_exp_avg_var = state.at("max_exp_avg_var");
        max_exp_avg_var.copy_(maximum(max_exp_avg_var, exp_avg_var));
        belief = max_exp_avg_var;
      }
      const double bias_correction1 = 1 - std::pow(beta1, step);
      const double bias_correction2 = 1 - std::pow(beta2, step);
      Tensor denom = sqrt(belief) / std::sqrt(bias_correction2) + options.eps;
      param.sub_(exp_avg / denom, options.lr / bias_correction1);
    }
  }
}

}  // namespace cajal::optim
