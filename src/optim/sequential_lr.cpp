#include "cajal/optim/sequential_lr.h"

#include <algorithm>

#include "cajal/optim/chained_scheduler.h"

namespace cajal::optim {

namespace {
std::vector<LRScheduler*> pointers(const std::vector<std::reference_wrapper<LRScheduler>>& list) {
  std::vector<LRScheduler*> out;
  for (LRScheduler& scheduler : list) out.push_back(&scheduler);
  return out;
}

std::vector<LRScheduler*> pointers(const std::vector<std::shared_ptr<LRScheduler>>& list) {
  std::vector<LRScheduler*> out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i]) {
      throw ValueError("SequentialLR: schedulers[" + std::to_string(i) + "] is null");
    }
    out.push_back(list[i].get());
  }
  return out;
}
}  // namespace

SequentialLR::SequentialLR(Optimizer& optimizer,
                           std::vector<std::reference_wrapper<LRScheduler>> schedulers,
                           std::vector<int64_t> milestones)
    : LRScheduler("SequentialLR", optimizer),
      schedulers_(pointers(schedulers)),
      milestones_(std::move(milestones)) {
  start();
}

SequentialLR::SequentialLR(Optimizer& optimizer,
                           std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<int64_t> milestones)
    : LRScheduler("SequentialLR", optimizer),
      schedulers_(pointers(schedulers)),
      owned_(std::move(schedulers)),
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

void SequentialLR::jump_to(int64_t /*epoch*/) {
  throw ValueError("SequentialLR: cannot be restarted at an epoch");
}

StateDict SequentialLR::state_dict() const {
  StateDict state = LRScheduler::state_dict();
  detail::save_children(state, schedulers_);
  return state;
}

void SequentialLR::load_state_dict(const StateDict& state) {
  detail::load_composite_state(state, state_dict(), schedulers_,
                               [this](const StateDict& s) { LRScheduler::load_state_dict(s); });
}

}  // namespace cajal::optim
