#include "cajal/optim/reduce_lr_on_plateau.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cajal::optim {

namespace {
void check_count(const char* option, int64_t value) {
  if (value < 0) {
    throw ValueError(std::string("ReduceLROnPlateau: ") + option + " must be >= 0, got " +
                     std::to_string(value));
  }
}
}  // namespace

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, Options options)
    : LRScheduler("ReduceLROnPlateau", optimizer), options_(std::move(options)) {
  if (!(options_.factor >= 0 && options_.factor < 1)) {
    throw ValueError("ReduceLROnPlateau: factor must be in [0, 1), got " +
                     detail::format_number(options_.factor));
  }
  check_count("patience", options_.patience);
  check_count("cooldown", options_.cooldown);
  detail::check_scheduler_non_negative(name(), "threshold", options_.threshold);
  detail::check_scheduler_non_negative(name(), "eps", options_.eps);
  if (options_.min_lr.empty()) throw ValueError("ReduceLROnPlateau: min_lr is empty");
  min_lrs_ = options_.min_lr.per_group(num_groups(), name(), "min_lr");
  for (double lr : min_lrs_) detail::check_scheduler_non_negative(name(), "min_lr", lr);
  best_ = options_.mode == PlateauMode::min ? std::numeric_limits<double>::infinity()
                                            : -std::numeric_limits<double>::infinity();
  // PyTorch 1.13 starts counting at 0 and does not touch the rates here.
  set_last_epoch(0);
  set_last_lr(current_lrs());
}

void ReduceLROnPlateau::step() {
  throw ValueError("ReduceLROnPlateau: step() needs the monitored metric: call step(metric)");
}

bool ReduceLROnPlateau::is_better(double value, double best) const {
  const double threshold = options_.threshold;
  if (options_.mode == PlateauMode::min) {
    return options_.threshold_mode == ThresholdMode::rel ? value < best * (1. - threshold)
                                                         : value < best - threshold;
  }
  return options_.threshold_mode == ThresholdMode::rel ? value > best * (threshold + 1.)
                                                       : value > best + threshold;
}

void ReduceLROnPlateau::step(double metric) {
  set_last_epoch(last_epoch() + 1);
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (in_cooldown()) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs during the cooldown do not count
  }
  if (num_bad_epochs_ > options_.patience) {
    for (size_t g = 0; g < num_groups(); ++g) {
      const double old_lr = optimizer().lr(g);
      const double new_lr = std::max(old_lr * options_.factor, min_lrs_[g]);
      if (old_lr - new_lr > options_.eps) optimizer().set_lr(g, new_lr);
    }
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
  set_last_lr(current_lrs());
}

std::vector<double> ReduceLROnPlateau::compute_lr() { return current_lrs(); }

void ReduceLROnPlateau::jump_to(int64_t /*epoch*/) {
  throw ValueError("ReduceLROnPlateau: cannot be restarted at an epoch (inside SequentialLR)");
}

void ReduceLROnPlateau::save_extra(StateDict& state) const {
  state.insert("best", detail::number_tensor(best_));
  state.insert("num_bad_epochs", detail::integer_tensor(num_bad_epochs_));
  state.insert("cooldown_counter", detail::integer_tensor(cooldown_counter_));
}

void ReduceLROnPlateau::load_extra(const StateDict& state) {
  const double best = detail::state_number(state, "best", name());
  const int64_t bad = detail::state_integer(state, "num_bad_epochs", name());
  const int64_t cooldown = detail::state_integer(state, "cooldown_counter", name());
  best_ = best;
  num_bad_epochs_ = bad;
  cooldown_counter_ = cooldown;
}

}  // namespace cajal::optim
