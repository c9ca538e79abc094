#pragma once
// A number given to an op next to a tensor: `x * 2`, `x + 0.5`, `full({2}, true)`.
// It remembers whether it was integral, so `int64_tensor + 1` stays int64 (as in PyTorch) while
// `int64_tensor + 0.5` becomes float32.
#include <cstdint>
#include <type_traits>

#include "cajal/core/dtype.h"

namespace cajal {

class Scalar {
 public:
  Scalar() = default;
  template <typename T>
  requires std::is_arithmetic_v<T> Scalar(
      T value) {  // NOLINT(google-explicit-constructor): numbers convert implicitly on purpose
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = Kind::boolean;
      integer_ = value;
      real_ = value;
    } else if constexpr (std::is_integral_v<T>) {
      kind_ = Kind::integer;
      integer_ = static_cast<int64_t>(value);
      real_ = static_cast<double>(value);
    } else {
      kind_ = Kind::real;
      real_ = static_cast<double>(value);
      integer_ = static_cast<int64_t>(value);
    }
  }

  bool is_floating_point() const { return kind_ == Kind::real; }
  bool is_integral() const { return kind_ == Kind::integer; }
  bool is_bool() const { return kind_ == Kind::boolean; }
  double to_double() const { return real_; }
  int64_t to_int() const { return integer_; }

  template <typename T>
  T to() const {
    if constexpr (std::is_floating_point_v<T>)
      return static_cast<T>(real_);
    else if constexpr (std::is_same_v<T, bool>)
      return kind_ == Kind::real ? real_ != 0 : integer_ != 0;
    else
      return kind_ == Kind::real ? static_cast<T>(real_) : static_cast<T>(integer_);
  }

  // The dtype of `tensor op scalar` for a tensor of dtype `tensor_dtype`: a scalar widens an
  // integer or bool tensor's category but never a tensor's precision.
  Dtype result_type_with(Dtype tensor_dtype) const {
    if (kind_ == Kind::real) {
      return is_floating_point_dtype(tensor_dtype) ? tensor_dtype : Dtype::float32;
    }
    if (kind_ == Kind::integer && tensor_dtype == Dtype::bool_) return Dtype::int64;
    return tensor_dtype;
  }

 private:
  static constexpr bool is_floating_point_dtype(Dtype d) {
    return d == Dtype::float32 || d == Dtype::float64;
  }
  enum class Kind : uint8_t { boolean, integer, real };
  Kind kind_ = Kind::integer;
  int64_t integer_ = 0;
  double real_ = 0;
};

}  // namespace cajal
