// Recurrent cells and layers against PyTorch (tools/golden/nn_recurrent.py): outputs, final
// states and the gradients of a weighted sum of all of them with respect to the input, the
// initial states and every parameter. The parameters load by PyTorch's state_dict names (strict),
// so the test also proves a PyTorch state_dict loads unchanged. Packed cases compare the lengths
// argument with pack_padded_sequence(enforce_sorted=False).
// Tolerances: float64 rtol 1e-10 / atol 1e-12; float32 rtol 1e-5 / atol 1e-6.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/recurrent.h"
#include "layer_test_support.h"
#include "support/golden.h"

namespace cajal {
namespace {

using nlohmann::json;
using testing::GoldenCase;

json param_json(const GoldenCase& c, const std::string& key) {
  return json::parse(c.params_json.at(key));
}

std::shared_ptr<nn::Module> make_module(const std::string& kind, const json& o, Dtype dtype) {
  const int64_t input_size = o.at("input_size"), hidden_size = o.at("hidden_size");
  const bool bias = o.at("bias");
  const std::string nonlinearity = o.at("nonlinearity");
  if (kind == "RNNCell") {
    return std::make_shared<nn::RNNCell>(nn::RNNCellOptions{.input_size = input_size,
                                                            .hidden_size = hidden_size,
                                                            .bias = bias,
                                                            .nonlinearity = nonlinearity,
                                                            .dtype = dtype});
  }
  if (kind == "LSTMCell") {
    return std::make_shared<nn::LSTMCell>(nn::LSTMCellOptions{
        .input_size = input_size, .hidden_size = hidden_size, .bias = bias, .dtype = dtype});
  }
  if (kind == "GRUCell") {
    return std::make_shared<nn::GRUCell>(nn::GRUCellOptions{
        .input_size = input_size, .hidden_size = hidden_size, .bias = bias, .dtype = dtype});
  }
  const int64_t num_layers = o.at("num_layers");
  const bool batch_first = o.at("batch_first"), bidirectional = o.at("bidirectional");
  if (kind == "RNN") {
    return std::make_shared<nn::RNN>(nn::RNNOptions{.input_size = input_size,
                                                    .hidden_size = hidden_size,
                                                    .num_layers = num_layers,
                                                    .nonlinearity = nonlinearity,
                                                    .bias = bias,
                                                    .batch_first = batch_first,
                                                    .bidirectional = bidirectional,
                                                    .dtype = dtype});
  }
  if (kind == "LSTM") {
    return std::make_shared<nn::LSTM>(nn::LSTMOptions{.input_size = input_size,
                                                      .hidden_size = hidden_size,
                                                      .num_layers = num_layers,
                                                      .bias = bias,
                                                      .batch_first = batch_first,
                                                      .bidirectional = bidirectional,
                                                      .dtype = dtype});
  }
  return std::make_shared<nn::GRU>(nn::GRUOptions{.input_size = input_size,
                                                  .hidden_size = hidden_size,
                                                  .num_layers = num_layers,
                                                  .bias = bias,
                                                  .batch_first = batch_first,
                                                  .bidirectional = bidirectional,
                                                  .dtype = dtype});
}

// Runs the module on the named leading inputs; returns its results in PyTorch's order.
std::vector<Tensor> run(nn::Module& module, const std::string& kind,
                        const std::vector<std::string>& names, const std::vector<Tensor>& in) {
  Tensor x, h0, c0, lengths;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "x") x = in[i];
    if (names[i] == "h0") h0 = in[i];
    if (names[i] == "c0") c0 = in[i];
    if (names[i] == "lengths") lengths = in[i];
  }
  if (kind == "RNNCell") return {dynamic_cast<nn::RNNCell&>(module).forward(x, h0)};
  if (kind == "GRUCell") return {dynamic_cast<nn::GRUCell&>(module).forward(x, h0)};
  if (kind == "LSTMCell") {
    nn::LSTMState s = dynamic_cast<nn::LSTMCell&>(module).forward(x, {h0, c0});
    return {s.h, s.c};
  }
  auto& layer = dynamic_cast<nn::detail::RecurrentBase&>(module);
  nn::RecurrentOutput r = layer.forward(x, {h0, c0}, lengths);
  if (kind == "LSTM") return {r.output, r.h_n, r.c_n};
  EXPECT_FALSE(r.c_n.defined());
  return {r.output, r.h_n};
}

TEST(RecurrentGolden, EveryCaseMatchesPyTorch) {
  auto cases = testing::load_golden("nn_recurrent");
  ASSERT_GE(cases.size(), 25u);
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE("golden case " + name);
    const std::string kind = param_json(c, "module");
    const auto input_names = testing::text_list(c, "inputs");
    const auto param_names = testing::text_list(c, "param_names");
    const Dtype dtype = c.inputs[0].dtype();
    const double rtol = dtype == Dtype::float32 ? 1e-5 : 1e-10;
    const double atol = dtype == Dtype::float32 ? 1e-6 : 1e-12;
    auto module = make_module(kind, param_json(c, "options"), dtype);
    // Strict: every key must name one of our parameters and every parameter must be given.
    module->load_state_dict(testing::golden_state(c, param_names, input_names.size()));
    ASSERT_EQ(module->named_parameters().keys(), param_names);

    std::vector<Tensor> in;
    for (size_t i = 0; i < input_names.size(); ++i) {
      Tensor t = c.inputs[i].clone();
      in.push_back(t.is_floating_point() ? t.requires_grad_(true) : t);
    }
    std::vector<Tensor> results = run(*module, kind, input_names, in);
    ASSERT_EQ(results.size() + 1, c.outputs.size());
    std::vector<Tensor> flat;
    for (size_t i = 0; i < results.size(); ++i) {
      EXPECT_TRUE(testing::tensors_close(results[i], c.outputs[i + 1], rtol, atol))
          << "result " << i << " (output, h_n, c_n)";
      flat.push_back(results[i].reshape({-1}));
    }
    cat(flat).backward(c.grad_outputs.at(0));
    for (size_t i = 0; i < input_names.size(); ++i) {
      if (!in[i].is_floating_point()) continue;
      EXPECT_TRUE(testing::tensors_close(in[i].grad(), *c.grads[i], rtol, atol))
          << "gradient of " << input_names[i];
    }
    auto parameters = module->named_parameters();
    for (size_t i = 0; i < param_names.size(); ++i) {
      EXPECT_TRUE(testing::tensors_close(parameters[param_names[i]].grad(),
                                         *c.grads[input_names.size() + i], rtol, atol))
          << "gradient of " << param_names[i];
    }
  }
}

}  // namespace
}  // namespace cajal
