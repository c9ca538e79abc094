#pragma once
// Element types. float32 is the default; float64 serves gradient checks; int64 holds labels and
// indices; bool_ holds masks; uint8 holds raw image data.
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

#include "cajal/core/error.h"

namespace cajal {

enum class Dtype : uint8_t { bool_, uint8, int64, float32, float64 };

inline constexpr Dtype bool_ = Dtype::bool_;
inline constexpr Dtype uint8 = Dtype::uint8;
inline constexpr Dtype int64 = Dtype::int64;
inline constexpr Dtype float32 = Dtype::float32;
inline constexpr Dtype float64 = Dtype::float64;

constexpr size_t element_size(Dtype dtype) {
  switch (dtype) {
    case Dtype::bool_:
    case Dtype::uint8:
      return 1;
    case Dtype::float32:
      return 4;
    case Dtype::int64:
    case Dtype::float64:
      return 8;
  }
  return 0;
}

constexpr std::string_view dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::bool_:
      return "bool";
    case Dtype::uint8:
      return "uint8";
    case Dtype::int64:
      return "int64";
    case Dtype::float32:
      return "float32";
    case Dtype::float64:
      return "float64";
  }
  return "?";
}

inline std::ostream& operator<<(std::ostream& os, Dtype dtype) { return os << dtype_name(dtype); }

constexpr bool is_floating_point(Dtype dtype) {
  return dtype == Dtype::float32 || dtype == Dtype::float64;
}

// The dtype of a binary op's result: the wider of the two, in the order
// bool < uint8 < int64 < float32 < float64 (PyTorch's promotion for tensors of the same rank).
constexpr Dtype promote_types(Dtype a, Dtype b) { return a > b ? a : b; }

template <typename T>
struct dtype_of;
template <>
struct dtype_of<bool> {
  static constexpr Dtype value = Dtype::bool_;
};
template <>
struct dtype_of<uint8_t> {
  static constexpr Dtype value = Dtype::uint8;
};
template <>
struct dtype_of<int64_t> {
  static constexpr Dtype value = Dtype::int64;
};
template <>
struct dtype_of<float> {
  static constexpr Dtype value = Dtype::float32;
};
template <>
struct dtype_of<double> {
  static constexpr Dtype value = Dtype::float64;
};
template <typename T>
inline constexpr Dtype dtype_of_v = dtype_of<T>::value;

// Calls fn.template operator()<T>() with T the C++ type of `dtype`:
//   dispatch(x.dtype(), [&]<typename T>() { ... });
template <typename Fn>
decltype(auto) dispatch(Dtype dtype, Fn&& fn) {
  switch (dtype) {
    case Dtype::bool_:
      return fn.template operator()<bool>();
    case Dtype::uint8:
      return fn.template operator()<uint8_t>();
    case Dtype::int64:
      return fn.template operator()<int64_t>();
    case Dtype::float32:
      return fn.template operator()<float>();
    case Dtype::float64:
      return fn.template operator()<double>();
  }
  throw ValueError("dispatch: unknown dtype");
}

// Like dispatch, for ops defined on floating-point tensors only; `op` names the op in the error.
template <typename Fn>
decltype(auto) dispatch_floating(Dtype dtype, std::string_view op, Fn&& fn) {
  switch (dtype) {
    case Dtype::float32:
      return fn.template operator()<float>();
    case Dtype::float64:
      return fn.template operator()<double>();
    default:
      throw ValueError(std::string(op) + ": expected a floating-point tensor, got " +
                       std::string(dtype_name(dtype)));
  }
}

}  // namespace cajal
