#include "cajal/nn/positional_encoding.h"

#include <cmath>
#include <string>
#include <vector>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/core/shape.h"
#include "cajal/nn/init.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/dropout.h"
#include "repr.h"

namespace cajal::nn {
namespace {

std::string str(int64_t value) { return std::to_string(value); }

void check_options(const std::string& layer, const PositionalEncodingOptions& options) {
  if (options.d_model <= 0) {
    throw ValueError(layer + ": d_model must be positive, got " + str(options.d_model));
  }
  if (options.max_len <= 0) {
    throw ValueError(layer + ": max_len must be positive, got " + str(options.max_len));
  }
  if (!(options.dropout >= 0.0 && options.dropout <= 1.0)) {
    throw ValueError(layer + ": dropout must be in [0, 1], got " + std::to_string(options.dropout));
  }
  if (!is_floating_point(options.dtype)) {
    throw ValueError(layer + ": dtype must be float32 or float64, got " +
                     std::string(dtype_name(options.dtype)));
  }
}

// dropout(x + table[:T]) with the table broadcast over the batch dim.
Tensor add_positions(const std::string& layer, const PositionalEncodingOptions& options,
                     const Tensor& x, const Tensor& table, bool training) {
  if (!x.defined()) throw ValueError(layer + ": the input is undefined");
  const std::string layout = options.batch_first ? "[N, T, d_model]" : "[T, N, d_model]";
  if ((x.dim() != 2 && x.dim() != 3) || x.size(-1) != options.d_model) {
    throw ShapeError(layer + ": expected " + layout + " or [T, d_model] with d_model=" +
                     str(options.d_model) + ", got shape " + shape_string(x.shape()));
  }
  const int64_t time_dim = (x.dim() == 3 && options.batch_first) ? 1 : 0;
  const int64_t length = x.size(time_dim);
  if (length > options.max_len) {
    throw ShapeError(layer + ": sequence length " + str(length) + " (dim " + str(time_dim) +
                     " of " + shape_string(x.shape()) +
                     ") exceeds max_len=" + str(options.max_len));
  }
  Tensor positions = table.narrow(0, 0, length);  // [T, d_model]
  if (x.dim() == 3 && !options.batch_first) positions = positions.unsqueeze(1);
  return dropout(x + positions, options.dropout, training);
}

std::string options_repr(const PositionalEncodingOptions& options) {
  return "d_model=" + str(options.d_model) + ", max_len=" + str(options.max_len) +
         ", dropout=" + detail::repr_number(options.dropout) +
         ", batch_first=" + detail::repr_bool(options.batch_first);
}

}  // namespace

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(PositionalEncodingOptions options)
    : Module("SinusoidalPositionalEncoding"), options_(options) {
  check_options(type_name(), options);
  const int64_t d = options.d_model;
  std::vector<double> table(static_cast<size_t>(options.max_len * d));
  for (int64_t i = 0; 2 * i < d; ++i) {
    // 1 / 10000^(2i / d), computed as in the common PyTorch recipe: exp(2i * -ln(10000) / d).
    const double frequency = std::exp(static_cast<double>(2 * i) * (-std::log(10000.0) / d));
    for (int64_t t = 0; t < options.max_len; ++t) {
      const double angle = static_cast<double>(t) * frequency;
      table[static_cast<size_t>(t * d + 2 * i)] = std::sin(angle);
      if (2 * i + 1 < d) table[static_cast<size_t>(t * d + 2 * i + 1)] = std::cos(angle);
    }
  }
  pe = register_buffer("pe", from_vector(table, {options.max_len, d}).to(options.dtype),
                       /*persistent=*/false);
}

Tensor SinusoidalPositionalEncoding::forward(const Tensor& x) {
  return add_positions(type_name(), options_, x, pe, is_training());
}

std::string SinusoidalPositionalEncoding::extra_repr() const { return options_repr(options_); }

LearnedPositionalEncoding::LearnedPositionalEncoding(PositionalEncodingOptions options)
    : Module("LearnedPositionalEncoding"), options_(options) {
  check_options(type_name(), options);
  weight = register_parameter("weight", empty({options.max_len, options.d_model}, options.dtype));
  reset_parameters();
}

void LearnedPositionalEncoding::reset_parameters() { init::normal_(weight, 0.0, 0.02); }

Tensor LearnedPositionalEncoding::forward(const Tensor& x) {
  return add_positions(type_name(), options_, x, weight, is_training());
}

std::string LearnedPositionalEncoding::extra_repr() const { return options_repr(options_); }

}  // namespace cajal::nn
