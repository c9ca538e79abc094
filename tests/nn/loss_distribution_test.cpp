// Probabilistic losses: PyTorch golden values for kl_div (incl. batchmean and log_target),
// poisson_nll (log_input, full, eps) and gaussian_nll (variance broadcasting, full, clamping),
// every reduction, forward and gradients; gradient checks; modules; errors.
#include <gtest/gtest.h>

#include <numbers>

#include "loss_support.h"

namespace cajal {
namespace {

Tensor apply_golden(const GoldenCase& c, const std::vector<Tensor>& v) {
  const std::string op = c.text("op");
  const Reduction r = testing::reduction_of(c);
  if (op == "kl_div") {
    return F::kl_div(v[0], v[1],
                     {.reduction = r, .log_target = testing::flag_or(c, "log_target", false)});
  }
  if (op == "poisson_nll_loss") {
    return F::poisson_nll_loss(v[0], v[1],
                               {.log_input = testing::flag_or(c, "log_input", true),
                                .full = testing::flag_or(c, "full", false),
                                .eps = testing::param_or(c, "eps", 1e-8),
                                .reduction = r});
  }
  if (op == "gaussian_nll_loss") {
    return F::gaussian_nll_loss(v[0], v[1], v[2],
                                {.full = testing::flag_or(c, "full", false),
                                 .eps = testing::param_or(c, "eps", 1e-6),
                                 .reduction = r});
  }
  ADD_FAILURE() << c.name << ": unknown op " << op;
  return v[0];
}

TEST(DistributionLossGolden, MatchesPyTorch) {
  testing::check_family("losses_distribution", apply_golden, 40);
}

TEST(KLDiv, BatchmeanIsTheKLDivergencePerSample) {
  // KL(p || q) for p = (0.5, 0.5), q = (0.25, 0.75), and for two equal rows.
  Tensor p = tensor({{0.5, 0.5}, {0.2, 0.8}}, {.dtype = float64});
  Tensor q = tensor({{0.25, 0.75}, {0.2, 0.8}}, {.dtype = float64});
  const double kl = 0.5 * std::log(0.5 / 0.25) + 0.5 * std::log(0.5 / 0.75);
  EXPECT_NEAR(F::kl_div(log(q), p, {.reduction = Reduction::batchmean}).item(), kl / 2, 1e-15);
  EXPECT_NEAR(F::kl_div(log(q), p, {.reduction = Reduction::mean}).item(), kl / 4, 1e-15);
  EXPECT_NEAR(F::kl_div(log(q), log(p), {.reduction = Reduction::sum, .log_target = true}).item(),
              kl, 1e-15);
  // A zero target adds nothing, and its gradient stays finite.
  Tensor with_zero = tensor({0.0, 1.0}, {.dtype = float64, .requires_grad = true});
  Tensor loss = F::kl_div(log(q[0]), with_zero, {.reduction = Reduction::sum});
  EXPECT_NEAR(loss.item(), -std::log(0.75), 1e-15);
  loss.backward();
  EXPECT_TRUE(std::isfinite(with_zero.grad()[0].item()));
}

TEST(PoissonNLL, StirlingTermOnlyAboveOne) {
  Tensor rate = tensor({0.5, 0.5, 0.5}, {.dtype = float64});
  Tensor counts = tensor({0.0, 1.0, 4.0}, {.dtype = float64});
  Tensor plain = F::poisson_nll_loss(rate, counts, {.reduction = Reduction::none});
  Tensor full = F::poisson_nll_loss(rate, counts, {.full = true, .reduction = Reduction::none});
  const double stirling = 4 * std::log(4.0) - 4 + 0.5 * std::log(2 * std::numbers::pi * 4);
  EXPECT_TRUE(testing::tensors_close(full - plain, tensor({0.0, 0.0, stirling}, {.dtype = float64}),
                                     1e-14, 1e-15));
}

TEST(GaussianNLL, VarianceClampPassesGradientThrough) {
  Tensor mean = tensor({0.0}, {.dtype = float64}), target = tensor({1.0}, {.dtype = float64});
  Tensor var = tensor({0.0}, {.dtype = float64, .requires_grad = true});
  Tensor loss = F::gaussian_nll_loss(mean, target, var, {.eps = 0.5});
  EXPECT_NEAR(loss.item(), 0.5 * (std::log(0.5) + 1 / 0.5), 1e-15);
  loss.backward();
  // d/dv 0.5 (log v + r^2 / v) at the clamped v = 0.5: 0.5 (1 / v - r^2 / v^2) = -1.
  EXPECT_NEAR(var.grad().item(), -1.0, 1e-15);
}

TEST(DistributionLossGradcheck, EveryLoss) {
  manual_seed(41);
  Tensor logits = leaf(randn({3, 4})), target_logits = leaf(randn({3, 4}));
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none, Reduction::batchmean}) {
    EXPECT_TRUE(gradcheck_ok(
        [&](const auto& v) {
          return F::kl_div(log_softmax(v[0], 1), softmax(v[1], 1), {.reduction = r});
        },
        {logits, target_logits}));
    EXPECT_TRUE(gradcheck_ok(
        [&](const auto& v) {
          return F::kl_div(log_softmax(v[0], 1), log_softmax(v[1], 1),
                           {.reduction = r, .log_target = true});
        },
        {logits, target_logits}));
  }
  Tensor counts = leaf(rand({3, 4}) * 5.0 + 0.2);
  Tensor rate = leaf(rand({3, 4}) * 3.0 + 0.1);
  for (bool full : {false, true}) {
    EXPECT_TRUE(
        gradcheck_ok([&](const auto& v) { return F::poisson_nll_loss(v[0], v[1], {.full = full}); },
                     {logits, counts}));
    EXPECT_TRUE(gradcheck_ok(
        [&](const auto& v) {
          return F::poisson_nll_loss(v[0], v[1], {.log_input = false, .full = full});
        },
        {rate, counts}));
  }
  Tensor mean = leaf(randn({3, 4})), sample = leaf(randn({3, 4}));
  for (const Shape& shape : {Shape{3, 4}, Shape{3, 1}, Shape{3}}) {
    Tensor var = leaf(rand(shape) + 0.2);
    for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
      EXPECT_TRUE(gradcheck_ok(
          [&](const auto& v) {
            return F::gaussian_nll_loss(v[0], v[1], v[2], {.full = true, .reduction = r});
          },
          {mean, sample, var}))
          << shape_string(shape);
    }
  }
}

TEST(DistributionLossModules, SameAsFunctional) {
  manual_seed(42);
  Tensor log_q = log_softmax(randn({3, 4}), 1), p = softmax(randn({3, 4}), 1);
  EXPECT_TRUE(equal(nn::KLDivLoss({.reduction = Reduction::batchmean})(log_q, p),
                    F::kl_div(log_q, p, {.reduction = Reduction::batchmean})));
  Tensor counts = randint(0, 5, {3, 4}).to(float32);
  EXPECT_TRUE(equal(nn::PoissonNLLLoss({.full = true})(log_q, counts),
                    F::poisson_nll_loss(log_q, counts, {.full = true})));
  Tensor mean = randn({3, 4}), sample = randn({3, 4}), var = rand({3, 1}) + 0.1;
  nn::GaussianNLLLoss gaussian({.full = true});
  EXPECT_TRUE(
      equal(gaussian(mean, sample, var), F::gaussian_nll_loss(mean, sample, var, {.full = true})));
  EXPECT_EQ(nn::to_string(nn::KLDivLoss({.reduction = Reduction::batchmean, .log_target = true})),
            "KLDivLoss(reduction=batchmean, log_target=true)");
}

TEST(DistributionLossErrors, ShapesValuesAndOptions) {
  Tensor x = zeros({3, 4});
  EXPECT_THROW_WITH(F::kl_div(x, zeros({3, 5})), ShapeError, "kl_div", "[3, 4]", "[3, 5]");
  EXPECT_THROW_WITH(F::poisson_nll_loss(x, zeros({4})), ShapeError, "poisson_nll_loss");
  EXPECT_THROW_WITH(F::poisson_nll_loss(x, x, {.eps = -1}), ValueError, "eps", "-1");
  EXPECT_THROW_WITH(F::poisson_nll_loss(x, x, {.reduction = Reduction::batchmean}), ValueError,
                    "poisson_nll_loss", "batchmean");
  EXPECT_THROW_WITH(F::gaussian_nll_loss(x, x, ones({3, 2})), ShapeError, "gaussian_nll_loss",
                    "var", "[3, 2]", "[3, 4]");
  EXPECT_THROW_WITH(F::gaussian_nll_loss(x, x, ones({4})), ShapeError, "var", "[4]");
  EXPECT_THROW_WITH(F::gaussian_nll_loss(x, x, tensor({1.0, -0.5, 2.0})), ValueError,
                    "gaussian_nll_loss", "var", "-0.5");
  EXPECT_THROW_WITH(F::gaussian_nll_loss(x, zeros({3}), ones({3})), ShapeError, "target");
  EXPECT_THROW_WITH(F::gaussian_nll_loss(x, x, ones({3}), {.eps = 0}), ValueError, "eps", "0");
  EXPECT_THROW_WITH(nn::GaussianNLLLoss({.eps = -1}), ValueError, "GaussianNLLLoss", "eps");
}

}  // namespace
}  // namespace cajal
