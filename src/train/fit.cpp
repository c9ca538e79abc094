#include "cajal/train/fit.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <tuple>
#include <utility>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/error.h"
#include "cajal/core/random.h"
#include "cajal/data/split.h"
#include "cajal/nn/clip_grad.h"
#include "cajal/nn/regularization.h"
#include "cajal/ops/manipulation.h"
#include "cajal/optim/reduce_lr_on_plateau.h"
#include "cajal/train/callbacks.h"
#include "cajal/train/metrics.h"

namespace cajal::train {

namespace {

// Salts keep the streams of fit's uses of one seed apart.
constexpr uint64_t kLoaderSalt = 0x10adu;
constexpr uint64_t kValidationSalt = 0x5a1du;
constexpr uint64_t kGlobalSalt = 0x610bu;

// Restores a module's training mode when it goes out of scope.
class TrainingModeGuard {
 public:
  explicit TrainingModeGuard(nn::Module& model) : model_(model), training_(model.is_training()) {}
  ~TrainingModeGuard() { model_.train(training_); }
  TrainingModeGuard(const TrainingModeGuard&) = delete;
  TrainingModeGuard& operator=(const TrainingModeGuard&) = delete;

 private:
  nn::Module& model_;
  bool training_;
};

std::vector<std::unique_ptr<Metric>> make_metrics(const std::vector<std::string>& names) {
  std::vector<std::unique_ptr<Metric>> metrics;
  metrics.reserve(names.size());
  for (const std::string& name : names) metrics.push_back(make_metric(name));
  return metrics;
}

bool is_class_index_targets(const data::Dataset& dataset) {
  Tensor targets = dataset.targets();
  if (!targets.defined() || is_floating_point(targets.dtype())) return false;
  return targets.dim() == 1 || (targets.dim() == 2 && targets.size(1) == 1);
}

double batch_loss_value(const Tensor& loss, const char* where) {
  if (loss.numel() != 1) {
    throw ValueError(std::string(where) +
                     ": the loss must reduce to one value (reduction \"mean\" or \"sum\"), got "
                     "shape " +
                     shape_string(loss.shape()));
  }
  return loss.item<double>();
}

// Mean loss and metric values over a loader, without gradients, in eval mode.
Logs run_evaluation(nn::Module& model, nn::Loss& loss, const data::Dataset& dataset,
                    int64_t batch_size, bool prefetch,
                    std::vector<std::unique_ptr<Metric>>& metrics, const std::string& prefix) {
  TrainingModeGuard mode(model);
  model.eval();
  no_grad guard;
  for (auto& metric : metrics) metric->reset();
  data::DataLoader loader(dataset, {.batch_size = batch_size, .prefetch = prefetch});
  double loss_sum = 0;
  int64_t count = 0;
  for (const data::Example& batch : loader) {
    Tensor output = model(batch.input);
    int64_t n = batch.input.size(0);
    loss_sum += batch_loss_value(loss(output, batch.target), "evaluate") * double(n);
    count += n;
    for (auto& metric : metrics) metric->update(output, batch.target);
  }
  Logs logs;
  logs.insert(prefix + "loss", count > 0 ? loss_sum / double(count) : std::nan(""));
  for (auto& metric : metrics) logs.insert(prefix + metric->name(), metric->compute());
  return logs;
}

void validate(const FitOptions& options, const data::Dataset& train_data,
              const optim::Optimizer& optimizer) {
  if (options.epochs < 1) {
    throw ValueError("fit: epochs must be at least 1, got " + std::to_string(options.epochs));
  }
  if (options.batch_size < 1) {
    throw ValueError("fit: batch_size must be at least 1, got " +
                     std::to_string(options.batch_size));
  }
  if (options.validation_batch_size < 0) {
    throw ValueError("fit: validation_batch_size must be >= 0, got " +
                     std::to_string(options.validation_batch_size));
  }
  if (options.initial_epoch < 0 || options.initial_epoch >= options.epochs) {
    throw ValueError("fit: initial_epoch must be in [0, epochs) = [0, " +
                     std::to_string(options.epochs) + "), got " +
                     std::to_string(options.initial_epoch));
  }
  if (!(options.validation_fraction >= 0 && options.validation_fraction < 1)) {
    throw ValueError("fit: validation_fraction must be in [0, 1), got " +
                     std::to_string(options.validation_fraction));
  }
  if (options.validation && options.validation_fraction > 0) {
    throw ValueError("fit: give either validation data or validation_fraction, not both");
  }
  if (options.l1 < 0 || options.l2 < 0) {
    throw ValueError("fit: l1 and l2 must be >= 0, got l1 = " + std::to_string(options.l1) +
                     ", l2 = " + std::to_string(options.l2));
  }
  if (options.clip_grad_norm && !(*options.clip_grad_norm > 0)) {
    throw ValueError("fit: clip_grad_norm must be positive, got " +
                     std::to_string(*options.clip_grad_norm));
  }
  if (options.clip_grad_value && !(*options.clip_grad_value > 0)) {
    throw ValueError("fit: clip_grad_value must be positive, got " +
                     std::to_string(*options.clip_grad_value));
  }
  if (options.max_norm && !(*options.max_norm > 0)) {
    throw ValueError("fit: max_norm must be positive, got " + std::to_string(*options.max_norm));
  }
  if (options.scheduler != nullptr && &options.scheduler->optimizer() != &optimizer) {
    throw ValueError("fit: the scheduler (" + options.scheduler->name() +
                     ") schedules another optimizer than the one being trained");
  }
  if (train_data.size() == 0) throw ValueError("fit: the training data is empty");
  for (auto& callback : options.callbacks) {
    if (!callback) throw ValueError("fit: a callback is null");
  }
}

std::string format_value(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

}  // namespace

std::pair<std::shared_ptr<const data::Dataset>, std::shared_ptr<const data::Dataset>> hold_out(
    const DataRef& data, double fraction, uint64_t seed) {
  if (!data) throw ValueError("hold_out: no data");
  auto parts = [&](auto&& source) {
    std::pair<std::shared_ptr<const data::Dataset>, std::shared_ptr<const data::Dataset>> result;
    if (is_class_index_targets(*data)) {
      auto [held_out, rest] = data::stratified_split(source, fraction, seed);
      result = {std::make_shared<data::Subset>(std::move(rest)),
                std::make_shared<data::Subset>(std::move(held_out))};
    } else {
      auto split = data::random_split(source, {1 - fraction, fraction}, seed);
      result = {std::make_shared<data::Subset>(std::move(split[0])),
                std::make_shared<data::Subset>(std::move(split[1]))};
    }
    return result;
  };
  return data.shared() ? parts(data.shared()) : parts(*data);
}

std::vector<double> History::values(const std::string& key) const {
  std::vector<double> result;
  bool found = false;
  for (const Logs& logs : epochs) {
    const double* value = logs.find(key);
    found = found || value != nullptr;
    result.push_back(value != nullptr ? *value : std::nan(""));
  }
  if (!found) throw ValueError("History: no epoch has a value named '" + key + "'");
  return result;
}

double History::last(const std::string& key) const {
  if (epochs.empty()) throw ValueError("History: no epoch has run");
  const double* value = epochs.back().find(key);
  if (value == nullptr)
    throw ValueError("History: the last epoch has no value named '" + key + "'");
  return *value;
}

History fit(nn::Module& model, nn::Loss& loss, optim::Optimizer& optimizer, DataRef train_data,
            const FitOptions& options) {
  if (!train_data) throw ValueError("fit: no training data");
  validate(options, *train_data, optimizer);
  const uint64_t seed = options.seed ? *options.seed : default_generator().next_u64();

  // The data: a held-out validation part when asked, else all of it for training.
  std::shared_ptr<const data::Dataset> training = nullptr;
  std::shared_ptr<const data::Dataset> validation = nullptr;
  const data::Dataset* train_set = train_data.get();
  const data::Dataset* validation_set = options.validation.get();
  if (options.validation_fraction > 0) {
    std::tie(training, validation) =
        hold_out(train_data, options.validation_fraction, derive_seed(seed, kValidationSalt));
    if (training->size() == 0 || validation->size() == 0) {
      throw ValueError("fit: validation_fraction " + format_value(options.validation_fraction) +
                       " of " + std::to_string(train_set->size()) +
                       " examples leaves one part empty");
    }
    train_set = training.get();
    validation_set = validation.get();
  }
  const bool has_validation = validation_set != nullptr && validation_set->size() > 0;
  if (options.scheduler != nullptr && options.scheduler->needs_metric()) {
    bool monitored = options.monitor == "train_loss" ||
                     (has_validation && options.monitor.rfind("val_", 0) == 0) ||
                     options.monitor.rfind("train_", 0) == 0;
    if (!monitored) {
      throw ValueError("fit: " + options.scheduler->name() + " monitors '" + options.monitor +
                       "', which " +
                       (has_validation ? std::string("is not a logged value")
                                       : std::string("needs validation data")) +
                       " (use \"train_loss\" without validation)");
    }
  }

  data::DataLoader loader(*train_set, {.batch_size = options.batch_size,
                                       .shuffle = options.shuffle,
                                       .seed = derive_seed(seed, kLoaderSalt),
                                       .drop_last = options.drop_last,
                                       .prefetch = options.prefetch,
                                       .transform = options.transform});
  if (loader.size() == 0) {
    throw ValueError("fit: drop_last with batch_size " + std::to_string(options.batch_size) +
                     " leaves no batch of the " + std::to_string(train_set->size()) +
                     " training examples");
  }
  auto train_metrics = make_metrics(options.metrics);
  auto validation_metrics = make_metrics(options.metrics);
  const std::vector<Tensor> penalized = options.l1 > 0 || options.l2 > 0 || options.max_norm
                                            ? nn::regularized_parameters(model)
                                            : std::vector<Tensor>{};
  const std::vector<Tensor> parameters = model.parameters();

  std::vector<std::shared_ptr<Callback>> callbacks = options.callbacks;
  if (options.verbose > 0) callbacks.insert(callbacks.begin(), std::make_shared<ProgressBar>());

  History history;
  history.initial_epoch = options.initial_epoch;
  TrainingState state{.model = model,
                      .optimizer = optimizer,
                      .scheduler = options.scheduler,
                      .options = options,
                      .history = history};
  state.epochs = options.epochs;
  state.batches_per_epoch = loader.size();
  state.samples_per_epoch =
      options.drop_last ? loader.size() * options.batch_size : train_set->size();
  state.has_validation = has_validation;
  state.step = options.initial_epoch * loader.size();
  const bool per_step_schedule =
      options.scheduler != nullptr && options.schedule_interval == ScheduleInterval::step;
  const int64_t validation_batch_size =
      options.validation_batch_size > 0 ? options.validation_batch_size : options.batch_size;

  for (auto& callback : callbacks) callback->on_train_begin(state);
  for (int64_t epoch = options.initial_epoch; epoch < options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    state.epoch = epoch;
    state.batch = 0;
    // Dropout masks and other random layers draw from the global generator: reseeding it per
    // epoch makes epoch e the same whether or not the run was resumed before it.
    manual_seed(derive_seed(derive_seed(seed, kGlobalSalt), uint64_t(epoch)));
    loader.set_epoch(epoch);
    model.train();
    for (auto& metric : train_metrics) metric->reset();
    for (auto& callback : callbacks) callback->on_epoch_begin(state);
    const double epoch_lr = optimizer.lr(0);

    double loss_sum = 0;
    double penalty_sum = 0;
    int64_t count = 0;
    for (const data::Example& batch : loader) {
      const int64_t n = batch.input.size(0);
      optimizer.zero_grad();
      Tensor output = model(batch.input);
      Tensor batch_loss = loss(output, batch.target);
      const double loss_value = batch_loss_value(batch_loss, "fit");
      if (options.stop_on_nan && !std::isfinite(loss_value)) {
        // Stop before the step: the weights stay those of the last good step, and the epoch's
        // callbacks (checkpoints) do not run, so the last good checkpoint is kept.
        history.diverged = true;
        history.stop_reason =
            "the training loss became " + std::string(std::isnan(loss_value) ? "NaN" : "infinite") +
            " at epoch " + std::to_string(epoch + 1) + ", batch " +
            std::to_string(state.batch + 1) + " of " + std::to_string(state.batches_per_epoch) +
            " (step " + std::to_string(state.step + 1) +
            "); lower the learning rate or clip gradients";
        break;
      }
      Tensor objective = batch_loss;
      if (!penalized.empty() && (options.l1 > 0 || options.l2 > 0)) {
        Tensor penalty = nn::Regularizer{options.l1, options.l2}.penalty(penalized);
        penalty_sum += penalty.item<double>() * double(n);
        objective = batch_loss + penalty;
      }
      objective.backward();
      if (options.clip_grad_value) nn::clip_grad_value_(parameters, *options.clip_grad_value);
      if (options.clip_grad_norm) nn::clip_grad_norm_(parameters, *options.clip_grad_norm);
      optimizer.step();
      if (options.max_norm) {
        no_grad guard;
        nn::apply_max_norm_(model, *options.max_norm);
      }
      if (per_step_schedule) options.scheduler->step();

      loss_sum += loss_value * double(n);
      count += n;
      {
        no_grad guard;
        Tensor detached = output.detach();
        for (auto& metric : train_metrics) metric->update(detached, batch.target);
      }
      ++state.batch;
      ++state.step;
      if (!callbacks.empty()) {
        BatchLogs running;
        running.insert("train_loss", loss_sum / double(count));
        for (auto& metric : train_metrics) {
          running.insert("train_" + metric->name(), metric->compute());
        }
        for (auto& callback : callbacks) callback->on_batch_end(state, running);
      }
    }
    if (history.diverged) break;

    Logs logs;
    logs.insert("epoch", double(epoch + 1));
    logs.insert("train_loss", loss_sum / double(count));
    for (auto& metric : train_metrics) logs.insert("train_" + metric->name(), metric->compute());
    if (penalty_sum > 0) logs.insert("penalty", penalty_sum / double(count));
    if (has_validation) {
      Logs validation_logs = run_evaluation(model, loss, *validation_set, validation_batch_size,
                                            options.prefetch, validation_metrics, "val_");
      for (const auto& [key, value] : validation_logs.items()) logs.insert(key, value);
    }
    logs.insert("lr", epoch_lr);
    if (options.scheduler != nullptr && !per_step_schedule) {
      if (auto* plateau = dynamic_cast<optim::ReduceLROnPlateau*>(options.scheduler)) {
        const double* monitored = logs.find(options.monitor);
        if (monitored == nullptr) {
          throw ValueError("fit: ReduceLROnPlateau monitors '" + options.monitor +
                           "', which epoch " + std::to_string(epoch + 1) + " did not log");
        }
        plateau->step(*monitored);
      } else {
        options.scheduler->step();
      }
    }
    logs.insert("seconds",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    history.epochs.push_back(logs);
    for (auto& callback : callbacks) callback->on_epoch_end(state, history.epochs.back());
    if (state.stop_training) {
      history.stopped_early = epoch + 1 < options.epochs;
      history.stop_reason = state.stop_reason;
      break;
    }
  }
  model.eval();
  for (auto& callback : callbacks) callback->on_train_end(state);
  return history;
}

Logs evaluate(nn::Module& model, nn::Loss& loss, DataRef data, const EvaluateOptions& options) {
  if (!data) throw ValueError("evaluate: no data");
  if (options.batch_size < 1) {
    throw ValueError("evaluate: batch_size must be at least 1, got " +
                     std::to_string(options.batch_size));
  }
  if (data->size() == 0) throw ValueError("evaluate: the data is empty");
  auto metrics = make_metrics(options.metrics);
  return run_evaluation(model, loss, *data, options.batch_size, options.prefetch, metrics, "");
}

Tensor predict(nn::Module& model, DataRef data, const PredictOptions& options) {
  if (!data) throw ValueError("predict: no data");
  if (options.batch_size < 1) {
    throw ValueError("predict: batch_size must be at least 1, got " +
                     std::to_string(options.batch_size));
  }
  if (data->size() == 0) throw ValueError("predict: the data is empty");
  TrainingModeGuard mode(model);
  model.eval();
  no_grad guard;
  data::DataLoader loader(*data, {.batch_size = options.batch_size, .prefetch = options.prefetch});
  std::vector<Tensor> outputs;
  for (const data::Example& batch : loader) outputs.push_back(model(batch.input));
  return outputs.size() == 1 ? outputs.front() : cat(outputs, 0);
}

Tensor predict(nn::Module& model, const Tensor& inputs, const PredictOptions& options) {
  if (!inputs.defined() || inputs.dim() == 0) {
    throw ShapeError("predict: inputs must have a batch dimension [N, ...]");
  }
  if (options.batch_size < 1) {
    throw ValueError("predict: batch_size must be at least 1, got " +
                     std::to_string(options.batch_size));
  }
  TrainingModeGuard mode(model);
  model.eval();
  no_grad guard;
  const int64_t n = inputs.size(0);
  if (n == 0) throw ValueError("predict: the inputs are empty (N = 0)");
  std::vector<Tensor> outputs;
  for (int64_t first = 0; first < n; first += options.batch_size) {
    outputs.push_back(model(inputs.narrow(0, first, std::min(options.batch_size, n - first))));
  }
  return outputs.size() == 1 ? outputs.front() : cat(outputs, 0);
}

}  // namespace cajal::train
