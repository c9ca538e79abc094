// Recurrent cells and layers: gradient checks in float64 (inputs and initial states by
// autograd::gradcheck, first and second order; parameters by central differences), padded versus
// unpadded runs, truncated backpropagation through time, state dicts, dropout between layers,
// initialization, printing and every bad input. PyTorch comparisons: recurrent_golden_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/recurrent.h"
#include "layer_test_support.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::expect_error;
using testing::tensors_close;

constexpr Dtype f64 = Dtype::float64;

Tensor lengths_of(std::initializer_list<double> values) {
  return tensor(values, {.dtype = Dtype::int64});
}

// Every result flattened into one tensor, so one gradcheck covers output, h_n and c_n.
Tensor flat(const nn::RecurrentOutput& r) {
  std::vector<Tensor> parts{r.output.reshape({-1}), r.h_n.reshape({-1})};
  if (r.c_n.defined()) parts.push_back(r.c_n.reshape({-1}));
  return cat(parts);
}

// Gradcheck of a layer with respect to x, h0 and (LSTM) c0, then of its parameters.
void expect_layer_gradcheck(nn::detail::RecurrentBase& layer, const Tensor& x, const Tensor& h0,
                            const Tensor& c0, const Tensor& lengths, bool second_order = false) {
  std::vector<Tensor> inputs{x.clone().requires_grad_(true)};
  if (h0.defined()) inputs.push_back(h0.clone().requires_grad_(true));
  if (c0.defined()) inputs.push_back(c0.clone().requires_grad_(true));
  auto run = [&](const std::vector<Tensor>& in) {
    Tensor h = h0.defined() ? in[1] : Tensor();
    Tensor c = c0.defined() ? in.back() : Tensor();
    return flat(layer.forward(in[0], {h, c}, lengths));
  };
  auto result = autograd::gradcheck(run, inputs, {.check_second_order = second_order});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_TRUE(testing::parameter_gradcheck(layer, [&] { return run(inputs); }));
}

// ---------------------------------------------------------------------------------------------
// Gradient checks.

TEST(RecurrentGradcheck, Cells) {
  manual_seed(1);
  Tensor x = randn({3, 4}, {.dtype = f64}), h = randn({3, 5}, {.dtype = f64}),
         c = randn({3, 5}, {.dtype = f64});
  for (const std::string nonlinearity : {"tanh", "relu"}) {
    SCOPED_TRACE(nonlinearity);
    nn::RNNCell cell(
        {.input_size = 4, .hidden_size = 5, .nonlinearity = nonlinearity, .dtype = f64});
    auto run = [&](const std::vector<Tensor>& v) { return cell.forward(v[0], v[1]); };
    auto result =
        autograd::gradcheck(run, {x.clone().requires_grad_(true), h.clone().requires_grad_(true)},
                            {.check_second_order = true});
    EXPECT_TRUE(result.ok) << result.message;
    EXPECT_TRUE(testing::parameter_gradcheck(cell, [&] { return cell.forward(x, h); }));
  }
  nn::LSTMCell lstm({.input_size = 4, .hidden_size = 5, .dtype = f64});
  auto run_lstm = [&](const std::vector<Tensor>& v) {
    nn::LSTMState s = lstm.forward(v[0], {v[1], v[2]});
    return cat({s.h, s.c}, 1);
  };
  auto result = autograd::gradcheck(run_lstm,
                                    {x.clone().requires_grad_(true), h.clone().requires_grad_(true),
                                     c.clone().requires_grad_(true)},
                                    {.check_second_order = true});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_TRUE(testing::parameter_gradcheck(lstm, [&] { return run_lstm({x, h, c}); }));

  nn::GRUCell gru({.input_size = 4, .hidden_size = 5, .dtype = f64});
  result =
      autograd::gradcheck([&](const std::vector<Tensor>& v) { return gru.forward(v[0], v[1]); },
                          {x.clone().requires_grad_(true), h.clone().requires_grad_(true)},
                          {.check_second_order = true});
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_TRUE(testing::parameter_gradcheck(gru, [&] { return gru.forward(x, h); }));
  // Unbatched and zero state.
  EXPECT_TRUE(testing::parameter_gradcheck(gru, [&] { return gru.forward(x.select(0, 1)); }));
}

TEST(RecurrentGradcheck, LstmTwoLayersBidirectionalWithStateAndLengths) {
  manual_seed(2);
  nn::LSTM lstm({.input_size = 3,
                 .hidden_size = 2,
                 .num_layers = 2,
                 .batch_first = true,
                 .bidirectional = true,
                 .dtype = f64});
  Tensor x = randn({3, 4, 3}, {.dtype = f64});
  Tensor h0 = randn({4, 3, 2}, {.dtype = f64}), c0 = randn({4, 3, 2}, {.dtype = f64});
  expect_layer_gradcheck(lstm, x, h0, c0, lengths_of({4, 2, 3}), /*second_order=*/true);
  expect_layer_gradcheck(lstm, x, Tensor(), Tensor(), Tensor());
}

TEST(RecurrentGradcheck, GruTwoLayersBidirectionalLengthsAndUnbatched) {
  manual_seed(3);
  nn::GRU gru(
      {.input_size = 3, .hidden_size = 2, .num_layers = 2, .bidirectional = true, .dtype = f64});
  Tensor x = randn({4, 3, 3}, {.dtype = f64});
  expect_layer_gradcheck(gru, x, randn({4, 3, 2}, {.dtype = f64}), Tensor(), lengths_of({1, 4, 3}),
                         /*second_order=*/true);
  expect_layer_gradcheck(gru, randn({5, 3}, {.dtype = f64}), randn({4, 2}, {.dtype = f64}),
                         Tensor(), Tensor());
}

TEST(RecurrentGradcheck, RnnTanhAndRelu) {
  manual_seed(4);
  nn::RNN tanh_rnn(
      {.input_size = 3, .hidden_size = 4, .num_layers = 3, .batch_first = true, .dtype = f64});
  expect_layer_gradcheck(tanh_rnn, randn({2, 5, 3}, {.dtype = f64}),
                         randn({3, 2, 4}, {.dtype = f64}), Tensor(), lengths_of({3, 5}));
  nn::RNN relu_rnn({.input_size = 3,
                    .hidden_size = 4,
                    .num_layers = 2,
                    .nonlinearity = "relu",
                    .bidirectional = true,
                    .dtype = f64});
  expect_layer_gradcheck(relu_rnn, randn({4, 2, 3}, {.dtype = f64}), Tensor(), Tensor(), Tensor(),
                         /*second_order=*/true);
}

// ---------------------------------------------------------------------------------------------
// Variable-length batches.

// Each sequence run alone (cut to its length) matches its row of the padded batch: outputs on
// the real steps, zeros after, final states, input gradients (zero on padding) and, summed over
// the sequences, parameter gradients.
template <typename Layer>
void expect_padding_is_invisible(Layer& layer, bool batch_first) {
  const std::vector<int64_t> lengths{3, 6, 1, 4};
  const int64_t steps = 6, batch = 4, hidden = layer.options().hidden_size;
  const int64_t stack_size = layer.num_directions() * layer.options().num_layers;
  const bool lstm = std::is_same_v<Layer, nn::LSTM>;
  Tensor padded = randn({steps, batch, layer.options().input_size}, {.dtype = f64});
  Tensor h0 = randn({stack_size, batch, hidden}, {.dtype = f64});
  Tensor c0 = lstm ? randn({stack_size, batch, hidden}, {.dtype = f64}) : Tensor();
  Tensor probe = randn({steps, batch, layer.num_directions() * hidden}, {.dtype = f64});
  auto layout = [&](const Tensor& t) { return batch_first ? t.transpose(0, 1) : t; };

  // The batch.
  layer.zero_grad();
  Tensor x = layout(padded).contiguous().detach().clone().requires_grad_(true);
  nn::RecurrentOutput all =
      layer.forward(x, {h0, c0}, tensor({3, 6, 1, 4}, {.dtype = Dtype::int64}));
  Tensor loss = (layout(all.output) * probe).sum() + all.h_n.sum();
  if (lstm) loss = loss + all.c_n.sum();
  loss.backward();
  std::vector<Tensor> batch_grads;
  for (const Tensor& p : layer.parameters()) batch_grads.push_back(p.grad().clone());

  // Each sequence alone.
  layer.zero_grad();
  for (int64_t n = 0; n < batch; ++n) {
    SCOPED_TRACE("sequence " + std::to_string(n));
    const int64_t length = lengths[static_cast<size_t>(n)];
    Tensor alone = padded.narrow(0, 0, length).narrow(1, n, 1);
    Tensor xn = layout(alone).contiguous().detach().clone().requires_grad_(true);
    Tensor hn = h0.narrow(1, n, 1), cn = lstm ? c0.narrow(1, n, 1) : Tensor();
    nn::RecurrentOutput one = layer.forward(xn, {hn, cn});
    Tensor probe_n = probe.narrow(0, 0, length).narrow(1, n, 1);
    Tensor loss_n = (layout(one.output) * probe_n).sum() + one.h_n.sum();
    if (lstm) loss_n = loss_n + one.c_n.sum();
    loss_n.backward();

    Tensor row = layout(all.output).narrow(1, n, 1);
    EXPECT_TRUE(tensors_close(row.narrow(0, 0, length), layout(one.output), 1e-12, 1e-13));
    EXPECT_TRUE(equal(row.narrow(0, length, steps - length),
                      zeros({steps - length, 1, row.size(2)}, {.dtype = f64})))
        << "output at padded steps";
    EXPECT_TRUE(tensors_close(all.h_n.narrow(1, n, 1), one.h_n, 1e-12, 1e-13));
    if (lstm) {
      EXPECT_TRUE(tensors_close(all.c_n.narrow(1, n, 1), one.c_n, 1e-12, 1e-13));
    }
    Tensor grad_row = layout(x.grad()).narrow(1, n, 1);
    EXPECT_TRUE(tensors_close(grad_row.narrow(0, 0, length), layout(xn.grad()), 1e-12, 1e-13));
    EXPECT_TRUE(equal(grad_row.narrow(0, length, steps - length),
                      zeros({steps - length, 1, padded.size(2)}, {.dtype = f64})))
        << "gradient at padded steps";
  }
  std::vector<Tensor> parameters = layer.parameters();
  for (size_t i = 0; i < parameters.size(); ++i) {
    EXPECT_TRUE(tensors_close(parameters[i].grad(), batch_grads[i], 1e-11, 1e-12))
        << "parameter " << i;
  }
}

TEST(RecurrentLengths, PaddedAndUnpaddedRunsAgree) {
  manual_seed(5);
  nn::LSTM lstm(
      {.input_size = 3, .hidden_size = 4, .num_layers = 2, .bidirectional = true, .dtype = f64});
  {
    SCOPED_TRACE("LSTM");
    expect_padding_is_invisible(lstm, false);
  }
  nn::GRU gru({.input_size = 3,
               .hidden_size = 4,
               .num_layers = 2,
               .batch_first = true,
               .bidirectional = true,
               .dtype = f64});
  {
    SCOPED_TRACE("GRU");
    expect_padding_is_invisible(gru, true);
  }
  nn::RNN rnn({.input_size = 3,
               .hidden_size = 4,
               .nonlinearity = "relu",
               .bidirectional = true,
               .dtype = f64});
  {
    SCOPED_TRACE("RNN");
    expect_padding_is_invisible(rnn, false);
  }
}

TEST(RecurrentLengths, PaddingValuesDoNotMatter) {
  manual_seed(6);
  nn::LSTM lstm({.input_size = 2, .hidden_size = 3, .bidirectional = true});
  Tensor x = randn({5, 2, 2});
  Tensor lengths = lengths_of({2, 5});
  Tensor other = x.clone();
  other.narrow(0, 2, 3).select(1, 0).fill_(1e3);
  auto a = lstm.forward(x, {}, lengths), b = lstm.forward(other, {}, lengths);
  EXPECT_TRUE(equal(a.output, b.output));
  EXPECT_TRUE(equal(a.h_n, b.h_n));
  EXPECT_TRUE(equal(a.c_n, b.c_n));
  // Full lengths are the same as no lengths.
  auto full = lstm.forward(x, {}, lengths_of({5, 5}));
  EXPECT_TRUE(equal(full.output, lstm(x)));
}

// ---------------------------------------------------------------------------------------------
// Truncated backpropagation through time.

TEST(RecurrentTbptt, DetachedStateStopsGradientsAtTheChunkBoundary) {
  manual_seed(7);
  nn::LSTM lstm({.input_size = 2, .hidden_size = 3, .num_layers = 2, .dtype = f64});
  Tensor sequence = randn({8, 2, 2}, {.dtype = f64});
  Tensor first = sequence.narrow(0, 0, 4).clone().requires_grad_(true);
  Tensor second = sequence.narrow(0, 4, 4).clone().requires_grad_(true);

  nn::RecurrentOutput chunk1 = lstm.forward(first, {});
  nn::RecurrentState carried = nn::RecurrentState{chunk1.h_n, chunk1.c_n}.detach();
  EXPECT_FALSE(carried.h.requires_grad());
  EXPECT_FALSE(carried.c.requires_grad());
  EXPECT_TRUE(equal(carried.h, chunk1.h_n));
  lstm.zero_grad();
  nn::RecurrentOutput chunk2 = lstm.forward(second, carried);
  chunk2.output.pow(2).sum().backward();
  EXPECT_FALSE(first.grad().defined()) << "the gradient reached chunk 1";
  std::vector<Tensor> grads;
  for (const Tensor& p : lstm.parameters()) grads.push_back(p.grad().clone());

  // The same as running chunk 2 alone from a fresh copy of the state.
  lstm.zero_grad();
  Tensor alone = second.detach().clone().requires_grad_(true);
  lstm.forward(alone, {carried.h.clone(), carried.c.clone()}).output.pow(2).sum().backward();
  EXPECT_TRUE(equal(alone.grad(), second.grad()));
  std::vector<Tensor> parameters = lstm.parameters();
  for (size_t i = 0; i < grads.size(); ++i) EXPECT_TRUE(equal(parameters[i].grad(), grads[i]));

  // Without detach the gradient does flow back into chunk 1 (the test can fail).
  nn::RecurrentOutput again = lstm.forward(first, {});
  lstm.forward(second, {again.h_n, again.c_n}).output.pow(2).sum().backward();
  ASSERT_TRUE(first.grad().defined());
  EXPECT_GT(first.grad().abs().sum().item<double>(), 0.0);
  // An empty state detaches to an empty state.
  EXPECT_FALSE(nn::RecurrentState{}.detach().h.defined());
}

// ---------------------------------------------------------------------------------------------
// Parameters, state dicts, dropout, printing.

TEST(Recurrent, ParameterNamesShapesAndInitialization) {
  nn::GRU gru({.input_size = 5, .hidden_size = 4, .num_layers = 2, .bidirectional = true});
  const std::vector<std::string> expected{
      "weight_ih_l0",         "weight_hh_l0",         "bias_ih_l0",         "bias_hh_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      "weight_ih_l1",         "weight_hh_l1",         "bias_ih_l1",         "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
  EXPECT_EQ(gru.named_parameters().keys(), expected);
  EXPECT_EQ(gru.weight_ih(0).shape(), (Shape{12, 5}));
  EXPECT_EQ(gru.weight_ih(1, 1).shape(), (Shape{12, 8}));
  EXPECT_EQ(gru.weight_hh(1, 1).shape(), (Shape{12, 4}));
  EXPECT_EQ(gru.bias_hh(0, 1).shape(), (Shape{12}));
  EXPECT_TRUE(gru.weight_ih(1, 1).is_same(gru.named_parameters()["weight_ih_l1_reverse"]));
  expect_error<IndexError>([&] { gru.weight_ih(2); }, {"GRU", "layer 2"});
  for (const Tensor& p : gru.parameters()) {
    EXPECT_LE(p.abs().max().item<double>(), 0.5);  // 1 / sqrt(4)
    EXPECT_GT(p.abs().max().item<double>(), 0.3);  // drawn over the whole range
  }
  nn::LSTM no_bias({.input_size = 2, .hidden_size = 3, .bias = false});
  EXPECT_EQ(no_bias.named_parameters().keys(),
            (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0"}));
  EXPECT_FALSE(no_bias.bias_ih(0).defined());
  nn::LSTMCell cell({.input_size = 2, .hidden_size = 3});
  EXPECT_EQ(cell.named_parameters().keys(),
            (std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}));
  EXPECT_EQ(cell.weight_hh.shape(), (Shape{12, 3}));
}

TEST(Recurrent, StateDictRoundTripIsBitExact) {
  manual_seed(8);
  nn::LSTM source({.input_size = 3, .hidden_size = 4, .num_layers = 2, .bidirectional = true});
  manual_seed(9);
  nn::LSTM fresh({.input_size = 3, .hidden_size = 4, .num_layers = 2, .bidirectional = true});
  Tensor x = randn({5, 2, 3});
  EXPECT_FALSE(equal(source(x), fresh(x)));
  fresh.load_state_dict(testing::snapshot(source.state_dict()));
  EXPECT_TRUE(testing::state_dicts_equal(fresh.state_dict(), source.state_dict()));
  nn::RecurrentOutput a = source.forward(x, {}), b = fresh.forward(x, {});
  EXPECT_TRUE(equal(a.output, b.output));
  EXPECT_TRUE(equal(a.h_n, b.h_n));
  EXPECT_TRUE(equal(a.c_n, b.c_n));

  nn::GRUCell cell_source({.input_size = 3, .hidden_size = 2});
  nn::GRUCell cell_fresh({.input_size = 3, .hidden_size = 2});
  cell_fresh.load_state_dict(testing::snapshot(cell_source.state_dict()));
  EXPECT_TRUE(equal(cell_source(x.select(0, 0)), cell_fresh(x.select(0, 0))));
}

TEST(Recurrent, DropoutOnlyBetweenLayersAndOnlyInTraining) {
  manual_seed(10);
  nn::GRU gru({.input_size = 3, .hidden_size = 8, .num_layers = 2, .dropout = 0.5});
  Tensor x = randn({6, 4, 3});
  gru.eval();
  nn::RecurrentOutput evaluated = gru.forward(x, {});
  EXPECT_TRUE(equal(evaluated.output, gru(x)));
  gru.train();
  nn::RecurrentOutput trained = gru.forward(x, {});
  // The first layer sees the input undropped; the second sees the first's output dropped.
  EXPECT_TRUE(equal(trained.h_n.select(0, 0), evaluated.h_n.select(0, 0)));
  EXPECT_FALSE(equal(trained.output, evaluated.output));
  EXPECT_FALSE(equal(trained.output, gru.forward(x, {}).output)) << "a fresh mask per call";
  // No dropout after the last layer: one layer trains exactly as it evaluates.
  nn::LSTM single({.input_size = 3, .hidden_size = 8, .dropout = 0.5});
  Tensor y = single(x);
  single.eval();
  EXPECT_TRUE(equal(y, single(x)));
}

TEST(Recurrent, SitsInSequentialAndTakesBatchFirstInput) {
  manual_seed(11);
  nn::Sequential net{nn::LSTM({.input_size = 3, .hidden_size = 4, .batch_first = true}),
                     nn::Linear({.in_features = 4, .out_features = 2})};
  Tensor y = net(randn({5, 7, 3}));
  EXPECT_EQ(y.shape(), (Shape{5, 7, 2}));
  nn::GRU gru({.input_size = 3,
               .hidden_size = 4,
               .num_layers = 2,
               .batch_first = true,
               .bidirectional = true});
  Tensor x = randn({5, 7, 3});
  nn::RecurrentOutput r = gru.forward(x, {});
  EXPECT_EQ(r.output.shape(), (Shape{5, 7, 8}));
  EXPECT_EQ(r.h_n.shape(), (Shape{4, 5, 4}));
  // Unbatched input drops the batch dim everywhere.
  nn::RecurrentOutput u = gru.forward(x.select(0, 2), {});
  EXPECT_EQ(u.output.shape(), (Shape{7, 8}));
  EXPECT_EQ(u.h_n.shape(), (Shape{4, 4}));
  EXPECT_TRUE(tensors_close(u.output, r.output.select(0, 2), 1e-5, 1e-6));
}

TEST(Recurrent, PrintsLikePyTorch) {
  EXPECT_EQ(nn::to_string(nn::LSTM(
                {.input_size = 28, .hidden_size = 128, .num_layers = 2, .batch_first = true})),
            "LSTM(28, 128, num_layers=2, batch_first=true)");
  EXPECT_EQ(nn::to_string(nn::GRU({.input_size = 4,
                                   .hidden_size = 8,
                                   .bias = false,
                                   .dropout = 0.25,
                                   .bidirectional = true})),
            "GRU(4, 8, bias=false, dropout=0.25, bidirectional=true)");
  EXPECT_EQ(nn::to_string(nn::RNN({.input_size = 4, .hidden_size = 8, .nonlinearity = "relu"})),
            "RNN(4, 8, nonlinearity=relu)");
  EXPECT_EQ(nn::to_string(nn::RNNCell(
                {.input_size = 4, .hidden_size = 8, .bias = false, .nonlinearity = "relu"})),
            "RNNCell(4, 8, bias=false, nonlinearity=relu)");
  EXPECT_EQ(nn::to_string(nn::LSTMCell({.input_size = 4, .hidden_size = 8})), "LSTMCell(4, 8)");
  EXPECT_EQ(nn::to_string(nn::GRUCell({.input_size = 4, .hidden_size = 8})), "GRUCell(4, 8)");
}

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(RecurrentErrors, BadOptions) {
  expect_error<ValueError>([] { nn::LSTM({.input_size = 0, .hidden_size = 3}); },
                           {"LSTM", "input_size", "0"});
  expect_error<ValueError>([] { nn::GRU({.input_size = 2, .hidden_size = -1}); },
                           {"GRU", "hidden_size", "-1"});
  expect_error<ValueError>([] { nn::RNN({.input_size = 2, .hidden_size = 3, .num_layers = 0}); },
                           {"RNN", "num_layers", "0"});
  expect_error<ValueError>([] { nn::LSTM({.input_size = 2, .hidden_size = 3, .dropout = 1.5}); },
                           {"LSTM", "dropout", "1.5"});
  expect_error<ValueError>(
      [] { nn::RNN({.input_size = 2, .hidden_size = 3, .nonlinearity = "sigmoid"}); },
      {"RNN", "nonlinearity", "sigmoid"});
  expect_error<ValueError>(
      [] { nn::GRU({.input_size = 2, .hidden_size = 3, .dtype = Dtype::int64}); },
      {"GRU", "dtype", "int64"});
  expect_error<ValueError>([] { nn::RNNCell({.input_size = 2, .hidden_size = 0}); },
                           {"RNNCell", "hidden_size", "0"});
  expect_error<ValueError>(
      [] { nn::RNNCell({.input_size = 2, .hidden_size = 3, .nonlinearity = "gelu"}); },
      {"RNNCell", "nonlinearity", "gelu"});
  expect_error<ValueError>([] { nn::LSTMCell({.input_size = -2, .hidden_size = 3}); },
                           {"LSTMCell", "input_size", "-2"});
  expect_error<ValueError>([] { nn::GRUCell({.input_size = 2, .hidden_size = 0}); },
                           {"GRUCell", "hidden_size", "0"});
}

TEST(RecurrentErrors, BadInputsStatesAndLengths) {
  nn::LSTM lstm({.input_size = 3, .hidden_size = 4, .num_layers = 2});
  Tensor x = randn({7, 5, 3});
  expect_error<ShapeError>(
      [&] {
        lstm(randn({7, 5, 3, 1}));
      },
      {"LSTM", "[T, N, 3]", "[7, 5, 3, 1]"});
  expect_error<ShapeError>([&] { lstm(randn({7})); }, {"LSTM", "[7]"});
  expect_error<ShapeError>([&] { lstm(randn({7, 5, 2})); }, {"LSTM", "3]", "[7, 5, 2]"});
  expect_error<ShapeError>([&] { lstm(randn({0, 5, 3})); }, {"LSTM", "[0, 5, 3]"});
  expect_error<ValueError>(
      [&] {
        lstm(randn({7, 5, 3}, {.dtype = f64}));
      },
      {"LSTM", "float64", "float32"});
  expect_error<ValueError>([&] { lstm(Tensor()); }, {"LSTM", "undefined"});
  expect_error<ShapeError>(
      [&] {
        lstm.forward(x, {zeros({1, 5, 4}), Tensor()});
      },
      {"LSTM", "initial h", "[2, 5, 4]", "[1, 5, 4]"});
  expect_error<ShapeError>(
      [&] {
        lstm.forward(x, {Tensor(), zeros({2, 4})});
      },
      {"LSTM", "initial c", "[2, 5, 4]", "[2, 4]"});
  nn::GRU gru({.input_size = 3, .hidden_size = 4, .batch_first = true});
  expect_error<ValueError>(
      [&] {
        gru.forward(x, {zeros({1, 7, 4}), zeros({1, 7, 4})});
      },
      {"GRU", "only for LSTM"});
  expect_error<ShapeError>([&] { gru(randn({7, 5})); }, {"GRU", "[N, T, 3]", "[7, 5]"});

  expect_error<ValueError>(
      [&] {
        lstm.forward(x, {}, lengths_of({7, 3, 9, 1, 2}));
      },
      {"LSTM: lengths[2] = 9 is longer than the sequence (T = 7)"});
  expect_error<ValueError>(
      [&] {
        lstm.forward(x, {}, lengths_of({7, 3, 0, 1, 2}));
      },
      {"LSTM", "lengths[2] = 0", "at least 1"});
  expect_error<ShapeError>(
      [&] {
        lstm.forward(x, {}, lengths_of({7, 3, 2}));
      },
      {"LSTM", "lengths", "[5]", "[3]"});
  expect_error<ValueError>(
      [&] {
        lstm.forward(x, {}, tensor({7, 3, 2, 1, 1}));
      },
      {"LSTM", "lengths", "int64", "float32"});

  nn::GRUCell cell({.input_size = 3, .hidden_size = 4});
  expect_error<ShapeError>([&] { cell(randn({2, 5})); }, {"GRUCell", "[N, 3]", "[2, 5]"});
  expect_error<ShapeError>(
      [&] {
        cell.forward(randn({2, 3}), randn({3, 4}));
      },
      {"GRUCell", "hx", "[2, 4]", "[3, 4]"});
  nn::LSTMCell lstm_cell({.input_size = 3, .hidden_size = 4});
  expect_error<ShapeError>(
      [&] {
        lstm_cell.forward(randn({3}), {randn({4}), randn({1, 4})});
      },
      {"LSTMCell", "c", "[4]", "[1, 4]"});
}

}  // namespace
}  // namespace cajal
