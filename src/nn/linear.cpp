#include "cajal/nn/linear.h"

#include <cmath>

#include "cajal/core/creation.h"
#include "cajal/nn/init.h"
#include "cajal/ops/linalg.h"

namespace cajal::nn {

Linear::Linear(LinearOptions options) : Module("Linear"), options_(options) {
  if (options.in_features <= 0) {
    throw ValueError("Linear: in_features must be positive, got " +
                     std::to_string(options.in_features));
  }
  if (options.out_features <= 0) {
    throw ValueError("Linear: out_features must be positive, got " +
                     std::to_string(options.out_features));
  }
  if (!is_floating_point(options.dtype)) {
    throw ValueError("Linear: dtype must be float32 or float64, got " +
                     std::string(dtype_name(options.dtype)));
  }
  weight = register_parameter("weight",
                              empty({options.out_features, options.in_features}, options.dtype));
  if (options.bias) bias = register_parameter("bias", empty({options.out_features}, options.dtype));
  reset_parameters();
}

void Linear::reset_parameters() {
  // kaiming_uniform_ with a = sqrt(5): gain sqrt(2 / 6), bound gain * sqrt(3 / fan_in), which is
  // 1 / sqrt(fan_in). The bias uses the same bound.
  init::kaiming_uniform_(weight, {.a = std::sqrt(5.0)});
  if (bias.defined()) {
    double bound = 1.0 / std::sqrt(static_cast<double>(options_.in_features));
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& input) {
  if (!input.defined()) throw ValueError("Linear: the input is undefined");
  if (input.dim() == 0 || input.size(-1) != options_.in_features) {
    throw ShapeError("Linear: expected an input whose last dim is in_features=" +
                     std::to_string(options_.in_features) + ", got shape " +
                     shape_string(input.shape()));
  }
  return linear(input, weight, bias);
}

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(options_.in_features) +
         ", out_features=" + std::to_string(options_.out_features) +
         ", bias=" + (bias.defined() ? "true" : "false");
}

}  // namespace cajal::nn
