// Newton's method: the exact Hessian from double backward against hand-derived ones, one step on
// a quadratic, quadratic convergence on logistic regression, damping at indefinite Hessians, line
// searches, state dict round trips, errors.
#include "cajal/optim/newton.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using optim::Newton;
using testing::tensors_close;

constexpr Dtype f64 = Dtype::float64;

// Logistic regression with an L2 penalty on a tiny fixed dataset (not separable, so the minimizer
// is finite even without the penalty).
struct Logistic {
  Tensor x = tensor({{0.5, 1.2, -0.3},
                     {-1.1, 0.4, 0.8},
                     {0.9, -0.7, 1.5},
                     {-0.2, -1.3, 0.1},
                     {1.4, 0.3, -0.9},
                     {-0.6, 0.9, 0.4},
                     {0.2, -0.1, -1.2},
                     {-1.5, -0.4, 0.7}},
                    {.dtype = f64});
  Tensor t = tensor({1, 0, 1, 0, 1, 1, 0, 0}, {.dtype = f64});
  double l2 = 0.1;

  // mean(log(1 + e^z) - t z) + l2 / 2 |w|^2, z = x w + b.
  Tensor operator()(const Tensor& w, const Tensor& b) const {
    Tensor z = matmul(x, w) + b;
    return (log(1 + exp(z)) - t * z).mean() + l2 / 2 * (w * w).sum();
  }
  // By hand: with p = sigmoid(z), N samples and X1 = [x 1],
  //   gradient = X1^T (p - t) / N + l2 [w, 0],   Hessian = X1^T diag(p (1 - p)) X1 / N + l2 [I 0; 0
  //   0].
  Tensor hessian(const Tensor& w, const Tensor& b) const {
    Tensor z = matmul(x, w) + b;
    Tensor p = sigmoid(z);
    Tensor x1 = cat({x, ones({8, 1}, {.dtype = f64})}, 1);
    Tensor weighted = x1 * (p * (1 - p)).unsqueeze(1);
    Tensor penalty = eye(4, std::nullopt, {.dtype = f64}) * l2;
    penalty.select(0, 3).select(0, 3).fill_(0);
    return matmul(x1.t(), weighted) / 8.0 + penalty;
  }
  Tensor gradient(const Tensor& w, const Tensor& b) const {
    Tensor z = matmul(x, w) + b;
    Tensor x1 = cat({x, ones({8, 1}, {.dtype = f64})}, 1);
    Tensor g = matmul(x1.t(), sigmoid(z) - t) / 8.0;
    return g + cat({l2 * w, zeros({1}, {.dtype = f64})});
  }
};

TEST(NewtonHessian, MatchesTheHandDerivedLogisticHessian) {
  Logistic f;
  Tensor w = tensor({0.3, -0.2, 0.5}, {.dtype = f64}).requires_grad_(true);
  Tensor b = tensor({0.1}, {.dtype = f64}).requires_grad_(true);
  auto [gradient, hessian] = optim::gradient_and_hessian(f(w, b), {w, b});
  EXPECT_TRUE(tensors_close(gradient, f.gradient(w.detach(), b.detach()), 1e-12, 1e-14));
  EXPECT_TRUE(tensors_close(hessian, f.hessian(w.detach(), b.detach()), 1e-12, 1e-14));
}

TEST(NewtonHessian, MatchesAHandDerivedHessianWithCrossTerms) {
  // f = u^2 v + v^3 + e^{uv}, u and v separate parameters:
  //   H = [[2v + v^2 e, 2u + e + uv e], [2u + e + uv e, 6v + u^2 e]], e = e^{uv}.
  const double u0 = 0.7, v0 = -0.4, e = std::exp(u0 * v0);
  Tensor u = tensor({u0}, {.dtype = f64}).requires_grad_(true);
  Tensor v = tensor({v0}, {.dtype = f64}).requires_grad_(true);
  Tensor loss = (u * u * v + v * v * v + exp(u * v)).sum();
  auto [gradient, hessian] = optim::gradient_and_hessian(loss, {u, v});
  Tensor expected_gradient =
      tensor({2 * u0 * v0 + v0 * e, u0 * u0 + 3 * v0 * v0 + u0 * e}, {.dtype = f64});
  const double cross = 2 * u0 + e + u0 * v0 * e;
  Tensor expected =
      tensor({{2 * v0 + v0 * v0 * e, cross}, {cross, 6 * v0 + u0 * u0 * e}}, {.dtype = f64});
  EXPECT_TRUE(tensors_close(gradient, expected_gradient, 1e-14, 1e-15));
  EXPECT_TRUE(tensors_close(hessian, expected, 1e-14, 1e-15));
}

TEST(NewtonHessian, UnusedAndLinearParametersGiveZeroRows) {
  Tensor a = tensor({1.0, 2.0}, {.dtype = f64}).requires_grad_(true);
  Tensor linear_in = tensor({3.0}, {.dtype = f64}).requires_grad_(true);
  Tensor unused = tensor({4.0}, {.dtype = f64}).requires_grad_(true);
  Tensor loss = (a * a).sum() + 5 * linear_in.sum();
  auto [gradient, hessian] = optim::gradient_and_hessian(loss, {a, linear_in, unused});
  EXPECT_TRUE(equal(gradient, tensor({2.0, 4.0, 5.0, 0.0}, {.dtype = f64})));
  Tensor expected = zeros({4, 4}, {.dtype = f64});
  expected.select(0, 0).select(0, 0).fill_(2);
  expected.select(0, 1).select(0, 1).fill_(2);
  EXPECT_TRUE(equal(hessian, expected));
}

TEST(Newton, OneStepSolvesAQuadratic) {
  manual_seed(3);
  const int64_t n = 6;
  Tensor m = randn({n, n}, {.dtype = f64});
  Tensor a = matmul(m, m.t()) + eye(n, std::nullopt, {.dtype = f64});
  Tensor x_star = randn({n}, {.dtype = f64});
  Tensor b = matmul(a, x_star);
  Tensor x = randn({n}, {.dtype = f64}).requires_grad_(true);
  Newton opt({x});
  opt.step([&] { return 0.5 * dot(x, matmul(a, x)) - dot(b, x) + 3.0; });
  EXPECT_EQ(opt.n_iter(), 1);
  EXPECT_EQ(opt.func_evals(), 1);
  EXPECT_EQ(opt.last_damping(), 0);
  EXPECT_TRUE(tensors_close(x.detach(), x_star, 1e-10, 1e-12));
}

TEST(Newton, StepIsTheSolutionOfTheHandDerivedNewtonSystem) {
  Logistic f;
  Tensor w = tensor({0.3, -0.2, 0.5}, {.dtype = f64}).requires_grad_(true);
  Tensor b = tensor({0.1}, {.dtype = f64}).requires_grad_(true);
  Tensor w0 = w.detach().clone(), b0 = b.detach().clone();
  Newton opt({w, b});
  opt.step([&] { return f(w, b); });
  Tensor step = cat({w.detach() - w0, b.detach() - b0});
  // H step = -g with the hand-derived H and g.
  Tensor residual = matmul(f.hessian(w0, b0), step) + f.gradient(w0, b0);
  EXPECT_LT(residual.abs().max().item<double>(), 1e-14);
}

TEST(Newton, ConvergesQuadraticallyOnLogisticRegression) {
  Logistic f;
  Tensor w = zeros({3}, {.dtype = f64, .requires_grad = true});
  Tensor b = zeros({1}, {.dtype = f64, .requires_grad = true});
  Newton opt({w, b}, {.tolerance_grad = 0});
  std::vector<double> gradient_norms;
  for (int k = 0; k < 7; ++k) {
    gradient_norms.push_back(f.gradient(w.detach(), b.detach()).abs().max().item<double>());
    opt.step([&] { return f(w, b); });
  }
  // Quadratic convergence: |g_{k+1}| <= C |g_k|^2 once close, until the gradient reaches rounding
  // level. Measured: 3e-1, 2.5e-2, 6.0e-4, 4.2e-7, 2.0e-13, 6e-17 (C ~ 1.2).
  int checked = 0;
  for (size_t k = 0; k + 1 < gradient_norms.size(); ++k) {
    if (gradient_norms[k] > 1e-2 || gradient_norms[k + 1] < 1e-15) continue;
    EXPECT_LE(gradient_norms[k + 1], 2 * gradient_norms[k] * gradient_norms[k])
        << "iteration " << k;
    ++checked;
  }
  EXPECT_GE(checked, 2);
  EXPECT_LT(gradient_norms.back(), 1e-15);
  // The iterate count to 1e-12: at most 5 Newton iterations.
  size_t to_tolerance = 0;
  while (gradient_norms[to_tolerance] > 1e-12) ++to_tolerance;
  EXPECT_LE(to_tolerance, 5u);
}

TEST(Newton, DampsAnIndefiniteHessianIntoADescentStep) {
  // f = u^2 - v^2 + v^4 near the saddle-like region v = 0.1: H = diag(2, -1.88).
  Tensor p = tensor({1.0, 0.1}, {.dtype = f64}).requires_grad_(true);
  auto f = [&] {
    Tensor u = p[0], v = p[1];
    return u * u - v * v + v * v * v * v;
  };
  double before = 0;
  {
    no_grad guard;
    before = f().item<double>();
  }
  Newton opt({p}, {.line_search_fn = "backtracking"});
  opt.step(f);
  EXPECT_GT(opt.last_damping(), 1.88);
  double after = 0;
  {
    no_grad guard;
    after = f().item<double>();
  }
  EXPECT_LT(after, before);
  // Continued, it finds one of the minima v = +-1/sqrt(2), u = 0.
  Newton more({p}, {.max_iter = 30, .tolerance_grad = 1e-12, .line_search_fn = "backtracking"});
  more.step(f);
  EXPECT_NEAR(p.detach()[0].item<double>(), 0, 1e-9);
  EXPECT_NEAR(std::abs(p.detach()[1].item<double>()), 1 / std::sqrt(2.0), 1e-9);
}

TEST(Newton, UserDampingShortensTheStep) {
  Tensor x = tensor({2.0}, {.dtype = f64}).requires_grad_(true);
  Newton opt({x}, {.damping = 2});
  // H = 2, g = 2x = 4: the step is -g / (H + 2) = -1 (the undamped step, -2, would reach 0).
  opt.step([&] { return (x * x).sum(); });
  EXPECT_EQ(opt.last_damping(), 2);
  EXPECT_NEAR(x.item<double>(), 1.0, 1e-15);
}

// f(x) = sqrt(1 + x^2): convex, but the full Newton step x -> -x^3 diverges from |x| > 1.
Tensor pseudo_huber(const Tensor& x) { return sqrt(1 + x * x).sum(); }

TEST(Newton, LineSearchesRescueADivergingFullStep) {
  {
    Tensor x = tensor({2.0}, {.dtype = f64}).requires_grad_(true);
    Newton opt({x}, {.max_iter = 3});
    opt.step([&] { return pseudo_huber(x); });
    EXPECT_GT(std::abs(x.item<double>()), 1e6);  // 2 -> -8 -> 512 -> -1.3e8
  }
  for (const char* search : {"backtracking", "strong_wolfe"}) {
    SCOPED_TRACE(search);
    Tensor x = tensor({2.0}, {.dtype = f64}).requires_grad_(true);
    Newton opt({x}, {.max_iter = 30, .tolerance_grad = 1e-12, .line_search_fn = search});
    opt.step([&] { return pseudo_huber(x); });
    EXPECT_LT(std::abs(x.item<double>()), 1e-12);
    EXPECT_LT(opt.n_iter(), 15);
  }
}

TEST(Newton, RosenbrockWithBacktracking) {
  Tensor p = tensor({-1.2, 1.0}, {.dtype = f64}).requires_grad_(true);
  Newton opt({p}, {.max_iter = 100,
                   .tolerance_grad = 1e-12,
                   .tolerance_change = 1e-15,
                   .line_search_fn = "backtracking"});
  opt.step([&] {
    Tensor a = 1 - p[0], b = p[1] - p[0] * p[0];
    return a * a + 100 * b * b;
  });
  EXPECT_TRUE(tensors_close(p.detach(), ones({2}, {.dtype = f64}), 0, 1e-10));
  EXPECT_LT(opt.n_iter(), 30);  // measured: 22
}

TEST(Newton, Float32Parameters) {
  Logistic f;
  Tensor x = f.x.to(Dtype::float32), t = f.t.to(Dtype::float32);
  Tensor w = zeros({3}, {.requires_grad = true});
  Tensor b = zeros({1}, {.requires_grad = true});
  Newton opt({w, b}, {.max_iter = 6});
  opt.step([&] {
    Tensor z = matmul(x, w) + b;
    return (log(1 + exp(z)) - t * z).mean() + 0.05f * (w * w).sum();
  });
  // Converged to float32 precision: the float64 gradient at the float32 iterate is tiny.
  EXPECT_LT(f.gradient(w.detach().to(f64), b.detach().to(f64)).abs().max().item<double>(), 1e-6);
}

TEST(Newton, StateDictRoundTripResumesBitForBit) {
  Logistic f;
  Tensor w = zeros({3}, {.dtype = f64, .requires_grad = true});
  Tensor b = zeros({1}, {.dtype = f64, .requires_grad = true});
  Newton opt({w, b}, {.lr = 0.5, .damping = 0.01, .line_search_fn = "strong_wolfe"});
  for (int s = 0; s < 2; ++s) opt.step([&] { return f(w, b); });
  const StateDict state = opt.state_dict();
  EXPECT_EQ(state.at("state.n_iter").item<int64_t>(), 2);

  Tensor w2 = w.detach().clone().requires_grad_(true), b2 = b.detach().clone().requires_grad_(true);
  Newton resumed({w2, b2});
  resumed.load_state_dict(state);
  EXPECT_EQ(resumed.param_groups()[0].options.line_search_fn, "strong_wolfe");
  EXPECT_EQ(resumed.param_groups()[0].options.damping, 0.01);
  for (int s = 0; s < 2; ++s) {
    Tensor l1 = opt.step([&] { return f(w, b); });
    Tensor l2 = resumed.step([&] { return f(w2, b2); });
    EXPECT_TRUE(equal(l1, l2));
    EXPECT_TRUE(equal(w.detach(), w2.detach()));
    EXPECT_TRUE(equal(b.detach(), b2.detach()));
  }
  EXPECT_EQ(resumed.func_evals(), opt.func_evals());
}

TEST(NewtonErrors, UsageAndOptions) {
  Tensor p = zeros({2}, {.dtype = f64, .requires_grad = true});
  Newton opt({p});
  EXPECT_THROW_WITH(opt.step(), ValueError, "Newton", "closure");
  EXPECT_THROW_WITH(Newton({p}, {.lr = 0}), ValueError, "lr", "0");
  EXPECT_THROW_WITH(Newton({p}, {.max_iter = 0}), ValueError, "max_iter", "0");
  EXPECT_THROW_WITH(Newton({p}, {.damping = -1}), ValueError, "damping", "-1");
  EXPECT_THROW_WITH(Newton({p}, {.max_parameters = 0}), ValueError, "max_parameters", "0");
  EXPECT_THROW_WITH(Newton({p}, {.line_search_fn = "armijo"}), ValueError, "line_search_fn",
                    "armijo");
  Tensor q = zeros({3}, {.dtype = f64, .requires_grad = true});
  EXPECT_THROW_WITH(Newton(std::vector<Newton::Group>{{{p}, {}}, {{q}, {}}}), ValueError,
                    "parameter groups");
  EXPECT_THROW_WITH(opt.add_param_group({{q}, {}}), ValueError, "parameter groups");
}

TEST(NewtonErrors, TooManyParameters) {
  Tensor big = zeros({70, 70}, {.dtype = f64, .requires_grad = true});
  EXPECT_THROW_WITH(Newton({big}), ValueError, "Newton", "4900", "max_parameters 4096");
  Tensor small = zeros({11}, {.dtype = f64, .requires_grad = true});
  EXPECT_THROW_WITH(Newton({small}, {.max_parameters = 10}), ValueError, "11", "10");
}

TEST(NewtonErrors, ClosureMisuse) {
  Tensor p = tensor({1.0, 2.0}, {.dtype = f64}).requires_grad_(true);
  Newton opt({p});
  // A closure written for LBFGS (it calls backward) frees the graph Newton needs.
  EXPECT_THROW_WITH(opt.step([&] {
    Tensor loss = (p * p).sum();
    loss.backward();
    return loss;
  }),
                    ValueError, "Newton", "without calling backward");
  EXPECT_THROW_WITH(opt.step([&] {
    no_grad guard;
    return (p * p).sum();
  }),
                    ValueError, "Newton", "does not require grad");
  Tensor frozen = tensor({1.0}, {.dtype = f64});
  Newton with_frozen({p, frozen});
  EXPECT_THROW_WITH(with_frozen.step([&] { return (p * p).sum() + frozen.sum(); }), ValueError,
                    "parameter 1", "does not require grad");
  // d/dp sqrt(p - 1) is infinite at p = 1.
  EXPECT_THROW_WITH(opt.step([&] { return sqrt(p - 1).sum(); }), ValueError, "non-finite");
}

}  // namespace
}  // namespace cajal
