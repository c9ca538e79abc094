#include "cajal/core/creation.h"

#include <cmath>
#include <cstring>
#include <numeric>

#include "cajal/core/random.h"
#include "cajal/kernels/elementwise.h"

namespace cajal {

namespace {
Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad) t.requires_grad_(true);
  return t;
}

void check_shape(const Shape& shape, const char* op) {
  for (int64_t d : shape) {
    if (d < 0) {
      throw ShapeError(std::string(op) + ": negative dimension in shape " + shape_string(shape));
    }
  }
}
}  // namespace

Tensor full(const Shape& shape, Scalar value, TensorOptions options) {
  check_shape(shape, "full");
  Tensor t = empty(shape, options.dtype);
  dispatch(options.dtype, [&]<typename T>() {
    T v = value.to<T>();
    T* p = t.data_ptr<T>();
    std::fill(p, p + t.numel(), v);
  });
  return finish(t, options);
}

Tensor zeros(const Shape& shape, TensorOptions options) {
  check_shape(shape, "zeros");
  Tensor t = empty(shape, options.dtype);
  std::memset(t.raw_data(), 0, t.numel() * t.element_size());
  return finish(t, options);
}

Tensor ones(const Shape& shape, TensorOptions options) { return full(shape, 1, options); }

Tensor arange(Scalar end, TensorOptions options) { return arange(0, end, 1, options); }

Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions options) {
  double a = start.to_double(), b = end.to_double(), s = step.to_double();
  if (s == 0 || !std::isfinite(a) || !std::isfinite(b) || !std::isfinite(s)) {
    throw ValueError(
        "arange: expected finite start/end and a non-zero step, got start=" + std::to_string(a) +
        " end=" + std::to_string(b) + " step=" + std::to_string(s));
  }
  if ((b - a) * s < 0) {
    throw ValueError("arange: step " + std::to_string(s) + " moves away from end " +
                     std::to_string(b));
  }
  int64_t n = static_cast<int64_t>(std::ceil((b - a) / s));
  Tensor t = empty({n}, options.dtype);
  dispatch(options.dtype, [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(a + static_cast<double>(i) * s);
  });
  return finish(t, options);
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions options) {
  if (steps < 0) throw ValueError("linspace: steps must be >= 0, got " + std::to_string(steps));
  Tensor t = empty({steps}, options.dtype);
  dispatch(options.dtype, [&]<typename T>() {
    T* p = t.data_ptr<T>();
    double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0;
    // Fill from both ends so the last value is exactly `end`.
    for (int64_t i = 0; i < steps; ++i) {
      p[i] = static_cast<T>(i < steps / 2 ? start + step * static_cast<double>(i)
                                          : end - step * static_cast<double>(steps - 1 - i));
    }
  });
  return finish(t, options);
}

Tensor eye(int64_t n, std::optional<int64_t> m, TensorOptions options) {
  int64_t cols = m.value_or(n);
  if (n < 0 || cols < 0) {
    throw ValueError("eye: sizes must be >= 0, got " + std::to_string(n) + " x " +
                     std::to_string(cols));
  }
  Tensor t = zeros({n, cols}, {.dtype = options.dtype});
  dispatch(options.dtype, [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < std::min(n, cols); ++i) p[i * cols + i] = T(1);
  });
  return finish(t, options);
}

Tensor rand(const Shape& shape, TensorOptions options) {
  check_shape(shape, "rand");
  Generator& g = default_generator();
  Tensor t = empty(shape, options.dtype);
  dispatch_floating(options.dtype, "rand", [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, float>)
        p[i] = g.uniform_float();
      else
        p[i] = g.uniform();
    }
  });
  return finish(t, options);
}

Tensor randn(const Shape& shape, TensorOptions options) {
  check_shape(shape, "randn");
  Generator& g = default_generator();
  Tensor t = empty(shape, options.dtype);
  dispatch_floating(options.dtype, "randn", [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(g.normal());
  });
  return finish(t, options);
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions options) {
  check_shape(shape, "randint");
  if (high <= low) {
    throw ValueError("randint: expected low < high, got low=" + std::to_string(low) +
                     " high=" + std::to_string(high));
  }
  Generator& g = default_generator();
  Tensor t = empty(shape, options.dtype);
  dispatch(options.dtype, [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(g.integer(low, high));
  });
  return finish(t, options);
}

Tensor bernoulli(const Tensor& probabilities) {
  Tensor p = kernels::convert(probabilities, Dtype::float64);
  const double* pp = p.data_ptr<double>();
  for (int64_t i = 0; i < p.numel(); ++i) {
    if (!(pp[i] >= 0 && pp[i] <= 1)) {
      throw ValueError("bernoulli: probabilities must be in [0, 1], got " + std::to_string(pp[i]));
    }
  }
  Generator& g = default_generator();
  Tensor t = empty(probabilities.shape(), probabilities.dtype());
  dispatch(t.dtype(), [&]<typename T>() {
    T* out = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) out[i] = static_cast<T>(g.uniform() < pp[i]);
  });
  return t;
}

Tensor bernoulli(const Shape& shape, double p, TensorOptions options) {
  if (!(p >= 0 && p <= 1)) {
    throw ValueError("bernoulli: p must be in [0, 1], got " + std::to_string(p));
  }
  check_shape(shape, "bernoulli");
  Generator& g = default_generator();
  Tensor t = empty(shape, options.dtype);
  dispatch(options.dtype, [&]<typename T>() {
    T* out = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) out[i] = static_cast<T>(g.uniform() < p);
  });
  return finish(t, options);
}

Tensor randperm(int64_t n, TensorOptions options) {
  if (n < 0) throw ValueError("randperm: n must be >= 0, got " + std::to_string(n));
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Generator& g = default_generator();
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[g.integer(0, i + 1)]);
  return kernels::convert(from_vector(order), options.dtype);
}

Tensor multinomial(const Tensor& weights, int64_t num_samples, bool replacement) {
  if (!weights.defined()) throw ValueError("multinomial: the weights are undefined");
  if (weights.dim() != 1 && weights.dim() != 2) {
    throw ShapeError("multinomial: expected weights [C] or [N, C], got " +
                     shape_string(weights.shape()));
  }
  if (num_samples < 1) {
    throw ValueError("multinomial: num_samples must be positive, got " +
                     std::to_string(num_samples));
  }
  const int64_t rows = weights.dim() == 2 ? weights.size(0) : 1;
  const int64_t categories = weights.size(-1);
  if (categories == 0) throw ShapeError("multinomial: the weights have no categories");
  Tensor w = kernels::convert(weights, Dtype::float64);
  const double* wp = w.data_ptr<double>();
  std::vector<int64_t> drawn(static_cast<size_t>(rows * num_samples));
  std::vector<double> row(static_cast<size_t>(categories));
  Generator& g = default_generator();
  for (int64_t r = 0; r < rows; ++r) {
    double total = 0;
    int64_t nonzero = 0;
    for (int64_t c = 0; c < categories; ++c) {
      const double value = wp[r * categories + c];
      if (!(value >= 0) || std::isinf(value)) {
        throw ValueError("multinomial: weights must be finite and non-negative, got " +
                         std::to_string(value) + " at row " + std::to_string(r) + ", category " +
                         std::to_string(c));
      }
      row[c] = value;
      total += value;
      nonzero += value > 0;
    }
    if (total <= 0) {
      throw ValueError("multinomial: the weights of row " + std::to_string(r) + " sum to zero");
    }
    if (!replacement && num_samples > nonzero) {
      throw ValueError("multinomial: cannot draw " + std::to_string(num_samples) +
                       " samples without replacement from " + std::to_string(nonzero) +
                       " categories with non-zero weight");
    }
    for (int64_t s = 0; s < num_samples; ++s) {
      // Inverse CDF; the last category with weight takes what rounding leaves over.
      const double target = g.uniform() * total;
      double cumulative = 0;
      int64_t chosen = -1;
      for (int64_t c = 0; c < categories; ++c) {
        if (row[c] <= 0) continue;
        chosen = c;
        cumulative += row[c];
        if (target < cumulative) break;
      }
      drawn[r * num_samples + s] = chosen;
      if (!replacement) {
        total -= row[chosen];
        row[chosen] = 0;
      }
    }
  }
  Shape shape = weights.dim() == 2 ? Shape{rows, num_samples} : Shape{num_samples};
  return from_vector(drawn, shape);
}

Tensor empty_like(const Tensor& like) { return empty(like.shape(), like.dtype()); }
Tensor zeros_like(const Tensor& like) { return zeros(like.shape(), {.dtype = like.dtype()}); }
Tensor ones_like(const Tensor& like) { return ones(like.shape(), {.dtype = like.dtype()}); }
Tensor full_like(const Tensor& like, Scalar value) {
  return full(like.shape(), value, {.dtype = like.dtype()});
}
Tensor rand_like(const Tensor& like) { return rand(like.shape(), {.dtype = like.dtype()}); }
Tensor randn_like(const Tensor& like) { return randn(like.shape(), {.dtype = like.dtype()}); }

Tensor tensor(std::initializer_list<double> values, TensorOptions options) {
  Tensor t = empty({static_cast<int64_t>(values.size())}, options.dtype);
  dispatch(options.dtype, [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (double v : values) *p++ = static_cast<T>(v);
  });
  return finish(t, options);
}

Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, TensorOptions options) {
  int64_t n = static_cast<int64_t>(rows.size());
  int64_t m = n > 0 ? static_cast<int64_t>(rows.begin()->size()) : 0;
  for (const auto& row : rows) {
    if (static_cast<int64_t>(row.size()) != m) {
      throw ShapeError("tensor: rows have different lengths (" + std::to_string(m) + " and " +
                       std::to_string(row.size()) + ")");
    }
  }
  Tensor t = empty({n, m}, options.dtype);
  dispatch(options.dtype, [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (const auto& row : rows) {
      for (double v : row) *p++ = static_cast<T>(v);
    }
  });
  return finish(t, options);
}

template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape) {
  check_shape(shape, "from_vector");
  if (shape_numel(shape) != static_cast<int64_t>(values.size())) {
    throw ShapeError("from_vector: " + std::to_string(values.size()) +
                     " values do not fill shape " + shape_string(shape));
  }
  Tensor t = empty(shape, dtype_of_v<T>);
  T* p = t.data_ptr<T>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}
template Tensor from_vector(const std::vector<float>&, const Shape&);
template Tensor from_vector(const std::vector<double>&, const Shape&);
template Tensor from_vector(const std::vector<int64_t>&, const Shape&);
template Tensor from_vector(const std::vector<uint8_t>&, const Shape&);
template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& shape) {
  check_shape(shape, "from_vector");
  if (shape_numel(shape) != static_cast<int64_t>(values.size())) {
    throw ShapeError("from_vector: " + std::to_string(values.size()) +
                     " values do not fill shape " + shape_string(shape));
  }
  Tensor t = empty(shape, Dtype::bool_);
  bool* p = t.data_ptr<bool>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}

template <typename T>
std::vector<T> to_vector(const Tensor& tensor) {
  Tensor c = kernels::convert(tensor, dtype_of_v<T>);
  const T* p = c.data_ptr<T>();
  return std::vector<T>(p, p + c.numel());
}
template std::vector<float> to_vector(const Tensor&);
template std::vector<double> to_vector(const Tensor&);
template std::vector<int64_t> to_vector(const Tensor&);
template std::vector<uint8_t> to_vector(const Tensor&);

}  // namespace cajal

namespace cajal {
// std::vector<bool> packs bits, so it is filled element by element.
template <>
std::vector<bool> to_vector<bool>(const Tensor& tensor) {
  Tensor c = kernels::convert(tensor, Dtype::bool_);
  const bool* p = c.data_ptr<bool>();
  return std::vector<bool>(p, p + c.numel());
}
}  // namespace cajal
