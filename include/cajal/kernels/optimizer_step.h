#pragma once
// Fused optimizer updates: one pass over a parameter, its gradient and its state, with no
// temporaries. They compute the update equations of optim::Adam/AdamW and optim::SGD (see those
// headers) in the parameter's dtype, in the order the composite updates use, so trajectories
// agree with them to rounding (FMA contraction may change the last bit).
//
// Each returns false, touching nothing, when its tensors are not all float32 or all float64,
// contiguous and of one shape; callers then run the composite update.
#include <cstdint>

#include "cajal/core/tensor.h"

namespace cajal::kernels {

struct AdamStepOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  bool maximize = false;
  bool decoupled_weight_decay = false;  // AdamW: shrink the parameter instead of the L2 term
  int64_t step = 1;                     // the count after this update (1 on the first)
};

// param, exp_avg, exp_avg_sq (and max_exp_avg_sq when amsgrad; else it may be undefined) are
// updated in place from grad.
bool adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
               const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq,
               const AdamStepOptions& options);

struct SgdStepOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;
  bool first_step = false;  // seed the momentum buffer with the (decayed) gradient
};

// param (and momentum_buffer when momentum != 0; else it may be undefined) updated in place.
bool sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
              const SgdStepOptions& options);

}  // namespace cajal::kernels
