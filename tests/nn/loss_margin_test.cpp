// Margin losses: PyTorch golden values for multi_margin, margin_ranking, triplet_margin and
// cosine_embedding (every reduction, forward and gradients); binary hinge, squared hinge and
// contrastive loss (which PyTorch lacks) against their formulas; gradient checks; the modules'
// three-tensor forms; errors.
#include <gtest/gtest.h>

#include "loss_support.h"

namespace cajal {
namespace {

Tensor apply_golden(const GoldenCase& c, const std::vector<Tensor>& v) {
  const std::string op = c.text("op");
  const Reduction r = testing::reduction_of(c);
  if (op == "multi_margin_loss") {
    auto extras = testing::extras_of(c, v, 2);
    return F::multi_margin_loss(v[0], v[1],
                                {.p = static_cast<int64_t>(testing::param_or(c, "p", 1)),
                                 .margin = testing::param_or(c, "margin", 1.0),
                                 .weight = extra(extras, "weight"),
                                 .reduction = r});
  }
  if (op == "margin_ranking_loss") {
    return F::margin_ranking_loss(v[0], v[1], v[2],
                                  {.margin = testing::param_or(c, "margin", 0.0), .reduction = r});
  }
  if (op == "triplet_margin_loss") {
    return F::triplet_margin_loss(v[0], v[1], v[2],
                                  {.margin = testing::param_or(c, "margin", 1.0),
                                   .p = testing::param_or(c, "p", 2.0),
                                   .eps = testing::param_or(c, "eps", 1e-6),
                                   .swap = testing::flag_or(c, "swap", false),
                                   .reduction = r});
  }
  if (op == "cosine_embedding_loss") {
    return F::cosine_embedding_loss(
        v[0], v[1], v[2], {.margin = testing::param_or(c, "margin", 0.0), .reduction = r});
  }
  ADD_FAILURE() << c.name << ": unknown op " << op;
  return v[0];
}

TEST(MarginLossGolden, MatchesPyTorch) { testing::check_family("losses_margin", apply_golden, 50); }

Tensor values(std::initializer_list<double> list) { return tensor(list, {.dtype = float64}); }

TEST(HingeLoss, FormulaAndSquaredHinge) {
  // y x = [2, 0.5, -1, 1]: max(0, 1 - y x) = [0, 0.5, 2, 0].
  Tensor x = values({2.0, -0.5, 1.0, 1.0}), y = values({1, -1, -1, 1});
  EXPECT_TRUE(testing::tensors_close(F::hinge_loss(x, y, {.reduction = Reduction::none}),
                                     values({0, 0.5, 2, 0}), 0, 0));
  EXPECT_NEAR(F::hinge_loss(x, y).item(), 2.5 / 4, 1e-15);
  EXPECT_NEAR(F::squared_hinge_loss(x, y).item(), (0.25 + 4) / 4, 1e-15);
  // margin 2: max(0, 2 - y x) = [0, 1.5, 3, 1].
  EXPECT_NEAR(F::hinge_loss(x, y, {.margin = 2, .reduction = Reduction::sum}).item(), 5.5, 1e-15);
  EXPECT_NEAR(F::squared_hinge_loss(x, y, {.margin = 2, .reduction = Reduction::sum}).item(),
              2.25 + 9 + 1, 1e-15);
  // Integer labels work too.
  EXPECT_NEAR(F::hinge_loss(x, y.to(int64)).item(), 2.5 / 4, 1e-15);
  // Gradient: -y where the margin is violated, 0 elsewhere; squared: -2 y max(0, 1 - y x).
  Tensor leaf_x = leaf(x);
  F::hinge_loss(leaf_x, y, {.reduction = Reduction::sum}).backward();
  EXPECT_TRUE(testing::tensors_close(leaf_x.grad(), values({0, 1, 1, 0}), 0, 0));
  Tensor leaf_x2 = leaf(x);
  F::squared_hinge_loss(leaf_x2, y, {.reduction = Reduction::sum}).backward();
  EXPECT_TRUE(testing::tensors_close(leaf_x2.grad(), values({0, 1, 4, 0}), 0, 0));
}

TEST(ContrastiveLoss, HandComputedPairs) {
  // d = ||(0, 0) - (3, 4)|| = 5, and d = 0.5 for the second pair.
  Tensor x1 = tensor({{0.0, 0.0}, {1.0, 1.0}}, {.dtype = float64});
  Tensor x2 = tensor({{3.0, 4.0}, {1.3, 1.4}}, {.dtype = float64});
  Tensor similar = values({1, 1}), dissimilar = values({0, 0});
  EXPECT_TRUE(
      testing::tensors_close(F::contrastive_loss(x1, x2, similar, {.reduction = Reduction::none}),
                             values({0.5 * 25, 0.5 * 0.25}), 1e-15, 1e-15));
  // margin 6: 0.5 max(0, 6 - d)^2 = [0.5, 15.125].
  EXPECT_TRUE(testing::tensors_close(
      F::contrastive_loss(x1, x2, dissimilar, {.margin = 6, .reduction = Reduction::none}),
      values({0.5, 0.5 * 5.5 * 5.5}), 1e-14, 1e-15));
  // Default margin 1: the far pair costs nothing, the near one 0.5 * 0.25.
  EXPECT_NEAR(F::contrastive_loss(x1, x2, dissimilar).item(), (0 + 0.125) / 2, 1e-15);
  EXPECT_NEAR(F::contrastive_loss(x1, x2, values({1, 0}), {.reduction = Reduction::sum}).item(),
              12.5 + 0.125, 1e-14);
  // Unbatched pair; int64 labels.
  EXPECT_NEAR(F::contrastive_loss(x1[0], x2[0], tensor({1}, {.dtype = int64}).reshape({})).item(),
              12.5, 1e-14);
  // The 1/2 factor makes a similar pair's gradient exactly x1 - x2.
  Tensor a = leaf(x1);
  F::contrastive_loss(a, x2, similar, {.reduction = Reduction::sum}).backward();
  EXPECT_TRUE(testing::tensors_close(a.grad(), x1 - x2, 1e-15, 1e-15));
}

TEST(MarginLossGradcheck, EveryLoss) {
  manual_seed(31);
  Tensor x = leaf(randn({3, 4}) * 2.0);
  Tensor y = bernoulli({3, 4}, 0.5).to(float64) * 2.0 - 1.0;
  Tensor scores = leaf(randn({4, 5}));
  Tensor classes = tensor({0, 4, 2, 2}, {.dtype = int64});
  Tensor weight = tensor({0.5, 1.0, 1.5, 2.0, 0.7}, {.dtype = float64});
  Tensor e1 = leaf(randn({4, 3})), e2 = leaf(randn({4, 3})), e3 = leaf(randn({4, 3}));
  Tensor pair_labels = tensor({1, 0, 0, 1}, {.dtype = float64});
  Tensor signs = tensor({1, -1, -1, 1}, {.dtype = float64});
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    EXPECT_TRUE(gradcheck_ok(
        [&](const auto& v) { return F::hinge_loss(v[0], y, {.reduction = r}); }, {x}, false));
    EXPECT_TRUE(gradcheck_ok(
        [&](const auto& v) { return F::squared_hinge_loss(v[0], y, {.reduction = r}); }, {x},
        false));
    for (int64_t p : {1, 2}) {
      EXPECT_TRUE(gradcheck_ok(
          [&](const auto& v) {
            return F::multi_margin_loss(v[0], classes,
                                        {.p = p, .margin = 0.8, .weight = weight, .reduction = r});
          },
          {scores}, false));
    }
    EXPECT_TRUE(gradcheck_ok(
        [&](const auto& v) {
          return F::margin_ranking_loss(v[0], v[1], signs.reshape({4, 1}).expand({4, 3}),
                                        {.margin = 0.3, .reduction = r});
        },
        {e1, e2}, false));
    EXPECT_TRUE(gradcheck_ok(
        [&](const auto& v) {
          return F::contrastive_loss(v[0], v[1], pair_labels, {.margin = 2.0, .reduction = r});
        },
        {e1, e2}));
    for (double p : {1.0, 2.0, 3.0}) {
      EXPECT_TRUE(gradcheck_ok(
          [&](const auto& v) {
            return F::triplet_margin_loss(v[0], v[1], v[2],
                                          {.margin = 3.0, .p = p, .swap = true, .reduction = r});
          },
          {e1, e2, e3}, false))
          << "p " << p;
    }
    EXPECT_TRUE(gradcheck_ok(
        [&](const auto& v) {
          return F::cosine_embedding_loss(v[0], v[1], signs, {.margin = -0.5, .reduction = r});
        },
        {e1, e2}));
  }
}

TEST(MarginLossModules, SameAsFunctional) {
  manual_seed(32);
  Tensor x = randn({3, 4}), y = bernoulli({3, 4}, 0.5) * 2.0 - 1.0;
  EXPECT_TRUE(equal(nn::HingeLoss({.margin = 0.5})(x, y), F::hinge_loss(x, y, {.margin = 0.5})));
  EXPECT_TRUE(equal(nn::SquaredHingeLoss()(x, y), F::squared_hinge_loss(x, y)));
  Tensor classes = tensor({0, 3, 1}, {.dtype = int64}), weight = rand({4});
  nn::MultiMarginLoss multi({.p = 2, .weight = weight});
  EXPECT_TRUE(
      equal(multi(x, classes), F::multi_margin_loss(x, classes, {.p = 2, .weight = weight})));
  EXPECT_TRUE(multi.named_buffers().find("weight") != nullptr);

  Tensor a = randn({3, 4}), b = randn({3, 4}), c = randn({3, 4});
  Tensor signs = tensor({1, -1, 1}), pairs = tensor({1, 0, 1});
  nn::MarginRankingLoss ranking({.margin = 0.2});
  EXPECT_TRUE(equal(ranking(a, b, y), F::margin_ranking_loss(a, b, y, {.margin = 0.2})));
  nn::ContrastiveLoss contrastive({.margin = 2});
  EXPECT_TRUE(equal(contrastive(a, b, pairs), F::contrastive_loss(a, b, pairs, {.margin = 2})));
  nn::TripletMarginLoss triplet({.p = 1, .swap = true});
  EXPECT_TRUE(equal(triplet(a, b, c), F::triplet_margin_loss(a, b, c, {.p = 1, .swap = true})));
  nn::CosineEmbeddingLoss cosine({.margin = 0.1});
  EXPECT_TRUE(equal(cosine(a, b, signs), F::cosine_embedding_loss(a, b, signs, {.margin = 0.1})));
  EXPECT_EQ(nn::to_string(triplet),
            "TripletMarginLoss(margin=1.0, p=1.0, eps=1e-06, swap=true, reduction=mean)");
  // The one-tensor forward of Module is refused with the module's name.
  EXPECT_THROW_WITH(ranking(a), ValueError, "MarginRankingLoss");
}

TEST(MarginLossErrors, LabelsShapesAndOptions) {
  Tensor x = zeros({4});
  EXPECT_THROW_WITH(F::hinge_loss(x, tensor({1, 0, -1, 1})), ValueError, "hinge_loss", "-1 and 1",
                    "0");
  EXPECT_THROW_WITH(F::squared_hinge_loss(x, tensor({1, 1, 1, 2})), ValueError,
                    "squared_hinge_loss", "2");
  EXPECT_THROW_WITH(F::hinge_loss(x, zeros({3})), ShapeError, "hinge_loss", "[4]", "[3]");
  EXPECT_THROW_WITH(F::hinge_loss(x, x, {.margin = -1}), ValueError, "margin", "-1");
  Tensor e = zeros({3, 2});
  EXPECT_THROW_WITH(F::contrastive_loss(e, e, tensor({1, 0, 2})), ValueError, "contrastive_loss",
                    "0 and 1", "2");
  EXPECT_THROW_WITH(F::contrastive_loss(e, zeros({3, 3}), tensor({1, 0, 1})), ShapeError,
                    "contrastive_loss", "[3, 2]", "[3, 3]");
  EXPECT_THROW_WITH(F::contrastive_loss(e, e, tensor({1, 0})), ShapeError, "[3]", "[2]");
  EXPECT_THROW_WITH(F::contrastive_loss(e, e, tensor({1, 0, 1}), {.margin = 0}), ValueError,
                    "margin", "0");
  EXPECT_THROW_WITH(F::cosine_embedding_loss(e, e, tensor({1, 0, 1})), ValueError,
                    "cosine_embedding_loss", "-1 and 1");
  EXPECT_THROW_WITH(F::cosine_embedding_loss(e, e, tensor({1, -1, 1}), {.margin = 1.5}), ValueError,
                    "margin", "1.5");
  EXPECT_THROW_WITH(F::cosine_embedding_loss(zeros({2, 3, 2}), zeros({2, 3, 2}), zeros({2, 3})),
                    ShapeError, "[2, 3, 2]");
  EXPECT_THROW_WITH(F::triplet_margin_loss(e, e, zeros({3, 3})), ShapeError, "triplet_margin_loss",
                    "anchor", "negative", "[3, 3]");
  EXPECT_THROW_WITH(F::triplet_margin_loss(e, e, e, {.margin = 0}), ValueError, "margin", "0");
  EXPECT_THROW_WITH(F::triplet_margin_loss(e, e, e, {.p = -1}), ValueError, "p", "-1");
  EXPECT_THROW_WITH(F::margin_ranking_loss(x, x, zeros({2})), ShapeError, "margin_ranking_loss",
                    "[4]", "[2]");
  EXPECT_THROW_WITH(F::multi_margin_loss(e, tensor({0, 1, 2}, {.dtype = int64})), IndexError,
                    "multi_margin_loss", "2", "2 classes");
  EXPECT_THROW_WITH(F::multi_margin_loss(e, tensor({0, 1, 1}, {.dtype = int64}), {.p = 3}),
                    ValueError, "p", "3");
  EXPECT_THROW_WITH(F::multi_margin_loss(zeros({2, 2, 2}), zeros({2, 2}, {.dtype = int64})),
                    ShapeError, "multi_margin_loss", "[2, 2, 2]");
  EXPECT_THROW_WITH(nn::TripletMarginLoss({.margin = -1}), ValueError, "TripletMarginLoss",
                    "margin", "-1");
  EXPECT_THROW_WITH(nn::MultiMarginLoss({.p = 0}), ValueError, "MultiMarginLoss", "p", "0");
}

}  // namespace
}  // namespace cajal
