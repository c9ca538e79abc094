#include "cajal/optim/warmup_lr.h"

#include <algorithm>

namespace cajal::optim {

namespace {
void check_total_iters(const std::string& scheduler, int64_t total_iters) {
  if (total_iters <= 0) {
    throw ValueError(scheduler + ": total_iters must be > 0, got " + std::to_string(total_iters));
  }
}

// A factor of 0 would make the chainable form divide by zero when the warm-up ends.
void check_start_factor(const std::string& scheduler, const char* option, double value) {
  if (!(value > 0 && value <= 1)) {
    throw ValueError(scheduler + ": " + option + " must be in (0, 1], got " +
                     detail::format_number(value));
  }
}
}  // namespace

ConstantLR::ConstantLR(Optimizer& optimizer, Options options)
    : LRScheduler("ConstantLR", optimizer), options_(options) {
  check_start_factor(name(), "factor", options_.factor);
  check_total_iters(name(), options_.total_iters);
  initial_step();
}

std::vector<double> ConstantLR::compute_lr() {
  std::vector<double> lrs = current_lrs();
  if (last_epoch() == 0) {
    for (double& lr : lrs) lr *= options_.factor;
  } else if (last_epoch() == options_.total_iters) {
    for (double& lr : lrs) lr *= 1.0 / options_.factor;
  }
  return lrs;
}

std::optional<std::vector<double>> ConstantLR::closed_form_lr() const {
  const double factor = last_epoch() >= options_.total_iters ? 1.0 : options_.factor;
  std::vector<double> lrs = base_lrs();
  for (double& lr : lrs) lr *= factor;
  return lrs;
}

LinearLR::LinearLR(Optimizer& optimizer, Options options)
    : LRScheduler("LinearLR", optimizer), options_(options) {
  check_start_factor(name(), "start_factor", options_.start_factor);
  if (!(options_.end_factor >= 0 && options_.end_factor <= 1)) {
    throw ValueError("LinearLR: end_factor must be in [0, 1], got " +
                     detail::format_number(options_.end_factor));
  }
  check_total_iters(name(), options_.total_iters);
  initial_step();
}

std::vector<double> LinearLR::compute_lr() {
  std::vector<double> lrs = current_lrs();
  const int64_t t = last_epoch();
  if (t == 0) {
    for (double& lr : lrs) lr *= options_.start_factor;
    return lrs;
  }
  if (t > options_.total_iters) return lrs;
  // The ratio of this epoch's factor to the previous one.
  const double slope = options_.end_factor - options_.start_factor;
  const double ratio =
      1.0 + slope / (static_cast<double>(options_.total_iters) * options_.start_factor +
                     static_cast<double>(t - 1) * slope);
  for (double& lr : lrs) lr *= ratio;
  return lrs;
}

std::optional<std::vector<double>> LinearLR::closed_form_lr() const {
  const double done = static_cast<double>(std::min(options_.total_iters, last_epoch()));
  const double factor = options_.start_factor + (options_.end_factor - options_.start_factor) *
                                                    done /
                                                    static_cast<double>(options_.total_iters);
  std::vector<double> lrs = base_lrs();
  for (double& lr : lrs) lr *= factor;
  return lrs;
}

}  // namespace cajal::optim
