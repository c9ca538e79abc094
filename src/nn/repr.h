#pragma once
// Helpers for the extra_repr() text of layers, which mirrors PyTorch's printing.
#include <fmt/format.h>

#include <cmath>
#include <string>

namespace cajal::nn::detail {

// A real option as Python's repr prints it, so printed layers read like PyTorch's: 1e-05, 0.1,
// 1.0 (an integral value keeps its ".0").
inline std::string repr_number(double value) {
  std::string s = fmt::format("{}", value);
  if (std::isfinite(value) && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

inline const char* repr_bool(bool value) { return value ? "true" : "false"; }

}  // namespace cajal::nn::detail
