#pragma once
// SequentialLR: one schedule after another, switching at milestone epochs (PyTorch's
// SequentialLR). The classic use is a warm-up followed by a decay:
//
//   optim::LinearLR warmup(opt, {.start_factor = 0.1, .total_iters = 5});
//   optim::CosineAnnealingLR cosine(opt, {.T_max = 95});
//   optim::SequentialLR scheduler(opt, {warmup, cosine}, {5});
//   // epochs 0-4: the warm-up; from epoch 5: the cosine, restarted at its epoch 0.
//
// Build the children first, on the same optimizer, then hand them over; step only the
// SequentialLR. At construction the rates go back to the optimizer's base rates and the first
// schedule starts again; at each milestone the next one restarts at its epoch 0 (closed form,
// from its base rates), as PyTorch does. Its state dict holds its own keys and each child's under
// "schedulers.<i>."; it cannot itself be restarted (ValueError).
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "cajal/optim/composite_scheduler.h"
#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim {

class SequentialLR : public detail::CompositeScheduler {
 public:
  // The schedulers are referenced, not owned: they must outlive this one.
  // ValueError: no schedulers, milestones.size() != schedulers.size() - 1, milestones not
  // strictly increasing or not > 0, a scheduler of another optimizer, a child that cannot be
  // restarted (SequentialLR, ChainedScheduler, ReduceLROnPlateau).
  SequentialLR(Optimizer& optimizer, std::vector<std::reference_wrapper<LRScheduler>> schedulers,
               std::vector<int64_t> milestones);
  // The same, sharing ownership of the schedulers.
  SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
               std::vector<int64_t> milestones);

  void step() override;
  const std::vector<int64_t>& milestones() const { return milestones_; }

 private:
  void start();

  std::vector<int64_t> milestones_;
};

}  // namespace cajal::optim
