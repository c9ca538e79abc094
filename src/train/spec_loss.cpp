// The "loss" section of a spec: a name ("cross_entropy") or an object with "type" and options
// named as the nn::*LossOptions fields.
#include <algorithm>

#include "cajal/core/creation.h"
#include "cajal/nn/loss.h"
#include "spec_internal.h"

namespace cajal::train::detail {

namespace {

using nn::functional::Reduction;

const std::vector<std::string>& loss_types() {
  static const std::vector<std::string> names{"cross_entropy",
                                              "nll",
                                              "bce",
                                              "bce_with_logits",
                                              "focal",
                                              "sigmoid_focal",
                                              "multi_margin",
                                              "mse",
                                              "l1",
                                              "mae",
                                              "huber",
                                              "smooth_l1",
                                              "quantile",
                                              "log_cosh",
                                              "kl_div",
                                              "poisson_nll",
                                              "hinge",
                                              "squared_hinge",
                                              "dice",
                                              "iou",
                                              "jaccard",
                                              "tversky"};
  return names;
}

// The losses whose targets are class labels (indices, or 0/1 for the binary ones).
const std::vector<std::string>& classification_losses() {
  static const std::vector<std::string> names{
      "cross_entropy", "nll", "bce", "bce_with_logits", "focal", "sigmoid_focal", "multi_margin"};
  return names;
}

Reduction read_reduction(SpecReader& reader, bool batchmean) {
  std::vector<std::string> choices{"mean", "sum"};
  if (batchmean) choices.push_back("batchmean");
  std::string name = reader.choice("reduction", choices, "mean");
  if (name == "sum") return Reduction::sum;
  if (name == "batchmean") return Reduction::batchmean;
  return Reduction::mean;
}

// An optional per-class weight array -> a float32 tensor (undefined when absent).
Tensor read_weights(SpecReader& reader, const std::string& key, const NumberRange& range = {}) {
  if (!reader.has(key)) {
    reader.allow(key);
    return Tensor();
  }
  std::vector<double> values = reader.numbers(key, {}, range);
  if (values.empty()) reader.fail(key, "expected a non-empty array of numbers, got an empty array");
  std::vector<float> floats(values.begin(), values.end());
  return from_vector(floats);
}

std::string loss_type(const Json& loss, const std::string& pointer) {
  if (loss.is_string()) {
    const std::string& name = loss.get_ref<const std::string&>();
    const auto& names = loss_types();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string list;
      for (const std::string& option : names) list += (list.empty() ? "" : ", ") + option;
      throw SpecError(pointer + ": expected one of: " + list + "; got " + describe_json(loss));
    }
    return name;
  }
  if (!loss.is_object()) {
    throw SpecError(pointer + ": expected a loss name or an object, got " + describe_json(loss));
  }
  SpecReader reader(loss, pointer);
  return reader.choice("type", loss_types());
}

}  // namespace

bool loss_is_classification(const Json& loss) {
  std::string type = loss_type(loss, "/loss");
  const auto& names = classification_losses();
  return std::find(names.begin(), names.end(), type) != names.end();
}

std::unique_ptr<nn::Loss> make_loss(const Json& loss, const std::string& pointer) {
  const std::string type = loss_type(loss, pointer);
  const Json object = loss.is_string() ? Json{{"type", type}} : loss;
  SpecReader reader(object, pointer);
  reader.allow("type");
  const NumberRange non_negative{.min = 0};
  auto make = [&]() -> std::unique_ptr<nn::Loss> {
    if (type == "cross_entropy") {
      nn::CrossEntropyLossOptions options;
      options.weight = read_weights(reader, "weight", non_negative);
      options.ignore_index = reader.integer("ignore_index", -100, std::nullopt);
      options.label_smoothing = reader.number("label_smoothing", 0.0, {.min = 0, .max = 1});
      options.reduction = read_reduction(reader, false);
      reader.finish();
      return std::make_unique<nn::CrossEntropyLoss>(options);
    }
    if (type == "nll") {
      nn::NLLLossOptions options;
      options.weight = read_weights(reader, "weight", non_negative);
      options.ignore_index = reader.integer("ignore_index", -100, std::nullopt);
      options.reduction = read_reduction(reader, false);
      reader.finish();
      return std::make_unique<nn::NLLLoss>(options);
    }
    if (type == "bce") {
      nn::BCELossOptions options;
      options.weight = read_weights(reader, "weight", non_negative);
      options.reduction = read_reduction(reader, false);
      reader.finish();
      return std::make_unique<nn::BCELoss>(options);
    }
    if (type == "bce_with_logits") {
      nn::BCEWithLogitsLossOptions options;
      options.weight = read_weights(reader, "weight", non_negative);
      options.pos_weight = read_weights(reader, "pos_weight", non_negative);
      options.reduction = read_reduction(reader, false);
      reader.finish();
      return std::make_unique<nn::BCEWithLogitsLoss>(options);
    }
    if (type == "focal") {
      nn::FocalLossOptions options;
      options.alpha = read_weights(reader, "alpha", non_negative);
      options.gamma = reader.number("gamma", 2.0, non_negative);
      options.ignore_index = reader.integer("ignore_index", -100, std::nullopt);
      options.reduction = read_reduction(reader, false);
      reader.finish();
      return std::make_unique<nn::FocalLoss>(options);
    }
    if (type == "sigmoid_focal") {
      nn::SigmoidFocalLossOptions options;
      options.alpha = reader.number("alpha", 0.25, {.max = 1});
      options.gamma = reader.number("gamma", 2.0, non_negative);
      options.reduction = read_reduction(reader, false);
      reader.finish();
      return std::make_unique<nn::SigmoidFocalLoss>(options);
    }
    if (type == "multi_margin") {
      nn::MultiMarginLossOptions options;
      options.p = reader.integer("p", 1, 1);
      if (options.p != 1 && options.p != 2) {
        reader.fail("p", "expected 1 or 2, got " + std::to_string(options.p));
      }
      options.margin = reader.number("margin", 1.0);
      options.weight = read_weights(reader, "weight", non_negative);
      options.reduction = read_reduction(reader, false);
      reader.finish();
      return std::make_unique<nn::MultiMarginLoss>(options);
    }
    if (type == "mse") {
      nn::MSELossOptions options{read_reduction(reader, false)};
      reader.finish();
      return std::make_unique<nn::MSELoss>(options);
    }
    if (type == "l1" || type == "mae") {
      nn::L1LossOptions options{read_reduction(reader, false)};
      reader.finish();
      return std::make_unique<nn::L1Loss>(options);
    }
    if (type == "huber") {
      nn::HuberLossOptions options;
      options.delta = reader.number("delta", 1.0, {.min = 0, .min_exclusive = true});
      options.reduction = read_reduction(reader, false);
      reader.finish();
      return std::make_unique<nn::HuberLoss>(options);
    }
    if (type == "smooth_l1") {
      nn::SmoothL1LossOptions options;
      options.beta = reader.number("beta", 1.0, non_negative);
      options.reduction = read_reduction(reader, false);
      reader.finish();
      return std::make_unique<nn::SmoothL1Loss>(options);
    }
    if (type == "quantile") {
      nn::QuantileLossOptions options;
      options.quantile = reader.number(
          "quantile", 0.5, {.min = 0, .max = 1, .min_exclusive = true, .max_exclusive = true});
      options.reduction = read_reduction(reader, false);
      reader.finish();
      return std::make_unique<nn::QuantileLoss>(options);
    }
    if (type == "log_cosh") {
      nn::LogCoshLossOptions options{read_reduction(reader, false)};
      reader.finish();
      return std::make_unique<nn::LogCoshLoss>(options);
    }
    if (type == "kl_div") {
      nn::KLDivLossOptions options;
      options.reduction = read_reduction(reader, true);
      options.log_target = reader.boolean("log_target", false);
      reader.finish();
      return std::make_unique<nn::KLDivLoss>(options);
    }
    if (type == "poisson_nll") {
      nn::PoissonNLLLossOptions options;
      options.log_input = reader.boolean("log_input", true);
      options.full = reader.boolean("full", false);
      options.eps = reader.number("eps", 1e-8, non_negative);
      options.reduction = read_reduction(reader, false);
      reader.finish();
      return std::make_unique<nn::PoissonNLLLoss>(options);
    }
    if (type == "hinge" || type == "squared_hinge") {
      double margin = reader.number("margin", 1.0, non_negative);
      Reduction reduction = read_reduction(reader, false);
      reader.finish();
      if (type == "hinge")
        return std::make_unique<nn::HingeLoss>(nn::HingeLossOptions{margin, reduction});
      return std::make_unique<nn::SquaredHingeLoss>(nn::SquaredHingeLossOptions{margin, reduction});
    }
    if (type == "dice" || type == "iou" || type == "jaccard") {
      double smooth = reader.number("smooth", 1.0, non_negative);
      bool batch = reader.boolean("batch", false);
      Reduction reduction = read_reduction(reader, false);
      reader.finish();
      if (type == "dice") {
        return std::make_unique<nn::DiceLoss>(nn::DiceLossOptions{smooth, batch, reduction});
      }
      return std::make_unique<nn::IoULoss>(nn::IoULossOptions{smooth, batch, reduction});
    }
    // tversky
    nn::TverskyLossOptions options;
    options.alpha = reader.number("alpha", 0.5, non_negative);
    options.beta = reader.number("beta", 0.5, non_negative);
    options.smooth = reader.number("smooth", 1.0, non_negative);
    options.batch = reader.boolean("batch", false);
    options.reduction = read_reduction(reader, false);
    reader.finish();
    return std::make_unique<nn::TverskyLoss>(options);
  };
  try {
    return make();
  } catch (const SpecError&) {
    throw;
  } catch (const Error& error) {
    throw SpecError(pointer + ": " + error.what());
  }
}

}  // namespace cajal::train::detail
