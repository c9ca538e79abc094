// Normalization layers (BatchNorm1d, BatchNorm2d, LayerNorm) and their functional forms: PyTorch
// golden values (forward, input and parameter gradients, running statistics over several training
// steps including momentum=None, evaluation with running statistics), gradient checks (first and
// second order, inputs and parameters), state_dict keys and round trips, printing, and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/functional/normalization.h"
#include "cajal/nn/normalization.h"
#include "layer_test_support.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::GoldenCase;
using testing::values_match;
namespace F = nn::functional;

// ---------------------------------------------------------------------------------------------
// Golden values (tools/golden/nn_normalization.py).

std::shared_ptr<nn::Module> make_layer(const GoldenCase& c) {
  const std::string type = c.text("module");
  if (type == "LayerNorm") {
    return std::make_shared<nn::LayerNorm>(
        nn::LayerNormOptions{.normalized_shape = c.int_list("normalized_shape"),
                             .eps = c.param("eps"),
                             .elementwise_affine = c.param("elementwise_affine") != 0});
  }
  const double momentum = c.param("momentum");
  nn::BatchNormOptions options{
      .num_features = static_cast<int64_t>(c.param("num_features")),
      .eps = c.param("eps"),
      .momentum = momentum < 0 ? std::nullopt : std::optional<double>(momentum),
      .affine = c.param("affine") != 0,
      .track_running_stats = c.param("track_running_stats") != 0};
  if (type == "BatchNorm1d") return std::make_shared<nn::BatchNorm1d>(options);
  if (type == "BatchNorm2d") return std::make_shared<nn::BatchNorm2d>(options);
  ADD_FAILURE() << c.name << ": unknown module " << type;
  return nullptr;
}

TEST(NormalizationGolden, EveryCaseMatchesPyTorch) {
  auto cases = testing::load_golden("nn_normalization");
  ASSERT_GE(cases.size(), 30u);
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE("golden case " + name);
    const bool f32 = c.inputs[0].dtype() == Dtype::float32;
    const double rtol = f32 ? 1e-5 : 1e-10;
    const double atol = f32 ? 1e-5 : 1e-12;
    auto layer = make_layer(c);
    ASSERT_TRUE(layer);
    layer->to(c.inputs[0].dtype());
    const auto steps = static_cast<size_t>(c.param("steps"));
    const std::vector<std::string> names = testing::text_list(c, "state_names");
    layer->load_state_dict(testing::golden_state(c, names, steps));
    // The module's keys are PyTorch's, in PyTorch's order.
    EXPECT_EQ(layer->state_dict().keys(), names);
    layer->train(c.text("mode") == "train");

    for (size_t s = 0; s < steps; ++s) {
      Tensor x = c.inputs[s].clone();
      if (steps == 1) x.requires_grad_(true);
      Tensor y = (*layer)(x);
      EXPECT_TRUE(values_match(y, c.outputs[s], rtol, atol)) << "output of step " << s;
      if (steps == 1) {
        y.backward(c.grad_outputs.at(0));
        EXPECT_TRUE(values_match(x.grad(), *c.grads[0], rtol, atol)) << "input gradient";
        auto params = layer->named_parameters();
        for (size_t i = 0; i < names.size(); ++i) {
          if (!c.grads[steps + i]) continue;
          EXPECT_TRUE(values_match(params.at(names[i]).grad(), *c.grads[steps + i], rtol, atol))
              << "gradient of " << names[i];
        }
      }
    }
    size_t next = steps;
    if (c.param("eval_after") != 0) {
      layer->eval();
      EXPECT_TRUE(values_match((*layer)(c.inputs[steps - 1]), c.outputs[next], rtol, atol))
          << "eval output after training";
      ++next;
    }
    StateDict after = layer->state_dict();
    for (size_t i = 0; i < names.size(); ++i) {
      EXPECT_TRUE(values_match(after.at(names[i]), c.outputs[next + i], rtol, atol))
          << names[i] << " after the last step";
    }
  }
}

TEST(NormalizationGolden, CoversEveryLayerAndMode) {
  auto cases = testing::load_golden("nn_normalization");
  std::set<std::string> seen;
  for (const auto& [name, c] : cases) {
    std::string tag = c.text("module") + "/" + c.text("mode");
    if (c.params_json.count("momentum") && c.param("momentum") < 0) tag += "/momentum_none";
    if (c.param("steps") > 1) tag += "/trajectory";
    seen.insert(tag);
  }
  for (const char* tag :
       {"BatchNorm1d/train", "BatchNorm1d/eval", "BatchNorm2d/train", "BatchNorm2d/eval",
        "BatchNorm1d/train/momentum_none/trajectory", "BatchNorm2d/train/momentum_none/trajectory",
        "BatchNorm2d/train/trajectory", "LayerNorm/train"}) {
    EXPECT_TRUE(seen.count(tag)) << tag;
  }
}

// ---------------------------------------------------------------------------------------------
// Gradient checks in float64 (first and second order for the input; parameters by central
// differences on the module itself).

Tensor random_input(const Shape& shape) {
  return randn(shape, {.dtype = Dtype::float64}) * 1.5 + 0.3;
}

// Gives the affine parameters values away from 1 and 0 so their gradients are not degenerate.
void randomize_parameters(nn::Module& layer) {
  no_grad guard;
  for (Tensor p : layer.parameters()) p.copy_(randn(p.shape(), {.dtype = p.dtype()}) * 0.5 + 1.0);
}

TEST(NormalizationGradcheck, BatchNorm1dTrainingAndEval) {
  manual_seed(1);
  for (const Shape& shape : {Shape{5, 3}, Shape{3, 3, 4}}) {
    nn::BatchNorm1d layer({.num_features = 3});
    layer.to(Dtype::float64);
    randomize_parameters(layer);
    Tensor x = random_input(shape);
    EXPECT_TRUE(testing::input_gradcheck(layer, x)) << shape_string(shape) << " training";
    EXPECT_TRUE(testing::parameter_gradcheck(layer, [&] { return layer(x); }));
    layer.eval();
    {
      no_grad guard;
      layer.running_var.copy_(rand({3}, {.dtype = Dtype::float64}) + 0.5);
      layer.running_mean.copy_(randn({3}, {.dtype = Dtype::float64}));
    }
    EXPECT_TRUE(testing::input_gradcheck(layer, x)) << shape_string(shape) << " eval";
    EXPECT_TRUE(testing::parameter_gradcheck(layer, [&] { return layer(x); }));
  }
}

TEST(NormalizationGradcheck, BatchNorm2dVariants) {
  manual_seed(2);
  Tensor x = random_input({2, 3, 3, 2});
  for (bool affine : {true, false}) {
    for (bool track : {true, false}) {
      nn::BatchNorm2d layer({.num_features = 3, .affine = affine, .track_running_stats = track});
      layer.to(Dtype::float64);
      randomize_parameters(layer);
      EXPECT_TRUE(testing::input_gradcheck(layer, x)) << "affine " << affine << " track " << track;
      EXPECT_TRUE(testing::parameter_gradcheck(layer, [&] { return layer(x); }));
      layer.eval();
      EXPECT_TRUE(testing::input_gradcheck(layer, x)) << "eval, affine " << affine;
    }
  }
}

TEST(NormalizationGradcheck, LayerNorm) {
  manual_seed(3);
  for (bool affine : {true, false}) {
    nn::LayerNorm layer({.normalized_shape = {3, 4}, .elementwise_affine = affine});
    layer.to(Dtype::float64);
    randomize_parameters(layer);
    Tensor x = random_input({2, 3, 4});
    EXPECT_TRUE(testing::input_gradcheck(layer, x)) << "affine " << affine;
    EXPECT_TRUE(testing::parameter_gradcheck(layer, [&] { return layer(x); }));
  }
}

// The functional forms with the weight and bias as gradcheck inputs: second-order gradients
// with respect to the parameters too (what Newton's method and gradient penalties need).
TEST(NormalizationGradcheck, FunctionalSecondOrderInEveryArgument) {
  manual_seed(4);
  auto f64 = TensorOptions{.dtype = Dtype::float64, .requires_grad = true};
  Tensor x = random_input({4, 2, 3}).requires_grad_(true);
  Tensor weight = randn({2}, f64), bias = randn({2}, f64);
  Tensor running_mean = randn({2}, {.dtype = Dtype::float64});
  Tensor running_var = rand({2}, {.dtype = Dtype::float64}) + 0.5;
  for (bool training : {true, false}) {
    auto result = autograd::gradcheck(
        [&](const std::vector<Tensor>& v) {
          // Copies of the running statistics: updating them is no part of the function.
          return F::batch_norm(v[0], running_mean.clone(), running_var.clone(), v[1], v[2],
                               training, 0.1, 1e-5);
        },
        {x, weight, bias}, {.check_second_order = true});
    EXPECT_TRUE(result.ok) << "batch_norm training=" << training << ": " << result.message;
  }
  Tensor ln_weight = randn({2, 3}, f64), ln_bias = randn({2, 3}, f64);
  auto result = autograd::gradcheck(
      [&](const std::vector<Tensor>& v) {
        return F::layer_norm(v[0], {2, 3}, v[1], v[2], 1e-3);
      },
      {x, ln_weight, ln_bias}, {.check_second_order = true});
  EXPECT_TRUE(result.ok) << "layer_norm: " << result.message;
}

// ---------------------------------------------------------------------------------------------
// Behaviour.

TEST(BatchNorm, DefaultStateAndKeysMatchPyTorch) {
  nn::BatchNorm1d layer({.num_features = 4});
  StateDict state = layer.state_dict();
  EXPECT_EQ(state.keys(), (std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                                    "num_batches_tracked"}));
  EXPECT_TRUE(equal(layer.weight, ones({4})));
  EXPECT_TRUE(equal(layer.bias, zeros({4})));
  EXPECT_TRUE(equal(layer.running_mean, zeros({4})));
  EXPECT_TRUE(equal(layer.running_var, ones({4})));
  EXPECT_TRUE(equal(layer.num_batches_tracked, zeros({}, {.dtype = Dtype::int64})));
  EXPECT_EQ(layer.parameters().size(), 2u);
  EXPECT_EQ(layer.buffers().size(), 3u);
  EXPECT_TRUE(layer.weight.requires_grad());
  EXPECT_FALSE(layer.running_mean.requires_grad());

  nn::BatchNorm2d plain({.num_features = 2, .affine = false});
  EXPECT_EQ(plain.state_dict().keys(),
            (std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"}));
  EXPECT_TRUE(plain.parameters().empty());
  nn::BatchNorm2d untracked({.num_features = 2, .track_running_stats = false});
  EXPECT_EQ(untracked.state_dict().keys(), (std::vector<std::string>{"weight", "bias"}));

  nn::BatchNorm2d wide({.num_features = 2, .dtype = Dtype::float64});
  for (const auto& [key, t] : wide.state_dict()) {
    EXPECT_EQ(t.dtype(), key == "num_batches_tracked" ? Dtype::int64 : Dtype::float64) << key;
  }
  EXPECT_EQ(nn::LayerNorm({.normalized_shape = {2}, .dtype = Dtype::float64}).weight.dtype(),
            Dtype::float64);

  // to(float64) converts the statistics but keeps the counter an integer.
  layer.to(Dtype::float64);
  EXPECT_EQ(layer.running_var.dtype(), Dtype::float64);
  EXPECT_EQ(layer.num_batches_tracked.dtype(), Dtype::int64);
}

TEST(BatchNorm, RunningStatisticsFollowTheFormula) {
  manual_seed(5);
  nn::BatchNorm1d layer({.num_features = 2, .momentum = 0.2});
  layer.to(Dtype::float64);
  Tensor x = randn({6, 2}, {.dtype = Dtype::float64});
  layer(x);
  Tensor mean = x.mean({0});
  Tensor unbiased = var(x, {0}, 1);
  EXPECT_TRUE(allclose(layer.running_mean, mean * 0.2, 1e-12, 1e-14));
  EXPECT_TRUE(allclose(layer.running_var, 0.8 + unbiased * 0.2, 1e-12, 1e-14));
  EXPECT_EQ(layer.num_batches_tracked.item<int64_t>(), 1);

  // momentum = nullopt: after k batches the running mean is the plain average of the k means.
  nn::BatchNorm1d cumulative({.num_features = 2, .momentum = std::nullopt});
  cumulative.to(Dtype::float64);
  Tensor total_mean = zeros({2}, {.dtype = Dtype::float64});
  Tensor total_var = zeros({2}, {.dtype = Dtype::float64});
  for (int k = 0; k < 4; ++k) {
    Tensor batch = randn({5, 2}, {.dtype = Dtype::float64}) * (k + 1);
    cumulative(batch);
    total_mean = total_mean + batch.mean({0});
    total_var = total_var + var(batch, {0}, 1);
  }
  EXPECT_TRUE(allclose(cumulative.running_mean, total_mean / 4, 1e-12, 1e-14));
  EXPECT_TRUE(allclose(cumulative.running_var, total_var / 4, 1e-12, 1e-14));
  EXPECT_EQ(cumulative.num_batches_tracked.item<int64_t>(), 4);
}

TEST(BatchNorm, EvalUsesRunningStatisticsAndChangesNothing) {
  manual_seed(6);
  nn::BatchNorm2d layer({.num_features = 2});
  for (int k = 0; k < 3; ++k) layer(randn({4, 2, 3, 3}) * 2 + 1);
  StateDict before = testing::snapshot(layer.state_dict());
  layer.eval();
  Tensor x = randn({1, 2, 2, 2});  // a single sample is fine in eval mode
  Tensor y = layer(x);
  Tensor expected = (x - layer.running_mean.reshape({1, 2, 1, 1})) /
                        sqrt(layer.running_var.reshape({1, 2, 1, 1}) + 1e-5) *
                        layer.weight.reshape({1, 2, 1, 1}) +
                    layer.bias.reshape({1, 2, 1, 1});
  EXPECT_TRUE(allclose(y, expected, 1e-5, 1e-6));
  EXPECT_TRUE(testing::state_dicts_equal(layer.state_dict(), before));
  // Without running statistics, eval mode normalizes with the batch's own statistics.
  nn::BatchNorm1d untracked({.num_features = 3, .track_running_stats = false});
  untracked.eval();
  Tensor z = untracked(randn({8, 3}) * 3 + 2);
  EXPECT_TRUE(allclose(z.mean({0}), zeros({3}), 0, 1e-5));
}

// An eval-mode output stays differentiable after a training step has updated the running
// statistics in place (its graph holds copies, as PyTorch's saves none of the buffers).
TEST(BatchNorm, EvalGraphSurvivesLaterTrainingStep) {
  manual_seed(9);
  nn::BatchNorm1d layer({.num_features = 2});
  layer.eval();
  Tensor x = randn({4, 2}).requires_grad_(true);
  Tensor y = layer(x);
  layer.train();
  layer(randn({4, 2}));
  ASSERT_NO_THROW(y.sum().backward());
  EXPECT_TRUE(allclose(x.grad(), full({4, 2}, 1 / std::sqrt(1 + 1e-5)), 1e-6, 0));
}

TEST(BatchNorm, StateDictRoundTripResumesBitForBit) {
  manual_seed(7);
  nn::BatchNorm2d layer({.num_features = 3, .momentum = std::nullopt});
  randomize_parameters(layer);
  for (int k = 0; k < 3; ++k) layer(randn({2, 3, 2, 2}));
  StateDict saved = testing::snapshot(layer.state_dict());

  nn::BatchNorm2d restored({.num_features = 3, .momentum = std::nullopt});
  restored.load_state_dict(saved);
  EXPECT_TRUE(testing::state_dicts_equal(restored.state_dict(), saved));
  Tensor x = randn({2, 3, 2, 2});
  EXPECT_TRUE(equal(layer(x), restored(x)));  // training step: same output, same statistics
  EXPECT_TRUE(testing::state_dicts_equal(restored.state_dict(), layer.state_dict()));
  layer.eval();
  restored.eval();
  EXPECT_TRUE(equal(layer(x), restored(x)));
}

TEST(LayerNorm, StateDictRoundTripAndDefaults) {
  manual_seed(8);
  nn::LayerNorm layer({.normalized_shape = {4}});
  EXPECT_EQ(layer.state_dict().keys(), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_TRUE(equal(layer.weight, ones({4})));
  EXPECT_TRUE(equal(layer.bias, zeros({4})));
  randomize_parameters(layer);
  nn::LayerNorm restored({.normalized_shape = {4}});
  restored.load_state_dict(testing::snapshot(layer.state_dict()));
  Tensor x = randn({3, 4});
  EXPECT_TRUE(equal(layer(x), restored(x)));
  // Same statistics in training and evaluation.
  layer.eval();
  EXPECT_TRUE(equal(layer(x), restored(x)));
  nn::LayerNorm plain({.normalized_shape = {4}, .elementwise_affine = false});
  EXPECT_TRUE(plain.state_dict().empty());
  Tensor y = plain(x);
  EXPECT_TRUE(allclose(y.mean({1}), zeros({3}), 0, 1e-6));
  EXPECT_TRUE(allclose(var(y, {1}, 0), ones({3}), 1e-4, 1e-4));
}

// As PyTorch: an empty batch passes through, leaves the statistics alone and is counted.
TEST(BatchNorm, EmptyBatch) {
  nn::BatchNorm1d layer({.num_features = 3});
  Tensor y = layer(zeros({0, 3}));
  EXPECT_EQ(y.shape(), (Shape{0, 3}));
  EXPECT_TRUE(equal(layer.running_mean, zeros({3})));
  EXPECT_TRUE(equal(layer.running_var, ones({3})));
  EXPECT_EQ(layer.num_batches_tracked.item<int64_t>(), 1);
  nn::LayerNorm norm({.normalized_shape = {3}});
  EXPECT_EQ(norm(zeros({0, 3})).shape(), (Shape{0, 3}));
}

TEST(Normalization, PrintsLikePyTorch) {
  EXPECT_EQ(to_string(nn::BatchNorm1d({.num_features = 3})),
            "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)");
  EXPECT_EQ(to_string(nn::BatchNorm2d(
                {.num_features = 8, .eps = 1e-3, .momentum = std::nullopt, .affine = false})),
            "BatchNorm2d(8, eps=0.001, momentum=None, affine=false, track_running_stats=true)");
  EXPECT_EQ(to_string(nn::LayerNorm({.normalized_shape = {3, 4}})),
            "LayerNorm([3, 4], eps=1e-05, elementwise_affine=true)");
}

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(NormalizationErrors, OneValuePerChannelWhenTraining) {
  nn::BatchNorm1d layer({.num_features = 3});
  EXPECT_THROW_WITH(layer(randn({1, 3})), ValueError, "BatchNorm1d",
                    "Expected more than 1 value per channel when training", "[1, 3]");
  nn::BatchNorm2d layer2d({.num_features = 3});
  EXPECT_THROW_WITH(layer2d(randn({1, 3, 1, 1})), ValueError, "BatchNorm2d", "[1, 3, 1, 1]");
  EXPECT_NO_THROW(layer2d(randn({1, 3, 1, 2})));  // two values per channel
  layer.eval();
  EXPECT_NO_THROW(layer(randn({1, 3})));
  // Nothing was updated by the refused call.
  EXPECT_EQ(layer.num_batches_tracked.item<int64_t>(), 0);
  EXPECT_THROW_WITH(F::batch_norm(randn({1, 2}), Tensor(), Tensor(), Tensor(), Tensor(), true),
                    ValueError, "batch_norm", "Expected more than 1 value per channel");
}

TEST(NormalizationErrors, BadOptionsNameTheOption) {
  EXPECT_THROW_WITH(nn::BatchNorm1d({.num_features = 0}), ValueError, "BatchNorm1d", "num_features",
                    "0");
  EXPECT_THROW_WITH(nn::BatchNorm2d({.num_features = 2, .eps = -1}), ValueError, "BatchNorm2d",
                    "eps", "-1");
  EXPECT_THROW_WITH(nn::BatchNorm2d({.num_features = 2, .momentum = 1.5}), ValueError,
                    "BatchNorm2d", "momentum", "1.5");
  EXPECT_THROW_WITH(nn::BatchNorm1d({.num_features = 2, .dtype = Dtype::int64}), ValueError,
                    "BatchNorm1d", "dtype", "int64");
  EXPECT_THROW_WITH(nn::LayerNorm({.normalized_shape = {2}, .dtype = Dtype::bool_}), ValueError,
                    "LayerNorm", "dtype", "bool");
  EXPECT_THROW_WITH(nn::LayerNorm({}), ValueError, "LayerNorm", "normalized_shape");
  EXPECT_THROW_WITH(nn::LayerNorm({.normalized_shape = {3, 0}}), ValueError, "LayerNorm",
                    "normalized_shape", "[3, 0]");
  EXPECT_THROW_WITH(nn::LayerNorm({.normalized_shape = {3}, .eps = -0.5}), ValueError, "LayerNorm",
                    "eps", "-0.5");
}

TEST(NormalizationErrors, BadInputsNameTheShape) {
  nn::BatchNorm1d bn1({.num_features = 3});
  EXPECT_THROW_WITH(bn1(randn({2, 3, 4, 5})), ShapeError, "BatchNorm1d", "4D", "[2, 3, 4, 5]");
  EXPECT_THROW_WITH(bn1(randn({3})), ShapeError, "BatchNorm1d", "1D");
  EXPECT_THROW_WITH(bn1(randn({4, 5})), ShapeError, "BatchNorm1d", "num_features", "[4, 5]");
  EXPECT_THROW_WITH(bn1(zeros({4, 3}, {.dtype = Dtype::int64})), ValueError, "BatchNorm1d",
                    "int64");
  nn::BatchNorm2d bn2({.num_features = 3});
  EXPECT_THROW_WITH(bn2(randn({2, 3, 4})), ShapeError, "BatchNorm2d", "3D", "[2, 3, 4]");
  nn::LayerNorm ln({.normalized_shape = {4}});
  EXPECT_THROW_WITH(ln(randn({2, 3})), ShapeError, "LayerNorm", "normalized_shape=[4]", "[*, 4]",
                    "[2, 3]");
  EXPECT_THROW_WITH(F::batch_norm(randn({4, 3}), Tensor(), Tensor()), ValueError, "batch_norm",
                    "running");
  EXPECT_THROW_WITH(
      F::batch_norm(randn({4, 3}), zeros({3}), ones({3}), Tensor(), Tensor(), true, std::nullopt),
      ValueError, "batch_norm", "num_batches_tracked");
  EXPECT_THROW_WITH(F::batch_norm(randn({4, 3}), zeros({2}), ones({2})), ShapeError, "batch_norm",
                    "running_mean", "[2]");
  EXPECT_THROW_WITH(F::layer_norm(randn({4, 3}), {3}, ones({4})), ShapeError, "layer_norm",
                    "weight", "[4]");
  // A state dict of the wrong width is refused, naming the key.
  nn::BatchNorm1d other({.num_features = 4});
  EXPECT_THROW_WITH(bn1.load_state_dict(other.state_dict()), ValueError, "running_mean", "[4]");
}

}  // namespace
}  // namespace cajal
