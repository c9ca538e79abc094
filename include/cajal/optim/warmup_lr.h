#pragma once
// Warm-up schedules: a reduced rate for the first epochs, PyTorch's ConstantLR and LinearLR.
// Large batches and adaptive optimizers are unstable in the first steps, while the moment
// estimates are poor; a short warm-up avoids the early blow-up. Combine with a decay through
// SequentialLR (warm-up, then cosine) or ChainedScheduler (both at once).
//
//   optim::LinearLR warmup(opt, {.start_factor = 0.01, .total_iters = 5});
//   // epochs 0..5: lr0 * 0.01, 0.208, 0.406, 0.604, 0.802, 1.0; then lr0.
#include <cstdint>
#include <vector>

#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim {

struct ConstantLROptions {
  double factor = 1.0 / 3;  // in (0, 1]
  int64_t total_iters = 5;  // > 0
};

// Chainable: lr(t) = base_lr * factor for t < total_iters, base_lr from then on.
class ConstantLR : public LRScheduler {
 public:
  using Options = ConstantLROptions;
  // ValueError: factor outside (0, 1], total_iters <= 0.
  ConstantLR(Optimizer& optimizer, Options options = {});

 protected:
  std::vector<double> compute_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;

 private:
  Options options_;
};

struct LinearLROptions {
  double start_factor = 1.0 / 3;  // in (0, 1]
  double end_factor = 1.0;        // in [0, 1]
  int64_t total_iters = 5;        // > 0
};

// Chainable: the factor moves linearly from start_factor (epoch 0) to end_factor (epoch
// total_iters) and stays there:
//   lr(t) = base_lr * (start + (end - start) * min(t, total_iters) / total_iters).
// With end_factor < start_factor it is a linear decay.
class LinearLR : public LRScheduler {
 public:
  using Options = LinearLROptions;
  // ValueError: start_factor outside (0, 1], end_factor outside [0, 1], total_iters <= 0.
  LinearLR(Optimizer& optimizer, Options options = {});

 protected:
  std::vector<double> compute_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;

 private:
  Options options_;
};

}  // namespace cajal::optim
