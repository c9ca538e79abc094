#include "cajal/ops/reduction.h"

#include "cajal/autograd/node.h"
#include "cajal/core/creation.h"
#include "cajal/kernels/reduce.h"
#include "cajal/ops/arithmetic.h"
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
      throw ValueError(std::string(op) + ": dim " + std::to_string(n) + " appears more than once in " +
                       shape_string(dims));
    }
    reduce[n] = true;
  }
  return reduce;
}

Shape reduced_shape(const Shape& shape, const std::vector<bool>& reduce, bool keepdim) {
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!reduce[d]) out.push_back(shape[d]);
    else if (keepdim) out.push_back(1);
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

Tensor expand_reduced(const Tensor& g, const Shape& input_shape, const std::vector<bool>& reduce,
                      bool keepdim) {
  Tensor kept = keepdim ? g : reshape(g, reduced_shape(input_shape, reduce, true));
  return expand(kept, input_shape);
}

}  // namespace detail

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim) {
  std::vector<bool> reduce = detail::reduced_dims(dims, x.dim(), "sum");
  Dtype out_dtype = x.is_floating_point() ? x.dtype() : Dtype::int64;
  Tensor y = empty(detail::reduced_shape(x.shape(), reduce, keepdim), out_dtype);
  dispatch(x.dtype(), [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>) {
      // float32 sums accumulate in double: exact enough that results do not depend on order.
      kernels::reduce<T, T>(
          x, reduce, y, 0.0, [](double acc, T v, int64_t) { return acc + v; },
          [](double a, double b) { return a + b; }, [](double acc) { return static_cast<T>(acc); });
    } else {
      kernels::reduce<int64_t, T>(
          x, reduce, y, int64_t{0}, [](int64_t acc, T v, int64_t) { return acc + static_cast<int64_t>(v); },
          [](int64_t a, int64_t b) { return a + b; }, [](int64_t acc) { return acc; });
    }
  });
  Shape input_shape = x.shape();
  return autograd::record("sum", y, {x}, [input_shape, reduce, keepdim](const Tensor& dy) {
    return grads{detail::expand_reduced(dy, input_shape, reduce, keepdim)};
  });
}

Tensor sum(const Tensor& x) { return sum(x, Dims{}, false); }

Tensor mean(const Tensor& x, const Dims& dims, bool keepdim) {
  if (!x.is_floating_point()) {
    throw ValueError("mean: expected a floating-point tensor, got " + std::string(dtype_name(x.dtype())) +
                     " (convert with to(float32))");
  }
  std::vector<bool> reduce = detail::reduced_dims(dims, x.dim(), "mean");
  int64_t count = detail::reduced_count(x.shape(), reduce);
  return sum(x, dims, keepdim) / static_cast<double>(count);
}

Tensor mean(const Tensor& x) { return mean(x, Dims{}, false); }

}  // namespace cajal
