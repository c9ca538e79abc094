#pragma once
// What run.cpp (train, eval) and tuning.cpp (cross-validation, search) share: turning a spec and
// its prepared data into the objects and options one fit needs.
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cajal/train/run.h"

namespace cajal::train::detail {

// Messages go to options.log, else std::cout.
std::ostream& log_stream(const RunOptions& options);
// --seed, else the spec's seed, else 0.
uint64_t run_seed(const Spec& spec, const RunOptions& options);

// The spec's training section with the command line's overrides (--epochs) applied.
TrainingSpec effective_training(const Spec& spec, const RunOptions& options);
// The metrics fit logs: the spec's, else accuracy (classification) or rmse (regression).
std::vector<std::string> metrics_for(const TrainingSpec& training, const PreparedData& data);

struct Parts {
  std::shared_ptr<const data::Dataset> train;
  std::shared_ptr<const data::Dataset> validation;  // may be null
};
// The prepared validation part, or a seeded split (stratified for classification) of `fraction`
// of the training data; none when fraction is 0 and the data has none.
Parts split_validation(const PreparedData& data, double fraction, uint64_t seed);

int64_t steps_per_epoch(int64_t examples, int64_t batch_size);

struct Built {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<nn::Loss> loss;
  std::unique_ptr<optim::Optimizer> optimizer;
  BuiltScheduler scheduler;
};
// Seeds the global generator with `seed`, then builds model, loss, optimizer and schedule.
Built build_all(const Spec& spec, const PreparedData& data, const TrainingSpec& training,
                int64_t train_examples, uint64_t seed);

FitOptions fit_options_for(const TrainingSpec& training, const std::vector<std::string>& metrics,
                           const BuiltScheduler& scheduler, uint64_t seed, int verbose);

}  // namespace cajal::train::detail
