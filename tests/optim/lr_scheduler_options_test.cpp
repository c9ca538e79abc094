// Learning-rate schedules beyond the PyTorch comparison (lr_scheduler_test.cpp): the schedules
// PyTorch lacks (piecewise constant, inverse-time/power decay) against their formulas written
// out, shared base rates, stepping past the end, composite rules, state dict errors, and every
// option check.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/optim/adagrad.h"
#include "cajal/optim/adam.h"
#include "cajal/optim/chained_scheduler.h"
#include "cajal/optim/cosine_lr.h"
#include "cajal/optim/cyclic_lr.h"
#include "cajal/optim/decay_lr.h"
#include "cajal/optim/lambda_lr.h"
#include "cajal/optim/one_cycle_lr.h"
#include "cajal/optim/piecewise_constant_lr.h"
#include "cajal/optim/reduce_lr_on_plateau.h"
#include "cajal/optim/sequential_lr.h"
#include "cajal/optim/sgd.h"
#include "cajal/optim/step_lr.h"
#include "cajal/optim/warmup_lr.h"
#include "support/expect_error.h"

namespace cajal::optim {
namespace {

using testing::expect_error;

constexpr double kBase0 = 0.1;
constexpr double kBase1 = 0.03;

Tensor parameter() { return zeros({2}, {.dtype = Dtype::float64}).requires_grad_(true); }

// Two groups with different rates, as in the golden cases.
std::unique_ptr<SGD> two_group_sgd(double momentum = 0.9) {
  return std::make_unique<SGD>(
      std::vector<SGD::Group>{{{parameter()}, {.lr = kBase0, .momentum = momentum}},
                              {{parameter()}, {.lr = kBase1, .momentum = momentum}}});
}

std::vector<double> lrs(const Optimizer& optimizer) {
  std::vector<double> out;
  for (size_t g = 0; g < optimizer.num_param_groups(); ++g) out.push_back(optimizer.lr(g));
  return out;
}

// --- Schedules PyTorch lacks, against their formulas -------------------------------------------

// Keras's PiecewiseConstantDecay: values[0] while t <= boundaries[0], ..., values[n] after.
TEST(PiecewiseConstantLR, FollowsKerasPiecewiseConstantDecay) {
  auto opt = two_group_sgd();
  const std::vector<int64_t> boundaries = {5, 12, 20};
  const std::vector<double> values = {0.5, 0.2, 0.05, 0.001};
  PiecewiseConstantLR scheduler(*opt, {.boundaries = boundaries, .values = values});
  for (int64_t t = 0; t <= 35; ++t) {
    if (t > 0) scheduler.step();
    double expected = values[3];
    if (t <= 5) {
      expected = values[0];
    } else if (t <= 12) {
      expected = values[1];
    } else if (t <= 20) {
      expected = values[2];
    }
    EXPECT_EQ(opt->lr(0), expected) << "t = " << t;
    EXPECT_EQ(opt->lr(1), expected) << "t = " << t;  // absolute rates: the same for every group
    EXPECT_EQ(scheduler.get_last_lr(), lrs(*opt));
  }
}

// Power scheduling: lr0 / (1 + t/s)^c.
TEST(InverseTimeLR, FollowsPowerDecay) {
  auto opt = two_group_sgd();
  const double s = 4;
  const double c = 2;
  InverseTimeLR scheduler(*opt, {.decay_steps = s, .power = c});
  for (int64_t t = 0; t <= 35; ++t) {
    if (t > 0) scheduler.step();
    const double divisor = std::pow(1 + static_cast<double>(t) / s, c);
    EXPECT_NEAR(opt->lr(0), kBase0 / divisor, 1e-15 * kBase0) << "t = " << t;
    EXPECT_NEAR(opt->lr(1), kBase1 / divisor, 1e-15 * kBase1) << "t = " << t;
  }
  EXPECT_NEAR(opt->lr(0), kBase0 / std::pow(1 + 35 / 4.0, 2), 1e-18);
}

// Keras's InverseTimeDecay: lr0 / (1 + rate * t / steps), floor(t / steps) with staircase.
TEST(InverseTimeLR, FollowsKerasInverseTimeDecay) {
  for (bool staircase : {false, true}) {
    auto opt = two_group_sgd();
    InverseTimeLR scheduler(*opt, {.decay_steps = 7, .decay_rate = 0.5, .staircase = staircase});
    for (int64_t t = 0; t <= 30; ++t) {
      if (t > 0) scheduler.step();
      double progress = static_cast<double>(t) / 7;
      if (staircase) progress = std::floor(progress);
      EXPECT_NEAR(opt->lr(0), kBase0 / (1 + 0.5 * progress), 1e-16) << t << staircase;
      EXPECT_NEAR(opt->lr(1), kBase1 / (1 + 0.5 * progress), 1e-16) << t << staircase;
    }
  }
}

TEST(InverseTimeLR, StateDictRoundTrip) {
  auto opt = two_group_sgd();
  InverseTimeLR scheduler(*opt, {.decay_steps = 3, .power = 0.5});
  for (int i = 0; i < 10; ++i) scheduler.step();
  auto fresh = two_group_sgd();
  InverseTimeLR resumed(*fresh, {.decay_steps = 3, .power = 0.5});
  fresh->load_state_dict(opt->state_dict());
  resumed.load_state_dict(scheduler.state_dict());
  for (int i = 0; i < 10; ++i) {
    scheduler.step();
    resumed.step();
    EXPECT_EQ(lrs(*fresh), lrs(*opt));
  }
}

TEST(PiecewiseConstantLR, InsideSequentialLRAfterWarmUp) {
  auto opt = two_group_sgd();
  LinearLR warmup(*opt, {.start_factor = 0.5, .total_iters = 2});
  PiecewiseConstantLR steps(*opt, {.boundaries = {3}, .values = {0.2, 0.02}});
  SequentialLR scheduler(*opt, {warmup, steps}, {2});
  std::vector<double> seen;
  for (int i = 0; i < 8; ++i) {
    seen.push_back(opt->lr(0));
    scheduler.step();
  }
  // Warm-up 0.05, 0.075; then the piecewise schedule restarted at its step 0.
  const std::vector<double> expected = {0.05, 0.075, 0.2, 0.2, 0.2, 0.2, 0.02, 0.02};
  ASSERT_EQ(seen.size(), expected.size());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_NEAR(seen[i], expected[i], 1e-16) << i;
}

// --- Base rates and construction ---------------------------------------------------------------

TEST(LRScheduler, LaterSchedulersShareTheFirstOnesBaseRates) {
  auto opt = two_group_sgd();
  LinearLR warmup(*opt, {.start_factor = 0.1, .total_iters = 5});
  EXPECT_NEAR(opt->lr(0), 0.01, 1e-17);  // epoch 0 of the warm-up
  CosineAnnealingLR cosine(*opt, {.T_max = 10});
  EXPECT_EQ(cosine.base_lrs(), (std::vector<double>{kBase0, kBase1}));
  EXPECT_EQ(warmup.base_lrs(), cosine.base_lrs());
}

// As PyTorch's group["initial_lr"], the base rates stay with the optimizer: a scheduler built
// after earlier ones are gone still starts from the original rates, and they travel in the
// optimizer's state dict.
TEST(LRScheduler, BaseRatesStayWithTheOptimizer) {
  auto opt = two_group_sgd();
  const double original = opt->lr(0);
  { StepLR first(*opt, {.step_size = 1, .gamma = 0.5}), second(*opt, {.step_size = 2}); }
  EXPECT_EQ(opt->initial_lr(0), original);
  opt->set_lr(0, 0.7);
  StepLR later(*opt, {.step_size = 1});
  EXPECT_EQ(later.base_lrs()[0], original);

  auto fresh = two_group_sgd();
  fresh->set_lr(0, 0.3);
  fresh->load_state_dict(opt->state_dict());
  EXPECT_EQ(fresh->initial_lr(0), original);
}

TEST(OneCycleLR, SetsTheBaseRatesOfLaterSchedulers) {
  auto opt = two_group_sgd();
  OneCycleLR one_cycle(*opt, {.max_lr = {0.5, 0.25}, .total_steps = 10});
  EXPECT_EQ(one_cycle.base_lrs(), (std::vector<double>{0.5 / 25, 0.25 / 25}));
  ExponentialLR decay(*opt, {.gamma = 0.9});
  EXPECT_EQ(decay.base_lrs(), one_cycle.base_lrs());
}

TEST(OneCycleLR, StartsAtMaxLrOverDivFactorAndPeaksAtMaxLr) {
  auto opt = two_group_sgd();
  OneCycleLR scheduler(*opt, {.max_lr = 1.0, .total_steps = 100, .pct_start = 0.25});
  // (1 + cos 0) / 2 * (start - end) + end: start up to rounding.
  EXPECT_NEAR(opt->lr(0), 1.0 / 25, 1e-16);
  EXPECT_NEAR(opt->lr(1), 1.0 / 25, 1e-16);
  EXPECT_DOUBLE_EQ(opt->momentum(0).value(), 0.95);
  double peak = 0;
  double peak_momentum = 1;
  for (int i = 0; i < 99; ++i) {
    scheduler.step();
    peak = std::max(peak, opt->lr(0));
    peak_momentum = std::min(peak_momentum, opt->momentum(0).value());
  }
  EXPECT_DOUBLE_EQ(peak, 1.0);
  EXPECT_DOUBLE_EQ(peak_momentum, 0.85);
  EXPECT_DOUBLE_EQ(opt->lr(0), 1.0 / 25 / 1e4);  // step total_steps - 1: the final rate
  EXPECT_DOUBLE_EQ(opt->momentum(0).value(), 0.95);
}

TEST(OneCycleLR, SteppingPastTotalStepsThrowsAndChangesNothing) {
  auto opt = two_group_sgd();
  OneCycleLR scheduler(*opt, {.max_lr = 0.5, .total_steps = 6});
  for (int i = 0; i < 6; ++i) scheduler.step();  // the step reaching total_steps is allowed
  const std::vector<double> before = lrs(*opt);
  const double momentum = opt->momentum(0).value();
  expect_error<ValueError>([&] { scheduler.step(); },
                           {"OneCycleLR", "called 7 times", "total_steps 6"});
  EXPECT_EQ(scheduler.last_epoch(), 6);
  EXPECT_EQ(lrs(*opt), before);
  EXPECT_EQ(opt->momentum(0).value(), momentum);
}

TEST(OneCycleLR, CyclesAdamBeta1AndKeepsBeta2) {
  std::vector<Tensor> params = {parameter()};
  Adam opt(params, {.lr = 1e-3, .betas = {0.9, 0.99}});
  OneCycleLR scheduler(opt, {.max_lr = 0.01, .total_steps = 20});
  EXPECT_EQ(opt.momentum(0).value(), 0.95);
  for (int i = 0; i < 5; ++i) scheduler.step();
  EXPECT_DOUBLE_EQ(opt.momentum(0).value(), 0.85);  // at the peak, step pct_start * 20 - 1
  EXPECT_EQ(opt.param_groups()[0].options.betas.second, 0.99);
}

TEST(CyclicLR, CyclesAdamBeta1) {  // PyTorch 1.13 refuses; PyTorch 2 cycles beta1 too.
  std::vector<Tensor> params = {parameter()};
  Adam opt(params, {.lr = 1e-3});
  CyclicLR scheduler(opt, {.base_lr = 0.001, .max_lr = 0.01, .step_size_up = 4});
  EXPECT_DOUBLE_EQ(opt.lr(0), 0.001);
  EXPECT_DOUBLE_EQ(opt.momentum(0).value(), 0.9);
  for (int i = 0; i < 4; ++i) scheduler.step();
  EXPECT_DOUBLE_EQ(opt.lr(0), 0.01);
  EXPECT_DOUBLE_EQ(opt.momentum(0).value(), 0.8);
}

TEST(CyclicLR, CustomScaleFunctionPerIteration) {
  auto opt = two_group_sgd();
  CyclicLR scheduler(*opt, {.base_lr = 0.0,
                            .max_lr = 1.0,
                            .step_size_up = 2,
                            .scale_fn = [](double x) { return 1.0 / (1.0 + x); },
                            .scale_mode = ScaleMode::iterations,
                            .cycle_momentum = false});
  // Step t of a 2-up 2-down triangle, height scaled by 1 / (1 + t).
  const std::vector<double> triangle = {0, 0.5, 1, 0.5, 0, 0.5, 1, 0.5};
  for (size_t t = 0; t < triangle.size(); ++t) {
    if (t > 0) scheduler.step();
    EXPECT_NEAR(opt->lr(0), triangle[t] / (1.0 + static_cast<double>(t)), 1e-15) << t;
  }
}

// --- ReduceLROnPlateau and composites ----------------------------------------------------------

TEST(ReduceLROnPlateau, NeedsTheMetric) {
  auto opt = two_group_sgd();
  ReduceLROnPlateau scheduler(*opt);
  EXPECT_TRUE(scheduler.needs_metric());
  EXPECT_EQ(lrs(*opt), (std::vector<double>{kBase0, kBase1}));  // construction changes nothing
  expect_error<ValueError>([&] { scheduler.step(); }, {"ReduceLROnPlateau", "step(metric)"});
  EXPECT_FALSE(StepLR(*opt, {.step_size = 2}).needs_metric());
}

TEST(ReduceLROnPlateau, NaNMetricCountsAsBadEpoch) {
  auto opt = two_group_sgd();
  ReduceLROnPlateau scheduler(*opt, {.patience = 1});
  scheduler.step(1.0);
  scheduler.step(std::nan(""));
  EXPECT_EQ(scheduler.num_bad_epochs(), 1);
  scheduler.step(std::nan(""));
  EXPECT_NEAR(opt->lr(0), kBase0 * 0.1, 1e-17);
}

TEST(SequentialLR, OwnsSharedSchedulers) {
  auto opt = two_group_sgd();
  std::unique_ptr<SequentialLR> scheduler;
  {
    auto warmup = std::make_shared<LinearLR>(*opt, LinearLR::Options{.total_iters = 2});
    auto decay = std::make_shared<ExponentialLR>(*opt, ExponentialLR::Options{.gamma = 0.5});
    scheduler = std::make_unique<SequentialLR>(
        *opt, std::vector<std::shared_ptr<LRScheduler>>{warmup, decay}, std::vector<int64_t>{2});
  }
  for (int i = 0; i < 4; ++i) scheduler->step();
  EXPECT_NEAR(opt->lr(0), kBase0 * 0.25, 1e-17);  // epoch 4: the decay's epoch 2
}

TEST(SequentialLR, RejectsBadChildren) {
  auto opt = two_group_sgd();
  auto other = two_group_sgd();
  StepLR step(*opt, {.step_size = 2});
  StepLR foreign(*other, {.step_size = 2});
  ReduceLROnPlateau plateau(*opt);
  ExponentialLR decay(*opt, {.gamma = 0.9});
  ChainedScheduler chained({step, decay});
  expect_error<ValueError>(
      [&] {
        SequentialLR(*opt, {step, foreign}, {3});
      },
      {"SequentialLR", "schedulers[1]", "different optimizer"});
  expect_error<ValueError>(
      [&] {
        SequentialLR(*opt, {step, plateau}, {3});
      },
      {"schedulers[1]", "ReduceLROnPlateau"});
  expect_error<ValueError>(
      [&] {
        SequentialLR(*opt, {chained, step}, {3});
      },
      {"schedulers[0]", "ChainedScheduler"});
  expect_error<ValueError>(
      [&] {
        SequentialLR(*opt, {step, decay}, {3, 5});
      },
      {"SequentialLR", "milestones", "2 milestones for 2 schedulers"});
  expect_error<ValueError>(
      [&] {
        SequentialLR(*opt, {step, decay, step}, {5, 5});
      },
      {"SequentialLR", "strictly increasing", "5"});
  expect_error<ValueError>(
      [&] {
        SequentialLR(*opt, {step, decay}, {0});
      },
      {"SequentialLR", "milestones", "0"});
  expect_error<ValueError>(
      [&] { SequentialLR(*opt, std::vector<std::reference_wrapper<LRScheduler>>{}, {}); },
      {"SequentialLR", "empty"});
}

TEST(ChainedScheduler, RejectsBadChildren) {
  auto opt = two_group_sgd();
  auto other = two_group_sgd();
  StepLR step(*opt, {.step_size = 2});
  StepLR foreign(*other, {.step_size = 2});
  ReduceLROnPlateau plateau(*opt);
  expect_error<ValueError>(
      [&] {
        ChainedScheduler({step, foreign});
      },
      {"ChainedScheduler", "schedulers[1]", "different optimizer"});
  expect_error<ValueError>(
      [&] {
        ChainedScheduler({step, plateau});
      },
      {"ChainedScheduler", "ReduceLROnPlateau", "metric"});
  expect_error<ValueError>(
      [&] { ChainedScheduler(std::vector<std::reference_wrapper<LRScheduler>>{}); },
      {"ChainedScheduler", "empty"});
}

TEST(ChainedScheduler, RestoresEverythingWhenAChildThrows) {
  auto opt = two_group_sgd();
  ExponentialLR decay(*opt, {.gamma = 0.5});
  OneCycleLR one_cycle(*opt, {.max_lr = 0.4, .total_steps = 3, .pct_start = 0.5});
  ChainedScheduler scheduler({decay, one_cycle});
  for (int i = 0; i < 3; ++i) scheduler.step();
  const std::vector<double> before = lrs(*opt);
  const double momentum = opt->momentum(0).value();
  const StateDict state = scheduler.state_dict();
  expect_error<ValueError>([&] { scheduler.step(); }, {"OneCycleLR", "total_steps"});
  EXPECT_EQ(lrs(*opt), before);
  EXPECT_EQ(opt->momentum(0).value(), momentum);
  EXPECT_EQ(decay.last_epoch(), 3);
  const StateDict after = scheduler.state_dict();
  ASSERT_EQ(after.keys(), state.keys());
  for (const auto& [key, value] : state) EXPECT_TRUE(equal(after.at(key), value)) << key;
}

// --- State dicts -------------------------------------------------------------------------------

TEST(LRScheduler, StateDictHoldsZeroDimNumbers) {
  auto opt = two_group_sgd();
  CosineAnnealingWarmRestarts scheduler(*opt, {.T_0 = 3, .T_mult = 2});
  for (int i = 0; i < 5; ++i) scheduler.step();
  const StateDict state = scheduler.state_dict();
  EXPECT_EQ(state.keys(), (std::vector<std::string>{"last_epoch", "base_lrs.0", "base_lrs.1",
                                                    "last_lr.0", "last_lr.1", "T_cur", "T_i"}));
  EXPECT_EQ(state.at("last_epoch").dtype(), Dtype::int64);
  EXPECT_EQ(state.at("last_epoch").item<int64_t>(), 5);
  EXPECT_EQ(state.at("T_i").item<int64_t>(), 6);
  EXPECT_EQ(state.at("T_cur").item<double>(), 2.0);
  EXPECT_EQ(state.at("base_lrs.1").dtype(), Dtype::float64);
}

TEST(LRScheduler, LoadStateDictErrorsChangeNothing) {
  auto opt = two_group_sgd();
  StepLR scheduler(*opt, {.step_size = 2});
  for (int i = 0; i < 3; ++i) scheduler.step();
  StateDict state = scheduler.state_dict();

  StateDict missing;
  for (const auto& [key, value] : state) {
    if (key != "last_lr.1") missing.insert(key, value);
  }
  StepLR target(*opt, {.step_size = 2});
  expect_error<ValueError>([&] { target.load_state_dict(missing); },
                           {"StepLR", "missing key 'last_lr.1'"});
  EXPECT_EQ(target.last_epoch(), 0);

  StateDict extra_group = state;
  extra_group.insert("base_lrs.2", scalar_tensor(0.5, Dtype::float64));
  expect_error<ValueError>([&] { target.load_state_dict(extra_group); },
                           {"StepLR", "more than 2 parameter groups"});
  EXPECT_EQ(target.last_epoch(), 0);

  StateDict not_scalar = state;
  not_scalar.insert_or_assign("last_epoch", zeros({2}, {.dtype = Dtype::int64}));
  expect_error<ValueError>([&] { target.load_state_dict(not_scalar); },
                           {"'last_epoch'", "one number"});

  CosineAnnealingWarmRestarts restarts(*opt, {.T_0 = 3});
  expect_error<ValueError>([&] { restarts.load_state_dict(state); },
                           {"CosineAnnealingWarmRestarts", "missing key 'T_cur'"});
  EXPECT_EQ(restarts.last_epoch(), 0);
}

TEST(ChainedScheduler, LoadStateDictErrorRestoresChildren) {
  auto opt = two_group_sgd();
  StepLR step(*opt, {.step_size = 2});
  CosineAnnealingWarmRestarts restarts(*opt, {.T_0 = 4});
  ChainedScheduler scheduler({step, restarts});
  for (int i = 0; i < 3; ++i) scheduler.step();
  StateDict state = scheduler.state_dict();
  StateDict broken;
  for (const auto& [key, value] : state) {
    if (key != "schedulers.1.T_i") broken.insert(key, value);
  }
  broken.insert_or_assign("schedulers.0.last_epoch", scalar_tensor(int64_t{40}, Dtype::int64));
  StepLR step2(*opt, {.step_size = 2});
  CosineAnnealingWarmRestarts restarts2(*opt, {.T_0 = 4});
  ChainedScheduler target({step2, restarts2});
  expect_error<ValueError>([&] { target.load_state_dict(broken); }, {"missing key 'T_i'"});
  EXPECT_EQ(step2.last_epoch(), 0);
  target.load_state_dict(state);
  EXPECT_EQ(step2.last_epoch(), 3);
  EXPECT_EQ(restarts2.T_cur(), 3.0);
}

// --- Options -----------------------------------------------------------------------------------

TEST(LRSchedulerOptions, BadOptionsThrowNamingOptionAndValue) {
  auto opt = two_group_sgd();
  auto expect = [](const std::function<void()>& fn, std::vector<std::string> parts) {
    expect_error<ValueError>(fn, parts);
  };
  expect([&] { StepLR(*opt, {.step_size = 0}); }, {"StepLR", "step_size", "0"});
  expect([&] { StepLR(*opt, {.step_size = 3, .gamma = -0.5}); }, {"StepLR", "gamma", "-0.5"});
  expect([&] { MultiStepLR(*opt, {.milestones = {3, -1}}); }, {"MultiStepLR", "milestones", "-1"});
  expect([&] { MultiStepLR(*opt, {.milestones = {3}, .gamma = -2}); }, {"gamma", "-2"});
  expect([&] { ExponentialLR(*opt, {}); }, {"ExponentialLR", "gamma", "0"});
  expect([&] { ExponentialLR(*opt, {.gamma = -0.9}); }, {"ExponentialLR", "gamma", "-0.9"});
  expect([&] { PolynomialLR(*opt, {.total_iters = 0}); }, {"PolynomialLR", "total_iters", "0"});
  expect([&] { PolynomialLR(*opt, {.power = -1}); }, {"PolynomialLR", "power", "-1"});
  expect([&] { InverseTimeLR(*opt, {.decay_steps = 0}); }, {"InverseTimeLR", "decay_steps", "0"});
  expect([&] { InverseTimeLR(*opt, {.decay_rate = -1}); }, {"decay_rate", "-1"});
  expect([&] { InverseTimeLR(*opt, {.power = -0.5}); }, {"InverseTimeLR", "power", "-0.5"});
  expect([&] { ConstantLR(*opt, {.factor = 1.5}); }, {"ConstantLR", "factor", "1.5"});
  expect([&] { ConstantLR(*opt, {.factor = 0}); }, {"ConstantLR", "factor", "0"});
  expect([&] { ConstantLR(*opt, {.total_iters = -2}); }, {"ConstantLR", "total_iters", "-2"});
  expect([&] { LinearLR(*opt, {.start_factor = 0}); }, {"LinearLR", "start_factor", "0"});
  expect([&] { LinearLR(*opt, {.end_factor = 1.25}); }, {"LinearLR", "end_factor", "1.25"});
  expect([&] { LinearLR(*opt, {.total_iters = 0}); }, {"LinearLR", "total_iters", "0"});
  expect([&] { CosineAnnealingLR(*opt, {.T_max = 0}); }, {"CosineAnnealingLR", "T_max", "0"});
  expect([&] { CosineAnnealingLR(*opt, {.T_max = 5, .eta_min = -1e-3}); }, {"eta_min", "-0.001"});
  expect([&] { CosineAnnealingWarmRestarts(*opt, {.T_0 = -1}); }, {"T_0", "-1"});
  expect([&] { CosineAnnealingWarmRestarts(*opt, {.T_0 = 5, .T_mult = 0}); }, {"T_mult", "0"});
  expect([&] { CosineAnnealingWarmRestarts(*opt, {.T_0 = 5}).step(-1.0); }, {"epoch", "-1"});
  expect([&] { PiecewiseConstantLR(*opt, {.boundaries = {5}, .values = {0.1}}); },
         {"PiecewiseConstantLR", "1 values for 1 boundaries"});
  expect(
      [&] {
        PiecewiseConstantLR(*opt, {.boundaries = {5, 3}, .values = {1, 2, 3}});
      },
      {"PiecewiseConstantLR", "strictly increasing", "5 then 3"});
  expect(
      [&] {
        PiecewiseConstantLR(*opt, {.boundaries = {5}, .values = {0.1, -1}});
      },
      {"values", "-1"});
  expect([&] { LambdaLR(*opt, std::vector<LRLambda>{[](int64_t) { return 1.0; }}); },
         {"LambdaLR", "1 functions for 2 parameter groups"});
  expect([&] { LambdaLR(*opt, LRLambda{}); }, {"LambdaLR", "lr_lambdas[0]", "empty"});
  expect([&] { MultiplicativeLR(*opt, std::vector<LRLambda>{}); }, {"MultiplicativeLR", "0"});

  // OneCycleLR.
  expect([&] { OneCycleLR(*opt, {.max_lr = 0.1}); },
         {"OneCycleLR", "total_steps", "epochs and steps_per_epoch"});
  expect([&] { OneCycleLR(*opt, {.max_lr = 0.1, .total_steps = -5}); },
         {"OneCycleLR", "total_steps", "-5"});
  expect([&] { OneCycleLR(*opt, {.max_lr = 0.1, .epochs = 3}); }, {"steps_per_epoch", "0"});
  expect([&] { OneCycleLR(*opt, {.max_lr = 0.1, .total_steps = 10, .pct_start = 1.5}); },
         {"OneCycleLR", "pct_start", "1.5"});
  expect([&] { OneCycleLR(*opt, {.max_lr = 0.1, .total_steps = 10, .pct_start = -0.1}); },
         {"pct_start", "-0.1"});
  expect([&] { OneCycleLR(*opt, {.total_steps = 10}); }, {"OneCycleLR", "max_lr", "required"});
  expect(
      [&] {
        OneCycleLR(*opt, {.max_lr = {0.1, 0.2, 0.3}, .total_steps = 10});
      },
      {"OneCycleLR", "max_lr has 3 values for 2 parameter groups"});
  expect([&] { OneCycleLR(*opt, {.max_lr = -0.1, .total_steps = 10}); }, {"max_lr", "-0.1"});
  expect([&] { OneCycleLR(*opt, {.max_lr = 0.1, .total_steps = 10, .div_factor = 0}); },
         {"div_factor", "0"});
  expect([&] { OneCycleLR(*opt, {.max_lr = 0.1, .total_steps = 10, .final_div_factor = -1}); },
         {"final_div_factor", "-1"});
  expect([&] { OneCycleLR(*opt, {.max_lr = 0.1, .total_steps = 10, .max_momentum = 1.2}); },
         {"max_momentum", "1.2"});
  // One value for every group is fine.
  EXPECT_NO_THROW(OneCycleLR(*opt, {.max_lr = 0.1, .total_steps = 10, .base_momentum = {0.8}}));
  std::vector<Tensor> params = {parameter()};
  Adagrad adagrad(params, {.lr = 0.1});
  expect([&] { OneCycleLR(adagrad, {.max_lr = 0.1, .total_steps = 10}); },
         {"OneCycleLR", "cycle_momentum", "Adagrad"});
  EXPECT_NO_THROW(OneCycleLR(adagrad, {.max_lr = 0.1, .total_steps = 10, .cycle_momentum = false}));

  // CyclicLR.
  expect([&] { CyclicLR(*opt, {.max_lr = 0.1}); }, {"CyclicLR", "base_lr", "required"});
  expect([&] { CyclicLR(*opt, {.base_lr = 0.01}); }, {"CyclicLR", "max_lr", "required"});
  expect([&] { CyclicLR(*opt, {.base_lr = 0.01, .max_lr = 0.1, .step_size_up = 0}); },
         {"CyclicLR", "step_size_up", "0"});
  expect([&] { CyclicLR(*opt, {.base_lr = 0.01, .max_lr = 0.1, .step_size_down = -3}); },
         {"step_size_down", "-3"});
  expect([&] { CyclicLR(*opt, {.base_lr = -0.01, .max_lr = 0.1}); }, {"base_lr", "-0.01"});
  expect([&] { CyclicLR(*opt, {.base_lr = 0.01, .max_lr = 0.1, .gamma = 0}); }, {"gamma", "0"});
  expect([&] { CyclicLR(adagrad, {.base_lr = 0.01, .max_lr = 0.1}); },
         {"CyclicLR", "cycle_momentum", "Adagrad"});

  // ReduceLROnPlateau.
  expect([&] { ReduceLROnPlateau(*opt, {.factor = 1.0}); }, {"ReduceLROnPlateau", "factor", "1"});
  expect([&] { ReduceLROnPlateau(*opt, {.patience = -1}); }, {"patience", "-1"});
  expect([&] { ReduceLROnPlateau(*opt, {.threshold = -1e-3}); }, {"threshold", "-0.001"});
  expect([&] { ReduceLROnPlateau(*opt, {.cooldown = -2}); }, {"cooldown", "-2"});
  expect(
      [&] {
        ReduceLROnPlateau(*opt, {.min_lr = {0.1, 0.2, 0.3}});
      },
      {"min_lr has 3 values for 2 parameter groups"});
  expect([&] { ReduceLROnPlateau(*opt, {.min_lr = -1}); }, {"min_lr", "-1"});
  expect([&] { ReduceLROnPlateau(*opt, {.eps = -1}); }, {"eps", "-1"});
}

}  // namespace
}  // namespace cajal::optim
