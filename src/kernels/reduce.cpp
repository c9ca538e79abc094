#include "cajal/kernels/reduce.h"

namespace cajal::kernels {

ReductionPlan plan_reduction(const Tensor& x, const std::vector<bool>& reduce_dim) {
  ReductionPlan plan;
  Shape inner_shape, inner_strides;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (reduce_dim[d]) {
      inner_shape.push_back(x.shape()[d]);
      inner_strides.push_back(x.strides()[d]);
      plan.inner_numel *= x.shape()[d];
    } else {
      plan.kept_shape.push_back(x.shape()[d]);
      plan.kept_strides.push_back(x.strides()[d]);
    }
  }
  plan.inner = collapse_dims<1>(inner_shape, {inner_strides});
  return plan;
}

}  // namespace cajal::kernels
