#include "cajal/train/callbacks.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cajal/core/atomic_file.h"
#include "cajal/core/error.h"

namespace cajal::train {

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string format_number(double value) {
  char buffer[32];
  if (std::isnan(value)) return "nan";
  double magnitude = std::fabs(value);
  if (magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e5)) {
    std::snprintf(buffer, sizeof buffer, "%.3e", value);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.4f", value);
  }
  return buffer;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto total = static_cast<int64_t>(std::llround(seconds));
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  return buffer;
}

// "key value  key value ..." for the values a reader wants on the epoch line.
std::string format_logs(const Logs& logs) {
  std::string text;
  for (const auto& [key, value] : logs) {
    if (key == "epoch" || key == "seconds") continue;
    text += "  " + key + " " + format_number(value);
  }
  return text;
}

bool is_better(Mode mode, double value, double best, double min_delta) {
  if (std::isnan(value)) return false;
  return mode == Mode::min ? value < best - min_delta : value > best + min_delta;
}

double worst_value(Mode mode) {
  return mode == Mode::min ? std::numeric_limits<double>::infinity()
                           : -std::numeric_limits<double>::infinity();
}

// The value of `monitor` in an epoch's logs; ValueError naming what was logged when absent.
double monitored_value(const char* who, const std::string& monitor, const Logs& logs) {
  if (const double* value = logs.find(monitor)) return *value;
  std::string available;
  for (const auto& [key, value] : logs) available += (available.empty() ? "" : ", ") + key;
  throw ValueError(std::string(who) + ": monitor '" + monitor +
                   "' is not logged (the epoch logs have: " + available + ")" +
                   (monitor.rfind("val_", 0) == 0 ? "; give validation data or a fraction" : ""));
}

StateDict snapshot(const nn::Module& model) {
  StateDict copy;
  for (const auto& [key, tensor] : model.state_dict()) copy.insert(key, tensor.clone());
  return copy;
}

}  // namespace

Mode resolve_mode(Mode mode, const std::string& monitor) {
  if (mode != Mode::automatic) return mode;
  for (const char* word : {"accuracy", "precision", "recall", "f1", "r2", "auc"}) {
    if (monitor.find(word) != std::string::npos) return Mode::max;
  }
  return Mode::min;
}

// ---- ProgressBar --------------------------------------------------------------------------------

ProgressBar::ProgressBar(ProgressBarOptions options)
    : options_(options), stream_(options.stream != nullptr ? options.stream : &std::cout) {
  if (options_.width < 1) {
    throw ValueError("ProgressBar: width must be at least 1, got " +
                     std::to_string(options_.width));
  }
  switch (options_.live) {
    case ProgressBarOptions::Live::always:
      live_ = true;
      break;
    case ProgressBarOptions::Live::never:
      live_ = false;
      break;
    default:
      live_ = stream_ == &std::cout && ::isatty(STDOUT_FILENO) == 1;
      break;
  }
}

void ProgressBar::on_epoch_begin(TrainingState& /*state*/) {
  epoch_start_ = std::chrono::steady_clock::now();
  last_draw_ = {};
}

void ProgressBar::on_batch_end(TrainingState& state, const BatchLogs& logs) {
  if (!live_) return;
  auto now = std::chrono::steady_clock::now();
  bool last = state.batch == state.batches_per_epoch;
  if (!last && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - epoch_start_).count();
  double rate = elapsed > 0 ? double(state.batch) / elapsed : 0;
  double eta = rate > 0 ? double(state.batches_per_epoch - state.batch) / rate : NAN;
  int filled = int(double(options_.width) * double(state.batch) /
                   double(std::max<int64_t>(1, state.batches_per_epoch)));
  std::string bar(size_t(options_.width), '.');
  for (int i = 0; i < filled; ++i) bar[size_t(i)] = '=';
  if (filled < options_.width) bar[size_t(filled)] = '>';
  char head[160];
  std::snprintf(head, sizeof head, "epoch %lld/%lld [%s] %lld/%lld  %.1f batch/s  ETA %s",
                static_cast<long long>(state.epoch + 1), static_cast<long long>(state.epochs),
                bar.c_str(), static_cast<long long>(state.batch),
                static_cast<long long>(state.batches_per_epoch), rate,
                format_duration(eta).c_str());
  // \r returns to the line start and \033[K clears what a longer previous line left behind.
  *stream_ << '\r' << head << format_logs(logs) << "\033[K" << std::flush;
}

void ProgressBar::on_epoch_end(TrainingState& state, const Logs& logs) {
  double seconds = 0;
  if (const double* value = logs.find("seconds")) seconds = *value;
  if (live_) *stream_ << '\r';
  char head[64];
  std::snprintf(head, sizeof head, "epoch %lld/%lld", static_cast<long long>(state.epoch + 1),
                static_cast<long long>(state.epochs));
  *stream_ << head << format_logs(logs) << "  " << format_number(seconds) << " s"
           << (live_ ? "\033[K" : "") << "\n"
           << std::flush;
}

void ProgressBar::on_train_end(TrainingState& state) {
  if (state.history.diverged || state.stop_training) {
    if (live_) *stream_ << "\r\033[K";
    *stream_ << "stopped: "
             << (state.history.diverged ? state.history.stop_reason : state.stop_reason) << "\n"
             << std::flush;
  }
}

// ---- EarlyStopping ------------------------------------------------------------------------------

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
  if (options_.monitor.empty()) throw ValueError("EarlyStopping: monitor must not be empty");
  if (!(options_.min_delta >= 0)) {
    throw ValueError("EarlyStopping: min_delta must be >= 0, got " +
                     std::to_string(options_.min_delta));
  }
  if (options_.patience < 0) {
    throw ValueError("EarlyStopping: patience must be >= 0, got " +
                     std::to_string(options_.patience));
  }
  if (options_.start_from_epoch < 0) {
    throw ValueError("EarlyStopping: start_from_epoch must be >= 0, got " +
                     std::to_string(options_.start_from_epoch));
  }
  mode_ = resolve_mode(options_.mode, options_.monitor);
}

void EarlyStopping::on_train_begin(TrainingState& /*state*/) {
  best_ = options_.baseline ? *options_.baseline : worst_value(mode_);
  best_epoch_ = 0;
  wait_ = 0;
  stopped_epoch_ = 0;
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(TrainingState& state, const Logs& logs) {
  double value = monitored_value("EarlyStopping", options_.monitor, logs);
  if (state.epoch < options_.start_from_epoch) return;
  if (is_better(mode_, value, best_, options_.min_delta)) {
    best_ = value;
    best_epoch_ = state.epoch + 1;
    wait_ = 0;
    if (options_.restore_best_weights) best_weights_ = snapshot(state.model);
    return;
  }
  ++wait_;
  if (wait_ > options_.patience) {
    stopped_epoch_ = state.epoch + 1;
    state.stop_training = true;
    state.stop_reason = "early stopping: " + options_.monitor + " did not improve for " +
                        std::to_string(wait_) + " epoch" + (wait_ == 1 ? "" : "s") +
                        (best_epoch_ > 0 ? " (best " + format_number(best_) + " at epoch " +
                                               std::to_string(best_epoch_) + ")"
                                         : " (never better than the baseline)");
  }
}

void EarlyStopping::on_train_end(TrainingState& state) {
  if (!options_.restore_best_weights || best_weights_.empty()) return;
  if (state.history.empty()) return;
  int64_t last_epoch = static_cast<int64_t>(state.history.last("epoch"));
  if (last_epoch != best_epoch_) state.model.load_state_dict(best_weights_);
}

// ---- ModelCheckpoint ----------------------------------------------------------------------------

ModelCheckpoint::ModelCheckpoint(ModelCheckpointOptions options) : options_(std::move(options)) {
  if (options_.directory.empty()) throw ValueError("ModelCheckpoint: directory is required");
  if (!options_.save_best && !options_.save_last) {
    throw ValueError("ModelCheckpoint: save_best and save_last are both false: nothing to save");
  }
  if (options_.save_best && options_.monitor.empty()) {
    throw ValueError("ModelCheckpoint: monitor must not be empty");
  }
  for (const char* reserved : {"monitor", "monitor_value"}) {
    if (options_.info.extra.contains(reserved)) {
      throw ValueError(std::string("ModelCheckpoint: info.extra must not use the key '") +
                       reserved + "' (the checkpoint writes it)");
    }
  }
  mode_ = resolve_mode(options_.mode, options_.monitor);
}

void ModelCheckpoint::on_train_begin(TrainingState& state) {
  std::error_code error;
  std::filesystem::create_directories(options_.directory, error);
  if (error) {
    throw IOError("ModelCheckpoint: cannot create directory '" + options_.directory.string() +
                  "': " + error.message());
  }
  best_ = worst_value(mode_);
  best_epoch_ = 0;
  // A resumed run competes with the best checkpoint the interrupted run left.
  if (options_.save_best && state.options.initial_epoch > 0 &&
      std::filesystem::exists(best_path())) {
    Checkpoint previous = load_checkpoint(best_path());
    const data::Metadata& extra = previous.info.extra;
    auto monitor = extra.find("monitor");
    auto value = extra.find("monitor_value");
    if (monitor != extra.end() && value != extra.end() && monitor->second == options_.monitor) {
      best_ = std::strtod(value->second.c_str(), nullptr);
      best_epoch_ = previous.info.epoch;
    }
  }
}

void ModelCheckpoint::on_epoch_end(TrainingState& state, const Logs& logs) {
  CheckpointInfo info = options_.info;
  info.epoch = state.epoch + 1;
  info.step = state.step;
  if (options_.save_best) {
    double value = monitored_value("ModelCheckpoint", options_.monitor, logs);
    if (is_better(mode_, value, best_, 0)) {
      best_ = value;
      best_epoch_ = state.epoch + 1;
      CheckpointInfo best_info = info;
      char text[40];
      std::snprintf(text, sizeof text, "%.17g", value);
      best_info.extra["monitor"] = options_.monitor;
      best_info.extra["monitor_value"] = text;
      save_checkpoint(best_path(), state.model, &state.optimizer, best_info, state.scheduler);
    }
  }
  if (options_.save_last) {
    save_checkpoint(last_path(), state.model, &state.optimizer, info, state.scheduler);
  }
}

// ---- MetricsLogger ------------------------------------------------------------------------------

MetricsLogger::MetricsLogger(MetricsLoggerOptions options) : options_(std::move(options)) {
  std::string name = options_.path.string();
  if (name.empty()) throw ValueError("MetricsLogger: path is required");
  if (ends_with(name, ".json")) {
    json_ = true;
  } else if (!ends_with(name, ".csv")) {
    throw ValueError("MetricsLogger: path must end in .csv or .json, got '" + name + "'");
  }
}

void MetricsLogger::on_train_begin(TrainingState& state) {
  rows_.clear();
  if (!options_.append || state.options.initial_epoch == 0 ||
      !std::filesystem::exists(options_.path)) {
    return;
  }
  // Keep the rows of the epochs the resumed run does not repeat.
  std::ifstream file(options_.path);
  std::stringstream text;
  text << file.rdbuf();
  const int64_t keep = state.options.initial_epoch;
  if (json_) {
    nlohmann::json document;
    try {
      document = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception& error) {
      throw IOError("MetricsLogger: cannot read '" + options_.path.string() + "': " + error.what());
    }
    if (!document.is_object() || !document.contains("epochs") || !document["epochs"].is_array()) {
      throw IOError("MetricsLogger: '" + options_.path.string() + "' has no \"epochs\" array");
    }
    for (const auto& entry : document["epochs"]) {
      Logs row;
      for (const auto& [key, value] : entry.items()) {
        row.insert(key, value.is_number() ? value.get<double>() : std::nan(""));
      }
      const double* epoch = row.find("epoch");
      if (epoch != nullptr && *epoch <= double(keep)) rows_.push_back(std::move(row));
    }
    return;
  }
  std::string line;
  std::vector<std::string> header;
  bool first = true;
  while (std::getline(text, line)) {
    std::vector<std::string> cells;
    std::stringstream cells_text(line);
    std::string cell;
    while (std::getline(cells_text, cell, ',')) cells.push_back(cell);
    if (first) {
      header = cells;
      first = false;
      continue;
    }
    Logs row;
    for (size_t i = 0; i < header.size() && i < cells.size(); ++i) {
      if (!cells[i].empty()) row.insert(header[i], std::strtod(cells[i].c_str(), nullptr));
    }
    const double* epoch = row.find("epoch");
    if (epoch != nullptr && *epoch <= double(keep)) rows_.push_back(std::move(row));
  }
}

void MetricsLogger::on_epoch_end(TrainingState& /*state*/, const Logs& logs) {
  rows_.push_back(logs);
  write();
}

void MetricsLogger::write() const {
  std::string text;
  if (json_) {
    nlohmann::ordered_json epochs = nlohmann::ordered_json::array();
    for (const Logs& row : rows_) {
      nlohmann::ordered_json entry = nlohmann::ordered_json::object();
      for (const auto& [key, value] : row) {
        if (key == "epoch") {
          entry[key] = static_cast<int64_t>(value);
        } else if (std::isfinite(value)) {
          entry[key] = value;
        } else {
          entry[key] = nullptr;  // JSON has no NaN or infinity
        }
      }
      epochs.push_back(std::move(entry));
    }
    nlohmann::ordered_json document = nlohmann::ordered_json::object();
    document["epochs"] = std::move(epochs);
    text = document.dump(2) + "\n";
  } else {
    // The union of the rows' keys, in order of first appearance.
    std::vector<std::string> columns;
    for (const Logs& row : rows_) {
      for (const auto& [key, value] : row) {
        if (std::find(columns.begin(), columns.end(), key) == columns.end()) {
          columns.push_back(key);
        }
      }
    }
    for (size_t i = 0; i < columns.size(); ++i) text += (i ? "," : "") + columns[i];
    text += "\n";
    for (const Logs& row : rows_) {
      for (size_t i = 0; i < columns.size(); ++i) {
        if (i) text += ",";
        if (const double* value = row.find(columns[i])) {
          char buffer[40];
          if (columns[i] == "epoch") {
            std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(*value));
          } else {
            std::snprintf(buffer, sizeof buffer, "%.17g", *value);
          }
          text += buffer;
        }
      }
      text += "\n";
    }
  }
  try {
    write_file_atomically(options_.path, text);
  } catch (const IOError& error) {
    throw IOError(std::string("MetricsLogger: ") + error.what());
  }
}

}  // namespace cajal::train
