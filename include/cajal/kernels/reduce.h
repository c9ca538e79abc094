#pragma once
// Generic reduction over a set of dims. For each output element, folds the reduced elements in
// row-major order:  acc = combine(acc, value, index_within_reduced_set).
// Parallel over outputs when there are many; a single output splits its elements across threads
// with `merge` joining the partial results in thread order (deterministic for a thread count).
#include <omp.h>

#include <algorithm>
#include <vector>

#include "cajal/core/tensor.h"
#include "cajal/kernels/loops.h"

namespace cajal::kernels {

struct ReductionPlan {
  Shape kept_shape;    // sizes of the kept dims, in order
  Shape kept_strides;  // the input's strides on them
  Collapsed<1> inner;  // the reduced dims, collapsed
  int64_t inner_numel = 1;
};

// reduce_dim[d] says whether dim d of x is reduced.
ReductionPlan plan_reduction(const Tensor& x, const std::vector<bool>& reduce_dim);

// Folds the reduced elements with flat (row-major) indices [first, last) into acc.
template <typename Acc, typename In, typename Combine>
Acc fold_inner(const In* base, const ReductionPlan& plan, int64_t first, int64_t last, Acc acc,
               Combine& combine) {
  const Shape& shape = plan.inner.shape;
  const Shape& strides = plan.inner.strides[0];
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t count = shape.back();
  const int64_t step = strides.back();
  int64_t index = first;
  while (index < last) {
    int64_t row = index / count, j0 = index % count;
    int64_t j1 = std::min(count, j0 + (last - index));
    int64_t offset = 0, rest = row;
    for (int64_t d = rank - 2; d >= 0; --d) {
      offset += (rest % shape[d]) * strides[d];
      rest /= shape[d];
    }
    const In* p = base + offset;
    const int64_t index0 = row * count;
    if (step == 1) {
      for (int64_t j = j0; j < j1; ++j) acc = combine(acc, p[j], index0 + j);
    } else {
      for (int64_t j = j0; j < j1; ++j) acc = combine(acc, p[j * step], index0 + j);
    }
    index += j1 - j0;
  }
  return acc;
}

// out (contiguous, kept shape) [i] = finalize(fold of x's reduced elements).
template <typename Out, typename In, typename Acc, typename Combine, typename Merge,
          typename Finalize>
void reduce(const Tensor& x, const std::vector<bool>& reduce_dim, const Tensor& out, Acc init,
            Combine combine, Merge merge, Finalize finalize) {
  ReductionPlan plan = plan_reduction(x, reduce_dim);
  const In* xp = x.data_ptr<In>();
  Out* op = out.data_ptr<Out>();
  const int64_t outputs = shape_numel(plan.kept_shape);
  const int64_t inner = plan.inner_numel;
  if (outputs == 0) return;
  if (inner == 0) {
    for (int64_t i = 0; i < outputs; ++i) op[i] = finalize(init);
    return;
  }
  const bool big =
      outputs * inner >= parallel_grain && omp_get_max_threads() > 1 && !omp_in_parallel();
  auto base_of = [&](int64_t o) {
    int64_t offset = 0;
    for (int64_t d = static_cast<int64_t>(plan.kept_shape.size()) - 1; d >= 0; --d) {
      offset += (o % plan.kept_shape[d]) * plan.kept_strides[d];
      o /= plan.kept_shape[d];
    }
    return xp + offset;
  };
  if (outputs == 1 && big) {
    std::vector<Acc> partial(omp_get_max_threads(), init);
    int used = 1;
#pragma omp parallel
    {
      int threads = omp_get_num_threads(), t = omp_get_thread_num();
#pragma omp single
      used = threads;
      int64_t piece = (inner + threads - 1) / threads;
      int64_t begin = std::min(inner, t * piece), end = std::min(inner, begin + piece);
      Combine local = combine;
      partial[t] = fold_inner(xp, plan, begin, end, init, local);
    }
    Acc acc = partial[0];
    for (int t = 1; t < used; ++t) acc = merge(acc, partial[t]);
    op[0] = finalize(acc);
    return;
  }
  if (big && outputs > 1) {
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < outputs; ++o) {
      Combine local = combine;
      op[o] = finalize(fold_inner(base_of(o), plan, 0, inner, init, local));
    }
  } else {
    for (int64_t o = 0; o < outputs; ++o) {
      op[o] = finalize(fold_inner(base_of(o), plan, 0, inner, init, combine));
    }
  }
}

}  // namespace cajal::kernels
