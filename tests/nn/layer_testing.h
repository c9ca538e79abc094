#pragma once
// Helpers shared by the layer tests (tests/nn/*_layers_test.cpp, linear_test.cpp, ...): golden
// comparison of a module against tests/golden/nn_layers.json, and state_dict round trips.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/module.h"
#include "support/golden.h"

namespace cajal::testing {

inline const std::map<std::string, GoldenCase>& layer_golden() {
  static const auto cases = load_golden("nn_layers");
  return cases;
}

// The golden cases whose name starts with `prefix`.
inline std::vector<const GoldenCase*> layer_cases(const std::string& prefix) {
  std::vector<const GoldenCase*> found;
  for (const auto& [name, c] : layer_golden()) {
    if (name.rfind(prefix, 0) == 0) found.push_back(&c);
  }
  return found;
}

inline std::vector<std::string> string_list(const GoldenCase& c, const std::string& key) {
  return nlohmann::json::parse(c.params_json.at(key)).get<std::vector<std::string>>();
}

// Loads the case's parameters (inputs[1..], named by params["param_names"]) into `module` with
// load_state_dict, runs it on inputs[0], backpropagates grad_outputs[0], and compares the output
// and the gradients of the input and of every parameter with PyTorch's.
inline void check_module_golden(const GoldenCase& c, nn::Module& module, double rtol, double atol) {
  SCOPED_TRACE("golden case " + c.name);
  const std::vector<std::string> names = string_list(c, "param_names");
  ASSERT_EQ(names.size() + 1, c.inputs.size());
  StateDict state;
  for (size_t i = 0; i < names.size(); ++i) state.insert(names[i], c.inputs[i + 1]);
  module.load_state_dict(state);  // strict: every parameter of the module must be given
  module.zero_grad();
  Tensor x = c.inputs[0].clone().requires_grad_(true);
  Tensor y = module(x);
  EXPECT_EQ(y.dtype(), c.outputs[0].dtype());
  EXPECT_TRUE(tensors_close(y, c.outputs[0], rtol, atol)) << "output";
  ASSERT_FALSE(c.grad_outputs.empty());
  y.backward(c.grad_outputs[0]);
  EXPECT_TRUE(tensors_close(x.grad(), *c.grads[0], rtol, atol)) << "input gradient";
  auto parameters = module.named_parameters();
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_TRUE(tensors_close(parameters[names[i]].grad(), *c.grads[i + 1], rtol, atol))
        << "gradient of " << names[i];
  }
}

// rtol/atol for a case by its dtype: float64 to rounding, float32 as measured for these sizes.
inline void check_module_golden(const GoldenCase& c, nn::Module& module) {
  if (c.inputs[0].dtype() == Dtype::float64) {
    check_module_golden(c, module, 1e-10, 1e-12);
  } else {
    check_module_golden(c, module, 1e-5, 1e-6);
  }
}

// Saves `source`'s state_dict, loads it into `fresh` (built with the same options and a different
// seed, so its initial values differ) and checks both give bit-identical outputs on x.
inline void expect_round_trip(nn::Module& source, nn::Module& fresh, const Tensor& x) {
  StateDict saved;
  for (const auto& [name, tensor] : source.state_dict()) saved.insert(name, tensor.clone());
  if (!saved.empty()) {
    bool differs = false;
    auto before = fresh.state_dict();
    for (const auto& [name, tensor] : saved) differs = differs || !equal(before[name], tensor);
    EXPECT_TRUE(differs) << "the fresh module starts equal to the source: the test proves nothing";
  }
  fresh.load_state_dict(saved);
  no_grad guard;
  EXPECT_TRUE(equal(source(x), fresh(x)));
}

// Central-difference check of a module's gradients with respect to its input and to each of its
// parameters, in float64. gradcheck takes its inputs as arguments, so the module's public
// parameter members are pointed at gradcheck's copies for the duration (`bind`) and restored
// afterwards.
template <typename Layer>
void expect_gradcheck(Layer& layer, const Tensor& x, autograd::GradcheckOptions options = {}) {
  ASSERT_EQ(x.dtype(), Dtype::float64);
  Tensor weight = layer.weight, bias = layer.bias;
  std::vector<Tensor> inputs{x.detach().clone().requires_grad_(true), weight};
  if (bias.defined()) inputs.push_back(bias);
  auto result = autograd::gradcheck(
      [&](const std::vector<Tensor>& in) {
        layer.weight = in[1];
        layer.bias = in.size() > 2 ? in[2] : Tensor();
        return layer(in[0]);
      },
      inputs, options);
  layer.weight = weight;
  layer.bias = bias;
  EXPECT_TRUE(result.ok) << result.message;
}

}  // namespace cajal::testing
