#include "cajal/optim/step_lr.h"

#include <algorithm>
#include <cmath>

namespace cajal::optim {

StepLR::StepLR(Optimizer& optimizer, Options options)
    : LRScheduler("StepLR", optimizer), options_(options) {
  if (options_.step_size <= 0) {
    throw ValueError("StepLR: step_size must be > 0, got " + std::to_string(options_.step_size));
  }
  detail::check_scheduler_non_negative(name(), "gamma", options_.gamma);
  initial_step();
}

std::vector<double> StepLR::compute_lr() {
  std::vector<double> lrs = current_lrs();
  if (last_epoch() == 0 || last_epoch() % options_.step_size != 0) return lrs;
  for (double& lr : lrs) lr *= options_.gamma;
  return lrs;
}

std::optional<std::vector<double>> StepLR::closed_form_lr() const {
  std::vector<double> lrs = base_lrs();
  const double factor =
      std::pow(options_.gamma, static_cast<double>(last_epoch() / options_.step_size));
  for (double& lr : lrs) lr *= factor;
  return lrs;
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, Options options)
    : LRScheduler("MultiStepLR", optimizer), options_(std::move(options)) {
  for (int64_t milestone : options_.milestones) {
    if (milestone < 0) {
      throw ValueError("MultiStepLR: milestones must be >= 0, got " + std::to_string(milestone));
    }
  }
  detail::check_scheduler_non_negative(name(), "gamma", options_.gamma);
  std::sort(options_.milestones.begin(), options_.milestones.end());
  initial_step();
}

std::vector<double> MultiStepLR::compute_lr() {
  std::vector<double> lrs = current_lrs();
  const auto [first, last] =
      std::equal_range(options_.milestones.begin(), options_.milestones.end(), last_epoch());
  const int64_t count = last - first;
  if (count == 0) return lrs;
  const double factor = std::pow(options_.gamma, static_cast<double>(count));
  for (double& lr : lrs) lr *= factor;
  return lrs;
}

std::optional<std::vector<double>> MultiStepLR::closed_form_lr() const {
  const int64_t passed =
      std::upper_bound(options_.milestones.begin(), options_.milestones.end(), last_epoch()) -
      options_.milestones.begin();
  std::vector<double> lrs = base_lrs();
  const double factor = std::pow(options_.gamma, static_cast<double>(passed));
  for (double& lr : lrs) lr *= factor;
  return lrs;
}

}  // namespace cajal::optim
