#include "cajal/optim/composite_scheduler.h"

namespace cajal::optim::detail {

std::vector<LRScheduler*> scheduler_pointers(
    const std::vector<std::reference_wrapper<LRScheduler>>& list) {
  std::vector<LRScheduler*> out;
  for (LRScheduler& scheduler : list) out.push_back(&scheduler);
  return out;
}

std::vector<LRScheduler*> scheduler_pointers(
    const std::string& composite, const std::vector<std::shared_ptr<LRScheduler>>& list) {
  std::vector<LRScheduler*> out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i]) {
      throw ValueError(composite + ": schedulers[" + std::to_string(i) + "] is null");
    }
    out.push_back(list[i].get());
  }
  return out;
}

CompositeScheduler::CompositeScheduler(
    std::string name, Optimizer& optimizer,
    const std::vector<std::reference_wrapper<LRScheduler>>& schedulers)
    : LRScheduler(name, optimizer), schedulers_(scheduler_pointers(schedulers)) {}

CompositeScheduler::CompositeScheduler(std::string name, Optimizer& optimizer,
                                       const std::vector<std::shared_ptr<LRScheduler>>& schedulers)
    : LRScheduler(name, optimizer),
      schedulers_(scheduler_pointers(name, schedulers)),
      owned_(schedulers) {}

void CompositeScheduler::jump_to(int64_t /*epoch*/) {
  throw ValueError(name() + ": cannot be restarted at an epoch");
}

StateDict CompositeScheduler::state_dict() const {
  StateDict state = LRScheduler::state_dict();
  save_children(state, schedulers_);
  return state;
}

void CompositeScheduler::load_state_dict(const StateDict& state) {
  load_composite_state(state, state_dict(), schedulers_,
                       [this](const StateDict& s) { LRScheduler::load_state_dict(s); });
}

}  // namespace cajal::optim::detail
