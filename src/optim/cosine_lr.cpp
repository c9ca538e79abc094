#include "cajal/optim/cosine_lr.h"

#include <cmath>
#include <numbers>

namespace cajal::optim {

namespace {
// Python's a % b for b > 0: the result has b's sign.
int64_t floor_mod(int64_t a, int64_t b) {
  const int64_t r = a % b;
  return r < 0 ? r + b : r;
}
}  // namespace

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, Options options)
    : LRScheduler("CosineAnnealingLR", optimizer), options_(options) {
  if (options_.T_max <= 0) {
    throw ValueError("CosineAnnealingLR: T_max must be > 0, got " + std::to_string(options_.T_max));
  }
  detail::check_scheduler_non_negative(name(), "eta_min", options_.eta_min);
  initial_step();
}

std::vector<double> CosineAnnealingLR::compute_lr() {
  constexpr double pi = std::numbers::pi;
  std::vector<double> lrs = current_lrs();
  const int64_t t = last_epoch();
  if (t == 0) return lrs;
  const double eta_min = options_.eta_min;
  const double t_max = static_cast<double>(options_.T_max);
  if (floor_mod(t - 1 - options_.T_max, 2 * options_.T_max) == 0) {
    // At the bottom the ratio below divides by zero: step up from eta_min by the first increment.
    for (size_t g = 0; g < lrs.size(); ++g) {
      lrs[g] += (base_lrs()[g] - eta_min) * (1 - std::cos(pi / t_max)) / 2;
    }
    return lrs;
  }
  const double ratio = (1 + std::cos(pi * static_cast<double>(t) / t_max)) /
                       (1 + std::cos(pi * static_cast<double>(t - 1) / t_max));
  for (double& lr : lrs) lr = ratio * (lr - eta_min) + eta_min;
  return lrs;
}

std::optional<std::vector<double>> CosineAnnealingLR::closed_form_lr() const {
  constexpr double pi = std::numbers::pi;
  const double eta_min = options_.eta_min;
  const double cosine =
      1 + std::cos(pi * static_cast<double>(last_epoch()) / static_cast<double>(options_.T_max));
  std::vector<double> lrs = base_lrs();
  for (double& lr : lrs) lr = eta_min + (lr - eta_min) * cosine / 2;
  return lrs;
}

CosineAnnealingWarmRestarts::CosineAnnealingWarmRestarts(Optimizer& optimizer, Options options)
    : LRScheduler("CosineAnnealingWarmRestarts", optimizer), options_(options), T_i_(options.T_0) {
  if (options_.T_0 <= 0) {
    throw ValueError("CosineAnnealingWarmRestarts: T_0 must be > 0, got " +
                     std::to_string(options_.T_0));
  }
  if (options_.T_mult < 1) {
    throw ValueError("CosineAnnealingWarmRestarts: T_mult must be >= 1, got " +
                     std::to_string(options_.T_mult));
  }
  detail::check_scheduler_non_negative(name(), "eta_min", options_.eta_min);
  step(0.0);
}

std::vector<double> CosineAnnealingWarmRestarts::compute_lr() {
  constexpr double pi = std::numbers::pi;
  const double eta_min = options_.eta_min;
  const double cosine = 1 + std::cos(pi * T_cur_ / static_cast<double>(T_i_));
  std::vector<double> lrs = base_lrs();
  for (double& lr : lrs) lr = eta_min + (lr - eta_min) * cosine / 2;
  return lrs;
}

void CosineAnnealingWarmRestarts::step() {
  if (last_epoch() < 0) {
    step(0.0);
    return;
  }
  T_cur_ += 1;
  if (T_cur_ >= static_cast<double>(T_i_)) {
    T_cur_ -= static_cast<double>(T_i_);
    T_i_ *= options_.T_mult;
  }
  set_last_epoch(last_epoch() + 1);
  apply(compute_lr());
}

void CosineAnnealingWarmRestarts::step(double epoch) {
  if (!(epoch >= 0) || !std::isfinite(epoch)) {
    throw ValueError("CosineAnnealingWarmRestarts: epoch must be a finite number >= 0, got " +
                     detail::format_number(epoch));
  }
  const double t_0 = static_cast<double>(options_.T_0);
  if (epoch >= t_0) {
    if (options_.T_mult == 1) {
      T_cur_ = std::fmod(epoch, t_0);
      T_i_ = options_.T_0;
    } else {
      // The number of whole periods before `epoch`: T_0 (T_mult^n - 1) / (T_mult - 1) <= epoch.
      const double mult = static_cast<double>(options_.T_mult);
      const int64_t n =
          static_cast<int64_t>(std::log(epoch / t_0 * (mult - 1) + 1) / std::log(mult));
      const double periods = std::pow(mult, static_cast<double>(n));
      T_cur_ = epoch - t_0 * (periods - 1) / (mult - 1);
      T_i_ = options_.T_0 * static_cast<int64_t>(periods);
    }
  } else {
    T_i_ = options_.T_0;
    T_cur_ = epoch;
  }
  set_last_epoch(static_cast<int64_t>(std::floor(epoch)));
  apply(compute_lr());
}

void CosineAnnealingWarmRestarts::jump_to(int64_t epoch) { step(static_cast<double>(epoch)); }

void CosineAnnealingWarmRestarts::save_extra(StateDict& state) const {
  state.insert("T_cur", detail::number_tensor(T_cur_));
  state.insert("T_i", detail::integer_tensor(T_i_));
}

void CosineAnnealingWarmRestarts::load_extra(const StateDict& state) {
  const double t_cur = detail::state_number(state, "T_cur", name());
  const int64_t t_i = detail::state_integer(state, "T_i", name());
  if (t_i <= 0) {
    throw ValueError("CosineAnnealingWarmRestarts: load_state_dict: T_i must be > 0, got " +
                     std::to_string(t_i));
  }
  T_cur_ = t_cur;
  T_i_ = t_i;
}

}  // namespace cajal::optim
