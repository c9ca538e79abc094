// Activation modules: PyTorch golden values for every module (defaults and options, PReLU's
// slope gradient included), gradient checks in float64, PyTorch's printing, state dicts, use in a
// Sequential, and errors naming the option.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/activation.h"
#include "cajal/nn/container.h"
#include "layer_test_support.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::GoldenCase;
using testing::param_or;
using testing::values_match;

const std::vector<std::string> kEveryActivation = {
    "ReLU",      "ReLU6",      "LeakyReLU", "PReLU", "ELU",     "SELU",       "CELU",
    "GELU",      "Softplus",   "Softsign",  "SiLU",  "Mish",    "Hardtanh",   "Hardsigmoid",
    "Hardswish", "LogSigmoid", "Sigmoid",   "Tanh",  "Softmax", "LogSoftmax", "Softmin"};

// Builds a module by its PyTorch name with the case's options (PyTorch's defaults otherwise).
std::shared_ptr<nn::Module> make_activation(const std::string& type, const GoldenCase* c) {
  auto get = [&](const char* key, double fallback) {
    return c ? param_or(*c, key, fallback) : fallback;
  };
  auto dim = [&] { return static_cast<int64_t>(get("dim", -1)); };
  if (type == "ReLU") return std::make_shared<nn::ReLU>();
  if (type == "ReLU6") return std::make_shared<nn::ReLU6>();
  if (type == "LeakyReLU") {
    return std::make_shared<nn::LeakyReLU>(
        nn::LeakyReLUOptions{.negative_slope = get("negative_slope", 0.01)});
  }
  if (type == "PReLU") {
    return std::make_shared<nn::PReLU>(
        nn::PReLUOptions{.num_parameters = static_cast<int64_t>(get("num_parameters", 1)),
                         .init = get("init", 0.25)});
  }
  if (type == "ELU") return std::make_shared<nn::ELU>(nn::ELUOptions{.alpha = get("alpha", 1)});
  if (type == "SELU") return std::make_shared<nn::SELU>();
  if (type == "CELU") return std::make_shared<nn::CELU>(nn::CELUOptions{.alpha = get("alpha", 1)});
  if (type == "GELU") {
    std::string approximate =
        c && c->params_json.count("approximate") ? c->text("approximate") : std::string("none");
    return std::make_shared<nn::GELU>(nn::GELUOptions{.approximate = approximate});
  }
  if (type == "Softplus") {
    return std::make_shared<nn::Softplus>(
        nn::SoftplusOptions{.beta = get("beta", 1), .threshold = get("threshold", 20)});
  }
  if (type == "Softsign") return std::make_shared<nn::Softsign>();
  if (type == "SiLU") return std::make_shared<nn::SiLU>();
  if (type == "Mish") return std::make_shared<nn::Mish>();
  if (type == "Hardtanh") {
    return std::make_shared<nn::Hardtanh>(
        nn::HardtanhOptions{.min_val = get("min_val", -1), .max_val = get("max_val", 1)});
  }
  if (type == "Hardsigmoid") return std::make_shared<nn::Hardsigmoid>();
  if (type == "Hardswish") return std::make_shared<nn::Hardswish>();
  if (type == "LogSigmoid") return std::make_shared<nn::LogSigmoid>();
  if (type == "Sigmoid") return std::make_shared<nn::Sigmoid>();
  if (type == "Tanh") return std::make_shared<nn::Tanh>();
  if (type == "Softmax") return std::make_shared<nn::Softmax>(nn::SoftmaxOptions{.dim = dim()});
  if (type == "LogSoftmax") {
    return std::make_shared<nn::LogSoftmax>(nn::SoftmaxOptions{.dim = dim()});
  }
  if (type == "Softmin") return std::make_shared<nn::Softmin>(nn::SoftmaxOptions{.dim = dim()});
  ADD_FAILURE() << "unknown activation " << type;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Golden values (tools/golden/nn_activation_layers.py).

TEST(ActivationLayersGolden, EveryCaseMatchesPyTorch) {
  auto cases = testing::load_golden("nn_activation_layers");
  ASSERT_GE(cases.size(), 50u);
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE("golden case " + name);
    const bool f32 = c.inputs[0].dtype() == Dtype::float32;
    double rtol = f32 ? 1e-5 : 1e-10;
    const double atol = f32 ? 1e-6 : 1e-12;
    const std::string type = c.text("module");
    // PyTorch 1.13's hardsigmoid backward multiplies by the float constant 1.0f / 6 even in
    // double (see tests/ops/activation_test.cpp); we use the exact 1/6.
    if (type == "Hardsigmoid" && !f32) rtol = 1e-7;
    auto layer = make_activation(type, &c);
    ASSERT_TRUE(layer);
    layer->to(c.inputs[0].dtype());
    // PReLU's weight arrives through load_state_dict under PyTorch's key.
    const std::vector<std::string> names = testing::text_list(c, "param_names");
    layer->load_state_dict(testing::golden_state(c, names, 1));
    Tensor x = c.inputs[0].clone().requires_grad_(true);
    Tensor y = (*layer)(x);
    EXPECT_TRUE(values_match(y, c.outputs[0], rtol, atol)) << "output";
    y.backward(c.grad_outputs.at(0));
    EXPECT_TRUE(values_match(x.grad(), *c.grads[0], rtol, atol)) << "input gradient";
    auto params = layer->named_parameters();
    for (size_t i = 0; i < names.size(); ++i) {
      EXPECT_TRUE(values_match(params.at(names[i]).grad(), *c.grads[1 + i], rtol, atol))
          << "gradient of " << names[i];
    }
  }
}

TEST(ActivationLayersGolden, CoversEveryActivation) {
  auto cases = testing::load_golden("nn_activation_layers");
  std::set<std::string> seen;
  for (const auto& [name, c] : cases) seen.insert(c.text("module"));
  for (const std::string& type : kEveryActivation) EXPECT_TRUE(seen.count(type)) << type;
}

// ---------------------------------------------------------------------------------------------
// Gradient checks in float64, away from the kinks (0, +-1, +-3, 6).

TEST(ActivationLayersGradcheck, EveryModule) {
  Tensor x = tensor({{-2.7, -1.3, -0.45, 0.35}, {0.8, 1.6, 2.2, 4.1}, {5.4, 7.3, -4.2, -0.9}},
                    {.dtype = Dtype::float64});
  for (const std::string& type : kEveryActivation) {
    auto layer = make_activation(type, nullptr);
    layer->to(Dtype::float64);
    EXPECT_TRUE(testing::input_gradcheck(*layer, x)) << type;
  }
  // Options change the function, and so the gradient.
  std::vector<std::shared_ptr<nn::Module>> variants = {
      std::make_shared<nn::LeakyReLU>(nn::LeakyReLUOptions{.negative_slope = -0.4}),
      std::make_shared<nn::ELU>(nn::ELUOptions{.alpha = 0.5}),
      std::make_shared<nn::CELU>(nn::CELUOptions{.alpha = 2.5}),
      std::make_shared<nn::GELU>(nn::GELUOptions{.approximate = "tanh"}),
      std::make_shared<nn::Softplus>(nn::SoftplusOptions{.beta = 0.5, .threshold = 3}),
      std::make_shared<nn::Hardtanh>(nn::HardtanhOptions{.min_val = -2, .max_val = 3}),
      std::make_shared<nn::Softmax>(nn::SoftmaxOptions{.dim = 0}),
      std::make_shared<nn::LogSoftmax>(nn::SoftmaxOptions{.dim = 0}),
      std::make_shared<nn::Softmin>(nn::SoftmaxOptions{.dim = 0})};
  for (const auto& layer : variants) {
    EXPECT_TRUE(testing::input_gradcheck(*layer, x)) << to_string(*layer);
  }
}

TEST(ActivationLayersGradcheck, PReLUSlopes) {
  manual_seed(12);
  for (int64_t slopes : {1, 3}) {
    nn::PReLU layer({.num_parameters = slopes});
    layer.to(Dtype::float64);
    {
      no_grad guard;
      layer.weight.copy_(randn({slopes}, {.dtype = Dtype::float64}));
    }
    Tensor x = randn({2, 3, 4}, {.dtype = Dtype::float64});
    EXPECT_TRUE(testing::input_gradcheck(layer, x)) << slopes << " slopes";
    EXPECT_TRUE(testing::parameter_gradcheck(layer, [&] { return layer(x); })) << slopes;
  }
}

// d loss / d a_c = sum over the negative inputs of channel c of x * dy.
TEST(PReLU, SlopeGradientByHand) {
  nn::PReLU layer({.num_parameters = 2, .init = 0.5});
  Tensor x = tensor({{-1, 2}, {-3, -4}, {5, -6}});
  Tensor dy = tensor({{1, 1}, {2, 0.5}, {1, 3}});
  Tensor y = layer(x);
  EXPECT_TRUE(equal(y, tensor({{-0.5, 2}, {-1.5, -2}, {5, -3}})));
  y.backward(dy);
  EXPECT_TRUE(allclose(layer.weight.grad(), tensor({-1 * 1 + -3 * 2, -4 * 0.5 + -6 * 3})));
  // One shared slope sums over every channel.
  nn::PReLU shared;
  EXPECT_TRUE(equal(shared.weight, tensor({0.25})));
  shared(x).backward(dy);
  EXPECT_TRUE(allclose(shared.weight.grad(), tensor({-1 - 6 - 2 - 18})));
}

// ---------------------------------------------------------------------------------------------
// Defaults, printing, state dicts.

TEST(ActivationLayers, DefaultsArePyTorchs) {
  EXPECT_EQ(nn::LeakyReLU().options().negative_slope, 0.01);
  EXPECT_EQ(nn::PReLU().options().num_parameters, 1);
  EXPECT_EQ(nn::PReLU().options().init, 0.25);
  EXPECT_EQ(nn::PReLU().weight.dtype(), Dtype::float32);
  EXPECT_EQ(nn::PReLU({.dtype = Dtype::float64}).weight.dtype(), Dtype::float64);
  EXPECT_EQ(nn::ELU().options().alpha, 1.0);
  EXPECT_EQ(nn::CELU().options().alpha, 1.0);
  EXPECT_EQ(nn::GELU().options().approximate, "none");
  EXPECT_EQ(nn::Softplus().options().beta, 1.0);
  EXPECT_EQ(nn::Softplus().options().threshold, 20.0);
  EXPECT_EQ(nn::Hardtanh().options().min_val, -1.0);
  EXPECT_EQ(nn::Hardtanh().options().max_val, 1.0);
  EXPECT_EQ(nn::Softmax().options().dim, -1);
}

TEST(ActivationLayers, PrintLikePyTorch) {
  std::map<std::string, std::string> expected = {
      {"ReLU", "ReLU()"},
      {"ReLU6", "ReLU6()"},
      {"LeakyReLU", "LeakyReLU(negative_slope=0.01)"},
      {"PReLU", "PReLU(num_parameters=1)"},
      {"ELU", "ELU(alpha=1.0)"},
      {"SELU", "SELU()"},
      {"CELU", "CELU(alpha=1.0)"},
      {"GELU", "GELU(approximate='none')"},
      // PyTorch prints beta=1, threshold=20 (its defaults are Python ints); ours are reals.
      {"Softplus", "Softplus(beta=1.0, threshold=20.0)"},
      {"Softsign", "Softsign()"},
      {"SiLU", "SiLU()"},
      {"Mish", "Mish()"},
      {"Hardtanh", "Hardtanh(min_val=-1.0, max_val=1.0)"},
      {"Hardsigmoid", "Hardsigmoid()"},
      {"Hardswish", "Hardswish()"},
      {"LogSigmoid", "LogSigmoid()"},
      {"Sigmoid", "Sigmoid()"},
      {"Tanh", "Tanh()"},
      {"Softmax", "Softmax(dim=-1)"},
      {"LogSoftmax", "LogSoftmax(dim=-1)"},
      {"Softmin", "Softmin(dim=-1)"}};
  for (const std::string& type : kEveryActivation) {
    EXPECT_EQ(to_string(*make_activation(type, nullptr)), expected.at(type));
  }
  EXPECT_EQ(to_string(nn::LeakyReLU({.negative_slope = 0.2})), "LeakyReLU(negative_slope=0.2)");
  EXPECT_EQ(to_string(nn::PReLU({.num_parameters = 16})), "PReLU(num_parameters=16)");
  EXPECT_EQ(to_string(nn::GELU({.approximate = "tanh"})), "GELU(approximate='tanh')");
  EXPECT_EQ(to_string(nn::Softmax({.dim = 1})), "Softmax(dim=1)");
}

TEST(ActivationLayers, StateDicts) {
  for (const std::string& type : kEveryActivation) {
    auto layer = make_activation(type, nullptr);
    if (type == "PReLU") {
      EXPECT_EQ(layer->state_dict().keys(), std::vector<std::string>{"weight"});
    } else {
      EXPECT_TRUE(layer->state_dict().empty()) << type;
      EXPECT_TRUE(layer->parameters().empty()) << type;
    }
  }
  manual_seed(13);
  nn::PReLU layer({.num_parameters = 3});
  {
    no_grad guard;
    layer.weight.copy_(randn({3}));
  }
  nn::PReLU restored({.num_parameters = 3});
  restored.load_state_dict(testing::snapshot(layer.state_dict()));
  Tensor x = randn({4, 3, 2});
  EXPECT_TRUE(equal(layer(x), restored(x)));
  EXPECT_THROW_WITH(restored.load_state_dict(nn::PReLU().state_dict()), ValueError, "weight",
                    "[1]");
}

TEST(ActivationLayers, WorkInsideASequential) {
  manual_seed(14);
  nn::Sequential net{nn::PReLU({.num_parameters = 4}), nn::Tanh(), nn::LogSoftmax({.dim = 1})};
  Tensor y = net(randn({3, 4}));
  EXPECT_TRUE(allclose(exp(y).sum({1}), ones({3}), 1e-5, 1e-6));
  EXPECT_EQ(net.parameters().size(), 1u);
  EXPECT_EQ(net.state_dict().keys(), std::vector<std::string>{"0.weight"});
}

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(ActivationLayersErrors, BadOptionsNameTheOption) {
  EXPECT_THROW_WITH(nn::PReLU({.num_parameters = 0}), ValueError, "PReLU", "num_parameters", "0");
  EXPECT_THROW_WITH(nn::PReLU({.dtype = Dtype::int64}), ValueError, "PReLU", "dtype", "int64");
  EXPECT_THROW_WITH(nn::CELU({.alpha = 0}), ValueError, "CELU", "alpha");
  EXPECT_THROW_WITH(nn::GELU({.approximate = "fast"}), ValueError, "GELU", "approximate", "fast");
  EXPECT_THROW_WITH(nn::Softplus({.beta = 0}), ValueError, "Softplus", "beta");
  EXPECT_THROW_WITH(nn::Hardtanh({.min_val = 1, .max_val = 1}), ValueError, "Hardtanh", "max_val",
                    "min_val");
  EXPECT_THROW_WITH(nn::LeakyReLU({.negative_slope = NAN}), ValueError, "LeakyReLU",
                    "negative_slope");
}

TEST(ActivationLayersErrors, BadInputsNameTheShape) {
  nn::PReLU prelu({.num_parameters = 3});
  EXPECT_THROW_WITH(prelu(randn({2, 4})), ShapeError, "PReLU", "num_parameters=3", "[2, 4]");
  EXPECT_THROW_WITH(prelu(randn({3})), ShapeError, "PReLU", "[3]");
  nn::Softmax softmax({.dim = 2});
  EXPECT_THROW_WITH(softmax(randn({2, 3})), IndexError, "Softmax", "dim", "2", "[2, 3]");
  nn::LogSoftmax log_softmax({.dim = -3});
  EXPECT_THROW_WITH(log_softmax(randn({2, 3})), IndexError, "LogSoftmax", "-3");
  nn::Softmin softmin({.dim = 1});
  EXPECT_THROW_WITH(softmin(randn({5})), IndexError, "Softmin", "1");
}

}  // namespace
}  // namespace cajal
