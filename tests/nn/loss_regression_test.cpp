// Regression losses: PyTorch golden values for mse, l1, huber and smooth_l1 (every reduction,
// forward and gradients); the formulas written out for quantile (pinball) and log-cosh, which
// PyTorch lacks; gradient checks; module forms; errors.
#include <gtest/gtest.h>

#include "loss_support.h"

namespace cajal {
namespace {

Tensor apply_golden(const GoldenCase& c, const std::vector<Tensor>& v) {
  const std::string op = c.text("op");
  const Reduction r = testing::reduction_of(c);
  if (op == "mse_loss") return F::mse_loss(v[0], v[1], {.reduction = r});
  if (op == "l1_loss") return F::l1_loss(v[0], v[1], {.reduction = r});
  if (op == "huber_loss") {
    return F::huber_loss(v[0], v[1], {.delta = testing::param_or(c, "delta", 1.0), .reduction = r});
  }
  if (op == "smooth_l1_loss") {
    return F::smooth_l1_loss(v[0], v[1],
                             {.beta = testing::param_or(c, "beta", 1.0), .reduction = r});
  }
  ADD_FAILURE() << c.name << ": unknown op " << op;
  return v[0];
}

TEST(RegressionLossGolden, MatchesPyTorch) {
  testing::check_family("losses_regression", apply_golden, 39);
}

Tensor values(std::initializer_list<double> list) { return tensor(list, {.dtype = float64}); }

TEST(QuantileLoss, HandComputedCase) {
  // e = target - input = [1, 0, -2, 0.5]; q = 0.3: [0.3, 0, 1.4, 0.15].
  Tensor input = values({1, 2, 3, 0.5}), target = values({2, 2, 1, 1});
  Tensor each = F::quantile_loss(input, target, {.quantile = 0.3, .reduction = Reduction::none});
  EXPECT_TRUE(testing::tensors_close(each, values({0.3, 0, 1.4, 0.15}), 1e-12, 1e-15));
  EXPECT_NEAR(F::quantile_loss(input, target, {.quantile = 0.3}).item(), 1.85 / 4, 1e-15);
  EXPECT_NEAR(
      F::quantile_loss(input, target, {.quantile = 0.3, .reduction = Reduction::sum}).item(), 1.85,
      1e-15);
}

TEST(QuantileLoss, FormulaOnRandomDataAndMedianIsHalfL1) {
  manual_seed(3);
  Tensor input = randn({5, 4}, {.dtype = float64}), target = randn({5, 4}, {.dtype = float64});
  for (double q : {0.1, 0.5, 0.9}) {
    std::vector<double> x = to_vector<double>(input), t = to_vector<double>(target), expected;
    for (size_t i = 0; i < x.size(); ++i) {
      const double e = t[i] - x[i];
      expected.push_back(std::max(q * e, (q - 1) * e));
    }
    Tensor each = F::quantile_loss(input, target, {.quantile = q, .reduction = Reduction::none});
    EXPECT_TRUE(testing::tensors_close(each, from_vector(expected, {5, 4}), 1e-14, 1e-15));
  }
  EXPECT_NEAR(F::quantile_loss(input, target, {.quantile = 0.5}).item(),
              0.5 * F::l1_loss(input, target).item(), 1e-14);
}

TEST(QuantileLoss, GradientIsQuantileWeightedSign) {
  // d/d input of max(q e, (q - 1) e) with e = target - input: -q where under-predicting, 1 - q
  // where over-predicting.
  Tensor input = leaf(values({0.0, 3.0})), target = values({1.0, 1.0});
  F::quantile_loss(input, target, {.quantile = 0.8, .reduction = Reduction::sum}).backward();
  EXPECT_TRUE(testing::tensors_close(input.grad(), values({-0.8, 0.2}), 1e-15, 1e-15));
}

TEST(LogCoshLoss, FormulaAndLargeDifferences) {
  Tensor input = values({0.0, 0.5, -2.0, 3.0, 30.0}), target = values({0.0, 0.0, 1.0, -1.0, 0.0});
  std::vector<double> expected;
  for (double d : {0.0, 0.5, -3.0, 4.0, 30.0}) expected.push_back(std::log(std::cosh(d)));
  Tensor each = F::log_cosh_loss(input, target, {.reduction = Reduction::none});
  EXPECT_TRUE(testing::tensors_close(each, from_vector(expected), 1e-14, 1e-15));
  // cosh(1000) overflows double; the stable form gives |d| - log 2 with gradient tanh(d) = +-1.
  Tensor big = leaf(values({1000.0, -1000.0, 800.0}));
  Tensor loss =
      F::log_cosh_loss(big, zeros({3}, {.dtype = float64}), {.reduction = Reduction::none});
  EXPECT_TRUE(testing::tensors_close(
      loss, values({1000.0 - std::log(2.0), 1000.0 - std::log(2.0), 800.0 - std::log(2.0)}), 1e-15,
      0));
  loss.sum().backward();
  EXPECT_TRUE(testing::tensors_close(big.grad(), values({1.0, -1.0, 1.0}), 0, 0));
  // Float32 too.
  Tensor big32 = tensor({100.0, -100.0});
  EXPECT_TRUE(isfinite(F::log_cosh_loss(big32, zeros({2}))).item<bool>());
}

TEST(LogCoshLoss, GradientIsTanh) {
  manual_seed(4);
  Tensor input = leaf(randn({3, 4}, {.dtype = float64})),
         target = randn({3, 4}, {.dtype = float64});
  F::log_cosh_loss(input, target, {.reduction = Reduction::sum}).backward();
  EXPECT_TRUE(testing::tensors_close(input.grad(), tanh(input.detach() - target), 1e-14, 1e-15));
}

TEST(RegressionLossGradcheck, EveryLossAndReduction) {
  manual_seed(5);
  Tensor input = leaf(randn({3, 4}) * 2.0), target = leaf(randn({3, 4}) * 2.0);
  using Fn = std::function<Tensor(const Tensor&, const Tensor&, Reduction)>;
  std::vector<std::pair<std::string, Fn>> losses = {
      {"mse", [](auto& x, auto& t, Reduction r) { return F::mse_loss(x, t, {.reduction = r}); }},
      {"l1", [](auto& x, auto& t, Reduction r) { return F::l1_loss(x, t, {.reduction = r}); }},
      {"huber", [](auto& x, auto& t,
                   Reduction r) { return F::huber_loss(x, t, {.delta = 0.7, .reduction = r}); }},
      {"smooth_l1",
       [](auto& x, auto& t, Reduction r) {
         return F::smooth_l1_loss(x, t, {.beta = 1.3, .reduction = r});
       }},
      {"quantile",
       [](auto& x, auto& t, Reduction r) {
         return F::quantile_loss(x, t, {.quantile = 0.2, .reduction = r});
       }},
      {"log_cosh",
       [](auto& x, auto& t, Reduction r) { return F::log_cosh_loss(x, t, {.reduction = r}); }},
  };
  for (const auto& [name, fn] : losses) {
    for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
      // Kinked losses (l1, quantile, huber's second derivative) are checked at first order only.
      const bool smooth = name == "mse" || name == "log_cosh";
      EXPECT_TRUE(
          gradcheck_ok([&](const auto& v) { return fn(v[0], v[1], r); }, {input, target}, smooth))
          << name << " " << F::reduction_name(r);
    }
  }
}

TEST(RegressionLossModules, SameAsFunctional) {
  manual_seed(6);
  Tensor input = randn({4, 3}), target = randn({4, 3});
  EXPECT_TRUE(equal(nn::MSELoss()(input, target), F::mse_loss(input, target)));
  EXPECT_TRUE(equal(nn::L1Loss({.reduction = Reduction::sum})(input, target),
                    F::l1_loss(input, target, {.reduction = Reduction::sum})));
  EXPECT_TRUE(equal(nn::HuberLoss({.delta = 0.3})(input, target),
                    F::huber_loss(input, target, {.delta = 0.3})));
  EXPECT_TRUE(equal(nn::SmoothL1Loss({.beta = 0.3, .reduction = Reduction::none})(input, target),
                    F::smooth_l1_loss(input, target, {.beta = 0.3, .reduction = Reduction::none})));
  EXPECT_TRUE(equal(nn::QuantileLoss({.quantile = 0.9})(input, target),
                    F::quantile_loss(input, target, {.quantile = 0.9})));
  EXPECT_TRUE(equal(nn::LogCoshLoss()(input, target), F::log_cosh_loss(input, target)));
  EXPECT_EQ(nn::to_string(nn::HuberLoss({.delta = 2})), "HuberLoss(delta=2.0, reduction=mean)");
}

TEST(RegressionLossErrors, ShapesDtypesAndOptions) {
  Tensor a = zeros({2, 3}), b = zeros({3, 2});
  EXPECT_THROW_WITH(F::mse_loss(a, b), ShapeError, "mse_loss", "[2, 3]", "[3, 2]");
  EXPECT_THROW_WITH(F::l1_loss(a, zeros({2, 3, 1})), ShapeError, "l1_loss", "[2, 3, 1]");
  EXPECT_THROW_WITH(F::mse_loss(zeros({2}, {.dtype = int64}), zeros({2})), ValueError, "mse_loss",
                    "int64");
  EXPECT_THROW_WITH(F::huber_loss(a, a, {.delta = 0}), ValueError, "huber_loss", "delta", "0");
  EXPECT_THROW_WITH(F::huber_loss(a, a, {.delta = -1.5}), ValueError, "delta", "-1.5");
  EXPECT_THROW_WITH(F::smooth_l1_loss(a, a, {.beta = -0.5}), ValueError, "beta", "-0.5");
  EXPECT_THROW_WITH(F::quantile_loss(a, a, {.quantile = 1.0}), ValueError, "quantile", "1");
  EXPECT_THROW_WITH(F::quantile_loss(a, a, {.quantile = 0.0}), ValueError, "quantile", "0");
  EXPECT_THROW_WITH(F::mse_loss(a, a, {.reduction = Reduction::batchmean}), ValueError, "mse_loss",
                    "batchmean");
  EXPECT_THROW_WITH(nn::HuberLoss({.delta = -2}), ValueError, "HuberLoss", "delta", "-2");
  EXPECT_THROW_WITH(nn::QuantileLoss({.quantile = 1.5}), ValueError, "QuantileLoss", "1.5");
  // An integer target is fine (converted), as is a float64 target for a float64 input.
  EXPECT_NEAR(F::mse_loss(values({1, 2}), tensor({1, 0}, {.dtype = int64})).item(), 2.0, 1e-15);
}

// mse_loss's one-pass path (contiguous same-shape float operands, mean or sum) against the
// composite it replaces, which a strided operand with the same values takes: loss and both
// gradients, odd sizes, both dtypes.
TEST(MseLossFused, MatchesComposite) {
  manual_seed(21);
  for (Dtype dtype : {float32, float64}) {
    const double tol = dtype == float32 ? 1e-5 : 1e-12;
    for (const Shape& shape : std::vector<Shape>{{1}, {10, 1}, {7, 3}, {1001}}) {
      for (Reduction r : {Reduction::mean, Reduction::sum}) {
        Tensor x0 = randn(shape, {.dtype = dtype});
        Tensor t0 = randn(shape, {.dtype = dtype});
        // A strided copy of t0 (same values): the composite path.
        Shape doubled = shape;
        doubled.push_back(2);
        Tensor t_strided = t0.unsqueeze(-1).expand(doubled).contiguous().select(-1, 0);
        ASSERT_FALSE(t_strided.is_contiguous() && t0.numel() > 1);
        std::vector<Tensor> results;
        for (const Tensor& t : {t0, t_strided}) {
          Tensor x = x0.clone().requires_grad_();
          Tensor target = t.detach().requires_grad_();  // keeps t's layout
          Tensor loss = F::mse_loss(x, target, {.reduction = r});
          loss.backward(scalar_tensor(1.3, dtype));
          results.insert(results.end(), {loss.detach(), x.grad(), target.grad()});
        }
        for (int i = 0; i < 3; ++i) {
          EXPECT_TRUE(testing::tensors_close(results[i], results[i + 3], tol, tol))
              << shape_string(shape) << " " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace cajal
