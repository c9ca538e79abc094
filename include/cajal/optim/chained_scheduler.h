#pragma once
// ChainedScheduler: several chainable schedules acting together, each step (PyTorch's
// ChainedScheduler). Each one multiplies the rate the others left, so a warm-up and a decay
// apply at once:
//
//   optim::ConstantLR warmup(opt, {.factor = 0.1, .total_iters = 2});
//   optim::ExponentialLR decay(opt, {.gamma = 0.9});
//   optim::ChainedScheduler scheduler({warmup, decay});
//   // lr0 * 0.1 * 0.9^t for t < 2, then lr0 * 0.9^t.
//
// Build the children first, then step only the ChainedScheduler. Its state dict holds its own
// keys and each child's under "schedulers.<i>."; it cannot be restarted inside SequentialLR
// (ValueError).
#include <functional>
#include <memory>
#include <vector>

#include "cajal/optim/composite_scheduler.h"
#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim {

class ChainedScheduler : public detail::CompositeScheduler {
 public:
  // The schedulers are referenced, not owned: they must outlive this one. ValueError: no
  // schedulers, schedulers of different optimizers, ReduceLROnPlateau (it needs a metric).
  explicit ChainedScheduler(std::vector<std::reference_wrapper<LRScheduler>> schedulers);
  // The same, sharing ownership of the schedulers.
  explicit ChainedScheduler(std::vector<std::shared_ptr<LRScheduler>> schedulers);

  // Steps every schedule in order. If one throws, every schedule, rate and momentum is restored.
  void step() override;

 private:
  void start();
};

}  // namespace cajal::optim
