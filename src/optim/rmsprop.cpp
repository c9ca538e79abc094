#include "cajal/optim/rmsprop.h"

#include "cajal/ops/math.h"

namespace cajal::optim {

void RMSpropOptions::validate(const std::string& optimizer) const {
  detail::check_non_negative(optimizer, "lr", lr);
  detail::check_closed_unit_interval(optimizer, "alpha", alpha);
  detail::check_non_negative(optimizer, "eps", eps);
  detail::check_non_negative(optimizer, "weight_decay", weight_decay);
  detail::check_non_negative(optimizer, "momentum", momentum);
}

std::optional<double> RMSprop::momentum(size_t group) const {
  return param_groups().at(group).options.momentum;
}

void RMSprop::set_momentum(size_t group, double momentum) {
  detail::check_non_negative(name(), "momentum", momentum);
  param_groups().at(group).options.momentum = momentum;
}

std::vector<std::string> RMSprop::state_keys(const Options& options) const {
  std::vector<std::string> keys{"step", "square_avg"};
  if (options.centered) keys.push_back("grad_avg");
  return keys;
}

void RMSprop::update() {
  for_each_parameter([](const Options& options, Tensor& param, const Tensor& grad,
                        OrderedDict<Tensor>& param_state) {
    detail::increment_step(param_state);
    Tensor square_avg = detail::state_or_zeros(param_state, "square_avg", param);
    Tensor direction =
        detail::decayed_gradient(param, grad, options.weight_decay, options.maximize);
    const double alpha = options.alpha;
    square_avg.mul_(alpha).add_(direction * direction, 1 - alpha);
    Tensor denominator;
    if (options.centered) {
      Tensor grad_avg = detail::state_or_zeros(param_state, "grad_avg", param);
      grad_avg.mul_(alpha).add_(direction, 1 - alpha);
      denominator = sqrt(sub(square_avg, grad_avg * grad_avg));
    } else {
      denominator = sqrt(square_avg);
    }
    denominator.add_(scalar_tensor(options.eps, denominator.dtype()));
    if (options.momentum > 0) {
      Tensor buffer = detail::state_or_zeros(param_state, "momentum_buffer", param);
      buffer.mul_(options.momentum).add_(direction / denominator);
      param.add_(buffer, -options.lr);
    } else {
      param.add_(direction / denominator, -options.lr);
    }
  });
}

}  // namespace cajal::optim
