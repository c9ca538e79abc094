// The spec document as a whole: the top-level keys, the "training" and "regularization"
// sections, and the public entry points of spec.h. Each other section lives in its own file
// (spec_model.cpp, spec_loss.cpp, spec_optimizer.cpp, spec_schedule.cpp).
#include "cajal/train/spec.h"

#include <fstream>
#include <sstream>

#include "cajal/core/creation.h"
#include "cajal/train/metrics.h"
#include "spec_internal.h"

namespace cajal::train {

namespace {

const NumberRange kNonNegative{.min = 0};
const NumberRange kPositive{.min = 0, .min_exclusive = true};

// The sections' defaults when a spec leaves them out.
const Json& default_loss() {
  static const Json loss = "cross_entropy";
  return loss;
}
const Json& default_optimizer() {
  static const Json optimizer = {{"type", "adam"}};
  return optimizer;
}

const Json& section(const Json& document, const std::string& key, const Json& fallback) {
  auto it = document.find(key);
  return it == document.end() || it->is_null() ? fallback : *it;
}

EarlyStoppingOptions read_early_stopping(const Json& json, const std::string& pointer,
                                         const std::string& monitor) {
  SpecReader reader(json, pointer);
  EarlyStoppingOptions options;
  options.monitor = reader.string("monitor", monitor);
  options.patience = reader.integer("patience", 0, 0);
  options.min_delta = reader.number("min_delta", 0.0, kNonNegative);
  const std::string mode = reader.choice("mode", {"auto", "min", "max"}, "auto");
  options.mode = mode == "min" ? Mode::min : mode == "max" ? Mode::max : Mode::automatic;
  options.restore_best_weights = reader.boolean("restore_best_weights", false);
  options.baseline = reader.optional_number("baseline");
  options.start_from_epoch = reader.integer("start_from_epoch", 0, 0);
  reader.finish();
  return options;
}

void read_training(const Json& document, TrainingSpec& training, bool classification) {
  static const Json empty = Json::object();
  SpecReader reader(section(document, "training", empty), "/training");
  training.epochs = reader.positive_integer("epochs", training.epochs);
  training.batch_size = reader.positive_integer("batch_size", training.batch_size);
  training.shuffle = reader.boolean("shuffle", training.shuffle);
  training.monitor = reader.string("monitor", training.monitor);
  if (training.monitor.empty()) reader.fail("monitor", "expected a log name, got \"\"");
  std::vector<std::string> fallback;
  if (classification) fallback.push_back("accuracy");
  training.metrics = reader.strings("metrics", fallback);
  for (size_t i = 0; i < training.metrics.size(); ++i) {
    try {
      make_metric(training.metrics[i]);
    } catch (const Error& error) {
      std::string at = reader.child_pointer("metrics");
      auto metrics = reader.json().find("metrics");
      if (metrics != reader.json().end() && metrics->is_array()) at += "/" + std::to_string(i);
      std::string names;
      for (const std::string& name : metric_names()) names += (names.empty() ? "" : ", ") + name;
      throw SpecError(at + ": unknown metric \"" + training.metrics[i] +
                      "\" (expected one of: " + names + ")");
    }
  }
  if (const Json* early = reader.optional_value("early_stopping")) {
    training.early_stopping =
        read_early_stopping(*early, reader.child_pointer("early_stopping"), training.monitor);
  }
  reader.finish();
}

void read_regularization(const Json& document, TrainingSpec& training) {
  static const Json empty = Json::object();
  SpecReader reader(section(document, "regularization", empty), "/regularization");
  training.l1 = reader.number("l1", 0.0, kNonNegative);
  training.l2 = reader.number("l2", 0.0, kNonNegative);
  training.clip_grad_norm = reader.optional_number("clip_grad_norm", kPositive);
  training.clip_grad_value = reader.optional_number("clip_grad_value", kPositive);
  training.max_norm = reader.optional_number("max_norm", kPositive);
  reader.finish();
}

}  // namespace

Spec parse_spec(const std::string& text, const std::string& origin,
                const std::filesystem::path& base_dir) {
  Spec spec;
  spec.document = parse_json(text, origin);
  spec.text = text;
  spec.origin = origin;
  spec.base_dir = base_dir;
  const Json& document = spec.document;

  SpecReader root(document, "");
  // Unknown top-level keys first: a misspelt "modle" should be named as such, not reported as a
  // missing "model".
  for (const char* key : {"name", "seed", "data", "model", "loss", "optimizer", "schedule",
                          "training", "regularization"}) {
    root.allow(key);
  }
  root.finish();
  spec.name = root.string("name", "model");
  if (auto seed = root.optional_integer("seed", 0)) spec.seed = static_cast<uint64_t>(*seed);
  if (const Json* data = root.optional_value("data"); data && !data->is_object()) {
    throw SpecError("/data: expected an object, got " + describe_json(*data));
  }
  detail::validate_model(root.value("model"), "/model");

  const Json& loss = section(document, "loss", default_loss());
  root.allow("loss");
  detail::make_loss(loss, "/loss");

  root.allow("training");
  root.allow("regularization");
  read_training(document, spec.training, detail::loss_is_classification(loss));
  read_regularization(document, spec.training);

  // The optimizer and the schedule are validated by building them over a stand-in parameter:
  // their constructors check every option against the others.
  root.allow("optimizer");
  Tensor stand_in = zeros({1});
  stand_in.requires_grad_(true);
  auto optimizer = detail::make_optimizer(section(document, "optimizer", default_optimizer()),
                                          "/optimizer", {stand_in});
  if (const Json* schedule = root.optional_value("schedule")) {
    detail::make_scheduler(*schedule, "/schedule", *optimizer, spec.training.epochs, 1);
  }
  root.finish();
  return spec;
}

Spec load_spec(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IOError(path.string() + ": cannot open the spec file");
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw IOError(path.string() + ": cannot read the spec file");
  return parse_spec(text.str(), path.string(),
                    path.parent_path().empty() ? "." : path.parent_path());
}

std::shared_ptr<nn::Sequential> build_model(const Spec& spec, const Shape& input_shape) {
  return build_model(spec, input_shape, kMaxModelParameters);
}

std::shared_ptr<nn::Sequential> build_model(const Spec& spec, const Shape& input_shape,
                                            int64_t max_parameters) {
  return detail::build_layers(spec.document.at("model"), "/model", input_shape, max_parameters);
}

std::unique_ptr<nn::Loss> build_loss(const Spec& spec) {
  return detail::make_loss(section(spec.document, "loss", default_loss()), "/loss");
}

bool is_classification(const Spec& spec) {
  return detail::loss_is_classification(section(spec.document, "loss", default_loss()));
}

std::unique_ptr<optim::Optimizer> build_optimizer(const Spec& spec, nn::Module& model) {
  if (model.parameters().empty()) {
    throw SpecError("/model: the model has no parameters for the optimizer to train");
  }
  return detail::make_optimizer(section(spec.document, "optimizer", default_optimizer()),
                                "/optimizer", model.parameters());
}

BuiltScheduler build_scheduler(const Spec& spec, optim::Optimizer& optimizer,
                               int64_t steps_per_epoch) {
  if (steps_per_epoch < 1) {
    throw ValueError("build_scheduler: steps_per_epoch must be >= 1, got " +
                     std::to_string(steps_per_epoch));
  }
  static const Json none;
  const Json& schedule = section(spec.document, "schedule", none);
  if (schedule.is_null()) return {};
  return detail::make_scheduler(schedule, "/schedule", optimizer, spec.training.epochs,
                                steps_per_epoch);
}

Spec with_override(const Spec& spec, const std::string& pointer, const Json& value) {
  if (pointer.empty() || pointer[0] != '/') {
    throw SpecError("override \"" + pointer + "\": expected a JSON pointer such as /optimizer/lr");
  }
  Json::json_pointer target;
  try {
    target = Json::json_pointer(pointer);
  } catch (const Json::exception& error) {
    throw SpecError(pointer + ": not a valid JSON pointer");
  }
  Json document = spec.document;
  const Json::json_pointer parent = target.parent_pointer();
  const std::string key = target.back();
  if (!document.contains(parent)) {
    throw SpecError(pointer + ": cannot override, " +
                    (parent.empty() ? std::string("/") : parent.to_string()) +
                    " does not exist in the spec");
  }
  Json& container = document[parent];
  if (container.is_object()) {
    container[key] = value;
  } else if (container.is_array()) {
    size_t index = 0;
    bool numeric = !key.empty() && key.size() <= 9 &&
                   key.find_first_not_of("0123456789") == std::string::npos &&
                   (key == "0" || key[0] != '0');
    if (numeric) index = std::stoul(key);
    if (!numeric || index >= container.size()) {
      throw SpecError(pointer + ": cannot override, " + parent.to_string() + " has no element " +
                      key + " (it has " + std::to_string(container.size()) + ")");
    }
    container[index] = value;
  } else {
    throw SpecError(pointer + ": cannot override, " + parent.to_string() + " is " +
                    describe_json(container) + ", not an object or an array");
  }
  const std::string text = document.dump(2);
  try {
    return parse_spec(text, spec.origin, spec.base_dir);
  } catch (const SpecError& error) {
    const std::string message = error.what();
    if (message.rfind(pointer, 0) == 0) throw;
    throw SpecError(message + " (after overriding " + pointer + ")");
  }
}

}  // namespace cajal::train
