#pragma once
// Schedules given as functions of the epoch: PyTorch's LambdaLR and MultiplicativeLR.
//
//   optim::LambdaLR a(opt, [](int64_t epoch) { return std::min(1.0, (epoch + 1) / 10.0); });
//   optim::LambdaLR b(opt, {trunk_factor, head_factor});   // one function per group
//   optim::MultiplicativeLR c(opt, [](int64_t) { return 0.95; });
//
// The functions are not part of state_dict(); construct the scheduler with the same functions
// before loading.
#include <cstdint>
#include <functional>
#include <vector>

#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim {

using LRLambda = std::function<double(int64_t epoch)>;

// lr(t) = base_lr * lambda(t), from base_lrs() at every step.
class LambdaLR : public LRScheduler {
 public:
  // The same function for every group.
  LambdaLR(Optimizer& optimizer, LRLambda lr_lambda);
  // One function per group; ValueError when the count differs from the number of groups or a
  // function is empty.
  LambdaLR(Optimizer& optimizer, std::vector<LRLambda> lr_lambdas);

 protected:
  std::vector<double> compute_lr() override;

 private:
  std::vector<LRLambda> lr_lambdas_;
};

// Chainable: lr(t) = lr(t - 1) * lambda(t) for t > 0; lr(0) = the optimizer's rate.
class MultiplicativeLR : public LRScheduler {
 public:
  MultiplicativeLR(Optimizer& optimizer, LRLambda lr_lambda);
  MultiplicativeLR(Optimizer& optimizer, std::vector<LRLambda> lr_lambdas);

 protected:
  std::vector<double> compute_lr() override;

 private:
  std::vector<LRLambda> lr_lambdas_;
};

}  // namespace cajal::optim
