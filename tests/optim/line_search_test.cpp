// The strong-Wolfe line search against PyTorch's _strong_wolfe (tools/golden/optim_lbfgs.py), its
// guarantees on 1-D functions, cubic interpolation, Armijo backtracking, option errors.
#include "cajal/optim/line_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using nlohmann::json;
using optim::cubic_interpolate;
using optim::LineSearchSample;
using optim::strong_wolfe;
using optim::StrongWolfeOptions;

// A 1-D function given by value and derivative, as a line search sees it.
optim::LineSearchFunction line(std::function<double(double)> f, std::function<double(double)> df,
                               int* calls = nullptr) {
  return [f, df, calls](double t) {
    if (calls) ++*calls;
    return LineSearchSample{f(t), df(t), Tensor()};
  };
}

TEST(CubicInterpolate, ExactForCubicsAndQuadratics) {
  // t^3 - 3t has its local minimum at 1.
  auto f = [](double t) { return t * t * t - 3 * t; };
  auto df = [](double t) { return 3 * t * t - 3; };
  EXPECT_NEAR(cubic_interpolate(0, f(0), df(0), 2, f(2), df(2)), 1, 1e-15);
  EXPECT_NEAR(cubic_interpolate(2, f(2), df(2), 0, f(0), df(0)), 1, 1e-15);  // either order
  // (t - 0.7)^2: the cubic through two samples is the quadratic itself.
  auto q = [](double t) { return (t - 0.7) * (t - 0.7); };
  auto dq = [](double t) { return 2 * (t - 0.7); };
  EXPECT_NEAR(cubic_interpolate(0, q(0), dq(0), 2, q(2), dq(2)), 0.7, 1e-15);
  EXPECT_NEAR(cubic_interpolate(-1, q(-1), dq(-1), 1.5, q(1.5), dq(1.5)), 0.7, 1e-15);
}

TEST(CubicInterpolate, ClampsToBoundsAndBisectsWithoutAMinimizer) {
  auto q = [](double t) { return (t - 0.7) * (t - 0.7); };
  auto dq = [](double t) { return 2 * (t - 0.7); };
  EXPECT_EQ(cubic_interpolate(0, q(0), dq(0), 0.2, q(0.2), dq(0.2), std::make_pair(0.3, 0.5)), 0.5);
  EXPECT_EQ(cubic_interpolate(0, q(0), dq(0), 2, q(2), dq(2), std::make_pair(0.0, 0.25)), 0.25);
  // Slope 1 at both ends and a rise of 0.9 between: the cubic is increasing throughout, with no
  // stationary point.
  EXPECT_EQ(cubic_interpolate(0, 0, 1, 1, 0.9, 1), 0.5);
  EXPECT_EQ(cubic_interpolate(0, 0, 1, 1, 0.9, 1, std::make_pair(2.0, 6.0)), 4.0);
}

bool strong_wolfe_holds(const optim::LineSearchResult& r, const LineSearchSample& start,
                        const StrongWolfeOptions& o) {
  return r.sample.value <= start.value + o.c1 * r.step * start.derivative &&
         std::abs(r.sample.derivative) <= o.c2 * std::abs(start.derivative);
}

TEST(StrongWolfe, FindsAnAcceptableStepFromShortAndLongTrials) {
  // phi(t) = (t - 3)^2 + sin(2t) (several local minima).
  auto f = [](double t) { return (t - 3) * (t - 3) + std::sin(2 * t); };
  auto df = [](double t) { return 2 * (t - 3) + 2 * std::cos(2 * t); };
  const LineSearchSample start{f(0), df(0), Tensor()};
  ASSERT_LT(start.derivative, 0);
  for (double c2 : {0.9, 0.1, 0.01}) {
    const StrongWolfeOptions options{.c2 = c2};
    for (double initial : {1e-3, 0.1, 1.0, 10.0, 100.0}) {
      SCOPED_TRACE("c2 " + std::to_string(c2) + ", initial step " + std::to_string(initial));
      int calls = 0;
      auto result = strong_wolfe(line(f, df, &calls), start, initial, 1.0, options);
      EXPECT_TRUE(result.converged);
      EXPECT_TRUE(strong_wolfe_holds(result, start, options))
          << "t " << result.step << " phi " << result.sample.value << " phi' "
          << result.sample.derivative;
      EXPECT_EQ(result.evaluations, calls);
      EXPECT_LE(result.evaluations, options.max_iterations + 1);
      EXPECT_EQ(result.sample.value, f(result.step));
    }
  }
}

TEST(StrongWolfe, BudgetExhaustedReturnsTheBestPointSeen) {
  // A line that keeps descending: every trial is accepted as "go further" until the budget ends.
  auto f = [](double t) { return -t; };
  auto df = [](double) { return -1.0; };
  const LineSearchSample start{0, -1, Tensor()};
  auto result = strong_wolfe(line(f, df), start, 1.0, 1.0, {.max_iterations = 4});
  EXPECT_FALSE(result.converged);
  EXPECT_EQ(result.evaluations, 5);
  EXPECT_EQ(result.step, 10000);  // extrapolated tenfold each time
  EXPECT_EQ(result.sample.value, -10000);
}

TEST(StrongWolfe, GradientPayloadTravelsWithTheChosenStep) {
  auto phi = [](double t) {
    LineSearchSample s{(t - 2) * (t - 2), 2 * (t - 2), full({3}, t, {.dtype = Dtype::float64})};
    return s;
  };
  const LineSearchSample start{4, -4, zeros({3}, {.dtype = Dtype::float64})};
  auto result = strong_wolfe(phi, start, 0.5, 1.0);
  EXPECT_TRUE(equal(result.sample.gradient, full({3}, result.step, {.dtype = Dtype::float64})));
}

// Rosenbrock along x + t d, as tools/golden/optim_lbfgs.py evaluates it with PyTorch.
LineSearchSample rosenbrock_along(const std::vector<double>& x, const std::vector<double>& d,
                                  double t) {
  Tensor p = (from_vector(x) + t * from_vector(d)).requires_grad_(true);
  Tensor a = 1 - p[0];
  Tensor b = p[1] - p[0] * p[0];
  Tensor loss = a * a + 100 * b * b;
  loss.backward();
  return LineSearchSample{loss.item<double>(), dot(p.grad(), from_vector(d)).item<double>(),
                          p.grad()};
}

TEST(StrongWolfe, MatchesPyTorch) {
  const std::filesystem::path path =
      std::filesystem::path(__FILE__).parent_path().parent_path() / "golden" / "optim_lbfgs.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const json cases = json::parse(in).at("line_search");
  ASSERT_EQ(cases.size(), 7u);
  for (const json& c : cases) {
    const auto x = c.at("x").get<std::vector<double>>();
    const auto d = c.at("d").get<std::vector<double>>();
    SCOPED_TRACE("x " + c.at("x").dump() + ", d " + c.at("d").dump() + ", t0 " + c.at("t0").dump());
    StrongWolfeOptions options;
    const json& o = c.at("options");
    if (o.contains("c1")) options.c1 = o.at("c1");
    if (o.contains("c2")) options.c2 = o.at("c2");
    if (o.contains("tolerance_change")) options.tolerance_change = o.at("tolerance_change");
    if (o.contains("max_ls")) options.max_iterations = o.at("max_ls");
    const LineSearchSample start = rosenbrock_along(x, d, 0);
    const double d_max = std::max(std::abs(d[0]), std::abs(d[1]));
    auto result = strong_wolfe([&](double t) { return rosenbrock_along(x, d, t); }, start,
                               c.at("t0").get<double>(), d_max, options);
    // Same decisions, same arithmetic: equal to rounding (measured: bit for bit).
    EXPECT_EQ(result.evaluations, c.at("evaluations").get<int64_t>());
    EXPECT_NEAR(result.step, c.at("t").get<double>(), 1e-14 * std::abs(c.at("t").get<double>()));
    EXPECT_NEAR(result.sample.value, c.at("value").get<double>(),
                1e-14 * std::abs(c.at("value").get<double>()));
    const auto gradient = to_vector<double>(result.sample.gradient);
    const auto expected = c.at("gradient").get<std::vector<double>>();
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_NEAR(gradient[i], expected[i], 1e-13 * std::abs(expected[i]) + 1e-15);
    }
  }
}

TEST(Backtracking, HalvesUntilSufficientDecrease) {
  // phi(t) = (t - 0.1)^2: t = 1, 0.5 and 0.25 fail the Armijo test, 0.125 passes.
  std::vector<double> tried;
  auto value = [&](double t) {
    tried.push_back(t);
    return (t - 0.1) * (t - 0.1);
  };
  const LineSearchSample start{0.01, -0.2, Tensor()};
  auto result = optim::backtracking(value, start, 1.0);
  EXPECT_TRUE(result.converged);
  EXPECT_EQ(tried, (std::vector<double>{1.0, 0.5, 0.25, 0.125}));
  EXPECT_EQ(result.step, 0.125);
  EXPECT_EQ(result.evaluations, 4);

  auto never = optim::backtracking([](double) { return 1.0; }, start, 1.0, {.max_evaluations = 3});
  EXPECT_FALSE(never.converged);
  EXPECT_EQ(never.step, 0);
  EXPECT_EQ(never.evaluations, 3);
  EXPECT_EQ(never.sample.value, start.value);
}

TEST(LineSearchErrors, BadOptions) {
  EXPECT_THROW_WITH((StrongWolfeOptions{.c1 = 0}.validate("LBFGS")), ValueError, "LBFGS", "c1",
                    "0");
  EXPECT_THROW_WITH((StrongWolfeOptions{.c1 = 0.5, .c2 = 0.5}.validate("CG")), ValueError, "c2",
                    "0.5");
  EXPECT_THROW_WITH((StrongWolfeOptions{.c2 = 1}.validate("CG")), ValueError, "c2", "1");
  EXPECT_THROW_WITH((StrongWolfeOptions{.tolerance_change = -1}.validate("CG")), ValueError,
                    "tolerance_change", "-1");
  EXPECT_THROW_WITH((StrongWolfeOptions{.max_iterations = 0}.validate("CG")), ValueError,
                    "max_iterations", "0");
  EXPECT_THROW_WITH((optim::BacktrackingOptions{.shrink = 1}.validate("Newton")), ValueError,
                    "shrink", "1");
  EXPECT_THROW_WITH((optim::BacktrackingOptions{.max_evaluations = 0}.validate("Newton")),
                    ValueError, "max_evaluations", "0");
}

}  // namespace
}  // namespace cajal
