#include "cajal/optim/nadam.h"

#include <cmath>

#include "cajal/ops/math.h"

namespace cajal::optim {

void NAdamOptions::validate(const std::string& optimizer) const {
  detail::validate_adam_like(optimizer, lr, betas, eps, weight_decay);
  detail::check_non_negative(optimizer, "momentum_decay", momentum_decay);
}

NAdam::NAdam(std::vector<Tensor> params, NAdamOptions options)
    : BetasOptimizer("NAdam", std::move(params), options) {}

NAdam::NAdam(std::vector<Group> groups) : BetasOptimizer("NAdam", std::move(groups)) {}

void NAdam::update() {
  for_each_parameter([](const Options& options, Tensor& param, Tensor& grad,
                        OrderedDict<Tensor>& state) {
    const auto [beta1, beta2] = options.betas;
    if (state.empty()) {
      state.insert("step", scalar_tensor(0.0, Dtype::float64));
      state.insert("mu_product", scalar_tensor(1.0, Dtype::float64));
      state.insert("exp_avg", zeros_like(param));
      state.insert("exp_avg_sq", zeros_like(param));
    }
    const double step = detail::increment_float_step(state, param, {});

    grad = detail::apply_weight_decay(param, grad, options.lr, options.weight_decay, false);
    // The momentum schedule: mu_t for this step and mu_{t+1} for the Nesterov look-ahead.
    const double mu = beta1 * (1 - 0.5 * std::pow(0.96, step * options.momentum_decay));
    const double mu_next = beta1 * (1 - 0.5 * std::pow(0.96, (step + 1) * options.momentum_decay));
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
  });
}

}  // namespace cajal::optim
