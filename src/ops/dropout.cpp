#include "cajal/ops/dropout.h"

#include <cmath>
#include <sstream>
#include <string>

#include "cajal/core/creation.h"
#include "cajal/ops/arithmetic.h"

namespace cajal {

namespace {

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// Checks p and says whether x passes through unchanged (PyTorch returns the input itself then,
// drawing no random numbers).
bool is_identity(const char* op, const Tensor& x, double p, bool training) {
  if (!(p >= 0 && p <= 1)) {
    throw ValueError(std::string(op) + ": dropout probability has to be between 0 and 1, but got " +
                     number(p));
  }
  if (!training || p == 0 || x.numel() == 0) return true;
  if (!x.is_floating_point()) {
    throw ValueError(std::string(op) + ": expected a floating-point tensor, got " +
                     std::string(dtype_name(x.dtype())));
  }
  return false;
}

}  // namespace

// Both ops are compositions with a constant random tensor, so their gradient is dy times that
// same tensor (mask * scale) with no backward of their own.
Tensor dropout(const Tensor& x, double p, bool training) {
  if (is_identity("dropout", x, p, training)) return x;
  if (p == 1) return x * 0.0;  // keeps the graph: the gradient is 0
  Tensor keep = bernoulli(x.shape(), 1 - p, {.dtype = x.dtype()});
  keep.div_(1 - p);
  return x * keep;
}

Tensor alpha_dropout(const Tensor& x, double p, bool training) {
  if (is_identity("alpha_dropout", x, p, training)) return x;
  if (p == 1) return x * 0.0;  // as PyTorch: all zeros
  // A dropped unit is set to SELU's negative saturation -alpha' (alpha' = scale * alpha), then
  // a * (.) + b restores mean 0 and variance 1 (Klambauer et al. 2017, section "alpha dropout"):
  //   a = ((1 - p) (1 + p alpha'^2))^(-1/2),  b = a alpha' p.
  constexpr double alpha = 1.7580993408473766;
  const double a = 1.0 / std::sqrt((alpha * alpha * p + 1) * (1 - p));
  Tensor keep = bernoulli(x.shape(), 1 - p, {.dtype = x.dtype()});
  // keep = 1: a x + a alpha' p;  keep = 0: -a alpha' (1 - p).
  Tensor shift = (keep - 1.0) * (alpha * a) + alpha * a * p;
  keep.mul_(a);
  return x * keep + shift;
}

}  // namespace cajal
