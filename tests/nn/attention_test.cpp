// Scaled dot-product attention and MultiheadAttention: PyTorch golden values (forward, attention
// weights, gradients of the inputs and of every parameter, float64 and float32), gradient checks
// (first and second order), causal and key-padding isolation (bit for bit), fully masked rows,
// attention weights with and without head averaging, state_dict keys and round trips, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/attention.h"
#include "cajal/nn/functional/attention.h"
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
namespace F = nn::functional;

constexpr double kInfinity = std::numeric_limits<double>::infinity();

const std::map<std::string, GoldenCase>& golden() {
  static const auto cases = testing::load_golden("nn_attention");
  return cases;
}

// The case's data inputs by name (params["inputs"]); those PyTorch differentiated are fresh
// leaves that require grad.
std::map<std::string, Tensor> named_inputs(const GoldenCase& c) {
  std::map<std::string, Tensor> named;
  const std::vector<std::string> names = text_list(c, "inputs");
  for (size_t i = 0; i < names.size(); ++i) {
    Tensor t = c.inputs[i].clone();
    if (c.requires_grad[i]) t.requires_grad_(true);
    named[names[i]] = t;
  }
  return named;
}

// Compares the gradient of every differentiated data input with PyTorch's.
void expect_input_gradients(const GoldenCase& c, const std::map<std::string, Tensor>& named,
                            double rtol, double atol) {
  const std::vector<std::string> names = text_list(c, "inputs");
  std::vector<std::string> parameters;
  if (c.params_json.count("param_names")) parameters = text_list(c, "param_names");
  for (size_t i = 0; i < names.size(); ++i) {
    if (!c.requires_grad[i] || !named.count(names[i])) continue;
    if (std::find(parameters.begin(), parameters.end(), names[i]) != parameters.end()) continue;
    EXPECT_TRUE(tensors_close(named.at(names[i]).grad(), *c.grads[i], rtol, atol))
        << "gradient of " << names[i];
  }
}

bool is_float32(const GoldenCase& c) { return c.inputs[0].dtype() == Dtype::float32; }

Tensor get(const std::map<std::string, Tensor>& named, const std::string& key) {
  auto found = named.find(key);
  return found == named.end() ? Tensor() : found->second;
}

// ---------------------------------------------------------------------------------------------
// Scaled dot-product attention

TEST(ScaledDotProductAttentionGolden, EveryCaseMatchesPyTorch) {
  int count = 0;
  for (const auto& [name, c] : golden()) {
    if (c.text("kind") != "sdpa") continue;
    SCOPED_TRACE("golden case " + name);
    ++count;
    const double rtol = is_float32(c) ? 1e-5 : 1e-10;
    const double atol = is_float32(c) ? 1e-6 : 1e-12;
    auto named = named_inputs(c);
    F::AttentionOptions options{.attn_mask = get(named, "attn_mask"),
                                .is_causal = c.param("is_causal") != 0};
    if (c.param("has_scale") != 0) options.scale = c.param("scale");
    auto result = F::scaled_dot_product_attention_with_weights(named["query"], named["key"],
                                                               named["value"], options);
    EXPECT_TRUE(tensors_close(result.output, c.outputs[0], rtol, atol)) << "output";
    EXPECT_TRUE(tensors_close(result.weights, c.outputs[1], rtol, atol)) << "weights";
    result.output.backward(c.grad_outputs[0]);
    expect_input_gradients(c, named, rtol, atol);
  }
  EXPECT_EQ(count, 7);
}

Tensor random64(const Shape& shape) { return randn(shape, {.dtype = Dtype::float64}); }

::testing::AssertionResult sdpa_gradcheck(const Tensor& mask, bool is_causal, bool grad_mask) {
  manual_seed(3);
  std::vector<Tensor> inputs = {random64({2, 3, 4}).requires_grad_(true),
                                random64({2, 5, 4}).requires_grad_(true),
                                random64({2, 5, 3}).requires_grad_(true)};
  if (mask.defined()) {
    inputs.push_back(mask.clone());
    if (grad_mask) inputs.back().requires_grad_(true);
  }
  auto result = autograd::gradcheck(
      [&](const std::vector<Tensor>& v) {
        return F::scaled_dot_product_attention(
            v[0], v[1], v[2],
            {.attn_mask = v.size() > 3 ? v[3] : Tensor(), .is_causal = is_causal});
      },
      inputs, {.check_second_order = true});
  if (result.ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.message;
}

TEST(ScaledDotProductAttention, GradcheckFirstAndSecondOrder) {
  EXPECT_TRUE(sdpa_gradcheck(Tensor(), false, false)) << "no mask";
  Tensor allowed = tensor({{1, 0, 1, 1, 0}, {1, 1, 0, 0, 0}, {0, 1, 1, 1, 1}}).to(Dtype::bool_);
  EXPECT_TRUE(sdpa_gradcheck(allowed, false, false)) << "bool mask";
  manual_seed(4);
  EXPECT_TRUE(sdpa_gradcheck(random64({2, 3, 5}), false, true)) << "float mask";
  EXPECT_TRUE(sdpa_gradcheck(Tensor(), true, false)) << "causal";
  // A fully masked row (row 1) stays finite and has zero gradient.
  Tensor dead = tensor({{1, 0, 1, 1, 0}, {0, 0, 0, 0, 0}, {0, 1, 1, 1, 1}}).to(Dtype::bool_);
  EXPECT_TRUE(sdpa_gradcheck(dead, false, false)) << "fully masked row";
}

TEST(ScaledDotProductAttention, FullyMaskedRowIsZeroAndOthersUnchanged) {
  manual_seed(5);
  Tensor q = random64({3, 4}).requires_grad_(true);
  Tensor k = random64({5, 4});
  Tensor v = random64({5, 2});
  Tensor allowed = tensor({{1, 0, 1, 1, 0}, {0, 0, 0, 0, 0}, {0, 1, 1, 1, 1}}).to(Dtype::bool_);
  auto result = F::scaled_dot_product_attention_with_weights(q, k, v, {.attn_mask = allowed});
  EXPECT_TRUE(equal(result.output[1], zeros({2}, {.dtype = Dtype::float64})));
  EXPECT_TRUE(equal(result.weights[1], zeros({5}, {.dtype = Dtype::float64})));
  // The other rows equal attention of those rows alone.
  Tensor rows = tensor({0, 2}, {.dtype = Dtype::int64});
  Tensor alone = F::scaled_dot_product_attention(index_select(q.detach(), 0, rows), k, v,
                                                 {.attn_mask = index_select(allowed, 0, rows)});
  EXPECT_TRUE(tensors_close(index_select(result.output.detach(), 0, rows), alone, 1e-14, 1e-15));
  result.output.sum().backward();
  EXPECT_TRUE(equal(q.grad()[1], zeros({4}, {.dtype = Dtype::float64})));
  EXPECT_TRUE(isfinite(q.grad()).to(Dtype::float64).min().item<double>() == 1.0);
  // A float mask of -inf everywhere in a row behaves the same.
  Tensor additive = where(allowed, 0.0, full({3, 5}, -kInfinity, {.dtype = Dtype::float64}));
  Tensor same = F::scaled_dot_product_attention(q.detach(), k, v, {.attn_mask = additive});
  EXPECT_TRUE(equal(same[1], zeros({2}, {.dtype = Dtype::float64})));
  EXPECT_TRUE(tensors_close(same, result.output.detach(), 1e-14, 1e-15));
}

TEST(ScaledDotProductAttention, CausalDoesNotLeakTheFuture) {
  manual_seed(6);
  const int64_t t = 6;
  Tensor q = randn({2, t, 4});
  Tensor k = randn({2, t, 4});
  Tensor v = randn({2, t, 3});
  Tensor before = F::scaled_dot_product_attention(q, k, v, {.is_causal = true});
  for (Tensor* x : {&q, &k, &v}) x->select(1, t - 1).fill_(7.5);
  Tensor after = F::scaled_dot_product_attention(q, k, v, {.is_causal = true});
  EXPECT_TRUE(equal(before.narrow(1, 0, t - 1), after.narrow(1, 0, t - 1)));
  EXPECT_FALSE(equal(before.select(1, t - 1), after.select(1, t - 1)));
  // A bool mask from generate_square_subsequent_mask (true = masked) inverted gives the same.
  Tensor allowed = logical_not(nn::generate_square_subsequent_mask(t));
  EXPECT_TRUE(equal(F::scaled_dot_product_attention(q, k, v, {.attn_mask = allowed}), after));
}

TEST(ScaledDotProductAttention, DropoutOnlyInTraining) {
  manual_seed(7);
  Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4}), v = randn({2, 5, 3});
  Tensor plain = F::scaled_dot_product_attention(q, k, v);
  EXPECT_TRUE(equal(F::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.5, .training = false}),
                    plain));
  auto dropped = F::scaled_dot_product_attention_with_weights(q, k, v, {.dropout_p = 0.5});
  Tensor zero_weights = eq(dropped.weights, zeros_like(dropped.weights)).to(Dtype::float32);
  EXPECT_GT(zero_weights.sum().item<double>(), 0.0);
  EXPECT_FALSE(equal(dropped.output, plain));
}

TEST(ScaledDotProductAttention, Errors) {
  Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4}), v = randn({2, 5, 3});
  expect_error<ShapeError>(
      [&] {
        F::scaled_dot_product_attention(q, randn({2, 5, 6}), v);
      },
      {"scaled_dot_product_attention", "key", "[2, 3, 4]", "[2, 5, 6]"});
  expect_error<ShapeError>(
      [&] {
        F::scaled_dot_product_attention(q, k, randn({2, 4, 3}));
      },
      {"scaled_dot_product_attention", "value", "[2, 4, 3]"});
  expect_error<ShapeError>(
      [&] {
        F::scaled_dot_product_attention(q, k, v, {.attn_mask = ones({3, 4})});
      },
      {"attn_mask", "[3, 4]", "[2, 3, 5]"});
  expect_error<ValueError>(
      [&] {
        F::scaled_dot_product_attention(q, k, v,
                                        {.attn_mask = ones({3, 5}, {.dtype = Dtype::int64})});
      },
      {"attn_mask", "int64"});
  expect_error<ValueError>([&] { F::scaled_dot_product_attention(q, k, v, {.dropout_p = 1.5}); },
                           {"dropout_p", "1.5"});
  expect_error<ValueError>([&] { F::scaled_dot_product_attention(q, k.to(Dtype::float64), v); },
                           {"dtype", "float64"});
  expect_error<ShapeError>([&] { F::scaled_dot_product_attention(randn({4}), k, v); },
                           {"query", "[4]"});
}

TEST(GenerateSquareSubsequentMask, BoolAndFloatForms) {
  Tensor masked = nn::generate_square_subsequent_mask(3);
  EXPECT_EQ(masked.dtype(), Dtype::bool_);
  EXPECT_TRUE(equal(masked, tensor({{0, 1, 1}, {0, 0, 1}, {0, 0, 0}}).to(Dtype::bool_)));
  Tensor additive = nn::generate_square_subsequent_mask(3, Dtype::float64);
  EXPECT_TRUE(equal(additive, tensor({{0, -kInfinity, -kInfinity}, {0, 0, -kInfinity}, {0, 0, 0}},
                                     {.dtype = Dtype::float64})));
  expect_error<ValueError>([] { nn::generate_square_subsequent_mask(-1); }, {"size", "-1"});
  expect_error<ValueError>([] { nn::generate_square_subsequent_mask(2, Dtype::int64); },
                           {"dtype", "int64"});
}

// ---------------------------------------------------------------------------------------------
// MultiheadAttention

nn::MultiheadAttentionOptions mha_options(const GoldenCase& c) {
  return {.embed_dim = static_cast<int64_t>(c.param("embed_dim")),
          .num_heads = static_cast<int64_t>(c.param("num_heads")),
          .bias = param_or(c, "bias", 1) != 0,
          .add_bias_kv = param_or(c, "add_bias_kv", 0) != 0,
          .add_zero_attn = param_or(c, "add_zero_attn", 0) != 0,
          .kdim = static_cast<int64_t>(param_or(c, "kdim", 0)),
          .vdim = static_cast<int64_t>(param_or(c, "vdim", 0)),
          .batch_first = param_or(c, "batch_first", 0) != 0,
          .dtype = c.inputs[0].dtype()};
}

TEST(MultiheadAttentionGolden, EveryCaseMatchesPyTorch) {
  int count = 0;
  for (const auto& [name, c] : golden()) {
    if (c.text("kind") != "mha") continue;
    SCOPED_TRACE("golden case " + name);
    ++count;
    const double rtol = is_float32(c) ? 1e-5 : 1e-10;
    const double atol = is_float32(c) ? 2e-6 : 1e-12;
    nn::MultiheadAttention attention(mha_options(c));
    const std::vector<std::string> param_names = text_list(c, "param_names");
    // The state_dict keys are PyTorch's, in PyTorch's order.
    EXPECT_EQ(attention.state_dict().keys(), param_names);
    auto named = named_inputs(c);
    StateDict state;
    for (const auto& key : param_names) state.insert(key, named.at(key).detach());
    attention.load_state_dict(state);
    nn::MultiheadAttentionArgs args{
        .key_padding_mask = get(named, "key_padding_mask"),
        .need_weights = param_or(c, "need_weights", 1) != 0,
        .attn_mask = get(named, "attn_mask"),
        .average_attn_weights = param_or(c, "average_attn_weights", 1) != 0};
    nn::MultiheadAttentionOutput result;
    if (named.count("x")) {
      result = attention.forward(named["x"], named["x"], named["x"], args);
    } else if (named.count("memory")) {
      result = attention.forward(named["query"], named["memory"], named["memory"], args);
    } else {
      result = attention.forward(named["query"], named["key"], named["value"], args);
    }
    EXPECT_TRUE(tensors_close(result.output, c.outputs[0], rtol, atol)) << "output";
    if (args.need_weights) {
      ASSERT_EQ(c.outputs.size(), 2u);
      EXPECT_TRUE(tensors_close(result.weights, c.outputs[1], rtol, atol)) << "weights";
    } else {
      EXPECT_FALSE(result.weights.defined());
    }
    result.output.backward(c.grad_outputs[0]);
    expect_input_gradients(c, named, rtol, atol);
    auto parameters = attention.named_parameters();
    const std::vector<std::string> names = text_list(c, "inputs");
    for (size_t i = 0; i < names.size(); ++i) {
      if (!parameters.contains(names[i])) continue;
      EXPECT_TRUE(tensors_close(parameters[names[i]].grad(), *c.grads[i], rtol, atol))
          << "gradient of " << names[i];
    }
  }
  EXPECT_EQ(count, 9);
}

nn::MultiheadAttention make64(nn::MultiheadAttentionOptions options) {
  options.dtype = Dtype::float64;
  return nn::MultiheadAttention(options);
}

// Gradient checks of a module's inputs (through gradcheck, second order) and parameters.
void check_mha_gradients(nn::MultiheadAttention& attention, const Tensor& query, const Tensor& key,
                         const Tensor& value, const nn::MultiheadAttentionArgs& args,
                         bool self_attention) {
  std::vector<Tensor> inputs = {query.clone().requires_grad_(true)};
  if (!self_attention) {
    inputs.push_back(key.clone().requires_grad_(true));
    inputs.push_back(value.clone().requires_grad_(true));
  }
  auto run = [&](const std::vector<Tensor>& v) {
    return self_attention ? attention.forward(v[0], v[0], v[0], args).output
                          : attention.forward(v[0], v[1], v[2], args).output;
  };
  auto result = autograd::gradcheck(run, inputs, {.check_second_order = true});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_TRUE(testing::parameter_gradcheck(attention, [&] { return run(inputs); }));
}

TEST(MultiheadAttention, GradcheckPackedSelfAttentionWithMasks) {
  manual_seed(8);
  auto attention = make64({.embed_dim = 4, .num_heads = 2});
  Tensor x = random64({3, 2, 4});  // [L, N, E]
  Tensor padding = tensor({{0, 0, 1}, {0, 0, 0}}).to(Dtype::bool_);
  check_mha_gradients(
      attention, x, x, x,
      {.key_padding_mask = padding, .attn_mask = nn::generate_square_subsequent_mask(3)}, true);
}

TEST(MultiheadAttention, GradcheckSeparateProjectionsAndFloatMask) {
  manual_seed(9);
  auto attention =
      make64({.embed_dim = 4, .num_heads = 2, .kdim = 3, .vdim = 5, .batch_first = true});
  check_mha_gradients(attention, random64({2, 3, 4}), random64({2, 4, 3}), random64({2, 4, 5}),
                      {.attn_mask = random64({4, 3, 4})}, false);
}

TEST(MultiheadAttention, GradcheckBiasKvAndZeroAttention) {
  manual_seed(10);
  auto attention =
      make64({.embed_dim = 4, .num_heads = 2, .add_bias_kv = true, .add_zero_attn = true});
  Tensor padding = tensor({{0, 0, 0, 1}, {0, 1, 0, 0}}).to(Dtype::bool_);
  check_mha_gradients(attention, random64({3, 2, 4}), random64({4, 2, 4}), random64({4, 2, 4}),
                      {.key_padding_mask = padding}, false);
}

TEST(MultiheadAttention, CausalDoesNotLeakTheFuture) {
  manual_seed(11);
  nn::MultiheadAttention attention({.embed_dim = 8, .num_heads = 2, .batch_first = true});
  const int64_t t = 5;
  Tensor x = randn({2, t, 8});
  Tensor changed = x.clone();
  changed.select(1, t - 1).fill_(3.0);
  for (bool use_flag : {true, false}) {
    SCOPED_TRACE(use_flag ? "is_causal" : "attn_mask");
    nn::MultiheadAttentionArgs args;
    if (use_flag) {
      args.is_causal = true;
    } else {
      args.attn_mask = nn::generate_square_subsequent_mask(t);
    }
    Tensor before = attention.forward(x, x, x, args).output;
    Tensor after = attention.forward(changed, changed, changed, args).output;
    EXPECT_TRUE(equal(before.narrow(1, 0, t - 1), after.narrow(1, 0, t - 1)));
    EXPECT_FALSE(equal(before.select(1, t - 1), after.select(1, t - 1)));
  }
  // The float form of the mask gives the same result as the bool form.
  EXPECT_TRUE(tensors_close(
      attention.forward(x, x, x, {.attn_mask = nn::generate_square_subsequent_mask(t)}).output,
      attention
          .forward(x, x, x, {.attn_mask = nn::generate_square_subsequent_mask(t, Dtype::float32)})
          .output,
      1e-6, 1e-7));
}

TEST(MultiheadAttention, PaddedKeysDoNotChangeRealPositions) {
  manual_seed(12);
  nn::MultiheadAttention attention({.embed_dim = 8, .num_heads = 4});
  Tensor query = randn({3, 2, 8});  // [L, N, E]
  Tensor memory = randn({5, 2, 8});
  Tensor padding = zeros({2, 5}, {.dtype = Dtype::bool_});
  padding.at<bool>({0, 3}) = true;
  padding.at<bool>({0, 4}) = true;
  padding.at<bool>({1, 4}) = true;
  Tensor changed = memory.clone();
  changed.narrow(0, 3, 2).select(1, 0).fill_(9.0);  // sequence 0, padded keys 3 and 4
  changed.select(0, 4).select(0, 1).fill_(-4.0);    // sequence 1, padded key 4
  auto before = attention.forward(query, memory, memory, {.key_padding_mask = padding});
  auto after = attention.forward(query, changed, changed, {.key_padding_mask = padding});
  EXPECT_TRUE(equal(before.output, after.output));
  // Padded keys get zero weight.
  EXPECT_EQ(before.weights.select(0, 0).narrow(1, 3, 2).abs().sum().item<double>(), 0.0);
  // Self-attention: a padded position's own output may change, the real ones may not.
  Tensor x = randn({4, 2, 8});
  Tensor self_padding = zeros({2, 4}, {.dtype = Dtype::bool_});
  self_padding.at<bool>({1, 3}) = true;
  Tensor x_changed = x.clone();
  x_changed.select(0, 3).select(0, 1).fill_(5.0);
  Tensor y = attention.forward(x, x, x, {.key_padding_mask = self_padding}).output;
  Tensor y_changed =
      attention.forward(x_changed, x_changed, x_changed, {.key_padding_mask = self_padding}).output;
  EXPECT_TRUE(equal(y.narrow(0, 0, 3), y_changed.narrow(0, 0, 3)));
  EXPECT_TRUE(equal(y.select(1, 0), y_changed.select(1, 0)));
}

TEST(MultiheadAttention, WeightsAveragedOrPerHead) {
  manual_seed(13);
  nn::MultiheadAttention attention({.embed_dim = 8, .num_heads = 2, .batch_first = true});
  Tensor query = randn({3, 4, 8}), memory = randn({3, 6, 8});
  auto averaged = attention.forward(query, memory, memory);
  auto per_head = attention.forward(query, memory, memory, {.average_attn_weights = false});
  EXPECT_EQ(averaged.weights.shape(), (Shape{3, 4, 6}));
  EXPECT_EQ(per_head.weights.shape(), (Shape{3, 2, 4, 6}));
  EXPECT_TRUE(tensors_close(per_head.weights.mean({1}), averaged.weights, 1e-6, 1e-7));
  EXPECT_TRUE(tensors_close(averaged.weights.sum({-1}), ones({3, 4}), 1e-6, 1e-6));
  EXPECT_TRUE(equal(averaged.output, per_head.output));
  auto none = attention.forward(query, memory, memory, {.need_weights = false});
  EXPECT_FALSE(none.weights.defined());
  EXPECT_TRUE(equal(none.output, averaged.output));
  // Unbatched input gives unbatched output and weights.
  auto single = attention.forward(query[0], memory[0], memory[0]);
  EXPECT_EQ(single.output.shape(), (Shape{4, 8}));
  EXPECT_EQ(single.weights.shape(), (Shape{4, 6}));
  EXPECT_TRUE(tensors_close(single.output, averaged.output[0], 1e-6, 1e-7));
  // forward(x) is self-attention, so the layer fits in a Sequential.
  nn::Sequential net{attention, nn::ReLU()};
  EXPECT_TRUE(equal(net(query), relu(attention.forward(query, query, query).output)));
}

TEST(MultiheadAttention, DropoutActsOnlyInTraining) {
  manual_seed(14);
  nn::MultiheadAttention attention({.embed_dim = 8, .num_heads = 2, .dropout = 0.5});
  Tensor x = randn({4, 2, 8});
  attention.eval();
  Tensor a = attention(x);
  EXPECT_TRUE(equal(a, attention(x)));
  attention.train();
  EXPECT_FALSE(equal(attention(x), a));
}

TEST(MultiheadAttention, StateDictRoundTripAndInitialization) {
  manual_seed(15);
  nn::MultiheadAttentionOptions options{.embed_dim = 8, .num_heads = 2, .add_bias_kv = true};
  nn::MultiheadAttention source(options);
  EXPECT_EQ(source.state_dict().keys(),
            (std::vector<std::string>{"in_proj_weight", "in_proj_bias", "bias_k", "bias_v",
                                      "out_proj.weight", "out_proj.bias"}));
  // PyTorch's initialization: zero biases, xavier_uniform_ in_proj_weight (bound sqrt(6 / 32)).
  EXPECT_EQ(source.in_proj_bias.abs().sum().item<double>(), 0.0);
  EXPECT_EQ(source.out_proj->bias.abs().sum().item<double>(), 0.0);
  EXPECT_LE(source.in_proj_weight.abs().max().item<double>(), std::sqrt(6.0 / 32.0));
  manual_seed(16);
  nn::MultiheadAttention fresh(options);
  testing::expect_round_trip(source, fresh, randn({3, 2, 8}));
  nn::MultiheadAttention separate({.embed_dim = 8, .num_heads = 2, .bias = false, .kdim = 3});
  EXPECT_EQ(separate.state_dict().keys(),
            (std::vector<std::string>{"q_proj_weight", "k_proj_weight", "v_proj_weight",
                                      "out_proj.weight"}));
  EXPECT_EQ(to_string(separate),
            "MultiheadAttention(\n  embed_dim=8, num_heads=2, dropout=0.0, bias=false, kdim=3, "
            "vdim=8\n  (out_proj): Linear(in_features=8, out_features=8, bias=false)\n)");
}

TEST(MultiheadAttention, Errors) {
  expect_error<ValueError>([] { nn::MultiheadAttention({.embed_dim = 10, .num_heads = 3}); },
                           {"MultiheadAttention", "embed_dim 10", "num_heads 3"});
  expect_error<ValueError>([] { nn::MultiheadAttention({.embed_dim = 0, .num_heads = 1}); },
                           {"embed_dim", "0"});
  expect_error<ValueError>(
      [] { nn::MultiheadAttention({.embed_dim = 4, .num_heads = 2, .dropout = -0.1}); },
      {"dropout", "-0.1"});
  nn::MultiheadAttention attention({.embed_dim = 8, .num_heads = 2});
  Tensor x = randn({4, 2, 8});
  expect_error<ShapeError>(
      [&] {
        attention.forward(x, x, x, {.attn_mask = ones({4, 5})});
      },
      {"MultiheadAttention", "attn_mask", "[4, 4]", "[4, 5]"});
  expect_error<ShapeError>(
      [&] {
        attention.forward(x, x, x, {.key_padding_mask = zeros({4, 2}, {.dtype = Dtype::bool_})});
      },
      {"key_padding_mask", "[2, 4]", "[4, 2]"});
  expect_error<ValueError>(
      [&] {
        attention.forward(x, x, x, {.key_padding_mask = zeros({2, 4}, {.dtype = Dtype::int64})});
      },
      {"key_padding_mask", "int64"});
  expect_error<ShapeError>(
      [&] {
        attention.forward(randn({4, 2, 6}), x, x);
      },
      {"embed_dim=8", "[4, 2, 6]"});
  // batch_first mismatch: a [N, L, E] input to a sequence-first layer makes batch sizes differ.
  expect_error<ShapeError>(
      [&] {
        attention.forward(x, randn({2, 5, 8}), randn({2, 5, 8}));
      },
      {"batch_first=false", "[4, 2, 8]", "[2, 5, 8]"});
  expect_error<ShapeError>(
      [&] {
        attention.forward(x, randn({5, 8}), randn({5, 8}));
      },
      {"unbatched", "[5, 8]"});
  expect_error<ValueError>([&] { attention(x.to(Dtype::float64)); }, {"dtype", "float64"});
}

}  // namespace
}  // namespace cajal
