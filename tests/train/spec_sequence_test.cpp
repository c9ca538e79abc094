// Sequence layers in model specs: reshape, rnn/lstm/gru (final state or whole sequence),
// positional encodings, transformer encoders (causal or not) and pooling over time. Each builds
// the modules it describes, counts its parameters before allocating them exactly as the built
// model has them, and reports misuse with the layer's JSON pointer.
#include <gtest/gtest.h>

#include <string>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/nn/module.h"
#include "cajal/nn/recurrent.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/manipulation.h"
#include "cajal/train/spec.h"
#include "support/expect_error.h"

namespace cajal::train {
namespace {

using testing::expect_error;

Spec model_spec(const std::string& layers) { return parse_spec(R"({"model": )" + layers + "}"); }

// The planned parameter count is exact: the model builds with exactly its own count as the limit
// and is refused with one parameter less.
void expect_exact_parameter_plan(const Spec& spec, const Shape& input) {
  manual_seed(0);
  const int64_t actual = nn::count_parameters(*build_model(spec, input));
  EXPECT_NO_THROW(build_model(spec, input, actual));
  expect_error<SpecError>([&] { build_model(spec, input, actual - 1); },
                          {"the model would have more than"});
}

TEST(SpecSequence, GruOnImageRowsKeepsTheLastLayersFinalState) {
  Spec spec = model_spec(R"([{"type": "reshape", "shape": [28, -1]},
    {"type": "gru", "hidden_size": 6, "num_layers": 2, "bidirectional": true},
    {"type": "dense", "units": 10}])");
  manual_seed(1);
  auto model = build_model(spec, {1, 28, 28});
  // GRU: per layer and direction 3H(in + H) + 6H; layer 0 in = 28, layer 1 in = 2H = 12.
  const int64_t gru = 2 * (18 * (28 + 6) + 36) + 2 * (18 * (12 + 6) + 36);
  EXPECT_EQ(nn::count_parameters(*model), gru + 12 * 10 + 10);
  expect_exact_parameter_plan(spec, {1, 28, 28});

  no_grad guard;
  model->eval();
  Tensor images = randn({3, 1, 28, 28});
  EXPECT_EQ((*model)(images).shape(), (Shape{3, 10}));

  // The recurrent part's output is the last layer's h_n, forward and reverse side by side: the
  // forward direction's last step and the reverse direction's first step of the sequence output.
  auto final_state = model->children()[1];
  auto gru_layer = std::dynamic_pointer_cast<nn::GRU>(final_state->children()[0]);
  ASSERT_NE(gru_layer, nullptr);
  Tensor rows = images.reshape({3, 28, 28});
  Tensor summary = (*final_state)(rows);
  Tensor sequence = gru_layer->forward(rows, {}).output;  // [3, 28, 12]
  Tensor expected =
      cat({sequence.select(1, 27).narrow(1, 0, 6), sequence.select(1, 0).narrow(1, 6, 6)}, 1);
  EXPECT_TRUE(allclose(summary, expected, 1e-6, 1e-7));
}

TEST(SpecSequence, ReturnSequencesKeepsEveryStep) {
  for (const char* type : {"rnn", "lstm", "gru"}) {
    Spec spec = model_spec(std::string(R"([{"type": ")") + type +
                           R"(", "hidden_size": 5, "return_sequences": true},
      {"type": "dense", "units": 2}])");
    auto model = build_model(spec, {7, 3});
    no_grad guard;
    EXPECT_EQ((*model)(randn({4, 7, 3})).shape(), (Shape{4, 7, 2})) << type;
    expect_exact_parameter_plan(spec, {7, 3});
  }
  Spec relu = model_spec(R"([{"type": "rnn", "hidden_size": 4, "nonlinearity": "relu",
    "bias": false}])");
  auto model = build_model(relu, {5, 2});
  EXPECT_EQ(nn::count_parameters(*model), 4 * 2 + 4 * 4);
  EXPECT_EQ(std::dynamic_pointer_cast<nn::RNN>(model->children()[0]->children()[0])
                ->options()
                .nonlinearity,
            "relu");
}

// Token ids -> embedding -> learned positions -> causal transformer -> per-step logits.
const char* kCausalTokens = R"([
  {"type": "embedding", "num_embeddings": 20, "embedding_dim": 8},
  {"type": "positional_encoding", "kind": "learned", "max_len": 16},
  {"type": "transformer_encoder", "nhead": 2, "dim_feedforward": 16, "num_layers": 2,
   "dropout": 0, "norm_first": true, "final_norm": true, "causal": true},
  {"type": "dense", "units": 20}])";

TEST(SpecSequence, CausalTransformerLeaksNothingFromTheFuture) {
  Spec spec = model_spec(kCausalTokens);
  manual_seed(2);
  auto model = build_model(spec, {12});
  expect_exact_parameter_plan(spec, {12});
  no_grad guard;
  std::vector<int64_t> ids = to_vector<int64_t>(randint(0, 20, {2, 12}));
  Tensor tokens = from_vector(ids, {2, 12});
  ids[23] = (ids[23] + 1) % 20;  // the last step of the second sequence
  Tensor changed = from_vector(ids, {2, 12});
  Tensor a = (*model)(tokens);
  Tensor b = (*model)(changed);
  ASSERT_EQ(a.shape(), (Shape{2, 12, 20}));
  // Steps before the change are identical bit for bit; the changed step differs.
  EXPECT_TRUE(equal(a.narrow(1, 0, 11), b.narrow(1, 0, 11)));
  EXPECT_FALSE(equal(a.select(1, 11), b.select(1, 11)));
}

TEST(SpecSequence, BidirectionalEncoderSeesTheFutureAndPoolsOverTime) {
  Spec spec = model_spec(R"([
    {"type": "embedding", "num_embeddings": 20, "embedding_dim": 8},
    {"type": "positional_encoding", "max_len": 64},
    {"type": "transformer_encoder", "nhead": 4, "dim_feedforward": 12, "dropout": 0},
    {"type": "sequence_pool", "mode": "mean"},
    {"type": "dense", "units": 3}])");
  manual_seed(3);
  auto model = build_model(spec, {10});
  expect_exact_parameter_plan(spec, {10});
  no_grad guard;
  model->eval();
  Tensor tokens = randint(0, 20, {2, 10});
  EXPECT_EQ((*model)(tokens).shape(), (Shape{2, 3}));

  for (const char* mode : {"max", "first", "last"}) {
    Spec pooled =
        model_spec(std::string(R"([{"type": "sequence_pool", "mode": ")") + mode + R"("}])");
    Tensor x = tensor({{1, 5}, {3, 2}, {2, 4}}).unsqueeze(0);  // [1, 3, 2]
    Tensor y = (*build_model(pooled, {3, 2}))(x);
    std::string m = mode;
    Tensor expected = m == "max"     ? tensor({{3, 5}})
                      : m == "first" ? tensor({{1, 5}})
                                     : tensor({{2, 4}});
    EXPECT_TRUE(equal(y, expected)) << mode;
  }
}

TEST(SpecSequence, MisuseNamesTheLayer) {
  expect_error<SpecError>(
      [] {
        build_model(model_spec(R"([{"type": "lstm", "hidden_size": 8}])"), {1, 28, 28});
      },
      {"/model/0: lstm needs sequences [N, T, F], got [N, 1, 28, 28]",
       "add {\"type\": \"reshape\""});
  expect_error<SpecError>(
      [] { build_model(model_spec(R"([{"type": "gru", "hidden_size": 8}])"), {12}); },
      {"/model/0: gru needs sequences [N, T, F], got [N, 12]", "embedding"});
  expect_error<SpecError>([] { model_spec(R"([{"type": "lstm", "hidden": 8}])"); },
                          {"/model/0", "hidden"});
  expect_error<SpecError>([] { model_spec(R"([{"type": "lstm"}])"); },
                          {"/model/0/hidden_size: missing"});
  expect_error<SpecError>(
      [] { model_spec(R"([{"type": "lstm", "hidden_size": 8, "dropout": 2}])"); },
      {"/model/0/dropout"});
  expect_error<SpecError>(
      [] {
        build_model(model_spec(R"([{"type": "reshape", "shape": [5, 5]}])"), {1, 28, 28});
      },
      {"/model/0: cannot reshape [N, 1, 28, 28] (784 values per example) into [N, 5, 5]"});
  expect_error<SpecError>(
      [] {
        build_model(model_spec(R"([{"type": "reshape", "shape": [-1, 5]}])"), {1, 28, 28});
      },
      {"/model/0: cannot reshape [N, 1, 28, 28]"});
  expect_error<SpecError>([] { model_spec(R"([{"type": "reshape", "shape": [-1, -1]}])"); },
                          {"/model/0/shape: at most one size may be -1"});
  expect_error<SpecError>([] { model_spec(R"([{"type": "reshape", "shape": [0, 3]}])"); },
                          {"/model/0/shape/0: expected a positive integer or -1, got 0"});
  expect_error<SpecError>(
      [] {
        build_model(model_spec(R"([{"type": "transformer_encoder", "nhead": 3}])"), {4, 8});
      },
      {"/model/0/nhead: the feature size 8 is not divisible by nhead 3"});
  expect_error<SpecError>(
      [] {
        build_model(model_spec(R"([{"type": "positional_encoding", "max_len": 4}])"), {6, 8});
      },
      {"/model/0: sequences of 6 steps are longer than max_len 4"});
  expect_error<SpecError>(
      [] {
        build_model(model_spec(R"([{"type": "positional_encoding"}])"), {6, 7});
      },
      {"/model/0: sinusoidal positional encoding needs an even feature size, got 7"});
  expect_error<SpecError>([] { model_spec(R"([{"type": "sequence_pool", "mode": "median"}])"); },
                          {"/model/0/mode", "median"});
}

TEST(SpecSequence, HugeRecurrentLayersAreRefusedBeforeAllocation) {
  expect_error<SpecError>(
      [] {
        build_model(model_spec(R"([{"type": "lstm", "hidden_size": 1000000, "num_layers": 3}])"),
                    {10, 10});
      },
      {"/model/0: the model would have more than 2147483648 parameters"});
}

}  // namespace
}  // namespace cajal::train
