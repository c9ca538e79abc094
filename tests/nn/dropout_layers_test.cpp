// nn::Dropout and nn::AlphaDropout: training statistics, evaluation identity, seeding, gradients
// (the mask is reused by backward), printing and option errors. PyTorch's random masks cannot be
// reproduced, so the checks are against the definitions instead of golden values.
#include "cajal/nn/dropout.h"

#include <gtest/gtest.h>

#include <cmath>

#include "layer_testing.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;

TEST(Dropout, TrainingZeroesAFractionPAndScalesTheRest) {
  manual_seed(41);
  nn::Dropout dropout({.p = 0.3});
  EXPECT_TRUE(dropout.is_training());
  Tensor x = full({200, 500}, 2.0);
  std::vector<double> y = to_vector<double>(dropout(x));
  int64_t zeros = 0;
  for (double v : y) {
    if (v == 0) {
      ++zeros;
    } else {
      EXPECT_NEAR(v, 2.0 / 0.7, 1e-6);
    }
  }
  // 100000 Bernoulli(0.3) draws: the standard error of the fraction is 0.0014.
  EXPECT_NEAR(static_cast<double>(zeros) / static_cast<double>(y.size()), 0.3, 0.01);
}

TEST(Dropout, EvalIsIdentity) {
  nn::Dropout dropout({.p = 0.9});
  dropout.eval();
  Tensor x = randn({10, 10});
  EXPECT_TRUE(dropout(x).is_same(x) || equal(dropout(x), x));
  nn::AlphaDropout alpha({.p = 0.9});
  alpha.eval();
  EXPECT_TRUE(equal(alpha(x), x));
  // Back to training mode: active again.
  dropout.train();
  EXPECT_FALSE(equal(dropout(x), x));
}

TEST(Dropout, EdgeProbabilities) {
  Tensor x = randn({50});
  nn::Dropout none({.p = 0.0});
  EXPECT_TRUE(equal(none(x), x));
  nn::Dropout all({.p = 1.0});
  EXPECT_TRUE(equal(all(x), zeros({50})));
}

TEST(Dropout, SeedingReproducesTheMask) {
  nn::Dropout dropout;
  Tensor x = randn({30, 30});
  manual_seed(5);
  Tensor a = dropout(x);
  manual_seed(5);
  Tensor b = dropout(x);
  EXPECT_TRUE(equal(a, b));
}

TEST(Dropout, GradientUsesTheSameMask) {
  manual_seed(42);
  nn::Dropout dropout({.p = 0.4});
  Tensor x = randn({40, 40}, {.dtype = Dtype::float64, .requires_grad = true});
  Tensor y = dropout(x);
  y.sum().backward();
  // dy/dx is the mask scaled by 1 / (1 - p): y = x * grad elementwise.
  EXPECT_TRUE(allclose(y, x.detach() * x.grad(), 1e-12, 1e-12));
  // In eval mode the module is the identity, so a gradient check applies directly (clone():
  // gradcheck reads its perturbed outputs after restoring the input, which the input itself
  // would not survive).
  dropout.eval();
  auto result =
      autograd::gradcheck([&](const std::vector<Tensor>& in) { return dropout(in[0]).clone(); },
                          {randn({3, 4}, {.dtype = Dtype::float64, .requires_grad = true})});
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(AlphaDropout, KeepsZeroMeanAndUnitVariance) {
  manual_seed(43);
  nn::AlphaDropout dropout({.p = 0.2});
  Tensor x = randn({400, 500}, {.dtype = Dtype::float64});
  std::vector<double> y = to_vector<double>(dropout(x));
  double mean = 0, squares = 0;
  for (double v : y) mean += v;
  mean /= static_cast<double>(y.size());
  for (double v : y) squares += (v - mean) * (v - mean);
  double std = std::sqrt(squares / static_cast<double>(y.size()));
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(std, 1.0, 0.01);
  // Dropped units all take one value, a (-alpha') + b = -a alpha' (1 - p).
  const double alpha = 1.7580993408473766, p = 0.2;
  const double a = 1.0 / std::sqrt((alpha * alpha * p + 1) * (1 - p));
  const double dropped = -a * alpha * (1 - p);
  int64_t count = 0;
  for (double v : y) count += std::abs(v - dropped) < 1e-12 ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(count) / static_cast<double>(y.size()), p, 0.01);
}

TEST(AlphaDropout, Gradient) {
  manual_seed(44);
  nn::AlphaDropout dropout({.p = 0.5});
  Tensor x = randn({20, 20}, {.dtype = Dtype::float64, .requires_grad = true});
  Tensor y = dropout(x);
  y.sum().backward();
  // y = a * mask * x + shift: the gradient is a on kept units and 0 on dropped ones.
  const double alpha = 1.7580993408473766;
  const double a = 1.0 / std::sqrt((alpha * alpha * 0.5 + 1) * 0.5);
  for (double g : to_vector<double>(x.grad())) EXPECT_TRUE(g == 0 || std::abs(g - a) < 1e-12);
}

TEST(Dropout, NoParametersAndRepr) {
  nn::Dropout dropout({.p = 0.25});
  EXPECT_EQ(nn::count_parameters(dropout), 0);
  EXPECT_TRUE(dropout.state_dict().empty());
  EXPECT_EQ(nn::to_string(dropout), "Dropout(p=0.25)");
  EXPECT_EQ(nn::to_string(nn::AlphaDropout()), "AlphaDropout(p=0.5)");
}

TEST(Dropout, BadProbabilityNamesTheValue) {
  expect_error<ValueError>([] { nn::Dropout({.p = 1.5}); }, {"Dropout", "p", "[0, 1]", "1.5"});
  expect_error<ValueError>([] { nn::Dropout({.p = -0.1}); }, {"Dropout", "-0.1"});
  expect_error<ValueError>([] { nn::Dropout({.p = std::nan("")}); }, {"Dropout", "nan"});
  expect_error<ValueError>([] { nn::AlphaDropout({.p = 2}); }, {"AlphaDropout", "p", "2"});
  nn::Dropout dropout;
  expect_error<ValueError>([&] { dropout(zeros({3}, {.dtype = Dtype::int64})); },
                           {"Dropout", "floating-point", "int64"});
}

}  // namespace
}  // namespace cajal
