// The "optimizer" section of a spec: {"type": "adam", "lr": 0.001, ...}, keys named as the fields
// of the optim::*Options structs (betas as a 2-array). Second-order methods (L-BFGS, conjugate
// gradient, Newton) are left out: fit() steps without a closure.
#include "cajal/optim/adabelief.h"
#include "cajal/optim/adabound.h"
#include "cajal/optim/adadelta.h"
#include "cajal/optim/adagrad.h"
#include "cajal/optim/adam.h"
#include "cajal/optim/adamax.h"
#include "cajal/optim/adamw.h"
#include "cajal/optim/lookahead.h"
#include "cajal/optim/nadam.h"
#include "cajal/optim/radam.h"
#include "cajal/optim/ranger.h"
#include "cajal/optim/rmsprop.h"
#include "cajal/optim/sgd.h"
#include "spec_internal.h"

namespace cajal::train::detail {

namespace {

const NumberRange kNonNegative{.min = 0};

const std::vector<std::string>& optimizer_types() {
  static const std::vector<std::string> names{
      "sgd",     "adam",     "adamw",     "adamax",   "nadam",  "radam",    "rmsprop",
      "adagrad", "adadelta", "adabelief", "adabound", "ranger", "lookahead"};
  return names;
}

std::pair<double, double> read_betas(SpecReader& reader, std::pair<double, double> fallback) {
  std::vector<double> betas = reader.numbers("betas", {fallback.first, fallback.second},
                                             {.min = 0, .max = 1, .max_exclusive = true});
  if (betas.size() != 2) {
    reader.fail("betas", std::string("expected an array of 2 numbers in [0, 1), got ") +
                             "an array of " + std::to_string(betas.size()));
  }
  return {betas[0], betas[1]};
}

// The options every Adam-like optimizer shares.
template <typename Options>
void read_adam_like(SpecReader& reader, Options& options) {
  options.lr = reader.number("lr", options.lr, kNonNegative);
  options.betas = read_betas(reader, options.betas);
  options.eps = reader.number("eps", options.eps, kNonNegative);
  options.weight_decay = reader.number("weight_decay", options.weight_decay, kNonNegative);
}

std::unique_ptr<optim::Optimizer> read_optimizer(SpecReader& reader, std::vector<Tensor> params) {
  const std::string type = reader.choice("type", optimizer_types());
  if (type == "sgd") {
    optim::SGDOptions options;
    options.lr = reader.number("lr", options.lr, kNonNegative);
    options.momentum = reader.number("momentum", 0.0, kNonNegative);
    options.dampening = reader.number("dampening", 0.0, {.min = 0, .max = 1});
    options.weight_decay = reader.number("weight_decay", 0.0, kNonNegative);
    options.nesterov = reader.boolean("nesterov", false);
    options.maximize = reader.boolean("maximize", false);
    if (options.nesterov && (options.momentum <= 0 || options.dampening != 0)) {
      reader.fail("nesterov", "needs momentum > 0 and dampening 0");
    }
    reader.finish();
    return std::make_unique<optim::SGD>(std::move(params), options);
  }
  if (type == "adam" || type == "adamw") {
    auto read = [&](auto options) {
      read_adam_like(reader, options);
      options.amsgrad = reader.boolean("amsgrad", false);
      options.maximize = reader.boolean("maximize", false);
      reader.finish();
      return options;
    };
    if (type == "adam") {
      return std::make_unique<optim::Adam>(std::move(params), read(optim::AdamOptions{}));
    }
    return std::make_unique<optim::AdamW>(std::move(params), read(optim::AdamWOptions{}));
  }
  if (type == "adamax") {
    optim::AdamaxOptions options;
    read_adam_like(reader, options);
    options.maximize = reader.boolean("maximize", false);
    reader.finish();
    return std::make_unique<optim::Adamax>(std::move(params), options);
  }
  if (type == "nadam") {
    optim::NAdamOptions options;
    read_adam_like(reader, options);
    options.momentum_decay = reader.number("momentum_decay", options.momentum_decay, kNonNegative);
    reader.finish();
    return std::make_unique<optim::NAdam>(std::move(params), options);
  }
  if (type == "radam") {
    optim::RAdamOptions options;
    read_adam_like(reader, options);
    options.decoupled_weight_decay = reader.boolean("decoupled_weight_decay", false);
    reader.finish();
    return std::make_unique<optim::RAdam>(std::move(params), options);
  }
  if (type == "adabelief") {
    optim::AdaBeliefOptions options;
    read_adam_like(reader, options);
    options.amsgrad = reader.boolean("amsgrad", false);
    options.decoupled_weight_decay = reader.boolean("decoupled_weight_decay", false);
    reader.finish();
    return std::make_unique<optim::AdaBelief>(std::move(params), options);
  }
  if (type == "adabound") {
    optim::AdaBoundOptions options;
    read_adam_like(reader, options);
    options.final_lr = reader.number("final_lr", options.final_lr, kNonNegative);
    options.gamma = reader.number("gamma", options.gamma, kNonNegative);
    options.amsbound = reader.boolean("amsbound", false);
    reader.finish();
    return std::make_unique<optim::AdaBound>(std::move(params), options);
  }
  if (type == "ranger") {
    optim::RangerOptions options;
    read_adam_like(reader, options);
    options.k = reader.positive_integer("k", options.k);
    options.alpha = reader.number("alpha", options.alpha, {.min = 0, .max = 1});
    reader.finish();
    return std::make_unique<optim::Ranger>(std::move(params), options);
  }
  if (type == "rmsprop") {
    optim::RMSpropOptions options;
    options.lr = reader.number("lr", options.lr, kNonNegative);
    options.alpha = reader.number("alpha", options.alpha, {.min = 0, .max = 1});
    options.eps = reader.number("eps", options.eps, kNonNegative);
    options.weight_decay = reader.number("weight_decay", 0.0, kNonNegative);
    options.momentum = reader.number("momentum", 0.0, kNonNegative);
    options.centered = reader.boolean("centered", false);
    options.maximize = reader.boolean("maximize", false);
    reader.finish();
    return std::make_unique<optim::RMSprop>(std::move(params), options);
  }
  if (type == "adagrad") {
    optim::AdagradOptions options;
    options.lr = reader.number("lr", options.lr, kNonNegative);
    options.lr_decay = reader.number("lr_decay", 0.0, kNonNegative);
    options.weight_decay = reader.number("weight_decay", 0.0, kNonNegative);
    options.initial_accumulator_value =
        reader.number("initial_accumulator_value", 0.0, kNonNegative);
    options.eps = reader.number("eps", options.eps, kNonNegative);
    options.maximize = reader.boolean("maximize", false);
    reader.finish();
    return std::make_unique<optim::Adagrad>(std::move(params), options);
  }
  if (type == "adadelta") {
    optim::AdadeltaOptions options;
    options.lr = reader.number("lr", options.lr, kNonNegative);
    options.rho = reader.number("rho", options.rho, {.min = 0, .max = 1});
    options.eps = reader.number("eps", options.eps, kNonNegative);
    options.weight_decay = reader.number("weight_decay", 0.0, kNonNegative);
    options.maximize = reader.boolean("maximize", false);
    reader.finish();
    return std::make_unique<optim::Adadelta>(std::move(params), options);
  }
  // lookahead: {"type": "lookahead", "k": 5, "alpha": 0.5, "optimizer": {...the inner one...}}
  optim::LookaheadOptions options;
  options.k = reader.positive_integer("k", options.k);
  options.alpha = reader.number("alpha", options.alpha, {.min = 0, .max = 1});
  const Json& inner_json = reader.value("optimizer");
  reader.finish();
  SpecReader inner_reader(inner_json, reader.child_pointer("optimizer"));
  if (inner_reader.has("type") && inner_reader.json()["type"] == "lookahead") {
    inner_reader.fail("type", "a lookahead cannot wrap another lookahead");
  }
  std::shared_ptr<optim::Optimizer> inner = read_optimizer(inner_reader, std::move(params));
  return std::make_unique<optim::Lookahead>(inner, options);
}

}  // namespace

std::unique_ptr<optim::Optimizer> make_optimizer(const Json& optimizer, const std::string& pointer,
                                                 std::vector<Tensor> parameters) {
  SpecReader reader(optimizer, pointer);
  try {
    return read_optimizer(reader, std::move(parameters));
  } catch (const SpecError&) {
    throw;
  } catch (const Error& error) {
    throw SpecError(pointer + ": " + error.what());
  }
}

}  // namespace cajal::train::detail
