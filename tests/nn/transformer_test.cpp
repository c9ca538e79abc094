// Transformer encoder and decoder layers and stacks: PyTorch golden values (forward and the
// gradients of the inputs and every parameter, post- and pre-norm, relu and gelu, batch first or
// not, float64 and float32), gradient checks, causal and key-padding isolation (bit for bit),
// independent layer initialization, state_dict keys and round trips, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/transformer.h"
#include "layer_test_support.h"
#include "layer_testing.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::expect_error;
using testing::GoldenCase;
using testing::param_or;
using testing::tensors_close;
using testing::text_list;

template <typename Options>
Options layer_options(const GoldenCase& c) {
  Options options;
  options.d_model = static_cast<int64_t>(c.param("d_model"));
  options.nhead = static_cast<int64_t>(c.param("nhead"));
  options.dim_feedforward = static_cast<int64_t>(c.param("dim_feedforward"));
  options.dropout = 0.0;
  options.activation = c.params_json.count("activation") ? c.text("activation") : "relu";
  options.batch_first = param_or(c, "batch_first", 0) != 0;
  options.norm_first = param_or(c, "norm_first", 0) != 0;
  options.dtype = c.inputs[0].dtype();
  return options;
}

TEST(TransformerGolden, EveryCaseMatchesPyTorch) {
  auto cases = testing::load_golden("nn_transformer");
  ASSERT_EQ(cases.size(), 8u);
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE("golden case " + name);
    const bool f32 = c.inputs[0].dtype() == Dtype::float32;
    const double rtol = f32 ? 1e-5 : 1e-10;
    const double atol = f32 ? 1e-6 : 1e-12;
    const std::string kind = c.text("kind");
    const std::vector<std::string> names = text_list(c, "inputs");
    const std::vector<std::string> parameter_names = text_list(c, "param_names");
    std::map<std::string, Tensor> data;
    StateDict state;
    for (size_t i = 0; i < names.size(); ++i) {
      if (std::find(parameter_names.begin(), parameter_names.end(), names[i]) !=
          parameter_names.end()) {
        state.insert(names[i], c.inputs[i]);
      } else {
        data[names[i]] = c.inputs[i].clone();
        if (c.requires_grad[i]) data[names[i]].requires_grad_(true);
      }
    }
    auto get = [&](const std::string& key) { return data.count(key) ? data[key] : Tensor(); };
    std::shared_ptr<nn::Module> module;
    Tensor output;
    if (kind == "encoder_layer" || kind == "encoder") {
      auto options = layer_options<nn::TransformerEncoderLayerOptions>(c);
      nn::TransformerEncoderArgs args{.mask = get("mask"),
                                      .src_key_padding_mask = get("src_key_padding_mask")};
      if (kind == "encoder_layer") {
        auto layer = std::make_shared<nn::TransformerEncoderLayer>(options);
        module = layer;
        layer->load_state_dict(state);
        output = layer->forward(data["src"], args);
      } else {
        auto stack = std::make_shared<nn::TransformerEncoder>(
            nn::TransformerEncoderOptions{.layer = options,
                                          .num_layers = static_cast<int64_t>(c.param("num_layers")),
                                          .final_norm = c.param("final_norm") != 0});
        module = stack;
        stack->load_state_dict(state);
        output = stack->forward(data["src"], args);
      }
    } else {
      auto options = layer_options<nn::TransformerDecoderLayerOptions>(c);
      nn::TransformerDecoderArgs args{.tgt_mask = get("tgt_mask"),
                                      .memory_mask = get("memory_mask"),
                                      .tgt_key_padding_mask = get("tgt_key_padding_mask"),
                                      .memory_key_padding_mask = get("memory_key_padding_mask")};
      if (kind == "decoder_layer") {
        auto layer = std::make_shared<nn::TransformerDecoderLayer>(options);
        module = layer;
        layer->load_state_dict(state);
        output = layer->forward(data["tgt"], data["memory"], args);
      } else {
        auto stack = std::make_shared<nn::TransformerDecoder>(
            nn::TransformerDecoderOptions{.layer = options,
                                          .num_layers = static_cast<int64_t>(c.param("num_layers")),
                                          .final_norm = c.param("final_norm") != 0});
        module = stack;
        stack->load_state_dict(state);
        output = stack->forward(data["tgt"], data["memory"], args);
      }
    }
    EXPECT_EQ(module->state_dict().keys(), parameter_names) << "PyTorch's keys, in its order";
    EXPECT_TRUE(tensors_close(output, c.outputs[0], rtol, atol)) << "output";
    output.backward(c.grad_outputs[0]);
    auto parameters = module->named_parameters();
    for (size_t i = 0; i < names.size(); ++i) {
      if (!c.requires_grad[i]) continue;
      const Tensor actual =
          parameters.contains(names[i]) ? parameters[names[i]].grad() : data[names[i]].grad();
      EXPECT_TRUE(tensors_close(actual, *c.grads[i], rtol, atol)) << "gradient of " << names[i];
    }
  }
}

Tensor random64(const Shape& shape) { return randn(shape, {.dtype = Dtype::float64}); }

nn::TransformerEncoderLayerOptions small_encoder(bool norm_first, const std::string& activation) {
  return {.d_model = 4,
          .nhead = 2,
          .dim_feedforward = 6,
          .dropout = 0.0,
          .activation = activation,
          .norm_first = norm_first,
          .dtype = Dtype::float64};
}

void expect_gradients(nn::Module& module,
                      const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                      std::vector<Tensor> inputs) {
  for (Tensor& x : inputs) x = x.clone().requires_grad_(true);
  auto result = autograd::gradcheck(fn, inputs, {.check_second_order = true});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_TRUE(testing::parameter_gradcheck(module, [&] { return fn(inputs); }));
}

TEST(TransformerEncoderLayer, GradcheckPostNormReluAndPreNormGelu) {
  manual_seed(21);
  Tensor mask = nn::generate_square_subsequent_mask(3);
  Tensor padding = tensor({{0, 0, 1}, {0, 0, 0}}).to(Dtype::bool_);
  for (bool norm_first : {false, true}) {
    SCOPED_TRACE(norm_first ? "pre-norm gelu" : "post-norm relu");
    nn::TransformerEncoderLayer layer(small_encoder(norm_first, norm_first ? "gelu" : "relu"));
    expect_gradients(layer,
                     [&](const std::vector<Tensor>& v) {
                       return layer.forward(v[0], {.mask = mask, .src_key_padding_mask = padding});
                     },
                     {random64({3, 2, 4})});
  }
}

TEST(TransformerDecoderLayer, Gradcheck) {
  manual_seed(22);
  for (bool norm_first : {false, true}) {
    SCOPED_TRACE(norm_first ? "pre-norm" : "post-norm");
    nn::TransformerDecoderLayer layer({.d_model = 4,
                                       .nhead = 2,
                                       .dim_feedforward = 6,
                                       .dropout = 0.0,
                                       .activation = "gelu",
                                       .batch_first = true,
                                       .norm_first = norm_first,
                                       .dtype = Dtype::float64});
    Tensor memory_padding = tensor({{0, 0, 0, 1}, {0, 0, 0, 0}}).to(Dtype::bool_);
    expect_gradients(layer,
                     [&](const std::vector<Tensor>& v) {
                       return layer.forward(
                           v[0], v[1],
                           {.memory_key_padding_mask = memory_padding, .tgt_is_causal = true});
                     },
                     {random64({2, 3, 4}), random64({2, 4, 4})});
  }
}

TEST(TransformerEncoder, GradcheckStackWithFinalNorm) {
  manual_seed(23);
  nn::TransformerEncoder encoder(
      {.layer = small_encoder(true, "relu"), .num_layers = 2, .final_norm = true});
  expect_gradients(
      encoder,
      [&](const std::vector<Tensor>& v) { return encoder.forward(v[0], {.is_causal = true}); },
      {random64({3, 2, 4})});
}

TEST(TransformerEncoder, CausalMaskDoesNotLeakTheFuture) {
  manual_seed(24);
  nn::TransformerEncoder encoder(
      {.layer =
           {.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0, .batch_first = true},
       .num_layers = 2});
  const int64_t t = 5;
  Tensor x = randn({2, t, 8});
  Tensor changed = x.clone();
  changed.select(1, t - 1).fill_(2.0);
  for (bool flag : {true, false}) {
    nn::TransformerEncoderArgs args;
    if (flag) {
      args.is_causal = true;
    } else {
      args.mask = nn::generate_square_subsequent_mask(t);
    }
    Tensor before = encoder.forward(x, args), after = encoder.forward(changed, args);
    EXPECT_TRUE(equal(before.narrow(1, 0, t - 1), after.narrow(1, 0, t - 1)));
    EXPECT_FALSE(equal(before.select(1, t - 1), after.select(1, t - 1)));
  }
  // Without the mask the future does leak: the test can fail.
  EXPECT_FALSE(equal(encoder(x).narrow(1, 0, t - 1), encoder(changed).narrow(1, 0, t - 1)));
}

TEST(TransformerDecoder, CausalAndPaddingIsolation) {
  manual_seed(25);
  nn::TransformerDecoder decoder(
      {.layer = {.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0},
       .num_layers = 2,
       .final_norm = true});
  const int64_t t = 4;
  Tensor tgt = randn({t, 2, 8}), memory = randn({5, 2, 8});
  Tensor padding = zeros({2, 5}, {.dtype = Dtype::bool_});
  padding.at<bool>({1, 4}) = true;
  nn::TransformerDecoderArgs args{.memory_key_padding_mask = padding, .tgt_is_causal = true};
  Tensor before = decoder.forward(tgt, memory, args);
  Tensor tgt_changed = tgt.clone();
  tgt_changed.select(0, t - 1).fill_(1.5);
  Tensor memory_changed = memory.clone();
  memory_changed.select(0, 4).select(0, 1).fill_(-3.0);  // a padded memory position
  Tensor after = decoder.forward(tgt_changed, memory_changed, args);
  EXPECT_TRUE(equal(before.narrow(0, 0, t - 1), after.narrow(0, 0, t - 1)));
  EXPECT_TRUE(equal(decoder.forward(tgt, memory_changed, args), before));
}

TEST(TransformerEncoderLayer, KeyPaddingDoesNotChangeRealPositions) {
  manual_seed(26);
  nn::TransformerEncoderLayer layer(
      {.d_model = 8, .nhead = 4, .dim_feedforward = 16, .dropout = 0.0, .norm_first = true});
  Tensor x = randn({5, 2, 8});
  Tensor padding = zeros({2, 5}, {.dtype = Dtype::bool_});
  padding.at<bool>({0, 3}) = true;
  padding.at<bool>({0, 4}) = true;
  Tensor changed = x.clone();
  changed.narrow(0, 3, 2).select(1, 0).fill_(4.0);
  Tensor before = layer.forward(x, {.src_key_padding_mask = padding});
  Tensor after = layer.forward(changed, {.src_key_padding_mask = padding});
  EXPECT_TRUE(equal(before.narrow(0, 0, 3), after.narrow(0, 0, 3)));
  EXPECT_TRUE(equal(before.select(1, 1), after.select(1, 1)));
}

TEST(TransformerEncoder, LayersAreInitializedIndependentlyAndRoundTrip) {
  manual_seed(27);
  nn::TransformerEncoderOptions options{
      .layer = {.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0},
      .num_layers = 3,
      .final_norm = true};
  nn::TransformerEncoder source(options);
  ASSERT_EQ(source.layers->size(), 3u);
  auto first = source.layers->at<nn::TransformerEncoderLayer>(0);
  auto second = source.layers->at<nn::TransformerEncoderLayer>(1);
  EXPECT_FALSE(equal(first->self_attn->in_proj_weight, second->self_attn->in_proj_weight));
  EXPECT_FALSE(equal(first->linear1->weight, second->linear1->weight));
  EXPECT_TRUE(source.state_dict().contains("norm.weight"));
  manual_seed(28);
  nn::TransformerEncoder fresh(options);
  testing::expect_round_trip(source, fresh, randn({4, 2, 8}));
}

TEST(TransformerDecoder, RoundTrip) {
  manual_seed(29);
  nn::TransformerDecoderLayerOptions layer{
      .d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0};
  nn::TransformerDecoderLayer source(layer);
  manual_seed(30);
  nn::TransformerDecoderLayer fresh(layer);
  fresh.load_state_dict(testing::snapshot(source.state_dict()));
  Tensor tgt = randn({3, 2, 8}), memory = randn({4, 2, 8});
  EXPECT_TRUE(equal(source.forward(tgt, memory), fresh.forward(tgt, memory)));
  EXPECT_EQ(to_string(source).rfind("TransformerDecoderLayer(\n  d_model=8, nhead=2", 0), 0u)
      << to_string(source);
}

TEST(TransformerEncoderLayer, DropoutOnlyInTraining) {
  manual_seed(31);
  nn::TransformerEncoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16});
  Tensor x = randn({4, 2, 8});
  layer.eval();
  Tensor a = layer(x);
  EXPECT_TRUE(equal(a, layer(x)));
  layer.train();
  EXPECT_FALSE(equal(layer(x), a));
}

TEST(Transformer, Errors) {
  expect_error<ValueError>([] { nn::TransformerEncoderLayer({.d_model = 6, .nhead = 4}); },
                           {"TransformerEncoderLayer", "d_model 6", "nhead 4"});
  expect_error<ValueError>(
      [] { nn::TransformerEncoderLayer({.d_model = 8, .nhead = 2, .activation = "tanh"}); },
      {"activation", "tanh"});
  expect_error<ValueError>(
      [] { nn::TransformerDecoderLayer({.d_model = 8, .nhead = 2, .dim_feedforward = 0}); },
      {"TransformerDecoderLayer", "dim_feedforward", "0"});
  expect_error<ValueError>(
      [] { nn::TransformerDecoderLayer({.d_model = 8, .nhead = 2, .dropout = 2.0}); },
      {"dropout", "2"});
  expect_error<ValueError>(
      [] { nn::TransformerEncoder({.layer = {.d_model = 8, .nhead = 2}, .num_layers = 0}); },
      {"TransformerEncoder", "num_layers", "0"});
  nn::TransformerEncoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16});
  expect_error<ShapeError>([&] { layer(randn({4, 2, 6})); }, {"embed_dim=8", "[4, 2, 6]"});
  expect_error<ShapeError>(
      [&] {
        layer.forward(randn({4, 2, 8}), {.mask = ones({3, 3}, {.dtype = Dtype::bool_})});
      },
      {"attn_mask", "[4, 4]", "[3, 3]"});
}

}  // namespace
}  // namespace cajal
