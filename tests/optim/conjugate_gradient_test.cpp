// Nonlinear conjugate gradient: finite termination on a quadratic (n iterations with exact line
// searches), Rosenbrock to 1e-6, both beta formulas against the textbook update written out,
// restarts, state dict round trips, errors.
#include "cajal/optim/conjugate_gradient.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using optim::ConjugateGradient;
using testing::tensors_close;

constexpr Dtype f64 = Dtype::float64;

// f(x) = 1/2 x^T A x - b^T x with A symmetric positive definite (eigenvalues in [1, ~20]) and
// b = A x_star, so the minimizer is known exactly.
struct Quadratic {
  Tensor a, b, x_star;
  explicit Quadratic(int64_t n, uint64_t seed = 5) {
    manual_seed(seed);
    Tensor m = randn({n, n}, {.dtype = f64});
    a = matmul(m, m.t()) / static_cast<double>(n) + eye(n, std::nullopt, {.dtype = f64});
    x_star = randn({n}, {.dtype = f64});
    b = matmul(a, x_star);
  }
  Tensor operator()(const Tensor& x) const { return 0.5 * dot(x, matmul(a, x)) - dot(b, x); }
};

Tensor rosenbrock(const Tensor& p) {
  Tensor a = 1 - p[0];
  Tensor b = p[1] - p[0] * p[0];
  return a * a + 100 * b * b;
}

std::function<Tensor()> closure_for(optim::Optimizer& opt, std::function<Tensor(const Tensor&)> f,
                                    const Tensor& x) {
  return [&opt, f, x] {
    opt.zero_grad();
    Tensor loss = f(x);
    loss.backward();
    return loss;
  };
}

double max_abs_difference(const Tensor& a, const Tensor& b) {
  return (a.detach() - b.detach()).abs().max().item<double>();
}

TEST(ConjugateGradient, QuadraticFinishesInNIterationsWithExactLineSearches) {
  const int64_t n = 8;
  Quadratic f(n);
  for (const char* beta : {"polak_ribiere", "fletcher_reeves"}) {
    SCOPED_TRACE(beta);
    Tensor x = zeros({n}, {.dtype = f64, .requires_grad = true});
    // c2 = 1e-10: the strong-Wolfe search must find the exact minimizer along each line, which
    // its cubic interpolation does for a quadratic in one interpolation.
    ConjugateGradient opt({x}, {.max_iter = n,
                                .tolerance_grad = 0,
                                .tolerance_change = 0,
                                .beta = beta,
                                .c1 = 1e-12,
                                .c2 = 1e-10});
    opt.step(closure_for(opt, f, x));
    EXPECT_LE(opt.n_iter(), n);
    // Exact in exact arithmetic; rounding of a condition-~20 system leaves ~1e-14.
    EXPECT_LT(max_abs_difference(x, f.x_star), 1e-10);
    // With n - 2 iterations it is not done yet: the n-th direction matters.
    Tensor y = zeros({n}, {.dtype = f64, .requires_grad = true});
    ConjugateGradient short_run(
        {y}, {.max_iter = n - 2, .tolerance_grad = 0, .beta = beta, .c1 = 1e-12, .c2 = 1e-10});
    short_run.step(closure_for(short_run, f, y));
    EXPECT_GT(max_abs_difference(y, f.x_star), 1e-6);
  }
}

TEST(ConjugateGradient, QuadraticWithDefaultLineSearch) {
  // c2 = 0.1 accepts inexact minimizers along each line, so finite termination is not guaranteed;
  // on this problem the cubic interpolation still lands on the minimizers (measured: 8 iterations,
  // error ~1e-14). The bounds leave room for inexact searches.
  const int64_t n = 8;
  Quadratic f(n);
  for (const char* beta : {"polak_ribiere", "fletcher_reeves"}) {
    SCOPED_TRACE(beta);
    Tensor x = zeros({n}, {.dtype = f64, .requires_grad = true});
    ConjugateGradient opt({x}, {.max_iter = 4 * n, .tolerance_grad = 1e-11, .beta = beta});
    opt.step(closure_for(opt, f, x));
    EXPECT_LE(opt.n_iter(), 3 * n);
    EXPECT_LT(max_abs_difference(x, f.x_star), 1e-9);
  }
}

TEST(ConjugateGradient, RosenbrockReachesTheMinimum) {
  for (const char* beta : {"polak_ribiere", "fletcher_reeves"}) {
    SCOPED_TRACE(beta);
    Tensor x = tensor({-1.2, 1.0}, {.dtype = f64}).requires_grad_(true);
    // The default tolerance_change (1e-9) stops once g . d > -1e-9, about 1e-5 from the minimum.
    ConjugateGradient opt({x}, {.tolerance_grad = 1e-10, .tolerance_change = 1e-12, .beta = beta});
    auto closure = closure_for(opt, rosenbrock, x);
    int steps = 0;
    while (steps < 50 && max_abs_difference(x, ones({2}, {.dtype = f64})) > 1e-6) {
      opt.step(closure);
      ++steps;
    }
    EXPECT_LT(max_abs_difference(x, ones({2}, {.dtype = f64})), 1e-6);
    EXPECT_LT(rosenbrock(x.detach()).item<double>(), 1e-11);
  }
}

// The direction after each iteration against d_k = -g_k + beta_k d_{k-1} written out from the
// saved state, for both formulas, with one iteration per step so every direction is visible.
void check_directions(const std::string& beta_name) {
  SCOPED_TRACE(beta_name);
  Tensor x = tensor({-1.2, 1.0}, {.dtype = f64}).requires_grad_(true);
  ConjugateGradient opt({x}, {.max_iter = 1, .beta = beta_name, .restart_every = 1000, .c2 = 0.9});
  auto closure = closure_for(opt, rosenbrock, x);
  opt.step(closure);
  int clipped = 0;
  for (int k = 0; k < 25; ++k) {
    const StateDict before = opt.state_dict();
    const Tensor d_prev = before.at("state.d");
    const Tensor g_prev = before.at("state.prev_flat_grad");
    opt.step(closure);
    const StateDict after = opt.state_dict();
    const Tensor g = after.at("state.prev_flat_grad");
    double beta = 0;
    const double norm = dot(g_prev, g_prev).item<double>();
    if (beta_name == "fletcher_reeves") {
      beta = dot(g, g).item<double>() / norm;
    } else {
      beta = dot(g, g - g_prev).item<double>() / norm;
      if (beta < 0) {
        beta = 0;
        ++clipped;
      }
    }
    Tensor expected = -g + beta * d_prev;
    if (dot(g, expected).item<double>() >= 0) expected = -g;  // not a descent direction
    EXPECT_TRUE(tensors_close(after.at("state.d"), expected, 1e-13, 1e-15)) << "iteration " << k;
  }
  if (beta_name == "polak_ribiere") {
    EXPECT_GT(clipped, 0) << "PR+ clipping never exercised";
  }
}

TEST(ConjugateGradient, DirectionsFollowTheBetaFormulas) {
  check_directions("fletcher_reeves");
  check_directions("polak_ribiere");
}

TEST(ConjugateGradient, RestartsAsSteepestDescent) {
  Quadratic f(6);
  Tensor x = zeros({6}, {.dtype = f64, .requires_grad = true});
  ConjugateGradient opt({x}, {.max_iter = 5, .restart_every = 1});
  opt.step(closure_for(opt, f, x));
  EXPECT_EQ(opt.restarts(), opt.n_iter());  // every direction is -g

  Tensor y = zeros({6}, {.dtype = f64, .requires_grad = true});
  ConjugateGradient every_three({y}, {.max_iter = 7, .tolerance_grad = 0, .restart_every = 3});
  every_three.step(closure_for(every_three, f, y));
  EXPECT_EQ(every_three.n_iter(), 7);
  EXPECT_EQ(every_three.restarts(), 3);  // iterations 1, 4 and 7
}

void check_round_trip(const std::string& beta, int before) {
  SCOPED_TRACE(beta + ", resumed after " + std::to_string(before) + " steps");
  Tensor x = tensor({-1.2, 1.0}, {.dtype = f64}).requires_grad_(true);
  ConjugateGradient opt({x}, {.max_iter = 3, .beta = beta});
  auto closure = closure_for(opt, rosenbrock, x);
  for (int s = 0; s < before; ++s) opt.step(closure);

  Tensor copy = x.detach().clone().requires_grad_(true);
  ConjugateGradient resumed({copy});
  resumed.load_state_dict(opt.state_dict());
  EXPECT_EQ(resumed.param_groups()[0].options.beta, beta);
  auto resumed_closure = closure_for(resumed, rosenbrock, copy);
  for (int s = 0; s < 3; ++s) {
    Tensor a = opt.step(closure);
    Tensor b = resumed.step(resumed_closure);
    EXPECT_TRUE(equal(a.detach(), b.detach())) << "loss of resumed step " << s;
    EXPECT_TRUE(equal(x.detach(), copy.detach())) << "parameters after resumed step " << s;
  }
  EXPECT_EQ(resumed.n_iter(), opt.n_iter());
  EXPECT_EQ(resumed.func_evals(), opt.func_evals());
}

TEST(ConjugateGradient, StateDictRoundTripResumesBitForBit) {
  for (const char* beta : {"polak_ribiere", "fletcher_reeves"}) {
    check_round_trip(beta, 0);
    check_round_trip(beta, 2);
  }
  Tensor x = tensor({-1.2, 1.0}, {.dtype = f64}).requires_grad_(true);
  ConjugateGradient opt({x});
  opt.step(closure_for(opt, rosenbrock, x));
  const StateDict state = opt.state_dict();
  for (const char* key : {"state.d", "state.prev_flat_grad", "state.t", "state.gtd",
                          "state.since_restart", "state.n_iter", "state.func_evals"}) {
    EXPECT_TRUE(state.contains(key)) << key;
  }
}

TEST(ConjugateGradientErrors, UsageAndOptions) {
  Tensor p = zeros({2}, {.requires_grad = true});
  ConjugateGradient opt({p});
  EXPECT_THROW_WITH(opt.step(), ValueError, "ConjugateGradient", "closure");
  Tensor q = zeros({3}, {.requires_grad = true});
  EXPECT_THROW_WITH(ConjugateGradient(std::vector<ConjugateGradient::Group>{{{p}, {}}, {{q}, {}}}),
                    ValueError, "ConjugateGradient", "parameter groups");
  EXPECT_THROW_WITH(opt.add_param_group({{q}, {}}), ValueError, "parameter groups");
  EXPECT_THROW_WITH(ConjugateGradient({p}, {.lr = 0}), ValueError, "lr", "0");
  EXPECT_THROW_WITH(ConjugateGradient({p}, {.max_iter = 0}), ValueError, "max_iter", "0");
  EXPECT_THROW_WITH(ConjugateGradient({p}, {.max_eval = -1}), ValueError, "max_eval", "-1");
  EXPECT_THROW_WITH(ConjugateGradient({p}, {.beta = "hestenes_stiefel"}), ValueError, "beta",
                    "hestenes_stiefel");
  EXPECT_THROW_WITH(ConjugateGradient({p}, {.restart_every = -2}), ValueError, "restart_every",
                    "-2");
  EXPECT_THROW_WITH(ConjugateGradient({p}, {.c1 = 0.5, .c2 = 0.4}), ValueError, "c2", "0.4");
  EXPECT_THROW_WITH(ConjugateGradient({p}, {.c1 = 1.5}), ValueError, "c1", "1.5");
  Tensor d = zeros({2}, {.dtype = f64, .requires_grad = true});
  EXPECT_THROW_WITH(ConjugateGradient({p, d}), ValueError, "float32", "float64");

  StateDict state = opt.state_dict();
  state.insert_or_assign("param_groups.0.beta", optim::detail::text_tensor("dai_yuan"));
  EXPECT_THROW_WITH(opt.load_state_dict(state), ValueError, "beta", "dai_yuan");
}

}  // namespace
}  // namespace cajal
