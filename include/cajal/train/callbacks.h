#pragma once
// Callbacks: code that fit() runs at fixed points of training, as Keras callbacks.
//
//   auto stopper = std::make_shared<train::EarlyStopping>(train::EarlyStoppingOptions{
//       .monitor = "val_loss", .patience = 3, .restore_best_weights = true});
//   auto saver = std::make_shared<train::ModelCheckpoint>(train::ModelCheckpointOptions{
//       .directory = "run"});                      // run/best.safetensors, run/last.safetensors
//   train::fit(net, loss, optimizer, data, {.epochs = 30, .callbacks = {stopper, saver}});
//
// Order: on_train_begin; per epoch on_epoch_begin, on_batch_end after every optimizer step,
// on_epoch_end with the epoch's complete logs (validation included); on_train_end (also after an
// early stop or divergence, not after an exception). Callbacks run in the order given. A callback
// stops training by setting state.stop_training (and state.stop_reason); fit finishes the current
// epoch's callbacks and returns.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "cajal/core/ordered_dict.h"
#include "cajal/train/checkpoint.h"
#include "cajal/train/fit.h"

namespace cajal::train {

// What callbacks see and may change.
struct TrainingState {
  nn::Module& model;
  optim::Optimizer& optimizer;
  optim::LRScheduler* scheduler;  // may be null
  const FitOptions& options;
  const History& history;  // the epochs finished so far
  int64_t epoch = 0;       // the current epoch, counted from 0 (logs show it from 1)
  int64_t epochs = 0;      // options.epochs
  int64_t batch = 0;       // batches done in this epoch (on_batch_end: counting this one)
  int64_t batches_per_epoch = 0;
  int64_t samples_per_epoch = 0;
  int64_t step = 0;             // optimizer steps done, counting initial_epoch's epochs as complete
  bool stop_training = false;   // set by a callback to stop after this epoch
  std::string stop_reason{};    // shown by fit's History
  bool has_validation = false;  // whether the epoch logs have val_ values
};

// The running values of the epoch so far (on_batch_end): "train_loss" and the training metrics.
using BatchLogs = Logs;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(TrainingState& /*state*/) {}
  virtual void on_epoch_begin(TrainingState& /*state*/) {}
  virtual void on_batch_end(TrainingState& /*state*/, const BatchLogs& /*logs*/) {}
  virtual void on_epoch_end(TrainingState& /*state*/, const Logs& /*logs*/) {}
  virtual void on_train_end(TrainingState& /*state*/) {}
};

// Whether smaller or larger values of a monitored quantity are better. automatic: larger for
// accuracy-like names (accuracy, top-k, precision, recall, f1, r2), smaller otherwise (losses,
// mse, mae, rmse).
enum class Mode { automatic, min, max };
// The mode `automatic` resolves to for `monitor` (never automatic).
Mode resolve_mode(Mode mode, const std::string& monitor);

// ---- Progress -----------------------------------------------------------------------------------

struct ProgressBarOptions {
  std::ostream* stream = nullptr;  // nullptr: std::cout
  // Live bar redrawn in place (carriage return) with rate, ETA, running loss and metrics: when
  // the stream is a terminal (automatic), or always / never.
  enum class Live { automatic, always, never } live = Live::automatic;
  int width = 30;  // characters of the bar itself
};

// Keras' verbose=1: while an epoch runs, a live line
//   epoch 3/10 [=========>....................] 156/469  412.3 batch/s  ETA 0:00:01  train_loss
//   0.4127 train_accuracy 0.8512
// and at the end of the epoch one plain line with every log value and the epoch's time. When the
// stream is not a terminal (a pipe, a log file) only the plain per-epoch lines are written.
class ProgressBar : public Callback {
 public:
  explicit ProgressBar(ProgressBarOptions options = {});
  void on_epoch_begin(TrainingState& state) override;
  void on_batch_end(TrainingState& state, const BatchLogs& logs) override;
  void on_epoch_end(TrainingState& state, const Logs& logs) override;
  void on_train_end(TrainingState& state) override;

 private:
  ProgressBarOptions options_;
  std::ostream* stream_;
  bool live_;
  std::chrono::steady_clock::time_point epoch_start_{};
  std::chrono::steady_clock::time_point last_draw_{};
};

// ---- Early stopping -----------------------------------------------------------------------------

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  // An improvement must beat the best value by more than min_delta (>= 0).
  double min_delta = 0;
  int64_t patience = 0;  // epochs without improvement tolerated (>= 0)
  Mode mode = Mode::automatic;
  // Stop when the monitored value is not better than this (from the first epoch's view): unset
  // for none.
  std::optional<double> baseline = std::nullopt;
  // At the end of training (stopped or not), load the weights of the best epoch (Keras restores
  // only when it stopped; this restores whenever the last epoch was not the best, which is what
  // the option's name promises).
  bool restore_best_weights = false;
  // Epochs at the start that never count as failures (warm-up).
  int64_t start_from_epoch = 0;
};

class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(TrainingState& state) override;
  void on_epoch_end(TrainingState& state, const Logs& logs) override;
  void on_train_end(TrainingState& state) override;

  // The epoch (from 1) with the best monitored value; 0 before any epoch.
  int64_t best_epoch() const { return best_epoch_; }
  double best_value() const { return best_; }
  // The epoch (from 1) after which training was stopped; 0 when it was not.
  int64_t stopped_epoch() const { return stopped_epoch_; }

 private:
  EarlyStoppingOptions options_;
  Mode mode_ = Mode::min;
  double best_ = 0;
  int64_t best_epoch_ = 0;
  int64_t wait_ = 0;
  int64_t stopped_epoch_ = 0;
  StateDict best_weights_;
};

// ---- Checkpoints --------------------------------------------------------------------------------

struct ModelCheckpointOptions {
  std::filesystem::path directory{};  // required; created if missing
  // After every epoch: <directory>/last.safetensors (model, optimizer, scheduler, epoch).
  bool save_last = true;
  // When the monitored value improves: <directory>/best.safetensors.
  bool save_best = true;
  std::string monitor = "val_loss";
  Mode mode = Mode::automatic;
  // The spec and preprocessing state written into every checkpoint's metadata.
  CheckpointInfo info{};
};

// Writes checkpoints atomically (a crash or a diverged run never destroys the last good file).
class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(ModelCheckpointOptions options);
  void on_train_begin(TrainingState& state) override;
  void on_epoch_end(TrainingState& state, const Logs& logs) override;

  std::filesystem::path last_path() const { return options_.directory / "last.safetensors"; }
  std::filesystem::path best_path() const { return options_.directory / "best.safetensors"; }
  int64_t best_epoch() const { return best_epoch_; }

 private:
  ModelCheckpointOptions options_;
  Mode mode_ = Mode::min;
  double best_ = 0;
  int64_t best_epoch_ = 0;
};

// ---- Metric logs --------------------------------------------------------------------------------

struct MetricsLoggerOptions {
  std::filesystem::path path{};  // required: .csv or .json (chosen by the extension)
  // Resuming: keep the rows of epochs before initial_epoch from an existing file.
  bool append = false;
};

// Writes every epoch's logs: CSV (a header of the keys, one row per epoch, as Keras' CSVLogger)
// or JSON ({"epochs": [{...}, ...]}). The file is rewritten atomically after every epoch, so it is
// complete and valid whenever it is read.
class MetricsLogger : public Callback {
 public:
  explicit MetricsLogger(MetricsLoggerOptions options);
  void on_train_begin(TrainingState& state) override;
  void on_epoch_end(TrainingState& state, const Logs& logs) override;

 private:
  void write() const;
  MetricsLoggerOptions options_;
  bool json_ = false;
  std::vector<Logs> rows_;
};

}  // namespace cajal::train
