#pragma once
// Reductions over all elements or a set of dims (negative dims count from the end), with keepdim.
#include <tuple>

#include "cajal/core/tensor.h"

namespace cajal {

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const Dims& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Dims& dims, bool keepdim = false);
// correction 1 is the unbiased (Bessel) estimate, 0 the population variance. The dims always
// come second, as in torch.var(x, dim): var(x, {1}) reduces dim 1; the population variance of
// everything is var(x, {}, 0).
Tensor var(const Tensor& x);  // all elements, unbiased
Tensor var(const Tensor& x, const Dims& dims, int64_t correction = 1, bool keepdim = false);
Tensor std(const Tensor& x);
Tensor std(const Tensor& x, const Dims& dims, int64_t correction = 1, bool keepdim = false);

// Maximum over everything (gradient split evenly among ties).
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
// Maximum along one dim: (values, int64 indices of the first maximum).
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
// Maximum over a set of dims, values only.
Tensor amax(const Tensor& x, const Dims& dims, bool keepdim = false);
Tensor amin(const Tensor& x, const Dims& dims, bool keepdim = false);
Tensor argmax(const Tensor& x);  // index into the flattened tensor
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x);
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);

Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim = false);  // numerically stable
// p = 1, 2 or infinity (std::numeric_limits<double>::infinity()); over all elements when dims is
// empty. Gradient of the 2-norm at 0 is 0.
Tensor norm(const Tensor& x, double p = 2, const Dims& dims = {}, bool keepdim = false);

}  // namespace cajal
