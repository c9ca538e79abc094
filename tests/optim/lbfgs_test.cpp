// L-BFGS: whole trajectories against torch.optim.LBFGS (tools/golden/optim_lbfgs.py), with a fixed
// step and with the strong-Wolfe line search; state dict round trips; option and usage errors.
#include "cajal/optim/lbfgs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using nlohmann::json;
using optim::LBFGS;
using testing::tensors_close;

json load_cases() {
  const std::filesystem::path path =
      std::filesystem::path(__FILE__).parent_path().parent_path() / "golden" / "optim_lbfgs.json";
  std::ifstream in(path);
  if (!in) throw IOError("cannot open " + path.string());
  return json::parse(in).at("cases");
}

// A float64 tensor from the golden writer's {"shape", "dtype", "data"}.
Tensor parse(const json& j) {
  std::vector<double> values = j.at("data").get<std::vector<double>>();
  return from_vector(values, j.at("shape").get<Shape>());
}

using Problem = std::function<Tensor(const std::vector<Tensor>&)>;

Tensor rosenbrock(const std::vector<Tensor>& params) {
  const Tensor& p = params[0];
  Tensor a = 1 - p[0];
  Tensor b = p[1] - p[0] * p[0];
  return a * a + 100 * b * b;
}

Problem mlp(Tensor x, Tensor y) {
  return [x, y](const std::vector<Tensor>& p) {
    Tensor hidden = tanh(linear(x, p[0], p[1]));
    Tensor diff = linear(hidden, p[2], p[3]) - y;
    return (diff * diff).mean();
  };
}

Problem problem_of(const json& c) {
  const std::string name = c.at("problem");
  if (name == "rosenbrock") return rosenbrock;
  return mlp(parse(c.at("data").at("x")), parse(c.at("data").at("y")));
}

optim::LBFGSOptions options_of(const json& c) {
  const json& o = c.at("options");
  optim::LBFGSOptions options;
  if (o.contains("lr")) options.lr = o.at("lr");
  if (o.contains("max_iter")) options.max_iter = o.at("max_iter");
  if (o.contains("max_eval")) options.max_eval = o.at("max_eval");
  if (o.contains("tolerance_grad")) options.tolerance_grad = o.at("tolerance_grad");
  if (o.contains("tolerance_change")) options.tolerance_change = o.at("tolerance_change");
  if (o.contains("history_size")) options.history_size = o.at("history_size");
  options.line_search_fn = o.at("line_search_fn");
  return options;
}

std::vector<Tensor> initial_params(const json& c) {
  std::vector<Tensor> params;
  for (const json& p : c.at("initial")) params.push_back(parse(p).requires_grad_(true));
  return params;
}

std::function<Tensor()> closure_for(optim::Optimizer& opt, const Problem& problem,
                                    const std::vector<Tensor>& params) {
  return [&opt, problem, params] {
    opt.zero_grad();
    Tensor loss = problem(params);
    loss.backward();
    return loss;
  };
}

// Float64 throughout. The Rosenbrock trajectories agree to the last bit; the MLP ones differ by
// the rounding of matmul, tanh and mean (other summation orders and kernels), amplified over 24
// iterations: measured worst 9e-12 relative.
constexpr double kRtol = 1e-10;
constexpr double kAtol = 1e-12;

TEST(LBFGSGolden, TrajectoriesMatchPyTorch) {
  const json cases = load_cases();
  ASSERT_EQ(cases.size(), 6u);
  for (const json& c : cases) {
    SCOPED_TRACE("case " + c.at("name").get<std::string>());
    std::vector<Tensor> params = initial_params(c);
    LBFGS opt(params, options_of(c));
    auto closure = closure_for(opt, problem_of(c), params);
    const json& steps = c.at("steps");
    ASSERT_GE(steps.size(), 10u);
    for (size_t s = 0; s < steps.size(); ++s) {
      SCOPED_TRACE("step " + std::to_string(s));
      Tensor loss = opt.step(closure);
      const double expected_loss = steps[s].at("loss");
      EXPECT_NEAR(loss.item<double>(), expected_loss, kAtol + kRtol * std::abs(expected_loss));
      for (size_t i = 0; i < params.size(); ++i) {
        EXPECT_TRUE(tensors_close(params[i], parse(steps[s].at("params")[i]), kRtol, kAtol))
            << "parameter " << i;
      }
      EXPECT_EQ(opt.func_evals(), steps[s].at("func_evals").get<int64_t>());
      EXPECT_EQ(opt.n_iter(), steps[s].at("n_iter").get<int64_t>());
    }
  }
}

TEST(LBFGS, MaxEvalDefaultsToFiveQuartersOfMaxIter) {
  Tensor p = zeros({3}, {.dtype = Dtype::float64, .requires_grad = true});
  LBFGS opt({p}, {.max_iter = 9});
  EXPECT_EQ(opt.state_dict().at("param_groups.0.max_eval").item<double>(), 11);
  LBFGS explicit_eval({p}, {.max_iter = 9, .max_eval = 4});
  EXPECT_EQ(explicit_eval.state_dict().at("param_groups.0.max_eval").item<double>(), 4);
}

TEST(LBFGS, StopsAtOnceAtAStationaryPoint) {
  Tensor p = tensor({1.0, 1.0}, {.dtype = Dtype::float64}).requires_grad_(true);
  LBFGS opt({p}, {.line_search_fn = "strong_wolfe"});
  auto closure = closure_for(opt, rosenbrock, {p});
  EXPECT_EQ(opt.step(closure).item<double>(), 0);
  EXPECT_EQ(opt.func_evals(), 1);
  EXPECT_EQ(opt.n_iter(), 0);
  EXPECT_TRUE(equal(p.detach(), tensor({1.0, 1.0}, {.dtype = Dtype::float64})));
}

TEST(LBFGS, Float32ParametersConverge) {
  Tensor p = tensor({-1.2f, 1.0f}).requires_grad_(true);
  LBFGS opt({p}, {.line_search_fn = "strong_wolfe"});
  auto closure = closure_for(opt, rosenbrock, {p});
  for (int s = 0; s < 5; ++s) opt.step(closure);
  EXPECT_TRUE(tensors_close(p.detach(), tensor({1.0f, 1.0f}), 0, 1e-3));
}

TEST(LBFGS, ParametersWithoutGradientsStayPut) {
  Tensor used = tensor({3.0}, {.dtype = Dtype::float64}).requires_grad_(true);
  Tensor unused = tensor({5.0, 6.0}, {.dtype = Dtype::float64}).requires_grad_(true);
  LBFGS opt({used, unused}, {.line_search_fn = "strong_wolfe"});
  auto closure = [&] {
    opt.zero_grad();
    Tensor loss = ((used - 2) * (used - 2)).sum();
    loss.backward();
    return loss;
  };
  opt.step(closure);
  EXPECT_NEAR(used.item<double>(), 2, 1e-6);
  EXPECT_TRUE(equal(unused.detach(), tensor({5.0, 6.0}, {.dtype = Dtype::float64})));
}

// Runs `before` steps, saves, restores into a fresh optimizer over a copy of the parameters, and
// checks that the next three steps agree bit for bit.
void check_round_trip(const json& c, int before) {
  SCOPED_TRACE("case " + c.at("name").get<std::string>() + ", resumed after " +
               std::to_string(before) + " steps");
  const Problem problem = problem_of(c);
  std::vector<Tensor> params = initial_params(c);
  LBFGS opt(params, options_of(c));
  auto closure = closure_for(opt, problem, params);
  for (int s = 0; s < before; ++s) opt.step(closure);

  const StateDict saved = opt.state_dict();
  std::vector<Tensor> copies;
  for (const Tensor& p : params) copies.push_back(p.detach().clone().requires_grad_(true));
  LBFGS resumed(copies, optim::LBFGSOptions{});  // other options: restored by the state dict
  resumed.load_state_dict(saved);
  auto resumed_closure = closure_for(resumed, problem, copies);
  EXPECT_EQ(resumed.func_evals(), opt.func_evals());
  EXPECT_EQ(resumed.n_iter(), opt.n_iter());

  for (int s = 0; s < 3; ++s) {
    Tensor a = opt.step(closure);
    Tensor b = resumed.step(resumed_closure);
    EXPECT_TRUE(equal(a.detach(), b.detach())) << "loss of resumed step " << s;
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_TRUE(equal(params[i].detach(), copies[i].detach()))
          << "parameter " << i << " after resumed step " << s;
    }
  }
  // The saved dicts agree key for key too.
  const StateDict x = opt.state_dict(), y = resumed.state_dict();
  ASSERT_EQ(x.keys(), y.keys());
  for (const auto& [key, value] : x) EXPECT_TRUE(equal(value, y.at(key))) << key;
}

TEST(LBFGS, StateDictRoundTripResumesBitForBit) {
  const json cases = load_cases();
  for (const json& c : cases) {
    check_round_trip(c, 0);
    check_round_trip(c, 1);
    check_round_trip(c, 5);  // histories full (history_size 3 and 4 cases)
  }
}

TEST(LBFGS, StateDictHoldsTheHistory) {
  const json c = load_cases().at(3);  // mlp_fixed_step, history_size 3
  std::vector<Tensor> params = initial_params(c);
  LBFGS opt(params, options_of(c));
  EXPECT_EQ(opt.state_dict().size(), 8u);  // size, 6 options, line_search_fn: no state yet
  auto closure = closure_for(opt, problem_of(c), params);
  for (int s = 0; s < 6; ++s) opt.step(closure);
  const StateDict state = opt.state_dict();
  const int64_t n = 6 * 3 + 6 + 6 + 1;
  EXPECT_EQ(state.at("state.d").shape(), (Shape{n}));
  EXPECT_EQ(state.at("state.old_dirs").shape(), (Shape{3, n}));
  EXPECT_EQ(state.at("state.old_stps").shape(), (Shape{3, n}));
  EXPECT_EQ(state.at("state.ro").shape(), (Shape{3}));
  EXPECT_EQ(state.at("state.n_iter").item<int64_t>(), opt.n_iter());
  EXPECT_EQ(optim::detail::tensor_text(state.at("param_groups.0.line_search_fn")), "");
  for (const char* key : {"state.t", "state.H_diag", "state.prev_loss", "state.prev_flat_grad"}) {
    EXPECT_TRUE(state.contains(key)) << key;
  }
}

TEST(LBFGS, LoadStateDictRestoresLineSearchFn) {
  Tensor p = tensor({-1.5, 2.0}, {.dtype = Dtype::float64}).requires_grad_(true);
  LBFGS with_search({p}, {.max_iter = 7, .line_search_fn = "strong_wolfe"});
  Tensor q = p.detach().clone().requires_grad_(true);
  LBFGS plain({q});
  plain.load_state_dict(with_search.state_dict());
  EXPECT_EQ(plain.param_groups()[0].options.line_search_fn, "strong_wolfe");
  EXPECT_EQ(plain.param_groups()[0].options.max_iter, 7);
}

TEST(LBFGSErrors, StepWithoutClosure) {
  Tensor p = zeros({2}, {.requires_grad = true});
  LBFGS opt({p});
  EXPECT_THROW_WITH(opt.step(), ValueError, "LBFGS", "closure");
  EXPECT_THROW_WITH(opt.step(std::function<Tensor()>()), ValueError, "LBFGS", "closure");
}

TEST(LBFGSErrors, OneParameterGroupOnly) {
  Tensor a = zeros({2}, {.requires_grad = true}), b = zeros({3}, {.requires_grad = true});
  EXPECT_THROW_WITH(LBFGS(std::vector<LBFGS::Group>{{{a}, {}}, {{b}, {.lr = 0.5}}}), ValueError,
                    "LBFGS", "parameter groups", "2 groups");
  LBFGS opt({a});
  EXPECT_THROW_WITH(opt.add_param_group({{b}, {}}), ValueError, "LBFGS", "parameter groups");
}

TEST(LBFGSErrors, BadOptions) {
  Tensor p = zeros({2}, {.requires_grad = true});
  EXPECT_THROW_WITH(LBFGS({p}, {.lr = -1}), ValueError, "LBFGS: lr", "-1");
  EXPECT_THROW_WITH(LBFGS({p}, {.max_iter = 0}), ValueError, "max_iter", "0");
  EXPECT_THROW_WITH(LBFGS({p}, {.max_eval = -3}), ValueError, "max_eval", "-3");
  EXPECT_THROW_WITH(LBFGS({p}, {.tolerance_grad = -1e-3}), ValueError, "tolerance_grad");
  EXPECT_THROW_WITH(LBFGS({p}, {.tolerance_change = -1}), ValueError, "tolerance_change");
  EXPECT_THROW_WITH(LBFGS({p}, {.history_size = 0}), ValueError, "history_size", "0");
  EXPECT_THROW_WITH(LBFGS({p}, {.line_search_fn = "wolfe"}), ValueError, "line_search_fn",
                    "\"wolfe\"");
}

TEST(LBFGSErrors, ParametersOfMixedDtypes) {
  Tensor a = zeros({2}, {.requires_grad = true});
  Tensor b = zeros({2}, {.dtype = Dtype::float64, .requires_grad = true});
  EXPECT_THROW_WITH(LBFGS({a, b}), ValueError, "LBFGS", "float32", "float64");
}

TEST(LBFGSErrors, ClosureMustReturnTheLoss) {
  Tensor p = ones({2}, {.requires_grad = true});
  LBFGS opt({p});
  EXPECT_THROW_WITH(opt.step([] { return Tensor(); }), ValueError, "LBFGS", "undefined");
  EXPECT_THROW_WITH(opt.step([&] { return p * 2; }), ValueError, "LBFGS", "[2]");
}

TEST(LBFGSErrors, LoadStateDictMismatches) {
  const json c = load_cases().at(1);
  std::vector<Tensor> params = initial_params(c);
  LBFGS opt(params, options_of(c));
  auto closure = closure_for(opt, problem_of(c), params);
  opt.step(closure);
  const StateDict good = opt.state_dict();

  Tensor other = zeros({3}, {.dtype = Dtype::float64, .requires_grad = true});
  LBFGS wrong_size({other});
  EXPECT_THROW_WITH(wrong_size.load_state_dict(good), ValueError, "state.d", "[2]", "[3]");

  StateDict bad_text = good;
  bad_text.insert_or_assign("param_groups.0.line_search_fn", optim::detail::text_tensor("cubic"));
  EXPECT_THROW_WITH(opt.load_state_dict(bad_text), ValueError, "line_search_fn", "cubic");

  StateDict missing;
  for (const auto& [key, value] : good) {
    if (key != "state.ro") missing.insert(key, value);
  }
  EXPECT_THROW_WITH(opt.load_state_dict(missing), ValueError, "state.ro");

  StateDict too_long = good;
  too_long.insert_or_assign("param_groups.0.history_size", scalar_tensor(0.0, Dtype::float64));
  EXPECT_THROW_WITH(opt.load_state_dict(too_long), ValueError, "history_size");

  // A failed load changes nothing: the next step still matches an untouched twin.
  std::vector<Tensor> twin_params;
  for (const Tensor& p : params) twin_params.push_back(p.detach().clone().requires_grad_(true));
  LBFGS twin(twin_params, options_of(c));
  twin.load_state_dict(good);
  Tensor a = opt.step(closure);
  Tensor b = twin.step(closure_for(twin, problem_of(c), twin_params));
  EXPECT_TRUE(equal(a.detach(), b.detach()));
}

}  // namespace
}  // namespace cajal
