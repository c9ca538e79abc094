// Model specs: a full spec builds the network it describes (parameter count checked by hand),
// and every kind of mistake is reported with the JSON pointer and what was expected.
#include "cajal/train/spec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/nn/summary.h"
#include "cajal/optim/adam.h"
#include "cajal/optim/lookahead.h"
#include "cajal/optim/one_cycle_lr.h"
#include "cajal/optim/reduce_lr_on_plateau.h"
#include "cajal/optim/sgd.h"
#include "support/expect_error.h"

namespace cajal::train {
namespace {

using testing::expect_error;

// A Fashion-MNIST-sized CNN with both kinds of residual block. Parameters, by hand:
//   conv 1->8 k3: 8*9 + 8 = 80; batch_norm(8): 16; residual conv 8->8 k3 twice: 2 * 584;
//   projected block: conv 8->16 k3 s2: 16*8*9 + 16 = 1168, 1x1 shortcut 8->16 s2: 128;
//   dense 16->10: 170.  Total 2730.
const char* kFashionSpec = R"({
  "name": "fashion_cnn",
  "seed": 7,
  "data": {"dataset": "fashion_mnist"},
  "model": [
    {"type": "conv2d", "filters": 8, "kernel": 3, "padding": 1},
    {"type": "batch_norm"},
    {"type": "relu"},
    {"type": "max_pool2d", "kernel": 2},
    {"type": "residual", "layers": [
      {"type": "conv2d", "filters": 8, "kernel": 3, "padding": 1, "activation": "relu"},
      {"type": "conv2d", "filters": 8, "kernel": [3, 3], "padding": "same"}]},
    {"type": "residual", "projection": true, "layers": [
      {"type": "conv2d", "filters": 16, "kernel": 3, "stride": 2, "padding": 1}]},
    {"type": "global_avg_pool2d"},
    {"type": "dropout", "p": 0.25},
    {"type": "dense", "units": 10}
  ],
  "loss": {"type": "cross_entropy", "label_smoothing": 0.1},
  "optimizer": {"type": "adam", "lr": 0.002, "betas": [0.8, 0.99]},
  "schedule": {"type": "one_cycle", "max_lr": 0.01},
  "regularization": {"l2": 1e-4, "clip_grad_norm": 5},
  "training": {"epochs": 3, "batch_size": 64, "metrics": ["accuracy", "f1_macro"],
               "early_stopping": {"patience": 2, "mode": "min", "restore_best_weights": true}}
})";

// The message of the SpecError `fn` throws ("" when it throws none).
template <typename F>
std::string spec_error(F&& fn) {
  try {
    fn();
  } catch (const SpecError& error) {
    return error.what();
  }
  return "";
}

std::string model_spec(const std::string& layers) { return R"({"model": )" + layers + "}"; }

TEST(Spec, FashionCnnBuildsWithTheRightParameterCount) {
  Spec spec = parse_spec(kFashionSpec);
  EXPECT_EQ(spec.name, "fashion_cnn");
  ASSERT_TRUE(spec.seed.has_value());
  EXPECT_EQ(*spec.seed, 7u);
  EXPECT_EQ(spec.training.epochs, 3);
  EXPECT_EQ(spec.training.batch_size, 64);
  EXPECT_EQ(spec.training.metrics, (std::vector<std::string>{"accuracy", "f1_macro"}));
  EXPECT_DOUBLE_EQ(spec.training.l2, 1e-4);
  EXPECT_EQ(spec.training.clip_grad_norm, 5.0);
  EXPECT_FALSE(spec.training.max_norm.has_value());
  ASSERT_TRUE(spec.training.early_stopping.has_value());
  EXPECT_EQ(spec.training.early_stopping->patience, 2);
  EXPECT_EQ(spec.training.early_stopping->monitor, "val_loss");
  EXPECT_EQ(spec.training.early_stopping->mode, Mode::min);
  EXPECT_TRUE(spec.training.early_stopping->restore_best_weights);
  EXPECT_TRUE(is_classification(spec));

  manual_seed(0);
  auto model = build_model(spec, {1, 28, 28});
  nn::Summary summary = nn::summary(*model, {1, 1, 28, 28});
  EXPECT_EQ(summary.total_parameters, 2730);
  model->eval();
  no_grad guard;
  Tensor output = (*model)(zeros({2, 1, 28, 28}));
  EXPECT_EQ(output.shape(), (Shape{2, 10}));

  auto loss = build_loss(spec);
  ASSERT_NE(loss, nullptr);
  auto optimizer = build_optimizer(spec, *model);
  EXPECT_NE(dynamic_cast<optim::Adam*>(optimizer.get()), nullptr);
  EXPECT_DOUBLE_EQ(optimizer->lr(0), 0.002);
  EXPECT_EQ(optimizer->momentum(0), 0.8);  // beta1
  BuiltScheduler schedule = build_scheduler(spec, *optimizer, 100);
  EXPECT_NE(dynamic_cast<optim::OneCycleLR*>(schedule.scheduler.get()), nullptr);
  EXPECT_EQ(schedule.interval, ScheduleInterval::step);
  // one_cycle over 3 * 100 steps starts at max_lr / div_factor.
  EXPECT_NEAR(optimizer->lr(0), 0.01 / 25, 1e-12);
}

TEST(Spec, DefaultsForOmittedSections) {
  Spec spec = parse_spec(model_spec(R"([{"type": "flatten"}, {"type": "dense", "units": 3}])"));
  EXPECT_EQ(spec.name, "model");
  EXPECT_FALSE(spec.seed.has_value());
  EXPECT_EQ(spec.training.epochs, 10);
  EXPECT_EQ(spec.training.batch_size, 32);
  EXPECT_EQ(spec.training.metrics, std::vector<std::string>{"accuracy"});
  EXPECT_TRUE(is_classification(spec));
  auto model = build_model(spec, {2, 4});
  EXPECT_EQ(nn::summary(*model, {1, 2, 4}).total_parameters, 8 * 3 + 3);
  auto optimizer = build_optimizer(spec, *model);
  EXPECT_NE(dynamic_cast<optim::Adam*>(optimizer.get()), nullptr);
  EXPECT_EQ(build_scheduler(spec, *optimizer, 10).scheduler, nullptr);

  Spec regression = parse_spec(R"({"model": [{"type": "dense", "units": 1}], "loss": "mse"})");
  EXPECT_FALSE(is_classification(regression));
  EXPECT_TRUE(regression.training.metrics.empty());
}

TEST(Spec, IssueMessageForANegativeKernel) {
  const std::string text = model_spec(R"([
    {"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "relu"}, {"type": "flatten"},
    {"type": "max_pool2d", "kernel": -1}])");
  // The pooling layer is fourth: /model/3.
  EXPECT_EQ(spec_error([&] { parse_spec(text); }),
            "/model/3/kernel: expected a positive integer, got -1");
  EXPECT_EQ(spec_error([&] {
              parse_spec(model_spec(R"([{"type": "conv2d", "filters": 4, "kernel": [3, 0]}])"));
            }),
            "/model/0/kernel/1: expected a positive integer, got 0");
}

TEST(Spec, UnknownKeysAreErrors) {
  EXPECT_EQ(spec_error([] { parse_spec(R"({"model": [{"type": "relu"}], "modle": 1})"); }),
            "/: unknown key \"modle\" (expected one of: data, loss, model, name, optimizer, "
            "regularization, schedule, seed, training)");
  expect_error<SpecError>(
      [] { parse_spec(model_spec(R"([{"type": "dense", "units": 3, "unit": 4}])")); },
      {"/model/0: unknown key \"unit\"", "units"});
  expect_error<SpecError>(
      [] {
        parse_spec(R"({"model": [{"type": "relu"}],
                       "optimizer": {"type": "adam", "betas1": 0.9}})");
      },
      {"/optimizer: unknown key \"betas1\"", "betas", "lr", "weight_decay"});
  expect_error<SpecError>(
      [] { parse_spec(R"({"model": [{"type": "relu"}], "training": {"epoch": 3}})"); },
      {"/training: unknown key \"epoch\"", "epochs"});
  expect_error<SpecError>(
      [] {
        parse_spec(R"({"model": [{"type": "relu"}],
                       "training": {"early_stopping": {"patient": 3}}})");
      },
      {"/training/early_stopping: unknown key \"patient\"", "patience"});
  expect_error<SpecError>([] { parse_spec(model_spec(R"([{"type": "relu", "a": 1, "b": 2}])")); },
                          {"/model/0: unknown keys \"a\", \"b\""});
}

TEST(Spec, WrongTypesNameWhatWasExpected) {
  EXPECT_EQ(spec_error([] { parse_spec(model_spec(R"([{"type": "dense", "units": "ten"}])")); }),
            "/model/0/units: expected a positive integer, got \"ten\"");
  EXPECT_EQ(spec_error([] { parse_spec(model_spec(R"([{"type": "dense", "units": 2.5}])")); }),
            "/model/0/units: expected a positive integer, got 2.5");
  EXPECT_EQ(spec_error([] { parse_spec(model_spec(R"([{"type": "dense"}])")); }),
            "/model/0/units: missing (expected a positive integer)");
  EXPECT_EQ(spec_error([] { parse_spec(model_spec(R"([{"type": "dropout", "p": 1.5}])")); }),
            "/model/0/p: expected a number in [0, 1], got 1.5");
  EXPECT_EQ(
      spec_error([] { parse_spec(model_spec(R"([{"type": "dense", "units": 3, "bias": 1}])")); }),
      "/model/0/bias: expected true or false, got 1");
  EXPECT_EQ(spec_error([] { parse_spec(model_spec(R"({"type": "relu"})")); }),
            "/model: expected an array of layer objects, got an object");
  EXPECT_EQ(spec_error([] { parse_spec(model_spec("[]")); }),
            "/model: expected at least one layer, got an empty array");
  EXPECT_EQ(spec_error([] { parse_spec(model_spec("[3]")); }),
            "/model/0: expected an object, got 3");
  EXPECT_EQ(spec_error([] { parse_spec(R"({"name": "x"})"); }), "/model: missing");
  EXPECT_EQ(spec_error([] { parse_spec(R"([1, 2])"); }),
            "/: expected an object, got an array of 2");
  EXPECT_EQ(spec_error([] { parse_spec(R"({"model": [{"type": "relu"}], "data": 3})"); }),
            "/data: expected an object, got 3");
  expect_error<SpecError>(
      [] {
        parse_spec(R"({"model": [{"type": "relu"}], "optimizer": {"type": "adam",
                       "betas": [0.9, 1.0]}})");
      },
      {"/optimizer/betas/1: expected a number in [0, 1), got 1.0"});
  expect_error<SpecError>(
      [] { parse_spec(R"({"model": [{"type": "relu"}], "optimizer": {"lr": 0.1}})"); },
      {"/optimizer/type: missing (expected one of: sgd, adam"});
  expect_error<SpecError>(
      [] {
        parse_spec(R"({"model": [{"type": "relu"}],
                       "optimizer": {"type": "sgd", "lr": -1}})");
      },
      {"/optimizer/lr: expected a non-negative number, got -1"});
  expect_error<SpecError>(
      [] {
        parse_spec(R"({"model": [{"type": "relu"}],
                       "optimizer": {"type": "sgd", "nesterov": true}})");
      },
      {"/optimizer/nesterov: needs momentum > 0"});
  expect_error<SpecError>(
      [] { parse_spec(R"({"model": [{"type": "relu"}], "loss": "cross_entropyy"})"); },
      {"/loss: expected one of: cross_entropy, nll", "got \"cross_entropyy\""});
  expect_error<SpecError>(
      [] {
        parse_spec(R"({"model": [{"type": "relu"}],
                       "loss": {"type": "huber", "delta": 0}})");
      },
      {"/loss/delta: expected a positive number, got 0"});
  expect_error<SpecError>(
      [] { parse_spec(R"({"model": [{"type": "relu"}], "regularization": {"l2": -1}})"); },
      {"/regularization/l2: expected a non-negative number, got -1"});
  expect_error<SpecError>(
      [] { parse_spec(R"({"model": [{"type": "relu"}], "training": {"epochs": 0}})"); },
      {"/training/epochs: expected a positive integer, got 0"});
}

TEST(Spec, UnknownLayerTypeListsTheChoices) {
  expect_error<SpecError>([] { parse_spec(model_spec(R"([{"type": "dens", "units": 3}])")); },
                          {"/model/0/type: expected one of: dense, conv1d, conv2d", "relu",
                           "residual", "got \"dens\""});
  expect_error<SpecError>(
      [] { parse_spec(model_spec(R"([{"type": "dense", "units": 3, "activation": "rleu"}])")); },
      {"/model/0/activation: expected one of: relu", "got \"rleu\""});
  expect_error<SpecError>([] { parse_spec(model_spec(R"([{"units": 3}])")); },
                          {"/model/0/type: missing (expected one of: dense"});
}

TEST(Spec, BadJsonGivesLineAndColumn) {
  EXPECT_EQ(spec_error([] {
              parse_spec("{\n  \"model\": [\n    {\"type\": relu}\n  ]\n}", "a.json");
            }).rfind("a.json: invalid JSON at line 3, column 14: ", 0),
            0u);
  expect_error<SpecError>([] { parse_spec("{\"model\": [}", "b.json"); },
                          {"b.json: invalid JSON at line 1, column 12"});
  expect_error<SpecError>([] { parse_spec(""); }, {"<string>: invalid JSON at line 1, column 1"});
  // Pathological nesting is refused before anything recurses over it.
  std::string deep(100000, '[');
  expect_error<SpecError>(
      [&] { parse_spec("{\"model\": " + deep + std::string(100000, ']') + "}"); },
      {"nested deeper than"});
}

TEST(Spec, ShapeErrorsNameTheLayer) {
  Spec no_flatten = parse_spec(model_spec(R"([
    {"type": "conv2d", "filters": 32, "kernel": 3, "padding": 1}, {"type": "max_pool2d", "kernel": 4},
    {"type": "relu"}, {"type": "dropout"}, {"type": "dense", "units": 10}])"));
  EXPECT_EQ(spec_error([&] {
              build_model(no_flatten, {1, 28, 28});
            }),
            "/model/4: dense needs a flat input [N, F], got [N, 32, 7, 7]; add {\"type\": "
            "\"flatten\"} before it");

  Spec conv_on_flat = parse_spec(model_spec(R"([{"type": "conv2d", "filters": 2, "kernel": 3}])"));
  EXPECT_EQ(spec_error([&] { build_model(conv_on_flat, {784}); }),
            "/model/0: conv2d needs image inputs [N, C, H, W], got [N, 784]");

  Spec big_kernel = parse_spec(model_spec(R"([{"type": "conv2d", "filters": 2, "kernel": 7}])"));
  EXPECT_EQ(spec_error([&] {
              build_model(big_kernel, {1, 5, 5});
            }),
            "/model/0: conv2d: kernel 7 is larger than the padded input 5");

  Spec groups =
      parse_spec(model_spec(R"([{"type": "conv2d", "filters": 4, "kernel": 1, "groups": 2}])"));
  EXPECT_EQ(spec_error([&] {
              build_model(groups, {3, 4, 4});
            }),
            "/model/0/groups: input channels 3 are not divisible by groups 2");

  Spec softmax = parse_spec(model_spec(R"([{"type": "softmax", "dim": 2}])"));
  EXPECT_EQ(spec_error([&] { build_model(softmax, {5}); }),
            "/model/0/dim: expected a dim in [-2, 1] for inputs [N, 5], got 2");

  Spec nested = parse_spec(model_spec(R"([{"type": "flatten"}, {"type": "residual",
    "layers": [{"type": "dense", "units": 4}, {"type": "max_pool2d", "kernel": 2}]}])"));
  EXPECT_EQ(spec_error([&] {
              build_model(nested, {2, 2});
            }),
            "/model/1/layers/1: max_pool2d needs image inputs [N, C, H, W], got [N, 4]");
}

TEST(Spec, AbsurdSizesAreRefusedNotAllocated) {
  Spec huge =
      parse_spec(model_spec(R"([{"type": "flatten"}, {"type": "dense", "units": 4000000000}])"));
  expect_error<SpecError>([&] { build_model(huge, {1000}); },
                          {"/model/1: the model would have more than 2147483648 parameters"});
  Spec wide = parse_spec(
      model_spec(R"([{"type": "conv2d", "filters": 100000, "kernel": 1, "padding": 100000}])"));
  expect_error<SpecError>(
      [&] {
        build_model(wide, {1, 8, 8});
      },
      {"/model/0: the output [N, 100000, 200008, 200008] has more than"});
}

TEST(Spec, ResidualBlockShapes) {
  Spec same_shape = parse_spec(model_spec(R"([{"type": "residual", "layers": [
    {"type": "dense", "units": 6, "activation": {"type": "leaky_relu", "negative_slope": 0.2}},
    {"type": "dense", "units": 6}]}])"));
  auto model = build_model(same_shape, {6});
  EXPECT_EQ(nn::summary(*model, {1, 6}).total_parameters, 2 * (36 + 6));
  EXPECT_EQ((*model)(zeros({3, 6})).shape(), (Shape{3, 6}));

  Spec changes = parse_spec(
      model_spec(R"([{"type": "residual", "layers": [{"type": "dense", "units": 4}]}])"));
  EXPECT_EQ(spec_error([&] { build_model(changes, {6}); }),
            "/model/0: residual block changes the shape from [N, 6] to [N, 4]; set "
            "\"projection\": true to project the shortcut");

  Spec projected = parse_spec(model_spec(
      R"([{"type": "residual", "projection": true, "layers": [{"type": "dense", "units": 4}]}])"));
  auto projected_model = build_model(projected, {6});
  // main 6->4 (28) + shortcut Linear 6->4 (28).
  EXPECT_EQ(nn::summary(*projected_model, {1, 6}).total_parameters, 56);
  EXPECT_EQ((*projected_model)(zeros({2, 6})).shape(), (Shape{2, 4}));

  Spec conv1d = parse_spec(model_spec(R"([{"type": "residual", "projection": true, "layers": [
    {"type": "conv1d", "filters": 5, "kernel": 3, "stride": 3}]}, {"type": "avg_pool1d", "kernel": 2},
    {"type": "flatten"}, {"type": "maxout", "units": 2, "pieces": 3}])"));
  auto conv1d_model = build_model(conv1d, {2, 10});
  // conv 2->5 k3: 35; shortcut 1x1 2->5: 10; [5, 3] -> pool [5, 1] -> maxout 5 -> 2x3: 36.
  EXPECT_EQ(nn::summary(*conv1d_model, {1, 2, 10}).total_parameters, 35 + 10 + 36);
  conv1d_model->eval();
  EXPECT_EQ((*conv1d_model)(zeros({2, 2, 10})).shape(), (Shape{2, 2}));
}

TEST(Spec, OtherLayersInferTheirSizes) {
  Spec spec = parse_spec(model_spec(R"([
    {"type": "embedding", "num_embeddings": 20, "embedding_dim": 4},
    {"type": "layer_norm"}, {"type": "batch_norm", "momentum": 0.2, "eps": 0.001},
    {"type": "gelu", "approximate": "tanh"}, {"type": "flatten"},
    {"type": "dense", "units": 3, "init": "xavier_uniform", "activation": "softmax"},
    {"type": "prelu", "num_parameters": "channels"}])"));
  auto model = build_model(spec, {5});
  // embedding 80, layer_norm(4) 8, batch_norm1d(5) 10, dense 20->3 63, prelu 3.
  EXPECT_EQ(nn::summary(*model, {2, 5}, Dtype::int64).total_parameters, 80 + 8 + 10 + 63 + 3);
  model->eval();
  Tensor ids = zeros({2, 5}, {.dtype = Dtype::int64});
  EXPECT_EQ((*model)(ids).shape(), (Shape{2, 3}));
}

TEST(Spec, BadMetricName) {
  expect_error<SpecError>(
      [] {
        parse_spec(R"({"model": [{"type": "relu"}],
                       "training": {"metrics": ["accuracy", "acuracy"]}})");
      },
      {"/training/metrics/1: unknown metric \"acuracy\" (expected one of:", "accuracy"});
}

TEST(Spec, ScheduleOptions) {
  auto spec_with = [](const std::string& schedule) {
    return R"({"model": [{"type": "dense", "units": 2}],
               "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9},
               "training": {"epochs": 4}, "schedule": )" +
           schedule + "}";
  };
  expect_error<SpecError>([&] { parse_spec(spec_with(R"({"type": "step"})")); },
                          {"/schedule/step_size: missing (expected a positive integer)"});
  expect_error<SpecError>([&] { parse_spec(spec_with(R"({"type": "cosine", "t_max": 0})")); },
                          {"/schedule/t_max: expected a positive integer, got 0"});
  expect_error<SpecError>(
      [&] { parse_spec(spec_with(R"({"type": "multi_step", "milestones": [3, 2]})")); },
      {"/schedule/milestones/1: expected an epoch after 3, got 2"});
  expect_error<SpecError>(
      [&] {
        parse_spec(spec_with(R"({"type": "piecewise_constant", "boundaries": [2],
                                 "values": [0.1]})"));
      },
      {"/schedule/values: expected 2 rates (one more than boundaries), got 1"});
  expect_error<SpecError>(
      [&] { parse_spec(spec_with(R"({"type": "reduce_on_plateau", "interval": "step"})")); },
      {"/schedule/interval: reduce_on_plateau steps once per epoch"});
  expect_error<SpecError>([&] { parse_spec(spec_with(R"({"type": "one_cycle"})")); },
                          {"/schedule/max_lr: missing (expected a positive number)"});
  expect_error<SpecError>([&] { parse_spec(spec_with(R"({"type": "cosine", "gamma": 1})")); },
                          {"/schedule: unknown key \"gamma\"", "eta_min", "t_max"});
  expect_error<SpecError>([&] { parse_spec(spec_with(R"({"type": "exponentail"})")); },
                          {"/schedule/type: expected one of: step, multi_step, exponential"});

  // Defaults: cosine's t_max is the run's length in the schedule's interval.
  Spec cosine = parse_spec(spec_with(R"({"type": "cosine", "interval": "step"})"));
  auto model = build_model(cosine, {3});
  auto optimizer = build_optimizer(cosine, *model);
  BuiltScheduler built = build_scheduler(cosine, *optimizer, 5);
  EXPECT_EQ(built.interval, ScheduleInterval::step);
  for (int i = 0; i < 10; ++i) built.scheduler->step();  // half of 4 * 5 steps: lr / 2
  EXPECT_NEAR(optimizer->lr(0), 0.05, 1e-12);

  Spec plateau =
      parse_spec(spec_with(R"({"type": "reduce_on_plateau", "patience": 1, "factor": 0.5})"));
  auto plateau_optimizer = build_optimizer(plateau, *model);
  BuiltScheduler plateau_built = build_scheduler(plateau, *plateau_optimizer, 5);
  EXPECT_EQ(plateau_built.interval, ScheduleInterval::epoch);
  EXPECT_TRUE(plateau_built.scheduler->needs_metric());

  Spec cyclic = parse_spec(spec_with(R"({"type": "cyclic", "max_lr": 1, "step_size_up": 4})"));
  auto cyclic_optimizer = build_optimizer(cyclic, *model);
  BuiltScheduler cyclic_built = build_scheduler(cyclic, *cyclic_optimizer, 5);
  EXPECT_EQ(cyclic_built.interval, ScheduleInterval::step);
  for (int i = 0; i < 2; ++i) cyclic_built.scheduler->step();
  EXPECT_NEAR(cyclic_optimizer->lr(0), 0.1 + 0.9 * 0.5, 1e-12);
}

TEST(Spec, OptimizerVariants) {
  Spec lookahead = parse_spec(R"({"model": [{"type": "dense", "units": 2}],
    "optimizer": {"type": "lookahead", "k": 3, "optimizer": {"type": "sgd", "lr": 0.5}}})");
  auto model = build_model(lookahead, {2});
  auto optimizer = build_optimizer(lookahead, *model);
  EXPECT_NE(dynamic_cast<optim::Lookahead*>(optimizer.get()), nullptr);
  EXPECT_DOUBLE_EQ(optimizer->lr(0), 0.5);
  expect_error<SpecError>(
      [] {
        parse_spec(R"({"model": [{"type": "relu"}], "optimizer": {"type": "lookahead",
                       "optimizer": {"type": "sgd", "momentom": 0.9}}})");
      },
      {"/optimizer/optimizer: unknown key \"momentom\""});
  for (const char* type : {"sgd", "adam", "adamw", "adamax", "nadam", "radam", "rmsprop", "adagrad",
                           "adadelta", "adabelief", "adabound", "ranger"}) {
    Spec spec = parse_spec(std::string(R"({"model": [{"type": "dense", "units": 2}],
                                           "optimizer": {"type": ")") +
                           type + R"(", "lr": 0.01}})");
    EXPECT_DOUBLE_EQ(build_optimizer(spec, *model)->lr(0), 0.01) << type;
  }
}

TEST(Spec, WithOverride) {
  Spec spec = parse_spec(kFashionSpec);
  Spec faster = with_override(spec, "/optimizer/lr", 0.05);
  EXPECT_DOUBLE_EQ(faster.document["optimizer"]["lr"].get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(spec.document["optimizer"]["lr"].get<double>(), 0.002);  // untouched
  EXPECT_NE(faster.text.find("0.05"), std::string::npos);

  Spec narrower = with_override(spec, "/model/8/units", 5);
  EXPECT_EQ(nn::summary(*build_model(narrower, {1, 28, 28}), {1, 1, 28, 28}).total_parameters,
            2730 - 170 + 85);
  // A new key is accepted when it validates...
  Spec amsgrad = with_override(spec, "/optimizer/amsgrad", true);
  EXPECT_TRUE(amsgrad.document["optimizer"]["amsgrad"].get<bool>());
  // ...and rejected when it does not.
  expect_error<SpecError>([&] { with_override(spec, "/optimizer/betas1", 0.9); },
                          {"/optimizer: unknown key \"betas1\"", "/optimizer/betas1"});
  EXPECT_EQ(spec_error([&] { with_override(spec, "/model/0/kernel", -1); }),
            "/model/0/kernel: expected a positive integer, got -1");
  expect_error<SpecError>([&] { with_override(spec, "/nothing/lr", 1); },
                          {"/nothing/lr: cannot override, /nothing does not exist"});
  expect_error<SpecError>([&] { with_override(spec, "/model/12/units", 1); },
                          {"/model/12/units: cannot override, /model/12 does not exist"});
  expect_error<SpecError>([&] { with_override(spec, "/model/9", Json::object()); },
                          {"/model/9: cannot override, /model has no element 9"});
  expect_error<SpecError>([&] { with_override(spec, "optimizer/lr", 1); },
                          {"expected a JSON pointer"});
  Spec with_schedule_removed = with_override(spec, "/schedule", nullptr);
  auto model = build_model(with_schedule_removed, {1, 28, 28});
  auto optimizer = build_optimizer(with_schedule_removed, *model);
  EXPECT_EQ(build_scheduler(with_schedule_removed, *optimizer, 3).scheduler, nullptr);
}

TEST(Spec, LoadSpecReadsAFile) {
  const auto directory = std::filesystem::temp_directory_path() / "cajal_spec_test";
  std::filesystem::create_directories(directory);
  const auto path = directory / "net.json";
  std::ofstream(path) << kFashionSpec;
  Spec spec = load_spec(path);
  EXPECT_EQ(spec.origin, path.string());
  EXPECT_EQ(spec.base_dir, directory);
  EXPECT_EQ(spec.name, "fashion_cnn");
  expect_error<IOError>([&] { load_spec(directory / "missing.json"); }, {"missing.json"});
  std::filesystem::remove_all(directory);
}

// The fuzz target's seeds are meant to reach build_model: the valid ones must build and run.
TEST(Spec, FuzzSeedsAreValidSpecs) {
  // This file is tests/train/spec_test.cpp in the source tree.
  const std::filesystem::path corpus =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
      "fuzz/corpus/spec";
  for (const char* name : {"cnn.json", "mlp.json", "pools.json"}) {
    Spec spec = load_spec(corpus / name);
    auto model = build_model(spec, {1, 8, 8});
    model->eval();
    no_grad guard;
    EXPECT_EQ((*model)(zeros({2, 1, 8, 8})).shape()[0], 2) << name;
    auto optimizer = build_optimizer(spec, *model);
    EXPECT_NE(build_scheduler(spec, *optimizer, 4).scheduler, nullptr) << name;
  }
  Spec errors = load_spec(corpus / "errors.json");
  expect_error<SpecError>(
      [&] {
        build_model(errors, {1, 8, 8});
      },
      {"/model/0: conv2d: kernel 9 is larger than the padded input 8"});
}

// docs/specs.md's complete example is a valid spec with the parameter count the page states.
TEST(Spec, DocumentationExampleBuilds) {
  const std::filesystem::path page =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "docs/specs.md";
  std::ifstream file(page);
  ASSERT_TRUE(file) << page;
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const size_t heading = text.find("## A complete example");
  ASSERT_NE(heading, std::string::npos);
  const size_t start = text.find("```json\n", heading) + 8;
  const size_t end = text.find("```", start);
  Spec spec = parse_spec(text.substr(start, end - start), "docs/specs.md");
  auto model = build_model(spec, {1, 28, 28});
  EXPECT_EQ(nn::summary(*model, {1, 1, 28, 28}).total_parameters, 40074);
}

}  // namespace
}  // namespace cajal::train
