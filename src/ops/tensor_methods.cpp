// Tensor's method forms of common ops: each forwards to the free function in include/cajal/ops/.
#include "cajal/ops/activation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/linalg.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"

namespace cajal {

Tensor Tensor::sum() const { return cajal::sum(*this); }
Tensor Tensor::sum(const Dims& dims, bool keepdim) const {
  return cajal::sum(*this, dims, keepdim);
}
Tensor Tensor::mean() const { return cajal::mean(*this); }
Tensor Tensor::mean(const Dims& dims, bool keepdim) const {
  return cajal::mean(*this, dims, keepdim);
}
Tensor Tensor::max() const { return cajal::max(*this); }
Tensor Tensor::min() const { return cajal::min(*this); }
Tensor Tensor::argmax() const { return cajal::argmax(*this); }
Tensor Tensor::argmax(int64_t dim, bool keepdim) const {
  return cajal::argmax(*this, dim, keepdim);
}
Tensor Tensor::exp() const { return cajal::exp(*this); }
Tensor Tensor::log() const { return cajal::log(*this); }
Tensor Tensor::sqrt() const { return cajal::sqrt(*this); }
Tensor Tensor::abs() const { return cajal::abs(*this); }
Tensor Tensor::pow(Scalar exponent) const { return cajal::pow(*this, exponent); }
Tensor Tensor::tanh() const { return cajal::tanh(*this); }
Tensor Tensor::sigmoid() const { return cajal::sigmoid(*this); }
Tensor Tensor::relu() const { return cajal::relu(*this); }
Tensor Tensor::matmul(const Tensor& other) const { return cajal::matmul(*this, other); }
Tensor Tensor::softmax(int64_t dim) const { return cajal::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return cajal::log_softmax(*this, dim); }

}  // namespace cajal
