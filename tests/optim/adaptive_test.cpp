// NAdam and RAdam against PyTorch trajectories; AdaBelief, AdaBound, AMSBound, Lookahead and
// Ranger against their papers' update equations, written out below as plain loops over doubles;
// descent on a convex loss; state dict round trips; option and state dict errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cajal/core/creation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/linalg.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"
#include "cajal/optim/adabelief.h"
#include "cajal/optim/adabound.h"
#include "cajal/optim/lookahead.h"
#include "cajal/optim/nadam.h"
#include "cajal/optim/radam.h"
#include "cajal/optim/ranger.h"
#include "cajal/optim/sgd.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using nlohmann::json;
using optim::ParamGroup;
using testing::tensors_close;

// float64 throughout; the optimizers and the references round differently (sqrt(v / c) against
// sqrt(v) / sqrt(c), p (1 - a) against p - a p), which 12 steps amplify to ~1e-14 relative.
constexpr double kRtol = 1e-10;
constexpr double kAtol = 1e-13;
constexpr int kSteps = 12;

// ---------------------------------------------------------------------------------------------
// The problem every trajectory solves: a 4-3-2 tanh network, tanh(x W1^T + b1) W2^T + b2, fitted
// to fixed targets with mean squared error. Data and initial weights come from the golden file,
// so PyTorch solved the same problem.

struct Problem {
  Tensor x, y;
  std::vector<Tensor> initial;  // W1 [3, 4], b1 [3], W2 [2, 3], b2 [2]
};

const Problem& problem() {
  static const Problem instance = [] {
    const auto cases = testing::load_golden("optim_adaptive");
    const testing::GoldenCase& c = cases.at("nadam/one_group");
    return Problem{c.inputs[0], c.inputs[1], {c.inputs[2], c.inputs[3], c.inputs[4], c.inputs[5]}};
  }();
  return instance;
}

Tensor loss_of(const std::vector<Tensor>& p) {
  Tensor error = linear(tanh(linear(problem().x, p[0], p[1])), p[2], p[3]) - problem().y;
  return mean(error * error);
}

std::vector<Tensor> copies(const std::vector<Tensor>& values) {
  std::vector<Tensor> params;
  for (const Tensor& value : values) {
    Tensor param = value.detach().clone();
    param.requires_grad_(true);
    params.push_back(param);
  }
  return params;
}

std::vector<Tensor> fresh_params() { return copies(problem().initial); }

// Sets every parameter's grad() to the gradient of the loss.
void compute_gradients(optim::Optimizer& opt, const std::vector<Tensor>& params) {
  opt.zero_grad();
  loss_of(params).backward();
}

void train_step(optim::Optimizer& opt, const std::vector<Tensor>& params) {
  compute_gradients(opt, params);
  opt.step();
}

// ---------------------------------------------------------------------------------------------
// The references' side: parameters as plain vectors of doubles.

using Values = std::vector<std::vector<double>>;

Values values_of(const std::vector<Tensor>& params) {
  Values values;
  for (const Tensor& param : params) values.push_back(to_vector<double>(param));
  return values;
}

Values zeros_like_values(const Values& values) {
  Values zeros;
  for (const auto& v : values) zeros.emplace_back(v.size(), 0.0);
  return zeros;
}

// The loss gradient at `values`, by autograd on new tensors: the only thing a reference shares
// with the optimizer it checks.
Values gradients_at(const Values& values) {
  std::vector<Tensor> params;
  for (size_t i = 0; i < values.size(); ++i) {
    Tensor param = from_vector(values[i], problem().initial[i].shape());
    param.requires_grad_(true);
    params.push_back(param);
  }
  loss_of(params).backward();
  Values grads;
  for (const Tensor& param : params) grads.push_back(to_vector<double>(param.grad()));
  return grads;
}

void expect_params_close(const std::vector<Tensor>& params, const Values& expected, int step) {
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(tensors_close(params[i], from_vector(expected[i], params[i].shape()), kRtol, kAtol))
        << "parameter " << i << " after step " << step;
  }
}

// ---------------------------------------------------------------------------------------------
// NAdam and RAdam: PyTorch's trajectories (tools/golden/optim_adaptive.py).

// Sets each option named in `group` (a JSON object) through Options::visit.
template <typename Options>
Options options_from_json(const json& group) {
  Options options;
  for (const auto& [key, value] : group.items()) {
    if (key == "params") continue;
    bool found = false;
    options.visit([&](const char* field, auto& field_value) {
      if (key != field) return;
      found = true;
      using T = std::decay_t<decltype(field_value)>;
      if constexpr (std::is_same_v<T, std::pair<double, double>>) {
        field_value = {value.at(0).template get<double>(), value.at(1).template get<double>()};
      } else {
        field_value = value.template get<T>();
      }
    });
    EXPECT_TRUE(found) << "unknown option " << key;
  }
  return options;
}

template <typename Optimizer>
void check_golden_trajectory(const std::string& name) {
  SCOPED_TRACE(name);
  const auto cases = testing::load_golden("optim_adaptive");
  const testing::GoldenCase& c = cases.at(name);
  std::vector<Tensor> params = fresh_params();
  std::vector<ParamGroup<typename Optimizer::Options>> groups;
  for (const json& group : json::parse(c.params_json.at("groups"))) {
    ParamGroup<typename Optimizer::Options> param_group;
    for (size_t index : group.at("params").get<std::vector<size_t>>()) {
      param_group.params.push_back(params.at(index));
    }
    param_group.options = options_from_json<typename Optimizer::Options>(group);
    groups.push_back(param_group);
  }
  Optimizer opt(std::move(groups));
  for (int step = 0; step < kSteps; ++step) {
    train_step(opt, params);
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_TRUE(tensors_close(params[i], c.outputs.at(i).select(0, step), kRtol, kAtol))
          << "parameter " << i << " after step " << step + 1;
    }
  }
}

TEST(NAdam, MatchesPyTorchOneGroup) { check_golden_trajectory<optim::NAdam>("nadam/one_group"); }
TEST(NAdam, MatchesPyTorchTwoGroups) { check_golden_trajectory<optim::NAdam>("nadam/two_groups"); }
TEST(RAdam, MatchesPyTorchOneGroup) { check_golden_trajectory<optim::RAdam>("radam/one_group"); }
TEST(RAdam, MatchesPyTorchTwoGroups) { check_golden_trajectory<optim::RAdam>("radam/two_groups"); }
TEST(RAdam, MatchesPyTorchEarlyRectification) {
  check_golden_trajectory<optim::RAdam>("radam/fast_rectification");
}

TEST(NAdam, KeepsPyTorchStateNames) {
  std::vector<Tensor> params = fresh_params();
  optim::NAdam opt(params);
  train_step(opt, params);
  train_step(opt, params);
  StateDict state = opt.state_dict();
  EXPECT_EQ(state.at("state.0.step").item<double>(), 2);
  const double mu1 = 0.9 * (1 - 0.5 * std::pow(0.96, 1 * 4e-3));
  const double mu2 = 0.9 * (1 - 0.5 * std::pow(0.96, 2 * 4e-3));
  EXPECT_DOUBLE_EQ(state.at("state.3.mu_product").item<double>(), mu1 * mu2);
  EXPECT_TRUE(state.contains("state.3.exp_avg_sq"));
  EXPECT_DOUBLE_EQ(state.at("param_groups.0.momentum_decay").item<double>(), 4e-3);
}

// RAdam's decoupled weight decay (PyTorch >= 2.0's option) is checked through Ranger below.

// ---------------------------------------------------------------------------------------------
// AdaBelief (Zhuang et al., 2020, Algorithm 2), per element, at step t:
//   g <- g + lambda theta                  (coupled weight decay), or
//   theta <- theta - lr lambda theta       (decoupled weight decay)
//   m_t = beta1 m_{t-1} + (1 - beta1) g
//   s_t = beta2 s_{t-1} + (1 - beta2) (g - m_t)^2 + eps
//   s_t = max(s_max, s_t)                  (AMSGrad variant, as in the reference code)
//   m^ = m_t / (1 - beta1^t),   s^ = s_t / (1 - beta2^t)
//   theta <- theta - lr m^ / (sqrt(s^) + eps)

TEST(AdaBelief, MatchesPaperEquations) {
  for (bool amsgrad : {false, true}) {
    SCOPED_TRACE(amsgrad ? "amsgrad" : "plain");
    std::vector<Tensor> params = fresh_params();
    const optim::AdaBeliefOptions first{
        .lr = 0.02, .betas = {0.9, 0.99}, .weight_decay = 0.05, .amsgrad = amsgrad};
    const optim::AdaBeliefOptions second{.lr = 0.01,
                                         .betas = {0.8, 0.999},
                                         .eps = 1e-10,
                                         .weight_decay = 0.1,
                                         .amsgrad = amsgrad,
                                         .decoupled_weight_decay = true};
    optim::AdaBelief opt({{{params[0], params[1]}, first}, {{params[2], params[3]}, second}});

    const std::vector<optim::AdaBeliefOptions> setting{first, first, second, second};
    Values theta = values_of(params);
    Values m = zeros_like_values(theta), s = m, s_max = m;
    for (int t = 1; t <= kSteps; ++t) {
      const Values grads = gradients_at(theta);
      for (size_t i = 0; i < theta.size(); ++i) {
        const auto& o = setting[i];
        const double beta1 = o.betas.first, beta2 = o.betas.second;
        for (size_t j = 0; j < theta[i].size(); ++j) {
          double g = grads[i][j];
          double& p = theta[i][j];
          if (o.decoupled_weight_decay) {
            p -= o.lr * o.weight_decay * p;
          } else {
            g += o.weight_decay * p;
          }
          m[i][j] = beta1 * m[i][j] + (1 - beta1) * g;
          s[i][j] = beta2 * s[i][j] + (1 - beta2) * (g - m[i][j]) * (g - m[i][j]) + o.eps;
          s_max[i][j] = std::max(s_max[i][j], s[i][j]);
          const double m_hat = m[i][j] / (1 - std::pow(beta1, t));
          const double s_hat = (o.amsgrad ? s_max[i][j] : s[i][j]) / (1 - std::pow(beta2, t));
          p -= o.lr * m_hat / (std::sqrt(s_hat) + o.eps);
        }
      }
      train_step(opt, params);
      expect_params_close(params, theta, t);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// AdaBound / AMSBound (Luo et al., 2019, Algorithm 2, in the form of the authors' code: Adam's
// bias corrections, no 1/sqrt(t) factor), per element, at step t:
//   g <- g + lambda theta
//   m_t = beta1 m + (1 - beta1) g,   v_t = beta2 v + (1 - beta2) g^2,   v_t = max(v_max, v_t) (AMS)
//   eta* = final_lr lr / base_lr
//   eta_l = eta* (1 - 1 / (gamma t + 1)),   eta_u = eta* (1 + 1 / (gamma t))
//   eta = clip(lr sqrt(1 - beta2^t) / (1 - beta1^t) / (sqrt(v_t) + eps), eta_l, eta_u)
//   theta <- theta - eta m_t

TEST(AdaBound, MatchesPaperEquations) {
  for (bool amsbound : {false, true}) {
    SCOPED_TRACE(amsbound ? "AMSBound" : "AdaBound");
    std::vector<Tensor> params = fresh_params();
    // Fast gammas, so the bounds bind within a few steps: the lower one in group 0 (small lr,
    // large final_lr), the upper one in group 1 (the other way round).
    const optim::AdaBoundOptions first{
        .lr = 0.001, .betas = {0.9, 0.99}, .final_lr = 0.5, .gamma = 0.5, .weight_decay = 0.02};
    const optim::AdaBoundOptions second{.lr = 0.02, .final_lr = 0.01, .gamma = 0.2, .eps = 1e-6};
    std::vector<ParamGroup<optim::AdaBoundOptions>> groups{{{params[0], params[1]}, first},
                                                           {{params[2], params[3]}, second}};
    std::unique_ptr<optim::AdaBound> opt;
    if (amsbound) {
      opt = std::make_unique<optim::AMSBound>(groups);
    } else {
      opt = std::make_unique<optim::AdaBound>(groups);
    }

    const std::vector<optim::AdaBoundOptions> setting{first, first, second, second};
    std::vector<double> lr{first.lr, first.lr, second.lr, second.lr};
    Values theta = values_of(params);
    Values m = zeros_like_values(theta), v = m, v_max = m;
    int clipped_low = 0, clipped_high = 0;
    for (int t = 1; t <= kSteps; ++t) {
      if (t == 7) {  // as a schedule would: the bounds of group 0 shrink with its lr
        opt->set_lr(0, first.lr / 4);
        lr[0] = lr[1] = first.lr / 4;
      }
      const Values grads = gradients_at(theta);
      for (size_t i = 0; i < theta.size(); ++i) {
        const auto& o = setting[i];
        const double beta1 = o.betas.first, beta2 = o.betas.second;
        const double final_lr = o.final_lr * lr[i] / o.lr;
        const double lower = final_lr * (1 - 1 / (o.gamma * t + 1));
        const double upper = final_lr * (1 + 1 / (o.gamma * t));
        for (size_t j = 0; j < theta[i].size(); ++j) {
          double& p = theta[i][j];
          const double g = grads[i][j] + o.weight_decay * p;
          m[i][j] = beta1 * m[i][j] + (1 - beta1) * g;
          v[i][j] = beta2 * v[i][j] + (1 - beta2) * g * g;
          v_max[i][j] = std::max(v_max[i][j], v[i][j]);
          const double second_moment = amsbound ? v_max[i][j] : v[i][j];
          double eta = lr[i] * std::sqrt(1 - std::pow(beta2, t)) / (1 - std::pow(beta1, t)) /
                       (std::sqrt(second_moment) + o.eps);
          if (eta < lower) ++clipped_low;
          if (eta > upper) ++clipped_high;
          eta = std::clamp(eta, lower, upper);
          p -= eta * m[i][j];
        }
      }
      train_step(*opt, params);
      expect_params_close(params, theta, t);
    }
    EXPECT_GT(clipped_low, 0) << "the lower bound never bound: the test checks less than it says";
    EXPECT_GT(clipped_high, 0) << "the upper bound never bound";
  }
}

TEST(AdaBound, AMSBoundIsAdaBoundWithMaximum) {
  std::vector<Tensor> params = fresh_params();
  optim::AMSBound opt(params, {.amsbound = false});
  EXPECT_EQ(opt.name(), "AMSBound");
  EXPECT_TRUE(opt.param_groups()[0].options.amsbound);
  train_step(opt, params);
  EXPECT_TRUE(opt.state_dict().contains("state.0.max_exp_avg_sq"));
  EXPECT_DOUBLE_EQ(opt.base_lr(0), 1e-3);
}

// ---------------------------------------------------------------------------------------------
// Lookahead (Zhang et al., 2019, Algorithm 1) around SGD with heavy-ball momentum:
//   inner:  b <- g (first step) or mu b + g;   theta <- theta - lr b
//   every k-th step:  phi <- phi + alpha (theta - phi);   theta <- phi
// with phi (the slow weights) starting at the initial parameters.

TEST(Lookahead, MatchesPaperEquationsAroundSGD) {
  std::vector<Tensor> params = fresh_params();
  const optim::SGDOptions first{.lr = 0.1, .momentum = 0.9};
  const optim::SGDOptions second{.lr = 0.05, .momentum = 0.5, .weight_decay = 0.01};
  auto sgd = std::make_shared<optim::SGD>(std::vector<ParamGroup<optim::SGDOptions>>{
      {{params[0], params[1]}, first}, {{params[2], params[3]}, second}});
  const optim::LookaheadOptions lookahead{.k = 5, .alpha = 0.4};
  optim::Lookahead opt(sgd, lookahead);

  const std::vector<optim::SGDOptions> setting{first, first, second, second};
  Values theta = values_of(params);
  Values phi = theta;
  Values buffer = zeros_like_values(theta);
  for (int t = 1; t <= kSteps; ++t) {
    const Values grads = gradients_at(theta);
    for (size_t i = 0; i < theta.size(); ++i) {
      const auto& o = setting[i];
      for (size_t j = 0; j < theta[i].size(); ++j) {
        double& p = theta[i][j];
        const double g = grads[i][j] + o.weight_decay * p;
        buffer[i][j] = t == 1 ? g : o.momentum * buffer[i][j] + g;
        p -= o.lr * buffer[i][j];
        if (t % lookahead.k == 0) {
          phi[i][j] += lookahead.alpha * (p - phi[i][j]);
          p = phi[i][j];
        }
      }
    }
    train_step(opt, params);
    expect_params_close(params, theta, t);
  }
  EXPECT_EQ(opt.step_count(), kSteps);
}

TEST(Lookahead, AfterKStepsWeightsAreSlowPlusAlphaTimesFastMinusSlow) {
  const int64_t k = 3;
  const double alpha = 0.5;
  std::vector<Tensor> params = fresh_params();
  std::vector<Tensor> fast = fresh_params();  // plain SGD from the same start
  optim::Lookahead opt(std::make_shared<optim::SGD>(params, optim::SGDOptions{.lr = 0.1}),
                       {.k = k, .alpha = alpha});
  optim::SGD plain(fast, {.lr = 0.1});
  for (int64_t step = 1; step <= k; ++step) {
    train_step(opt, params);
    train_step(plain, fast);
    if (step < k) {
      for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(equal(params[i], fast[i]));
    }
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& slow = problem().initial[i];
    Tensor expected = slow + alpha * (fast[i].detach() - slow);
    EXPECT_TRUE(tensors_close(params[i], expected, 1e-14, 1e-15)) << "parameter " << i;
    EXPECT_TRUE(equal(opt.slow_weight(0, i), params[i].detach()));
  }
}

TEST(Lookahead, DelegatesToTheInnerOptimizer) {
  std::vector<Tensor> params = fresh_params();
  auto inner = std::make_shared<optim::NAdam>(std::vector<ParamGroup<optim::NAdamOptions>>{
      {{params[0], params[1]}, {.lr = 0.01}}, {{params[2], params[3]}, {.lr = 0.02}}});
  optim::Lookahead opt(inner);
  EXPECT_EQ(opt.options().k, 5);
  EXPECT_EQ(opt.options().alpha, 0.5);
  EXPECT_EQ(opt.num_param_groups(), 2u);
  EXPECT_EQ(opt.parameters().size(), 4u);
  EXPECT_EQ(opt.lr(1), 0.02);
  opt.set_lr(1, 0.005);
  EXPECT_EQ(inner->lr(1), 0.005);
  EXPECT_EQ(opt.momentum(0), 0.9);
  opt.set_momentum(0, 0.85);
  EXPECT_EQ(inner->param_groups()[0].options.betas.first, 0.85);
  compute_gradients(opt, params);
  opt.zero_grad();
  for (const Tensor& param : params) EXPECT_FALSE(param.grad().defined());
  // The closure form evaluates the loss once and steps the inner optimizer.
  int calls = 0;
  Tensor loss = opt.step([&] {
    ++calls;
    opt.zero_grad();
    Tensor value = loss_of(params);
    value.backward();
    return value;
  });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(loss.defined());
  EXPECT_EQ(opt.step_count(), 1);
  EXPECT_EQ(opt.state_dict().at("inner.state.0.step").item<double>(), 1);
}

// ---------------------------------------------------------------------------------------------
// Ranger (Wright, 2019): Lookahead (k = 6, alpha = 0.5) around RAdam (Liu et al., 2020) with
// decoupled weight decay, per element, at step t:
//   theta <- theta - lr lambda theta
//   m_t = beta1 m + (1 - beta1) g,   v_t = beta2 v + (1 - beta2) g^2,   m^ = m_t / (1 - beta1^t)
//   rho_inf = 2 / (1 - beta2) - 1,   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
//   rho_t > 5:  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
//               theta <- theta - lr r_t m^ sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
//   otherwise:  theta <- theta - lr m^
//   every k-th step:  phi <- phi + alpha (theta - phi);   theta <- phi

TEST(Ranger, MatchesRAdamPlusLookaheadEquations) {
  std::vector<Tensor> params = fresh_params();
  const optim::RangerOptions first{.lr = 0.01, .weight_decay = 0.05};
  const optim::RangerOptions second{.lr = 0.02, .betas = {0.9, 0.99}, .eps = 1e-8};
  optim::Ranger opt({{{params[0], params[1]}, first}, {{params[2], params[3]}, second}});
  EXPECT_EQ(opt.name(), "Ranger");
  EXPECT_EQ(opt.options().k, 6);
  EXPECT_EQ(opt.momentum(0), 0.95);

  const std::vector<optim::RangerOptions> setting{first, first, second, second};
  Values theta = values_of(params);
  Values phi = theta;
  Values m = zeros_like_values(theta), v = m;
  int plain_steps = 0, rectified_steps = 0;
  const int steps = 14;  // two synchronizations, both RAdam branches
  for (int t = 1; t <= steps; ++t) {
    const Values grads = gradients_at(theta);
    for (size_t i = 0; i < theta.size(); ++i) {
      const auto& o = setting[i];
      const double beta1 = o.betas.first, beta2 = o.betas.second;
      const double rho_inf = 2 / (1 - beta2) - 1;
      const double rho_t = rho_inf - 2 * t * std::pow(beta2, t) / (1 - std::pow(beta2, t));
      ++(rho_t > 5 ? rectified_steps : plain_steps);
      for (size_t j = 0; j < theta[i].size(); ++j) {
        double& p = theta[i][j];
        const double g = grads[i][j];
        p -= o.lr * o.weight_decay * p;
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * g;
        v[i][j] = beta2 * v[i][j] + (1 - beta2) * g * g;
        const double m_hat = m[i][j] / (1 - std::pow(beta1, t));
        if (rho_t > 5) {
          const double r = std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                                     ((rho_inf - 4) * (rho_inf - 2) * rho_t));
          p -= o.lr * r * m_hat * std::sqrt(1 - std::pow(beta2, t)) / (std::sqrt(v[i][j]) + o.eps);
        } else {
          p -= o.lr * m_hat;
        }
        if (t % o.k == 0) {
          phi[i][j] += o.alpha * (p - phi[i][j]);
          p = phi[i][j];
        }
      }
    }
    train_step(opt, params);
    expect_params_close(params, theta, t);
  }
  EXPECT_GT(plain_steps, 0);
  EXPECT_GT(rectified_steps, 0);
}

TEST(Ranger, DefaultsAreTheReferenceImplementations) {
  const optim::RangerOptions options;
  EXPECT_EQ(options.lr, 1e-3);
  EXPECT_EQ(options.betas, std::make_pair(0.95, 0.999));
  EXPECT_EQ(options.eps, 1e-5);
  EXPECT_EQ(options.weight_decay, 0);
  EXPECT_EQ(options.k, 6);
  EXPECT_EQ(options.alpha, 0.5);
  std::vector<Tensor> params = fresh_params();
  optim::Ranger opt(params);
  const optim::RAdamOptions& inner = opt.radam().param_groups()[0].options;
  EXPECT_EQ(inner.eps, 1e-5);
  EXPECT_TRUE(inner.decoupled_weight_decay);
}

// ---------------------------------------------------------------------------------------------
// Every optimizer descends a convex quadratic, 0.5 sum_i a_i (w_i - c_i)^2.

using Factory = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

struct Named {
  std::string name;
  Factory make;
};

std::vector<Named> descent_factories() {
  return {
      {"NAdam",
       [](auto p) { return std::make_unique<optim::NAdam>(p, optim::NAdamOptions{.lr = 0.05}); }},
      {"RAdam",
       [](auto p) { return std::make_unique<optim::RAdam>(p, optim::RAdamOptions{.lr = 0.05}); }},
      {"AdaBelief",
       [](auto p) {
         return std::make_unique<optim::AdaBelief>(p, optim::AdaBeliefOptions{.lr = 0.05});
       }},
      {"AdaBound",
       [](auto p) {
         return std::make_unique<optim::AdaBound>(p, optim::AdaBoundOptions{.lr = 0.05});
       }},
      {"AMSBound",
       [](auto p) {
         return std::make_unique<optim::AMSBound>(p, optim::AdaBoundOptions{.lr = 0.05});
       }},
      {"Lookahead(SGD)",
       [](auto p) {
         return std::make_unique<optim::Lookahead>(
             std::make_shared<optim::SGD>(p, optim::SGDOptions{.lr = 0.1, .momentum = 0.5}));
       }},
      {"Ranger",
       [](auto p) { return std::make_unique<optim::Ranger>(p, optim::RangerOptions{.lr = 0.1}); }},
  };
}

TEST(AdaptiveOptimizers, DecreaseAConvexLoss) {
  const Tensor a = tensor({0.5, 1.0, 2.0, 3.0, 4.0, 5.0}, {.dtype = Dtype::float64});
  const Tensor c = tensor({1.0, -2.0, 0.5, 3.0, -1.0, 0.0}, {.dtype = Dtype::float64});
  auto quadratic = [&](const Tensor& w) { return 0.5 * sum(a * (w - c) * (w - c)); };
  for (const Named& entry : descent_factories()) {
    SCOPED_TRACE(entry.name);
    Tensor w = zeros({6}, {.dtype = Dtype::float64});
    w.requires_grad_(true);
    auto opt = entry.make({w});
    const double initial = quadratic(w).item<double>();
    for (int step = 0; step < 300; ++step) {
      opt->zero_grad();
      quadratic(w).backward();
      opt->step();
    }
    const double final = quadratic(w).item<double>();
    EXPECT_LT(final, 0.01 * initial) << "from " << initial << " to " << final;
  }
}

// ---------------------------------------------------------------------------------------------
// State dict round trips: k steps, save, load into new objects (built with another lr, which the
// state dict must restore), then the next steps agree bit for bit.

using RoundTripFactory =
    std::function<std::unique_ptr<optim::Optimizer>(const std::vector<Tensor>&, double lr)>;

template <typename Optimizer, typename Options>
RoundTripFactory two_groups(Options options) {
  return [options](const std::vector<Tensor>& p, double lr) {
    Options first = options, second = options;
    first.lr = lr;
    second.lr = lr / 2;
    return std::make_unique<Optimizer>(
        std::vector<ParamGroup<Options>>{{{p[0], p[1]}, first}, {{p[2], p[3]}, second}});
  };
}

void check_round_trip(const std::string& name, const RoundTripFactory& make) {
  SCOPED_TRACE(name);
  const double lr = 0.01;
  std::vector<Tensor> params = fresh_params();
  std::unique_ptr<optim::Optimizer> opt = make(params, lr);
  for (int step = 0; step < 4; ++step) train_step(*opt, params);
  const StateDict saved = opt->state_dict();

  std::vector<Tensor> resumed_params = copies(params);
  std::unique_ptr<optim::Optimizer> resumed = make(resumed_params, 0.5);
  resumed->load_state_dict(saved);
  EXPECT_EQ(resumed->lr(0), lr);
  EXPECT_EQ(resumed->lr(1), lr / 2);
  const StateDict reloaded = resumed->state_dict();
  ASSERT_EQ(reloaded.size(), saved.size());
  for (const auto& [key, value] : saved) {
    ASSERT_TRUE(reloaded.contains(key)) << key;
    EXPECT_TRUE(equal(reloaded.at(key), value)) << key;
  }
  for (int step = 0; step < 3; ++step) {  // crosses Lookahead's and Ranger's synchronization
    train_step(*opt, params);
    train_step(*resumed, resumed_params);
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_TRUE(equal(params[i], resumed_params[i]))
          << "parameter " << i << ", step " << step + 1 << " after loading";
    }
  }
}

TEST(AdaptiveOptimizers, StateDictRoundTrips) {
  check_round_trip("NAdam", two_groups<optim::NAdam>(optim::NAdamOptions{.weight_decay = 0.1}));
  check_round_trip("RAdam", two_groups<optim::RAdam>(optim::RAdamOptions{
                                .weight_decay = 0.1, .decoupled_weight_decay = true}));
  check_round_trip("AdaBelief",
                   two_groups<optim::AdaBelief>(optim::AdaBeliefOptions{.amsgrad = true}));
  check_round_trip("AdaBound", two_groups<optim::AdaBound>(optim::AdaBoundOptions{.gamma = 0.3}));
  check_round_trip("AMSBound", two_groups<optim::AMSBound>(optim::AdaBoundOptions{}));
  check_round_trip("Lookahead(SGD)", [](const std::vector<Tensor>& p, double lr) {
    auto sgd = two_groups<optim::SGD>(optim::SGDOptions{.momentum = 0.9})(p, lr);
    return std::make_unique<optim::Lookahead>(std::move(sgd), optim::LookaheadOptions{.k = 5});
  });
  check_round_trip("Lookahead(AdaBelief)", [](const std::vector<Tensor>& p, double lr) {
    auto inner = two_groups<optim::AdaBelief>(optim::AdaBeliefOptions{})(p, lr);
    return std::make_unique<optim::Lookahead>(std::move(inner),
                                              optim::LookaheadOptions{.k = 6, .alpha = 0.8});
  });
  check_round_trip("Ranger", two_groups<optim::Ranger>(optim::RangerOptions{.weight_decay = 0.1}));
}

TEST(Lookahead, StateDictRestoresOptionsStepAndSlowWeights) {
  std::vector<Tensor> params = fresh_params();
  optim::Lookahead opt(std::make_shared<optim::SGD>(params, optim::SGDOptions{.lr = 0.1}),
                       {.k = 3, .alpha = 0.7});
  for (int step = 0; step < 4; ++step) train_step(opt, params);
  const StateDict saved = opt.state_dict();
  EXPECT_EQ(saved.at("lookahead.step").item<int64_t>(), 4);
  EXPECT_TRUE(saved.contains("lookahead.slow.3"));
  EXPECT_TRUE(saved.contains("inner.param_groups.0.lr"));

  std::vector<Tensor> other = fresh_params();
  optim::Lookahead resumed(std::make_shared<optim::SGD>(other), {.k = 9, .alpha = 0.1});
  resumed.load_state_dict(saved);
  EXPECT_EQ(resumed.options().k, 3);
  EXPECT_EQ(resumed.options().alpha, 0.7);
  EXPECT_EQ(resumed.step_count(), 4);
  EXPECT_EQ(resumed.lr(0), 0.1);
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(equal(resumed.slow_weight(0, i), opt.slow_weight(0, i)));
  }
}

// ---------------------------------------------------------------------------------------------
// Behavior shared by the four optimizers built on OptimizerBase.

TEST(AdaptiveOptimizers, SkipParametersWithoutGradient) {
  std::vector<Named> factories;
  for (const Named& entry : descent_factories()) {
    if (entry.name.find("Lookahead") == std::string::npos && entry.name != "Ranger") {
      factories.push_back(entry);
    }
  }
  for (const Named& entry : factories) {
    SCOPED_TRACE(entry.name);
    std::vector<Tensor> params = fresh_params();
    auto opt = entry.make(params);
    compute_gradients(*opt, params);
    params[1].set_grad(Tensor());
    opt->step();
    EXPECT_TRUE(equal(params[1].detach(), problem().initial[1]));
    EXPECT_FALSE(equal(params[0].detach(), problem().initial[0]));
    const StateDict state = opt->state_dict();
    EXPECT_TRUE(state.contains("state.0.step"));
    EXPECT_FALSE(state.contains("state.1.step"));
  }
}

TEST(AdaptiveOptimizers, Float32ParametersStayFloat32) {
  const Tensor target = tensor({1.0, -2.0, 0.5});
  for (const Named& entry : descent_factories()) {
    SCOPED_TRACE(entry.name);
    Tensor w = zeros({3});
    w.requires_grad_(true);
    auto opt = entry.make({w});
    for (int step = 0; step < 8; ++step) {
      opt->zero_grad();
      sum((w - target) * (w - target)).backward();
      opt->step();
    }
    EXPECT_EQ(w.dtype(), Dtype::float32);
    for (float value : to_vector<float>(w)) EXPECT_TRUE(std::isfinite(value));
    EXPECT_LT(sum((w - target) * (w - target)).item<double>(), 5.25);  // 5.25 at the start
    for (const auto& [key, value] : opt->state_dict()) {
      if (key.find("param_groups.") != std::string::npos) continue;  // options are float64
      if (value.dim() > 0) {
        EXPECT_EQ(value.dtype(), Dtype::float32) << key;
      }
    }
  }
}

TEST(AdaptiveOptimizers, MomentumIsBeta1) {
  for (const Named& entry : descent_factories()) {
    SCOPED_TRACE(entry.name);
    auto opt = entry.make(fresh_params());
    ASSERT_TRUE(opt->momentum(0).has_value());
    opt->set_momentum(0, 0.8);
    EXPECT_EQ(opt->momentum(0), 0.8);
    if (entry.name != "Lookahead(SGD)") {
      EXPECT_THROW_WITH(opt->set_momentum(0, 1.5), ValueError, "betas[0]", "1.5");
    }
  }
  auto lookahead = descent_factories()[5].make(fresh_params());
  EXPECT_EQ(lookahead->momentum(0), 0.5);  // SGD's momentum, delegated
}

// ---------------------------------------------------------------------------------------------
// Errors name the optimizer, the option and the value.

TEST(AdaptiveOptimizers, BadOptionsThrow) {
  const std::vector<Tensor> p = fresh_params();
  EXPECT_THROW_WITH(optim::NAdam(p, {.lr = -0.1}), ValueError, "NAdam: lr must be >= 0, got -0.1");
  EXPECT_THROW_WITH(optim::NAdam(p, {.betas = {1.5, 0.9}}), ValueError,
                    "NAdam: betas[0] must be in [0, 1), got 1.5");
  EXPECT_THROW_WITH(optim::NAdam(p, {.momentum_decay = -1}), ValueError, "NAdam", "momentum_decay",
                    "-1");
  EXPECT_THROW_WITH(optim::RAdam(p, {.betas = {0.9, 1.0}}), ValueError, "RAdam", "betas[1]", "1");
  EXPECT_THROW_WITH(optim::RAdam(p, {.eps = -1e-8}), ValueError, "RAdam", "eps", "-1e-08");
  EXPECT_THROW_WITH(optim::RAdam(p, {.weight_decay = -2}), ValueError, "RAdam", "weight_decay",
                    "-2");
  EXPECT_THROW_WITH(optim::AdaBelief(p, {.lr = -1}), ValueError, "AdaBelief", "lr", "-1");
  EXPECT_THROW_WITH(optim::AdaBelief(p, {.eps = -1}), ValueError, "AdaBelief", "eps", "-1");
  EXPECT_THROW_WITH(optim::AdaBound(p, {.final_lr = -0.1}), ValueError, "AdaBound", "final_lr",
                    "-0.1");
  EXPECT_THROW_WITH(optim::AdaBound(p, {.gamma = 1}), ValueError, "AdaBound", "gamma", "1");
  EXPECT_THROW_WITH(optim::AMSBound(p, {.lr = -3}), ValueError, "AMSBound", "lr", "-3");
  EXPECT_THROW_WITH(optim::AdaBound(std::vector<ParamGroup<optim::AdaBoundOptions>>{{{}, {}}}),
                    ValueError, "AdaBound", "empty");
  auto sgd = std::make_shared<optim::SGD>(p);
  EXPECT_THROW_WITH(optim::Lookahead(sgd, {.k = 0}), ValueError,
                    "Lookahead: k must be >= 1, got 0");
  EXPECT_THROW_WITH(optim::Lookahead(sgd, {.alpha = 1.5}), ValueError,
                    "Lookahead: alpha must be in [0, 1], got 1.5");
  EXPECT_THROW_WITH(optim::Lookahead(nullptr), ValueError, "Lookahead", "null");
  EXPECT_THROW_WITH(optim::Ranger(p, {.lr = -0.5}), ValueError, "Ranger: lr", "-0.5");
  EXPECT_THROW_WITH(optim::Ranger(p, {.betas = {0.95, -0.1}}), ValueError, "Ranger", "betas[1]",
                    "-0.1");
  EXPECT_THROW_WITH(optim::Ranger(p, {.k = -2}), ValueError, "Ranger: k", "-2");
  EXPECT_THROW_WITH(optim::Ranger(p, {.alpha = 2}), ValueError, "Ranger: alpha", "2");
  EXPECT_THROW_WITH(optim::Ranger({{{p[0]}, {.k = 6}}, {{p[1]}, {.k = 5}}}), ValueError, "Ranger",
                    "k must be the same", "6 and 5");
}

TEST(AdaptiveOptimizers, MismatchedStateDictsThrowAndChangeNothing) {
  std::vector<Tensor> params = fresh_params();
  optim::NAdam nadam(params);
  train_step(nadam, params);
  optim::RAdam radam(params);
  EXPECT_THROW_WITH(radam.load_state_dict(nadam.state_dict()), ValueError, "RAdam",
                    "decoupled_weight_decay");

  optim::AdaBound adabound(params, {.lr = 0.01});
  train_step(adabound, params);
  StateDict no_base = adabound.state_dict();
  StateDict pruned;
  for (const auto& [key, value] : no_base) {
    if (key != "param_groups.0.base_lr") pruned.insert(key, value);
  }
  EXPECT_THROW_WITH(adabound.load_state_dict(pruned), ValueError, "AdaBound",
                    "param_groups.0.base_lr");

  optim::Lookahead lookahead(std::make_shared<optim::SGD>(params, optim::SGDOptions{.lr = 0.1}));
  train_step(lookahead, params);
  const StateDict good = lookahead.state_dict();
  StateDict bad_shape, bad_inner, bad_step;
  for (const auto& [key, value] : good) {
    bad_shape.insert(key,
                     key == "lookahead.slow.0" ? zeros({2}, {.dtype = Dtype::float64}) : value);
    bad_inner.insert(
        key, key == "inner.param_groups.0.lr" ? scalar_tensor(-1.0, Dtype::float64) : value);
    bad_step.insert(key,
                    key == "lookahead.step" ? scalar_tensor(int64_t{-1}, Dtype::int64) : value);
  }
  optim::Lookahead fresh(std::make_shared<optim::SGD>(params, optim::SGDOptions{.lr = 0.3}),
                         {.k = 2});
  EXPECT_THROW_WITH(fresh.load_state_dict(bad_shape), ValueError, "Lookahead", "lookahead.slow.0",
                    "[2]", "[3, 4]");
  EXPECT_THROW_WITH(fresh.load_state_dict(bad_inner), ValueError, "SGD", "lr", "-1");
  EXPECT_THROW_WITH(fresh.load_state_dict(bad_step), ValueError, "Lookahead", "lookahead.step",
                    "-1");
  EXPECT_THROW_WITH(fresh.load_state_dict(nadam.state_dict()), ValueError, "Lookahead",
                    "lookahead.k");
  EXPECT_EQ(fresh.options().k, 2);
  EXPECT_EQ(fresh.step_count(), 0);
  EXPECT_EQ(fresh.lr(0), 0.3);
}

}  // namespace
}  // namespace cajal
