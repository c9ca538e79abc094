#include "cajal/train/run.h"

#include "run_internal.h"

#include <cmath>
#include <iostream>
#include <sstream>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/atomic_file.h"
#include "cajal/core/error.h"
#include "cajal/core/random.h"
#include "cajal/core/threads.h"
#include "cajal/data/split.h"
#include "cajal/nn/summary.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/manipulation.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"
#include "cajal/train/callbacks.h"
#include "cajal/train/checkpoint.h"
#include "cajal/train/metrics.h"
#include "cajal/train/report.h"

namespace cajal::train {

namespace {

constexpr uint64_t kValidationSalt = 0x7a11d;

// Images rescaled to [0, 1] for display (they may be normalized).
Tensor displayable(const Tensor& images) {
  Tensor flat = images.reshape({images.size(0), -1});
  Tensor low = amin(flat, {1}, true);
  Tensor high = amax(flat, {1}, true);
  Tensor scaled = (flat - low) / clamp_min(high - low, 1e-12);
  return scaled.reshape(images.shape());
}

Tensor stack_inputs(const data::Dataset& dataset, int64_t count) {
  std::vector<Tensor> inputs;
  for (int64_t i = 0; i < count; ++i) inputs.push_back(dataset.get(i).input);
  return stack(inputs, 0);
}

// The predicted class and its probability from a batch of scores.
void classify(const Tensor& scores, Tensor* labels, Tensor* probabilities) {
  if (scores.dim() == 2 && scores.size(1) > 1) {
    Tensor probs = softmax(scores, 1);
    *labels = argmax(probs, 1);
    *probabilities = amax(probs, {1});
  } else {
    Tensor p = sigmoid(scores.reshape({-1}));
    *labels = (p > 0.5).to(Dtype::int64);
    *probabilities = where(p > 0.5, p, 1 - p);
  }
}

// The spec a checkpoint was trained from, with relative paths resolving where training ran.
Spec spec_of(const Checkpoint& checkpoint, const std::filesystem::path& path) {
  std::filesystem::path base_dir = path.parent_path();
  auto saved = checkpoint.info.extra.find("spec_dir");
  if (saved != checkpoint.info.extra.end()) base_dir = saved->second;
  return parse_spec(checkpoint.info.model_spec, path.string() + ":model_spec", base_dir);
}

void write_run_report(const std::filesystem::path& directory, const Spec& spec,
                      const PreparedData& data, nn::Module& model, const History& history,
                      const Logs& test, const std::string& summary) {
  ReportData report;
  report.title = spec.name.empty() ? "training report" : spec.name;
  report.history = history;
  report.test = test;
  report.class_names = data.class_names;
  report.summary = summary;
  report.spec = spec.text;
  if (data.test && data.classification) {
    Tensor scores = predict(model, data.test, {.batch_size = 256});
    Tensor labels;
    Tensor probabilities;
    classify(scores, &labels, &probabilities);
    Tensor truth = data.test->targets();
    if (truth.defined()) {
      truth = truth.reshape({-1}).to(Dtype::int64);
      report.confusion =
          confusion_matrix(labels, truth, int64_t(std::max<size_t>(data.class_names.size(), 2)));
    }
    if (data.kind == "image") {
      int64_t count = std::min<int64_t>(32, data.test->size());
      report.images = displayable(stack_inputs(*data.test, count));
      report.predicted = labels.narrow(0, 0, count);
      report.probabilities = probabilities.narrow(0, 0, count);
      if (truth.defined()) report.truth = truth.narrow(0, 0, count);
    }
  }
  write_report(directory, report);
}

}  // namespace

namespace detail {

std::ostream& log_stream(const RunOptions& options) {
  return options.log != nullptr ? *options.log : std::cout;
}

uint64_t run_seed(const Spec& spec, const RunOptions& options) {
  if (options.seed) return *options.seed;
  return spec.seed.value_or(0);
}

// The spec's training section with the command line's overrides applied.
TrainingSpec effective_training(const Spec& spec, const RunOptions& options) {
  TrainingSpec training = spec.training;
  if (options.epochs) {
    if (*options.epochs < 1) {
      throw ValueError("--epochs must be at least 1, got " + std::to_string(*options.epochs));
    }
    training.epochs = *options.epochs;
  }
  return training;
}

std::vector<std::string> metrics_for(const TrainingSpec& training, const PreparedData& data) {
  if (!training.metrics.empty()) return training.metrics;
  return data.classification ? std::vector<std::string>{"accuracy"}
                             : std::vector<std::string>{"rmse"};
}

Parts split_validation(const PreparedData& data, double fraction, uint64_t seed) {
  if (data.validation || fraction <= 0) return {data.train, data.validation};
  auto [train, validation] = hold_out(data.train, fraction, seed ^ kValidationSalt);
  return {train, validation};
}

int64_t steps_per_epoch(int64_t examples, int64_t batch_size) {
  return (examples + batch_size - 1) / batch_size;
}

Built build_all(const Spec& spec, const PreparedData& data, const TrainingSpec& training,
                int64_t train_examples, uint64_t seed) {
  manual_seed(seed);
  Built built;
  built.model = build_model(spec, data.input_shape);
  built.loss = build_loss(spec);
  built.optimizer = build_optimizer(spec, *built.model);
  // The scheduler's step count comes from the effective number of epochs (--epochs).
  Spec effective = spec;
  effective.training = training;
  built.scheduler = build_scheduler(effective, *built.optimizer,
                                    steps_per_epoch(train_examples, training.batch_size));
  return built;
}

FitOptions fit_options_for(const TrainingSpec& training, const std::vector<std::string>& metrics,
                           const BuiltScheduler& scheduler, uint64_t seed, int verbose) {
  FitOptions options;
  options.epochs = training.epochs;
  options.batch_size = training.batch_size;
  options.shuffle = training.shuffle;
  options.metrics = metrics;
  options.l1 = training.l1;
  options.l2 = training.l2;
  options.clip_grad_norm = training.clip_grad_norm;
  options.clip_grad_value = training.clip_grad_value;
  options.max_norm = training.max_norm;
  options.scheduler = scheduler.scheduler.get();
  options.schedule_interval = scheduler.interval;
  options.monitor = training.monitor;
  options.verbose = verbose;
  options.seed = seed;
  options.validation_batch_size = std::max<int64_t>(training.batch_size, 256);
  return options;
}

}  // namespace detail

using namespace detail;

std::vector<std::string> default_metrics(bool classification, int64_t num_outputs) {
  if (!classification) return {"mse", "mae", "rmse", "r2"};
  std::vector<std::string> names = {"accuracy"};
  if (num_outputs > 3) names.push_back("top_k_accuracy:3");
  for (const char* name : {"precision_macro", "recall_macro", "f1_macro"}) names.push_back(name);
  return names;
}

void write_metrics_json(const std::filesystem::path& path, const History& history,
                        const Logs& test) {
  // Keys stay in the order they were logged (epoch, train_loss, ..., seconds).
  using OrderedJson = nlohmann::ordered_json;
  auto number = [](double value) -> OrderedJson {
    return std::isfinite(value) ? OrderedJson(value) : OrderedJson(nullptr);
  };
  OrderedJson epochs = OrderedJson::array();
  for (const Logs& logs : history.epochs) {
    OrderedJson entry = OrderedJson::object();
    for (const auto& [key, value] : logs) {
      entry[key] = key == "epoch" ? OrderedJson(int64_t(value)) : number(value);
    }
    epochs.push_back(std::move(entry));
  }
  OrderedJson test_entry = OrderedJson::object();
  for (const auto& [key, value] : test) test_entry[key] = number(value);
  OrderedJson document = OrderedJson::object();
  document["epochs"] = std::move(epochs);
  document["test"] = std::move(test_entry);
  try {
    write_file_atomically(path, document.dump(2) + "\n");
  } catch (const IOError& error) {
    throw IOError(std::string("--metrics-json: ") + error.what());
  }
}

RunResult run_training(const Spec& spec, const RunOptions& options) {
  if (options.threads < 0) {
    throw ValueError("--threads must be >= 0, got " + std::to_string(options.threads));
  }
  if (options.threads > 0) set_num_threads(options.threads);
  std::ostream& log = log_stream(options);
  const TrainingSpec training = effective_training(spec, options);
  const uint64_t seed = run_seed(spec, options);
  std::filesystem::path out_dir = options.out_dir;
  if (out_dir.empty())
    out_dir = std::filesystem::path("runs") / (spec.name.empty() ? "run" : spec.name);

  manual_seed(seed);
  PreparedData data = prepare_data(spec, {.limit = options.limit});
  Parts parts = split_validation(data, data.validation_fraction, seed);
  Built built = build_all(spec, data, training, parts.train->size(), seed);
  std::vector<std::string> metrics = metrics_for(training, data);

  FitOptions fit_options =
      fit_options_for(training, metrics, built.scheduler, seed, options.verbose);
  if (parts.validation) fit_options.validation = parts.validation;
  if (!parts.validation && fit_options.monitor.rfind("val_", 0) == 0) {
    fit_options.monitor = "train" + fit_options.monitor.substr(3);
  }
  fit_options.transform = data.augmentation;

  CheckpointInfo info{.model_spec = spec.text, .preprocessing = data.preprocessing};
  info.extra["name"] = spec.name;
  info.extra["seed"] = std::to_string(seed);
  // eval and predict resolve the spec's relative data paths where training did.
  info.extra["spec_dir"] = std::filesystem::absolute(spec.base_dir).lexically_normal().string();
  auto saver = std::make_shared<ModelCheckpoint>(
      ModelCheckpointOptions{.directory = out_dir, .monitor = fit_options.monitor, .info = info});
  auto logger = std::make_shared<MetricsLogger>(
      MetricsLoggerOptions{.path = out_dir / "metrics.csv", .append = options.resume.has_value()});
  fit_options.callbacks = {saver, logger};
  if (training.early_stopping) {
    EarlyStoppingOptions stopping = *training.early_stopping;
    if (!parts.validation && stopping.monitor.rfind("val_", 0) == 0) {
      stopping.monitor = "train" + stopping.monitor.substr(3);
    }
    fit_options.callbacks.push_back(std::make_shared<EarlyStopping>(stopping));
  }

  if (options.resume) {
    Checkpoint checkpoint = load_checkpoint(*options.resume);
    Json saved =
        checkpoint.info.model_spec.empty() ? Json() : Json::parse(checkpoint.info.model_spec);
    if (saved != spec.document) {
      throw ValueError("--resume: '" + options.resume->string() +
                       "' was trained from a different spec than '" + spec.origin + "'");
    }
    restore(checkpoint, *built.model, built.optimizer.get(), built.scheduler.scheduler.get());
    if (checkpoint.info.epoch >= training.epochs) {
      throw ValueError("--resume: '" + options.resume->string() + "' already has " +
                       std::to_string(checkpoint.info.epoch) + " of " +
                       std::to_string(training.epochs) +
                       " epochs; give a larger --epochs to train on");
    }
    fit_options.initial_epoch = checkpoint.info.epoch;
    if (options.verbose > 0) {
      log << "resuming from " << options.resume->string() << " after epoch "
          << checkpoint.info.epoch << "\n";
    }
  }

  Shape batch_shape = {1};
  for (int64_t size : data.input_shape) batch_shape.push_back(size);
  std::string summary = nn::summary(*built.model, batch_shape).to_string();
  if (options.verbose > 0) {
    log << summary << "\n"
        << "training on " << parts.train->size() << " examples"
        << (parts.validation ? ", validating on " + std::to_string(parts.validation->size())
                             : std::string())
        << "\n"
        << std::flush;
  }

  RunResult result;
  result.out_dir = out_dir;
  result.checkpoint = saver->last_path();
  result.class_names = data.class_names;
  result.history = fit(*built.model, *built.loss, *built.optimizer, parts.train, fit_options);
  if (result.history.diverged) {
    throw Error("training diverged: " + result.history.stop_reason + "; the last good checkpoint " +
                (std::filesystem::exists(saver->last_path())
                     ? "is " + saver->last_path().string()
                     : std::string("was never written (it diverged in the first epoch)")));
  }
  if (data.test) {
    result.test = evaluate(
        *built.model, *built.loss, data.test,
        {.batch_size = 256, .metrics = default_metrics(data.classification, data.num_outputs)});
    if (options.verbose > 0) {
      log << "test:";
      for (const auto& [key, value] : result.test) log << "  " << key << " " << value;
      log << "\n";
    }
  }
  if (options.metrics_json) write_metrics_json(*options.metrics_json, result.history, result.test);
  if (options.report) {
    write_run_report(out_dir, spec, data, *built.model, result.history, result.test, summary);
    if (options.verbose > 0) log << "report: " << (out_dir / "report.html").string() << "\n";
  }
  return result;
}

EvalResult evaluate_checkpoint(const std::filesystem::path& path,
                               const std::optional<std::string>& data_spec,
                               const EvalOptions& options) {
  if (options.threads > 0) set_num_threads(options.threads);
  Checkpoint checkpoint = load_checkpoint(path);
  if (checkpoint.info.model_spec.empty()) {
    throw ValueError("eval: '" + path.string() +
                     "' holds no model spec (it was saved from C++); rebuild the model in C++ and "
                     "use train::restore");
  }
  Spec spec = spec_of(checkpoint, path);
  if (data_spec) {
    Json data = parse_json(*data_spec, "--data");
    spec = with_override(spec, "/data", data);
  }
  PreparedData data = prepare_data(spec, {.limit = options.limit});
  if (!data.test) {
    throw ValueError("eval: the spec's data has no test part; give --data with one");
  }
  auto model = build_model(spec, data.input_shape);
  restore(checkpoint, *model);
  auto loss = build_loss(spec);
  EvalResult result;
  result.class_names = data.class_names;
  result.examples = data.test->size();
  result.metrics = evaluate(*model, *loss, data.test,
                            {.batch_size = options.batch_size,
                             .metrics = default_metrics(data.classification, data.num_outputs)});
  if (data.classification) {
    Tensor scores = predict(*model, data.test, {.batch_size = options.batch_size});
    Tensor labels;
    Tensor probabilities;
    classify(scores, &labels, &probabilities);
    Tensor truth = data.test->targets();
    if (truth.defined()) {
      result.confusion = confusion_matrix(labels, truth.reshape({-1}).to(Dtype::int64),
                                          int64_t(std::max<size_t>(data.class_names.size(), 2)));
    }
  }
  return result;
}

std::vector<Prediction> predict_files(const std::filesystem::path& path,
                                      const std::vector<std::string>& files) {
  if (files.empty()) throw ValueError("predict: no input files");
  Checkpoint checkpoint = load_checkpoint(path);
  if (checkpoint.info.model_spec.empty() || checkpoint.info.preprocessing.empty()) {
    throw ValueError("predict: '" + path.string() +
                     "' holds no model spec or preprocessing state (it was saved from C++)");
  }
  Spec spec = spec_of(checkpoint, path);
  std::vector<std::string> names;
  Tensor inputs = prepare_inputs(checkpoint.info.preprocessing, files, &names);
  Shape input_shape(inputs.shape().begin() + 1, inputs.shape().end());
  auto model = build_model(spec, input_shape);
  restore(checkpoint, *model);
  Tensor outputs = predict(*model, inputs);
  std::vector<std::string> class_names = class_names_of(checkpoint.info.preprocessing);
  std::vector<Prediction> predictions(size_t(outputs.size(0)));
  if (!class_names.empty()) {
    Tensor labels;
    Tensor probabilities;
    classify(outputs, &labels, &probabilities);
    for (int64_t i = 0; i < outputs.size(0); ++i) {
      Prediction& p = predictions[size_t(i)];
      p.label = labels.at<int64_t>({i});
      p.probability = probabilities.to(Dtype::float64).at<double>({i});
      p.class_name = p.label < int64_t(class_names.size()) ? class_names[size_t(p.label)]
                                                           : std::to_string(p.label);
    }
  } else {
    Tensor values = outputs.reshape({outputs.size(0), -1}).to(Dtype::float64).contiguous();
    for (int64_t i = 0; i < values.size(0); ++i) {
      for (int64_t j = 0; j < values.size(1); ++j) {
        predictions[size_t(i)].values.push_back(values.at<double>({i, j}));
      }
    }
  }
  for (size_t i = 0; i < predictions.size(); ++i) {
    predictions[i].name = i < names.size() ? names[i] : std::to_string(i);
  }
  return predictions;
}

}  // namespace cajal::train
