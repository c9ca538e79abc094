#pragma once
// Model specs: a JSON document describing a whole experiment — data, network, loss, optimizer,
// schedule, regularization and training options — validated field by field (errors name the JSON
// pointer, see spec_reader.h) and turned into the objects train::fit needs. docs/specs.md is the
// reference for every key.
//
//   train::Spec spec = train::load_spec("examples/fashion_cnn.json");
//   train::PreparedData data = train::prepare_data(spec);              // spec_data.h
//   auto model = train::build_model(spec, data.input_shape);
//   auto loss = train::build_loss(spec);
//   auto optimizer = train::build_optimizer(spec, *model);
//   auto schedule = train::build_scheduler(spec, *optimizer, steps_per_epoch);
//
// The document (sections other than "model" may be omitted; defaults in docs/specs.md):
//   {
//     "name": "fashion_cnn",
//     "seed": 42,
//     "data": {...},                                   // spec_data.h
//     "model": [ {"type": "conv2d", "filters": 32, "kernel": 3, "padding": 1},
//                {"type": "batch_norm"}, {"type": "relu"}, {"type": "max_pool2d", "kernel": 2},
//                {"type": "residual", "layers": [...]},
//                {"type": "flatten"}, {"type": "dense", "units": 10} ],
//     "loss": {"type": "cross_entropy", "label_smoothing": 0.1},      // or just "cross_entropy"
//     "optimizer": {"type": "adam", "lr": 0.001},
//     "schedule": {"type": "one_cycle", "max_lr": 0.01},
//     "regularization": {"l1": 0, "l2": 1e-4, "clip_grad_norm": 5, "max_norm": 3},
//     "training": {"epochs": 10, "batch_size": 128, "metrics": ["accuracy"],
//                  "early_stopping": {"monitor": "val_loss", "patience": 3}}
//   }
// Layer input sizes (in_features, in_channels, num_features) are inferred from the data's input
// shape, as Keras does.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cajal/nn/container.h"
#include "cajal/nn/loss.h"
#include "cajal/optim/lr_scheduler.h"
#include "cajal/optim/optimizer.h"
#include "cajal/train/callbacks.h"
#include "cajal/train/fit.h"
#include "cajal/train/spec_reader.h"

namespace cajal::train {

// The "training" and "regularization" sections, parsed.
struct TrainingSpec {
  int64_t epochs = 10;
  int64_t batch_size = 32;
  std::vector<std::string> metrics{};  // default: ["accuracy"] for classification losses
  bool shuffle = true;
  double l1 = 0;
  double l2 = 0;
  std::optional<double> clip_grad_norm{};
  std::optional<double> clip_grad_value{};
  std::optional<double> max_norm{};  // applied to weights after every step
  std::optional<EarlyStoppingOptions> early_stopping{};
  std::string monitor = "val_loss";  // ReduceLROnPlateau and the best checkpoint
};

struct Spec {
  Json document;                   // the whole validated document
  std::string text;                // the JSON text it came from (stored in checkpoints)
  std::string origin;              // file name or "<string>", for messages
  std::filesystem::path base_dir;  // relative data paths resolve against it
  std::string name;
  std::optional<uint64_t> seed{};
  TrainingSpec training{};
};

// Parses and validates every section (model layers included, except what needs the input shape).
// SpecError naming the JSON pointer on any problem; unknown keys are errors.
Spec parse_spec(const std::string& text, const std::string& origin = "<string>",
                const std::filesystem::path& base_dir = ".");
// Reads the file (IOError when unreadable) and parses it with base_dir = its directory.
Spec load_spec(const std::filesystem::path& path);

// Builds the network for inputs of one example's shape (no batch dim), e.g. [1, 28, 28]. SpecError
// naming the layer's pointer when the shapes do not fit (a dense layer after a 4-D output without
// flatten, a kernel larger than its input...). Parameters are initialized from the global
// generator (seed it first for reproducible weights).
std::shared_ptr<nn::Sequential> build_model(const Spec& spec, const Shape& input_shape);
// The most parameters build_model accepts by default (2^31: 8 GiB of float32). A larger model is
// a SpecError naming the layer that crosses the limit, never a failed allocation. The overload
// takes another limit (the fuzz target keeps models small with it).
inline constexpr int64_t kMaxModelParameters = int64_t{1} << 31;
std::shared_ptr<nn::Sequential> build_model(const Spec& spec, const Shape& input_shape,
                                            int64_t max_parameters);

std::unique_ptr<nn::Loss> build_loss(const Spec& spec);
// Whether the loss makes this a classification problem (targets are class indices, outputs
// scores): cross_entropy, nll, bce_with_logits, focal, multi_margin, ...
bool is_classification(const Spec& spec);

// The optimizer over model.parameters() (weight decay options as the optimizer defines them).
std::unique_ptr<optim::Optimizer> build_optimizer(const Spec& spec, nn::Module& model);

struct BuiltScheduler {
  std::unique_ptr<optim::LRScheduler> scheduler;  // null when the spec has no schedule
  ScheduleInterval interval = ScheduleInterval::epoch;
};
// The schedule for `optimizer`; per-step schedules (one_cycle, cyclic, warm-up in steps) get
// total steps from epochs * steps_per_epoch.
BuiltScheduler build_scheduler(const Spec& spec, optim::Optimizer& optimizer,
                               int64_t steps_per_epoch);

// Replaces the value at a JSON pointer (e.g. "/optimizer/lr") and re-validates the document, as a
// grid search does. SpecError naming the pointer when it does not exist in the document's sections
// or the result is invalid.
Spec with_override(const Spec& spec, const std::string& pointer, const Json& value);

}  // namespace cajal::train
