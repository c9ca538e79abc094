// nn::init: the distribution each initializer draws from (sample statistics on large tensors),
// fans, gains, orthogonality, truncation bounds, seeding and error messages.
#include "cajal/nn/init.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/linalg.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

namespace init = nn::init;
using testing::expect_error;

struct Stats {
  double mean = 0;
  double std = 0;  // unbiased sample standard deviation
  double min = INFINITY;
  double max = -INFINITY;
};

Stats stats(const Tensor& t) {
  std::vector<double> v = to_vector<double>(t);
  Stats s;
  for (double x : v) {
    s.mean += x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean /= static_cast<double>(v.size());
  double squares = 0;
  for (double x : v) squares += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(squares / static_cast<double>(v.size() - 1));
  return s;
}

Tensor big(const Shape& shape = {400, 500}) { return empty(shape, Dtype::float64); }

// The sample std is within 3% of `expected` and the mean within 3% of it of zero (or `mean`).
void expect_spread(const Tensor& t, double expected_std, double expected_mean = 0) {
  Stats s = stats(t);
  EXPECT_NEAR(s.std, expected_std, 0.03 * expected_std);
  EXPECT_NEAR(s.mean, expected_mean, 0.03 * expected_std);
}

// U(-bound, bound): inside the bounds, reaching close to both, with std bound / sqrt(3).
void expect_uniform(const Tensor& t, double bound) {
  Stats s = stats(t);
  EXPECT_GE(s.min, -bound);
  EXPECT_LE(s.max, bound);
  EXPECT_LT(s.min, -0.99 * bound);
  EXPECT_GT(s.max, 0.99 * bound);
  expect_spread(t, bound / std::sqrt(3.0));
}

double density(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi); }
double cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }
double upper(double x) { return 0.5 * std::erfc(x / std::numbers::sqrt2); }

TEST(Init, CalculateGainMatchesPyTorch) {
  // torch.nn.init.calculate_gain values.
  EXPECT_DOUBLE_EQ(init::calculate_gain("linear"), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("conv1d"), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("conv2d"), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("conv_transpose2d"), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("sigmoid"), 1.0);
  EXPECT_NEAR(init::calculate_gain("tanh"), 1.6666666666666667, 1e-15);
  EXPECT_NEAR(init::calculate_gain("relu"), 1.4142135623730951, 1e-15);
  EXPECT_NEAR(init::calculate_gain("leaky_relu"), 1.4141428569978354, 1e-15);
  EXPECT_NEAR(init::calculate_gain("leaky_relu", 0.2), 1.386750490563073, 1e-15);
  EXPECT_NEAR(init::calculate_gain("leaky_relu", std::sqrt(5.0)), 0.5773502691896257, 1e-15);
  EXPECT_DOUBLE_EQ(init::calculate_gain("selu"), 0.75);
  expect_error<ValueError>([] { init::calculate_gain("swish"); }, {"calculate_gain", "'swish'"});
}

TEST(Init, FansFollowPyTorch) {
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(empty({8, 48})),
            std::make_pair(int64_t{48}, int64_t{8}));
  // Conv2d weight [out, in, kh, kw]: fans include the receptive field.
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(empty({10, 3, 5, 5})),
            std::make_pair(int64_t{75}, int64_t{250}));
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(empty({4, 3, 2})),
            std::make_pair(int64_t{6}, int64_t{8}));
  expect_error<ValueError>([] { init::calculate_fan_in_and_fan_out(empty({5})); },
                           {"at least 2 dimensions", "[5]"});
}

TEST(Init, UniformAndNormal) {
  manual_seed(1);
  Tensor t = big();
  init::uniform_(t, -1.0, 3.0);
  Stats s = stats(t);
  EXPECT_GE(s.min, -1.0);
  EXPECT_LT(s.max, 3.0);
  EXPECT_NEAR(s.mean, 1.0, 0.03);
  EXPECT_NEAR(s.std, 4.0 / std::sqrt(12.0), 0.03 * 4.0 / std::sqrt(12.0));

  init::normal_(t, 2.0, 0.5);
  expect_spread(t, 0.5, 2.0);

  Tensor f = empty({300, 300});  // float32 target
  init::normal_(f, 0.0, 3.0);
  EXPECT_EQ(f.dtype(), Dtype::float32);
  expect_spread(f, 3.0);
}

TEST(Init, ConstantZerosOnes) {
  Tensor t = empty({3, 4});
  EXPECT_TRUE(equal(init::constant_(t, 2.5), full({3, 4}, 2.5)));
  EXPECT_TRUE(equal(init::zeros_(t), zeros({3, 4})));
  EXPECT_TRUE(equal(init::ones_(t), ones({3, 4})));
  Tensor integers = empty({2}, Dtype::int64);
  init::constant_(integers, 7);
  EXPECT_EQ(to_vector<int64_t>(integers), (std::vector<int64_t>{7, 7}));
}

TEST(Init, FillsNonContiguousViewsAndParameters) {
  Tensor base = zeros({4, 6});
  Tensor view = base.t();  // [6, 4], column-major
  init::ones_(view);
  EXPECT_TRUE(equal(base, ones({4, 6})));
  manual_seed(3);
  init::normal_(view);
  Tensor expected = empty({6, 4});
  manual_seed(3);
  init::normal_(expected);
  EXPECT_TRUE(equal(view, expected));  // the same values land at the same logical indices

  // A parameter (requires grad) is filled without recording a graph.
  Tensor parameter = zeros({5, 5}).requires_grad_(true);
  init::kaiming_uniform_(parameter);
  EXPECT_TRUE(parameter.is_leaf());
  EXPECT_TRUE(parameter.requires_grad());
  EXPECT_EQ(parameter.grad_fn(), nullptr);
}

TEST(Init, TruncNormalRespectsBoundsAndMoments) {
  // Intervals exercising every sampling path: the bulk, narrow windows on either side of zero,
  // the near tail and a far tail where plain rejection would never finish.
  struct Interval {
    double low, high;
  };
  const Interval intervals[] = {{-2, 2},  {-0.1, 0.1}, {0.5, 0.6}, {1.0, 4.0}, {3, 3.5},
                                {10, 11}, {-11, -10},  {-1, 30},   {6, 1000},  {-50, 0.5}};
  manual_seed(4);
  for (const Interval& interval : intervals) {
    const double a = interval.low, b = interval.high;
    const double mean = 3.0, std = 2.0;  // standardized interval [a, b]
    Tensor t = empty({200000}, Dtype::float64);
    init::trunc_normal_(t, mean, std, mean + std * a, mean + std * b);
    Stats s = stats(t);
    EXPECT_GE(s.min, mean + std * a);
    EXPECT_LE(s.max, mean + std * b);
    // Moments of the truncated normal (Johnson, Kotz & Balakrishnan).
    double mass = a >= 0 ? upper(a) - upper(b) : cdf(b) - cdf(a);
    double z_mean = (density(a) - density(b)) / mass;
    double z_var = 1 + (a * density(a) - b * density(b)) / mass - z_mean * z_mean;
    double expected_std = std * std::sqrt(z_var);
    EXPECT_NEAR(s.mean, mean + std * z_mean, 0.03 * expected_std) << "[" << a << ", " << b << "]";
    EXPECT_NEAR(s.std, expected_std, 0.03 * expected_std) << "[" << a << ", " << b << "]";
  }
  expect_error<ValueError>([] { init::trunc_normal_(empty({3}), 0, 1, 2, 1); },
                           {"trunc_normal_", "low=2", "high=1"});
  expect_error<ValueError>([] { init::trunc_normal_(empty({3}), 0, 0); },
                           {"trunc_normal_", "std=0"});
}

TEST(Init, Xavier) {
  manual_seed(5);
  Tensor t = big({300, 700});  // fan_in 700, fan_out 300
  init::xavier_uniform_(t);
  expect_uniform(t, std::sqrt(6.0 / 1000.0));
  init::xavier_uniform_(t, 2.0);
  expect_uniform(t, 2.0 * std::sqrt(6.0 / 1000.0));
  init::xavier_normal_(t);
  expect_spread(t, std::sqrt(2.0 / 1000.0));
  init::xavier_normal_(t, init::calculate_gain("tanh"));
  expect_spread(t, 5.0 / 3.0 * std::sqrt(2.0 / 1000.0));
}

TEST(Init, Kaiming) {
  manual_seed(6);
  Tensor conv = big({64, 32, 5, 5});  // fan_in 800, fan_out 1600
  init::kaiming_normal_(conv);        // leaky_relu with slope 0: gain sqrt(2)
  expect_spread(conv, std::sqrt(2.0 / 800.0));
  init::kaiming_normal_(conv, {.mode = init::FanMode::fan_out, .nonlinearity = "relu"});
  expect_spread(conv, std::sqrt(2.0 / 1600.0));
  init::kaiming_uniform_(conv);
  expect_uniform(conv, std::sqrt(6.0 / 800.0));
  init::kaiming_uniform_(conv, {.mode = init::FanMode::fan_out, .nonlinearity = "tanh"});
  expect_uniform(conv, 5.0 / 3.0 * std::sqrt(3.0 / 1600.0));
  // PyTorch's Linear/Conv default: a = sqrt(5) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  init::kaiming_uniform_(conv, {.a = std::sqrt(5.0)});
  expect_uniform(conv, 1.0 / std::sqrt(800.0));
  init::kaiming_normal_(conv, {.a = 0.2, .nonlinearity = "leaky_relu"});
  expect_spread(conv, std::sqrt(2.0 / 1.04) / std::sqrt(800.0));
  expect_error<ValueError>([&] { init::kaiming_normal_(conv, {.nonlinearity = "gelu"}); },
                           {"'gelu'"});
}

TEST(Init, LeCun) {
  manual_seed(7);
  Tensor t = big({500, 400});  // fan_in 400
  init::lecun_uniform_(t);
  expect_uniform(t, std::sqrt(3.0 / 400.0));
  init::lecun_normal_(t);
  const double target = std::sqrt(1.0 / 400.0);
  expect_spread(t, target);
  // Truncated at two standard deviations of the untruncated normal, target / 0.8796.
  Stats s = stats(t);
  const double bound = 2 * target / 0.87962566103423978;
  EXPECT_GE(s.min, -bound);
  EXPECT_LE(s.max, bound);
  EXPECT_LT(s.min, -0.98 * bound);
  EXPECT_GT(s.max, 0.98 * bound);
}

// gain^2 * I == Q^T Q (tall) or Q Q^T (wide), for the tensor seen as [rows, numel / rows].
void expect_orthogonal(const Shape& shape, double gain, Dtype dtype, double tolerance) {
  Tensor t = empty(shape, dtype);
  init::orthogonal_(t, gain);
  const int64_t rows = shape[0];
  Tensor m = t.reshape({rows, -1}).to(Dtype::float64);
  const int64_t cols = m.size(1);
  Tensor gram = rows >= cols ? matmul(m.t(), m) : matmul(m, m.t());
  Tensor identity = eye(std::min(rows, cols), std::nullopt, {.dtype = Dtype::float64});
  EXPECT_TRUE(allclose(gram, identity * (gain * gain), 0, tolerance))
      << "shape " << shape_string(shape) << " gain " << gain;
}

TEST(Init, OrthogonalSquareTallWide) {
  manual_seed(8);
  expect_orthogonal({64, 64}, 1.0, Dtype::float64, 1e-12);
  expect_orthogonal({100, 30}, 1.0, Dtype::float64, 1e-12);
  expect_orthogonal({30, 100}, 2.0, Dtype::float64, 1e-12);
  expect_orthogonal({16, 4, 3, 3}, 1.0, Dtype::float64, 1e-12);  // [16, 36], wide
  expect_orthogonal({1, 5}, 1.0, Dtype::float64, 1e-12);
  expect_orthogonal({200, 200}, init::calculate_gain("relu"), Dtype::float32, 1e-5);
  // Haar-distributed: entries of a random n x n orthogonal matrix have variance 1/n.
  Tensor q = empty({200, 200}, Dtype::float64);
  init::orthogonal_(q);
  expect_spread(q, std::sqrt(1.0 / 200.0));
  expect_error<ValueError>([] { init::orthogonal_(empty({5})); }, {"orthogonal_", "[5]"});
}

using Fill = Tensor (*)(const Tensor&);

// The initializers that need fan_in / fan_out, with their default options.
const std::vector<Fill>& fan_based_fills() {
  static const std::vector<Fill> fills = {
      [](const Tensor& t) { return init::xavier_uniform_(t); },
      [](const Tensor& t) { return init::xavier_normal_(t); },
      [](const Tensor& t) { return init::kaiming_uniform_(t); },
      [](const Tensor& t) { return init::kaiming_normal_(t); },
      [](const Tensor& t) { return init::lecun_uniform_(t); },
      [](const Tensor& t) { return init::lecun_normal_(t); },
  };
  return fills;
}

TEST(Init, SeedingReproduces) {
  std::vector<Fill> fills = {
      [](const Tensor& t) { return init::uniform_(t); },
      [](const Tensor& t) { return init::normal_(t); },
      [](const Tensor& t) { return init::trunc_normal_(t); },
  };
  fills.insert(fills.end(), fan_based_fills().begin(), fan_based_fills().end());
  fills.push_back([](const Tensor& t) { return init::orthogonal_(t); });
  for (Fill fill : fills) {
    Tensor a = empty({6, 9}), b = empty({6, 9}), c = empty({6, 9});
    manual_seed(42);
    fill(a);
    manual_seed(42);
    fill(b);
    manual_seed(43);
    fill(c);
    EXPECT_TRUE(equal(a, b));
    EXPECT_FALSE(equal(a, c));
  }
}

TEST(Init, FanBasedInitializersRejectOneDimensionalTensors) {
  for (Fill fill : fan_based_fills()) {
    expect_error<ValueError>([&] { fill(empty({7})); }, {"at least 2 dimensions", "[7]"});
    expect_error<ValueError>([&] { fill(empty({})); }, {"at least 2 dimensions", "[]"});
  }
}

TEST(Init, EmptyTensorsAreLeftAlone) {
  Tensor t = empty({0, 4});
  EXPECT_NO_THROW(init::kaiming_uniform_(t));
  EXPECT_NO_THROW(init::xavier_normal_(t));
  EXPECT_NO_THROW(init::orthogonal_(t));
  EXPECT_NO_THROW(init::normal_(t));
}

TEST(Init, BadArgumentsNameTheValues) {
  expect_error<ValueError>([] { init::uniform_(empty({3}), 2.0, 1.0); },
                           {"uniform_", "low=2", "high=1"});
  expect_error<ValueError>([] { init::normal_(empty({3}), 0.0, -1.0); }, {"normal_", "std=-1"});
  expect_error<ValueError>([] { init::normal_(empty({3}, Dtype::int64)); },
                           {"normal_", "floating-point", "int64"});
  expect_error<ValueError>([] { init::xavier_uniform_(Tensor()); },
                           {"xavier_uniform_", "undefined"});
}

}  // namespace
}  // namespace cajal
