#pragma once
// CyclicLR: cyclical learning rates (Smith, 2017, "Cyclical Learning Rates for Training Neural
// Networks"), as PyTorch's CyclicLR. Stepped once per batch. The rate goes linearly from base_lr
// up to max_lr over step_size_up steps and back down over step_size_down, over and over; the
// amplitude is scaled per cycle (triangular2: halved each cycle) or per step (exp_range:
// gamma^step). Momentum, when cycled, moves the opposite way.
//
//   optim::CyclicLR scheduler(opt, {.base_lr = 1e-3, .max_lr = 6e-3, .step_size_up = 2000});
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim {

enum class CyclicMode { triangular, triangular2, exp_range };
enum class ScaleMode { cycle, iterations };

struct CyclicLROptions {
  PerGroup base_lr{};  // the lower rate, >= 0 (required); also the rate set at construction
  PerGroup max_lr{};   // the upper rate, >= 0 (required)
  int64_t step_size_up = 2000;                 // steps climbing, > 0
  std::optional<int64_t> step_size_down = {};  // steps falling, > 0; default step_size_up
  CyclicMode mode = CyclicMode::triangular;
  double gamma = 1.0;  // exp_range's per-step factor, > 0
  // A custom amplitude scale in [0, 1] of the cycle number (from 1) or of the step, replacing
  // `mode`; scale_mode says which it receives.
  std::function<double(double)> scale_fn = {};
  ScaleMode scale_mode = ScaleMode::cycle;
  bool cycle_momentum = true;    // needs an optimizer with momentum() (SGD, RMSprop, Adam family)
  PerGroup base_momentum = 0.8;  // momentum at the top of the cycle
  PerGroup max_momentum = 0.9;   // momentum at the bottom
};

class CyclicLR : public LRScheduler {
 public:
  using Options = CyclicLROptions;
  // ValueError naming the option and value. Unlike PyTorch 1.13, cycle_momentum also works with
  // the Adam family (it cycles beta1), as PyTorch 2 does.
  CyclicLR(Optimizer& optimizer, Options options);

 protected:
  std::vector<double> compute_lr() override;

 private:
  double scale(double cycle) const;

  Options options_;
  std::vector<double> max_lrs_;
  std::vector<double> base_momenta_, max_momenta_;
  double total_size_ = 0;
  double step_ratio_ = 0;
  ScaleMode scale_mode_ = ScaleMode::cycle;
};

}  // namespace cajal::optim
