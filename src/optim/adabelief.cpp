#include "cajal/optim/adabelief.h"

#include <cmath>

#include "cajal/ops/math.h"

namespace cajal::optim {

void AdaBeliefOptions::validate(const std::string& optimizer) const {
  detail::validate_adam_like(optimizer, lr, betas, eps, weight_decay);
}

AdaBelief::AdaBelief(std::vector<Tensor> params, AdaBeliefOptions options)
    : BetasOptimizer("AdaBelief", std::move(params), options) {}

AdaBelief::AdaBelief(std::vector<Group> groups) : BetasOptimizer("AdaBelief", std::move(groups)) {}

void AdaBelief::update() {
  for_each_parameter(
      [](const Options& options, Tensor& param, Tensor& grad, OrderedDict<Tensor>& state) {
        const auto [beta1, beta2] = options.betas;
        const double step = detail::increment_float_step(state, param, {"exp_avg", "exp_avg_var"});
        // amsgrad may be switched on after some steps (or by load_state_dict): start the maximum
        // from the current s_t then.
        if (options.amsgrad && !state.contains("max_exp_avg_var")) {
          state.insert("max_exp_avg_var", zeros_like(param));
        }

        grad = detail::apply_weight_decay(param, grad, options.lr, options.weight_decay,
                                          options.decoupled_weight_decay);
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
      });
}

}  // namespace cajal::optim
