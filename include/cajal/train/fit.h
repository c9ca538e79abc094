#pragma once
// The training loop: fit, evaluate and predict, as Keras' Model.fit / evaluate / predict, over any
// nn::Module, nn::Loss and optim::Optimizer.
//
//   auto data = data::fashion_mnist();
//   optim::Adam optimizer(net.parameters(), {.lr = 1e-3});
//   train::History history = train::fit(net, loss, optimizer, data.train,
//       {.epochs = 5, .batch_size = 128, .validation = data.test, .metrics = {"accuracy"},
//        .seed = 42});
//   std::cout << history.last("val_accuracy");
//   train::Logs test = train::evaluate(net, loss, data.test, {.metrics = {"accuracy"}});
//
// One epoch: the model is put in training mode, the training data is shuffled (seeded) and
// batched, and for every batch the loop runs forward, loss (+ L1/L2 penalty), backward, gradient
// clipping, optimizer step and, for per-step schedules, scheduler step. Then the validation data
// is evaluated in eval mode without gradients, the per-epoch scheduler steps (ReduceLROnPlateau
// with the monitored value), and the callbacks see the epoch's logs.
//
// Logs name their values as Keras does, with the training loss spelled out:
//   "train_loss", "train_<metric>"   over the epoch's batches, weighted by batch size, as the
//                                    weights were while each batch ran (train mode: dropout on)
//   "val_loss", "val_<metric>"       after the epoch, on the validation data (eval mode)
//   "lr"                             the first group's learning rate the epoch used
//   "seconds"                        wall time of the epoch (training and validation)
// The training loss is the data loss alone; the L1/L2 penalty, which the optimizer also sees, is
// logged separately as "penalty" when it is non-zero, so train_loss and val_loss compare.
//
// Determinism: with `seed` set, epoch e's shuffle order, augmentation and the global generator
// (dropout masks, random layers) are all derived from (seed, e), so the same seed and thread count
// give the same weights bit for bit, and resuming at epoch e (initial_epoch, after restoring the
// model, optimizer and scheduler from a checkpoint) continues exactly as the uninterrupted run.
// Without `seed`, one seed is drawn from the global generator when fit starts (manual_seed before
// fit reproduces the run).
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cajal/core/ordered_dict.h"
#include "cajal/data/dataset.h"
#include "cajal/data/loader.h"
#include "cajal/nn/loss.h"
#include "cajal/nn/module.h"
#include "cajal/optim/lr_scheduler.h"
#include "cajal/optim/optimizer.h"

namespace cajal::train {

class Callback;

// Named values of one epoch (or one evaluation), in the order they were added.
using Logs = OrderedDict<double>;

// A dataset that fit() either borrows (a reference: it must outlive the call) or shares.
class DataRef {
 public:
  DataRef() = default;
  DataRef(const data::Dataset& dataset) : borrowed_(&dataset) {}  // NOLINT: implicit on purpose
  template <typename D, typename = std::enable_if_t<std::is_base_of_v<data::Dataset, D>>>
  DataRef(std::shared_ptr<D> dataset)  // NOLINT: implicit on purpose
      : shared_(std::move(dataset)), borrowed_(shared_.get()) {}
  explicit operator bool() const { return borrowed_ != nullptr; }
  const data::Dataset& operator*() const { return *borrowed_; }
  const data::Dataset* operator->() const { return borrowed_; }
  const data::Dataset* get() const { return borrowed_; }
  // The owner when shared, else null (borrowed).
  const std::shared_ptr<const data::Dataset>& shared() const { return shared_; }

 private:
  std::shared_ptr<const data::Dataset> shared_;
  const data::Dataset* borrowed_ = nullptr;
};

// When a learning-rate schedule steps.
enum class ScheduleInterval {
  epoch,  // after every epoch (StepLR, CosineAnnealingLR, ReduceLROnPlateau, ...)
  step,   // after every optimizer step (OneCycleLR, CyclicLR, warm-up in steps)
};

struct FitOptions {
  int64_t epochs = 1;       // >= 1: the epoch to stop after (counted from 0, like Keras)
  int64_t batch_size = 32;  // >= 1 (Keras' default)
  bool shuffle = true;      // a new order every epoch
  bool drop_last = false;   // drop the last short batch of every epoch

  // Validation: a separate dataset, or a fraction in (0, 1) of the training data held out before
  // training (a seeded random split; stratified by class when the targets are class indices).
  // Not both.
  DataRef validation{};
  double validation_fraction = 0;

  // Metric names for make_metric ("accuracy", "f1_macro", "rmse", ...), computed on the training
  // batches and on the validation data.
  std::vector<std::string> metrics = {};

  // Regularization added to the loss the optimizer sees, over nn::regularized_parameters(model)
  // (weights only: no biases, normalization parameters or frozen tensors).
  double l1 = 0;  // lambda * sum |w|
  double l2 = 0;  // lambda * sum w^2
  // Gradient clipping before every step: by global norm, and/or by value. Unset: none.
  std::optional<double> clip_grad_norm = std::nullopt;
  std::optional<double> clip_grad_value = std::nullopt;
  // Max-norm constraint (nn::apply_max_norm_) on the same weights after every step. Unset: none.
  std::optional<double> max_norm = std::nullopt;

  // Borrowed; must schedule `optimizer`. ReduceLROnPlateau steps with the value of `monitor`.
  optim::LRScheduler* scheduler = nullptr;
  ScheduleInterval schedule_interval = ScheduleInterval::epoch;
  std::string monitor = "val_loss";  // for ReduceLROnPlateau ("train_loss" without validation)

  // Per-example transform for the training data only (augmentation); validation is untouched.
  data::Transform transform = nullptr;

  std::vector<std::shared_ptr<Callback>> callbacks = {};
  // 1: a ProgressBar on stdout is added to the callbacks (Keras' verbose=1); 0: silent.
  int verbose = 1;

  // See "Determinism" above.
  std::optional<uint64_t> seed = std::nullopt;
  // Epochs already done (resuming): training runs epochs initial_epoch .. epochs-1.
  int64_t initial_epoch = 0;
  // Batch size for validation (0: batch_size). Larger is faster and changes nothing.
  int64_t validation_batch_size = 0;
  bool prefetch = true;  // load the next batch on a background thread
  // Stop (History::diverged) when the training loss becomes NaN or infinite.
  bool stop_on_nan = true;
};

struct History {
  std::vector<Logs> epochs;  // one per epoch run, in order; epochs[i] has "epoch" = number
  int64_t initial_epoch = 0;
  bool stopped_early = false;  // a callback stopped training before `epochs`
  bool diverged = false;       // the loss became NaN or infinite (stop_on_nan)
  std::string stop_reason{};   // why training stopped early, in words ("" when it ran to the end)

  // Every epoch's value of `key` (NaN where an epoch lacks it); ValueError when no epoch has it.
  std::vector<double> values(const std::string& key) const;
  // The last epoch's value of `key`; ValueError when absent or there is no epoch.
  double last(const std::string& key) const;
  bool empty() const { return epochs.empty(); }
};

// Trains `model`. ValueError naming the option for bad options (epochs < 1, batch_size < 1,
// validation_fraction outside [0, 1), both validation forms, an empty dataset, a scheduler of
// another optimizer, a monitor that is never logged); errors of the model, loss or data propagate.
// Leaves the model in eval mode.
History fit(nn::Module& model, nn::Loss& loss, optim::Optimizer& optimizer, DataRef train_data,
            const FitOptions& options = {});
// The same with a loss made in the call: fit(net, nn::CrossEntropyLoss(), optimizer, data, {...}).
inline History fit(nn::Module& model, nn::Loss&& loss, optim::Optimizer& optimizer,
                   DataRef train_data, const FitOptions& options = {}) {
  return fit(model, loss, optimizer, std::move(train_data), options);
}

// Splits `data` into (training, held-out) parts with `fraction` held out, as fit does for
// validation_fraction: a split seeded with `seed`, stratified when the targets are [N] class
// indices. The parts share a shared dataset, or borrow a borrowed one.
std::pair<std::shared_ptr<const data::Dataset>, std::shared_ptr<const data::Dataset>> hold_out(
    const DataRef& data, double fraction, uint64_t seed);

struct EvaluateOptions {
  int64_t batch_size = 256;
  std::vector<std::string> metrics = {};
  bool prefetch = true;
};

// The mean loss ("loss", weighted by batch size: the loss over the whole dataset for mean
// reductions) and the metrics (by their names) of `model` in eval mode on `data`, without
// gradients. The model's training mode is restored afterwards.
Logs evaluate(nn::Module& model, nn::Loss& loss, DataRef data, const EvaluateOptions& options = {});
inline Logs evaluate(nn::Module& model, nn::Loss&& loss, DataRef data,
                     const EvaluateOptions& options = {}) {
  return evaluate(model, loss, std::move(data), options);
}

struct PredictOptions {
  int64_t batch_size = 256;
  bool prefetch = true;
};

// The model's outputs on every example of `data`, in order, concatenated on dim 0 ([N, ...]), in
// eval mode without gradients (the training mode is restored afterwards).
Tensor predict(nn::Module& model, DataRef data, const PredictOptions& options = {});
// The same over a tensor of inputs [N, ...], in batches.
Tensor predict(nn::Module& model, const Tensor& inputs, const PredictOptions& options = {});

}  // namespace cajal::train
