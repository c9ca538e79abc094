#pragma once
// The common part of the schedulers made of other schedulers (ChainedScheduler, SequentialLR):
// the children, referenced or co-owned, and their state under "schedulers.<i>.".
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim::detail {

class CompositeScheduler : public LRScheduler {
 public:
  // Its own keys and each child's under "schedulers.<i>.".
  StateDict state_dict() const override;
  void load_state_dict(const StateDict& state) override;

 protected:
  // The schedulers are referenced, not owned: they must outlive this one.
  CompositeScheduler(std::string name, Optimizer& optimizer,
                     const std::vector<std::reference_wrapper<LRScheduler>>& schedulers);
  // The same, sharing ownership. ValueError "<name>: schedulers[i] is null" for a null pointer.
  CompositeScheduler(std::string name, Optimizer& optimizer,
                     const std::vector<std::shared_ptr<LRScheduler>>& schedulers);

  std::vector<double> compute_lr() override { return current_lrs(); }
  // ValueError "<name>: cannot be restarted at an epoch".
  void jump_to(int64_t epoch) override;

  std::vector<LRScheduler*> schedulers_;

 private:
  std::vector<std::shared_ptr<LRScheduler>> owned_;
};

// The schedulers as plain pointers; ValueError "<composite>: schedulers[i] is null".
std::vector<LRScheduler*> scheduler_pointers(
    const std::vector<std::reference_wrapper<LRScheduler>>& list);
std::vector<LRScheduler*> scheduler_pointers(const std::string& composite,
                                             const std::vector<std::shared_ptr<LRScheduler>>& list);

}  // namespace cajal::optim::detail
