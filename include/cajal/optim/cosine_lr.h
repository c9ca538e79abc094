#pragma once
// Cosine annealing (Loshchilov & Hutter, 2017, "SGDR: Stochastic Gradient Descent with Warm
// Restarts"): the rate follows half a cosine from the base rate down to eta_min,
//   lr(t) = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T)) / 2,
// slow at first, fast in the middle, slow again near the end.
//
//   optim::CosineAnnealingLR a(opt, {.T_max = 100});                   // one descent
//   optim::CosineAnnealingWarmRestarts b(opt, {.T_0 = 10, .T_mult = 2});  // 10, 20, 40, ...
#include <cstdint>
#include <vector>

#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim {

struct CosineAnnealingLROptions {
  int64_t T_max = 0;   // epochs of the descent, > 0 (required, as in PyTorch)
  double eta_min = 0;  // the lowest rate, >= 0
};

// PyTorch's CosineAnnealingLR, chainable. After T_max epochs the rate climbs back along the
// cosine (period 2 * T_max), as in PyTorch; stop stepping, or use SequentialLR, to hold it.
class CosineAnnealingLR : public LRScheduler {
 public:
  using Options = CosineAnnealingLROptions;
  // ValueError: T_max <= 0, eta_min < 0.
  CosineAnnealingLR(Optimizer& optimizer, Options options);

 protected:
  std::vector<double> compute_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;

 private:
  Options options_;
};

struct CosineAnnealingWarmRestartsOptions {
  int64_t T_0 = 0;     // epochs before the first restart, > 0 (required, as in PyTorch)
  int64_t T_mult = 1;  // each period is T_mult times the previous one, >= 1
  double eta_min = 0;  // >= 0
};

// SGDR: the cosine descent restarts at the base rate after T_0 epochs, then after T_0 * T_mult
// more, and so on: lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2 with
// T_cur the epochs since the last restart and T_i the current period. Closed form.
// step(epoch) sets a fractional epoch, for restarts within an epoch:
//   for (int64_t i = 0; i < batches; ++i) { ...; scheduler.step(epoch + double(i) / batches); }
class CosineAnnealingWarmRestarts : public LRScheduler {
 public:
  using Options = CosineAnnealingWarmRestartsOptions;
  // ValueError: T_0 <= 0, T_mult < 1, eta_min < 0.
  CosineAnnealingWarmRestarts(Optimizer& optimizer, Options options);

  void step() override;
  // Moves to `epoch` (>= 0, may be fractional); ValueError for a negative epoch.
  void step(double epoch);

  double T_cur() const { return T_cur_; }
  int64_t T_i() const { return T_i_; }

 protected:
  std::vector<double> compute_lr() override;
  void jump_to(int64_t epoch) override;
  // "T_cur" (float64), "T_i" (int64).
  void save_extra(StateDict& state) const override;
  void load_extra(const StateDict& state) override;

 private:
  Options options_;
  double T_cur_ = -1;
  int64_t T_i_;
};

}  // namespace cajal::optim
