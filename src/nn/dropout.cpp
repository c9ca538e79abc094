#include "cajal/nn/dropout.h"

#include <sstream>

#include "cajal/ops/dropout.h"

namespace cajal::nn {

namespace {

std::string number(double value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

void check_probability(const std::string& layer, double p) {
  if (!(p >= 0 && p <= 1)) {  // also rejects NaN
    throw ValueError(layer + ": p must be in [0, 1], got " + number(p));
  }
}

void check_input(const std::string& layer, const Tensor& input) {
  if (!input.defined()) throw ValueError(layer + ": the input is undefined");
  if (!input.is_floating_point()) {
    throw ValueError(layer + ": expected a floating-point input, got " +
                     std::string(dtype_name(input.dtype())));
  }
}

}  // namespace

Dropout::Dropout(DropoutOptions options) : Module("Dropout"), options_(options) {
  check_probability(type_name(), options.p);
}

Tensor Dropout::forward(const Tensor& input) {
  check_input(type_name(), input);
  return dropout(input, options_.p, is_training());
}

std::string Dropout::extra_repr() const { return "p=" + number(options_.p); }

AlphaDropout::AlphaDropout(DropoutOptions options) : Module("AlphaDropout"), options_(options) {
  check_probability(type_name(), options.p);
}

Tensor AlphaDropout::forward(const Tensor& input) {
  check_input(type_name(), input);
  return alpha_dropout(input, options_.p, is_training());
}

std::string AlphaDropout::extra_repr() const { return "p=" + number(options_.p); }

}  // namespace cajal::nn
