#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "cajal/cajal.h"

namespace cajal {
namespace {

using autograd::grads;

Tensor scalar64(double v, bool requires_grad = true) {
  return full({}, v, {.dtype = Dtype::float64, .requires_grad = requires_grad});
}

TEST(Backward, ChainRuleOnAPolynomial) {
  Tensor x = tensor({1, 2, 3}, {.dtype = Dtype::float64, .requires_grad = true});
  Tensor y = sum(x * x + 3 * x);
  y.backward();
  EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{5, 7, 9}));
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(y.is_leaf());
  EXPECT_EQ(y.grad_fn()->name(), "sum");
}

TEST(Backward, GradientsAccumulateAcrossCalls) {
  Tensor x = scalar64(2);
  (x * x).backward();
  (x * x).backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 8.0);
  x.set_grad(Tensor());
  (3 * x).backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 3.0);
}

TEST(Backward, AnInputUsedTwiceGetsBothContributions) {
  Tensor x = scalar64(3);
  Tensor y = x * x * x;  // 3x^2 = 27
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 27.0);
}

TEST(Backward, SecondPassNeedsRetainGraph) {
  Tensor x = scalar64(2);
  Tensor y = exp(x);
  y.backward();
  try {
    y.backward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos) << e.what();
  }
  Tensor z = exp(x);
  x.set_grad(Tensor());
  z.backward({.retain_graph = true});
  z.backward();
  EXPECT_NEAR(x.grad().item(), 2 * std::exp(2.0), 1e-12);
}

TEST(Backward, NonScalarNeedsAGradient) {
  Tensor x = ones({2, 3}, {.requires_grad = true});
  Tensor y = x * 2;
  try {
    y.backward();
    FAIL() << "expected an error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(y.backward(ones({3, 2})), ShapeError);
  y.backward(full({2, 3}, 0.5));
  EXPECT_EQ(to_vector<float>(x.grad()), std::vector<float>(6, 1.0f));
}

TEST(Backward, OnATensorWithoutGraphIsAnError) {
  Tensor x = ones({});
  EXPECT_THROW(x.backward(), ValueError);
}

TEST(Backward, BroadcastGradientsAreSummedToEachInputShape) {
  Tensor a = ones({3, 1}, {.dtype = Dtype::float64, .requires_grad = true});
  Tensor b = ones({4}, {.dtype = Dtype::float64, .requires_grad = true});
  sum(a * b + a).backward();
  EXPECT_EQ(a.grad().shape(), (Shape{3, 1}));
  EXPECT_EQ(to_vector<double>(a.grad()), (std::vector<double>{8, 8, 8}));
  EXPECT_EQ(b.grad().shape(), (Shape{4}));
  EXPECT_EQ(to_vector<double>(b.grad()), (std::vector<double>{3, 3, 3, 3}));
}

TEST(Backward, MixedPrecisionGradientKeepsTheLeafDtype) {
  Tensor a = ones({2}, {.requires_grad = true});  // float32
  Tensor b = full({2}, 3.0, {.dtype = Dtype::float64});
  Tensor y = sum(a * b);
  EXPECT_EQ(y.dtype(), Dtype::float64);
  y.backward();
  EXPECT_EQ(a.grad().dtype(), Dtype::float32);
  EXPECT_EQ(to_vector<float>(a.grad()), (std::vector<float>{3, 3}));
}

TEST(GradMode, NoGradRecordsNothing) {
  Tensor x = ones({2}, {.requires_grad = true});
  {
    no_grad guard;
    EXPECT_FALSE(is_grad_enabled());
    Tensor y = x * 2;
    EXPECT_FALSE(y.requires_grad());
    {
      enable_grad inner;
      EXPECT_TRUE((x * 2).requires_grad());
    }
    EXPECT_FALSE(is_grad_enabled());
  }
  EXPECT_TRUE(is_grad_enabled());
  EXPECT_TRUE((x * 2).requires_grad());
}

TEST(GradMode, DetachCutsTheGraph) {
  Tensor x = scalar64(2);
  Tensor y = x * x;
  Tensor z = y.detach() * x;  // d/dx treats y as the constant 4
  z.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 4.0);
  EXPECT_FALSE(y.detach().requires_grad());
  EXPECT_EQ(y.detach().storage().get(), y.storage().get());
}

TEST(Engine, AMillionOpChainNeitherOverflowsForwardBackwardNorDestruction) {
  Tensor x = scalar64(0.0);
  Tensor y = x;
  for (int i = 0; i < 1000000; ++i) y = y + 1.0;
  EXPECT_DOUBLE_EQ(y.item(), 1e6);
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 1.0);

  // A chain that is dropped without a backward pass must be destroyed without deep recursion.
  Tensor z = x;
  for (int i = 0; i < 1000000; ++i) z = z * 1.0;
  z = Tensor();
  SUCCEED();
}

TEST(Engine, SavedTensorsAreFreedAfterBackward) {
  Tensor a = ones({4}, {.requires_grad = true});
  std::weak_ptr<TensorImpl> saved;
  Tensor c;
  {
    Tensor b = a * 2;
    saved = b.impl_ptr();
    c = sum(b * b);  // mul saves b for its backward
  }
  EXPECT_FALSE(saved.expired());
  c.backward();
  EXPECT_TRUE(saved.expired());
  EXPECT_TRUE(c.grad_fn()->released());
}

TEST(Engine, RetainedGraphKeepsSavedTensors) {
  Tensor a = ones({4}, {.requires_grad = true});
  std::weak_ptr<TensorImpl> saved;
  Tensor c;
  {
    Tensor b = a * 2;
    saved = b.impl_ptr();
    c = sum(b * b);
  }
  c.backward({.retain_graph = true});
  EXPECT_FALSE(saved.expired());
}

TEST(Engine, ABackwardFunctionWithTheWrongArityIsReported) {
  Tensor x = ones({2}, {.requires_grad = true});
  Tensor y = autograd::record("broken", x.detach() * 2, {x}, [](const Tensor& dy) {
    return grads{dy, dy};
  });
  try {
    sum(y).backward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken"), std::string::npos) << e.what();
  }
}

TEST(FunctionalGrad, ReturnsGradientsWithoutTouchingGrad) {
  Tensor x = tensor({1, 2}, {.dtype = Dtype::float64, .requires_grad = true});
  Tensor w = tensor({3, 4}, {.dtype = Dtype::float64, .requires_grad = true});
  Tensor y = sum(x * w);
  std::vector<Tensor> g = autograd::grad({y}, {x});
  EXPECT_EQ(to_vector<double>(g[0]), (std::vector<double>{3, 4}));
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
  Tensor unused = scalar64(1);
  EXPECT_THROW(autograd::grad({sum(x * 2)}, {unused}), ValueError);
  std::vector<Tensor> g2 = autograd::grad({sum(x * 2)}, {x, unused}, {}, {}, true);
  EXPECT_FALSE(g2[1].defined());
}

TEST(FunctionalGrad, WithRespectToAnIntermediate) {
  Tensor x = scalar64(3);
  Tensor h = x * x;      // 9
  Tensor y = h * h * 2;  // dy/dh = 4h = 36
  EXPECT_DOUBLE_EQ(autograd::grad({y}, {h})[0].item(), 36.0);
}

TEST(HigherOrder, SecondDerivativeOfACubic) {
  Tensor x = scalar64(2);
  Tensor y = x * x * x;
  y.backward({.create_graph = true});
  Tensor dydx = x.grad();  // 3x^2 = 12, with its own graph
  EXPECT_DOUBLE_EQ(dydx.item(), 12.0);
  ASSERT_TRUE(dydx.requires_grad());
  x.set_grad(Tensor());
  dydx.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 12.0);  // 6x
}

TEST(HigherOrder, ThirdDerivativeThroughOutputSavingOps) {
  // f = exp(tanh(x)); checks ops whose backward uses their own output.
  double x0 = 0.3;
  Tensor x = scalar64(x0);
  Tensor f = exp(tanh(x));
  Tensor d1 = autograd::grad({f}, {x}, {}, {.create_graph = true})[0];
  Tensor d2 = autograd::grad({d1}, {x}, {}, {.create_graph = true})[0];
  Tensor d3 = autograd::grad({d2}, {x})[0];
  double t = std::tanh(x0), s = 1 - t * t, e = std::exp(t);
  // f' = e s;  f'' = e (s^2 - 2 t s);  f''' = e (s^3 - 6 t s^2 - 2 s^2 + 4 t^2 s)
  EXPECT_NEAR(d1.item(), e * s, 1e-12);
  EXPECT_NEAR(d2.item(), e * (s * s - 2 * t * s), 1e-12);
  EXPECT_NEAR(d3.item(), e * (s * s * s - 6 * t * s * s - 2 * s * s + 4 * t * t * s), 1e-12);
}

TEST(HigherOrder, HessianVectorProduct) {
  // f(x) = sum(x^2 * w) + x0 * x1 ; H = diag(2w) + [[0,1],[1,0]]
  Tensor x = tensor({1, 2}, {.dtype = Dtype::float64, .requires_grad = true});
  Tensor w = tensor({3, 5}, {.dtype = Dtype::float64});
  Tensor f = sum(x * x * w) + x.select(0, 0) * x.select(0, 1);
  Tensor g = autograd::grad({f}, {x}, {}, {.create_graph = true})[0];
  Tensor v = tensor({1, -1}, {.dtype = Dtype::float64});
  Tensor hv = autograd::grad({sum(g * v)}, {x})[0];
  // H v = [6*1 + 1*(-1), 1*1 + 10*(-1)] = [5, -9]
  EXPECT_EQ(to_vector<double>(hv), (std::vector<double>{5, -9}));
}

TEST(HigherOrder, NewtonsMethodConvergesQuadratically) {
  // Minimize f(x) = x^4 / 4 - 2x: f' = x^3 - 2, f'' = 3x^2, minimum at 2^(1/3).
  double x_value = 2.0;
  for (int step = 0; step < 8; ++step) {
    Tensor x = scalar64(x_value);
    Tensor f = pow(x, 4) / 4 - 2 * x;
    Tensor d1 = autograd::grad({f}, {x}, {}, {.create_graph = true})[0];
    Tensor d2 = autograd::grad({d1}, {x})[0];
    x_value -= d1.item() / d2.item();
  }
  EXPECT_NEAR(x_value, std::cbrt(2.0), 1e-14);
}

TEST(HigherOrder, GradientPenalty) {
  // penalty(w) = || d/dx (w . x^2) ||^2 = sum((2 w x)^2); d penalty / dw = 8 w x^2
  Tensor x = tensor({1, 2}, {.dtype = Dtype::float64, .requires_grad = true});
  Tensor w = tensor({0.5, -1}, {.dtype = Dtype::float64, .requires_grad = true});
  Tensor out = sum(w * x * x);
  Tensor gx = autograd::grad({out}, {x}, {}, {.create_graph = true})[0];
  Tensor penalty = sum(gx * gx);
  penalty.backward();
  EXPECT_EQ(to_vector<double>(w.grad()), (std::vector<double>{4, -32}));
}

TEST(Gradcheck, PassesForACorrectOpAndNamesTheWorstElementOfAWrongOne) {
  Tensor x = randn({3, 2}, {.dtype = Dtype::float64, .requires_grad = true});
  auto good = autograd::gradcheck([](const std::vector<Tensor>& in) { return tanh(in[0]) * in[0]; },
                                  {x}, {.check_second_order = true});
  EXPECT_TRUE(good.ok) << good.message;

  auto wrong_square = [](const std::vector<Tensor>& in) {
    const Tensor& v = in[0];
    return autograd::record("wrong_square", (v * v).detach(), {v}, [v](const Tensor& dy) {
      return grads{dy * v * 3};  // should be 2v
    });
  };
  auto bad = autograd::gradcheck(wrong_square, {x});
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.message.find("input 0"), std::string::npos) << bad.message;

  // The sampled mode (large inputs) catches it too.
  Tensor big = randn({80, 80}, {.dtype = Dtype::float64, .requires_grad = true});
  EXPECT_FALSE(autograd::gradcheck(wrong_square, {big}).ok);
  EXPECT_TRUE(
      autograd::gradcheck([](const std::vector<Tensor>& in) { return in[0] * in[0]; }, {big}).ok);
}

TEST(Gradcheck, SecondOrderOfALinearOpChecksTheUpstreamGradientPath) {
  Tensor x = randn({2, 3}, {.dtype = Dtype::float64, .requires_grad = true});
  auto linear_op = [](const std::vector<Tensor>& in) { return 3 * transpose(in[0], 0, 1); };
  auto r = autograd::gradcheck(linear_op, {x}, {.check_second_order = true});
  EXPECT_TRUE(r.ok) << r.message;
  // A backward that ignores its upstream gradient is caught by the second-order pass.
  auto ignores_upstream = [](const std::vector<Tensor>& in) {
    const Tensor& v = in[0];
    return autograd::record("ignores_upstream", (v * 3).detach(), {v},
                            [v](const Tensor& dy) { return grads{3 * ones_like(dy) + 0 * v}; });
  };
  auto bad = autograd::gradcheck(ignores_upstream, {x}, {.check_second_order = true});
  EXPECT_FALSE(bad.ok);
}

// A function returning a view of its input must not see the input restored before it is read.
TEST(Gradcheck, FunctionsReturningViewsOfTheirInput) {
  Tensor x = randn({2, 3}, {.dtype = Dtype::float64, .requires_grad = true});
  auto result =
      autograd::gradcheck([](const std::vector<Tensor>& in) { return in[0].flatten(); }, {x});
  EXPECT_TRUE(result.ok) << result.message;
  auto identity = autograd::gradcheck([](const std::vector<Tensor>& in) { return in[0]; }, {x});
  EXPECT_TRUE(identity.ok) << identity.message;
}

TEST(Gradcheck, RejectsFloat32Inputs) {
  Tensor x = ones({2}, {.requires_grad = true});
  EXPECT_THROW(autograd::gradcheck([](const std::vector<Tensor>& in) { return in[0]; }, {x}),
               ValueError);
}

// A gradient the engine produced and nobody else holds becomes grad() without a copy; one that
// is shared (here the same tensor flows to both inputs of add) is copied, so the two grads never
// alias.
TEST(Backward, LeafGradientsNeverAliasEachOther) {
  Tensor a = tensor({1, 2}, {.dtype = Dtype::float64, .requires_grad = true});
  Tensor b = tensor({3, 4}, {.dtype = Dtype::float64, .requires_grad = true});
  sum((a + b) * 2).backward();
  EXPECT_NE(a.grad().storage(), b.grad().storage());
  {
    no_grad guard;
    a.grad().add_(ones({2}, {.dtype = Dtype::float64}));
  }
  EXPECT_EQ(to_vector<double>(a.grad()), (std::vector<double>{3, 3}));
  EXPECT_EQ(to_vector<double>(b.grad()), (std::vector<double>{2, 2}));
  // A user's seed is never adopted either.
  Tensor c = tensor({1, 2}, {.dtype = Dtype::float64, .requires_grad = true});
  Tensor seed = tensor({5, 6}, {.dtype = Dtype::float64});
  c.view({2}).backward(seed);
  EXPECT_NE(c.grad().storage(), seed.storage());
  EXPECT_EQ(to_vector<double>(c.grad()), (std::vector<double>{5, 6}));
}

// Per-pass bookkeeping lives in the nodes: a failed pass must leave nothing behind that a later
// pass through the same nodes would pick up.
TEST(Backward, AFailedPassLeavesNoStaleGradients) {
  Tensor x = tensor({1, 2}, {.dtype = Dtype::float64, .requires_grad = true});
  Tensor h = x * 3;
  Tensor bad = autograd::record("broken", h.detach() * 2, {h}, [](const Tensor& dy) {
    return grads{dy, dy};
  });
  Tensor total = sum(h) + sum(bad);
  EXPECT_THROW(total.backward({.retain_graph = true}), Error);
  x.set_grad(Tensor());
  sum(h).backward();
  EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{3, 3}));
}

TEST(Backward, NodesAndTensorsFreedOnAnotherThread) {
  Tensor x = tensor({1, 2}, {.requires_grad = true});
  Tensor y;
  std::thread worker([&] { y = sum(tanh(x * 2)); });
  worker.join();
  y.backward();
  EXPECT_TRUE(x.grad().defined());
  y = Tensor();
}

}  // namespace
}  // namespace cajal
