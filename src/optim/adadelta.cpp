#include "cajal/optim/adadelta.h"

#include "cajal/ops/math.h"

namespace cajal::optim {

void AdadeltaOptions::validate(const std::string& optimizer) const {
  detail::check_non_negative(optimizer, "lr", lr);
  detail::check_closed_unit_interval(optimizer, "rho", rho);
  detail::check_non_negative(optimizer, "eps", eps);
  detail::check_non_negative(optimizer, "weight_decay", weight_decay);
}

std::vector<std::string> Adadelta::state_keys(const Options& /*options*/) const {
  return {"step", "square_avg", "acc_delta"};
}

void Adadelta::update() {
  for_each_parameter([](const Options& options, Tensor& param, const Tensor& grad,
                        OrderedDict<Tensor>& param_state) {
    detail::increment_step(param_state);
    // Handles, not references: inserting into the state may move its entries.
    Tensor square_avg = detail::state_or_zeros(param_state, "square_avg", param);
    Tensor acc_delta = detail::state_or_zeros(param_state, "acc_delta", param);
    Tensor direction =
        detail::decayed_gradient(param, grad, options.weight_decay, options.maximize);
    const double rho = options.rho;
    square_avg.mul_(rho).add_(direction * direction, 1 - rho);
    Tensor std = sqrt(square_avg + options.eps);
    Tensor delta = sqrt(acc_delta + options.eps).div_(std).mul_(direction);
    acc_delta.mul_(rho).add_(delta * delta, 1 - rho);
    param.add_(delta, -options.lr);
  });
}

}  // namespace cajal::optim
