#include "cajal/nn/maxout.h"

#include <cmath>
#include <string>

#include "cajal/core/creation.h"
#include "cajal/nn/init.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/linalg.h"

namespace cajal::nn {

Maxout::Maxout(MaxoutOptions options) : Module("Maxout"), options_(options) {
  for (const auto& [value, name] :
       {std::pair{options_.in_features, "in_features"},
        std::pair{options_.out_features, "out_features"}, std::pair{options_.pieces, "pieces"}}) {
    if (value < 1) {
      throw ValueError("Maxout: " + std::string(name) + " must be >= 1, got " +
                       std::to_string(value));
    }
  }
  if (!is_floating_point(options_.dtype)) {
    throw ValueError("Maxout: dtype must be float32 or float64, got " +
                     std::string(dtype_name(options_.dtype)));
  }
  const int64_t rows = options_.out_features * options_.pieces;
  weight = register_parameter("weight", empty({rows, options_.in_features}, options_.dtype));
  if (options_.bias) bias = register_parameter("bias", empty({rows}, options_.dtype));
  reset_parameters();
}

void Maxout::reset_parameters() {
  // Linear's scheme: kaiming_uniform_ with a = sqrt(5) gives the bound
  // sqrt(6 / ((1 + 5) * fan_in)) = 1 / sqrt(fan_in); the bias uses the same bound.
  init::kaiming_uniform_(weight, {.a = std::sqrt(5.0)});
  const double bound = 1.0 / std::sqrt(static_cast<double>(options_.in_features));
  if (bias.defined()) init::uniform_(bias, -bound, bound);
}

Tensor Maxout::forward(const Tensor& input) {
  if (!input.defined() || input.dim() < 1 || input.size(-1) != options_.in_features) {
    throw ShapeError("Maxout: expected input [..., " + std::to_string(options_.in_features) +
                     "] (in_features=" + std::to_string(options_.in_features) + "), got " +
                     (input.defined() ? shape_string(input.shape()) : std::string("undefined")));
  }
  return maxout(linear(input, weight, bias), options_.pieces, -1);
}

std::string Maxout::extra_repr() const {
  return "in_features=" + std::to_string(options_.in_features) +
         ", out_features=" + std::to_string(options_.out_features) +
         ", pieces=" + std::to_string(options_.pieces) +
         ", bias=" + (bias.defined() ? "true" : "false");
}

}  // namespace cajal::nn
