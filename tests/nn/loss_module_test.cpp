// The loss module interface: every (input, target) loss is an nn::Loss usable through a base
// reference, as a training loop holds it; losses train a model (gradients flow to parameters).
#include <gtest/gtest.h>

#include <memory>

#include "loss_support.h"

namespace cajal {
namespace {

// A loss function chosen at run time, evaluated through the base class.
Tensor evaluate(nn::Loss& loss, const Tensor& input, const Tensor& target) {
  return loss(input, target);
}

TEST(LossModule, EveryTwoTensorLossIsALoss) {
  manual_seed(51);
  Tensor x = randn({4, 3}), t = randn({4, 3}), p = rand({4, 3}) * 0.8 + 0.1;
  Tensor labels = tensor({0, 2, 1, 1}, {.dtype = int64});
  Tensor signs = bernoulli({4, 3}, 0.5) * 2.0 - 1.0, binary = bernoulli({4, 3}, 0.5);
  struct Case {
    std::shared_ptr<nn::Loss> loss;
    Tensor input, target, expected;
  };
  std::vector<Case> cases = {
      {std::make_shared<nn::MSELoss>(), x, t, F::mse_loss(x, t)},
      {std::make_shared<nn::L1Loss>(), x, t, F::l1_loss(x, t)},
      {std::make_shared<nn::HuberLoss>(), x, t, F::huber_loss(x, t)},
      {std::make_shared<nn::SmoothL1Loss>(), x, t, F::smooth_l1_loss(x, t)},
      {std::make_shared<nn::QuantileLoss>(), x, t, F::quantile_loss(x, t)},
      {std::make_shared<nn::LogCoshLoss>(), x, t, F::log_cosh_loss(x, t)},
      {std::make_shared<nn::CrossEntropyLoss>(), x, labels, F::cross_entropy(x, labels)},
      {std::make_shared<nn::NLLLoss>(), x, labels, F::nll_loss(x, labels)},
      {std::make_shared<nn::BCELoss>(), p, binary, F::binary_cross_entropy(p, binary)},
      {std::make_shared<nn::BCEWithLogitsLoss>(), x, binary,
       F::binary_cross_entropy_with_logits(x, binary)},
      {std::make_shared<nn::FocalLoss>(), x, labels, F::focal_loss(x, labels)},
      {std::make_shared<nn::SigmoidFocalLoss>(), x, binary, F::sigmoid_focal_loss(x, binary)},
      {std::make_shared<nn::DiceLoss>(), p, binary, F::dice_loss(p, binary)},
      {std::make_shared<nn::IoULoss>(), p, binary, F::iou_loss(p, binary)},
      {std::make_shared<nn::TverskyLoss>(), p, binary, F::tversky_loss(p, binary)},
      {std::make_shared<nn::HingeLoss>(), x, signs, F::hinge_loss(x, signs)},
      {std::make_shared<nn::SquaredHingeLoss>(), x, signs, F::squared_hinge_loss(x, signs)},
      {std::make_shared<nn::MultiMarginLoss>(), x, labels, F::multi_margin_loss(x, labels)},
      {std::make_shared<nn::KLDivLoss>(), x, p, F::kl_div(x, p)},
      {std::make_shared<nn::PoissonNLLLoss>(), x, p, F::poisson_nll_loss(x, p)},
  };
  for (const Case& c : cases) {
    Tensor got = evaluate(*c.loss, c.input, c.target);
    EXPECT_TRUE(equal(got, c.expected)) << c.loss->type_name();
    EXPECT_EQ(got.dim(), 0) << c.loss->type_name();
    // A loss has no parameters: an optimizer given model.parameters() never sees it.
    EXPECT_TRUE(c.loss->parameters().empty()) << c.loss->type_name();
    EXPECT_THROW_WITH((*c.loss)(c.input), ValueError, c.loss->type_name());
  }
}

TEST(LossModule, GradientReachesModelParameters) {
  // One gradient step on a linear classifier lowers the cross entropy.
  manual_seed(52);
  Tensor w = (randn({3, 2}) * 0.1).requires_grad_(true);
  Tensor x = randn({8, 3});
  Tensor y = tensor({0, 1, 1, 0, 1, 0, 0, 1}, {.dtype = int64});
  nn::CrossEntropyLoss criterion({.label_smoothing = 0.05});
  Tensor before = criterion(matmul(x, w), y);
  before.backward();
  ASSERT_TRUE(w.grad().defined());
  Tensor stepped = (w.detach() - 0.5 * w.grad()).requires_grad_(true);
  Tensor after = criterion(matmul(x, stepped), y);
  EXPECT_LT(after.item(), before.item());
}

TEST(LossModule, CopiesShareTheWeightBuffer) {
  Tensor weight = tensor({1.0, 2.0});
  nn::NLLLoss original({.weight = weight});
  nn::NLLLoss copy = original;
  EXPECT_TRUE(copy.options().weight.is_same(original.options().weight));
  EXPECT_EQ(nn::to_string(copy), "NLLLoss(weight=[2], ignore_index=-100, reduction=mean)");
}

}  // namespace
}  // namespace cajal
