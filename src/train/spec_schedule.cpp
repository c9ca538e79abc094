// The "schedule" section of a spec: {"type": "one_cycle", "max_lr": 0.01, ...}. Lengths given in
// the schedule's interval (epochs, or optimizer steps for "interval": "step") default to the whole
// run: epochs, or epochs * steps_per_epoch.
#include "cajal/optim/cosine_lr.h"
#include "cajal/optim/cyclic_lr.h"
#include "cajal/optim/decay_lr.h"
#include "cajal/optim/one_cycle_lr.h"
#include "cajal/optim/piecewise_constant_lr.h"
#include "cajal/optim/reduce_lr_on_plateau.h"
#include "cajal/optim/step_lr.h"
#include "cajal/optim/warmup_lr.h"
#include "spec_internal.h"

namespace cajal::train::detail {

namespace {

const NumberRange kNonNegative{.min = 0};
const NumberRange kPositive{.min = 0, .min_exclusive = true};

const std::vector<std::string>& schedule_types() {
  static const std::vector<std::string> names{"step",
                                              "multi_step",
                                              "exponential",
                                              "cosine",
                                              "cosine_warm_restarts",
                                              "one_cycle",
                                              "cyclic",
                                              "reduce_on_plateau",
                                              "warmup",
                                              "linear_warmup",
                                              "constant",
                                              "polynomial",
                                              "inverse_time",
                                              "piecewise_constant"};
  return names;
}

std::unique_ptr<optim::LRScheduler> read_schedule(SpecReader& reader, const std::string& type,
                                                  optim::Optimizer& optimizer, int64_t length) {
  using namespace optim;
  if (type == "step") {
    StepLROptions options;
    options.step_size = reader.positive_integer("step_size");
    options.gamma = reader.number("gamma", 0.1, kNonNegative);
    reader.finish();
    return std::make_unique<StepLR>(optimizer, options);
  }
  if (type == "multi_step") {
    MultiStepLROptions options;
    const Json& milestones = reader.value("milestones");
    if (!milestones.is_array()) {
      reader.fail("milestones",
                  "expected an array of increasing epochs, got " + describe_json(milestones));
    }
    for (size_t i = 0; i < milestones.size(); ++i) {
      const std::string at = reader.child_pointer("milestones") + "/" + std::to_string(i);
      int64_t milestone = json_integer(milestones[i], at, 0);
      if (!options.milestones.empty() && milestone <= options.milestones.back()) {
        throw SpecError(at + ": expected an epoch after " +
                        std::to_string(options.milestones.back()) + ", got " +
                        std::to_string(milestone));
      }
      options.milestones.push_back(milestone);
    }
    options.gamma = reader.number("gamma", 0.1, kNonNegative);
    reader.finish();
    return std::make_unique<MultiStepLR>(optimizer, options);
  }
  if (type == "exponential") {
    ExponentialLROptions options;
    options.gamma = reader.number("gamma", kPositive);
    reader.finish();
    return std::make_unique<ExponentialLR>(optimizer, options);
  }
  if (type == "cosine") {
    CosineAnnealingLROptions options;
    options.T_max = reader.positive_integer("t_max", length);
    options.eta_min = reader.number("eta_min", 0.0, kNonNegative);
    reader.finish();
    return std::make_unique<CosineAnnealingLR>(optimizer, options);
  }
  if (type == "cosine_warm_restarts") {
    CosineAnnealingWarmRestartsOptions options;
    options.T_0 = reader.positive_integer("t_0");
    options.T_mult = reader.positive_integer("t_mult", 1);
    options.eta_min = reader.number("eta_min", 0.0, kNonNegative);
    reader.finish();
    return std::make_unique<CosineAnnealingWarmRestarts>(optimizer, options);
  }
  const bool has_momentum = optimizer.momentum(0).has_value();
  if (type == "one_cycle") {
    OneCycleLROptions options;
    options.max_lr = reader.number("max_lr", kPositive);
    options.total_steps = reader.positive_integer("total_steps", length);
    options.pct_start = reader.number("pct_start", 0.3, {.min = 0, .max = 1});
    options.anneal_strategy = reader.choice("anneal_strategy", {"cos", "linear"}, "cos") == "cos"
                                  ? AnnealStrategy::cos
                                  : AnnealStrategy::linear;
    // Cycling momentum needs an optimizer that has one: default on exactly then.
    options.cycle_momentum = reader.boolean("cycle_momentum", has_momentum);
    options.base_momentum = reader.number("base_momentum", 0.85, {.min = 0, .max = 1});
    options.max_momentum = reader.number("max_momentum", 0.95, {.min = 0, .max = 1});
    options.div_factor = reader.number("div_factor", 25.0, kPositive);
    options.final_div_factor = reader.number("final_div_factor", 1e4, kPositive);
    options.three_phase = reader.boolean("three_phase", false);
    reader.finish();
    return std::make_unique<OneCycleLR>(optimizer, options);
  }
  if (type == "cyclic") {
    CyclicLROptions options;
    options.base_lr = reader.number("base_lr", optimizer.lr(0), kNonNegative);
    options.max_lr = reader.number("max_lr", kNonNegative);
    options.step_size_up = reader.positive_integer("step_size_up", 2000);
    options.step_size_down = reader.optional_integer("step_size_down", 1);
    const std::string mode =
        reader.choice("mode", {"triangular", "triangular2", "exp_range"}, "triangular");
    options.mode = mode == "triangular"    ? CyclicMode::triangular
                   : mode == "triangular2" ? CyclicMode::triangular2
                                           : CyclicMode::exp_range;
    options.gamma = reader.number("gamma", 1.0, kPositive);
    options.cycle_momentum = reader.boolean("cycle_momentum", has_momentum);
    options.base_momentum = reader.number("base_momentum", 0.8, {.min = 0, .max = 1});
    options.max_momentum = reader.number("max_momentum", 0.9, {.min = 0, .max = 1});
    reader.finish();
    return std::make_unique<CyclicLR>(optimizer, options);
  }
  if (type == "reduce_on_plateau") {
    ReduceLROnPlateauOptions options;
    options.mode =
        reader.choice("mode", {"min", "max"}, "min") == "min" ? PlateauMode::min : PlateauMode::max;
    options.factor = reader.number("factor", 0.1, {.min = 0, .max = 1, .max_exclusive = true});
    options.patience = reader.integer("patience", 10, 0);
    options.threshold = reader.number("threshold", 1e-4, kNonNegative);
    options.threshold_mode = reader.choice("threshold_mode", {"rel", "abs"}, "rel") == "rel"
                                 ? ThresholdMode::rel
                                 : ThresholdMode::abs;
    options.cooldown = reader.integer("cooldown", 0, 0);
    options.min_lr = reader.number("min_lr", 0.0, kNonNegative);
    options.eps = reader.number("eps", 1e-8, kNonNegative);
    reader.finish();
    return std::make_unique<ReduceLROnPlateau>(optimizer, options);
  }
  if (type == "warmup" || type == "linear_warmup") {
    LinearLROptions options;
    options.start_factor =
        reader.number("start_factor", 1.0 / 3, {.min = 0, .max = 1, .min_exclusive = true});
    options.end_factor = reader.number("end_factor", 1.0, {.min = 0, .max = 1});
    options.total_iters = reader.positive_integer("total_iters", 5);
    reader.finish();
    return std::make_unique<LinearLR>(optimizer, options);
  }
  if (type == "constant") {
    ConstantLROptions options;
    options.factor = reader.number("factor", 1.0 / 3, {.min = 0, .max = 1, .min_exclusive = true});
    options.total_iters = reader.positive_integer("total_iters", 5);
    reader.finish();
    return std::make_unique<ConstantLR>(optimizer, options);
  }
  if (type == "polynomial") {
    PolynomialLROptions options;
    options.total_iters = reader.positive_integer("total_iters", length);
    options.power = reader.number("power", 1.0, kNonNegative);
    reader.finish();
    return std::make_unique<PolynomialLR>(optimizer, options);
  }
  if (type == "inverse_time") {
    InverseTimeLROptions options;
    options.decay_steps = reader.number("decay_steps", 1.0, kPositive);
    options.decay_rate = reader.number("decay_rate", 1.0, kNonNegative);
    options.power = reader.number("power", 1.0, kNonNegative);
    options.staircase = reader.boolean("staircase", false);
    reader.finish();
    return std::make_unique<InverseTimeLR>(optimizer, options);
  }
  // piecewise_constant
  PiecewiseConstantLROptions options;
  const Json& boundaries = reader.value("boundaries");
  if (!boundaries.is_array()) {
    reader.fail("boundaries",
                "expected an array of increasing epochs, got " + describe_json(boundaries));
  }
  for (size_t i = 0; i < boundaries.size(); ++i) {
    const std::string at = reader.child_pointer("boundaries") + "/" + std::to_string(i);
    int64_t boundary = json_integer(boundaries[i], at, 0);
    if (!options.boundaries.empty() && boundary <= options.boundaries.back()) {
      throw SpecError(at + ": expected an epoch after " +
                      std::to_string(options.boundaries.back()) + ", got " +
                      std::to_string(boundary));
    }
    options.boundaries.push_back(boundary);
  }
  if (!reader.has("values")) reader.fail("values", "missing (expected an array of rates)");
  options.values = reader.numbers("values", {}, kNonNegative);
  if (options.values.size() != options.boundaries.size() + 1) {
    reader.fail("values", "expected " + std::to_string(options.boundaries.size() + 1) +
                              " rates (one more than boundaries), got " +
                              std::to_string(options.values.size()));
  }
  reader.finish();
  return std::make_unique<PiecewiseConstantLR>(optimizer, options);
}

}  // namespace

BuiltScheduler make_scheduler(const Json& schedule, const std::string& pointer,
                              optim::Optimizer& optimizer, int64_t epochs,
                              int64_t steps_per_epoch) {
  SpecReader reader(schedule, pointer);
  const std::string type = reader.choice("type", schedule_types());
  const bool per_step_default = type == "one_cycle" || type == "cyclic";
  const std::string interval =
      reader.choice("interval", {"epoch", "step"}, per_step_default ? "step" : "epoch");
  BuiltScheduler built;
  built.interval = interval == "step" ? ScheduleInterval::step : ScheduleInterval::epoch;
  if (type == "reduce_on_plateau" && built.interval == ScheduleInterval::step) {
    reader.fail("interval", "reduce_on_plateau steps once per epoch, with the monitored value");
  }
  int64_t length = epochs;
  if (built.interval == ScheduleInterval::step) {
    if (__builtin_mul_overflow(epochs, steps_per_epoch, &length)) {
      reader.fail("interval", "epochs * steps_per_epoch overflows");
    }
  }
  try {
    built.scheduler = read_schedule(reader, type, optimizer, std::max<int64_t>(length, 1));
  } catch (const SpecError&) {
    throw;
  } catch (const Error& error) {
    throw SpecError(pointer + ": " + error.what());
  }
  return built;
}

}  // namespace cajal::train::detail
