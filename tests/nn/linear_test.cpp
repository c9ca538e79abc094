// nn::Linear: forward and gradients against PyTorch, gradcheck, initialization, state_dict round
// trip, parameter counts, options and errors.
#include "cajal/nn/linear.h"

#include <gtest/gtest.h>

#include <cmath>

#include "layer_testing.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;

nn::Linear linear_for(const testing::GoldenCase& c) {
  return nn::Linear({.in_features = static_cast<int64_t>(c.param("in_features")),
                     .out_features = static_cast<int64_t>(c.param("out_features")),
                     .bias = c.param("bias") != 0,
                     .dtype = c.inputs[0].dtype()});
}

TEST(Linear, MatchesPyTorch) {
  auto cases = testing::layer_cases("linear_");
  ASSERT_EQ(cases.size(), 3u);
  for (const auto* c : cases) {
    nn::Linear layer = linear_for(*c);
    testing::check_module_golden(*c, layer);
  }
}

TEST(Linear, Gradcheck) {
  manual_seed(1);
  nn::Linear layer({.in_features = 4, .out_features = 3, .dtype = Dtype::float64});
  testing::expect_gradcheck(layer, randn({2, 4}, {.dtype = Dtype::float64}));
  nn::Linear batched({.in_features = 3, .out_features = 2, .bias = false});
  batched.to(Dtype::float64);
  testing::expect_gradcheck(batched, randn({2, 2, 3}, {.dtype = Dtype::float64}));
  testing::expect_gradcheck(batched, randn({3}, {.dtype = Dtype::float64}));  // unbatched
}

TEST(Linear, ParameterCountsAndShapes) {
  nn::Linear layer({.in_features = 48, .out_features = 8});
  EXPECT_EQ(nn::count_parameters(layer), 392);  // 48 * 8 + 8
  EXPECT_EQ(layer.weight.shape(), (Shape{8, 48}));
  EXPECT_EQ(layer.bias.shape(), (Shape{8}));
  EXPECT_EQ(layer.state_dict().keys(), (std::vector<std::string>{"weight", "bias"}));
  nn::Linear no_bias({.in_features = 48, .out_features = 8, .bias = false});
  EXPECT_EQ(nn::count_parameters(no_bias), 384);
  EXPECT_FALSE(no_bias.bias.defined());
  EXPECT_EQ(no_bias.parameters().size(), 1u);
  EXPECT_EQ(layer(randn({5, 48})).shape(), (Shape{5, 8}));
}

TEST(Linear, DefaultInitializationIsPyTorchs) {
  manual_seed(2);
  nn::Linear layer({.in_features = 400, .out_features = 300});
  const double bound = 1.0 / std::sqrt(400.0);  // kaiming_uniform_(a = sqrt(5))
  std::vector<double> w = to_vector<double>(layer.weight);
  double lo = 0, hi = 0, squares = 0;
  for (double v : w) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    squares += v * v;
  }
  EXPECT_GE(lo, -bound);
  EXPECT_LE(hi, bound);
  EXPECT_GT(hi, 0.99 * bound);
  EXPECT_NEAR(std::sqrt(squares / static_cast<double>(w.size())), bound / std::sqrt(3.0),
              0.03 * bound / std::sqrt(3.0));
  std::vector<double> b = to_vector<double>(layer.bias);
  for (double v : b) {
    EXPECT_GE(v, -bound);
    EXPECT_LE(v, bound);
  }
  EXPECT_TRUE(layer.weight.requires_grad());
  EXPECT_TRUE(layer.weight.is_leaf());
  EXPECT_EQ(layer.weight.dtype(), Dtype::float32);

  // Seeded: the same seed gives the same layer; reset_parameters draws new values.
  manual_seed(9);
  nn::Linear a({.in_features = 5, .out_features = 3});
  manual_seed(9);
  nn::Linear b2({.in_features = 5, .out_features = 3});
  EXPECT_TRUE(equal(a.weight, b2.weight));
  EXPECT_TRUE(equal(a.bias, b2.bias));
  Tensor before = a.weight.clone();
  a.reset_parameters();
  EXPECT_FALSE(equal(a.weight, before));
}

TEST(Linear, Float64Option) {
  nn::Linear layer({.in_features = 3, .out_features = 2, .dtype = Dtype::float64});
  EXPECT_EQ(layer.weight.dtype(), Dtype::float64);
  EXPECT_EQ(layer.bias.dtype(), Dtype::float64);
  EXPECT_EQ(layer(randn({4, 3}, {.dtype = Dtype::float64})).dtype(), Dtype::float64);
}

TEST(Linear, StateDictRoundTrip) {
  manual_seed(3);
  nn::Linear source({.in_features = 6, .out_features = 4});
  manual_seed(4);
  nn::Linear fresh({.in_features = 6, .out_features = 4});
  testing::expect_round_trip(source, fresh, randn({5, 6}));
}

TEST(Linear, Repr) {
  nn::Linear layer({.in_features = 48, .out_features = 8});
  EXPECT_EQ(layer.extra_repr(), "in_features=48, out_features=8, bias=true");
  EXPECT_EQ(nn::to_string(layer), "Linear(in_features=48, out_features=8, bias=true)");
  nn::Linear no_bias({.in_features = 2, .out_features = 1, .bias = false});
  EXPECT_EQ(no_bias.extra_repr(), "in_features=2, out_features=1, bias=false");
}

TEST(Linear, BadOptionsAndInputs) {
  expect_error<ValueError>([] { nn::Linear({.in_features = 0, .out_features = 3}); },
                           {"Linear", "in_features", "0"});
  expect_error<ValueError>([] { nn::Linear({.in_features = 3, .out_features = -2}); },
                           {"Linear", "out_features", "-2"});
  expect_error<ValueError>(
      [] { nn::Linear({.in_features = 3, .out_features = 2, .dtype = Dtype::int64}); },
      {"Linear", "dtype", "int64"});
  nn::Linear layer({.in_features = 48, .out_features = 8});
  expect_error<ShapeError>([&] { layer(randn({2, 47})); }, {"Linear", "in_features=48", "[2, 47]"});
  expect_error<ShapeError>([&] { layer(randn({})); }, {"Linear", "[]"});
}

}  // namespace
}  // namespace cajal
