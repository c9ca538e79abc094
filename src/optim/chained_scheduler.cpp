#include "cajal/optim/chained_scheduler.h"

#include <optional>

namespace cajal::optim {

namespace {
Optimizer& first_optimizer(const std::vector<LRScheduler*>& schedulers) {
  if (schedulers.empty()) throw ValueError("ChainedScheduler: schedulers is empty");
  return schedulers.front()->optimizer();
}
}  // namespace

ChainedScheduler::ChainedScheduler(std::vector<std::reference_wrapper<LRScheduler>> schedulers)
    : CompositeScheduler("ChainedScheduler",
                         first_optimizer(detail::scheduler_pointers(schedulers)), schedulers) {
  start();
}

ChainedScheduler::ChainedScheduler(std::vector<std::shared_ptr<LRScheduler>> schedulers)
    : CompositeScheduler(
          "ChainedScheduler",
          first_optimizer(detail::scheduler_pointers("ChainedScheduler", schedulers)), schedulers) {
  start();
}

void ChainedScheduler::start() {
  for (size_t i = 0; i < schedulers_.size(); ++i) {
    const std::string which =
        "ChainedScheduler: schedulers[" + std::to_string(i) + "] (" + schedulers_[i]->name() + ")";
    if (&schedulers_[i]->optimizer() != &optimizer()) {
      throw ValueError(which + " belongs to a different optimizer than schedulers[0]");
    }
    if (schedulers_[i]->needs_metric()) {
      throw ValueError(which + " needs a metric and cannot be chained");
    }
  }
  // As PyTorch: no step here, the children have each taken theirs.
  set_last_epoch(0);
  set_last_lr(current_lrs());
}

void ChainedScheduler::step() {
  // A child may throw (OneCycleLR past total_steps) after others have stepped: keep what is
  // needed to put everything back.
  std::vector<StateDict> states;
  for (LRScheduler* child : schedulers_) states.push_back(child->state_dict());
  const std::vector<double> lrs = current_lrs();
  std::vector<std::optional<double>> momenta(num_groups());
  for (size_t g = 0; g < momenta.size(); ++g) momenta[g] = optimizer().momentum(g);
  try {
    for (LRScheduler* child : schedulers_) child->step();
  } catch (...) {
    for (size_t i = 0; i < schedulers_.size(); ++i) schedulers_[i]->load_state_dict(states[i]);
    apply(lrs);
    for (size_t g = 0; g < momenta.size(); ++g) {
      if (momenta[g]) optimizer().set_momentum(g, *momenta[g]);
    }
    set_last_lr(lrs);
    throw;
  }
  set_last_epoch(last_epoch() + 1);
  set_last_lr(current_lrs());
}

}  // namespace cajal::optim
