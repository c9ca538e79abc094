// Gradient clipping against PyTorch (tools/golden/clip_grad.py): the clipped gradients and the
// returned total norm for the 2-, 1-, 3- and infinity norms, in float32 and float64; parameters
// without a gradient are skipped; non-finite totals; option errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/clip_grad.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::GoldenCase;
using testing::tensors_close;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Fresh parameters whose gradients are the case's inputs.
std::vector<Tensor> parameters_with(const std::vector<Tensor>& grads) {
  std::vector<Tensor> params;
  for (const Tensor& g : grads) {
    Tensor p = zeros_like(g).requires_grad_(true);
    p.set_grad(g.clone());
    params.push_back(p);
  }
  return params;
}

double tolerance(const Tensor& t) { return t.dtype() == Dtype::float64 ? 1e-12 : 1e-6; }

TEST(ClipGrad, MatchesPyTorch) {
  auto cases = testing::load_golden("clip_grad");
  ASSERT_GE(cases.size(), 20u);
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE(name);
    std::vector<Tensor> params = parameters_with(c.inputs);
    size_t first_grad = 0;
    if (c.text("op") == "clip_grad_norm_") {
      std::string p = c.text("norm_type");
      double norm_type = p == "inf" ? kInf : std::stod(p);
      Tensor total = nn::clip_grad_norm_(params, c.param("max_norm"), norm_type);
      EXPECT_EQ(total.dim(), 0);
      EXPECT_EQ(total.dtype(), c.outputs[0].dtype());
      EXPECT_TRUE(tensors_close(total, c.outputs[0], tolerance(total), 0));
      first_grad = 1;
    } else {
      nn::clip_grad_value_(params, c.param("clip_value"));
    }
    ASSERT_EQ(c.outputs.size(), params.size() + first_grad);
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor expected = c.outputs[first_grad + i];
      double rtol = tolerance(expected);
      EXPECT_TRUE(tensors_close(params[i].grad(), expected, rtol, rtol)) << "gradient " << i;
    }
  }
}

TEST(ClipGrad, NormIsTheNormOfAllGradientsConcatenated) {
  manual_seed(3);
  std::vector<Tensor> grads = {randn({5, 4}, {.dtype = Dtype::float64}),
                               randn({7}, {.dtype = Dtype::float64})};
  std::vector<Tensor> params = parameters_with(grads);
  Tensor all = cat({grads[0].reshape({-1}), grads[1]});
  for (double p : {1.0, 2.0, 2.5, kInf}) {
    std::vector<Tensor> fresh = parameters_with(grads);
    double expected = norm(all, p).item();
    double total = nn::clip_grad_norm_(fresh, 0.5, p).item();
    EXPECT_NEAR(total, expected, 1e-12 * expected) << "p " << p;
    // After clipping, the norm is max_norm (up to the 1e-6 guard).
    Tensor clipped = cat({fresh[0].grad().reshape({-1}), fresh[1].grad()});
    EXPECT_NEAR(norm(clipped, p).item(), 0.5 * expected / (expected + 1e-6), 1e-12) << "p " << p;
  }
}

TEST(ClipGrad, SkipsParametersWithoutGradient) {
  Tensor a = zeros({3}).requires_grad_(true);
  Tensor b = zeros({2}).requires_grad_(true);  // no gradient
  a.set_grad(tensor({3.0, 0.0, 4.0}));
  Tensor total = nn::clip_grad_norm_({a, b, Tensor()}, 1.0);
  EXPECT_NEAR(total.item(), 5.0, 1e-6);
  EXPECT_FALSE(b.grad().defined());
  EXPECT_TRUE(tensors_close(a.grad(), tensor({0.6, 0.0, 0.8}), 1e-6, 1e-6));
  nn::clip_grad_value_({a, b}, 0.7);
  EXPECT_FALSE(b.grad().defined());
  EXPECT_TRUE(tensors_close(a.grad(), tensor({0.6, 0.0, 0.7}), 1e-6, 1e-6));
}

TEST(ClipGrad, NoGradientsGivesZero) {
  Tensor a = zeros({3}).requires_grad_(true);
  Tensor total = nn::clip_grad_norm_({a}, 1.0);
  EXPECT_EQ(total.dim(), 0);
  EXPECT_EQ(total.item(), 0.0);
  EXPECT_EQ(nn::clip_grad_norm_({}, 1.0).item(), 0.0);
}

TEST(ClipGrad, WithinTheBoundLeavesGradientsBitForBit) {
  manual_seed(5);
  Tensor a = zeros({10}).requires_grad_(true);
  Tensor g = randn({10});
  a.set_grad(g.clone());
  nn::clip_grad_norm_({a}, 1e6);
  EXPECT_TRUE(equal(a.grad(), g));
}

TEST(ClipGrad, MixedDtypesReturnFloat64) {
  Tensor a = zeros({2}).requires_grad_(true);
  Tensor b = zeros({1}, {.dtype = Dtype::float64}).requires_grad_(true);
  a.set_grad(tensor({3.0, 0.0}));
  b.set_grad(tensor({4.0}, {.dtype = Dtype::float64}));
  Tensor total = nn::clip_grad_norm_({a, b}, 1.0);
  EXPECT_EQ(total.dtype(), Dtype::float64);
  EXPECT_NEAR(total.item(), 5.0, 1e-12);
  EXPECT_EQ(a.grad().dtype(), Dtype::float32);
  EXPECT_NEAR(a.grad().at<float>({0}), 0.6, 1e-6);
  EXPECT_NEAR(b.grad().at<double>({0}), 0.8, 1e-6);
}

TEST(ClipGrad, ClipsGradientsAfterBackward) {
  // The usual place: between backward() and step().
  Tensor w = tensor({1.0, 2.0}).requires_grad_(true);
  (w * 10.0).sum().backward();  // grad [10, 10], norm 14.14
  Tensor total = nn::clip_grad_norm_({w}, 1.0);
  EXPECT_NEAR(total.item(), std::sqrt(200.0), 1e-5);
  EXPECT_NEAR(norm(w.grad()).item(), 1.0, 1e-5);
}

TEST(ClipGrad, NonFiniteTotal) {
  Tensor a = zeros({2}).requires_grad_(true);
  a.set_grad(tensor({std::nan(""), 1.0}));
  EXPECT_THROW_WITH(nn::clip_grad_norm_({a}, 1.0, 2.0, true), ValueError, "clip_grad_norm_",
                    "non-finite", "nan", "error_if_nonfinite");
  EXPECT_TRUE(std::isnan(a.grad().at<float>({0})));  // left as it was
  EXPECT_EQ(a.grad().at<float>({1}), 1.0f);
  Tensor total = nn::clip_grad_norm_({a}, 1.0);  // as PyTorch: scaled by NaN
  EXPECT_TRUE(std::isnan(total.item()));
  EXPECT_TRUE(std::isnan(a.grad().at<float>({1})));

  Tensor b = zeros({2}).requires_grad_(true);
  b.set_grad(tensor({kInf, 1.0}));
  EXPECT_THROW_WITH(nn::clip_grad_norm_({b}, 1.0, kInf, true), ValueError, "of order inf", "inf");
}

TEST(ClipGrad, BadOptions) {
  Tensor a = zeros({2}).requires_grad_(true);
  a.set_grad(ones({2}));
  EXPECT_THROW_WITH(nn::clip_grad_norm_({a}, -1.0), ValueError, "clip_grad_norm_", "max_norm",
                    "-1");
  EXPECT_THROW_WITH(nn::clip_grad_norm_({a}, 1.0, 0.0), ValueError, "clip_grad_norm_", "norm_type",
                    "0");
  EXPECT_THROW_WITH(nn::clip_grad_norm_({a}, 1.0, std::nan("")), ValueError, "norm_type", "nan");
  EXPECT_THROW_WITH(nn::clip_grad_value_({a}, -0.5), ValueError, "clip_grad_value_", "clip_value",
                    "-0.5");
  EXPECT_TRUE(equal(a.grad(), ones({2})));
}

}  // namespace
}  // namespace cajal
