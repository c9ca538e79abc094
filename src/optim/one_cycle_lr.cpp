#include "cajal/optim/one_cycle_lr.h"

#include <cmath>
#include <numbers>

namespace cajal::optim {

namespace {
enum RateIndex { kInitial = 0, kMax = 1, kMin = 2 };
enum MomentumIndex { kMaxMomentum = 0, kBaseMomentum = 1 };

void check_count(const char* option, int64_t value) {
  if (value <= 0) {
    throw ValueError(std::string("OneCycleLR: ") + option + " must be > 0, got " +
                     std::to_string(value));
  }
}

void check_momentum(const char* option, const std::vector<double>& values) {
  for (double value : values) {
    if (!(value >= 0 && value < 1)) {
      throw ValueError(std::string("OneCycleLR: ") + option + " must be in [0, 1), got " +
                       detail::format_number(value));
    }
  }
}
}  // namespace

OneCycleLR::OneCycleLR(Optimizer& optimizer, Options options)
    : LRScheduler("OneCycleLR", optimizer), options_(std::move(options)) {
  if (options_.total_steps != 0) {
    check_count("total_steps", options_.total_steps);
    total_steps_ = options_.total_steps;
  } else if (options_.epochs == 0 && options_.steps_per_epoch == 0) {
    throw ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch");
  } else {
    check_count("epochs", options_.epochs);
    check_count("steps_per_epoch", options_.steps_per_epoch);
    total_steps_ = options_.epochs * options_.steps_per_epoch;
  }
  if (!(options_.pct_start >= 0 && options_.pct_start <= 1)) {
    throw ValueError("OneCycleLR: pct_start must be in [0, 1], got " +
                     detail::format_number(options_.pct_start));
  }
  detail::check_scheduler_positive(name(), "div_factor", options_.div_factor);
  detail::check_scheduler_positive(name(), "final_div_factor", options_.final_div_factor);
  if (options_.max_lr.empty()) throw ValueError("OneCycleLR: max_lr is required");
  const size_t groups = num_groups();
  max_lrs_ = options_.max_lr.per_group(groups, name(), "max_lr");
  for (double lr : max_lrs_) detail::check_scheduler_positive(name(), "max_lr", lr);

  const double total = static_cast<double>(total_steps_);
  const double warmup_end = options_.pct_start * total - 1;
  if (options_.three_phase) {
    phases_ = {{warmup_end, kInitial, kMax, kMaxMomentum, kBaseMomentum},
               {2 * options_.pct_start * total - 2, kMax, kInitial, kBaseMomentum, kMaxMomentum},
               {total - 1, kInitial, kMin, kMaxMomentum, kMaxMomentum}};
  } else {
    phases_ = {{warmup_end, kInitial, kMax, kMaxMomentum, kBaseMomentum},
               {total - 1, kMax, kMin, kBaseMomentum, kMaxMomentum}};
  }

  if (options_.cycle_momentum) {
    max_momenta_ = options_.max_momentum.per_group(groups, name(), "max_momentum");
    base_momenta_ = options_.base_momentum.per_group(groups, name(), "base_momentum");
    check_momentum("max_momentum", max_momenta_);
    check_momentum("base_momentum", base_momenta_);
    for (size_t g = 0; g < groups; ++g) {
      if (!optimizer.momentum(g)) {
        throw ValueError("OneCycleLR: cycle_momentum needs an optimizer with momentum or betas; " +
                         optimizer.name() + " has none (set cycle_momentum = false)");
      }
    }
  }

  initial_lrs_.resize(groups);
  min_lrs_.resize(groups);
  for (size_t g = 0; g < groups; ++g) {
    initial_lrs_[g] = max_lrs_[g] / options_.div_factor;
    min_lrs_[g] = initial_lrs_[g] / options_.final_div_factor;
  }
  // PyTorch overwrites each group's initial_lr: later schedulers start from max_lr / div_factor.
  set_base_lrs(initial_lrs_, /*shared=*/true);
  if (options_.cycle_momentum) {
    for (size_t g = 0; g < groups; ++g) optimizer.set_momentum(g, max_momenta_[g]);
  }
  initial_step();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (options_.anneal_strategy == AnnealStrategy::linear) return (end - start) * pct + start;
  const double cosine = std::cos(std::numbers::pi * pct) + 1;
  return end + (start - end) / 2.0 * cosine;
}

std::vector<double> OneCycleLR::compute_lr() {
  const int64_t step = last_epoch();
  if (step > total_steps_) {
    throw ValueError("OneCycleLR: step() called " + std::to_string(step) +
                     " times, past total_steps " + std::to_string(total_steps_));
  }
  const double position = static_cast<double>(step);
  const size_t groups = num_groups();
  std::vector<double> lrs(groups);
  std::vector<double> momenta(groups);
  for (size_t g = 0; g < groups; ++g) {
    const double rates[3] = {initial_lrs_[g], max_lrs_[g], min_lrs_[g]};
    double start_step = 0;
    for (size_t i = 0; i < phases_.size(); ++i) {
      const Phase& phase = phases_[i];
      if (position <= phase.end_step || i + 1 == phases_.size()) {
        // PyTorch divides by zero for a phase of length zero (pct_start * total_steps == 1, say);
        // we start such a phase at its first value instead of producing NaN.
        const double length = phase.end_step - start_step;
        const double pct = length == 0 ? 0.0 : (position - start_step) / length;
        lrs[g] = anneal(rates[phase.start_lr], rates[phase.end_lr], pct);
        if (options_.cycle_momentum) {
          const double momentum_values[2] = {max_momenta_[g], base_momenta_[g]};
          momenta[g] = anneal(momentum_values[phase.start_momentum],
                              momentum_values[phase.end_momentum], pct);
        }
        break;
      }
      start_step = phase.end_step;
    }
  }
  if (options_.cycle_momentum) {
    for (size_t g = 0; g < groups; ++g) optimizer().set_momentum(g, momenta[g]);
  }
  return lrs;
}

}  // namespace cajal::optim
