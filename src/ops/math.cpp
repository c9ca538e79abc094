#include "cajal/ops/math.h"

#include <array>
#include <cmath>

#include "cajal/autograd/node.h"
#include "cajal/core/creation.h"
#include "cajal/kernels/loops.h"
#include "cajal/ops/arithmetic.h"
#include "elementwise_impl.h"

// glibc's libmvec has AVX2/AVX-512 versions of these (within 3 ulp of the exact result; NaN,
// infinities and signed zeros as the scalar functions). Declaring them SIMD-callable lets the
// compiler call the 16-lane versions from kernels::map_lanes. For the LSTM
// workload, scalar tanhf and expf took over 40% of the time (docs/performance.md).
extern "C" float expf(float) noexcept __attribute__((simd("notinbranch")));
extern "C" float tanhf(float) noexcept __attribute__((simd("notinbranch")));

namespace cajal {

using autograd::grads;
using detail::floating_unary_op;

Tensor exp(const Tensor& x) {
  Tensor y = floating_unary_op(
      x, []<typename T>() { return [](T v) { return std::exp(v); }; }, /*vector_math=*/true);
  return autograd::record("exp", y, {x},
                          [](const Tensor& dy, const Tensor& y) { return grads{dy * y}; });
}

Tensor log(const Tensor& x) {
  Tensor y = floating_unary_op(x, []<typename T>() { return [](T v) { return std::log(v); }; });
  return autograd::record("log", y, {x}, [x](const Tensor& dy) { return grads{dy / x}; });
}

Tensor log1p(const Tensor& x) {
  Tensor y = floating_unary_op(x, []<typename T>() { return [](T v) { return std::log1p(v); }; });
  return autograd::record("log1p", y, {x}, [x](const Tensor& dy) { return grads{dy / (x + 1)}; });
}

Tensor expm1(const Tensor& x) {
  Tensor y = floating_unary_op(x, []<typename T>() { return [](T v) { return std::expm1(v); }; });
  return autograd::record("expm1", y, {x},
                          [](const Tensor& dy, const Tensor& y) { return grads{dy * (y + 1)}; });
}

Tensor sqrt(const Tensor& x) {
  // Vectorized: the build's -fno-math-errno lets GCC turn std::sqrt into the SIMD instruction.
  Tensor y = floating_unary_op(x, []<typename T>() { return [](T v) { return std::sqrt(v); }; });
  return autograd::record("sqrt", y, {x},
                          [](const Tensor& dy, const Tensor& y) { return grads{dy / (2 * y)}; });
}

Tensor rsqrt(const Tensor& x) {
  Tensor y =
      floating_unary_op(x, []<typename T>() { return [](T v) { return T(1) / std::sqrt(v); }; });
  return autograd::record("rsqrt", y, {x}, [](const Tensor& dy, const Tensor& y) {
    return grads{-0.5 * dy * y * y * y};
  });
}

Tensor square(const Tensor& x) {
  Tensor y =
      detail::unary_op(x, x.dtype() == Dtype::bool_ ? Dtype::int64 : x.dtype(),
                       []<typename T>() { return [](T v) { return static_cast<T>(v * v); }; });
  return autograd::record("square", y, {x}, [x](const Tensor& dy) { return grads{dy * (2 * x)}; });
}

Tensor reciprocal(const Tensor& x) {
  Tensor y = floating_unary_op(x, []<typename T>() { return [](T v) { return T(1) / v; }; });
  return autograd::record("reciprocal", y, {x},
                          [](const Tensor& dy, const Tensor& y) { return grads{-dy * y * y}; });
}

Tensor abs(const Tensor& x) {
  Tensor y = detail::unary_op(x, x.dtype(), []<typename T>() {
    return [](T v) {
      // std::abs for floats so -0.0 becomes +0.0 (as in PyTorch); bool and uint8 are their own.
      if constexpr (std::is_floating_point_v<T>)
        return std::abs(v);
      else
        return v < T(0) ? static_cast<T>(-v) : v;
    };
  });
  return autograd::record("abs", y, {x}, [x](const Tensor& dy) { return grads{dy * sign(x)}; });
}

Tensor sign(const Tensor& x) {
  Tensor y = detail::unary_op(x, x.dtype(), []<typename T>() {
    return [](T v) { return static_cast<T>((T(0) < v) - (v < T(0))); };
  });
  return autograd::record("sign", y, {x}, [](const Tensor& dy) { return grads{zeros_like(dy)}; });
}

Tensor sin(const Tensor& x) {
  Tensor y = floating_unary_op(x, []<typename T>() { return [](T v) { return std::sin(v); }; });
  return autograd::record("sin", y, {x}, [x](const Tensor& dy) { return grads{dy * cos(x)}; });
}

Tensor cos(const Tensor& x) {
  Tensor y = floating_unary_op(x, []<typename T>() { return [](T v) { return std::cos(v); }; });
  return autograd::record("cos", y, {x}, [x](const Tensor& dy) { return grads{-dy * sin(x)}; });
}

Tensor tan(const Tensor& x) {
  Tensor y = floating_unary_op(x, []<typename T>() { return [](T v) { return std::tan(v); }; });
  return autograd::record(
      "tan", y, {x}, [](const Tensor& dy, const Tensor& y) { return grads{dy * (1 + y * y)}; });
}

Tensor tanh(const Tensor& x) {
  Tensor y = floating_unary_op(
      x, []<typename T>() { return [](T v) { return std::tanh(v); }; }, /*vector_math=*/true);
  return autograd::record(
      "tanh", y, {x}, [](const Tensor& dy, const Tensor& y) { return grads{dy * (1 - y * y)}; });
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = floating_unary_op(
      x,
      []<typename T>() {
        return [](T v) {
          // exp(-v) overflows to infinity for v below about -88 (float) and the quotient is then
          // exactly 0, the correctly rounded result; NaN stays NaN. Without a branch the loop
          // vectorizes.
          return T(1) / (T(1) + std::exp(-v));
        };
      },
      /*vector_math=*/true);
  return autograd::record(
      "sigmoid", y, {x}, [](const Tensor& dy, const Tensor& y) { return grads{dy * y * (1 - y)}; });
}

namespace {
template <typename F>
Tensor piecewise_constant(const char* name, const Tensor& x, F f) {
  Tensor y = detail::unary_op(x, x.dtype(), [f]<typename T>() {
    return [f](T v) {
      if constexpr (std::is_floating_point_v<T>)
        return static_cast<T>(f(v));
      else
        return v;
    };
  });
  return autograd::record(name, y, {x}, [](const Tensor& dy) { return grads{zeros_like(dy)}; });
}
}  // namespace

Tensor floor(const Tensor& x) {
  return piecewise_constant("floor", x, [](auto v) { return std::floor(v); });
}
Tensor ceil(const Tensor& x) {
  return piecewise_constant("ceil", x, [](auto v) { return std::ceil(v); });
}
Tensor round(const Tensor& x) {
  return piecewise_constant("round", x, [](auto v) { return std::nearbyint(v); });
}

}  // namespace cajal
