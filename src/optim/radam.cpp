#include "cajal/optim/radam.h"

#include <cmath>

#include "cajal/ops/math.h"

namespace cajal::optim {

void RAdamOptions::validate(const std::string& optimizer) const {
  detail::validate_adam_like(optimizer, lr, betas, eps, weight_decay);
}

RAdam::RAdam(std::vector<Tensor> params, RAdamOptions options)
    : BetasOptimizer("RAdam", std::move(params), options) {}

RAdam::RAdam(std::vector<Group> groups) : BetasOptimizer("RAdam", std::move(groups)) {}

void RAdam::update() {
  for_each_parameter([](const Options& options, Tensor& param, Tensor& grad,
                        OrderedDict<Tensor>& state) {
    const auto [beta1, beta2] = options.betas;
    const double step = detail::increment_float_step(state, param, {"exp_avg", "exp_avg_sq"});

    grad = detail::apply_weight_decay(param, grad, options.lr, options.weight_decay,
                                      options.decoupled_weight_decay);
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
      const double rectification =
          std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
      Tensor adaptive_lr = std::sqrt(bias_correction2) / (sqrt(exp_avg_sq) + options.eps);
      param.sub_(corrected_exp_avg * adaptive_lr, options.lr * rectification);
    } else {
      param.sub_(corrected_exp_avg, options.lr);
    }
  });
}

}  // namespace cajal::optim
