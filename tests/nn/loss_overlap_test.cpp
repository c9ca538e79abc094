// Dice, IoU (Jaccard) and Tversky losses, which PyTorch lacks: hand-computed cases, the formulas
// written out over random multi-class data (per sample and over the batch), the identities that
// tie them together, gradient checks, module forms and errors.
#include <gtest/gtest.h>

#include "loss_support.h"

namespace cajal {
namespace {

Tensor values(std::initializer_list<double> list, const Shape& shape) {
  return tensor(list, {.dtype = float64}).reshape(shape);
}

TEST(OverlapLoss, HandComputedBinaryCase) {
  // p = [0.9, 0.2, 0.8, 0.1], t = [1, 0, 1, 0]: TP = 1.7, sum p = 2, sum t = 2,
  // FP = sum p (1 - t) = 0.3, FN = sum (1 - p) t = 0.3.
  Tensor p = values({0.9, 0.2, 0.8, 0.1}, {1, 1, 4});
  Tensor t = values({1, 0, 1, 0}, {1, 1, 4});
  EXPECT_NEAR(F::dice_loss(p, t, {.smooth = 0}).item(), 1 - 3.4 / 4.0, 1e-15);
  EXPECT_NEAR(F::dice_loss(p, t).item(), 1 - 4.4 / 5.0, 1e-15);  // smooth = 1
  EXPECT_NEAR(F::iou_loss(p, t, {.smooth = 0}).item(), 1 - 1.7 / 2.3, 1e-15);
  EXPECT_NEAR(F::iou_loss(p, t).item(), 1 - 2.7 / 3.3, 1e-15);
  EXPECT_NEAR(F::tversky_loss(p, t, {.alpha = 0.3, .beta = 0.7, .smooth = 0}).item(),
              1 - 1.7 / (1.7 + 0.3 * 0.3 + 0.7 * 0.3), 1e-15);
  EXPECT_NEAR(F::tversky_loss(p, t, {.alpha = 0.2, .beta = 0.9}).item(),
              1 - 2.7 / (2.7 + 0.2 * 0.3 + 0.9 * 0.3), 1e-15);
  // Bool and int64 masks of the input's shape are accepted as targets.
  EXPECT_NEAR(F::dice_loss(p, t > 0.5, {.smooth = 0}).item(), 1 - 3.4 / 4.0, 1e-15);
  EXPECT_NEAR(F::dice_loss(p, t.to(int64), {.smooth = 0}).item(), 1 - 3.4 / 4.0, 1e-15);
}

TEST(OverlapLoss, EmptyChannelPredictedEmptyScoresPerfectly) {
  Tensor p = zeros({1, 1, 2, 2}, {.dtype = float64}), t = zeros({1, 1, 2, 2}, {.dtype = float64});
  EXPECT_EQ(F::dice_loss(p, t).item(), 0.0);
  EXPECT_EQ(F::iou_loss(p, t).item(), 0.0);
  EXPECT_EQ(F::tversky_loss(p, t).item(), 0.0);
}

// The scores written out with loops over [N, C, S] probabilities and a one-hot target from class
// indices [N, S]: returns the per-(sample, channel) or per-channel (batch) sums.
struct Sums {
  std::vector<double> tp, sp, st;
};
Sums written_out_sums(const Tensor& p, const Tensor& labels, bool batch) {
  const int64_t n = p.size(0), c = p.size(1), s = p.size(2);
  std::vector<double> pv = to_vector<double>(p);
  std::vector<int64_t> y = to_vector<int64_t>(labels);
  const int64_t groups = batch ? c : n * c;
  Sums out{std::vector<double>(groups), std::vector<double>(groups), std::vector<double>(groups)};
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < c; ++k) {
      const int64_t g = batch ? k : i * c + k;
      for (int64_t j = 0; j < s; ++j) {
        const double prob = pv[(i * c + k) * s + j];
        const double truth = y[i * s + j] == k ? 1.0 : 0.0;
        out.tp[g] += prob * truth;
        out.sp[g] += prob;
        out.st[g] += truth;
      }
    }
  }
  return out;
}

TEST(OverlapLoss, FormulasOnRandomMultiClassData) {
  manual_seed(21);
  Tensor p = softmax(randn({3, 4, 10}, {.dtype = float64}), 1);
  Tensor y = randint(0, 4, {3, 10});
  const double smooth = 0.5, alpha = 0.3, beta = 0.7;
  for (bool batch : {false, true}) {
    Sums s = written_out_sums(p, y, batch);
    std::vector<double> dice, iou, tversky;
    for (size_t g = 0; g < s.tp.size(); ++g) {
      dice.push_back(1 - (2 * s.tp[g] + smooth) / (s.sp[g] + s.st[g] + smooth));
      iou.push_back(1 - (s.tp[g] + smooth) / (s.sp[g] + s.st[g] - s.tp[g] + smooth));
      tversky.push_back(1 - (s.tp[g] + smooth) / (s.tp[g] + alpha * (s.sp[g] - s.tp[g]) +
                                                  beta * (s.st[g] - s.tp[g]) + smooth));
    }
    const Shape shape = batch ? Shape{4} : Shape{3, 4};
    const auto none = Reduction::none;
    EXPECT_TRUE(testing::tensors_close(
        F::dice_loss(p, y, {.smooth = smooth, .batch = batch, .reduction = none}),
        from_vector(dice, shape), 1e-13, 1e-15));
    EXPECT_TRUE(testing::tensors_close(
        F::iou_loss(p, y, {.smooth = smooth, .batch = batch, .reduction = none}),
        from_vector(iou, shape), 1e-13, 1e-15));
    EXPECT_TRUE(testing::tensors_close(
        F::tversky_loss(
            p, y,
            {.alpha = alpha, .beta = beta, .smooth = smooth, .batch = batch, .reduction = none}),
        from_vector(tversky, shape), 1e-13, 1e-15));
    double total = 0;
    for (double v : dice) total += v;
    EXPECT_NEAR(F::dice_loss(p, y, {.smooth = smooth, .batch = batch}).item(),
                total / static_cast<double>(dice.size()), 1e-14);
    EXPECT_NEAR(
        F::dice_loss(p, y, {.smooth = smooth, .batch = batch, .reduction = Reduction::sum}).item(),
        total, 1e-13);
  }
}

TEST(OverlapLoss, ClassIndicesEqualOneHotAndSpatialLayout) {
  manual_seed(22);
  Tensor p = softmax(randn({2, 3, 4, 5}, {.dtype = float64}), 1);
  Tensor y = randint(0, 3, {2, 4, 5});
  Tensor one_hot_target = one_hot(y, 3).permute({0, 3, 1, 2}).to(float64);
  EXPECT_NEAR(F::dice_loss(p, y).item(), F::dice_loss(p, one_hot_target).item(), 1e-15);
  EXPECT_NEAR(F::iou_loss(p, y, {.batch = true}).item(),
              F::iou_loss(p, one_hot_target, {.batch = true}).item(), 1e-15);
  // [N, C, H, W] sums over H and W: the same as flattening them.
  EXPECT_NEAR(F::tversky_loss(p, y).item(),
              F::tversky_loss(p.reshape({2, 3, 20}), y.reshape({2, 20})).item(), 1e-15);
}

TEST(OverlapLoss, TverskyGeneralizesDiceAndIoU) {
  manual_seed(23);
  Tensor p = rand({4, 2, 6}, {.dtype = float64}), t = bernoulli({4, 2, 6}, 0.4).to(float64);
  EXPECT_NEAR(F::tversky_loss(p, t, {.alpha = 0.5, .beta = 0.5, .smooth = 0}).item(),
              F::dice_loss(p, t, {.smooth = 0}).item(), 1e-14);
  EXPECT_NEAR(F::tversky_loss(p, t, {.alpha = 1, .beta = 1, .smooth = 0}).item(),
              F::iou_loss(p, t, {.smooth = 0}).item(), 1e-14);
  EXPECT_NEAR(F::jaccard_loss(p, t).item(), F::iou_loss(p, t).item(), 0);
}

TEST(OverlapLoss, Gradcheck) {
  manual_seed(24);
  Tensor p = leaf(rand({2, 3, 5}) * 0.9 + 0.05);
  Tensor soft = leaf(rand({2, 3, 5}));
  Tensor y = randint(0, 3, {2, 5});
  for (bool batch : {false, true}) {
    for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
      EXPECT_TRUE(gradcheck_ok(
          [&](const auto& v) { return F::dice_loss(v[0], v[1], {.batch = batch, .reduction = r}); },
          {p, soft}));
      EXPECT_TRUE(gradcheck_ok(
          [&](const auto& v) {
            return F::iou_loss(v[0], y, {.smooth = 0.1, .batch = batch, .reduction = r});
          },
          {p}));
      EXPECT_TRUE(gradcheck_ok(
          [&](const auto& v) {
            return F::tversky_loss(v[0], v[1],
                                   {.alpha = 0.3, .beta = 0.7, .batch = batch, .reduction = r});
          },
          {p, soft}));
    }
  }
  // Through a softmax, as used in training.
  Tensor logits = leaf(randn({2, 3, 4}));
  EXPECT_TRUE(gradcheck_ok(
      [&](const auto& v) { return F::dice_loss(softmax(v[0], 1), y.narrow(1, 0, 4)); }, {logits}));
}

TEST(OverlapLoss, ModulesMatchFunctional) {
  manual_seed(25);
  Tensor p = rand({2, 1, 3, 3}), t = bernoulli({2, 1, 3, 3}, 0.5);
  EXPECT_TRUE(equal(nn::DiceLoss({.smooth = 0.5})(p, t), F::dice_loss(p, t, {.smooth = 0.5})));
  EXPECT_TRUE(equal(nn::IoULoss({.batch = true})(p, t), F::iou_loss(p, t, {.batch = true})));
  EXPECT_TRUE(equal(nn::JaccardLoss()(p, t), F::iou_loss(p, t)));
  EXPECT_TRUE(equal(nn::TverskyLoss({.alpha = 0.1, .beta = 0.9})(p, t),
                    F::tversky_loss(p, t, {.alpha = 0.1, .beta = 0.9})));
  EXPECT_EQ(nn::to_string(nn::TverskyLoss({.alpha = 0.3, .beta = 0.7})),
            "TverskyLoss(alpha=0.3, beta=0.7, smooth=1.0, batch=false, reduction=mean)");
}

TEST(OverlapLoss, Errors) {
  Tensor p = rand({2, 3, 4});
  EXPECT_THROW_WITH(F::dice_loss(rand({4}), rand({4})), ShapeError, "dice_loss", "[4]", "C = 1");
  EXPECT_THROW_WITH(F::iou_loss(p, rand({2, 3, 5})), ShapeError, "iou_loss", "[2, 3, 4]",
                    "[2, 3, 5]");
  EXPECT_THROW_WITH(F::dice_loss(p, zeros({2, 4})), ShapeError, "dice_loss", "int64", "float32");
  EXPECT_THROW_WITH(F::dice_loss(p, tensor({{0, 1, 3, 0}, {0, 0, 0, 0}}, {.dtype = int64})),
                    IndexError, "dice_loss", "3", "3 classes");
  EXPECT_THROW_WITH(F::dice_loss(p, rand({2, 3, 4}), {.smooth = -1}), ValueError, "smooth", "-1");
  EXPECT_THROW_WITH(F::tversky_loss(p, rand({2, 3, 4}), {.alpha = -0.1}), ValueError, "alpha",
                    "-0.1");
  EXPECT_THROW_WITH(F::tversky_loss(p, rand({2, 3, 4}), {.beta = -2}), ValueError, "beta", "-2");
  EXPECT_THROW_WITH(nn::TverskyLoss({.beta = -2}), ValueError, "TverskyLoss", "beta");
  EXPECT_THROW_WITH(F::dice_loss(zeros({2, 3}, {.dtype = int64}), zeros({2, 3})), ValueError,
                    "dice_loss", "int64");
}

}  // namespace
}  // namespace cajal
