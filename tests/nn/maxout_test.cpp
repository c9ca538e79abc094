// Maxout (Goodfellow et al., 2013): golden values from the paper's definition written with torch
// ops (PyTorch has no Maxout), gradient checks in float64, the layer's relation to Linear and
// ReLU, initialization bounds, state dicts, printing and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/maxout.h"
#include "layer_test_support.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::values_match;

TEST(MaxoutGolden, EveryCaseMatchesTheReference) {
  auto cases = testing::load_golden("nn_maxout");
  ASSERT_GE(cases.size(), 6u);
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE("golden case " + name);
    const bool f32 = c.inputs[0].dtype() == Dtype::float32;
    const double rtol = f32 ? 1e-5 : 1e-10;
    const double atol = f32 ? 1e-6 : 1e-12;
    nn::Maxout layer({.in_features = static_cast<int64_t>(c.param("in_features")),
                      .out_features = static_cast<int64_t>(c.param("out_features")),
                      .pieces = static_cast<int64_t>(c.param("pieces"))});
    layer.to(c.inputs[0].dtype());
    layer.load_state_dict({{"weight", c.inputs[1]}, {"bias", c.inputs[2]}});
    Tensor x = c.inputs[0].clone().requires_grad_(true);
    Tensor y = layer(x);
    EXPECT_TRUE(values_match(y, c.outputs[0], rtol, atol)) << "output";
    y.backward(c.grad_outputs.at(0));
    EXPECT_TRUE(values_match(x.grad(), *c.grads[0], rtol, atol)) << "input gradient";
    EXPECT_TRUE(values_match(layer.weight.grad(), *c.grads[1], rtol, atol)) << "weight gradient";
    EXPECT_TRUE(values_match(layer.bias.grad(), *c.grads[2], rtol, atol)) << "bias gradient";
  }
}

TEST(MaxoutGradcheck, InputAndParametersInFloat64) {
  manual_seed(42);
  for (const Shape& shape : {Shape{4, 5}, Shape{2, 3, 5}}) {
    nn::Maxout layer({.in_features = 5, .out_features = 3, .pieces = 3});
    layer.to(Dtype::float64);
    Tensor x = randn(shape, {.dtype = Dtype::float64});
    EXPECT_TRUE(testing::input_gradcheck(layer, x)) << shape_string(shape);
    EXPECT_TRUE(testing::parameter_gradcheck(layer, [&] { return layer(x); }))
        << shape_string(shape);
  }
}

// With one piece Maxout is a Linear layer; with a second piece fixed at 0 it is ReLU(Wx + b),
// the paper's observation that maxout units can represent rectifiers.
TEST(Maxout, GeneralizesLinearAndReLU) {
  manual_seed(43);
  Tensor x = randn({6, 4});
  nn::Maxout one({.in_features = 4, .out_features = 3, .pieces = 1});
  EXPECT_TRUE(allclose(one(x), linear(x, one.weight, one.bias), 1e-6, 1e-7));

  nn::Maxout two({.in_features = 4, .out_features = 3, .pieces = 2});
  Tensor w = randn({3, 4}), b = randn({3});
  {
    no_grad guard;
    // Rows 2j (the first piece of unit j) hold the affine map, rows 2j + 1 are zero.
    two.weight.zero_();
    two.bias.zero_();
    for (int64_t j = 0; j < 3; ++j) {
      two.weight.select(0, 2 * j).copy_(w.select(0, j));
      two.bias.select(0, 2 * j).copy_(b.select(0, j));
    }
  }
  EXPECT_TRUE(allclose(two(x), relu(linear(x, w, b)), 1e-6, 1e-7));
}

TEST(Maxout, InitializedLikeLinear) {
  manual_seed(44);
  nn::Maxout layer({.in_features = 16, .out_features = 32, .pieces = 4});
  EXPECT_EQ(layer.weight.shape(), (Shape{128, 16}));
  EXPECT_EQ(layer.bias.shape(), (Shape{128}));
  EXPECT_EQ(count_parameters(layer), (16 + 1) * 32 * 4);
  const double bound = 1.0 / std::sqrt(16.0);  // U(-1/sqrt(in), 1/sqrt(in))
  for (const Tensor& p : {layer.weight, layer.bias}) {
    const double largest = abs(p).max().item();
    EXPECT_LE(largest, bound);
    EXPECT_GT(largest, 0.9 * bound);  // the whole range is used
  }
  EXPECT_NEAR(layer.weight.mean().item(), 0.0, 0.02);
  // Var of U(-a, a) is a^2 / 3.
  EXPECT_NEAR(var(layer.weight).item(), bound * bound / 3, 0.003);
}

TEST(Maxout, ShapesStateDictAndPrinting) {
  manual_seed(45);
  nn::Maxout layer({.in_features = 4, .out_features = 3, .pieces = 2});
  EXPECT_EQ(layer(randn({5, 4})).shape(), (Shape{5, 3}));
  EXPECT_EQ(layer(randn({2, 7, 4})).shape(), (Shape{2, 7, 3}));
  EXPECT_EQ(layer(randn({4})).shape(), (Shape{3}));
  EXPECT_EQ(layer.state_dict().keys(), (std::vector<std::string>{"weight", "bias"}));
  nn::Maxout restored({.in_features = 4, .out_features = 3, .pieces = 2});
  restored.load_state_dict(testing::snapshot(layer.state_dict()));
  Tensor x = randn({5, 4});
  EXPECT_TRUE(equal(layer(x), restored(x)));
  EXPECT_EQ(to_string(layer), "Maxout(in_features=4, out_features=3, pieces=2, bias=true)");
}

TEST(Maxout, WithoutBiasAndInFloat64) {
  manual_seed(46);
  nn::Maxout layer(
      {.in_features = 3, .out_features = 2, .pieces = 2, .bias = false, .dtype = Dtype::float64});
  EXPECT_FALSE(layer.bias.defined());
  EXPECT_EQ(layer.weight.dtype(), Dtype::float64);
  EXPECT_EQ(layer.state_dict().keys(), std::vector<std::string>{"weight"});
  EXPECT_EQ(to_string(layer), "Maxout(in_features=3, out_features=2, pieces=2, bias=false)");
  Tensor x = randn({4, 3}, {.dtype = Dtype::float64});
  EXPECT_TRUE(allclose(layer(x), maxout(matmul(x, layer.weight.t()), 2, -1), 1e-14, 0));
  EXPECT_TRUE(testing::input_gradcheck(layer, x));
  EXPECT_TRUE(testing::parameter_gradcheck(layer, [&] { return layer(x); }));
}

TEST(MaxoutErrors, BadOptionsAndInputs) {
  EXPECT_THROW_WITH(nn::Maxout({.in_features = 0, .out_features = 3, .pieces = 2}), ValueError,
                    "Maxout", "in_features", "0");
  EXPECT_THROW_WITH(nn::Maxout({.in_features = 4, .out_features = -1, .pieces = 2}), ValueError,
                    "Maxout", "out_features", "-1");
  EXPECT_THROW_WITH(nn::Maxout({.in_features = 4, .out_features = 3}), ValueError, "Maxout",
                    "pieces", "0");
  EXPECT_THROW_WITH(
      nn::Maxout({.in_features = 4, .out_features = 3, .pieces = 2, .dtype = Dtype::int64}),
      ValueError, "Maxout", "dtype", "int64");
  nn::Maxout layer({.in_features = 4, .out_features = 3, .pieces = 2});
  EXPECT_THROW_WITH(layer(randn({5, 3})), ShapeError, "Maxout", "in_features=4", "[5, 3]");
  EXPECT_THROW_WITH(layer(randn({})), ShapeError, "Maxout", "[]");
}

}  // namespace
}  // namespace cajal
