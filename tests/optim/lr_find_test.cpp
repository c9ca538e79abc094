// lr_find, the learning-rate range test, on a small linear regression: y = X w + noise with
// standard normal features, so the mean squared error has Hessian 2 I and plain gradient descent
// converges for rates below 1 and diverges above. The sweep must show the loss falling, then
// blowing up past that rate; suggest a rate inside the sweep; and put everything back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/module.h"
#include "cajal/optim/lr_find.h"
#include "cajal/optim/sgd.h"
#include "support/expect_error.h"

namespace cajal::optim {
namespace {

using testing::expect_error;

constexpr int64_t kFeatures = 5;
constexpr int64_t kBatch = 32;

// A linear regressor with a buffer that counts forward passes, to see that buffers come back.
class Regressor : public nn::Module {
 public:
  Regressor() : Module("Regressor") {
    weight = register_parameter("weight", zeros({kFeatures, 1}, {.dtype = Dtype::float64}));
    bias = register_parameter("bias", zeros({1}, {.dtype = Dtype::float64}));
    calls = register_buffer("calls", zeros({}, {.dtype = Dtype::float64}));
  }
  Tensor forward(const Tensor& x) override {
    {
      no_grad guard;
      calls.add_(ones({}, {.dtype = Dtype::float64}));
    }
    return matmul(x, weight) + bias;
  }
  Tensor weight, bias, calls;
};

// The regression task: a fresh batch from the global generator on every call.
struct Task {
  Tensor true_weight = from_vector(std::vector<double>{1.5, -2.0, 0.5, 3.0, -1.0}, {kFeatures, 1});
  Regressor model;

  Tensor next_loss() {
    Tensor x = randn({kBatch, kFeatures}, {.dtype = Dtype::float64});
    Tensor y = matmul(x, true_weight) + 1.0 + 0.1 * randn({kBatch, 1}, {.dtype = Dtype::float64});
    return square(model(x) - y).mean();
  }
};

LRFindResult sweep(Task& task, Optimizer& optimizer, LRFindOptions options = {}) {
  return lr_find(
      optimizer, [&] { return task.next_loss(); }, options);
}

TEST(LRFind, LossFallsThenDivergesAndTheSuggestionIsInside) {
  manual_seed(7);
  Task task;
  SGD optimizer(task.model.parameters(), {.lr = 0.01});
  const LRFindResult result =
      sweep(task, optimizer, {.start_lr = 1e-5, .end_lr = 10, .num_steps = 200});

  ASSERT_GT(result.lrs.size(), 20u);
  EXPECT_EQ(result.losses.size(), result.lrs.size());
  EXPECT_EQ(result.smoothed_losses.size(), result.lrs.size());
  // Falls: the lowest smoothed loss is far below the start (the loss starts near |w|^2 + 1 = 17).
  const auto lowest =
      std::min_element(result.smoothed_losses.begin(), result.smoothed_losses.end());
  EXPECT_LT(*lowest, 0.2 * result.smoothed_losses.front());
  // Then diverges: stopped early, well past the stability limit of gradient descent (rate 1).
  EXPECT_TRUE(result.diverged);
  EXPECT_LT(result.lrs.size(), 200u);
  EXPECT_GT(result.lrs.back(), 1.0);
  EXPECT_GT(result.smoothed_losses.back(), 5 * *lowest);
  // Rates rise geometrically from start_lr.
  EXPECT_DOUBLE_EQ(result.lrs.front(), 1e-5);
  for (size_t i = 1; i < result.lrs.size(); ++i) {
    EXPECT_NEAR(result.lrs[i] / result.lrs[i - 1], std::pow(1e6, 1.0 / 199), 1e-12);
  }
  // The smoothing is the moving average of the raw losses.
  for (size_t i = 1; i < result.losses.size(); ++i) {
    EXPECT_NEAR(result.smoothed_losses[i],
                0.05 * result.losses[i] + 0.95 * result.smoothed_losses[i - 1], 1e-12);
  }
  // Suggestions: inside the sweep, where training works (below the divergence at ~1). Over seeds
  // 1-40 the steepest descent lies in [0.02, 0.045] and the smoothed minimum (which lags the raw
  // curve) in [1.08, 1.65].
  EXPECT_GT(result.suggested_lr, 1e-3);
  EXPECT_LT(result.suggested_lr, 1.0);
  EXPECT_EQ(result.suggested_lr, result.steepest_lr);
  EXPECT_GE(result.min_loss_lr, result.suggested_lr);
  EXPECT_LT(result.min_loss_lr, 2.0);
}

TEST(LRFind, RestoresRatesWeightsBuffersAndOptimizerState) {
  manual_seed(11);
  Task task;
  SGD optimizer({{{task.model.weight}, {.lr = 0.01, .momentum = 0.9}},
                 {{task.model.bias}, {.lr = 0.002, .momentum = 0.9}}});
  // A step first, so there is optimizer state (momentum buffers) to restore.
  task.next_loss().backward();
  optimizer.step();
  optimizer.zero_grad();
  const Tensor weight = task.model.weight.detach().clone();
  const Tensor bias = task.model.bias.detach().clone();
  const Tensor calls = task.model.calls.clone();
  const StateDict state = optimizer.state_dict();

  const LRFindResult result = sweep(task, optimizer, {.num_steps = 50, .model = &task.model});
  EXPECT_EQ(result.lrs.size(), result.losses.size());
  EXPECT_EQ(optimizer.lr(0), 0.01);
  EXPECT_EQ(optimizer.lr(1), 0.002);
  EXPECT_TRUE(equal(task.model.weight, weight));
  EXPECT_TRUE(equal(task.model.bias, bias));
  EXPECT_TRUE(equal(task.model.calls, calls));
  EXPECT_FALSE(task.model.weight.grad().defined());
  const StateDict after = optimizer.state_dict();
  ASSERT_EQ(after.keys(), state.keys());
  for (const auto& [key, value] : state) EXPECT_TRUE(equal(after.at(key), value)) << key;
}

TEST(LRFind, WithoutRestoreOnlyTheRatesComeBack) {
  manual_seed(3);
  Task task;
  SGD optimizer(task.model.parameters(), {.lr = 0.05});
  sweep(task, optimizer, {.start_lr = 1e-4, .end_lr = 0.5, .num_steps = 30, .restore = false});
  EXPECT_EQ(optimizer.lr(0), 0.05);
  EXPECT_FALSE(equal(task.model.weight, zeros({kFeatures, 1}, {.dtype = Dtype::float64})));
}

TEST(LRFind, DeterministicGivenTheSeed) {
  auto run = [] {
    manual_seed(2024);
    Task task;
    SGD optimizer(task.model.parameters(), {.lr = 0.01, .momentum = 0.9});
    return sweep(task, optimizer, {.num_steps = 120});
  };
  const LRFindResult a = run();
  const LRFindResult b = run();
  EXPECT_EQ(a.lrs, b.lrs);
  EXPECT_EQ(a.losses, b.losses);
  EXPECT_EQ(a.smoothed_losses, b.smoothed_losses);
  EXPECT_EQ(a.suggested_lr, b.suggested_lr);
}

TEST(LRFind, LinearSweep) {
  manual_seed(5);
  Task task;
  SGD optimizer(task.model.parameters(), {.lr = 0.01});
  const LRFindResult result = sweep(
      task, optimizer,
      {.start_lr = 0, .end_lr = 0.4, .num_steps = 41, .mode = LRFindMode::linear, .smooth = 1});
  ASSERT_EQ(result.lrs.size(), 41u);  // 0.4 is stable: no divergence
  EXPECT_FALSE(result.diverged);
  for (size_t i = 0; i < result.lrs.size(); ++i) {
    EXPECT_NEAR(result.lrs[i], 0.01 * static_cast<double>(i), 1e-15);
  }
  EXPECT_EQ(result.smoothed_losses, result.losses);  // smooth = 1: no averaging
  EXPECT_GE(result.suggested_lr, 0.0);
  EXPECT_LE(result.suggested_lr, 0.4);
}

TEST(LRFind, NonFiniteLossStopsTheSweep) {
  manual_seed(1);
  Task task;
  SGD optimizer(task.model.parameters(), {.lr = 0.01});
  int calls = 0;
  const LRFindResult result = lr_find(optimizer,
                                      [&] {
                                        Tensor loss = task.next_loss();
                                        return ++calls == 15 ? loss * std::nan("") : loss;
                                      },
                                      {.num_steps = 100});
  EXPECT_TRUE(result.diverged);
  EXPECT_EQ(result.lrs.size(), 15u);
  EXPECT_TRUE(std::isnan(result.losses.back()));
  EXPECT_GT(result.suggested_lr, 0.0);
  EXPECT_TRUE(std::isfinite(result.suggested_lr));
  EXPECT_TRUE(equal(task.model.weight, zeros({kFeatures, 1}, {.dtype = Dtype::float64})));
}

TEST(LRFind, RestoresWhenStepLossThrows) {
  manual_seed(1);
  Task task;
  SGD optimizer(task.model.parameters(), {.lr = 0.01});
  int calls = 0;
  expect_error<ValueError>(
      [&] {
        lr_find(optimizer, [&]() -> Tensor {
          if (++calls == 5) throw ValueError("batch reader failed");
          return task.next_loss();
        });
      },
      "batch reader failed");
  EXPECT_EQ(optimizer.lr(0), 0.01);
  EXPECT_TRUE(equal(task.model.weight, zeros({kFeatures, 1}, {.dtype = Dtype::float64})));
}

TEST(LRFind, BadOptionsAndLossesThrow) {
  Task task;
  SGD optimizer(task.model.parameters(), {.lr = 0.01});
  auto loss = [&] { return task.next_loss(); };
  auto expect = [&](LRFindOptions options, std::vector<std::string> parts) {
    expect_error<ValueError>([&] { lr_find(optimizer, loss, options); }, parts);
  };
  expect({.start_lr = 0}, {"lr_find", "start_lr", "0"});
  expect({.start_lr = -1, .mode = LRFindMode::linear}, {"lr_find", "start_lr", "-1"});
  expect({.start_lr = 1, .end_lr = 0.5}, {"lr_find", "end_lr", "0.5"});
  expect({.num_steps = 1}, {"lr_find", "num_steps", "1"});
  expect({.smooth = 0}, {"lr_find", "smooth", "0"});
  expect({.smooth = 1.5}, {"smooth", "1.5"});
  expect({.diverge_threshold = 1}, {"lr_find", "diverge_threshold", "1"});
  expect({.skip_start = -1}, {"lr_find", "skip_start", "-1"});
  expect_error<ValueError>([&] { lr_find(optimizer, nullptr); }, {"lr_find", "step_loss"});
  expect_error<ValueError>(
      [&] { lr_find(optimizer, [] { return zeros({3}, {.dtype = Dtype::float64}); }); },
      {"lr_find", "scalar", "[3]"});
  expect_error<ValueError>([&] { lr_find(optimizer, [] { return Tensor(); }); },
                           {"lr_find", "undefined"});
  EXPECT_EQ(optimizer.lr(0), 0.01);
}

}  // namespace
}  // namespace cajal::optim
