// First- vs second-order optimization, the course's comparison: the same problems minimized with
// gradient descent (SGD, with and without momentum), Adam, L-BFGS, nonlinear conjugate gradient
// and Newton's method, counting the iterations and the loss/gradient evaluations each needs to
// reach a tolerance.
//
// The problems: Rosenbrock's banana valley f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 from (-1.2, 1),
// and an L2-regularized logistic regression on 32 samples with badly scaled features. One "step"
// below is one iteration: the closure-based methods are run with max_iter = 1 so their steps
// compare with gradient descent's; their line searches show up as extra evaluations.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/optim/adam.h"
#include "cajal/optim/conjugate_gradient.h"
#include "cajal/optim/lbfgs.h"
#include "cajal/optim/newton.h"
#include "cajal/optim/sgd.h"

using namespace cajal;

namespace {

constexpr int kMaxSteps = 100000;

struct Problem {
  std::string name;  // printed as "<name>: steps to <goal>"
  std::string goal;
  std::function<void()> reset;  // parameters back to the starting point
  std::function<std::vector<Tensor>()> params;
  std::function<Tensor()> loss;  // computed with grad mode on
  double target;                 // stop once the loss is below this
};

struct Method {
  std::string name;
  // Builds the optimizer; `second_order_closure`: the closure returns the loss without calling
  // backward() (Newton differentiates it itself).
  std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)> make;
  bool second_order_closure = false;
};

double value_of(const Problem& problem) {
  no_grad guard;
  return problem.loss().item<double>();
}

void run(const Problem& problem, const std::vector<Method>& methods) {
  std::printf("\n%s: steps to %s\n", problem.name.c_str(), problem.goal.c_str());
  std::printf("  %-38s %8s %12s %14s %10s\n", "method", "steps", "evaluations", "final loss",
              "time [ms]");
  for (const Method& method : methods) {
    problem.reset();
    std::unique_ptr<optim::Optimizer> opt = method.make(problem.params());
    int64_t evaluations = 0;
    auto closure = [&] {
      ++evaluations;
      if (method.second_order_closure) return problem.loss();
      opt->zero_grad();
      Tensor loss = problem.loss();
      loss.backward();
      return loss;
    };
    const auto start = std::chrono::steady_clock::now();
    int steps = 0;
    while (steps < kMaxSteps && value_of(problem) >= problem.target) {
      opt->step(closure);
      ++steps;
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const double final_loss = value_of(problem);
    if (final_loss < problem.target) {
      std::printf("  %-38s %8d %12lld %14.3e %10.1f\n", method.name.c_str(), steps,
                  static_cast<long long>(evaluations), final_loss, ms);
    } else {
      std::printf("  %-38s %8s %12lld %14.3e %10.1f\n", method.name.c_str(), "> 100000",
                  static_cast<long long>(evaluations), final_loss, ms);
    }
  }
}

template <typename Opt, typename Options>
Method method(std::string name, Options options, bool second_order_closure = false) {
  return Method{std::move(name),
                [options](std::vector<Tensor> params) -> std::unique_ptr<optim::Optimizer> {
                  return std::make_unique<Opt>(std::move(params), options);
                },
                second_order_closure};
}

}  // namespace

int main() {
  const Dtype f64 = Dtype::float64;

  // Rosenbrock: minimum 0 at (1, 1).
  Tensor point;
  Problem rosenbrock{"Rosenbrock from (-1.2, 1)",
                     "f < 1e-8",
                     [&] {
                       point = tensor({-1.2, 1.0}, {.dtype = f64}).requires_grad_(true);
                     },
                     [&] { return std::vector<Tensor>{point}; },
                     [&] {
                       Tensor a = 1 - point[0], b = point[1] - point[0] * point[0];
                       return a * a + 100 * b * b;
                     },
                     1e-8};
  run(rosenbrock,
      // 2e-3 is the largest rate of the form 2^k 1e-3 that converges: the valley's curvature
      // (~1000 near the minimum) makes 4e-3 oscillate forever.
      {method<optim::SGD>("gradient descent, lr 2e-3", optim::SGDOptions{.lr = 2e-3}),
       method<optim::SGD>("SGD momentum 0.9, lr 1e-3",
                          optim::SGDOptions{.lr = 1e-3, .momentum = 0.9}),
       method<optim::Adam>("Adam, lr 2e-2", optim::AdamOptions{.lr = 2e-2}),
       method<optim::ConjugateGradient>("conjugate gradient (PR+)",
                                        optim::ConjugateGradientOptions{.max_iter = 1}),
       method<optim::ConjugateGradient>(
           "conjugate gradient (Fletcher-Reeves)",
           optim::ConjugateGradientOptions{.max_iter = 1, .beta = "fletcher_reeves"}),
       method<optim::LBFGS>("L-BFGS, strong Wolfe",
                            optim::LBFGSOptions{.max_iter = 1, .line_search_fn = "strong_wolfe"}),
       method<optim::Newton>("Newton", optim::NewtonOptions{}, true),
       method<optim::Newton>("Newton, backtracking",
                             optim::NewtonOptions{.line_search_fn = "backtracking"}, true)});

  // Logistic regression: 32 samples from deterministic formulas, features of scales 1, 0.1, 0.5
  // and 3, labels from a noisy linear rule.
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
  auto logistic_loss = [&] {
    Tensor z = matmul(x, w) + b;
    return (log(1 + exp(z)) - t * z).mean() + 0.0005 * (w * w).sum();
  };
  auto reset = [&] {
    w = zeros({4}, {.dtype = f64, .requires_grad = true});
    b = zeros({1}, {.dtype = f64, .requires_grad = true});
  };
  // The minimum, to measure the gap: Newton to machine precision.
  reset();
  optim::Newton solver({w, b}, {.max_iter = 50, .tolerance_grad = 1e-14});
  solver.step(logistic_loss);
  double minimum = 0;
  {
    no_grad guard;
    minimum = logistic_loss().item<double>();
  }
  Problem logistic{"Logistic regression",
                   "loss - minimum < 1e-8",
                   reset,
                   [&] { return std::vector<Tensor>{w, b}; },
                   logistic_loss,
                   minimum + 1e-8};
  // tolerance_change also stops L-BFGS and CG once g . d > -tolerance_change: lowered so they can
  // go below a 1e-8 gap.
  run(logistic,
      // 32 is the best power-of-two rate here: 64 diverges.
      {method<optim::SGD>("gradient descent, lr 32", optim::SGDOptions{.lr = 32}),
       method<optim::SGD>("SGD momentum 0.9, lr 1", optim::SGDOptions{.lr = 1, .momentum = 0.9}),
       method<optim::Adam>("Adam, lr 0.1", optim::AdamOptions{.lr = 0.1}),
       method<optim::ConjugateGradient>(
           "conjugate gradient (PR+)",
           optim::ConjugateGradientOptions{.max_iter = 1, .tolerance_change = 1e-14}),
       method<optim::LBFGS>(
           "L-BFGS, strong Wolfe",
           optim::LBFGSOptions{
               .max_iter = 1, .tolerance_change = 1e-14, .line_search_fn = "strong_wolfe"}),
       method<optim::Newton>("Newton", optim::NewtonOptions{}, true)});
  std::printf(
      "\nSecond-order methods use curvature: a few (more expensive) iterations instead of\n"
      "thousands. Newton's iterations each cost n Hessian-vector products (n = parameters).\n");
  return 0;
}
