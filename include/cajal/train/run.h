#pragma once
// Whole experiments from a model spec: what `cajal train`, `eval`, `cv` and `search` do, as
// library calls so that C++ programs and tests run them the same way.
//
//   train::Spec spec = train::load_spec("examples/fashion_mlp.json");
//   train::RunResult result = train::run_training(spec, {.out_dir = "runs/mlp"});
//   std::cout << result.test.at("accuracy");
//
// A run writes into out_dir: last.safetensors and best.safetensors (checkpoints with the spec and
// the preprocessing state), metrics.csv (every epoch), the report (report.html and PNGs), and,
// when asked, the metrics JSON file.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cajal/train/fit.h"
#include "cajal/train/spec.h"
#include "cajal/train/spec_data.h"

namespace cajal::train {

struct RunOptions {
  std::optional<int64_t> epochs{};                      // overrides training.epochs
  std::optional<uint64_t> seed{};                       // overrides the spec's seed (default 0)
  int threads = 0;                                      // 0: leave the thread count as it is
  std::filesystem::path out_dir{};                      // default: runs/<spec name>
  std::optional<std::filesystem::path> resume{};        // a checkpoint of this spec's run
  std::optional<std::filesystem::path> metrics_json{};  // see write_metrics_json
  int64_t limit = 0;            // use only the first `limit` training and test examples (0: all)
  int verbose = 1;              // 1: progress bar and messages on `log`; 0: silent
  bool report = true;           // write the HTML report
  std::ostream* log = nullptr;  // messages; nullptr: std::cout
};

struct RunResult {
  History history;
  Logs test;  // loss and metrics on the test data (empty when the data has none)
  std::filesystem::path out_dir;
  std::filesystem::path checkpoint;  // last.safetensors
  std::vector<std::string> class_names;
};

// Trains the spec's model on its data: seeds, builds, restores a checkpoint when resuming (it
// must come from the same spec: ValueError otherwise), fits with checkpoints, metrics log, early
// stopping from the spec, evaluates on the test data and writes the report. A diverged run is an
// Error naming the epoch and step (the last good checkpoint is kept).
RunResult run_training(const Spec& spec, const RunOptions& options = {});

// {"epochs": [{"epoch", "train_loss", "val_loss", "val_accuracy", ..., "seconds"}...],
//  "test": {"loss", "accuracy" | "mse", "mae", "rmse", "r2", ...}} written atomically.
void write_metrics_json(const std::filesystem::path& path, const History& history,
                        const Logs& test);

// The metrics reported for a task: accuracy, top-3 accuracy (when there are more than 3
// classes), macro precision/recall/F1 for classification; mse, mae, rmse, r2 for regression.
std::vector<std::string> default_metrics(bool classification, int64_t num_outputs);

struct EvalOptions {
  int64_t batch_size = 256;
  int64_t limit = 0;
  int threads = 0;
};

struct EvalResult {
  Logs metrics;
  Tensor confusion;  // classification: int64 [C, C]; else undefined
  std::vector<std::string> class_names;
  int64_t examples = 0;
};

// Rebuilds the model from a checkpoint's spec, loads its weights and evaluates it on the spec's
// test data (or, when `data_spec` is given, on that "data" section's test part; a JSON text).
EvalResult evaluate_checkpoint(const std::filesystem::path& checkpoint,
                               const std::optional<std::string>& data_spec = std::nullopt,
                               const EvalOptions& options = {});

struct Prediction {
  std::string name;            // the file (and row) the input came from
  int64_t label = -1;          // classification: the predicted class
  std::string class_name;      // classification
  double probability = 0;      // classification: softmax (or sigmoid) probability of the label
  std::vector<double> values;  // regression: the predicted values
};

// Predicts inputs (images, CSV rows or NPY arrays, prepared as in training) with a checkpoint.
std::vector<Prediction> predict_files(const std::filesystem::path& checkpoint,
                                      const std::vector<std::string>& files);

struct CrossValidationOptions {
  int64_t folds = 5;  // >= 2
  RunOptions run{};   // epochs, seed, threads, limit, verbose, log (out_dir, resume unused)
};

struct CrossValidationResult {
  std::vector<Logs> folds;  // the last epoch's validation values of each fold ("val_...")
  Logs mean;
  Logs std;  // sample standard deviation over folds (n - 1)
};

// k-fold cross-validation on the spec's training data (stratified for classification): a fresh
// model per fold, seeded identically. Preprocessing is fitted once on the whole training data.
CrossValidationResult cross_validate(const Spec& spec, const CrossValidationOptions& options);
// The table `cajal cv` prints: one row per fold, then mean and std.
std::string format_cross_validation(const CrossValidationResult& result);

struct SearchOptions {
  RunOptions run{};  // epochs, seed, threads, limit, verbose, log
  // Held out from the training data when the spec's data has no validation part.
  double validation_fraction = 0.2;
};

struct Trial {
  std::vector<std::pair<std::string, Json>> values;  // (JSON pointer, value) applied
  double score = 0;                                  // the monitored value of the last epoch
  Logs logs;                                         // the last epoch's logs
};

struct SearchResult {
  std::string monitor;  // e.g. "val_accuracy"
  bool higher_is_better = true;
  std::vector<Trial> trials;  // ranked, best first
};

// Grid or random search over spec values. The grid document:
//   {"grid": {"/optimizer/lr": [0.001, 0.01], "/training/batch_size": [32, 128]}}
// (every combination) or
//   {"random": {"trials": 8, "seed": 1, "params": {
//       "/optimizer/lr": {"log_uniform": [1e-4, 1e-1]}, "/model/3/p": {"uniform": [0, 0.5]},
//       "/training/batch_size": {"choice": [32, 64, 128]}}}}
// Optional "monitor" (default: the spec's training.monitor, "val_loss"). Every trial trains a
// fresh model with the same seed. SpecError naming the pointer for bad documents or values.
SearchResult search(const Spec& spec, const Json& grid, const SearchOptions& options);
std::string format_search(const SearchResult& result);

}  // namespace cajal::train
