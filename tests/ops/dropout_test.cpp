// Dropout and alpha dropout: identity when not training, statistics over a big tensor with a fixed
// seed (generous bounds, many standard deviations wide), reproducibility, gradients equal to the
// mask times the scale, gradient checks with a re-seeded mask, and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

// SELU's negative saturation, scale * alpha.
constexpr double kAlpha = 1.7580993408473766;

struct Moments {
  double mean = 0, var = 0, zero_fraction = 0;
};

Moments moments(const Tensor& t) {
  std::vector<double> v = to_vector<double>(t);
  Moments m;
  for (double x : v) {
    m.mean += x;
    m.zero_fraction += x == 0;
  }
  m.mean /= v.size();
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= v.size();
  m.zero_fraction /= v.size();
  return m;
}

TEST(Dropout, NotTrainingOrZeroPIsIdentity) {
  Tensor x = randn({4, 5});
  EXPECT_TRUE(dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(dropout(x, 0.0, true).is_same(x));
  EXPECT_TRUE(alpha_dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(alpha_dropout(x, 0.0, true).is_same(x));
  // Integer tensors pass through when not training.
  Tensor i = arange(4, {.dtype = int64});
  EXPECT_TRUE(dropout(i, 0.5, false).is_same(i));
}

TEST(Dropout, KeepsMeanAndDropsFractionP) {
  manual_seed(1);
  for (double p : {0.1, 0.3, 0.5, 0.9}) {
    Tensor y = dropout(ones({1000, 1000}), p);  // 1e6 elements: sd of the mean <= 0.003
    Moments m = moments(y);
    EXPECT_NEAR(m.mean, 1.0, 0.02) << "p " << p;
    EXPECT_NEAR(m.zero_fraction, p, 0.005) << "p " << p;
    // Every kept element is scaled by exactly 1/(1-p).
    for (float v : to_vector<float>(y)) {
      if (v != 0) {
        ASSERT_FLOAT_EQ(v, static_cast<float>(1.0 / (1 - p)));
      }
    }
  }
}

TEST(Dropout, SameSeedSameMask) {
  Tensor x = randn({64, 33});
  manual_seed(7);
  Tensor a = dropout(x, 0.4);
  manual_seed(7);
  Tensor b = dropout(x, 0.4);
  Tensor c = dropout(x, 0.4);  // the generator moved on
  EXPECT_TRUE(equal(a, b));
  EXPECT_FALSE(equal(a, c));
}

TEST(Dropout, GradientIsMaskTimesScale) {
  manual_seed(3);
  Tensor x = randn({50, 40}, {.dtype = float64, .requires_grad = true});
  const double p = 0.4;
  Tensor y = dropout(x, p);
  Tensor dy = randn({50, 40}, {.dtype = float64});
  y.backward(dy);
  std::vector<double> xs = to_vector<double>(x), ys = to_vector<double>(y),
                      dys = to_vector<double>(dy), gs = to_vector<double>(x.grad());
  int dropped = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const bool kept = ys[i] != 0;  // randn has no exact zeros
    dropped += !kept;
    const double mask_scale = kept ? 1 / (1 - p) : 0;
    ASSERT_DOUBLE_EQ(ys[i], xs[i] * mask_scale) << i;
    ASSERT_DOUBLE_EQ(gs[i], dys[i] * mask_scale) << i;
  }
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 2000);
}

TEST(Dropout, Gradcheck) {
  Tensor x = randn({6, 7}, {.dtype = float64, .requires_grad = true});
  for (auto* f : {&dropout, &alpha_dropout}) {
    // Re-seeding inside the function gives every evaluation the same mask.
    auto fn = [f](const std::vector<Tensor>& v) {
      manual_seed(99);
      return f(v[0], 0.3, true);
    };
    // (Linear in x, so there is no second order to check.)
    auto r = autograd::gradcheck(fn, {x});
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(Dropout, PEqualsOneGivesZerosAndZeroGradient) {
  for (auto* f : {&dropout, &alpha_dropout}) {
    Tensor x = randn({3, 4}, {.dtype = float64, .requires_grad = true});
    Tensor y = f(x, 1.0, true);
    EXPECT_TRUE(equal(y, zeros({3, 4}, {.dtype = float64})));
    sum(y).backward();
    EXPECT_TRUE(equal(x.grad(), zeros({3, 4}, {.dtype = float64})));
  }
}

TEST(Dropout, KeepsDtypeAndShape) {
  for (Dtype dtype : {float32, float64}) {
    Tensor x = randn({2, 3, 5}, {.dtype = dtype});
    EXPECT_EQ(dropout(x, 0.2).dtype(), dtype);
    EXPECT_EQ(dropout(x, 0.2).shape(), x.shape());
    EXPECT_EQ(alpha_dropout(x, 0.2).dtype(), dtype);
  }
  // Non-contiguous input.
  Tensor t = randn({8, 6}).transpose(0, 1);
  Tensor y = dropout(t, 0.5);
  std::vector<float> ts = to_vector<float>(t), ys = to_vector<float>(y);
  for (size_t i = 0; i < ts.size(); ++i) {
    if (ys[i] != 0) {
      ASSERT_FLOAT_EQ(ys[i], ts[i] * 2);
    }
  }
}

TEST(AlphaDropout, KeepsStandardNormalMeanAndVariance) {
  manual_seed(5);
  for (double p : {0.1, 0.2, 0.5}) {
    Tensor x = randn({1000, 1000});
    Moments in = moments(x), out = moments(alpha_dropout(x, p));
    // The correction preserves the input's moments; compare with the input's sample moments.
    EXPECT_NEAR(out.mean, in.mean, 0.01) << "p " << p;
    EXPECT_NEAR(out.var, in.var, 0.02) << "p " << p;
    EXPECT_NEAR(out.mean, 0.0, 0.02) << "p " << p;
    EXPECT_NEAR(out.var, 1.0, 0.03) << "p " << p;
  }
}

TEST(AlphaDropout, DroppedValueAndGradientFollowThePaper) {
  manual_seed(8);
  const double p = 0.25;
  const double a = 1 / std::sqrt((1 - p) * (1 + p * kAlpha * kAlpha));
  const double b = a * kAlpha * p;
  Tensor x = randn({40, 30}, {.dtype = float64, .requires_grad = true});
  Tensor y = alpha_dropout(x, p);
  sum(y).backward();
  std::vector<double> xs = to_vector<double>(x), ys = to_vector<double>(y),
                      gs = to_vector<double>(x.grad());
  int dropped = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (gs[i] == 0) {
      ++dropped;
      ASSERT_NEAR(ys[i], -a * kAlpha * (1 - p), 1e-12) << i;  // a * (-alpha') + b
    } else {
      ASSERT_NEAR(gs[i], a, 1e-15) << i;
      ASSERT_NEAR(ys[i], a * xs[i] + b, 1e-12) << i;
    }
  }
  EXPECT_GT(dropped, 150);  // ~300 expected of 1200
  EXPECT_LT(dropped, 450);
}

TEST(Dropout, Errors) {
  Tensor x = zeros({2, 2});
  EXPECT_THROW_WITH(dropout(x, 1.5), ValueError, "dropout", "between 0 and 1", "1.5");
  EXPECT_THROW_WITH(dropout(x, -0.1), ValueError, "dropout", "-0.1");
  EXPECT_THROW_WITH(dropout(x, NAN), ValueError, "dropout");
  // An invalid p is refused even when not training.
  EXPECT_THROW_WITH(dropout(x, 2.0, false), ValueError, "dropout");
  EXPECT_THROW_WITH(alpha_dropout(x, -0.5), ValueError, "alpha_dropout", "-0.5");
  EXPECT_THROW_WITH(dropout(arange(4, {.dtype = int64}), 0.5), ValueError, "dropout", "int64");
}

}  // namespace
}  // namespace cajal
