// Learning-rate schedules against PyTorch 1.13 (tools/golden/lr_schedules.py): every group's rate
// (and the cycled momentum or beta1) after construction and after each of 30+ steps, with two
// parameter groups of different base rates; then a state dict round trip in the middle of every
// schedule: a fresh optimizer and scheduler, loaded, continue with identical rates.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/optim/adam.h"
#include "cajal/optim/chained_scheduler.h"
#include "cajal/optim/cosine_lr.h"
#include "cajal/optim/cyclic_lr.h"
#include "cajal/optim/decay_lr.h"
#include "cajal/optim/lambda_lr.h"
#include "cajal/optim/one_cycle_lr.h"
#include "cajal/optim/reduce_lr_on_plateau.h"
#include "cajal/optim/sequential_lr.h"
#include "cajal/optim/sgd.h"
#include "cajal/optim/step_lr.h"
#include "cajal/optim/warmup_lr.h"
#include "support/golden.h"

namespace cajal::optim {
namespace {

using nlohmann::json;

// Rates differ from PyTorch's only by rounding: the chainable forms multiply step after step.
constexpr double kRtol = 1e-12;
// Cosine schedules reach eta_min = 0 up to rounding (1e-18 against 0).
constexpr double kAtol = 1e-15;

// The lambdas of the golden script, by name.
LRLambda lambda_named(const std::string& name) {
  static const std::map<std::string, LRLambda> lambdas = {
      {"pow095", [](int64_t e) { return std::pow(0.95, static_cast<double>(e)); }},
      {"inverse", [](int64_t e) { return 1.0 / (1.0 + static_cast<double>(e)); }},
      {"warmup10", [](int64_t e) { return std::min(1.0, static_cast<double>(e + 1) / 10.0); }},
      {"const09", [](int64_t) { return 0.9; }},
      {"linear_decay", [](int64_t e) { return 1.0 - 0.01 * static_cast<double>(e); }},
  };
  return lambdas.at(name);
}

// A golden case's params, each value parsed.
json case_params(const testing::GoldenCase& c) {
  json params = json::object();
  for (const auto& [key, text] : c.params_json) params[key] = json::parse(text);
  return params;
}

template <typename T>
T option(const json& options, const char* key, T fallback) {
  return options.contains(key) ? options.at(key).get<T>() : fallback;
}

PerGroup per_group(const json& options, const char* key, PerGroup fallback) {
  if (!options.contains(key)) return fallback;
  const json& value = options.at(key);
  if (value.is_array()) return PerGroup(value.get<std::vector<double>>());
  return PerGroup(value.get<double>());
}

std::vector<LRLambda> lambdas(const json& options) {
  std::vector<LRLambda> out;
  for (const auto& name : options.at("lambdas"))
    out.push_back(lambda_named(name.get<std::string>()));
  return out;
}

// The optimizer of the golden script: two groups of one [2] parameter each.
std::unique_ptr<Optimizer> make_optimizer(const json& params) {
  const auto base_lrs = params.at("base_lrs").get<std::vector<double>>();
  std::vector<Tensor> tensors;
  for (size_t g = 0; g < base_lrs.size(); ++g) {
    tensors.push_back(zeros({2}, {.dtype = Dtype::float64}).requires_grad_(true));
  }
  if (params.at("optimizer") == "sgd") {
    std::vector<SGD::Group> groups;
    for (size_t g = 0; g < base_lrs.size(); ++g) {
      groups.push_back({{tensors[g]}, {.lr = base_lrs[g], .momentum = 0.9}});
    }
    return std::make_unique<SGD>(std::move(groups));
  }
  std::vector<Adam::Group> groups;
  for (size_t g = 0; g < base_lrs.size(); ++g) {
    groups.push_back({{tensors[g]}, {.lr = base_lrs[g], .betas = {0.9, 0.999}}});
  }
  return std::make_unique<Adam>(std::move(groups));
}

// Builds the schedule a spec describes; children of composite schedules go to `children`.
std::unique_ptr<LRScheduler> build(Optimizer& opt, const json& spec,
                                   std::vector<std::unique_ptr<LRScheduler>>& children) {
  const std::string kind = spec.at("schedule");
  const json o = spec.contains("options") ? spec.at("options") : json::object();
  if (kind == "StepLR") {
    return std::make_unique<StepLR>(opt,
                                    StepLR::Options{.step_size = o.at("step_size").get<int64_t>(),
                                                    .gamma = option(o, "gamma", 0.1)});
  }
  if (kind == "MultiStepLR") {
    return std::make_unique<MultiStepLR>(
        opt, MultiStepLR::Options{.milestones = o.at("milestones").get<std::vector<int64_t>>(),
                                  .gamma = option(o, "gamma", 0.1)});
  }
  if (kind == "ConstantLR") {
    return std::make_unique<ConstantLR>(
        opt, ConstantLR::Options{.factor = option(o, "factor", 1.0 / 3),
                                 .total_iters = option<int64_t>(o, "total_iters", 5)});
  }
  if (kind == "LinearLR") {
    return std::make_unique<LinearLR>(
        opt, LinearLR::Options{.start_factor = option(o, "start_factor", 1.0 / 3),
                               .end_factor = option(o, "end_factor", 1.0),
                               .total_iters = option<int64_t>(o, "total_iters", 5)});
  }
  if (kind == "ExponentialLR") {
    return std::make_unique<ExponentialLR>(
        opt, ExponentialLR::Options{.gamma = o.at("gamma").get<double>()});
  }
  if (kind == "PolynomialLR") {
    return std::make_unique<PolynomialLR>(
        opt, PolynomialLR::Options{.total_iters = option<int64_t>(o, "total_iters", 5),
                                   .power = option(o, "power", 1.0)});
  }
  if (kind == "CosineAnnealingLR") {
    return std::make_unique<CosineAnnealingLR>(
        opt, CosineAnnealingLR::Options{.T_max = o.at("T_max").get<int64_t>(),
                                        .eta_min = option(o, "eta_min", 0.0)});
  }
  if (kind == "CosineAnnealingWarmRestarts") {
    return std::make_unique<CosineAnnealingWarmRestarts>(
        opt, CosineAnnealingWarmRestarts::Options{.T_0 = o.at("T_0").get<int64_t>(),
                                                  .T_mult = option<int64_t>(o, "T_mult", 1),
                                                  .eta_min = option(o, "eta_min", 0.0)});
  }
  if (kind == "LambdaLR") return std::make_unique<LambdaLR>(opt, lambdas(o));
  if (kind == "MultiplicativeLR") return std::make_unique<MultiplicativeLR>(opt, lambdas(o));
  if (kind == "OneCycleLR") {
    const std::string anneal = option<std::string>(o, "anneal_strategy", "cos");
    return std::make_unique<OneCycleLR>(
        opt, OneCycleLR::Options{
                 .max_lr = per_group(o, "max_lr", {}),
                 .total_steps = option<int64_t>(o, "total_steps", 0),
                 .epochs = option<int64_t>(o, "epochs", 0),
                 .steps_per_epoch = option<int64_t>(o, "steps_per_epoch", 0),
                 .pct_start = option(o, "pct_start", 0.3),
                 .anneal_strategy = anneal == "cos" ? AnnealStrategy::cos : AnnealStrategy::linear,
                 .cycle_momentum = option(o, "cycle_momentum", true),
                 .base_momentum = per_group(o, "base_momentum", 0.85),
                 .max_momentum = per_group(o, "max_momentum", 0.95),
                 .div_factor = option(o, "div_factor", 25.0),
                 .final_div_factor = option(o, "final_div_factor", 1e4),
                 .three_phase = option(o, "three_phase", false)});
  }
  if (kind == "CyclicLR") {
    const std::string mode = option<std::string>(o, "mode", "triangular");
    CyclicLR::Options options{.base_lr = per_group(o, "base_lr", {}),
                              .max_lr = per_group(o, "max_lr", {}),
                              .step_size_up = option<int64_t>(o, "step_size_up", 2000),
                              .mode = mode == "triangular"    ? CyclicMode::triangular
                                      : mode == "triangular2" ? CyclicMode::triangular2
                                                              : CyclicMode::exp_range,
                              .gamma = option(o, "gamma", 1.0),
                              .cycle_momentum = option(o, "cycle_momentum", true),
                              .base_momentum = per_group(o, "base_momentum", 0.8),
                              .max_momentum = per_group(o, "max_momentum", 0.9)};
    if (o.contains("step_size_down"))
      options.step_size_down = o.at("step_size_down").get<int64_t>();
    return std::make_unique<CyclicLR>(opt, options);
  }
  if (kind == "ReduceLROnPlateau") {
    return std::make_unique<ReduceLROnPlateau>(
        opt, ReduceLROnPlateau::Options{
                 .mode = option<std::string>(o, "mode", "min") == "min" ? PlateauMode::min
                                                                        : PlateauMode::max,
                 .factor = option(o, "factor", 0.1),
                 .patience = option<int64_t>(o, "patience", 10),
                 .threshold = option(o, "threshold", 1e-4),
                 .threshold_mode = option<std::string>(o, "threshold_mode", "rel") == "rel"
                                       ? ThresholdMode::rel
                                       : ThresholdMode::abs,
                 .cooldown = option<int64_t>(o, "cooldown", 0),
                 .min_lr = per_group(o, "min_lr", 0.0),
                 .eps = option(o, "eps", 1e-8)});
  }
  if (kind == "SequentialLR" || kind == "ChainedScheduler") {
    std::vector<std::reference_wrapper<LRScheduler>> list;
    for (const json& child : spec.at("children")) {
      children.push_back(build(opt, child, children));
      list.emplace_back(*children.back());
    }
    if (kind == "ChainedScheduler") return std::make_unique<ChainedScheduler>(list);
    return std::make_unique<SequentialLR>(opt, list,
                                          o.at("milestones").get<std::vector<int64_t>>());
  }
  ADD_FAILURE() << "unknown schedule " << kind;
  return nullptr;
}

// An optimizer with its schedule, built from a golden case.
struct ScheduleRun {
  json params;
  std::unique_ptr<Optimizer> optimizer;
  std::vector<std::unique_ptr<LRScheduler>> children;
  std::unique_ptr<LRScheduler> scheduler;

  explicit ScheduleRun(const json& case_params) : params(case_params) {
    optimizer = make_optimizer(params);
    scheduler = build(*optimizer, params, children);
  }

  // Step number `i` (0-based) of the golden sequence.
  void step(size_t i) {
    if (params.contains("metrics")) {
      dynamic_cast<ReduceLROnPlateau&>(*scheduler).step(params.at("metrics")[i].get<double>());
    } else if (params.contains("epochs")) {
      dynamic_cast<CosineAnnealingWarmRestarts&>(*scheduler)
          .step(params.at("epochs")[i].get<double>());
    } else {
      scheduler->step();
    }
  }

  std::vector<double> lrs() const {
    std::vector<double> out;
    for (size_t g = 0; g < optimizer->num_param_groups(); ++g) out.push_back(optimizer->lr(g));
    return out;
  }
  std::vector<double> momenta() const {
    std::vector<double> out;
    for (size_t g = 0; g < optimizer->num_param_groups(); ++g) {
      out.push_back(optimizer->momentum(g).value());
    }
    return out;
  }
};

Tensor rows(const std::vector<std::vector<double>>& values) {
  std::vector<double> flat;
  for (const auto& row : values) flat.insert(flat.end(), row.begin(), row.end());
  return from_vector(
      flat, {static_cast<int64_t>(values.size()), static_cast<int64_t>(values.front().size())});
}

class LRScheduleGolden : public ::testing::TestWithParam<std::string> {
 public:
  static const std::map<std::string, testing::GoldenCase>& cases() {
    static const auto golden = testing::load_golden("lr_schedules");
    return golden;
  }
};

TEST_P(LRScheduleGolden, MatchesPyTorch) {
  const testing::GoldenCase& c = cases().at(GetParam());
  ScheduleRun run(case_params(c));
  const size_t steps = run.params.at("steps").get<size_t>();
  ASSERT_GE(steps, 12u);
  std::vector<std::vector<double>> lrs{run.lrs()}, momenta{run.momenta()};
  EXPECT_EQ(run.scheduler->get_last_lr(), run.lrs());
  for (size_t i = 0; i < steps; ++i) {
    run.step(i);
    lrs.push_back(run.lrs());
    momenta.push_back(run.momenta());
    EXPECT_EQ(run.scheduler->get_last_lr(), run.lrs()) << "step " << i;
  }
  EXPECT_TRUE(testing::tensors_close(rows(lrs), c.outputs[0], kRtol, kAtol)) << c.name;
  if (c.outputs.size() > 1) {
    EXPECT_TRUE(testing::tensors_close(rows(momenta), c.outputs[1], kRtol, kAtol)) << c.name;
  }
}

// Saved halfway and loaded into a fresh optimizer and scheduler, the schedule goes on exactly as
// the uninterrupted one.
TEST_P(LRScheduleGolden, StateDictRoundTripResumesExactly) {
  const testing::GoldenCase& c = cases().at(GetParam());
  const json params = case_params(c);
  const size_t steps = params.at("steps").get<size_t>();
  const size_t half = steps / 2 + 1;
  ScheduleRun original(params);
  for (size_t i = 0; i < half; ++i) original.step(i);
  const StateDict optimizer_state = original.optimizer->state_dict();
  const StateDict scheduler_state = original.scheduler->state_dict();
  for (const auto& [key, value] : scheduler_state) {
    EXPECT_EQ(value.dim(), 0) << key;
    EXPECT_TRUE(value.dtype() == Dtype::float64 || value.dtype() == Dtype::int64) << key;
  }

  ScheduleRun resumed(params);
  resumed.optimizer->load_state_dict(optimizer_state);
  resumed.scheduler->load_state_dict(scheduler_state);
  EXPECT_EQ(resumed.scheduler->last_epoch(), original.scheduler->last_epoch());
  EXPECT_EQ(resumed.scheduler->get_last_lr(), original.scheduler->get_last_lr());
  for (size_t i = half; i < steps; ++i) {
    original.step(i);
    resumed.step(i);
    ASSERT_EQ(resumed.lrs(), original.lrs()) << c.name << " step " << i;
    ASSERT_EQ(resumed.momenta(), original.momenta()) << c.name << " step " << i;
  }
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& [name, c] : LRScheduleGolden::cases()) names.push_back(name);
  return names;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name;
  for (char ch : info.param) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(PyTorch, LRScheduleGolden, ::testing::ValuesIn(case_names()), test_name);

// Every schedule of PyTorch 1.13's lr_scheduler has a golden case.
TEST(LRScheduleGoldenCoverage, EveryPyTorchScheduleIsCompared) {
  std::set<std::string> compared;
  for (const auto& [name, c] : LRScheduleGolden::cases()) {
    compared.insert(case_params(c).at("schedule").get<std::string>());
  }
  for (const char* schedule :
       {"LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
        "ExponentialLR", "SequentialLR", "PolynomialLR", "CosineAnnealingLR", "ChainedScheduler",
        "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR"}) {
    EXPECT_TRUE(compared.count(schedule)) << schedule;
  }
}

}  // namespace
}  // namespace cajal::optim
