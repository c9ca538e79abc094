#include "cajal/nn/activation.h"

#include <cmath>
#include <string>

#include "cajal/core/creation.h"
#include "cajal/nn/init.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/math.h"
#include "repr.h"

namespace cajal::nn {
namespace {

using detail::repr_number;

void require_finite(const std::string& layer, const char* option, double value) {
  if (!std::isfinite(value)) {
    throw ValueError(layer + ": " + option + " must be finite, got " + repr_number(value));
  }
}

// The softmax family names the layer (not the op) when dim does not fit the input.
void check_dim(const std::string& layer, int64_t dim, const Tensor& input) {
  if (!input.defined()) throw ValueError(layer + ": input is undefined");
  normalize_dim(dim, input.dim(),
                layer + " (option dim) with input " + shape_string(input.shape()));
}

}  // namespace

Tensor ReLU::forward(const Tensor& input) { return relu(input); }

Tensor ReLU6::forward(const Tensor& input) { return relu6(input); }

LeakyReLU::LeakyReLU(LeakyReLUOptions options) : Module("LeakyReLU"), options_(options) {
  require_finite(type_name(), "negative_slope", options_.negative_slope);
}
Tensor LeakyReLU::forward(const Tensor& input) {
  return leaky_relu(input, options_.negative_slope);
}
std::string LeakyReLU::extra_repr() const {
  return "negative_slope=" + repr_number(options_.negative_slope);
}

PReLU::PReLU(PReLUOptions options) : Module("PReLU"), options_(options) {
  if (options_.num_parameters < 1) {
    throw ValueError("PReLU: num_parameters must be >= 1, got " +
                     std::to_string(options_.num_parameters));
  }
  require_finite(type_name(), "init", options_.init);
  if (!is_floating_point(options_.dtype)) {
    throw ValueError("PReLU: dtype must be float32 or float64, got " +
                     std::string(dtype_name(options_.dtype)));
  }
  weight = register_parameter("weight", empty({options_.num_parameters}, options_.dtype));
  reset_parameters();
}
void PReLU::reset_parameters() { init::constant_(weight, options_.init); }
Tensor PReLU::forward(const Tensor& input) {
  if (!input.defined()) throw ValueError("PReLU: input is undefined");
  const int64_t slopes = weight.numel();
  if (slopes != 1 && (input.dim() < 2 || input.size(1) != slopes)) {
    throw ShapeError("PReLU: num_parameters=" + std::to_string(slopes) +
                     " needs an input with that many channels in dim 1, got " +
                     shape_string(input.shape()));
  }
  return prelu(input, weight);
}
std::string PReLU::extra_repr() const {
  return "num_parameters=" + std::to_string(options_.num_parameters);
}

ELU::ELU(ELUOptions options) : Module("ELU"), options_(options) {
  require_finite(type_name(), "alpha", options_.alpha);
}
Tensor ELU::forward(const Tensor& input) { return elu(input, options_.alpha); }
std::string ELU::extra_repr() const { return "alpha=" + repr_number(options_.alpha); }

Tensor SELU::forward(const Tensor& input) { return selu(input); }

CELU::CELU(CELUOptions options) : Module("CELU"), options_(options) {
  require_finite(type_name(), "alpha", options_.alpha);
  if (options_.alpha == 0) throw ValueError("CELU: alpha must not be 0 (it divides x), got 0.0");
}
Tensor CELU::forward(const Tensor& input) { return celu(input, options_.alpha); }
std::string CELU::extra_repr() const { return "alpha=" + repr_number(options_.alpha); }

GELU::GELU(GELUOptions options) : Module("GELU"), options_(std::move(options)) {
  if (options_.approximate != "none" && options_.approximate != "tanh") {
    throw ValueError("GELU: approximate must be \"none\" or \"tanh\", got \"" +
                     options_.approximate + "\"");
  }
}
Tensor GELU::forward(const Tensor& input) { return gelu(input, options_.approximate); }
std::string GELU::extra_repr() const { return "approximate='" + options_.approximate + "'"; }

Softplus::Softplus(SoftplusOptions options) : Module("Softplus"), options_(options) {
  require_finite(type_name(), "beta", options_.beta);
  if (options_.beta == 0) throw ValueError("Softplus: beta must not be 0 (it divides), got 0.0");
  if (std::isnan(options_.threshold)) throw ValueError("Softplus: threshold must not be nan");
}
Tensor Softplus::forward(const Tensor& input) {
  return softplus(input, options_.beta, options_.threshold);
}
std::string Softplus::extra_repr() const {
  return "beta=" + repr_number(options_.beta) + ", threshold=" + repr_number(options_.threshold);
}

Tensor Softsign::forward(const Tensor& input) { return softsign(input); }

Tensor SiLU::forward(const Tensor& input) { return silu(input); }

Tensor Mish::forward(const Tensor& input) { return mish(input); }

Hardtanh::Hardtanh(HardtanhOptions options) : Module("Hardtanh"), options_(options) {
  if (!(options_.max_val > options_.min_val)) {
    throw ValueError("Hardtanh: max_val (" + repr_number(options_.max_val) +
                     ") must be greater than min_val (" + repr_number(options_.min_val) + ")");
  }
}
Tensor Hardtanh::forward(const Tensor& input) {
  return hardtanh(input, options_.min_val, options_.max_val);
}
std::string Hardtanh::extra_repr() const {
  return "min_val=" + repr_number(options_.min_val) + ", max_val=" + repr_number(options_.max_val);
}

Tensor Hardsigmoid::forward(const Tensor& input) { return hard_sigmoid(input); }

Tensor Hardswish::forward(const Tensor& input) { return hard_swish(input); }

Tensor LogSigmoid::forward(const Tensor& input) { return log_sigmoid(input); }

Tensor Sigmoid::forward(const Tensor& input) { return sigmoid(input); }

Tensor Tanh::forward(const Tensor& input) { return tanh(input); }

Softmax::Softmax(SoftmaxOptions options) : Module("Softmax"), options_(options) {}
Tensor Softmax::forward(const Tensor& input) {
  check_dim(type_name(), options_.dim, input);
  return softmax(input, options_.dim);
}
std::string Softmax::extra_repr() const { return "dim=" + std::to_string(options_.dim); }

LogSoftmax::LogSoftmax(SoftmaxOptions options) : Module("LogSoftmax"), options_(options) {}
Tensor LogSoftmax::forward(const Tensor& input) {
  check_dim(type_name(), options_.dim, input);
  return log_softmax(input, options_.dim);
}
std::string LogSoftmax::extra_repr() const { return "dim=" + std::to_string(options_.dim); }

Softmin::Softmin(SoftmaxOptions options) : Module("Softmin"), options_(options) {}
Tensor Softmin::forward(const Tensor& input) {
  check_dim(type_name(), options_.dim, input);
  return softmin(input, options_.dim);
}
std::string Softmin::extra_repr() const { return "dim=" + std::to_string(options_.dim); }

}  // namespace cajal::nn
