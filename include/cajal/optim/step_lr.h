#pragma once
// Step decays: the rate drops by a factor at fixed epochs (PyTorch's StepLR and MultiStepLR).
//
//   optim::StepLR a(opt, {.step_size = 30, .gamma = 0.1});          // ×0.1 at 30, 60, 90, ...
//   optim::MultiStepLR b(opt, {.milestones = {30, 80}, .gamma = 0.1});  // ×0.1 at 30 and 80
//
// Both are chainable: each step multiplies the optimizer's current rate.
#include <cstdint>
#include <vector>

#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim {

struct StepLROptions {
  int64_t step_size = 0;  // epochs between decays, > 0 (required, as in PyTorch)
  double gamma = 0.1;     // >= 0
};

// lr(epoch) = base_lr * gamma^floor(epoch / step_size).
class StepLR : public LRScheduler {
 public:
  using Options = StepLROptions;
  // ValueError: step_size <= 0, gamma < 0.
  StepLR(Optimizer& optimizer, Options options);

 protected:
  std::vector<double> compute_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;

 private:
  Options options_;
};

struct MultiStepLROptions {
  // Epochs at which the rate is multiplied by gamma, in any order; a milestone listed k times
  // multiplies by gamma^k there (as PyTorch's Counter does). Each >= 0.
  std::vector<int64_t> milestones{};
  double gamma = 0.1;  // >= 0
};

// lr(epoch) = base_lr * gamma^(number of milestones <= epoch).
class MultiStepLR : public LRScheduler {
 public:
  using Options = MultiStepLROptions;
  // ValueError: a negative milestone, gamma < 0.
  MultiStepLR(Optimizer& optimizer, Options options);

 protected:
  std::vector<double> compute_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;

 private:
  Options options_;  // milestones sorted
};

}  // namespace cajal::optim
