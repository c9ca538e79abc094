#include "cajal/optim/decay_lr.h"

#include <algorithm>
#include <cmath>

namespace cajal::optim {

ExponentialLR::ExponentialLR(Optimizer& optimizer, Options options)
    : LRScheduler("ExponentialLR", optimizer), options_(options) {
  detail::check_scheduler_positive(name(), "gamma", options_.gamma);
  initial_step();
}

std::vector<double> ExponentialLR::compute_lr() {
  std::vector<double> lrs = current_lrs();
  if (last_epoch() == 0) return lrs;
  for (double& lr : lrs) lr *= options_.gamma;
  return lrs;
}

std::optional<std::vector<double>> ExponentialLR::closed_form_lr() const {
  std::vector<double> lrs = base_lrs();
  const double factor = std::pow(options_.gamma, static_cast<double>(last_epoch()));
  for (double& lr : lrs) lr *= factor;
  return lrs;
}

PolynomialLR::PolynomialLR(Optimizer& optimizer, Options options)
    : LRScheduler("PolynomialLR", optimizer), options_(options) {
  if (options_.total_iters <= 0) {
    throw ValueError("PolynomialLR: total_iters must be > 0, got " +
                     std::to_string(options_.total_iters));
  }
  detail::check_scheduler_non_negative(name(), "power", options_.power);
  initial_step();
}

std::vector<double> PolynomialLR::compute_lr() {
  std::vector<double> lrs = current_lrs();
  const int64_t t = last_epoch();
  if (t == 0 || t > options_.total_iters) return lrs;
  const double total = static_cast<double>(options_.total_iters);
  // The ratio of this epoch's factor to the previous one.
  const double factor =
      std::pow((1.0 - static_cast<double>(t) / total) / (1.0 - static_cast<double>(t - 1) / total),
               options_.power);
  for (double& lr : lrs) lr *= factor;
  return lrs;
}

std::optional<std::vector<double>> PolynomialLR::closed_form_lr() const {
  const double total = static_cast<double>(options_.total_iters);
  const double done = static_cast<double>(std::min(options_.total_iters, last_epoch()));
  const double factor = std::pow(1.0 - done / total, options_.power);
  std::vector<double> lrs = base_lrs();
  for (double& lr : lrs) lr *= factor;
  return lrs;
}

InverseTimeLR::InverseTimeLR(Optimizer& optimizer, Options options)
    : LRScheduler("InverseTimeLR", optimizer), options_(options) {
  detail::check_scheduler_positive(name(), "decay_steps", options_.decay_steps);
  detail::check_scheduler_non_negative(name(), "decay_rate", options_.decay_rate);
  detail::check_scheduler_non_negative(name(), "power", options_.power);
  initial_step();
}

std::vector<double> InverseTimeLR::compute_lr() {
  double progress = static_cast<double>(last_epoch()) / options_.decay_steps;
  if (options_.staircase) progress = std::floor(progress);
  const double divisor = std::pow(1.0 + options_.decay_rate * progress, options_.power);
  std::vector<double> lrs = base_lrs();
  for (double& lr : lrs) lr /= divisor;
  return lrs;
}

}  // namespace cajal::optim
