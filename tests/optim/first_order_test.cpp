// The classic first-order optimizers (SGD, Adagrad, Adadelta, RMSprop, Adam, AdamW, Adamax):
// trajectories against PyTorch, state dict round trips, zero_grad, skipped parameters, option
// validation and state dict mismatches.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/optim/adadelta.h"
#include "cajal/optim/adagrad.h"
#include "cajal/optim/adam.h"
#include "cajal/optim/adamax.h"
#include "cajal/optim/adamw.h"
#include "cajal/optim/rmsprop.h"
#include "cajal/optim/sgd.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal::optim {
namespace {

using nlohmann::json;
using testing::expect_error;

// ---------------------------------------------------------------------------------------------
// The model of tools/golden/optim_first_order.py: a 3 -> 4 -> 2 perceptron with tanh and a mean
// squared error on five samples, plus a parameter that takes no part in the loss.

struct Model {
  Tensor x, y;
  std::vector<Tensor> params;  // w1 [4, 3], b1 [4], w2 [2, 4], b2 [2], unused [3]

  Tensor loss() const {
    Tensor hidden = tanh(linear(x, params[0], params[1]));
    return square(linear(hidden, params[2], params[3]) - y).mean();
  }
  // zero_grad, backward, step: one training iteration.
  void train_step(Optimizer& optimizer) const {
    optimizer.zero_grad();
    loss().backward();
    optimizer.step();
  }
};

// Fresh leaf parameters holding `values`.
Model make_model(const Tensor& x, const Tensor& y, const std::vector<Tensor>& values) {
  Model model{x, y, {}};
  for (const Tensor& value : values) model.params.push_back(value.clone().requires_grad_(true));
  return model;
}

Model golden_model(const testing::GoldenCase& c) {
  return make_model(c.inputs[0], c.inputs[1],
                    std::vector<Tensor>(c.inputs.begin() + 2, c.inputs.end()));
}

const testing::GoldenCase& golden_case(const std::string& name) {
  static const auto cases = testing::load_golden("optim_first_order");
  return cases.at(name);
}

std::vector<Tensor> snapshot(const std::vector<Tensor>& params) {
  std::vector<Tensor> copies;
  for (const Tensor& param : params) copies.push_back(param.detach().clone());
  return copies;
}

// Sets the fields named in `j` (PyTorch's option names); every key must name a field.
template <typename Options>
Options options_from_json(const json& j) {
  Options options;
  size_t matched = 0;
  options.visit([&](const char* field, auto& value) {
    if (!j.contains(field)) return;
    ++matched;
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, std::pair<double, double>>) {
      value = {j.at(field).at(0).get<double>(), j.at(field).at(1).get<double>()};
    } else {
      value = j.at(field).get<T>();
    }
  });
  EXPECT_EQ(matched, j.size()) << "unknown option in " << j.dump();
  return options;
}

template <typename Opt>
std::unique_ptr<Optimizer> make(const json& groups, const std::vector<Tensor>& params) {
  std::vector<typename Opt::Group> built;
  for (const json& group : groups) {
    typename Opt::Group g;
    for (int index : group.at("params")) g.params.push_back(params.at(index));
    g.options = options_from_json<typename Opt::Options>(group.at("options"));
    built.push_back(std::move(g));
  }
  return std::make_unique<Opt>(std::move(built));
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, const json& groups,
                                          const std::vector<Tensor>& params) {
  if (name == "SGD") return make<SGD>(groups, params);
  if (name == "Adagrad") return make<Adagrad>(groups, params);
  if (name == "Adadelta") return make<Adadelta>(groups, params);
  if (name == "RMSprop") return make<RMSprop>(groups, params);
  if (name == "Adam") return make<Adam>(groups, params);
  if (name == "AdamW") return make<AdamW>(groups, params);
  if (name == "Adamax") return make<Adamax>(groups, params);
  throw ValueError("test: unknown optimizer " + name);
}

json case_params(const testing::GoldenCase& c, const std::string& key) {
  return json::parse(c.params_json.at(key));
}

// The case's learning-rate change ("set_lr": [after_step, group, lr]), if it falls after
// `step` (counted from 1).
void apply_set_lr(const testing::GoldenCase& c, int step, Optimizer& optimizer) {
  if (c.params_json.count("set_lr") == 0) return;
  const json set_lr = case_params(c, "set_lr");
  if (step == set_lr[0].get<int>()) {
    optimizer.set_lr(set_lr[1].get<size_t>(), set_lr[2].get<double>());
  }
}

// ---------------------------------------------------------------------------------------------
// Trajectories against PyTorch 1.13 (foreach=False), float64, after every one of 12 steps.
// The updates use the same formulas in the same order as PyTorch, but a few products are
// grouped differently (v + (1 - beta) * (g * g) rather than v + ((1 - beta) * g) * g), so
// values agree to a few ulps that the steps carry along: measured within rtol 1e-12 (atol 0)
// on the development machine; asserted at rtol 1e-11, atol 1e-14.

TEST(FirstOrderOptimizers, TrajectoriesMatchPyTorch) {
  const auto cases = testing::load_golden("optim_first_order");
  ASSERT_EQ(cases.size(), 28u);
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE("golden case " + name);
    Model model = golden_model(c);
    const json groups = case_params(c, "groups");
    const int steps = case_params(c, "steps").get<int>();
    ASSERT_GE(steps, 10);
    const std::string kind = case_params(c, "optimizer").get<std::string>();
    auto optimizer = make_optimizer(kind, groups, model.params);
    EXPECT_EQ(optimizer->name(), kind);
    EXPECT_EQ(optimizer->num_param_groups(), groups.size());
    for (int step = 0; step < steps; ++step) {
      model.train_step(*optimizer);
      for (size_t p = 0; p < model.params.size(); ++p) {
        EXPECT_TRUE(testing::tensors_close(model.params[p], c.outputs[p][step], 1e-11, 1e-14))
            << "parameter " << p << " after step " << step + 1;
      }
      apply_set_lr(c, step + 1, *optimizer);
    }
    // The parameter outside the loss never had a gradient: untouched, bit for bit.
    EXPECT_TRUE(equal(model.params[4], c.inputs[6]));
  }
}

// Every case starts from the same point and the optimizers must actually move the parameters
// (a trajectory test that passes with a no-op update would be worthless).
TEST(FirstOrderOptimizers, GoldenTrajectoriesMove) {
  const auto& c = golden_case("adam_plain");
  EXPECT_FALSE(allclose(c.outputs[0][11], c.inputs[2], 1e-3, 1e-3));
  EXPECT_FALSE(allclose(c.outputs[0][0], c.outputs[0][1], 1e-6, 1e-6));
}

// ---------------------------------------------------------------------------------------------
// State dicts.

// For each optimizer, an option set that fills every kind of state it has.
const std::vector<std::string> kRoundTripCases = {
    "sgd_groups_weight_decay", "sgd_dampening",    "adagrad_groups", "adadelta_groups",
    "rmsprop_groups",          "rmsprop_momentum", "adam_groups",    "adam_amsgrad",
    "adamw_amsgrad",           "adamw_groups",     "adamax_groups",  "sgd_maximize"};

// Every option back to its default, so only load_state_dict can restore the case's options.
json default_groups(const json& groups) {
  json defaults = groups;
  for (json& group : defaults) group["options"] = json::object();
  return defaults;
}

TEST(FirstOrderOptimizers, StateDictRoundTripResumesBitForBit) {
  for (const std::string& name : kRoundTripCases) {
    SCOPED_TRACE("case " + name);
    const auto& c = golden_case(name);
    const json groups = case_params(c, "groups");
    const std::string kind = case_params(c, "optimizer").get<std::string>();
    Model model = golden_model(c);
    auto optimizer = make_optimizer(kind, groups, model.params);
    for (int step = 0; step < 4; ++step) {
      model.train_step(*optimizer);
      apply_set_lr(c, step + 1, *optimizer);
    }

    // Save the optimizer and the parameters; resume in a fresh model and optimizer.
    const StateDict saved = optimizer->state_dict();
    Model resumed = make_model(model.x, model.y, snapshot(model.params));
    auto fresh = make_optimizer(kind, default_groups(groups), resumed.params);
    fresh->load_state_dict(saved);
    for (size_t g = 0; g < groups.size(); ++g) EXPECT_EQ(fresh->lr(g), optimizer->lr(g));

    model.train_step(*optimizer);
    resumed.train_step(*fresh);
    for (size_t p = 0; p < model.params.size(); ++p) {
      EXPECT_TRUE(equal(model.params[p], resumed.params[p])) << "parameter " << p;
    }
    const StateDict after = optimizer->state_dict(), resumed_after = fresh->state_dict();
    ASSERT_EQ(after.keys(), resumed_after.keys());
    for (const auto& [key, value] : after) {
      EXPECT_TRUE(equal(value, resumed_after.at(key))) << key;
    }
    // And it matches PyTorch's fifth step.
    for (size_t p = 0; p < model.params.size(); ++p) {
      EXPECT_TRUE(testing::tensors_close(resumed.params[p], c.outputs[p][4], 1e-11, 1e-14));
    }
  }
}

TEST(FirstOrderOptimizers, StateDictLayout) {
  Model model = golden_model(golden_case("adam_groups"));
  Adam adam(
      {{{model.params[0], model.params[1]}, {.lr = 0.05, .amsgrad = true}},
       {{model.params[2], model.params[3], model.params[4]}, {.lr = 0.01, .betas = {0.8, 0.99}}}});
  model.train_step(adam);
  model.train_step(adam);
  StateDict state = adam.state_dict();
  EXPECT_EQ(state.at("param_groups.0.size").item<int64_t>(), 2);
  EXPECT_EQ(state.at("param_groups.1.size").item<int64_t>(), 3);
  EXPECT_EQ(state.at("param_groups.0.lr").dtype(), Dtype::float64);
  EXPECT_EQ(state.at("param_groups.0.lr").item<double>(), 0.05);
  EXPECT_EQ(state.at("param_groups.0.amsgrad").item<double>(), 1.0);
  EXPECT_EQ(to_vector<double>(state.at("param_groups.1.betas")), (std::vector<double>{0.8, 0.99}));
  // step: an int64 counter; moments shaped like their parameter.
  EXPECT_EQ(state.at("state.0.step").dtype(), Dtype::int64);
  EXPECT_EQ(state.at("state.0.step").item<int64_t>(), 2);
  EXPECT_EQ(state.at("state.0.exp_avg").shape(), (Shape{4, 3}));
  EXPECT_TRUE(state.contains("state.0.max_exp_avg_sq"));
  EXPECT_FALSE(state.contains("state.2.max_exp_avg_sq"));  // group 1 has no AMSGrad
  EXPECT_TRUE(state.contains("state.3.exp_avg_sq"));
  // The parameter without a gradient has no state at all.
  for (const std::string& key : state.keys()) EXPECT_NE(key.rfind("state.4.", 0), 0u) << key;
  // The state dict holds copies: training on does not change it.
  Tensor exp_avg = state.at("state.0.exp_avg").clone();
  model.train_step(adam);
  EXPECT_TRUE(equal(state.at("state.0.exp_avg"), exp_avg));
}

TEST(FirstOrderOptimizers, SgdWithoutMomentumKeepsNoState) {
  Model model = golden_model(golden_case("sgd_plain"));
  SGD sgd(model.params, {.lr = 0.1});
  model.train_step(sgd);
  for (const std::string& key : sgd.state_dict().keys()) EXPECT_NE(key.rfind("state.", 0), 0u);
}

TEST(FirstOrderOptimizers, LoadConvertsFloatingStateToTheParameterDtype) {
  Model model = golden_model(golden_case("adam_plain"));
  Adam adam(model.params, {.lr = 0.05});
  model.train_step(adam);
  // The same state, as a float32 checkpoint would hold it.
  StateDict state;
  for (const auto& [key, value] : adam.state_dict()) {
    bool moment = key.find("exp_avg") != std::string::npos;
    state.insert(key, moment ? value.to(Dtype::float32) : value);
  }
  Adam fresh(snapshot(model.params), {});
  fresh.load_state_dict(state);
  EXPECT_EQ(fresh.state_dict().at("state.0.exp_avg").dtype(), Dtype::float64);
  EXPECT_EQ(fresh.state_dict().at("state.0.step").dtype(), Dtype::int64);
}

TEST(FirstOrderOptimizers, LoadStateDictMismatchesThrowAndChangeNothing) {
  Model model = golden_model(golden_case("adam_groups"));
  std::vector<Tensor> trunk{model.params[0], model.params[1]};
  std::vector<Tensor> head{model.params[2], model.params[3], model.params[4]};
  Adam two_groups({{trunk, {.lr = 0.05}}, {head, {.lr = 0.01}}});
  model.train_step(two_groups);
  const StateDict good = two_groups.state_dict();

  // Group count.
  Adam one_group(snapshot(trunk), {});
  EXPECT_THROW_WITH(one_group.load_state_dict(good), ValueError, "Adam", "more than 1",
                    "parameter groups");
  Adam three_groups({{snapshot(trunk), {}}, {snapshot({head[0]}), {}}, {snapshot({head[1]}), {}}});
  EXPECT_THROW_WITH(three_groups.load_state_dict(good), ValueError, "Adam", "group 1", "has 1",
                    "has 3");

  // Parameter count within a group.
  Adam other_split(
      {{snapshot({trunk[0], trunk[1], head[0]}), {}}, {snapshot({head[1], head[2]}), {}}});
  EXPECT_THROW_WITH(other_split.load_state_dict(good), ValueError, "group 0", "has 3",
                    "state dict has 2");

  Adam target({{snapshot(trunk), {.lr = 0.3}}, {snapshot(head), {.lr = 0.4}}});
  const StateDict before = target.state_dict();
  auto expect_unchanged = [&] {
    const StateDict now = target.state_dict();
    ASSERT_EQ(now.keys(), before.keys());
    for (const auto& [key, value] : before) EXPECT_TRUE(equal(now.at(key), value)) << key;
  };

  // A state tensor of the wrong shape.
  StateDict wrong_shape;
  for (const auto& [key, value] : good) {
    wrong_shape.insert(key,
                       key == "state.2.exp_avg" ? zeros({4, 2}, {.dtype = Dtype::float64}) : value);
  }
  EXPECT_THROW_WITH(target.load_state_dict(wrong_shape), ValueError, "Adam", "state.2.exp_avg",
                    "[4, 2]", "[2, 4]");
  expect_unchanged();

  // A parameter's state without one of its tensors.
  StateDict missing_moment;
  for (const auto& [key, value] : good) {
    if (key != "state.1.exp_avg_sq") missing_moment.insert(key, value);
  }
  EXPECT_THROW_WITH(target.load_state_dict(missing_moment), ValueError, "missing key",
                    "state.1.exp_avg_sq");
  expect_unchanged();

  // State for a parameter the optimizer does not have.
  StateDict extra = good;
  extra.insert("state.5.exp_avg", zeros({3}, {.dtype = Dtype::float64}));
  EXPECT_THROW_WITH(target.load_state_dict(extra), ValueError, "state.5.exp_avg", "5 parameters");
  expect_unchanged();

  // A missing option, and an invalid one.
  StateDict no_lr;
  for (const auto& [key, value] : good) {
    if (key != "param_groups.1.lr") no_lr.insert(key, value);
  }
  EXPECT_THROW_WITH(target.load_state_dict(no_lr), ValueError, "missing key", "param_groups.1.lr");
  StateDict bad_beta = good;
  bad_beta.at("param_groups.0.betas") = tensor({1.5, 0.9}, {.dtype = Dtype::float64});
  EXPECT_THROW_WITH(target.load_state_dict(bad_beta), ValueError, "betas[0]", "1.5");
  expect_unchanged();

  // Another optimizer's state dict: SGD has no betas; Adam's state lacks Adamax's exp_inf.
  Model sgd_model = make_model(model.x, model.y, snapshot(model.params));
  SGD sgd({{{sgd_model.params[0], sgd_model.params[1]}, {.lr = 0.1, .momentum = 0.9}},
           {{sgd_model.params[2], sgd_model.params[3], sgd_model.params[4]}, {.lr = 0.1}}});
  sgd_model.train_step(sgd);
  EXPECT_THROW_WITH(target.load_state_dict(sgd.state_dict()), ValueError, "Adam", "missing key",
                    "betas");
  Adamax adamax({{snapshot(trunk), {}}, {snapshot(head), {}}});
  EXPECT_THROW_WITH(adamax.load_state_dict(good), ValueError, "Adamax", "exp_inf");
  expect_unchanged();
}

// ---------------------------------------------------------------------------------------------
// zero_grad and parameters without gradients.

TEST(FirstOrderOptimizers, ZeroGrad) {
  Model model = golden_model(golden_case("sgd_plain"));
  SGD sgd(model.params, {.lr = 0.1});
  model.loss().backward();
  ASSERT_TRUE(model.params[0].grad().defined());
  sgd.zero_grad(/*set_to_none=*/false);
  for (size_t p = 0; p < 4; ++p) {
    ASSERT_TRUE(model.params[p].grad().defined());
    EXPECT_TRUE(equal(model.params[p].grad(), zeros_like(model.params[p])));
  }
  EXPECT_FALSE(model.params[4].grad().defined());
  // Zeroed gradients still count as gradients: momentum-free SGD without decay leaves the
  // parameters as they are, weight decay moves them.
  std::vector<Tensor> before = snapshot(model.params);
  sgd.step();
  for (size_t p = 0; p < 5; ++p) EXPECT_TRUE(equal(model.params[p], before[p]));
  sgd.param_groups()[0].options.weight_decay = 0.5;
  sgd.step();
  EXPECT_FALSE(equal(model.params[0], before[0]));
  EXPECT_TRUE(equal(model.params[4], before[4]));  // no gradient: skipped despite weight decay

  sgd.zero_grad();
  for (const Tensor& param : model.params) EXPECT_FALSE(param.grad().defined());
}

TEST(FirstOrderOptimizers, ParametersWithoutGradientAreSkipped) {
  // A parameter that receives a gradient only from step 3 on starts its state then: its step
  // counter trails the others'.
  Model model = golden_model(golden_case("adam_plain"));
  Adam adam(model.params, {.lr = 0.05, .weight_decay = 0.1});
  for (int step = 0; step < 5; ++step) {
    adam.zero_grad();
    Tensor loss = model.loss();
    if (step >= 2) loss = loss + model.params[4].sum();
    loss.backward();
    adam.step();
  }
  StateDict state = adam.state_dict();
  EXPECT_EQ(state.at("state.0.step").item<int64_t>(), 5);
  EXPECT_EQ(state.at("state.4.step").item<int64_t>(), 3);
}

TEST(FirstOrderOptimizers, StepWithClosureEvaluatesOnceThenSteps) {
  Model a = golden_model(golden_case("rmsprop_momentum"));
  Model b = golden_model(golden_case("rmsprop_momentum"));
  RMSprop first(a.params, {.lr = 0.005, .momentum = 0.9});
  RMSprop second(b.params, {.lr = 0.005, .momentum = 0.9});
  int calls = 0;
  Tensor loss = first.step([&] {
    ++calls;
    first.zero_grad();
    Tensor value = a.loss();
    value.backward();
    return value;
  });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(equal(loss, b.loss()));
  b.train_step(second);
  for (size_t p = 0; p < 5; ++p) EXPECT_TRUE(equal(a.params[p], b.params[p]));
}

// ---------------------------------------------------------------------------------------------
// momentum() / set_momentum(), the hooks 1cycle uses.

TEST(FirstOrderOptimizers, MomentumAccessors) {
  Model model = golden_model(golden_case("sgd_plain"));
  std::vector<Tensor> params = model.params;
  SGD sgd(params, {.lr = 0.1, .momentum = 0.9});
  EXPECT_EQ(sgd.momentum(0), 0.9);
  sgd.set_momentum(0, 0.8);
  EXPECT_EQ(sgd.param_groups()[0].options.momentum, 0.8);
  EXPECT_THROW_WITH(sgd.set_momentum(0, -0.5), ValueError, "SGD", "momentum", "-0.5");
  SGD nesterov(snapshot(params), {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  EXPECT_THROW_WITH(nesterov.set_momentum(0, 0), ValueError, "nesterov", "momentum 0");
  EXPECT_EQ(nesterov.momentum(0), 0.9);

  RMSprop rmsprop(snapshot(params), {.momentum = 0.5});
  EXPECT_EQ(rmsprop.momentum(0), 0.5);
  rmsprop.set_momentum(0, 0.7);
  EXPECT_EQ(rmsprop.param_groups()[0].options.momentum, 0.7);

  Adam adam(snapshot(params), {});
  AdamW adamw(snapshot(params), {});
  Adamax adamax(snapshot(params), {});
  for (Optimizer* optimizer : std::vector<Optimizer*>{&adam, &adamw, &adamax}) {
    SCOPED_TRACE(optimizer->name());
    EXPECT_EQ(optimizer->momentum(0), 0.9);
    optimizer->set_momentum(0, 0.85);
    EXPECT_EQ(optimizer->momentum(0), 0.85);
    EXPECT_THROW_WITH(optimizer->set_momentum(0, 1.0), ValueError, optimizer->name(), "betas[0]",
                      "got 1");
  }
  EXPECT_EQ(to_vector<double>(adam.state_dict().at("param_groups.0.betas")),
            (std::vector<double>{0.85, 0.999}));

  Adagrad adagrad(snapshot(params), {});
  Adadelta adadelta(snapshot(params), {});
  EXPECT_FALSE(adagrad.momentum(0).has_value());
  EXPECT_FALSE(adadelta.momentum(0).has_value());
  EXPECT_THROW_WITH(adagrad.set_momentum(0, 0.9), ValueError, "Adagrad", "momentum");
}

TEST(FirstOrderOptimizers, Defaults) {
  EXPECT_EQ(SGDOptions{}.lr, 1e-3);
  EXPECT_EQ(AdagradOptions{}.lr, 1e-2);
  EXPECT_EQ(AdagradOptions{}.eps, 1e-10);
  EXPECT_EQ(AdadeltaOptions{}.lr, 1.0);
  EXPECT_EQ(AdadeltaOptions{}.rho, 0.9);
  EXPECT_EQ(AdadeltaOptions{}.eps, 1e-6);
  EXPECT_EQ(RMSpropOptions{}.lr, 1e-2);
  EXPECT_EQ(RMSpropOptions{}.alpha, 0.99);
  EXPECT_EQ(AdamOptions{}.lr, 1e-3);
  EXPECT_EQ(AdamOptions{}.betas, (std::pair<double, double>{0.9, 0.999}));
  EXPECT_EQ(AdamOptions{}.eps, 1e-8);
  EXPECT_EQ(AdamOptions{}.weight_decay, 0.0);
  EXPECT_EQ(AdamWOptions{}.weight_decay, 1e-2);
  EXPECT_EQ(AdamaxOptions{}.lr, 2e-3);
}

// ---------------------------------------------------------------------------------------------
// Bad options and parameters.

TEST(FirstOrderOptimizers, BadOptionsNameOptionAndValue) {
  auto params = [] { return std::vector<Tensor>{zeros({2}).requires_grad_(true)}; };
  using Parts = std::vector<std::string>;
  auto expect = [](const std::function<void()>& make, const Parts& parts) {
    expect_error<ValueError>(make, parts);
  };
  const double nan = std::nan("");
  expect([&] { SGD(params(), {.lr = -0.1}); }, {"SGD: lr must be >= 0, got -0.1"});
  expect([&] { SGD(params(), {.lr = nan}); }, {"SGD", "lr", "nan"});
  expect([&] { SGD(params(), {.momentum = -1}); }, {"SGD: momentum must be >= 0, got -1"});
  expect([&] { SGD(params(), {.dampening = 1.5}); }, {"SGD", "dampening", "[0, 1]", "1.5"});
  expect([&] { SGD(params(), {.weight_decay = -0.01}); }, {"SGD", "weight_decay", "-0.01"});
  expect([&] { SGD(params(), {.nesterov = true}); }, {"SGD", "nesterov", "momentum 0"});
  expect([&] { SGD(params(), {.momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
         {"SGD", "nesterov", "dampening 0.1"});

  expect([&] { Adagrad(params(), {.lr = -1}); }, {"Adagrad", "lr", "-1"});
  expect([&] { Adagrad(params(), {.lr_decay = -0.5}); }, {"Adagrad", "lr_decay", "-0.5"});
  expect([&] { Adagrad(params(), {.weight_decay = -2}); }, {"Adagrad", "weight_decay", "-2"});
  expect([&] { Adagrad(params(), {.initial_accumulator_value = -0.1}); },
         {"Adagrad", "initial_accumulator_value", "-0.1"});
  expect([&] { Adagrad(params(), {.eps = -1e-10}); }, {"Adagrad", "eps", "-1e-10"});

  expect([&] { Adadelta(params(), {.lr = -1}); }, {"Adadelta", "lr", "-1"});
  expect([&] { Adadelta(params(), {.rho = 1.1}); }, {"Adadelta: rho must be in [0, 1], got 1.1"});
  expect([&] { Adadelta(params(), {.eps = -1}); }, {"Adadelta", "eps", "-1"});
  expect([&] { Adadelta(params(), {.weight_decay = -1}); }, {"Adadelta", "weight_decay", "-1"});

  expect([&] { RMSprop(params(), {.lr = -1}); }, {"RMSprop", "lr", "-1"});
  expect([&] { RMSprop(params(), {.alpha = -0.1}); }, {"RMSprop", "alpha", "-0.1"});
  expect([&] { RMSprop(params(), {.alpha = 1.5}); }, {"RMSprop", "alpha", "1.5"});
  expect([&] { RMSprop(params(), {.eps = -1}); }, {"RMSprop", "eps", "-1"});
  expect([&] { RMSprop(params(), {.weight_decay = -1}); }, {"RMSprop", "weight_decay", "-1"});
  expect([&] { RMSprop(params(), {.momentum = -0.9}); }, {"RMSprop", "momentum", "-0.9"});

  expect([&] { Adam(params(), {.lr = -0.001}); }, {"Adam: lr must be >= 0, got -0.001"});
  expect(
      [&] {
        Adam(params(), {.betas = {1.5, 0.999}});
      },
      {"Adam: betas[0] must be in [0, 1), got 1.5"});
  expect([&] { Adam(params(), {.betas = {0.9, 1.0}}); }, {"Adam", "betas[1]", "got 1"});
  expect([&] { Adam(params(), {.betas = {-0.1, 0.9}}); }, {"Adam", "betas[0]", "-0.1"});
  expect([&] { Adam(params(), {.eps = -1e-8}); }, {"Adam", "eps", "-1e-08"});
  expect([&] { Adam(params(), {.weight_decay = -1}); }, {"Adam", "weight_decay", "-1"});

  expect([&] { AdamW(params(), {.lr = -1}); }, {"AdamW", "lr", "-1"});
  expect([&] { AdamW(params(), {.betas = {0.9, 1.5}}); }, {"AdamW", "betas[1]", "1.5"});
  expect([&] { AdamW(params(), {.eps = -1}); }, {"AdamW", "eps", "-1"});
  expect([&] { AdamW(params(), {.weight_decay = -0.01}); }, {"AdamW", "weight_decay", "-0.01"});

  expect([&] { Adamax(params(), {.lr = -1}); }, {"Adamax", "lr", "-1"});
  expect([&] { Adamax(params(), {.betas = {1.0, 0.9}}); }, {"Adamax", "betas[0]", "got 1"});
  expect([&] { Adamax(params(), {.eps = -1}); }, {"Adamax", "eps", "-1"});
  expect([&] { Adamax(params(), {.weight_decay = -1}); }, {"Adamax", "weight_decay", "-1"});

  // A bad option in a later group, or in a group added later.
  expect(
      [&] {
        Adam({{params(), {}}, {params(), {.betas = {0.9, 2.0}}}});
      },
      {"Adam", "betas[1]", "2"});
  Adam adam(params(), {});
  expect([&] { adam.add_param_group({params(), {.lr = -3}}); }, {"Adam", "lr", "-3"});
  EXPECT_EQ(adam.num_param_groups(), 1u);
}

TEST(FirstOrderOptimizers, BadParameters) {
  Tensor w = zeros({2, 2}, {.dtype = Dtype::float64}).requires_grad_(true);
  EXPECT_THROW_WITH(SGD(std::vector<Tensor>{}, {}), ValueError, "SGD", "empty");
  EXPECT_THROW_WITH(SGD(std::vector<SGD::Group>{}), ValueError, "SGD", "no parameter groups");
  EXPECT_THROW_WITH(SGD({w, w}, {}), ValueError, "SGD", "parameter 1", "already");
  EXPECT_THROW_WITH(Adam({{{w}, {}}, {{w}, {}}}), ValueError, "Adam", "already");
  EXPECT_THROW_WITH(Adam({zeros({2}, {.dtype = Dtype::int64})}, {}), ValueError, "Adam",
                    "floating-point", "int64");
  EXPECT_THROW_WITH(Adam({w * 2}, {}), ValueError, "Adam", "leaf");
  EXPECT_THROW_WITH(Adam({Tensor()}, {}), ValueError, "Adam", "undefined");
  Adam adam({w}, {});
  EXPECT_THROW_WITH(adam.add_param_group({{w}, {}}), ValueError, "Adam", "already");
}

// ---------------------------------------------------------------------------------------------
// float32 parameters: the state follows the parameter's dtype and the update matches float64
// to float32 precision.

TEST(FirstOrderOptimizers, Float32ParametersFollowFloat64) {
  const auto& c = golden_case("adamw_groups");
  std::vector<Tensor> values32;
  for (size_t i = 2; i < c.inputs.size(); ++i) values32.push_back(c.inputs[i].to(Dtype::float32));
  Model model =
      make_model(c.inputs[0].to(Dtype::float32), c.inputs[1].to(Dtype::float32), values32);
  auto optimizer = make_optimizer("AdamW", case_params(c, "groups"), model.params);
  for (int step = 0; step < 12; ++step) model.train_step(*optimizer);
  EXPECT_EQ(optimizer->state_dict().at("state.0.exp_avg").dtype(), Dtype::float32);
  for (size_t p = 0; p < model.params.size(); ++p) {
    EXPECT_EQ(model.params[p].dtype(), Dtype::float32);
    EXPECT_TRUE(testing::tensors_close(model.params[p], c.outputs[p][11], 1e-4, 1e-5));
  }
}

}  // namespace
}  // namespace cajal::optim
