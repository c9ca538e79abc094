#pragma once
// Strided N-operand loops over a shape, the engine room of every elementwise kernel.
//
// for_each_row drops size-1 dims and merges dims that are contiguous for every operand, so a
// contiguous tensor is one long row and a transposed one a few long rows. It then calls
//   body(offsets, inner_strides, count)
// once per innermost row (offsets: each operand's first element of the row, in elements), in
// parallel over rows (or over pieces of a single long row) when there is enough work.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "cajal/core/shape.h"

namespace cajal::kernels {

// Below this many elements a loop stays on one thread (thread start-up costs more than it saves).
inline constexpr int64_t parallel_grain = 32768;

template <size_t N>
struct Collapsed {
  Shape shape;
  std::array<Shape, N> strides;
};

template <size_t N>
Collapsed<N> collapse_dims(const Shape& shape, const std::array<Shape, N>& strides) {
  Collapsed<N> kept;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    kept.shape.push_back(shape[d]);
    for (size_t k = 0; k < N; ++k) kept.strides[k].push_back(strides[k][d]);
  }
  if (kept.shape.empty()) {
    kept.shape.push_back(1);
    for (size_t k = 0; k < N; ++k) kept.strides[k].push_back(0);
    return kept;
  }
  // Merge from the innermost dim outwards, building the result reversed.
  Collapsed<N> merged;
  int64_t last = static_cast<int64_t>(kept.shape.size()) - 1;
  merged.shape.push_back(kept.shape[last]);
  for (size_t k = 0; k < N; ++k) merged.strides[k].push_back(kept.strides[k][last]);
  for (int64_t d = last - 1; d >= 0; --d) {
    bool mergeable = true;
    for (size_t k = 0; k < N; ++k) {
      if (kept.strides[k][d] != merged.strides[k].back() * merged.shape.back()) mergeable = false;
    }
    if (mergeable) {
      merged.shape.back() *= kept.shape[d];
    } else {
      merged.shape.push_back(kept.shape[d]);
      for (size_t k = 0; k < N; ++k) merged.strides[k].push_back(kept.strides[k][d]);
    }
  }
  std::reverse(merged.shape.begin(), merged.shape.end());
  for (size_t k = 0; k < N; ++k) std::reverse(merged.strides[k].begin(), merged.strides[k].end());
  return merged;
}

// Threading of for_each_row: `serial` for loops whose rows may write the same elements (scatter).
enum class Threading { parallel, serial };

namespace detail {

// Rank up to which for_each_row collapses dims in arrays on the stack (no allocation per call;
// small ops are dominated by such overhead). Higher ranks take collapse_dims.
inline constexpr size_t kStackRank = 8;

// A collapsed geometry seen through pointers: either stack arrays or a Collapsed's vectors.
template <size_t N>
struct RowGeometry {
  int64_t rank;
  const int64_t* shape;
  std::array<const int64_t*, N> strides;
};

template <size_t N, typename Body>
void run_rows(const RowGeometry<N>& c, int64_t numel, Body& body, Threading threading) {
  const int64_t rank = c.rank;
  const int64_t count = c.shape[rank - 1];
  const int64_t rows = numel / count;
  std::array<int64_t, N> inner;
  for (size_t k = 0; k < N; ++k) inner[k] = c.strides[k][rank - 1];
  const bool parallel = threading == Threading::parallel && numel >= parallel_grain &&
                        omp_get_max_threads() > 1 && !omp_in_parallel();

  if (rows == 1) {
    if (!parallel) {
      body(std::array<int64_t, N>{}, inner, count);
      return;
    }
#pragma omp parallel
    {
      int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
      int64_t piece = (count + threads - 1) / threads;
      int64_t begin = std::min(count, t * piece), end = std::min(count, begin + piece);
      if (begin < end) {
        std::array<int64_t, N> offsets;
        for (size_t k = 0; k < N; ++k) offsets[k] = begin * inner[k];
        body(offsets, inner, end - begin);
      }
    }
    return;
  }

  auto run_row = [&](int64_t row) {
    std::array<int64_t, N> offsets{};
    int64_t rest = row;
    for (int64_t d = rank - 2; d >= 0; --d) {
      int64_t i = rest % c.shape[d];
      rest /= c.shape[d];
      for (size_t k = 0; k < N; ++k) offsets[k] += i * c.strides[k][d];
    }
    body(offsets, inner, count);
  };
  if (parallel) {
#pragma omp parallel for schedule(static)
    for (int64_t row = 0; row < rows; ++row) run_row(row);
  } else {
    for (int64_t row = 0; row < rows; ++row) run_row(row);
  }
}

}  // namespace detail

// for_each_row with the operands' strides given as pointers to `rank` elements each (no Shape
// copies); what the elementwise kernels call.
template <size_t N, typename Body>
void for_each_row(int64_t rank, const int64_t* shape, const std::array<const int64_t*, N>& strides,
                  Body&& body, Threading threading = Threading::parallel) {
  int64_t numel = 1;
  for (int64_t d = 0; d < rank; ++d) numel *= shape[d];
  if (numel == 0) return;
  if (rank > static_cast<int64_t>(detail::kStackRank)) {
    Shape full(shape, shape + rank);
    std::array<Shape, N> full_strides;
    for (size_t k = 0; k < N; ++k) full_strides[k].assign(strides[k], strides[k] + rank);
    Collapsed<N> c = collapse_dims(full, full_strides);
    detail::RowGeometry<N> g{static_cast<int64_t>(c.shape.size()), c.shape.data(), {}};
    for (size_t k = 0; k < N; ++k) g.strides[k] = c.strides[k].data();
    detail::run_rows(g, numel, body, threading);
    return;
  }
  // Drop size-1 dims and merge, from the innermost dim outwards, dims contiguous for every
  // operand, as collapse_dims does; built reversed into stack arrays.
  constexpr size_t R = detail::kStackRank;
  std::array<int64_t, R> rshape;
  std::array<std::array<int64_t, R>, N> rstrides;
  int64_t kept = 0;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (shape[d] == 1) continue;
    if (kept > 0) {
      bool mergeable = true;
      for (size_t k = 0; k < N; ++k) {
        if (strides[k][d] != rstrides[k][kept - 1] * rshape[kept - 1]) mergeable = false;
      }
      if (mergeable) {
        rshape[kept - 1] *= shape[d];
        continue;
      }
    }
    rshape[kept] = shape[d];
    for (size_t k = 0; k < N; ++k) rstrides[k][kept] = strides[k][d];
    ++kept;
  }
  if (kept == 0) {
    rshape[0] = 1;
    for (size_t k = 0; k < N; ++k) rstrides[k][0] = 0;
    kept = 1;
  }
  std::array<int64_t, R> cshape;
  std::array<std::array<int64_t, R>, N> cstrides;
  for (int64_t d = 0; d < kept; ++d) {
    cshape[d] = rshape[kept - 1 - d];
    for (size_t k = 0; k < N; ++k) cstrides[k][d] = rstrides[k][kept - 1 - d];
  }
  detail::RowGeometry<N> g{kept, cshape.data(), {}};
  for (size_t k = 0; k < N; ++k) g.strides[k] = cstrides[k].data();
  detail::run_rows(g, numel, body, threading);
}

template <size_t N, typename Body>
void for_each_row(const Shape& shape, const std::array<Shape, N>& strides, Body&& body,
                  Threading threading = Threading::parallel) {
  std::array<const int64_t*, N> pointers;
  for (size_t k = 0; k < N; ++k) pointers[k] = strides[k].data();
  for_each_row<N>(static_cast<int64_t>(shape.size()), shape.data(), pointers,
                  std::forward<Body>(body), threading);
}

}  // namespace cajal::kernels
