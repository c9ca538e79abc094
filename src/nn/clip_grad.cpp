#include "cajal/nn/clip_grad.h"

#include <cmath>
#include <sstream>
#include <string>

#include "cajal/autograd/grad_mode.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/manipulation.h"
#include "cajal/ops/reduction.h"
#include "cajal/ops/view.h"

namespace cajal::nn {
namespace {

std::string number(double value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

// The gradients to clip: those of the defined tensors that have one.
std::vector<Tensor> gradients_of(const std::vector<Tensor>& params) {
  std::vector<Tensor> grads;
  for (const Tensor& p : params) {
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

}  // namespace

Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  if (!(max_norm >= 0)) {
    throw ValueError("clip_grad_norm_: max_norm must be >= 0, got " + number(max_norm));
  }
  if (!(norm_type > 0)) {
    throw ValueError(
        "clip_grad_norm_: norm_type must be positive (2, 1, any p > 0 or infinity), "
        "got " +
        number(norm_type));
  }
  std::vector<Tensor> grads = gradients_of(params);
  if (grads.empty()) return scalar_tensor(0.0, Dtype::float32);
  Dtype dtype = grads.front().dtype();
  for (const Tensor& g : grads) dtype = promote_types(dtype, g.dtype());

  no_grad guard;
  // The norm of the per-tensor norms is the norm of the concatenation, for every p (and for the
  // maximum), without building the concatenation.
  std::vector<Tensor> norms;
  norms.reserve(grads.size());
  for (const Tensor& g : grads) norms.push_back(to_dtype(norm(g.detach(), norm_type), dtype));
  const bool is_max = std::isinf(norm_type);
  Tensor total = (is_max && norms.size() == 1) ? norms.front() : norm(stack(norms), norm_type);

  const double total_value = total.item();
  if (error_if_nonfinite && !std::isfinite(total_value)) {
    throw ValueError("clip_grad_norm_: the total norm of order " + number(norm_type) +
                     " of the gradients is non-finite (" + number(total_value) +
                     "), so it cannot be clipped; set error_if_nonfinite=false to scale the "
                     "gradients by it anyway");
  }
  // Computed in the gradients' dtype, as PyTorch does, so float32 results agree to the last bit.
  Tensor factor = max_norm / (total + 1e-6);
  const double factor_value = factor.item();
  if (factor_value >= 1) return total;  // within the bound: the gradients stay as they are
  for (Tensor& g : grads) {
    if (g.dtype() == factor.dtype()) {
      g.mul_(factor);
    } else {
      g.mul_(to_dtype(factor, g.dtype()));
    }
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  if (!(clip_value >= 0)) {
    throw ValueError("clip_grad_value_: clip_value must be >= 0, got " + number(clip_value));
  }
  no_grad guard;
  for (Tensor& g : gradients_of(params)) g.clamp_(-clip_value, clip_value);
}

}  // namespace cajal::nn
