#include "cajal/optim/sequential_lr.h"

#include <algorithm>

#include "cajal/optim/chained_scheduler.h"

namespace cajal::optim {

SequentialLR::SequentialLR(Optimizer& optimizer,
                           std::vector<std::reference_wrapper<LRScheduler>> schedulers,
                           std::vector<int64_t> milestones)
    : CompositeScheduler("SequentialLR", optimizer, schedulers),
      milestones_(std::move(milestones)) {
  start();
}

SequentialLR::SequentialLR(Optimizer& optimizer,
                           std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<int64_t> milestones)
    : CompositeScheduler("SequentialLR", optimizer, schedulers),
      milestones_(std::move(milestones)) {
  start();
}

void SequentialLR::start() {
  if (schedulers_.empty()) throw ValueError("SequentialLR: schedulers is empty");
  for (size_t i = 0; i < schedulers_.size(); ++i) {
    LRScheduler* child = schedulers_[i];
    const std::string which =
        "SequentialLR: schedulers[" + std::to_string(i) + "] (" + child->name() + ")";
    if (&child->optimizer() != &optimizer()) {
      throw ValueError(which + " belongs to a different optimizer");
    }
    if (dynamic_cast<SequentialLR*>(child) != nullptr ||
        dynamic_cast<ChainedScheduler*>(child) != nullptr || child->needs_metric()) {
      throw ValueError(which + " cannot be restarted at a milestone");
    }
  }
  if (milestones_.size() + 1 != schedulers_.size()) {
    throw ValueError("SequentialLR: milestones must have one entry fewer than schedulers, got " +
                     std::to_string(milestones_.size()) + " milestones for " +
                     std::to_string(schedulers_.size()) + " schedulers");
  }
  for (size_t i = 0; i < milestones_.size(); ++i) {
    if (milestones_[i] <= 0 || (i > 0 && milestones_[i] <= milestones_[i - 1])) {
      throw ValueError("SequentialLR: milestones must be > 0 and strictly increasing, got " +
                       std::to_string(milestones_[i]) + " at index " + std::to_string(i));
    }
  }
  // As PyTorch: back to the base rates, undo the construction step of every child, and start
  // the first one again.
  set_last_epoch(0);
  apply(base_lrs());
  for (LRScheduler* child : schedulers_) child->set_last_epoch(child->last_epoch() - 1);
  schedulers_.front()->step();
  set_last_lr(schedulers_.front()->get_last_lr());
}

void SequentialLR::step() {
  const int64_t epoch = last_epoch() + 1;
  const size_t index = static_cast<size_t>(
      std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin());
  LRScheduler* child = schedulers_[index];
  if (index > 0 && milestones_[index - 1] == epoch) {
    child->jump_to(0);
  } else {
    child->step();
  }
  set_last_epoch(epoch);
  set_last_lr(child->get_last_lr());
}

}  // namespace cajal::optim
