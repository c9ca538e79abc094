#pragma once
// Checkpoints: everything needed to resume training or to rebuild a model, in one safetensors file
// (see safetensors.h), written atomically so a crash never destroys the last good checkpoint.
//
// Tensors: the model's state dict under "model.<key>", the optimizer's under "optimizer.<key>",
// a learning-rate scheduler's under "scheduler.<key>". Metadata (strings, as safetensors requires):
//   "format"        "cajal-checkpoint-1"
//   "epoch", "step" decimal integers: epochs and optimizer steps completed
//   "model_spec"    the JSON model spec the network was built from ("" when built in C++)
//   "preprocessing" JSON state of the fitted data transforms (means, scales, class names...)
//   anything else   CheckpointInfo::extra, free-form
// PyTorch reads the weights with safetensors.torch.load_file (strip the "model." prefix).
//
//   train::save_checkpoint("run/last.safetensors", net, &opt, {.epoch = 3, .step = 1410}, &sched);
//   train::Checkpoint checkpoint = train::load_checkpoint("run/last.safetensors");
//   train::restore(checkpoint, net, &opt, &sched);   // strict: every key must match
#include <cstdint>
#include <filesystem>
#include <string>

#include "cajal/core/ordered_dict.h"
#include "cajal/data/safetensors.h"
#include "cajal/nn/module.h"
#include "cajal/optim/lr_scheduler.h"
#include "cajal/optim/optimizer.h"

namespace cajal::train {

inline constexpr const char* kCheckpointFormat = "cajal-checkpoint-1";

struct CheckpointInfo {
  int64_t epoch = 0;            // epochs completed
  int64_t step = 0;             // optimizer steps completed
  std::string model_spec{};     // JSON text, or empty
  std::string preprocessing{};  // JSON text, or empty
  // Free-form entries (a run name, the git commit...). Keys must not be the reserved "format",
  // "epoch", "step", "model_spec" or "preprocessing".
  data::Metadata extra{};
};

struct Checkpoint {
  StateDict model;      // keys without the "model." prefix, as Module::state_dict() names them
  StateDict optimizer;  // empty when saved without an optimizer
  StateDict scheduler;  // empty when saved without a scheduler
  CheckpointInfo info;
  bool has_optimizer = false;
  bool has_scheduler = false;
};

// Writes a checkpoint atomically: on any error the file at `path` keeps its old contents.
// `optimizer` and `scheduler` may be null. ValueError when epoch or step is negative, when
// model_spec or preprocessing is neither empty nor valid JSON, or an extra key is reserved;
// IOError when the file cannot be written.
void save_checkpoint(const std::filesystem::path& path, const nn::Module& model,
                     const optim::Optimizer* optimizer, const CheckpointInfo& info,
                     const optim::LRScheduler* scheduler = nullptr);

// Reads a checkpoint; IOError naming the file when it is not a valid safetensors file, its
// "format" is not cajal-checkpoint-1, epoch or step is not an integer, or a tensor name has none
// of the three prefixes.
Checkpoint load_checkpoint(const std::filesystem::path& path);

// Loads the checkpoint's state into fresh (or any) objects, strictly: a missing or unexpected key
// or a shape mismatch is the ValueError of the object's load_state_dict, naming the keys. A null
// optimizer or scheduler is skipped; a non-null one when the checkpoint has none of its state is a
// ValueError. The model is loaded first; the optimizer must optimize the model's parameters in the
// order the saved one did.
void restore(const Checkpoint& checkpoint, nn::Module& model, optim::Optimizer* optimizer = nullptr,
             optim::LRScheduler* scheduler = nullptr);

}  // namespace cajal::train
