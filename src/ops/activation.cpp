#include "cajal/ops/activation.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cajal/autograd/node.h"
#include "cajal/core/creation.h"
#include "cajal/kernels/elementwise.h"
#include "cajal/kernels/loops.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"
#include "cajal/ops/view.h"
#include "elementwise_impl.h"

namespace cajal {

using autograd::grads;
using detail::floating_unary_op;

namespace {

std::string number(double v) {
  std::string s = std::to_string(v);
  // std::to_string pads with zeros ("0.500000"); trim them for readable messages.
  if (s.find('.') != std::string::npos) {
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

// The standard normal CDF, 0.5 * (1 + erf(x / sqrt(2))), as a differentiable op: the exact GELU's
// backward needs it, and there is no erf op to compose it from.
Tensor normal_cdf(const Tensor& x) {
  Tensor y = floating_unary_op(x, []<typename T>() {
    return [](T v) { return T(0.5) * (T(1) + std::erf(v * T(M_SQRT1_2))); };
  });
  return autograd::record("normal_cdf", y, {x}, [x](const Tensor& dy) {
    return grads{dy * (exp(-0.5 * square(x)) * (0.5 * M_2_SQRTPI * M_SQRT1_2))};
  });
}

// hardtanh and relu6 share a kernel; `name` is the op recorded and named in errors.
Tensor hardtanh_impl(const char* name, const Tensor& x, double min_val, double max_val) {
  if (min_val > max_val) {
    throw ValueError(std::string(name) + ": min_val (" + number(min_val) +
                     ") must not exceed max_val (" + number(max_val) + ")");
  }
  Tensor y = floating_unary_op(x, [&]<typename T>() {
    T lo = static_cast<T>(min_val), hi = static_cast<T>(max_val);
    // NaN passes through, as in PyTorch.
    return [lo, hi](T v) { return v < lo ? lo : (v > hi ? hi : v); };
  });
  return autograd::record(name, y, {x}, [x, min_val, max_val](const Tensor& dy) {
    // PyTorch's convention: zero gradient at the limits themselves.
    return grads{where(logical_and(x > min_val, x < max_val), dy, 0.0)};
  });
}

// PyTorch's common ELU form, shared by elu, selu and celu:
//   y = x > 0 ? scale * x : scale * alpha * (exp(input_scale * x) - 1)
// with gradient scale * alpha * input_scale * exp(input_scale * x) for x <= 0 (so at 0 too).
Tensor elu_impl(const char* name, const Tensor& x, double alpha, double scale, double input_scale) {
  Tensor y = floating_unary_op(x, [&]<typename T>() {
    T neg = static_cast<T>(alpha * scale), pos = static_cast<T>(scale),
      in = static_cast<T>(input_scale);
    return [=](T v) { return v <= T(0) ? neg * std::expm1(v * in) : v * pos; };
  });
  return autograd::record(name, y, {x}, [x, alpha, scale, input_scale](const Tensor& dy) {
    // exp of clamp_max(x, 0) keeps the unselected branch finite, so second-order gradients
    // through `where` never meet inf * 0.
    Tensor negative_slope = exp(clamp_max(x, 0.0) * input_scale) * (alpha * scale * input_scale);
    return grads{where(x > 0.0, dy * scale, dy * negative_slope)};
  });
}

// Splits a shape around `dim`: [outer, size, inner] in elements of a contiguous tensor.
struct DimSplit {
  int64_t outer = 1, size = 1, inner = 1;
};
DimSplit split_at(const Shape& shape, int64_t dim) {
  DimSplit s;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < dim)
      s.outer *= shape[d];
    else if (d == dim)
      s.size = shape[d];
    else
      s.inner *= shape[d];
  }
  return s;
}

// Softmax (or log-softmax) of contiguous x laid out as [outer, n, inner] along n. Subtracting
// each slice's maximum keeps exp from overflowing.
template <typename T, bool Log>
void softmax_kernel(const T* x, T* y, const DimSplit& s) {
  const int64_t outer = s.outer, n = s.size, inner = s.inner;
  const bool parallel = outer * n * inner >= kernels::parallel_grain && omp_get_max_threads() > 1 &&
                        !omp_in_parallel();
  if (inner == 1) {
    // Each slice is a contiguous row: the common case (softmax over the last dim).
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t row = 0; row < outer; ++row) {
      const T* a = x + row * n;
      T* o = y + row * n;
      T m = -std::numeric_limits<T>::infinity();
      // A NaN is skipped by max but then poisons the total, so its whole slice becomes NaN.
      for (int64_t j = 0; j < n; ++j) m = std::max(m, a[j]);
      T total = 0;
      if constexpr (Log) {
        for (int64_t j = 0; j < n; ++j) total += std::exp(a[j] - m);
        T log_total = std::log(total);
        for (int64_t j = 0; j < n; ++j) o[j] = (a[j] - m) - log_total;
      } else {
        for (int64_t j = 0; j < n; ++j) {
          o[j] = std::exp(a[j] - m);
          total += o[j];
        }
        T inverse = T(1) / total;
        for (int64_t j = 0; j < n; ++j) o[j] *= inverse;
      }
    }
    return;
  }
  // Strided slices: walk n with the inner dim innermost, a block of inner positions at a time,
  // so every pass reads memory contiguously.
  constexpr int64_t block = 256;
  const int64_t blocks = (inner + block - 1) / block;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t task = 0; task < outer * blocks; ++task) {
    const int64_t o_index = task / blocks, begin = (task % blocks) * block;
    const int64_t width = std::min(block, inner - begin);
    const T* a = x + o_index * n * inner + begin;
    T* o = y + o_index * n * inner + begin;
    T m[block], total[block];
    for (int64_t i = 0; i < width; ++i) {
      m[i] = -std::numeric_limits<T>::infinity();
      total[i] = 0;
    }
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t i = 0; i < width; ++i) {
        m[i] = std::max(m[i], a[j * inner + i]);
      }
    }
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t i = 0; i < width; ++i) {
        T e = std::exp(a[j * inner + i] - m[i]);
        if constexpr (!Log) o[j * inner + i] = e;
        total[i] += e;
      }
    }
    if constexpr (Log) {
      for (int64_t i = 0; i < width; ++i) total[i] = std::log(total[i]);
      for (int64_t j = 0; j < n; ++j) {
        for (int64_t i = 0; i < width; ++i) o[j * inner + i] = (a[j * inner + i] - m[i]) - total[i];
      }
    } else {
      for (int64_t i = 0; i < width; ++i) total[i] = T(1) / total[i];
      for (int64_t j = 0; j < n; ++j) {
        for (int64_t i = 0; i < width; ++i) o[j * inner + i] *= total[i];
      }
    }
  }
}

template <bool Log>
Tensor softmax_forward(const char* name, const Tensor& x, int64_t dim) {
  int64_t d = normalize_dim(dim, x.dim(), name);
  Dtype dtype = x.is_floating_point() ? x.dtype() : Dtype::float32;
  Tensor cx = kernels::convert(x, dtype);  // contiguous
  Tensor y = empty(x.shape(), dtype);
  DimSplit s = x.dim() == 0 ? DimSplit{} : split_at(x.shape(), d);
  if (y.numel() > 0) {
    dispatch_floating(dtype, name, [&]<typename T>() {
      softmax_kernel<T, Log>(cx.data_ptr<T>(), y.data_ptr<T>(), s);
    });
  }
  return y;
}

bool relu_backward_fusable(const Tensor& dy, const Tensor& y) {
  return (y.dtype() == Dtype::float32 || y.dtype() == Dtype::float64) && dy.dtype() == y.dtype() &&
         dy.shape() == y.shape();
}

// dy where y > 0, else 0 (NaN in y gives 0, as the comparison does).
Tensor relu_backward(const Tensor& dy, const Tensor& y) {
  Tensor dx = empty(y.shape(), y.dtype());
  dispatch_floating(y.dtype(), "relu", [&]<typename T>() {
    kernels::map2<T, T, T>(dy, y, dx, [](T g, T v) { return v > T(0) ? g : T(0); });
  });
  return dx;
}

}  // namespace

Tensor relu(const Tensor& x) {
  // Integer tensors stay integer, as in PyTorch.
  Dtype dtype = x.dtype() == Dtype::bool_ ? Dtype::float32 : x.dtype();
  Tensor y = detail::unary_op(x, dtype, []<typename T>() {
    return [](T v) { return v < T(0) ? T(0) : v; };  // NaN passes through
  });
  return autograd::record("relu", y, {x}, [](const Tensor& dy, const Tensor& y) {
    // relu'(0) = 0. One pass without a mask tensor, unless the gradient must be differentiable
    // (create_graph: grad mode is on during backward exactly then).
    if (!is_grad_enabled() && relu_backward_fusable(dy, y)) return grads{relu_backward(dy, y)};
    return grads{where(y > 0.0, dy, 0.0)};
  });
}

Tensor relu6(const Tensor& x) { return hardtanh_impl("relu6", x, 0.0, 6.0); }

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  Tensor y = floating_unary_op(x, [&]<typename T>() {
    T slope = static_cast<T>(negative_slope);
    return [slope](T v) { return v > T(0) ? v : v * slope; };
  });
  return autograd::record("leaky_relu", y, {x}, [x, negative_slope](const Tensor& dy) {
    return grads{where(x > 0.0, dy, dy * negative_slope)};
  });
}

Tensor prelu(const Tensor& x, const Tensor& weight) {
  if (weight.dim() > 1) {
    throw ShapeError("prelu: weight must be 0-D or 1-D ([1] or [C]), got " +
                     shape_string(weight.shape()));
  }
  const int64_t channels = x.dim() >= 2 ? x.size(1) : 1;
  const int64_t count = weight.numel();
  if (count != 1 && count != channels) {
    throw ShapeError("prelu: weight " + shape_string(weight.shape()) + " has " +
                     std::to_string(count) + " slopes but input " + shape_string(x.shape()) +
                     " has " + std::to_string(channels) + " channels (dim 1); expected 1 or " +
                     std::to_string(channels));
  }
  // The slopes broadcast along dim 1: [C] -> [1, C, 1, ...].
  Shape broadcast_shape;
  if (count != 1) {
    broadcast_shape.assign(x.dim(), 1);
    broadcast_shape[1] = count;
  }
  Dtype dtype = promote_types(x.dtype(), weight.dtype());
  if (!is_floating_point(dtype)) dtype = Dtype::float32;
  Tensor cw = kernels::convert(weight, dtype).reshape(broadcast_shape);
  Tensor y = detail::binary_op("prelu", x, cw, dtype, []<typename T>() {
    // binary_op instantiates every dtype; only the floating ones run (dtype is floating).
    return [](T v, T a) { return v > T(0) ? v : static_cast<T>(a * v); };
  });
  return autograd::record("prelu", y, {x, weight}, [x, weight, broadcast_shape](const Tensor& dy) {
    Tensor w = reshape(weight, broadcast_shape);
    Tensor positive = x > 0.0;
    Tensor dw = where(positive, 0.0, dy * x);
    Dims reduce;
    for (int64_t d = 0; d < dw.dim(); ++d) {
      if (!(weight.numel() != 1 && d == 1)) reduce.push_back(d);
    }
    if (!reduce.empty()) dw = sum(dw, reduce);
    return grads{where(positive, dy, dy * w), reshape(dw, weight.shape())};
  });
}

Tensor elu(const Tensor& x, double alpha) { return elu_impl("elu", x, alpha, 1.0, 1.0); }

Tensor selu(const Tensor& x) {
  // Klambauer et al. (2017): the fixed point of mean 0, variance 1.
  constexpr double alpha = 1.6732632423543772848170429916717;
  constexpr double scale = 1.0507009873554804934193349852946;
  return elu_impl("selu", x, alpha, scale, 1.0);
}

Tensor celu(const Tensor& x, double alpha) {
  if (alpha == 0) throw ValueError("celu: alpha must not be 0 (it divides x)");
  return elu_impl("celu", x, alpha, 1.0, 1.0 / alpha);
}

Tensor gelu(const Tensor& x, std::string_view approximate) {
  if (approximate == "none") {
    Tensor y = floating_unary_op(x, []<typename T>() {
      return [](T v) { return v * T(0.5) * (T(1) + std::erf(v * T(M_SQRT1_2))); };
    });
    return autograd::record("gelu", y, {x}, [x](const Tensor& dy) {
      Tensor pdf = exp(-0.5 * square(x)) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
      return grads{dy * (normal_cdf(x) + x * pdf)};
    });
  }
  if (approximate == "tanh") {
    constexpr double beta = M_SQRT2 * M_2_SQRTPI * 0.5;  // sqrt(2 / pi)
    constexpr double kappa = 0.044715;
    Tensor y = floating_unary_op(x, []<typename T>() {
      return [](T v) {
        T inner = T(beta) * (v + T(kappa) * v * v * v);
        return T(0.5) * v * (T(1) + std::tanh(inner));
      };
    });
    return autograd::record("gelu", y, {x}, [x](const Tensor& dy) {
      Tensor x2 = square(x);
      Tensor t = tanh((x + kappa * x2 * x) * beta);
      Tensor inner_grad = (1.0 + (3 * kappa) * x2) * beta;
      return grads{dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - square(t)) * inner_grad)};
    });
  }
  throw ValueError("gelu: approximate must be \"none\" or \"tanh\", got \"" +
                   std::string(approximate) + "\"");
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  Tensor y = floating_unary_op(x, [&]<typename T>() {
    T b = static_cast<T>(beta), limit = static_cast<T>(threshold);
    // Above the threshold softplus is x to within rounding; log1p(exp) would overflow.
    return [b, limit](T v) { return v * b > limit ? v : std::log1p(std::exp(v * b)) / b; };
  });
  return autograd::record("softplus", y, {x}, [x, beta, threshold](const Tensor& dy) {
    Tensor scaled = x * beta;
    return grads{where(scaled > threshold, dy, dy * sigmoid(scaled))};
  });
}

Tensor softsign(const Tensor& x) {
  Tensor y = floating_unary_op(
      x, []<typename T>() { return [](T v) { return v / (T(1) + std::abs(v)); }; });
  return autograd::record("softsign", y, {x},
                          [x](const Tensor& dy) { return grads{dy / square(1.0 + abs(x))}; });
}

Tensor silu(const Tensor& x) {
  Tensor y = floating_unary_op(
      x, []<typename T>() { return [](T v) { return v / (T(1) + std::exp(-v)); }; });
  return autograd::record("silu", y, {x}, [x](const Tensor& dy) {
    Tensor s = sigmoid(x);
    return grads{dy * (s * (1.0 + x * (1.0 - s)))};
  });
}

Tensor mish(const Tensor& x) {
  Tensor y = floating_unary_op(
      x, []<typename T>() { return [](T v) { return v * std::tanh(std::log1p(std::exp(v))); }; });
  return autograd::record("mish", y, {x}, [x](const Tensor& dy) {
    Tensor t = tanh(softplus(x));
    return grads{dy * (t + x * sigmoid(x) * (1.0 - square(t)))};
  });
}

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  return hardtanh_impl("hardtanh", x, min_val, max_val);
}

Tensor hard_sigmoid(const Tensor& x) {
  Tensor y = floating_unary_op(x, []<typename T>() {
    return [](T v) { return std::min(std::max(v + T(3), T(0)), T(6)) / T(6); };
  });
  return autograd::record("hard_sigmoid", y, {x}, [x](const Tensor& dy) {
    // Zero at -3 and 3 themselves, as PyTorch.
    return grads{where(logical_and(x > -3.0, x < 3.0), dy / 6.0, 0.0)};
  });
}

Tensor hard_swish(const Tensor& x) {
  Tensor y = floating_unary_op(x, []<typename T>() {
    return [](T v) { return v * std::min(std::max(v + T(3), T(0)), T(6)) / T(6); };
  });
  return autograd::record("hard_swish", y, {x}, [x](const Tensor& dy) {
    // The middle piece's slope x/3 + 1/2 holds at -3 and 3 inclusive, as PyTorch's scalar kernel
    // (torch 1.13's vectorized kernel gives slope 1 at exactly 3).
    Tensor middle = dy * (x / 3.0 + 0.5);
    return grads{where(x < -3.0, 0.0, where(x <= 3.0, middle, dy))};
  });
}

Tensor log_sigmoid(const Tensor& x) {
  Tensor y = floating_unary_op(x, []<typename T>() {
    // min(x, 0) - log(1 + exp(-|x|)): exp never overflows.
    return [](T v) { return std::min(v, T(0)) - std::log1p(std::exp(-std::abs(v))); };
  });
  return autograd::record("log_sigmoid", y, {x},
                          [x](const Tensor& dy) { return grads{dy * sigmoid(-x)}; });
}

Tensor softmax(const Tensor& x, int64_t dim) {
  Tensor y = softmax_forward<false>("softmax", x, dim);
  return autograd::record("softmax", y, {x}, [dim](const Tensor& dy, const Tensor& y) {
    return grads{y * (dy - sum(dy * y, {dim}, true))};
  });
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  Tensor y = softmax_forward<true>("log_softmax", x, dim);
  return autograd::record("log_softmax", y, {x}, [dim](const Tensor& dy, const Tensor& y) {
    return grads{dy - exp(y) * sum(dy, {dim}, true)};
  });
}

Tensor softmin(const Tensor& x, int64_t dim) {
  normalize_dim(dim, x.dim(), "softmin");  // name this op in the error, not softmax
  return softmax(-(x.is_floating_point() ? x : kernels::convert(x, Dtype::float32)), dim);
}

// PyTorch has no maxout op. The gradient goes to one maximum per group, the first on ties (as
// torch.max along a dim picks the first index), so gradients sum to dy exactly rather than being
// split.
Tensor maxout(const Tensor& x, int64_t pieces, int64_t dim) {
  if (x.dim() == 0)
    throw ShapeError("maxout: expected a tensor with at least 1 dim, got a 0-dim tensor");
  if (pieces < 1) throw ValueError("maxout: pieces must be >= 1, got " + std::to_string(pieces));
  const int64_t d = normalize_dim(dim, x.dim(), "maxout");
  const int64_t features = x.size(d);
  if (features % pieces != 0) {
    throw ShapeError("maxout: dim " + std::to_string(d) + " of input " + shape_string(x.shape()) +
                     " has size " + std::to_string(features) + ", not divisible by pieces " +
                     std::to_string(pieces));
  }
  const int64_t groups = features / pieces;
  Dtype dtype = x.is_floating_point() ? x.dtype() : Dtype::float32;
  Tensor cx = kernels::convert(x, dtype);
  Shape out_shape = x.shape();
  out_shape[d] = groups;
  Shape split_shape = x.shape();  // [..., groups, pieces, ...]
  split_shape[d] = groups;
  split_shape.insert(split_shape.begin() + d + 1, pieces);
  Tensor y = empty(out_shape, dtype);
  Tensor chosen = zeros(split_shape, {.dtype = dtype});  // 1 at each group's maximum
  DimSplit s = split_at(x.shape(), d);
  const int64_t outer = s.outer, inner = s.inner;
  dispatch_floating(dtype, "maxout", [&]<typename T>() {
    const T* in = cx.data_ptr<T>();
    T* out = y.data_ptr<T>();
    T* mask = chosen.data_ptr<T>();
    const int64_t rows = outer * groups;
    const bool parallel = x.numel() >= kernels::parallel_grain;
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t row = 0; row < rows; ++row) {
      const T* a = in + row * pieces * inner;
      for (int64_t i = 0; i < inner; ++i) {
        int64_t best = 0;
        T value = a[i];
        for (int64_t k = 1; k < pieces && !std::isnan(value); ++k) {
          T v = a[k * inner + i];
          if (v > value || std::isnan(v)) {
            value = v;
            best = k;
          }
        }
        out[row * inner + i] = value;
        mask[row * pieces * inner + best * inner + i] = T(1);
      }
    }
  });
  return autograd::record("maxout", y, {x}, [chosen, d, x_shape = x.shape()](const Tensor& dy) {
    return grads{reshape(unsqueeze(dy, d + 1) * chosen, x_shape)};
  });
}

}  // namespace cajal
