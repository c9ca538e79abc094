#pragma once
// Numerical gradient checking: compares the analytic gradient from backward() with central
// differences in float64.
#include <functional>
#include <string>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal::autograd {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-5;  // |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
  // Up to this many output x input entries the full Jacobian is compared; above it, a random
  // projection of the outputs against a sample of input elements.
  int64_t full_jacobian_limit = 4096;
  int64_t sampled_inputs = 64;
  bool check_second_order = false;  // also gradcheck the gradient itself (create_graph)
};

struct GradcheckResult {
  bool ok = true;
  double worst_error = 0;  // largest |analytic - numeric| - tolerance seen (<= 0 when ok)
  std::string message;     // names the worst element: input, index, analytic, numeric
};

// `inputs` must be float64; those that require grad are checked. `fn` may return any shape.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, GradcheckOptions options = {});

}  // namespace cajal::autograd
