#include "cajal/ops/arithmetic.h"

#include <cmath>

#include "cajal/autograd/node.h"
#include "cajal/core/creation.h"
#include "cajal/ops/math.h"
#include "cajal/ops/view.h"
#include "elementwise_impl.h"

namespace cajal {

using autograd::grads;
using detail::binary_op;

Tensor scalar_tensor(Scalar value, Dtype dtype) {
  Tensor t = empty({}, dtype);
  dispatch(dtype, [&]<typename T>() { *t.data_ptr<T>() = value.to<T>(); });
  return t;
}

namespace {
// PyTorch's rule: tensors with dims decide the dtype within a category (bool < integer <
// floating); a 0-dim tensor can only raise the category. So float32 [3] * float64 [] is float32,
// while int64 [3] * float64 [] is float64.
Dtype result_type(const Tensor& a, const Tensor& b) {
  bool a_scalar = a.dim() == 0, b_scalar = b.dim() == 0;
  if (a_scalar == b_scalar) return promote_types(a.dtype(), b.dtype());
  Dtype dimensioned = a_scalar ? b.dtype() : a.dtype();
  Dtype zero_dim = a_scalar ? a.dtype() : b.dtype();
  if (is_floating_point(dimensioned)) return dimensioned;
  if (dimensioned == Dtype::bool_ || is_floating_point(zero_dim)) {
    return promote_types(dimensioned, zero_dim);
  }
  return dimensioned;
}

// float32 for integer true division and for other float-only results.
Dtype floating_result(Dtype d) { return is_floating_point(d) ? d : Dtype::float32; }

template <typename T>
T cast(auto v) {
  if constexpr (std::is_same_v<T, bool>)
    return v != 0;
  else
    return static_cast<T>(v);
}

// base^n for integer types by repeated squaring (n >= 0); wraps like the type's multiplication.
template <typename T>
T integer_pow(T base, int64_t n) {
  T result = 1;
  while (n > 0) {
    if (n & 1) result = cast<T>(result * base);
    n >>= 1;
    if (n > 0) base = cast<T>(base * base);
  }
  return result;
}

// A real alpha would be truncated silently for an integer result; PyTorch refuses it too.
void check_alpha(const char* op, Dtype dtype, Scalar alpha) {
  if (!is_floating_point(dtype) && alpha.is_floating_point()) {
    throw ValueError(std::string(op) + ": alpha must be an integer for a " +
                     std::string(dtype_name(dtype)) + " result, got " +
                     std::to_string(alpha.to_double()));
  }
}
}  // namespace

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
  check_alpha("add", result_type(a, b), alpha);
  Tensor y = binary_op("add", a, b, result_type(a, b), [&]<typename T>() {
    T s = alpha.to<T>();
    return [s](T x, T z) { return cast<T>(x + s * z); };
  });
  return autograd::record("add", y, {a, b}, [alpha](const Tensor& dy) {
    bool unit = alpha.to_double() == 1.0;
    return grads{dy, unit ? dy : dy * alpha};
  });
}

Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
  if (a.dtype() == Dtype::bool_ && b.dtype() == Dtype::bool_) {
    throw ValueError("sub: subtracting bool tensors is not supported; use logical_xor or cast");
  }
  check_alpha("sub", result_type(a, b), alpha);
  Tensor y = binary_op("sub", a, b, result_type(a, b), [&]<typename T>() {
    T s = alpha.to<T>();
    return [s](T x, T z) { return cast<T>(x - s * z); };
  });
  return autograd::record("sub", y, {a, b}, [alpha](const Tensor& dy) {
    return grads{dy, -alpha.to_double() * dy};
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary_op("mul", a, b, result_type(a, b),
                       []<typename T>() { return [](T x, T z) { return cast<T>(x * z); }; });
  return autograd::record("mul", y, {a, b}, [a, b](const Tensor& dy) {
    return grads{a.requires_grad() ? dy * b : Tensor(), b.requires_grad() ? dy * a : Tensor()};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = binary_op("div", a, b, floating_result(result_type(a, b)),
                       []<typename T>() { return [](T x, T z) { return cast<T>(x / z); }; });
  return autograd::record("div", y, {a, b}, [a, b](const Tensor& dy) {
    return grads{a.requires_grad() ? dy / b : Tensor(),
                 b.requires_grad() ? -dy * a / (b * b) : Tensor()};
  });
}

Tensor neg(const Tensor& x) {
  if (x.dtype() == Dtype::bool_)
    throw ValueError("neg: negation of a bool tensor is not supported; use logical_not");
  Tensor y =
      detail::unary_op(x, x.dtype(), []<typename T>() { return [](T v) { return cast<T>(-v); }; });
  return autograd::record("neg", y, {x}, [](const Tensor& dy) { return grads{neg(dy)}; });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, Scalar b) {
  return add(a, scalar_tensor(b, b.result_type_with(a.dtype())));
}
Tensor operator-(const Tensor& a, Scalar b) {
  return sub(a, scalar_tensor(b, b.result_type_with(a.dtype())));
}
Tensor operator*(const Tensor& a, Scalar b) {
  return mul(a, scalar_tensor(b, b.result_type_with(a.dtype())));
}
Tensor operator/(const Tensor& a, Scalar b) {
  return div(a, scalar_tensor(b, b.result_type_with(a.dtype())));
}
Tensor operator+(Scalar a, const Tensor& b) {
  return add(scalar_tensor(a, a.result_type_with(b.dtype())), b);
}
Tensor operator-(Scalar a, const Tensor& b) {
  return sub(scalar_tensor(a, a.result_type_with(b.dtype())), b);
}
Tensor operator*(Scalar a, const Tensor& b) {
  return mul(scalar_tensor(a, a.result_type_with(b.dtype())), b);
}
Tensor operator/(Scalar a, const Tensor& b) {
  return div(scalar_tensor(a, a.result_type_with(b.dtype())), b);
}
Tensor operator-(const Tensor& x) { return neg(x); }

Tensor pow(const Tensor& base, Scalar exponent) {
  Dtype dtype = exponent.result_type_with(base.dtype());
  double e = exponent.to_double();
  Tensor y = detail::unary_op(base, dtype, [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>) {
      T te = static_cast<T>(e);
      bool squared = e == 2;
      return [te, squared](T v) { return squared ? v * v : std::pow(v, te); };
    } else {
      if (e < 0) {
        throw ValueError("pow: integer tensors cannot be raised to a negative exponent (" +
                         std::to_string(exponent.to_int()) + ")");
      }
      int64_t n = exponent.to_int();
      return [n](T v) { return integer_pow<T>(v, n); };
    }
  });
  return autograd::record("pow", y, {base}, [base, e](const Tensor& dy) {
    if (e == 0) return grads{zeros_like(dy)};
    if (e == 1) return grads{dy};
    if (e == 2) return grads{dy * (2 * base)};
    return grads{dy * (e * pow(base, e - 1))};
  });
}

Tensor pow(const Tensor& base, const Tensor& exponent) {
  // Integer powers stay integral, as in PyTorch; a negative integer exponent has no such result.
  Dtype dtype = result_type(base, exponent);
  if (!is_floating_point(dtype)) {
    broadcast_shapes(base.shape(), exponent.shape(), "pow");  // shape errors before value errors
    Tensor e = kernels::convert(exponent, Dtype::int64);
    const int64_t* p = e.data_ptr<int64_t>();
    for (int64_t i = 0; i < e.numel(); ++i) {
      if (p[i] < 0) {
        throw ValueError("pow: integer tensors cannot be raised to a negative exponent (" +
                         std::to_string(p[i]) + ")");
      }
    }
  }
  Tensor y = binary_op("pow", base, exponent, dtype, []<typename T>() {
    if constexpr (std::is_floating_point_v<T>) {
      return [](T x, T z) { return std::pow(x, z); };
    } else {
      return [](T x, T z) { return integer_pow<T>(x, static_cast<int64_t>(z)); };
    }
  });
  return autograd::record("pow", y, {base, exponent},
                          [base, exponent](const Tensor& dy, const Tensor& y) {
                            Tensor ga, gb;
                            if (base.requires_grad()) ga = dy * exponent * pow(base, exponent - 1);
                            // d/db a^b = a^b log a; taken as 0 where a == 0 (the limit for b > 0).
                            if (exponent.requires_grad())
                              gb = dy * where(base == 0, 0.0, y * log(base));
                            return grads{ga, gb};
                          });
}

Tensor pow(Scalar base, const Tensor& exponent) {
  return pow(scalar_tensor(base, base.result_type_with(exponent.dtype())), exponent);
}

namespace {
// Fraction of the gradient that goes to `a` in minimum/maximum: 1 where a wins, 0.5 on ties.
Tensor winner_weight(const Tensor& a, const Tensor& b, bool take_max, Dtype dtype) {
  Tensor wins = take_max ? gt(a, b) : lt(a, b);
  return to_dtype(wins, dtype) + 0.5 * to_dtype(eq(a, b), dtype);
}

Tensor min_max(const char* op, const Tensor& a, const Tensor& b, bool take_max) {
  Tensor y = binary_op(op, a, b, result_type(a, b), [take_max]<typename T>() {
    return [take_max](T x, T z) {
      if (std::isnan(static_cast<double>(x)) || std::isnan(static_cast<double>(z)))
        return cast<T>(NAN);
      return take_max ? (x > z ? x : z) : (x < z ? x : z);
    };
  });
  return autograd::record(op, y, {a, b}, [a, b, take_max](const Tensor& dy) {
    Tensor w = winner_weight(a, b, take_max, dy.dtype());
    return grads{dy * w, dy * (1 - w)};
  });
}
}  // namespace

Tensor minimum(const Tensor& a, const Tensor& b) { return min_max("minimum", a, b, false); }
Tensor maximum(const Tensor& a, const Tensor& b) { return min_max("maximum", a, b, true); }

Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  if (!min && !max) throw ValueError("clamp: at least one of min and max must be given");
  Dtype dtype = x.dtype();
  if (min) dtype = min->result_type_with(dtype);
  if (max) dtype = max->result_type_with(dtype);
  double lo = min ? min->to_double() : 0, hi = max ? max->to_double() : 0;
  bool has_lo = min.has_value(), has_hi = max.has_value();
  Tensor y = detail::unary_op(x, dtype, [&]<typename T>() {
    T l = cast<T>(lo), h = cast<T>(hi);
    return [=](T v) {
      if (has_lo && v < l) v = l;
      if (has_hi && v > h) v = h;
      return v;
    };
  });
  return autograd::record("clamp", y, {x}, [x, lo, hi, has_lo, has_hi](const Tensor& dy) {
    Tensor inside = ones_like(x).to(Dtype::bool_);
    if (has_lo) inside = logical_and(inside, x >= lo);
    if (has_hi) inside = logical_and(inside, x <= hi);
    return grads{dy * to_dtype(inside, dy.dtype())};
  });
}

Tensor clamp_min(const Tensor& x, Scalar min) { return clamp(x, min, std::nullopt); }
Tensor clamp_max(const Tensor& x, Scalar max) { return clamp(x, std::nullopt, max); }

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  if (condition.dtype() != Dtype::bool_) {
    throw ValueError("where: condition must be a bool tensor, got " +
                     std::string(dtype_name(condition.dtype())));
  }
  Dtype dtype = result_type(a, b);
  Shape shape =
      broadcast_shapes(broadcast_shapes(condition.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor ca = kernels::convert(a, dtype), cb = kernels::convert(b, dtype);
  Tensor y = empty(shape, dtype);
  dispatch(dtype, [&]<typename T>() {
    kernels::map3<T, bool, T, T>(condition, ca, cb, y, [](bool c, T u, T v) { return c ? u : v; });
  });
  return autograd::record("where", y, {condition, a, b}, [condition](const Tensor& dy) {
    Tensor zero = zeros({}, {.dtype = dy.dtype()});
    return grads{Tensor(), where(condition, dy, zero), where(condition, zero, dy)};
  });
}

Tensor where(const Tensor& condition, const Tensor& a, Scalar b) {
  return where(condition, a, scalar_tensor(b, b.result_type_with(a.dtype())));
}
Tensor where(const Tensor& condition, Scalar a, const Tensor& b) {
  return where(condition, scalar_tensor(a, a.result_type_with(b.dtype())), b);
}

namespace {
template <typename Compare>
Tensor compare(const char* op, const Tensor& a, const Tensor& b, Compare c) {
  return binary_op(op, a, b, result_type(a, b),
                   [c]<typename T>() { return [c](T x, T z) -> bool { return c(x, z); }; });
}
}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) {
  return compare("eq", a, b, [](auto x, auto z) { return x == z; });
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return compare("ne", a, b, [](auto x, auto z) { return x != z; });
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return compare("lt", a, b, [](auto x, auto z) { return x < z; });
}
Tensor le(const Tensor& a, const Tensor& b) {
  return compare("le", a, b, [](auto x, auto z) { return x <= z; });
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return compare("gt", a, b, [](auto x, auto z) { return x > z; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return compare("ge", a, b, [](auto x, auto z) { return x >= z; });
}
Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator==(const Tensor& a, Scalar b) {
  return eq(a, scalar_tensor(b, b.result_type_with(a.dtype())));
}
Tensor operator!=(const Tensor& a, Scalar b) {
  return ne(a, scalar_tensor(b, b.result_type_with(a.dtype())));
}
Tensor operator<(const Tensor& a, Scalar b) {
  return lt(a, scalar_tensor(b, b.result_type_with(a.dtype())));
}
Tensor operator<=(const Tensor& a, Scalar b) {
  return le(a, scalar_tensor(b, b.result_type_with(a.dtype())));
}
Tensor operator>(const Tensor& a, Scalar b) {
  return gt(a, scalar_tensor(b, b.result_type_with(a.dtype())));
}
Tensor operator>=(const Tensor& a, Scalar b) {
  return ge(a, scalar_tensor(b, b.result_type_with(a.dtype())));
}

Tensor logical_not(const Tensor& x) {
  return detail::unary_op(x, x.dtype(),
                          []<typename T>() { return [](T v) -> bool { return v == T(0); }; });
}
Tensor logical_and(const Tensor& a, const Tensor& b) {
  return compare("logical_and", a, b, [](auto x, auto z) { return x != 0 && z != 0; });
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return compare("logical_or", a, b, [](auto x, auto z) { return x != 0 || z != 0; });
}

Tensor isnan(const Tensor& x) {
  return detail::unary_op(x, x.dtype(), []<typename T>() {
    return [](T v) -> bool { return std::isnan(static_cast<double>(v)); };
  });
}
Tensor isinf(const Tensor& x) {
  return detail::unary_op(x, x.dtype(), []<typename T>() {
    return [](T v) -> bool { return std::isinf(static_cast<double>(v)); };
  });
}
Tensor isfinite(const Tensor& x) {
  return detail::unary_op(x, x.dtype(), []<typename T>() {
    return [](T v) -> bool { return std::isfinite(static_cast<double>(v)); };
  });
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  Tensor x = kernels::convert(a, Dtype::float64), z = kernels::convert(b, Dtype::float64);
  const double* px = x.data_ptr<double>();
  const double* pz = z.data_ptr<double>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (std::isnan(px[i]) || std::isnan(pz[i])) return false;
    if (px[i] == pz[i]) continue;  // equal infinities
    if (!(std::abs(px[i] - pz[i]) <= atol + rtol * std::abs(pz[i]))) return false;
  }
  return true;
}

bool equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  Tensor same = eq(a, b);
  const bool* p = kernels::convert(same, Dtype::bool_).data_ptr<bool>();
  for (int64_t i = 0; i < same.numel(); ++i) {
    if (!p[i]) return false;
  }
  return true;
}

}  // namespace cajal
