#include "cajal/optim/cyclic_lr.h"

#include <cmath>

namespace cajal::optim {

CyclicLR::CyclicLR(Optimizer& optimizer, Options options)
    : LRScheduler("CyclicLR", optimizer), options_(std::move(options)) {
  const size_t groups = num_groups();
  if (options_.base_lr.empty()) throw ValueError("CyclicLR: base_lr is required");
  if (options_.max_lr.empty()) throw ValueError("CyclicLR: max_lr is required");
  std::vector<double> base_lrs = options_.base_lr.per_group(groups, name(), "base_lr");
  max_lrs_ = options_.max_lr.per_group(groups, name(), "max_lr");
  for (double lr : base_lrs) detail::check_scheduler_non_negative(name(), "base_lr", lr);
  for (double lr : max_lrs_) detail::check_scheduler_non_negative(name(), "max_lr", lr);
  if (options_.step_size_up <= 0) {
    throw ValueError("CyclicLR: step_size_up must be > 0, got " +
                     std::to_string(options_.step_size_up));
  }
  const int64_t down = options_.step_size_down.value_or(options_.step_size_up);
  if (down <= 0) {
    throw ValueError("CyclicLR: step_size_down must be > 0, got " + std::to_string(down));
  }
  detail::check_scheduler_positive(name(), "gamma", options_.gamma);
  total_size_ = static_cast<double>(options_.step_size_up + down);
  step_ratio_ = static_cast<double>(options_.step_size_up) / total_size_;
  // The built-in modes fix the scale mode; only a custom scale_fn uses the option.
  if (options_.scale_fn) {
    scale_mode_ = options_.scale_mode;
  } else {
    scale_mode_ = options_.mode == CyclicMode::exp_range ? ScaleMode::iterations : ScaleMode::cycle;
  }

  if (options_.cycle_momentum) {
    for (size_t g = 0; g < groups; ++g) {
      if (!optimizer.momentum(g)) {
        throw ValueError("CyclicLR: cycle_momentum needs an optimizer with momentum or betas; " +
                         optimizer.name() + " has none (set cycle_momentum = false)");
      }
    }
    base_momenta_ = options_.base_momentum.per_group(groups, name(), "base_momentum");
    max_momenta_ = options_.max_momentum.per_group(groups, name(), "max_momentum");
    for (double m : base_momenta_) detail::check_scheduler_non_negative(name(), "base_momentum", m);
    for (double m : max_momenta_) detail::check_scheduler_non_negative(name(), "max_momentum", m);
    for (size_t g = 0; g < groups; ++g) optimizer.set_momentum(g, base_momenta_[g]);
  }
  // PyTorch sets the rates to base_lr first, so a later scheduler takes base_lr as its base too.
  for (size_t g = 0; g < groups; ++g) optimizer.set_lr(g, base_lrs[g]);
  set_base_lrs(base_lrs, /*shared=*/false);
  initial_step();
}

double CyclicLR::scale(double x) const {
  if (options_.scale_fn) return options_.scale_fn(x);
  switch (options_.mode) {
    case CyclicMode::triangular:
      return 1.0;
    case CyclicMode::triangular2:
      return 1 / std::pow(2.0, x - 1);
    case CyclicMode::exp_range:
      return std::pow(options_.gamma, x);
  }
  return 1.0;
}

std::vector<double> CyclicLR::compute_lr() {
  const double step = static_cast<double>(last_epoch());
  const double cycle = std::floor(1 + step / total_size_);
  const double x = 1. + step / total_size_ - cycle;
  const double scale_factor = x <= step_ratio_ ? x / step_ratio_ : (x - 1) / (step_ratio_ - 1);
  const double amplitude_scale = scale(scale_mode_ == ScaleMode::cycle ? cycle : step);
  const size_t groups = num_groups();
  std::vector<double> lrs(groups);
  for (size_t g = 0; g < groups; ++g) {
    const double height = (max_lrs_[g] - base_lrs()[g]) * scale_factor;
    lrs[g] = base_lrs()[g] + height * amplitude_scale;
  }
  if (options_.cycle_momentum) {
    for (size_t g = 0; g < groups; ++g) {
      const double height = (max_momenta_[g] - base_momenta_[g]) * scale_factor;
      optimizer().set_momentum(g, max_momenta_[g] - height * amplitude_scale);
    }
  }
  return lrs;
}

}  // namespace cajal::optim
