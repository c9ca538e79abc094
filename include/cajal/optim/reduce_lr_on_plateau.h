#pragma once
// ReduceLROnPlateau: performance scheduling. Watches a metric (validation loss, accuracy) and
// multiplies every rate by `factor` once it has not improved for `patience` epochs; PyTorch's
// ReduceLROnPlateau, decision for decision.
//
//   optim::ReduceLROnPlateau scheduler(opt, {.factor = 0.5, .patience = 5});
//   for each epoch: { train(); double loss = validate(); scheduler.step(loss); }
//
// An epoch improves on the best value so far when (mode min) metric < best * (1 - threshold)
// (threshold_mode rel) or metric < best - threshold (abs); mirrored for mode max. After a
// reduction, `cooldown` epochs pass before bad epochs count again. A rate never goes below its
// group's min_lr, and a reduction smaller than eps is skipped.
#include <cstdint>
#include <vector>

#include "cajal/optim/lr_scheduler.h"

namespace cajal::optim {

enum class PlateauMode { min, max };
enum class ThresholdMode { rel, abs };

struct ReduceLROnPlateauOptions {
  PlateauMode mode = PlateauMode::min;  // min for a loss, max for an accuracy
  double factor = 0.1;                  // new rate = rate * factor, in [0, 1)
  int64_t patience = 10;                // epochs without improvement tolerated, >= 0
  double threshold = 1e-4;              // >= 0
  ThresholdMode threshold_mode = ThresholdMode::rel;
  int64_t cooldown = 0;  // >= 0
  PerGroup min_lr = 0;   // >= 0; one for all groups or one per group
  double eps = 1e-8;     // >= 0
};

class ReduceLROnPlateau : public LRScheduler {
 public:
  using Options = ReduceLROnPlateauOptions;
  // ValueError naming the option and value. Construction leaves the rates unchanged.
  ReduceLROnPlateau(Optimizer& optimizer, Options options = {});

  bool needs_metric() const override { return true; }
  // ValueError: this schedule needs the metric, step(metric).
  void step() override;
  // One epoch with its monitored metric. A NaN metric never improves: it counts as a bad epoch.
  void step(double metric);

  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  int64_t cooldown_counter() const { return cooldown_counter_; }
  bool in_cooldown() const { return cooldown_counter_ > 0; }

 protected:
  std::vector<double> compute_lr() override;
  void jump_to(int64_t epoch) override;
  // "best" (float64), "num_bad_epochs" and "cooldown_counter" (int64).
  void save_extra(StateDict& state) const override;
  void load_extra(const StateDict& state) override;

 private:
  bool is_better(double value, double best) const;

  Options options_;
  std::vector<double> min_lrs_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
};

}  // namespace cajal::optim
