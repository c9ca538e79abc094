#pragma once
// LRScheduler: changes an optimizer's learning rates as training goes on. Schedules follow
// PyTorch 1.13 (torch.optim.lr_scheduler) value for value:
//
//   optim::SGD opt(net.parameters(), {.lr = 0.1, .momentum = 0.9});
//   optim::StepLR scheduler(opt, {.step_size = 30, .gamma = 0.1});
//   for (int epoch = 0; epoch < 100; ++epoch) {
//     train_one_epoch(net, opt);     // uses opt's current learning rates
//     scheduler.step();              // after the epoch's optimizer steps
//   }
//
// - Constructing a scheduler records each group's learning rate as its base rate (base_lrs()) and
//   sets the learning rate of epoch 0, as PyTorch does. Several schedulers on one optimizer share
//   the base rates of the first one constructed (PyTorch keeps them as the group's
//   "initial_lr"), so a warm-up and a decay built one after the other both start from the
//   optimizer's original rates.
// - step() advances one epoch. The per-batch schedules (OneCycleLR, CyclicLR) advance one
//   optimizer step instead: call step() after every batch. ReduceLROnPlateau is stepped with the
//   monitored metric, step(metric).
// - Most epoch schedules are "chainable" as in PyTorch: each step multiplies the optimizer's
//   current rate, so several schedules can act on one optimizer (ChainedScheduler).
// - state_dict() holds the step counter, base and last rates and any schedule state as 0-dim
//   tensors (int64 counters, float64 numbers). To resume, build the optimizer and the scheduler
//   as before, then load the optimizer's state dict (it holds the current rates and momentum) and
//   the scheduler's: the following rates are identical bit for bit.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/core/ordered_dict.h"
#include "cajal/optim/optimizer.h"

namespace cajal::optim {

// An option given once for every parameter group or once per group:
//   .max_lr = 0.1          (all groups)
//   .max_lr = {0.1, 0.01}  (group 0, group 1)
class PerGroup {
 public:
  PerGroup() = default;
  PerGroup(double value) : values_{value} {}  // NOLINT(google-explicit-constructor)
  PerGroup(std::initializer_list<double> values) : values_(values) {}
  PerGroup(std::vector<double> values) : values_(std::move(values)) {}  // NOLINT

  bool empty() const { return values_.empty(); }
  const std::vector<double>& values() const { return values_; }
  // One value per group: a single value repeated, or the list itself when it has one per group.
  // ValueError "OneCycleLR: max_lr has 3 values for 2 parameter groups" otherwise (and when
  // empty).
  std::vector<double> per_group(size_t groups, const std::string& scheduler,
                                const char* option) const;

 private:
  std::vector<double> values_;
};

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // Advances one epoch (one batch for OneCycleLR and CyclicLR) and sets every group's rate.
  // If it throws (OneCycleLR stepped past total_steps), nothing changes.
  virtual void step();
  // True for schedules stepped with a monitored metric (ReduceLROnPlateau::step(metric)).
  virtual bool needs_metric() const { return false; }

  // The rates this scheduler last set, one per group.
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  // Steps taken: 0 after construction (PyTorch's last_epoch).
  int64_t last_epoch() const { return last_epoch_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  Optimizer& optimizer() const { return *optimizer_; }
  const std::string& name() const { return name_; }

  // "last_epoch" (int64), "base_lrs.<g>" and "last_lr.<g>" (float64), and the schedule's own
  // state ("T_cur", "best", "schedulers.0.last_epoch", ...).
  virtual StateDict state_dict() const;
  // Restores what state_dict() saved; ValueError naming the key when one is missing or the number
  // of groups differs. Nothing changes when it throws. The optimizer's rates are not touched:
  // load the optimizer's own state dict as well.
  virtual void load_state_dict(const StateDict& state);

 protected:
  LRScheduler(std::string name, Optimizer& optimizer);

  // Every concrete schedule calls this at the end of its constructor: the step to epoch 0.
  void initial_step();
  // PyTorch's get_lr(): the rates for last_epoch(), from the optimizer's current rates (chainable
  // schedules) or from base_lrs() (closed-form ones). May set momentum as a side effect.
  virtual std::vector<double> compute_lr() = 0;
  // The rates at last_epoch() computed from base_lrs() alone, for chainable schedules that have a
  // closed form (PyTorch's _get_closed_form_lr); SequentialLR restarts a schedule with it.
  virtual std::optional<std::vector<double>> closed_form_lr() const { return std::nullopt; }
  // Restarts the schedule at `epoch` (PyTorch's deprecated step(epoch)): the closed form where
  // there is one, else compute_lr(). SequentialLR calls jump_to(0) at each milestone.
  virtual void jump_to(int64_t epoch);
  // The schedule's own state, beyond the base class's.
  virtual void save_extra(StateDict& /*state*/) const {}
  // Validate everything first, then change: called after the base keys were validated.
  virtual void load_extra(const StateDict& /*state*/) {}

  size_t num_groups() const { return optimizer_->num_param_groups(); }
  // The optimizer's rates now.
  std::vector<double> current_lrs() const;
  // Sets every group's rate and records them as the last rates.
  void apply(const std::vector<double>& lrs);
  void set_last_lr(std::vector<double> lrs) { last_lr_ = std::move(lrs); }
  void set_last_epoch(int64_t epoch) { last_epoch_ = epoch; }
  // Replaces the base rates; with `shared`, also the rates later schedulers on this optimizer
  // take as their base (OneCycleLR's initial_lr), else only when this scheduler was the first.
  void set_base_lrs(std::vector<double> lrs, bool shared);

 private:
  friend class SequentialLR;
  friend class ChainedScheduler;

  std::string name_;
  Optimizer* optimizer_;
  int64_t last_epoch_ = -1;
  std::vector<double> base_lrs_;
  std::vector<double> last_lr_;
  bool first_on_optimizer_ = false;
};

namespace detail {
// ValueError texts shared by the schedules: "StepLR: step_size must be > 0, got 0".
std::string format_number(double value);
void check_scheduler_positive(const std::string& scheduler, const char* option, double value);
void check_scheduler_non_negative(const std::string& scheduler, const char* option, double value);
// Reading saved numbers: ValueError "StepLR: load_state_dict: missing key 'last_epoch'".
double state_number(const StateDict& state, const std::string& key, const std::string& scheduler);
int64_t state_integer(const StateDict& state, const std::string& key, const std::string& scheduler);
Tensor number_tensor(double value);
Tensor integer_tensor(int64_t value);

// Composite schedulers (SequentialLR, ChainedScheduler) keep each child's state under
// "schedulers.<i>.".
void save_children(StateDict& state, const std::vector<LRScheduler*>& schedulers);
// The entries of `state` under `prefix`, with the prefix removed.
StateDict sub_state(const StateDict& state, const std::string& prefix);
// Loads the composite's own keys with `load_self`, then each child's; if anything throws,
// restores `backup` (the composite's state_dict() from before) and rethrows.
void load_composite_state(const StateDict& state, const StateDict& backup,
                          const std::vector<LRScheduler*>& schedulers,
                          const std::function<void(const StateDict&)>& load_self);
}  // namespace detail

}  // namespace cajal::optim
