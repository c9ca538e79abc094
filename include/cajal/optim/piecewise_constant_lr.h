#pragma once
// PiecewiseConstantLR: Keras's PiecewiseConstantDecay. The rate is values[i] between boundaries:
//
//   lr(t) = values[0]   for t <= boundaries[0]
//           values[1]   for boundaries[0] < t <= boundaries[1]
//           ...
//           values[n]   for t > boundaries[n-1]
//
// with t = last_epoch() (the number of step() calls; Keras counts optimizer iterations, so call
// step() once per batch to reproduce a Keras schedule). As in Keras, the values are absolute
// rates and a boundary step still uses the earlier value; every parameter group gets the same
// rate. For factors relative to each group's own rate use MultiStepLR or LambdaLR.
//
//   optim::PiecewiseConstantLR s(opt, {.boundaries = {100, 200}, .values = {1.0, 0.5, 0.1}});
#include <cstdint>
#include <vector>

#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim {

struct PiecewiseConstantLROptions {
  std::vector<int64_t> boundaries{};  // strictly increasing, each >= 0
  std::vector<double> values{};       // boundaries.size() + 1 rates, each >= 0
};

class PiecewiseConstantLR : public LRScheduler {
 public:
  using Options = PiecewiseConstantLROptions;
  // ValueError: values.size() != boundaries.size() + 1, boundaries not strictly increasing or
  // negative, a negative value.
  PiecewiseConstantLR(Optimizer& optimizer, Options options);

 protected:
  std::vector<double> compute_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;

 private:
  double value_at(int64_t step) const;
  Options options_;
};

}  // namespace cajal::optim
