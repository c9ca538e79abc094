#include "cajal/optim/sgd.h"

#include <sstream>

#include "cajal/core/creation.h"
#include "cajal/kernels/optimizer_step.h"

namespace cajal::optim {

void SGDOptions::validate(const std::string& optimizer) const {
  detail::check_non_negative(optimizer, "lr", lr);
  detail::check_non_negative(optimizer, "momentum", momentum);
  detail::check_closed_unit_interval(optimizer, "dampening", dampening);
  detail::check_non_negative(optimizer, "weight_decay", weight_decay);
  if (nesterov && (momentum <= 0 || dampening != 0)) {
    std::ostringstream message;
    message << optimizer << ": nesterov needs momentum > 0 and dampening 0, got momentum "
            << momentum << " and dampening " << dampening;
    throw ValueError(message.str());
  }
}

std::optional<double> SGD::momentum(size_t group) const {
  return param_groups().at(group).options.momentum;
}

void SGD::set_momentum(size_t group, double momentum) {
  Options options = param_groups().at(group).options;
  options.momentum = momentum;
  options.validate(name());
  param_groups()[group].options = options;
}

void SGD::update() {
  for_each_parameter([](const Options& options, Tensor& param, const Tensor& grad,
                        OrderedDict<Tensor>& param_state) {
    Tensor buffer;
    bool first_step = false;
    if (options.momentum != 0) {
      if (Tensor* existing = param_state.find("momentum_buffer")) {
        buffer = *existing;
      } else {
        // The fused step fills it (the first step seeds it with the gradient).
        buffer = empty(param.shape(), param.dtype());
        first_step = true;
      }
    }
    const kernels::SgdStepOptions fused{.lr = options.lr,
                                        .momentum = options.momentum,
                                        .dampening = options.dampening,
                                        .weight_decay = options.weight_decay,
                                        .nesterov = options.nesterov,
                                        .maximize = options.maximize,
                                        .first_step = first_step};
    if (kernels::sgd_step(param, grad, buffer, fused)) {
      if (first_step) param_state.insert("momentum_buffer", buffer);
      return;
    }
    detail::sgd_update_composite(param, grad, param_state, options);
  });
}

namespace detail {

void sgd_update_composite(Tensor param, const Tensor& grad, OrderedDict<Tensor>& param_state,
                          const SGDOptions& options) {
  Tensor direction = decayed_gradient(param, grad, options.weight_decay, options.maximize);
  if (options.momentum != 0) {
    Tensor* buffer = param_state.find("momentum_buffer");
    if (buffer == nullptr) {
      // The first step seeds the buffer with the whole gradient, undampened (as PyTorch).
      buffer = &param_state.insert("momentum_buffer", direction.detach().clone());
    } else {
      buffer->mul_(options.momentum).add_(direction, 1 - options.dampening);
    }
    direction = options.nesterov ? add(direction, *buffer, options.momentum) : *buffer;
  }
  param.add_(direction, -options.lr);
}

}  // namespace detail

}  // namespace cajal::optim
