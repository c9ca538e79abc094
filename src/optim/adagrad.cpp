#include "cajal/optim/adagrad.h"

#include "cajal/ops/math.h"

namespace cajal::optim {

void AdagradOptions::validate(const std::string& optimizer) const {
  detail::check_non_negative(optimizer, "lr", lr);
  detail::check_non_negative(optimizer, "lr_decay", lr_decay);
  detail::check_non_negative(optimizer, "weight_decay", weight_decay);
  detail::check_non_negative(optimizer, "initial_accumulator_value", initial_accumulator_value);
  detail::check_non_negative(optimizer, "eps", eps);
}

std::vector<std::string> Adagrad::state_keys(const Options& /*options*/) const {
  return {"step", "sum"};
}

void Adagrad::update() {
  for_each_parameter([](const Options& options, Tensor& param, const Tensor& grad,
                        OrderedDict<Tensor>& param_state) {
    const int64_t step = detail::increment_step(param_state);
    if (!param_state.contains("sum")) {
      param_state.insert("sum", full_like(param, options.initial_accumulator_value));
    }
    Tensor direction =
        detail::decayed_gradient(param, grad, options.weight_decay, options.maximize);
    const double step_lr = options.lr / (1 + static_cast<double>(step - 1) * options.lr_decay);
    Tensor sum = param_state.at("sum");
    sum.add_(direction * direction);
    Tensor denominator = sqrt(sum).add_(scalar_tensor(options.eps, sum.dtype()));
    param.add_(direction / denominator, -step_lr);
  });
}

}  // namespace cajal::optim
