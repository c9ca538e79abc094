#pragma once
// Double-precision sums over one contiguous row, shared by the normalization kernels. Several
// independent accumulators break the dependency chain of a serial sum (and let the compiler
// vectorize it) while keeping a fixed summation order, so results do not depend on threads.
#include <cstdint>

namespace cajal::kernels::row_sums {

inline constexpr int lanes = 8;

// sum(p[0 .. count))
template <typename T>
double sum(const T* p, int64_t count) {
  double acc[lanes] = {};
  int64_t i = 0;
  for (; i + lanes <= count; i += lanes) {
    for (int l = 0; l < lanes; ++l) acc[l] += static_cast<double>(p[i + l]);
  }
  double total = 0;
  for (; i < count; ++i) total += static_cast<double>(p[i]);
  for (int l = 0; l < lanes; ++l) total += acc[l];
  return total;
}

// sum((p[i] - mean)^2): the two-pass variance's second pass.
template <typename T>
double squared_deviation(const T* p, int64_t count, double mean) {
  double acc[lanes] = {};
  int64_t i = 0;
  for (; i + lanes <= count; i += lanes) {
    for (int l = 0; l < lanes; ++l) {
      const double d = static_cast<double>(p[i + l]) - mean;
      acc[l] += d * d;
    }
  }
  double total = 0;
  for (; i < count; ++i) {
    const double d = static_cast<double>(p[i]) - mean;
    total += d * d;
  }
  for (int l = 0; l < lanes; ++l) total += acc[l];
  return total;
}

}  // namespace cajal::kernels::row_sums
