#pragma once
// Smooth decays, every epoch a little: exponential, polynomial and inverse-time (power) decay.
//
//   optim::ExponentialLR a(opt, {.gamma = 0.95});                   // lr0 * 0.95^t
//   optim::PolynomialLR b(opt, {.total_iters = 100, .power = 2});   // lr0 * (1 - t/100)^2
//   optim::InverseTimeLR c(opt, {.decay_steps = 20, .power = 1});   // lr0 / (1 + t/20)
#include <cstdint>
#include <vector>

#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim {

struct ExponentialLROptions {
  double gamma = 0;  // multiplicative factor per epoch, > 0 (required, as in PyTorch)
};

// PyTorch's ExponentialLR, chainable: lr(t) = base_lr * gamma^t.
class ExponentialLR : public LRScheduler {
 public:
  using Options = ExponentialLROptions;
  // ValueError: gamma <= 0.
  ExponentialLR(Optimizer& optimizer, Options options);

 protected:
  std::vector<double> compute_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;

 private:
  Options options_;
};

struct PolynomialLROptions {
  int64_t total_iters = 5;  // > 0
  double power = 1;         // >= 0
};

// PyTorch's PolynomialLR, chainable: lr(t) = base_lr * (1 - min(t, total_iters) /
// total_iters)^power, reaching 0 at total_iters and staying there.
class PolynomialLR : public LRScheduler {
 public:
  using Options = PolynomialLROptions;
  // ValueError: total_iters <= 0, power < 0.
  PolynomialLR(Optimizer& optimizer, Options options);

 protected:
  std::vector<double> compute_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;

 private:
  Options options_;
};

struct InverseTimeLROptions {
  double decay_steps = 1;  // s > 0
  double decay_rate = 1;   // r >= 0
  double power = 1;        // c >= 0
  bool staircase = false;  // use floor(t / s): the rate drops in steps every s epochs
};

// Inverse-time ("power") decay, not in PyTorch:
//   lr(t) = base_lr / (1 + r * t / s)^c
// With r = 1 it is the power scheduling of Géron (Hands-On Machine Learning, 2019, ch. 11),
// lr0 / (1 + t/s)^c; with c = 1 it is Keras's InverseTimeDecay (decay_steps, decay_rate,
// staircase). The rate halves after s epochs when r = c = 1, then falls ever more slowly. Computed
// from base_lrs() at every step (not chainable), like LambdaLR.
class InverseTimeLR : public LRScheduler {
 public:
  using Options = InverseTimeLROptions;
  // ValueError: decay_steps <= 0, decay_rate < 0, power < 0.
  InverseTimeLR(Optimizer& optimizer, Options options);

 protected:
  std::vector<double> compute_lr() override;

 private:
  Options options_;
};

}  // namespace cajal::optim
