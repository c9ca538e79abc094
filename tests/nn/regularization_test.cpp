// Weight regularization: penalty values and gradients (gradcheck in float64), which parameters
// regularized_parameters selects (biases, normalization layers, frozen and shared tensors), the
// equivalences with optimizers' weight decay over 10-step trajectories (L2 penalty = SGD's
// coupled weight_decay with lambda = wd / 2; apply_weight_decay_ + Adam = AdamW; decoupled decay
// + SGD with momentum = the update written out), the max-norm constraint against its formula,
// and option errors.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/activation.h"
#include "cajal/nn/container.h"
#include "cajal/nn/linear.h"
#include "cajal/nn/normalization.h"
#include "cajal/nn/regularization.h"
#include "cajal/optim/adam.h"
#include "cajal/optim/adamw.h"
#include "cajal/optim/sgd.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using autograd::gradcheck;
using testing::tensors_close;

constexpr Dtype f64 = Dtype::float64;

// A layer registering "weight" and "bias" plus a recurrent-style "bias_ih" and a "scale".
class Custom : public nn::Module {
 public:
  Custom() : Module("Custom") {
    weight = register_parameter("weight", ones({2, 3}));
    bias = register_parameter("bias", ones({2}));
    bias_ih = register_parameter("bias_ih", ones({2}));
    scale = register_parameter("scale", ones({1}));
  }
  Tensor weight, bias, bias_ih, scale;
};

// A module with a name that only looks like a normalization layer's at the end.
class NotNorm : public nn::Module {
 public:
  NotNorm() : Module("MyBatchNormLike") { weight = register_parameter("weight", ones({3})); }
  Tensor weight;
};

bool contains(const std::vector<Tensor>& list, const Tensor& t) {
  for (const Tensor& x : list) {
    if (x.is_same(t)) return true;
  }
  return false;
}

TEST(Penalty, Values) {
  Tensor a = tensor({{1.0, -2.0}, {0.0, 3.0}});
  Tensor b = tensor({-0.5});
  EXPECT_NEAR(nn::l1_penalty({a, b}, 0.1).item(), 0.1 * 6.5, 1e-6);
  EXPECT_NEAR(nn::l2_penalty({a, b}, 0.1).item(), 0.1 * 14.25, 1e-6);
  EXPECT_NEAR((nn::Regularizer{.l1 = 0.1, .l2 = 0.01}.penalty({a, b})).item(),
              0.1 * 6.5 + 0.01 * 14.25, 1e-6);
  EXPECT_EQ(nn::l2_penalty({a}, 0.1).dim(), 0);
  // Nothing to penalize: a zero that can still be added to a loss.
  EXPECT_EQ(nn::l1_penalty({}, 0.1).item(), 0.0);
  EXPECT_EQ(nn::l2_penalty({}, 0.1).item(), 0.0);
  EXPECT_EQ(nn::Regularizer{}.penalty({a}).item(), 0.0);
  EXPECT_EQ(nn::l2_penalty({a}, 0.0).item(), 0.0);
  // float64 parameters give a float64 penalty.
  EXPECT_EQ(nn::l2_penalty({a.to(f64)}, 0.5).dtype(), f64);
}

TEST(Penalty, Gradients) {
  Tensor w = tensor({{1.0, -2.0}, {0.0, 3.0}}, {.dtype = f64}).requires_grad_(true);
  nn::l1_penalty({w}, 0.5).backward();
  // lambda * sign(w), 0 at 0 (as PyTorch's abs).
  EXPECT_TRUE(tensors_close(w.grad(), tensor({{0.5, -0.5}, {0.0, 0.5}}, {.dtype = f64}), 0, 0));
  w.set_grad(Tensor());
  nn::l2_penalty({w}, 0.5).backward();
  // 2 * lambda * w: the sum of squares is not halved.
  EXPECT_TRUE(tensors_close(w.grad(), tensor({{1.0, -2.0}, {0.0, 3.0}}, {.dtype = f64}), 0, 0));
}

TEST(Penalty, Gradcheck) {
  manual_seed(7);
  // |w| has a kink at 0: keep the entries away from it.
  Tensor a = (rand({3, 4}, {.dtype = f64}) + 0.1) * sign(randn({3, 4}, {.dtype = f64}));
  Tensor b = randn({5}, {.dtype = f64}) + 3.0;
  a.requires_grad_(true);
  b.requires_grad_(true);
  auto l1 = [](const std::vector<Tensor>& p) { return nn::l1_penalty(p, 0.3); };
  auto l2 = [](const std::vector<Tensor>& p) { return nn::l2_penalty(p, 0.3); };
  auto both = [](const std::vector<Tensor>& p) {
    return nn::Regularizer{.l1 = 0.2, .l2 = 0.7}.penalty(p);
  };
  for (const auto& fn : {std::function<Tensor(const std::vector<Tensor>&)>(l1),
                         std::function<Tensor(const std::vector<Tensor>&)>(l2),
                         std::function<Tensor(const std::vector<Tensor>&)>(both)}) {
    auto result = gradcheck(fn, {a, b}, {.check_second_order = true});
    EXPECT_TRUE(result.ok) << result.message;
  }
}

TEST(RegularizedParameters, ExcludesBiasesAndNormalizationByDefault) {
  manual_seed(1);
  nn::Sequential net{nn::Linear({.in_features = 4, .out_features = 6}),
                     nn::BatchNorm1d({.num_features = 6}),
                     nn::ReLU(),
                     nn::Linear({.in_features = 6, .out_features = 5}),
                     nn::LayerNorm({.normalized_shape = {5}}),
                     nn::Linear({.in_features = 5, .out_features = 2, .bias = false})};
  auto fc0 = net.child<nn::Linear>("0");
  auto bn = net.child<nn::BatchNorm1d>("1");
  auto fc3 = net.child<nn::Linear>("3");
  auto ln = net.child<nn::LayerNorm>("4");
  auto fc5 = net.child<nn::Linear>("5");

  std::vector<Tensor> selected = nn::regularized_parameters(net);
  ASSERT_EQ(selected.size(), 3u);
  EXPECT_TRUE(selected[0].is_same(fc0->weight));
  EXPECT_TRUE(selected[1].is_same(fc3->weight));
  EXPECT_TRUE(selected[2].is_same(fc5->weight));

  std::vector<Tensor> with_biases = nn::regularized_parameters(net, {.include_biases = true});
  ASSERT_EQ(with_biases.size(), 5u);
  EXPECT_TRUE(contains(with_biases, fc0->bias));
  EXPECT_TRUE(contains(with_biases, fc3->bias));
  EXPECT_FALSE(contains(with_biases, bn->bias));

  std::vector<Tensor> with_norm = nn::regularized_parameters(net, {.include_normalization = true});
  ASSERT_EQ(with_norm.size(), 5u);
  EXPECT_TRUE(contains(with_norm, bn->weight));
  EXPECT_TRUE(contains(with_norm, ln->weight));
  EXPECT_FALSE(contains(with_norm, ln->bias));

  std::vector<Tensor> all =
      nn::regularized_parameters(net, {.include_biases = true, .include_normalization = true});
  ASSERT_EQ(all.size(), net.parameters().size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_TRUE(all[i].is_same(net.parameters()[i]));

  // The penalty over the module is the penalty over those weights.
  nn::Regularizer reg{.l1 = 0.01, .l2 = 0.1};
  EXPECT_NEAR(reg.penalty(net).item(),
              (nn::l1_penalty(selected, 0.01) + nn::l2_penalty(selected, 0.1)).item(), 1e-6);
}

TEST(RegularizedParameters, CustomModuleFrozenAndShared) {
  Custom custom;
  std::vector<Tensor> selected = nn::regularized_parameters(custom);
  ASSERT_EQ(selected.size(), 2u);  // weight and scale; bias and bias_ih are biases
  EXPECT_TRUE(selected[0].is_same(custom.weight));
  EXPECT_TRUE(selected[1].is_same(custom.scale));
  EXPECT_EQ(nn::regularized_parameters(custom, {.include_biases = true}).size(), 4u);

  custom.weight.requires_grad_(false);  // frozen
  selected = nn::regularized_parameters(custom);
  ASSERT_EQ(selected.size(), 1u);
  EXPECT_TRUE(selected[0].is_same(custom.scale));
  EXPECT_EQ(nn::regularized_parameters(custom, {.include_frozen = true}).size(), 2u);

  // Only a type name beginning like a normalization layer's counts as one.
  EXPECT_EQ(nn::regularized_parameters(NotNorm()).size(), 1u);

  // A layer used twice is listed once.
  auto shared =
      std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 3, .out_features = 3});
  nn::Sequential twice{shared, nn::Tanh(), shared};
  selected = nn::regularized_parameters(twice);
  ASSERT_EQ(selected.size(), 1u);
  EXPECT_TRUE(selected[0].is_same(shared->weight));
}

// A small float64 network and data for the trajectory tests.
struct Problem {
  std::shared_ptr<nn::Sequential> net;
  Tensor x, y;
};

Problem make_problem() {
  manual_seed(11);
  Problem p;
  p.net = std::make_shared<nn::Sequential>(
      nn::Linear({.in_features = 4, .out_features = 6, .dtype = f64}), nn::Tanh(),
      nn::Linear({.in_features = 6, .out_features = 1, .dtype = f64}));
  p.x = randn({16, 4}, {.dtype = f64});
  p.y = randn({16, 1}, {.dtype = f64});
  return p;
}

Tensor data_loss(Problem& p) {
  Tensor diff = (*p.net)(p.x) - p.y;
  return (diff * diff).mean();
}

void expect_same_parameters(const nn::Module& a, const nn::Module& b, double rtol, int step) {
  std::vector<Tensor> pa = a.parameters(), pb = b.parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(tensors_close(pa[i], pb[i], rtol, 1e-15)) << "step " << step << " parameter " << i;
  }
}

TEST(Penalty, L2PenaltyEqualsSgdWeightDecay) {
  // PyTorch's weight_decay = wd adds wd * w to the gradient: l2_penalty with lambda = wd / 2.
  const double wd = 0.05;
  Problem with_penalty = make_problem();
  Problem with_decay = make_problem();
  optim::SGD a(with_penalty.net->parameters(), {.lr = 0.1, .momentum = 0.9});
  optim::SGD b(with_decay.net->parameters(), {.lr = 0.1, .momentum = 0.9, .weight_decay = wd});
  for (int step = 0; step < 12; ++step) {
    a.zero_grad();
    (data_loss(with_penalty) + nn::l2_penalty(with_penalty.net->parameters(), wd / 2)).backward();
    a.step();
    b.zero_grad();
    data_loss(with_decay).backward();
    b.step();
    expect_same_parameters(*with_penalty.net, *with_decay.net, 1e-12, step);
  }
  // The decay did something: without it the weights differ.
  Problem plain = make_problem();
  optim::SGD c(plain.net->parameters(), {.lr = 0.1, .momentum = 0.9});
  for (int step = 0; step < 12; ++step) {
    c.zero_grad();
    data_loss(plain).backward();
    c.step();
  }
  EXPECT_FALSE(allclose(plain.net->parameters()[0], with_decay.net->parameters()[0], 1e-4, 0));
}

TEST(WeightDecay, FormulaAndSkipsParametersWithoutGradient) {
  Tensor w = tensor({1.0, -2.0}, {.dtype = f64}).requires_grad_(true);
  Tensor frozen = tensor({1.0, -2.0}, {.dtype = f64}).requires_grad_(true);
  w.set_grad(zeros_like(w));
  nn::apply_weight_decay_({w, frozen}, 0.1, 0.5);  // w <- w (1 - 0.05)
  EXPECT_TRUE(tensors_close(w, tensor({0.95, -1.9}, {.dtype = f64}), 1e-15, 0));
  EXPECT_TRUE(equal(frozen, tensor({1.0, -2.0}, {.dtype = f64})));
  EXPECT_FALSE(w.grad_fn());  // no graph recorded
}

TEST(WeightDecay, WithAdamEqualsAdamW) {
  const double lr = 0.01, wd = 0.1;
  Problem decoupled = make_problem();
  Problem adamw = make_problem();
  optim::Adam a(decoupled.net->parameters(), {.lr = lr});
  optim::AdamW b(adamw.net->parameters(), {.lr = lr, .weight_decay = wd});
  for (int step = 0; step < 12; ++step) {
    a.zero_grad();
    data_loss(decoupled).backward();
    nn::apply_weight_decay_(decoupled.net->parameters(), lr, wd);  // before step(), as AdamW
    a.step();
    b.zero_grad();
    data_loss(adamw).backward();
    b.step();
    expect_same_parameters(*decoupled.net, *adamw.net, 1e-13, step);
  }
}

TEST(WeightDecay, WithSgdMomentumFollowsTheDecoupledUpdate) {
  // w <- w (1 - lr wd) - lr b,  b <- momentum b + g: the decay never enters the buffer.
  const double lr = 0.1, wd = 0.2, momentum = 0.9;
  Problem p = make_problem();
  optim::SGD opt(p.net->parameters(), {.lr = lr, .momentum = momentum});
  std::vector<Tensor> expected, buffers;
  for (const Tensor& w : p.net->parameters()) expected.push_back(w.detach().clone());
  for (int step = 0; step < 12; ++step) {
    opt.zero_grad();
    data_loss(p).backward();
    std::vector<Tensor> params = p.net->parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor g = params[i].grad().detach();
      if (step == 0) {
        buffers.push_back(g.clone());
      } else {
        buffers[i] = buffers[i] * momentum + g;
      }
      expected[i] = expected[i] * (1 - lr * wd) - buffers[i] * lr;
    }
    nn::apply_weight_decay_(params, lr, wd);
    opt.step();
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_TRUE(tensors_close(params[i], expected[i], 1e-12, 1e-15))
          << "step " << step << " parameter " << i;
    }
  }
}

TEST(MaxNorm, RescalesOnlyUnitsAboveTheBound) {
  // Rows (dim 0 units) with norms 5, 0.5 and 13 in a [3, 2, 1] weight.
  Tensor w = tensor({{3.0, 4.0}, {0.3, 0.4}, {5.0, 12.0}}, {.dtype = f64}).reshape({3, 2, 1});
  Tensor before = w.clone();
  Tensor same = nn::max_norm_(w, 2.0);
  EXPECT_TRUE(same.is_same(w));
  const double eps = 1e-7;
  Tensor expected = tensor({{3.0 * 2 / (5 + eps), 4.0 * 2 / (5 + eps)},
                            {0.3, 0.4},
                            {5.0 * 2 / (13 + eps), 12.0 * 2 / (13 + eps)}},
                           {.dtype = f64})
                        .reshape({3, 2, 1});
  EXPECT_TRUE(tensors_close(w, expected, 1e-15, 0));
  EXPECT_TRUE(equal(w.select(0, 1), before.select(0, 1)));  // within the bound: untouched
  Tensor norms = norm(w, 2, {1, 2});
  EXPECT_NEAR(norms.at<double>({0}), 2.0, 1e-6);
  EXPECT_NEAR(norms.at<double>({2}), 2.0, 1e-6);
}

TEST(MaxNorm, OtherDimsAndFormula) {
  manual_seed(4);
  Tensor w = randn({5, 4, 3}, {.dtype = f64}) * 2.0;
  for (int64_t dim : {0, 1, 2, -1}) {
    Tensor v = w.clone();
    nn::max_norm_(v, 1.5, dim, 1e-3);
    int64_t kept = dim < 0 ? dim + 3 : dim;
    Dims reduced;
    for (int64_t d = 0; d < 3; ++d) {
      if (d != kept) reduced.push_back(d);
    }
    Tensor n = norm(w, 2, reduced, true);
    Tensor expected = w * where(n > 1.5, 1.5 / (n + 1e-3), 1.0);
    EXPECT_TRUE(tensors_close(v, expected, 1e-15, 0)) << "dim " << dim;
  }
  // A vector: each element is a unit.
  Tensor v = tensor({-3.0, 0.5, 2.0}, {.dtype = f64});
  nn::max_norm_(v, 1.0, 0, 0.0);
  EXPECT_TRUE(tensors_close(v, tensor({-1.0, 0.5, 1.0}, {.dtype = f64}), 1e-15, 0));
}

TEST(MaxNorm, ApplyToModuleAfterStep) {
  manual_seed(2);
  nn::Sequential net{nn::Linear({.in_features = 4, .out_features = 3}),
                     nn::LayerNorm({.normalized_shape = {3}}),
                     nn::Linear({.in_features = 3, .out_features = 2})};
  auto fc0 = net.child<nn::Linear>("0");
  auto ln = net.child<nn::LayerNorm>("1");
  auto fc2 = net.child<nn::Linear>("2");
  {
    no_grad guard;
    fc0->weight.mul_(10.0);
    fc0->bias.fill_(10.0);
    fc2->weight.mul_(10.0);
    ln->weight.fill_(10.0);
  }
  Tensor bias_before = fc0->bias.clone();
  nn::apply_max_norm_(net, 1.0);
  for (const Tensor& w : {fc0->weight, fc2->weight}) {
    Tensor norms = norm(w, 2, {1});
    for (float n : to_vector<float>(norms)) EXPECT_LE(n, 1.0f + 1e-6f);
  }
  EXPECT_TRUE(equal(fc0->bias, bias_before));
  EXPECT_TRUE(equal(ln->weight, full({3}, 10.0)));
  // Parameters that require grad can be constrained while grad mode is on.
  EXPECT_TRUE(fc0->weight.requires_grad());
}

TEST(Regularization, BadOptions) {
  Tensor w = ones({2});
  EXPECT_THROW_WITH(nn::l1_penalty({w}, -0.1), ValueError, "l1_penalty", "lambda", "-0.1");
  EXPECT_THROW_WITH(nn::l2_penalty({w}, std::nan("")), ValueError, "l2_penalty", "lambda", "nan");
  EXPECT_THROW_WITH(nn::l2_penalty({arange(3, {.dtype = Dtype::int64})}, 0.1), ValueError,
                    "l2_penalty", "floating point", "int64");
  EXPECT_THROW_WITH(nn::l1_penalty({Tensor()}, 0.1), ValueError, "l1_penalty", "undefined");
  EXPECT_THROW_WITH((nn::Regularizer{.l2 = -1}.penalty({w})), ValueError, "Regularizer", "l2",
                    "-1");
  EXPECT_THROW_WITH((nn::Regularizer{.l1 = -2}.penalty({w})), ValueError, "Regularizer", "l1",
                    "-2");
  EXPECT_THROW_WITH(nn::apply_weight_decay_({w}, -1, 0.1), ValueError, "apply_weight_decay_", "lr",
                    "-1");
  EXPECT_THROW_WITH(nn::apply_weight_decay_({w}, 0.1, -0.5), ValueError, "weight_decay", "-0.5");
  EXPECT_THROW_WITH(nn::max_norm_(w, -1.0), ValueError, "max_norm_", "max_value", "-1");
  EXPECT_THROW_WITH(nn::max_norm_(w, 1.0, 0, -1e-3), ValueError, "max_norm_", "eps", "-0.001");
  EXPECT_THROW_WITH(nn::max_norm_(scalar_tensor(1.0, Dtype::float32), 1.0), ValueError, "max_norm_",
                    "scalar");
  EXPECT_THROW_WITH(nn::max_norm_(ones({2, 3}), 1.0, 2), IndexError, "max_norm_");
  EXPECT_THROW_WITH(nn::max_norm_(arange(3, {.dtype = Dtype::int64}), 1.0), ValueError, "max_norm_",
                    "int64");
}

}  // namespace
}  // namespace cajal
