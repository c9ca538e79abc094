// The course's first- vs second-order comparison, as counts: on Rosenbrock's function and on a
// badly scaled logistic regression, the number of steps (iterations) each method needs to reach a
// tolerance. Newton, L-BFGS and conjugate gradient need a handful to a few dozen; gradient descent
// needs from ten to a thousand times more. Counts, never time.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/optim/conjugate_gradient.h"
#include "cajal/optim/lbfgs.h"
#include "cajal/optim/newton.h"
#include "cajal/optim/sgd.h"

namespace cajal {
namespace {

constexpr Dtype f64 = Dtype::float64;

struct Counts {
  int steps = 0;            // step() calls (one iteration each)
  int64_t evaluations = 0;  // closure calls
};

// Steps of the optimizer `make` builds over `params` until done() (at most `limit`). `backward`:
// the closure calls backward() (every optimizer but Newton, which differentiates itself).
template <typename Make>
Counts count_steps(std::vector<Tensor> params, const std::function<Tensor()>& loss,
                   const std::function<bool()>& done, Make make, bool backward, int limit = 50000) {
  auto opt = make(params);
  Counts counts;
  auto closure = [&] {
    ++counts.evaluations;
    if (!backward) return loss();
    opt->zero_grad();
    Tensor value = loss();
    value.backward();
    return value;
  };
  while (counts.steps < limit && !done()) {
    opt->step(closure);
    ++counts.steps;
  }
  return counts;
}

double value_of(const std::function<Tensor()>& loss) {
  no_grad guard;
  return loss().item<double>();
}

auto make_newton(optim::NewtonOptions options = {}) {
  return [options](std::vector<Tensor> p) { return std::make_unique<optim::Newton>(p, options); };
}
auto make_lbfgs(double tolerance_change = 1e-9) {
  return [tolerance_change](std::vector<Tensor> p) {
    return std::make_unique<optim::LBFGS>(
        p,
        optim::LBFGSOptions{
            .max_iter = 1, .tolerance_change = tolerance_change, .line_search_fn = "strong_wolfe"});
  };
}
auto make_conjugate_gradient(double tolerance_change = 1e-9) {
  return [tolerance_change](std::vector<Tensor> p) {
    return std::make_unique<optim::ConjugateGradient>(
        p, optim::ConjugateGradientOptions{.max_iter = 1, .tolerance_change = tolerance_change});
  };
}
auto make_sgd(double lr, double momentum = 0) {
  return [lr, momentum](std::vector<Tensor> p) {
    return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = lr, .momentum = momentum});
  };
}

// Rosenbrock's banana valley from (-1.2, 1), until f < 1e-8 (the minimum is 0 at (1, 1)). The
// valley's curvature (eigenvalues ~0.4 and ~1000 at the minimum) caps gradient descent's rate near
// 2e-3: 4e-3 does not converge.
TEST(FirstVsSecondOrder, Rosenbrock) {
  Tensor p;
  auto loss = [&] {
    Tensor a = 1 - p[0], b = p[1] - p[0] * p[0];
    return a * a + 100 * b * b;
  };
  auto done = [&] { return value_of(loss) < 1e-8; };
  auto run = [&](auto make, bool backward) {
    p = tensor({-1.2, 1.0}, {.dtype = f64}).requires_grad_(true);
    return count_steps({p}, loss, done, make, backward);
  };
  const Counts newton = run(make_newton(), false);
  const Counts newton_backtracking = run(make_newton({.line_search_fn = "backtracking"}), false);
  const Counts lbfgs = run(make_lbfgs(), true);
  const Counts conjugate_gradient = run(make_conjugate_gradient(), true);
  const Counts gradient_descent = run(make_sgd(2e-3), true);
  const Counts momentum = run(make_sgd(1e-3, 0.9), true);

  // Measured: Newton 5 (20 with backtracking), L-BFGS 34 (76 evaluations), CG 31 (109), gradient
  // descent 10373, with momentum 1940.
  EXPECT_LE(newton.steps, 8);
  EXPECT_LE(newton_backtracking.steps, 30);
  EXPECT_LE(lbfgs.steps, 45);
  EXPECT_LE(conjugate_gradient.steps, 45);
  EXPECT_GE(gradient_descent.steps, 100 * lbfgs.steps);
  EXPECT_GE(gradient_descent.steps, 1000 * newton.steps);
  EXPECT_GE(momentum.steps, 20 * lbfgs.steps);
  // Line searches cost evaluations, still far fewer than first-order steps.
  EXPECT_GE(gradient_descent.evaluations, 50 * lbfgs.evaluations);
  EXPECT_GE(gradient_descent.evaluations, 50 * conjugate_gradient.evaluations);
  EXPECT_GE(momentum.evaluations, 10 * lbfgs.evaluations);
}

// L2-regularized logistic regression with badly scaled features (32 samples from deterministic
// formulas, no random generator involved), until the loss is within 1e-8 of its minimum.
TEST(FirstVsSecondOrder, LogisticRegression) {
  std::vector<double> features, labels;
  const double scales[4] = {1.0, 0.1, 0.5, 3.0};
  for (int i = 0; i < 32; ++i) {
    double score = std::sin(2.1 * i);
    for (int j = 0; j < 4; ++j) {
      const double value = std::sin(0.9 * i * (j + 1) + j) * scales[j];
      features.push_back(value);
      score += value * (j % 2 == 0 ? 1.0 : -2.0);
    }
    labels.push_back(score > 0 ? 1 : 0);
  }
  const Tensor x = from_vector(features, {32, 4}), t = from_vector(labels);
  Tensor w, b;
  auto loss = [&] {
    Tensor z = matmul(x, w) + b;
    return (log(1 + exp(z)) - t * z).mean() + 0.0005 * (w * w).sum();
  };
  auto reset = [&] {
    w = zeros({4}, {.dtype = f64, .requires_grad = true});
    b = zeros({1}, {.dtype = f64, .requires_grad = true});
  };
  reset();
  optim::Newton solver({w, b}, {.max_iter = 30, .tolerance_grad = 1e-14});
  solver.step(loss);
  const double minimum = value_of(loss);
  auto done = [&] { return value_of(loss) - minimum < 1e-8; };
  auto run = [&](auto make, bool backward) {
    reset();
    return count_steps({w, b}, loss, done, make, backward);
  };
  const Counts newton = run(make_newton(), false);
  // The default tolerance_change (1e-9) also stops when g . d > -1e-9, short of 1e-8 here.
  const Counts lbfgs = run(make_lbfgs(1e-14), true);
  const Counts conjugate_gradient = run(make_conjugate_gradient(1e-14), true);
  // 32 is the best power-of-two rate for gradient descent here: 64 diverges.
  const Counts gradient_descent = run(make_sgd(32), true);
  const Counts momentum = run(make_sgd(1, 0.9), true);

  // Measured: Newton 8, L-BFGS 16, CG 13, gradient descent 164, with momentum 400.
  EXPECT_LE(newton.steps, 10);
  EXPECT_LE(lbfgs.steps, 22);
  EXPECT_LE(conjugate_gradient.steps, 22);
  EXPECT_GE(gradient_descent.steps, 5 * lbfgs.steps);
  EXPECT_GE(gradient_descent.steps, 10 * newton.steps);
  EXPECT_GE(momentum.steps, 10 * lbfgs.steps);
}

}  // namespace
}  // namespace cajal
