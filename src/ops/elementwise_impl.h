#pragma once
// Shared machinery of the elementwise ops (private to src/ops).
#include <string>

#include "cajal/core/tensor.h"
#include "cajal/kernels/elementwise.h"

namespace cajal::detail {

// Runs make<T>()(x, y) over the broadcast of a and b, both read as dtype `dtype` (the inputs are
// converted first when they differ). The functor's return type picks the output dtype.
template <typename Make>
Tensor binary_op(const char* op, const Tensor& a, const Tensor& b, Dtype dtype, Make make) {
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor ca = a.dtype() == dtype ? a : kernels::convert(a, dtype);
  Tensor cb = b.dtype() == dtype ? b : kernels::convert(b, dtype);
  return dispatch(dtype, [&]<typename T>() {
    auto f = make.template operator()<T>();
    using R = decltype(f(T{}, T{}));
    Tensor out = empty(shape, dtype_of_v<R>);
    kernels::map2<R, T, T>(ca, cb, out, f);
    return out;
  });
}

// Runs make<T>()(x) over x read as dtype `dtype`.
template <typename Make>
Tensor unary_op(const Tensor& x, Dtype dtype, Make make) {
  Tensor cx = x.dtype() == dtype ? x : kernels::convert(x, dtype);
  return dispatch(dtype, [&]<typename T>() {
    auto f = make.template operator()<T>();
    using R = decltype(f(T{}));
    Tensor out = empty(x.shape(), dtype_of_v<R>);
    kernels::map<R, T>(cx, out, f);
    return out;
  });
}

// Like unary_op for ops defined on floating point: integer and bool inputs compute in float32.
// vector_math: the functor calls expf/tanhf, which have SIMD versions; run it through
// kernels::map_lanes so every element gets the same (vector) code.
template <typename Make>
Tensor floating_unary_op(const Tensor& x, Make make, bool vector_math = false) {
  Dtype dtype = is_floating_point(x.dtype()) ? x.dtype() : Dtype::float32;
  return dispatch_floating(dtype, "unary op", [&]<typename T>() {
    Tensor cx = x.dtype() == dtype ? x : kernels::convert(x, dtype);
    auto f = make.template operator()<T>();
    Tensor out = empty(x.shape(), dtype);
    if (vector_math) {
      kernels::map_lanes<T>(cx, out, f);
    } else {
      kernels::map<T, T>(cx, out, f);
    }
    return out;
  });
}

}  // namespace cajal::detail
