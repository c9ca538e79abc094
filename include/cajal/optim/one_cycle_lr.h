#pragma once
// OneCycleLR: the 1cycle policy (Smith & Topin, 2018, "Super-Convergence: Very Fast Training of
// Neural Networks Using Large Learning Rates"; Smith, 2018, "A disciplined approach to neural
// network hyper-parameters"), as PyTorch's OneCycleLR. Stepped once per batch.
//
// The rate climbs from max_lr / div_factor to max_lr over the first pct_start of the steps, then
// anneals to max_lr / (div_factor * final_div_factor). Momentum (SGD, RMSprop) or beta1 (the
// Adam family) moves the opposite way, from max_momentum down to base_momentum while the rate
// climbs and back up while it falls: a high rate with high momentum would overshoot.
// three_phase = true is the paper's version: up, back down to the initial rate symmetrically,
// then a short final annealing; the default two phases are fast.ai's.
//
//   optim::SGD opt(net.parameters(), {.lr = 0.01, .momentum = 0.9});
//   optim::OneCycleLR scheduler(opt, {.max_lr = 0.1, .epochs = 10, .steps_per_epoch = batches});
//   for each batch: { ...; opt.step(); scheduler.step(); }
//
// Pick max_lr with lr_find (lr_find.h): a little below where the loss stops falling.
// After total_steps steps another step() throws ValueError (PyTorch's behaviour); the step that
// reaches total_steps itself is allowed.
#include <cstdint>
#include <vector>

#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim {

enum class AnnealStrategy { cos, linear };

struct OneCycleLROptions {
  PerGroup max_lr{};        // the peak rate, > 0; one for all groups or one per group (required)
  int64_t total_steps = 0;  // > 0; or 0 and give epochs and steps_per_epoch
  int64_t epochs = 0;       // total_steps = epochs * steps_per_epoch when total_steps is 0
  int64_t steps_per_epoch = 0;
  double pct_start = 0.3;  // share of the steps spent climbing, in [0, 1]
  AnnealStrategy anneal_strategy = AnnealStrategy::cos;
  bool cycle_momentum = true;     // needs an optimizer with momentum() (SGD, RMSprop, Adam family)
  PerGroup base_momentum = 0.85;  // momentum at the peak rate
  PerGroup max_momentum = 0.95;   // momentum at the start and the end
  double div_factor = 25;         // initial rate = max_lr / div_factor, > 0
  double final_div_factor = 1e4;  // final rate = initial rate / final_div_factor, > 0
  bool three_phase = false;
};

class OneCycleLR : public LRScheduler {
 public:
  using Options = OneCycleLROptions;
  // ValueError naming the option and value: no total_steps and no epochs * steps_per_epoch,
  // a non-positive count, pct_start outside [0, 1], max_lr <= 0, div factors <= 0, momentum
  // values outside [0, 1), a per-group list of the wrong length, cycle_momentum with an optimizer
  // that has no momentum.
  OneCycleLR(Optimizer& optimizer, Options options);

  int64_t total_steps() const { return total_steps_; }

 protected:
  std::vector<double> compute_lr() override;

 private:
  struct Phase {
    double end_step;
    // Indices into {initial, max, min} rates and {max, base} momenta.
    int start_lr, end_lr, start_momentum, end_momentum;
  };
  double anneal(double start, double end, double pct) const;

  Options options_;
  int64_t total_steps_ = 0;
  std::vector<Phase> phases_;
  std::vector<double> initial_lrs_, max_lrs_, min_lrs_;
  std::vector<double> base_momenta_, max_momenta_;
};

}  // namespace cajal::optim
