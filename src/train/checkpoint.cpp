#include "cajal/train/checkpoint.h"

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>

#include "cajal/core/error.h"

namespace cajal::train {

namespace {

constexpr std::string_view kModelPrefix = "model.";
constexpr std::string_view kOptimizerPrefix = "optimizer.";
constexpr std::string_view kSchedulerPrefix = "scheduler.";
constexpr std::array<std::string_view, 5> kReservedKeys = {"format", "epoch", "step", "model_spec",
                                                           "preprocessing"};

bool is_reserved(const std::string& key) {
  for (std::string_view reserved : kReservedKeys) {
    if (key == reserved) return true;
  }
  return false;
}

void check_json(const std::string& text, const char* field) {
  if (text.empty()) return;
  if (!nlohmann::json::accept(text)) {
    throw ValueError(std::string("save_checkpoint: ") + field + " is not valid JSON: '" +
                     (text.size() > 60 ? text.substr(0, 60) + "..." : text) + "'");
  }
}

void add_with_prefix(StateDict& tensors, std::string_view prefix, const StateDict& state) {
  for (const auto& [key, tensor] : state) tensors.insert(std::string(prefix) + key, tensor);
}

int64_t parse_count(const data::Metadata& metadata, const char* key, const std::string& source) {
  auto it = metadata.find(key);
  if (it == metadata.end()) {
    throw IOError("checkpoint '" + source + "': metadata has no '" + key + "'");
  }
  const std::string& text = it->second;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) {
    throw IOError("checkpoint '" + source + "': metadata '" + key +
                  "' must be a non-negative integer, got '" + text + "'");
  }
  return value;
}

StateDict clone_state(const StateDict& state) {
  StateDict copy;
  for (const auto& [key, tensor] : state) copy.insert(key, tensor.detach().clone());
  return copy;
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, const nn::Module& model,
                     const optim::Optimizer* optimizer, const CheckpointInfo& info,
                     const optim::LRScheduler* scheduler) {
  if (info.epoch < 0) {
    throw ValueError("save_checkpoint: epoch must be >= 0, got " + std::to_string(info.epoch));
  }
  if (info.step < 0) {
    throw ValueError("save_checkpoint: step must be >= 0, got " + std::to_string(info.step));
  }
  check_json(info.model_spec, "model_spec");
  check_json(info.preprocessing, "preprocessing");

  data::Metadata metadata;
  for (const auto& [key, value] : info.extra) {
    if (is_reserved(key)) {
      throw ValueError("save_checkpoint: extra key '" + key +
                       "' is reserved (format, epoch, step, model_spec, preprocessing)");
    }
    metadata.emplace(key, value);
  }
  metadata["format"] = kCheckpointFormat;
  metadata["epoch"] = std::to_string(info.epoch);
  metadata["step"] = std::to_string(info.step);
  metadata["model_spec"] = info.model_spec;
  metadata["preprocessing"] = info.preprocessing;

  StateDict tensors;
  add_with_prefix(tensors, kModelPrefix, model.state_dict());
  if (optimizer != nullptr) add_with_prefix(tensors, kOptimizerPrefix, optimizer->state_dict());
  if (scheduler != nullptr) add_with_prefix(tensors, kSchedulerPrefix, scheduler->state_dict());
  data::save_safetensors(path, tensors, metadata);
}

Checkpoint load_checkpoint(const std::filesystem::path& path) {
  const std::string source = path.string();
  data::SafetensorsFile file = data::load_safetensors(path);
  auto format = file.metadata.find("format");
  if (format == file.metadata.end()) {
    throw IOError("checkpoint '" + source +
                  "': metadata has no 'format' (not a cajal checkpoint; plain weights load with "
                  "load_safetensors)");
  }
  if (format->second != kCheckpointFormat) {
    throw IOError("checkpoint '" + source + "': format is '" + format->second + "', expected '" +
                  kCheckpointFormat + "'");
  }

  Checkpoint checkpoint;
  checkpoint.info.epoch = parse_count(file.metadata, "epoch", source);
  checkpoint.info.step = parse_count(file.metadata, "step", source);
  for (const auto& [key, value] : file.metadata) {
    if (key == "model_spec") {
      checkpoint.info.model_spec = value;
    } else if (key == "preprocessing") {
      checkpoint.info.preprocessing = value;
    } else if (!is_reserved(key)) {
      checkpoint.info.extra.emplace(key, value);
    }
  }

  for (auto& [name, tensor] : file.tensors) {
    std::string_view view = name;
    if (view.starts_with(kModelPrefix)) {
      checkpoint.model.insert(name.substr(kModelPrefix.size()), tensor);
    } else if (view.starts_with(kOptimizerPrefix)) {
      checkpoint.optimizer.insert(name.substr(kOptimizerPrefix.size()), tensor);
      checkpoint.has_optimizer = true;
    } else if (view.starts_with(kSchedulerPrefix)) {
      checkpoint.scheduler.insert(name.substr(kSchedulerPrefix.size()), tensor);
      checkpoint.has_scheduler = true;
    } else {
      throw IOError("checkpoint '" + source + "': tensor '" + name +
                    "' is not under model., optimizer. or scheduler.");
    }
  }
  return checkpoint;
}

void restore(const Checkpoint& checkpoint, nn::Module& model, optim::Optimizer* optimizer,
             optim::LRScheduler* scheduler) {
  if (optimizer != nullptr && !checkpoint.has_optimizer) {
    throw ValueError("restore: the checkpoint holds no optimizer state to load into " +
                     optimizer->name());
  }
  if (scheduler != nullptr && !checkpoint.has_scheduler) {
    throw ValueError("restore: the checkpoint holds no scheduler state to load into " +
                     scheduler->name());
  }
  // All or nothing: when a later piece fails to load, the earlier ones are put back, so a failed
  // resume leaves the objects as they were.
  StateDict model_backup = clone_state(model.state_dict());
  StateDict optimizer_backup;
  if (optimizer != nullptr) optimizer_backup = clone_state(optimizer->state_dict());
  model.load_state_dict(checkpoint.model, /*strict=*/true);
  try {
    if (optimizer != nullptr) optimizer->load_state_dict(checkpoint.optimizer);
    if (scheduler != nullptr) scheduler->load_state_dict(checkpoint.scheduler);
  } catch (...) {
    model.load_state_dict(model_backup, /*strict=*/true);
    if (optimizer != nullptr) optimizer->load_state_dict(optimizer_backup);
    throw;
  }
}

}  // namespace cajal::train
