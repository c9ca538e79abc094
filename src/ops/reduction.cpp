#include "cajal/ops/reduction.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <type_traits>

#include "cajal/autograd/node.h"
#include "cajal/core/creation.h"
#include "cajal/kernels/reduce.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/math.h"
#include "cajal/ops/view.h"
#include "reduction_impl.h"

namespace cajal {

using autograd::grads;

namespace detail {

std::vector<bool> reduced_dims(const Dims& dims, int64_t rank, const char* op) {
  std::vector<bool> reduce(rank, dims.empty());
  for (int64_t d : dims) {
    int64_t n = normalize_dim(d, rank, op);
    if (rank == 0) continue;
    if (reduce[n]) {
      throw ValueError(std::string(op) + ": dim " + std::to_string(n) +
                       " appears more than once in " + shape_string(dims));
    }
    reduce[n] = true;
  }
  return reduce;
}

Shape reduced_shape(const Shape& shape, const std::vector<bool>& reduce, bool keepdim) {
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!reduce[d])
      out.push_back(shape[d]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

int64_t reduced_count(const Shape& shape, const std::vector<bool>& reduce) {
  int64_t n = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (reduce[d]) n *= shape[d];
  }
  return n;
}

Tensor keep_reduced(const Tensor& g, const Shape& input_shape, const std::vector<bool>& reduce,
                    bool keepdim) {
  return keepdim ? g : reshape(g, reduced_shape(input_shape, reduce, true));
}

Tensor expand_reduced(const Tensor& g, const Shape& input_shape, const std::vector<bool>& reduce,
                      bool keepdim) {
  return expand(keep_reduced(g, input_shape, reduce, keepdim), input_shape);
}

void require_floating(const Tensor& x, const char* op) {
  if (!x.is_floating_point()) {
    throw ValueError(std::string(op) + ": expected a floating-point tensor, got " +
                     std::string(dtype_name(x.dtype())) + " (convert with to(float32))");
  }
}

}  // namespace detail

namespace {

using detail::expand_reduced;
using detail::keep_reduced;

// The dims `reduce` marks, as a list for the ops that take one.
Dims dims_of(const std::vector<bool>& reduce) {
  Dims dims;
  for (size_t d = 0; d < reduce.size(); ++d) {
    if (reduce[d]) dims.push_back(static_cast<int64_t>(d));
  }
  return dims;
}

// max/min have no identity, so reducing nothing is an error (as in PyTorch).
void require_nonempty(const Tensor& x, const std::vector<bool>& reduce, const char* op) {
  if (detail::reduced_count(x.shape(), reduce) != 0) return;
  std::string message =
      std::string(op) + ": cannot reduce an empty tensor (input " + shape_string(x.shape());
  if (x.dim() > 0 && static_cast<int64_t>(dims_of(reduce).size()) < x.dim()) {
    message += ", reducing dims " + shape_string(dims_of(reduce));
  }
  throw ValueError(message + ")");
}

template <typename T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(v);
  else
    return false;
}

// Whether `v` replaces `current` as the running extreme: NaN wins and then sticks (PyTorch's
// propagation); ties keep the current, i.e. the first occurrence.
template <typename T, bool kMax>
bool replaces(T v, T current) {
  if (is_nan(current)) return false;
  if (is_nan(v)) return true;
  if constexpr (kMax)
    return v > current;
  else
    return v < current;
}

template <typename T, bool kMax>
void extreme_kernel(const Tensor& x, const std::vector<bool>& reduce, const Tensor& out) {
  T init;
  if constexpr (std::is_floating_point_v<T>) {
    init = kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
  } else {
    init = kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  auto pick = [](T acc, T v) { return replaces<T, kMax>(v, acc) ? v : acc; };
  kernels::reduce<T, T>(
      x, reduce, out, init, [pick](T acc, T v, int64_t) { return pick(acc, v); }, pick,
      [](T acc) { return acc; });
}

// out (int64) = the position, within the reduced set in row-major order, of the first extreme.
template <typename T, bool kMax>
void arg_extreme_kernel(const Tensor& x, const std::vector<bool>& reduce, const Tensor& out) {
  struct Best {
    T value;
    int64_t index;  // -1 until an element is seen
  };
  auto better = [](const Best& candidate, const Best& best) {
    return candidate.index >= 0 &&
           (best.index < 0 || replaces<T, kMax>(candidate.value, best.value));
  };
  // Partial results merge in element order, so a tie keeps the earlier one.
  kernels::reduce<int64_t, T>(
      x, reduce, out, Best{T{}, -1},
      [better](Best best, T v, int64_t i) {
        Best candidate{v, i};
        return better(candidate, best) ? candidate : best;
      },
      [better](Best a, Best b) { return better(b, a) ? b : a; },
      [](const Best& best) { return best.index; });
}

Tensor arg_extreme(const char* op, const Tensor& x, const std::vector<bool>& reduce, bool keepdim,
                   bool take_max) {
  require_nonempty(x, reduce, op);
  Tensor indices = empty(detail::reduced_shape(x.shape(), reduce, keepdim), Dtype::int64);
  dispatch(x.dtype(), [&]<typename T>() {
    if (take_max)
      arg_extreme_kernel<T, true>(x, reduce, indices);
    else
      arg_extreme_kernel<T, false>(x, reduce, indices);
  });
  return indices;
}

// Values and gradient of max/min/amax/amin over a set of dims. The gradient is split evenly
// among the elements equal to the result (NaN counting as equal to a NaN result), as PyTorch does
// for amax and for max without a dim.
Tensor extreme_over(const char* op, const Tensor& x, const Dims& dims, bool keepdim,
                    bool take_max) {
  std::vector<bool> reduce = detail::reduced_dims(dims, x.dim(), op);
  require_nonempty(x, reduce, op);
  Tensor y = empty(detail::reduced_shape(x.shape(), reduce, keepdim), x.dtype());
  dispatch(x.dtype(), [&]<typename T>() {
    if (take_max)
      extreme_kernel<T, true>(x, reduce, y);
    else
      extreme_kernel<T, false>(x, reduce, y);
  });
  return autograd::record(op, y, {x}, [x, reduce, keepdim](const Tensor& dy, const Tensor& y) {
    Tensor yk = keep_reduced(y, x.shape(), reduce, keepdim);
    Tensor hit = logical_or(eq(x, yk), logical_and(isnan(x), isnan(yk)));
    Tensor count = sum(to_dtype(hit, dy.dtype()), dims_of(reduce), true);
    return grads{where(hit, keep_reduced(dy, x.shape(), reduce, keepdim) / count, 0.0)};
  });
}

// max/min along one dim: the values of the first extreme and its int64 position. The gradient
// flows to that position only (PyTorch's semantics for max with a dim).
std::tuple<Tensor, Tensor> extreme_along(const char* op, const Tensor& x, int64_t dim, bool keepdim,
                                         bool take_max) {
  std::vector<bool> reduce = detail::reduced_dims(Dims{dim}, x.dim(), op);
  Tensor indices = arg_extreme(op, x, reduce, keepdim, take_max);
  Tensor values = empty(indices.shape(), x.dtype());
  // values[o] = x[kept coordinates of o, indices[o] along the reduced dim].
  Shape kept_shape, kept_strides;
  int64_t reduced_stride = 0;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (reduce[d]) {
      reduced_stride = x.stride(d);
    } else {
      kept_shape.push_back(x.size(d));
      kept_strides.push_back(x.stride(d));
    }
  }
  dispatch(x.dtype(), [&]<typename T>() {
    const T* xp = x.data_ptr<T>();
    const int64_t* ip = indices.data_ptr<int64_t>();
    T* vp = values.data_ptr<T>();
    const int64_t n = indices.numel();
    for (int64_t o = 0; o < n; ++o) {
      int64_t offset = 0, rest = o;
      for (int64_t d = static_cast<int64_t>(kept_shape.size()) - 1; d >= 0; --d) {
        offset += (rest % kept_shape[d]) * kept_strides[d];
        rest /= kept_shape[d];
      }
      vp[o] = xp[offset + ip[o] * reduced_stride];
    }
  });
  if (x.dim() == 0) {
    values = autograd::record(op, values, {x}, [](const Tensor& dy) { return grads{dy}; });
    return {values, indices};
  }
  int64_t d = normalize_dim(dim, x.dim(), op);
  Shape input_shape = x.shape();
  values = autograd::record(op, values, {x}, [input_shape, d, keepdim, indices](const Tensor& dy) {
    Shape along(input_shape.size(), 1);
    along[d] = input_shape[d];
    Tensor positions = arange(input_shape[d], {.dtype = Dtype::int64}).reshape(along);
    Tensor chosen = eq(positions, keepdim ? indices : unsqueeze(indices, d));
    return grads{where(chosen, keepdim ? dy : unsqueeze(dy, d), 0.0)};
  });
  return {values, indices};
}

bool worth_threads(int64_t work) {
  return work >= kernels::parallel_grain && omp_get_max_threads() > 1 && !omp_in_parallel();
}

// Sum of n contiguous values, in double. Four chains so additions overlap instead of waiting on
// each other.
template <typename T>
double fold_contiguous(const T* p, int64_t n) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    a0 += p[j];
    a1 += p[j + 1];
    a2 += p[j + 2];
    a3 += p[j + 3];
  }
  for (; j < n; ++j) a0 += p[j];
  return (a0 + a1) + (a2 + a3);
}

// A contiguous input whose reduced dims form one run reads as [outer, reduced, inner]; this sums
// the middle. Every output's order of additions is fixed by the shape alone, so results do not
// depend on the thread count.
template <typename T>
void sum_contiguous(const T* x, T* out, int64_t outer, int64_t reduced, int64_t inner) {
  if (inner == 1 && outer == 1) {
    // One long run: partial sums of fixed blocks in parallel, joined in block order.
    constexpr int64_t kBlock = 8192;
    const int64_t blocks = (reduced + kBlock - 1) / kBlock;
    std::vector<double> partial(blocks);
    auto run = [&](int64_t b) {
      partial[b] = fold_contiguous(x + b * kBlock, std::min(kBlock, reduced - b * kBlock));
    };
    if (worth_threads(reduced)) {
#pragma omp parallel for schedule(static)
      for (int64_t b = 0; b < blocks; ++b) run(b);
    } else {
      for (int64_t b = 0; b < blocks; ++b) run(b);
    }
    double total = 0;
    for (double v : partial) total += v;
    out[0] = static_cast<T>(total);
    return;
  }
  if (inner == 1) {
    auto run = [&](int64_t o) {
      out[o] = static_cast<T>(fold_contiguous(x + o * reduced, reduced));
    };
    if (worth_threads(outer * reduced)) {
#pragma omp parallel for schedule(static)
      for (int64_t o = 0; o < outer; ++o) run(o);
    } else {
      for (int64_t o = 0; o < outer; ++o) run(o);
    }
    return;
  }
  // Reducing outer dims (e.g. a bias gradient over the batch): add whole rows into a tile of
  // accumulators, which vectorizes, instead of walking each column with a stride.
  constexpr int64_t kTile = 512;
  const int64_t tiles_per_outer = (inner + kTile - 1) / kTile;
  auto run = [&](int64_t tile) {
    const int64_t o = tile / tiles_per_outer, j0 = (tile % tiles_per_outer) * kTile;
    const int64_t m = std::min(kTile, inner - j0);
    double acc[kTile] = {};
    const T* base = x + o * reduced * inner + j0;
    for (int64_t r = 0; r < reduced; ++r) {
      const T* row = base + r * inner;
      for (int64_t j = 0; j < m; ++j) acc[j] += row[j];
    }
    T* dest = out + o * inner + j0;
    for (int64_t j = 0; j < m; ++j) dest[j] = static_cast<T>(acc[j]);
  };
  const int64_t tiles = outer * tiles_per_outer;
  if (worth_threads(outer * reduced * inner) && tiles > 1) {
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < tiles; ++t) run(t);
  } else {
    for (int64_t t = 0; t < tiles; ++t) run(t);
  }
}

// For a contiguous x whose reduced dims are one run (size-1 dims may sit inside it), the sizes
// [outer, reduced, inner] that sum_contiguous takes.
std::optional<std::array<int64_t, 3>> contiguous_run(const Tensor& x,
                                                     const std::vector<bool>& reduce) {
  if (!x.is_contiguous()) return std::nullopt;
  const int64_t rank = x.dim();
  int64_t first = -1, last = -1;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduce[d] && x.size(d) != 1) {
      if (first < 0) first = d;
      last = d;
    }
  }
  if (first < 0) first = last = rank;  // nothing of size > 1 reduced: a copy
  std::array<int64_t, 3> sizes{1, 1, 1};
  for (int64_t d = 0; d < rank; ++d) {
    if (d >= first && d <= last) {
      if (!reduce[d] && x.size(d) != 1) return std::nullopt;
      sizes[1] *= x.size(d);
    } else if (reduce[d]) {
      continue;  // a reduced dim of size 1 outside the run
    } else {
      sizes[d < first ? 0 : 2] *= x.size(d);
    }
  }
  return sizes;
}

// Running moments about a shift (the first element seen), which keeps sum-of-squares
// cancellation small without a second pass.
struct Moments {
  double n = 0, shift = 0, sum = 0, sum_squares = 0;
};

Moments add_moment(Moments m, double v) {
  if (m.n == 0) m.shift = v;
  double t = v - m.shift;
  m.n += 1;
  m.sum += t;
  m.sum_squares += t * t;
  return m;
}

Moments merge_moments(const Moments& a, const Moments& b) {
  if (a.n == 0) return b;
  if (b.n == 0) return a;
  double delta = b.shift - a.shift;  // b's values relative to a's shift are t + delta
  Moments m = a;
  m.n += b.n;
  m.sum += b.sum + b.n * delta;
  m.sum_squares += b.sum_squares + 2 * delta * b.sum + b.n * delta * delta;
  return m;
}

// var (or std, with take_sqrt) values of x over `reduce`.
Tensor variance_kernel(const Tensor& x, const std::vector<bool>& reduce, int64_t correction,
                       bool keepdim, bool take_sqrt) {
  const double denominator =
      std::max(0.0, static_cast<double>(detail::reduced_count(x.shape(), reduce) - correction));
  Tensor y = empty(detail::reduced_shape(x.shape(), reduce, keepdim), x.dtype());
  dispatch_floating(x.dtype(), "var", [&]<typename T>() {
    kernels::reduce<T, T>(
        x, reduce, y, Moments{}, [](const Moments& m, T v, int64_t) { return add_moment(m, v); },
        merge_moments,
        [denominator, take_sqrt](const Moments& m) {
          // Rounding can leave a tiny negative; NaN (from inf or an empty set) must stay NaN.
          double m2 = m.sum_squares - m.sum * m.sum / m.n;
          if (m2 < 0) m2 = 0;
          double v = m2 / denominator;
          return static_cast<T>(take_sqrt ? std::sqrt(v) : v);
        });
  });
  return y;
}

// Online log-sum-exp: the running maximum and the sum of exp(x - maximum).
struct LogSumExp {
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0;  // 0 only while nothing has been seen
};

// exp in the input's precision (float's is much faster than double's; the sum stays double).
template <typename T>
LogSumExp add_logsumexp(LogSumExp acc, T value) {
  const double v = value;
  if (std::isnan(v)) {
    acc.max = v;
    acc.sum = v;
  } else if (v > acc.max) {
    // Rescale what was summed; -inf entries seen so far contribute nothing.
    acc.sum = acc.max == -std::numeric_limits<double>::infinity()
                  ? 1
                  : acc.sum * std::exp(static_cast<T>(acc.max - v)) + 1;
    acc.max = v;
  } else if (v == acc.max) {
    acc.sum += 1;  // also covers infinities, where v - max is NaN
  } else {
    acc.sum += std::exp(static_cast<T>(v - acc.max));  // a NaN max makes this NaN, as it should
  }
  return acc;
}

LogSumExp merge_logsumexp(const LogSumExp& a, const LogSumExp& b) {
  if (std::isnan(a.max) || std::isnan(b.max))
    return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  if (a.sum == 0) return b;
  if (b.sum == 0) return a;
  if (a.max == b.max) return {a.max, a.sum + b.sum};
  if (a.max > b.max) return {a.max, a.sum + b.sum * std::exp(b.max - a.max)};
  return {b.max, b.sum + a.sum * std::exp(a.max - b.max)};
}

std::string format_p(double p) {
  std::ostringstream os;
  os << p;
  return os.str();
}

}  // namespace

// ---- sum, mean ----------------------------------------------------------------------------------

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim) {
  std::vector<bool> reduce = detail::reduced_dims(dims, x.dim(), "sum");
  Dtype out_dtype = x.is_floating_point() ? x.dtype() : Dtype::int64;
  Tensor y = empty(detail::reduced_shape(x.shape(), reduce, keepdim), out_dtype);
  dispatch(x.dtype(), [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>) {
      if (auto run = contiguous_run(x, reduce)) {
        sum_contiguous(x.data_ptr<T>(), y.data_ptr<T>(), (*run)[0], (*run)[1], (*run)[2]);
        return;
      }
      // float32 sums accumulate in double: exact enough that results do not depend on order.
      kernels::reduce<T, T>(
          x, reduce, y, 0.0, [](double acc, T v, int64_t) { return acc + v; },
          [](double a, double b) { return a + b; }, [](double acc) { return static_cast<T>(acc); });
    } else {
      kernels::reduce<int64_t, T>(
          x, reduce, y, int64_t{0},
          [](int64_t acc, T v, int64_t) { return acc + static_cast<int64_t>(v); },
          [](int64_t a, int64_t b) { return a + b; }, [](int64_t acc) { return acc; });
    }
  });
  Shape input_shape = x.shape();
  return autograd::record("sum", y, {x}, [input_shape, reduce, keepdim](const Tensor& dy) {
    return grads{expand_reduced(dy, input_shape, reduce, keepdim)};
  });
}

Tensor sum(const Tensor& x) { return sum(x, Dims{}, false); }

Tensor mean(const Tensor& x, const Dims& dims, bool keepdim) {
  detail::require_floating(x, "mean");
  std::vector<bool> reduce = detail::reduced_dims(dims, x.dim(), "mean");
  int64_t count = detail::reduced_count(x.shape(), reduce);
  return sum(x, dims, keepdim) / static_cast<double>(count);
}

Tensor mean(const Tensor& x) { return mean(x, Dims{}, false); }

// ---- var, std -----------------------------------------------------------------------------------

Tensor var(const Tensor& x, const Dims& dims, int64_t correction, bool keepdim) {
  detail::require_floating(x, "var");
  std::vector<bool> reduce = detail::reduced_dims(dims, x.dim(), "var");
  Tensor y = variance_kernel(x, reduce, correction, keepdim, false);
  const double denominator =
      std::max(0.0, static_cast<double>(detail::reduced_count(x.shape(), reduce) - correction));
  return autograd::record("var", y, {x}, [x, reduce, keepdim, denominator](const Tensor& dy) {
    Tensor centered = x - mean(x, dims_of(reduce), true);
    return grads{keep_reduced(dy, x.shape(), reduce, keepdim) * centered * (2.0 / denominator)};
  });
}

Tensor var(const Tensor& x) { return var(x, Dims{}, 1, false); }

Tensor std(const Tensor& x, const Dims& dims, int64_t correction, bool keepdim) {
  detail::require_floating(x, "std");
  std::vector<bool> reduce = detail::reduced_dims(dims, x.dim(), "std");
  Tensor y = variance_kernel(x, reduce, correction, keepdim, true);
  const double denominator =
      std::max(0.0, static_cast<double>(detail::reduced_count(x.shape(), reduce) - correction));
  return autograd::record(
      "std", y, {x}, [x, reduce, keepdim, denominator](const Tensor& dy, const Tensor& y) {
        // d std = d var / (2 std); where std is 0 the gradient is defined as 0 (as PyTorch does).
        Tensor yk = keep_reduced(y, x.shape(), reduce, keepdim);
        Tensor zero = yk == 0.0;
        Tensor scale = keep_reduced(dy, x.shape(), reduce, keepdim) / where(zero, 1.0, yk);
        Tensor centered = x - mean(x, dims_of(reduce), true);
        return grads{where(zero, 0.0, scale * centered * (1.0 / denominator))};
      });
}

Tensor std(const Tensor& x) { return std(x, Dims{}, 1, false); }

// ---- max, min, amax, amin, argmax, argmin -------------------------------------------------------

Tensor max(const Tensor& x) { return extreme_over("max", x, Dims{}, false, true); }
Tensor min(const Tensor& x) { return extreme_over("min", x, Dims{}, false, false); }

std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_along("max", x, dim, keepdim, true);
}
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_along("min", x, dim, keepdim, false);
}

Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) {
  return extreme_over("amax", x, dims, keepdim, true);
}
Tensor amin(const Tensor& x, const Dims& dims, bool keepdim) {
  return extreme_over("amin", x, dims, keepdim, false);
}

Tensor argmax(const Tensor& x) {
  return arg_extreme("argmax", x, detail::reduced_dims(Dims{}, x.dim(), "argmax"), false, true);
}
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_extreme("argmax", x, detail::reduced_dims(Dims{dim}, x.dim(), "argmax"), keepdim,
                     true);
}
Tensor argmin(const Tensor& x) {
  return arg_extreme("argmin", x, detail::reduced_dims(Dims{}, x.dim(), "argmin"), false, false);
}
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_extreme("argmin", x, detail::reduced_dims(Dims{dim}, x.dim(), "argmin"), keepdim,
                     false);
}

// ---- logsumexp ----------------------------------------------------------------------------------

Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim) {
  detail::require_floating(x, "logsumexp");
  std::vector<bool> reduce = detail::reduced_dims(dims, x.dim(), "logsumexp");
  Tensor y = empty(detail::reduced_shape(x.shape(), reduce, keepdim), x.dtype());
  dispatch_floating(x.dtype(), "logsumexp", [&]<typename T>() {
    kernels::reduce<T, T>(
        x, reduce, y, LogSumExp{},
        [](const LogSumExp& acc, T v, int64_t) { return add_logsumexp(acc, v); }, merge_logsumexp,
        [](const LogSumExp& acc) {
          if (acc.sum == 0) return -std::numeric_limits<T>::infinity();
          return static_cast<T>(acc.max + std::log(acc.sum));
        });
  });
  // d/dx logsumexp = softmax(x) = exp(x - y).
  return autograd::record("logsumexp", y, {x},
                          [x, reduce, keepdim](const Tensor& dy, const Tensor& y) {
                            Tensor softmax = exp(x - keep_reduced(y, x.shape(), reduce, keepdim));
                            return grads{keep_reduced(dy, x.shape(), reduce, keepdim) * softmax};
                          });
}

// ---- norm ---------------------------------------------------------------------------------------

Tensor norm(const Tensor& x, double p, const Dims& dims, bool keepdim) {
  detail::require_floating(x, "norm");
  if (std::isnan(p) || p <= 0) {
    throw ValueError("norm: p must be positive (1, 2, inf or another p > 0), got " + format_p(p));
  }
  std::vector<bool> reduce = detail::reduced_dims(dims, x.dim(), "norm");
  if (p != 1 && p != 2 && !std::isinf(p)) {
    // General p by composition: (sum |x|^p)^(1/p).
    return pow(sum(pow(abs(x), p), dims, keepdim), 1.0 / p);
  }
  Tensor y = empty(detail::reduced_shape(x.shape(), reduce, keepdim), x.dtype());
  dispatch_floating(x.dtype(), "norm", [&]<typename T>() {
    if (p == 2) {
      kernels::reduce<T, T>(
          x, reduce, y, 0.0,
          [](double acc, T v, int64_t) { return acc + static_cast<double>(v) * v; },
          [](double a, double b) { return a + b; },
          [](double acc) { return static_cast<T>(std::sqrt(acc)); });
    } else if (p == 1) {
      kernels::reduce<T, T>(
          x, reduce, y, 0.0, [](double acc, T v, int64_t) { return acc + std::abs(double(v)); },
          [](double a, double b) { return a + b; }, [](double acc) { return static_cast<T>(acc); });
    } else {
      // max |x| with NaN propagating; 0 for an empty reduction (the norm of nothing).
      auto pick = [](T acc, T v) { return replaces<T, true>(v, acc) ? v : acc; };
      kernels::reduce<T, T>(
          x, reduce, y, T(0), [pick](T acc, T v, int64_t) { return pick(acc, std::abs(v)); }, pick,
          [](T acc) { return acc; });
    }
  });
  if (p == 2) {
    return autograd::record("norm", y, {x},
                            [x, reduce, keepdim](const Tensor& dy, const Tensor& y) {
                              // x / norm, taken as 0 where the norm is 0 (there x is 0 too, so
                              // dividing by 1 gives it).
                              Tensor yk = keep_reduced(y, x.shape(), reduce, keepdim);
                              Tensor safe = where(yk == 0.0, 1.0, yk);
                              return grads{keep_reduced(dy, x.shape(), reduce, keepdim) * x / safe};
                            });
  }
  if (p == 1) {
    return autograd::record("norm", y, {x}, [x, reduce, keepdim](const Tensor& dy) {
      return grads{keep_reduced(dy, x.shape(), reduce, keepdim) * sign(x)};
    });
  }
  return autograd::record("norm", y, {x}, [x, reduce, keepdim](const Tensor& dy, const Tensor& y) {
    // Split among the entries of largest |x| (and NaNs), signed.
    Tensor magnitude = abs(x);
    Tensor hit =
        logical_or(eq(magnitude, keep_reduced(y, x.shape(), reduce, keepdim)), isnan(magnitude));
    Tensor count = sum(to_dtype(hit, dy.dtype()), dims_of(reduce), true);
    return grads{sign(x) * where(hit, keep_reduced(dy, x.shape(), reduce, keepdim) / count, 0.0)};
  });
}

}  // namespace cajal
