// Classification losses: PyTorch golden values for cross_entropy (class weights, label
// smoothing, ignore_index, probabilistic targets, [N, C, d1, ...] and unbatched inputs), nll,
// binary cross entropy from probabilities and from logits (weight, pos_weight), every reduction;
// the binary focal loss against torchvision's definition (in the golden file) and the
// multi-class focal loss against its formula written out here; gradient checks; modules; errors.
#include <gtest/gtest.h>

#include "loss_support.h"

namespace cajal {
namespace {

Tensor apply_golden(const GoldenCase& c, const std::vector<Tensor>& v) {
  const std::string op = c.text("op");
  const Reduction r = testing::reduction_of(c);
  auto extras = testing::extras_of(c, v, 2);
  if (op == "cross_entropy") {
    return F::cross_entropy(
        v[0], v[1],
        {.weight = extra(extras, "weight"),
         .ignore_index = static_cast<int64_t>(testing::param_or(c, "ignore_index", -100)),
         .label_smoothing = testing::param_or(c, "label_smoothing", 0.0),
         .reduction = r});
  }
  if (op == "nll_loss") {
    return F::nll_loss(
        v[0], v[1],
        {.weight = extra(extras, "weight"),
         .ignore_index = static_cast<int64_t>(testing::param_or(c, "ignore_index", -100)),
         .reduction = r});
  }
  if (op == "binary_cross_entropy") {
    return F::binary_cross_entropy(v[0], v[1], {.weight = extra(extras, "weight"), .reduction = r});
  }
  if (op == "binary_cross_entropy_with_logits") {
    return F::binary_cross_entropy_with_logits(v[0], v[1],
                                               {.weight = extra(extras, "weight"),
                                                .pos_weight = extra(extras, "pos_weight"),
                                                .reduction = r});
  }
  if (op == "sigmoid_focal_loss") {
    return F::sigmoid_focal_loss(
        v[0], v[1], {.alpha = c.param("alpha"), .gamma = c.param("gamma"), .reduction = r});
  }
  ADD_FAILURE() << c.name << ": unknown op " << op;
  return v[0];
}

TEST(ClassificationLossGolden, MatchesPyTorch) {
  // bce/edges: where x (1 - x) < 1e-12 PyTorch 1.13 divides the gradient by the float constant
  // 1e-12f (9.99999996e-13); we use the exact 1e-12, a relative difference of 4e-9.
  testing::check_family("losses_classification", apply_golden, 100, 1e-5, 1e-6,
                        {{"bce/edges", 1e-8}});
}

TEST(ClassificationLossGolden, CoversEveryOptionAndReduction) {
  auto cases = testing::load_golden("losses_classification");
  std::set<std::string> seen;
  for (const auto& [name, c] : cases) {
    seen.insert(c.text("op") + "/" + c.text("reduction"));
    if (testing::has_param(c, "label_smoothing")) seen.insert("label_smoothing");
    if (testing::has_param(c, "ignore_index")) seen.insert("ignore_index");
    if (c.inputs[0].dim() == 4) seen.insert(c.text("op") + "/4d");
    if (c.inputs[0].dim() == 1) seen.insert(c.text("op") + "/unbatched");
    if (c.inputs[1].is_floating_point() && c.text("op") == "cross_entropy") seen.insert("soft");
    for (const auto& [key, _] : testing::extras_of(c, c.inputs, 2)) seen.insert(key);
  }
  for (const char* op : {"cross_entropy", "nll_loss", "binary_cross_entropy",
                         "binary_cross_entropy_with_logits", "sigmoid_focal_loss"}) {
    for (const char* r : {"mean", "sum", "none"}) {
      EXPECT_TRUE(seen.count(std::string(op) + "/" + r)) << op << " " << r;
    }
  }
  for (const char* key : {"label_smoothing", "ignore_index", "cross_entropy/4d", "nll_loss/4d",
                          "cross_entropy/unbatched", "soft", "weight", "pos_weight"}) {
    EXPECT_TRUE(seen.count(key)) << key;
  }
}

Tensor labels(std::initializer_list<double> list) { return tensor(list, {.dtype = int64}); }

// -alpha[y] (1 - p_y)^gamma log p_y, written out per sample.
std::vector<double> focal_formula(const Tensor& logits, const Tensor& target,
                                  const std::vector<double>& alpha, double gamma,
                                  int64_t ignore_index) {
  const int64_t n = logits.size(0), classes = logits.size(1);
  std::vector<double> x = to_vector<double>(logits.contiguous());
  std::vector<int64_t> y = to_vector<int64_t>(target);
  std::vector<double> out;
  for (int64_t i = 0; i < n; ++i) {
    if (y[i] == ignore_index) {
      out.push_back(0);
      continue;
    }
    double normalizer = 0;
    for (int64_t j = 0; j < classes; ++j) normalizer += std::exp(x[i * classes + j]);
    const double p = std::exp(x[i * classes + y[i]]) / normalizer;
    const double a = alpha.empty() ? 1.0 : alpha[y[i]];
    out.push_back(-a * std::pow(1 - p, gamma) * std::log(p));
  }
  return out;
}

TEST(FocalLoss, HandComputedCase) {
  // softmax([0, ln 2, ln 5]) = [1/8, 2/8, 5/8].
  Tensor logits = tensor({{0.0, std::log(2.0), std::log(5.0)}, {0.0, std::log(2.0), std::log(5.0)}},
                         {.dtype = float64});
  Tensor target = labels({2, 0});
  const double first = std::pow(1 - 0.625, 2) * -std::log(0.625);
  const double second = std::pow(1 - 0.125, 2) * -std::log(0.125);
  Tensor each = F::focal_loss(logits, target, {.reduction = Reduction::none});
  EXPECT_TRUE(testing::tensors_close(each, tensor({first, second}, {.dtype = float64}), 1e-14, 0));
  Tensor alpha = tensor({0.2, 0.3, 0.5}, {.dtype = float64});
  EXPECT_NEAR(F::focal_loss(logits, target, {.alpha = alpha}).item(),
              (0.5 * first + 0.2 * second) / 2, 1e-15);
  EXPECT_NEAR(F::focal_loss(logits, target, {.gamma = 0.5, .reduction = Reduction::sum}).item(),
              std::pow(0.375, 0.5) * -std::log(0.625) + std::pow(0.875, 0.5) * -std::log(0.125),
              1e-14);
}

TEST(FocalLoss, FormulaWithAlphaIgnoreIndexAndSpatialLayout) {
  manual_seed(8);
  Tensor logits = randn({6, 4}, {.dtype = float64}) * 2.0;
  Tensor target = labels({0, 3, -100, 1, 2, 3});
  std::vector<double> alpha{0.1, 0.4, 0.3, 0.2};
  std::vector<double> expected = focal_formula(logits, target, alpha, 1.5, -100);
  Tensor each = F::focal_loss(
      logits, target, {.alpha = from_vector(alpha), .gamma = 1.5, .reduction = Reduction::none});
  EXPECT_TRUE(testing::tensors_close(each, from_vector(expected), 1e-13, 1e-15));
  double total = 0;
  for (double v : expected) total += v;
  EXPECT_NEAR(F::focal_loss(logits, target, {.alpha = from_vector(alpha), .gamma = 1.5}).item(),
              total / 5, 1e-14);  // mean over the 5 targets not ignored
  // [N, C, d]: the same numbers laid out with the class dim second.
  Tensor spatial = logits.reshape({2, 3, 4}).permute({0, 2, 1});  // [2, 4, 3]
  Tensor spatial_target = target.reshape({2, 3});
  Tensor spatial_each =
      F::focal_loss(spatial, spatial_target,
                    {.alpha = from_vector(alpha), .gamma = 1.5, .reduction = Reduction::none});
  EXPECT_TRUE(testing::tensors_close(spatial_each, from_vector(expected, {2, 3}), 1e-13, 1e-15));
}

TEST(FocalLoss, GammaZeroIsCrossEntropy) {
  manual_seed(9);
  Tensor logits = randn({5, 3}, {.dtype = float64}), target = labels({0, 2, 1, 1, 0});
  EXPECT_NEAR(F::focal_loss(logits, target, {.gamma = 0}).item(),
              F::cross_entropy(logits, target).item(), 1e-14);
  Tensor z = randn({4, 2}, {.dtype = float64}), t = bernoulli({4, 2}, 0.5).to(float64);
  EXPECT_NEAR(F::sigmoid_focal_loss(z, t, {.alpha = -1, .gamma = 0}).item(),
              F::binary_cross_entropy_with_logits(z, t).item(), 1e-14);
}

TEST(SigmoidFocalLoss, FormulaOnHandCase) {
  // x = 0: p = 0.5, bce = log 2; gamma 2 scales by 0.25, alpha 0.25 / 0.75 by the label.
  Tensor x = zeros({2}, {.dtype = float64}), t = tensor({1.0, 0.0}, {.dtype = float64});
  Tensor each = F::sigmoid_focal_loss(x, t, {.reduction = Reduction::none});
  EXPECT_TRUE(testing::tensors_close(
      each, tensor({0.25 * 0.25 * std::log(2.0), 0.75 * 0.25 * std::log(2.0)}, {.dtype = float64}),
      1e-15, 0));
  // Confident and right: the loss vanishes much faster than the cross entropy.
  Tensor sure = tensor({8.0}, {.dtype = float64}), one = tensor({1.0}, {.dtype = float64});
  const double bce = std::log1p(std::exp(-8.0));
  const double p = 1 / (1 + std::exp(-8.0));
  EXPECT_NEAR(F::sigmoid_focal_loss(sure, one).item(), 0.25 * (1 - p) * (1 - p) * bce, 1e-22);
}

TEST(ClassificationLossGradcheck, EveryLoss) {
  manual_seed(10);
  Tensor logits = leaf(randn({4, 3}) * 2.0);
  Tensor target = labels({0, 2, -100, 1});
  Tensor weight = tensor({0.5, 1.0, 2.0}, {.dtype = float64});
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    EXPECT_TRUE(gradcheck_ok(
        [&](const auto& v) {
          return F::cross_entropy(v[0], target,
                                  {.weight = weight, .label_smoothing = 0.2, .reduction = r});
        },
        {logits}));
    EXPECT_TRUE(gradcheck_ok(
        [&](const auto& v) {
          return F::nll_loss(log_softmax(v[0], 1), target, {.weight = weight, .reduction = r});
        },
        {logits}));
    EXPECT_TRUE(gradcheck_ok(
        [&](const auto& v) {
          return F::focal_loss(v[0], target, {.alpha = weight, .gamma = 2.0, .reduction = r});
        },
        {logits}));
  }
  // Probabilistic targets: differentiable in both.
  Tensor soft = leaf(softmax(randn({4, 3}), 1));
  EXPECT_TRUE(gradcheck_ok(
      [&](const auto& v) {
        return F::cross_entropy(v[0], v[1], {.weight = weight, .label_smoothing = 0.1});
      },
      {logits, soft}));
  // [N, C, d1, d2].
  Tensor logits4 = leaf(randn({2, 3, 2, 2}));
  Tensor target4 = randint(0, 3, {2, 2, 2});
  EXPECT_TRUE(gradcheck_ok(
      [&](const auto& v) { return F::cross_entropy(v[0], target4, {.label_smoothing = 0.3}); },
      {logits4}));
  EXPECT_TRUE(gradcheck_ok([&](const auto& v) { return F::focal_loss(v[0], target4); }, {logits4}));
  // Binary: probabilities away from 0 and 1, soft targets.
  Tensor probabilities = leaf(rand({3, 4}) * 0.8 + 0.1), t01 = leaf(rand({3, 4}));
  Tensor column_weight = tensor({1.0, 2.0, 0.5, 1.5}, {.dtype = float64});
  EXPECT_TRUE(gradcheck_ok(
      [&](const auto& v) { return F::binary_cross_entropy(v[0], v[1], {.weight = column_weight}); },
      {probabilities, t01}));
  Tensor z = leaf(randn({3, 4}) * 3.0);
  EXPECT_TRUE(gradcheck_ok(
      [&](const auto& v) {
        return F::binary_cross_entropy_with_logits(
            v[0], v[1], {.weight = column_weight, .pos_weight = column_weight * 2.0});
      },
      {z, t01}));
  EXPECT_TRUE(gradcheck_ok(
      [&](const auto& v) { return F::sigmoid_focal_loss(v[0], v[1], {.gamma = 1.5}); }, {z, t01}));
}

TEST(ClassificationLoss, StableForHugeLogits) {
  Tensor z = tensor({-1e4, 1e4, -800, 800}, {.dtype = float64, .requires_grad = true});
  Tensor t = tensor({1.0, 0.0, 0.0, 1.0}, {.dtype = float64});
  Tensor loss = F::binary_cross_entropy_with_logits(z, t, {.reduction = Reduction::none});
  EXPECT_TRUE(
      testing::tensors_close(loss, tensor({1e4, 1e4, 0, 0}, {.dtype = float64}), 1e-15, 1e-300));
  Tensor focal = F::sigmoid_focal_loss(z, t, {.reduction = Reduction::sum});
  focal.backward();
  EXPECT_TRUE(std::isfinite(focal.item()));
  EXPECT_TRUE(isfinite(z.grad()).to(float64).min().item() == 1.0);
  Tensor logits = tensor({{1e4, -1e4, 0}}, {.dtype = float32});
  EXPECT_NEAR(F::cross_entropy(logits, labels({1})).item(), 2e4, 1.0);
  EXPECT_NEAR(F::focal_loss(logits, labels({1}), {.gamma = 0}).item(), 2e4, 1.0);
}

TEST(ClassificationLossModules, SameAsFunctionalAndWeightsAreBuffers) {
  manual_seed(12);
  Tensor logits = randn({5, 3}), target = labels({0, 1, 2, 1, 0});
  Tensor weight = tensor({0.2, 0.3, 0.5});
  nn::CrossEntropyLoss criterion({.weight = weight, .label_smoothing = 0.1});
  EXPECT_TRUE(equal(criterion(logits, target),
                    F::cross_entropy(logits, target, {.weight = weight, .label_smoothing = 0.1})));
  auto buffers = criterion.named_buffers();
  ASSERT_EQ(buffers.size(), 1u);
  EXPECT_TRUE(buffers.find("weight") != nullptr);
  EXPECT_EQ(nn::to_string(criterion),
            "CrossEntropyLoss(weight=[3], ignore_index=-100, label_smoothing=0.1, reduction=mean)");
  // to(float64) converts the weight buffer with the module.
  criterion.to(float64);
  EXPECT_EQ(criterion.options().weight.dtype(), float64);
  Tensor logits64 = logits.to(float64);
  EXPECT_TRUE(equal(
      criterion(logits64, target),
      F::cross_entropy(logits64, target, {.weight = weight.to(float64), .label_smoothing = 0.1})));

  Tensor log_p = log_softmax(logits, 1);
  EXPECT_TRUE(equal(nn::NLLLoss({.ignore_index = 1})(log_p, target),
                    F::nll_loss(log_p, target, {.ignore_index = 1})));
  Tensor p = sigmoid(logits), t = rand({5, 3});
  EXPECT_TRUE(equal(nn::BCELoss({.weight = weight})(p, t),
                    F::binary_cross_entropy(p, t, {.weight = weight})));
  nn::BCEWithLogitsLoss with_logits({.pos_weight = weight});
  EXPECT_TRUE(equal(with_logits(logits, t),
                    F::binary_cross_entropy_with_logits(logits, t, {.pos_weight = weight})));
  EXPECT_TRUE(with_logits.named_buffers().find("pos_weight") != nullptr);
  EXPECT_TRUE(equal(nn::FocalLoss({.alpha = weight, .gamma = 1})(logits, target),
                    F::focal_loss(logits, target, {.alpha = weight, .gamma = 1})));
  EXPECT_TRUE(equal(nn::SigmoidFocalLoss({.alpha = 0.5})(logits, t),
                    F::sigmoid_focal_loss(logits, t, {.alpha = 0.5})));
  // state_dict round trip of the weight.
  nn::CrossEntropyLoss fresh({.weight = zeros({3})});
  nn::CrossEntropyLoss original({.weight = weight});
  fresh.load_state_dict(original.state_dict());
  EXPECT_TRUE(equal(fresh(logits, target), original(logits, target)));
}

TEST(ClassificationLossErrors, TargetsShapesAndOptions) {
  Tensor logits = zeros({4, 3});
  EXPECT_THROW_WITH(F::cross_entropy(logits, labels({0, 1, 3, 2})), IndexError, "cross_entropy",
                    "3", "3 classes");
  EXPECT_THROW_WITH(F::nll_loss(logits, labels({0, -1, 1, 2})), IndexError, "nll_loss", "-1");
  EXPECT_THROW_WITH(F::focal_loss(logits, labels({0, 7, 1, 2})), IndexError, "focal_loss", "7");
  // ignore_index is exempt from the range check.
  EXPECT_NO_THROW(F::cross_entropy(logits, labels({0, -100, 1, 2})));
  EXPECT_NO_THROW(F::cross_entropy(logits, labels({0, 9, 1, 2}), {.ignore_index = 9}));
  EXPECT_THROW_WITH(F::cross_entropy(logits, labels({0, 1, 2})), ShapeError, "cross_entropy",
                    "[4, 3]", "[3]");
  EXPECT_THROW_WITH(F::cross_entropy(zeros({2, 3, 5}), randint(0, 3, {2, 4})), ShapeError,
                    "[2, 3, 5]", "[2, 5]", "[2, 4]");
  EXPECT_THROW_WITH(F::cross_entropy(logits, zeros({4})), ValueError, "cross_entropy", "int64",
                    "float32");
  EXPECT_THROW_WITH(F::cross_entropy(logits, zeros({4, 2})), ValueError, "int64", "[4, 2]");
  EXPECT_THROW_WITH(F::cross_entropy(zeros({}), labels({0})), ShapeError, "cross_entropy");
  EXPECT_THROW_WITH(F::cross_entropy(logits, labels({0, 1, 2, 1}), {.label_smoothing = 1.5}),
                    ValueError, "label_smoothing", "1.5");
  EXPECT_THROW_WITH(F::cross_entropy(logits, labels({0, 1, 2, 1}), {.weight = ones({4})}),
                    ShapeError, "weight", "4", "3 classes");
  EXPECT_THROW_WITH(F::cross_entropy(logits, labels({0, 1, 2, 1}), {.weight = ones({3, 1})}),
                    ShapeError, "weight", "[3, 1]");
  EXPECT_THROW_WITH(F::cross_entropy(zeros({4, 3}, {.dtype = int64}), labels({0, 1, 2, 1})),
                    ValueError, "cross_entropy", "input", "int64");
  EXPECT_THROW_WITH(F::binary_cross_entropy(tensor({0.5, 1.5}), tensor({0, 1})), ValueError,
                    "binary_cross_entropy", "[0, 1]", "1.5");
  EXPECT_THROW_WITH(F::binary_cross_entropy(tensor({0.5, 0.2}), tensor({0, 1, 1})), ShapeError,
                    "binary_cross_entropy", "[2]", "[3]");
  EXPECT_THROW_WITH(
      F::binary_cross_entropy_with_logits(zeros({2, 3}), zeros({2, 3}), {.pos_weight = ones({2})}),
      ShapeError, "pos_weight", "[2]", "[2, 3]");
  EXPECT_THROW_WITH(F::sigmoid_focal_loss(zeros({2}), zeros({2}), {.gamma = -1}), ValueError,
                    "sigmoid_focal_loss", "gamma", "-1");
  EXPECT_THROW_WITH(F::sigmoid_focal_loss(zeros({2}), zeros({2}), {.alpha = 1.5}), ValueError,
                    "alpha", "1.5");
  EXPECT_THROW_WITH(F::focal_loss(logits, labels({0, 1, 2, 1}), {.alpha = ones({2})}), ShapeError,
                    "focal_loss", "alpha", "2");
  EXPECT_THROW_WITH(nn::CrossEntropyLoss({.label_smoothing = -0.1}), ValueError, "CrossEntropyLoss",
                    "label_smoothing", "-0.1");
  EXPECT_THROW_WITH(nn::FocalLoss({.gamma = -2}), ValueError, "FocalLoss", "gamma", "-2");
  EXPECT_THROW_WITH(nn::NLLLoss({.weight = ones({2, 2})}), ShapeError, "NLLLoss", "weight");
}

TEST(ClassificationLoss, AllIgnoredMeanIsNaNLikePyTorch) {
  Tensor logits = zeros({2, 3});
  EXPECT_TRUE(std::isnan(F::cross_entropy(logits, labels({-100, -100})).item()));
  EXPECT_EQ(F::cross_entropy(logits, labels({-100, -100}), {.reduction = Reduction::sum}).item(),
            0.0);
}

}  // namespace
}  // namespace cajal
