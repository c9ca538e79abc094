// lstm_layer (ops/recurrent_cell.h), the fused LSTM recurrence, against the same recurrence
// written step by step in generic ops: outputs, final states and every gradient (float64 to
// 1e-12, float32 to 1e-5), with and without bias, initial states and padding, in both directions,
// on odd sizes and a non-contiguous gates_x; gradcheck and gradgradcheck (the create_graph path);
// bad arguments.
#include "cajal/ops/recurrent_cell.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::expect_error;
using testing::tensors_close;

// The composite definition: nn::LSTM's time loop before the fused op.
LstmLayerOutput composite_layer(const Tensor& gates_x, const Tensor& weight_hh, const Tensor& bias,
                                const Tensor& h0, const Tensor& c0,
                                const std::vector<int64_t>& lengths, bool reverse) {
  const int64_t steps = gates_x.size(0), n = gates_x.size(1), h = weight_hh.size(1);
  Tensor hs = h0.defined() ? h0 : zeros({n, h}, {.dtype = gates_x.dtype()});
  Tensor cs = c0.defined() ? c0 : zeros({n, h}, {.dtype = gates_x.dtype()});
  std::vector<Tensor> out(static_cast<size_t>(steps));
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t t = reverse ? steps - 1 - s : s;
    Tensor pre = gates_x.select(0, t) + matmul(hs, weight_hh.transpose(0, 1));
    if (bias.defined()) pre = pre + bias;
    std::vector<Tensor> g = chunk(pre, 4, 1);
    Tensor c = sigmoid(g[1]) * cs + sigmoid(g[0]) * tanh(g[2]);
    Tensor hn = sigmoid(g[3]) * tanh(c);
    if (!lengths.empty()) {
      std::vector<double> flags;
      for (int64_t len : lengths) flags.push_back(t < len ? 1.0 : 0.0);
      Tensor real = (from_vector(flags) > 0.5).unsqueeze(1);
      hs = where(real, hn, hs);
      cs = where(real, c, cs);
      out[static_cast<size_t>(t)] = where(real, hn, 0.0);
    } else {
      hs = hn;
      cs = c;
      out[static_cast<size_t>(t)] = hn;
    }
  }
  return {stack(out, 0), hs, cs};
}

Tensor flat(const LstmLayerOutput& r) {
  return cat({r.output.reshape({-1}), r.h_n.reshape({-1}), r.c_n.reshape({-1})});
}

struct Case {
  int64_t steps, n, h;
  bool bias, states, padded, reverse;
};

std::string name_of(const Case& c) {
  return "T=" + std::to_string(c.steps) + " N=" + std::to_string(c.n) +
         " H=" + std::to_string(c.h) + (c.bias ? " bias" : "") + (c.states ? " states" : "") +
         (c.padded ? " padded" : "") + (c.reverse ? " reverse" : "");
}

void expect_matches_composite(Dtype dtype, const Case& k, bool transposed_gates) {
  SCOPED_TRACE(name_of(k) + (transposed_gates ? " transposed" : ""));
  const double tol = dtype == Dtype::float64 ? 1e-12 : 1e-5;
  const TensorOptions o{.dtype = dtype};
  Tensor gates_x = transposed_gates
                       ? randn({k.n, k.steps, 4 * k.h}, o).transpose(0, 1).requires_grad_(true)
                       : randn({k.steps, k.n, 4 * k.h}, o).requires_grad_(true);
  Tensor w = (randn({4 * k.h, k.h}, o) * 0.5).requires_grad_(true);
  Tensor b = k.bias ? randn({4 * k.h}, o).requires_grad_(true) : Tensor();
  Tensor h0 = k.states ? randn({k.n, k.h}, o).requires_grad_(true) : Tensor();
  Tensor c0 = k.states ? randn({k.n, k.h}, o).requires_grad_(true) : Tensor();
  std::vector<int64_t> lengths;
  if (k.padded) {
    for (int64_t r = 0; r < k.n; ++r) lengths.push_back(1 + (r * 7 + 3) % k.steps);
  }
  LstmLayerOutput fused = lstm_layer(gates_x, w, b, h0, c0, lengths, k.reverse);
  LstmLayerOutput ref = composite_layer(gates_x, w, b, h0, c0, lengths, k.reverse);
  EXPECT_TRUE(tensors_close(fused.output, ref.output, tol, tol));
  EXPECT_TRUE(tensors_close(fused.h_n, ref.h_n, tol, tol));
  EXPECT_TRUE(tensors_close(fused.c_n, ref.c_n, tol, tol));

  std::vector<Tensor> inputs{gates_x, w};
  if (k.bias) inputs.push_back(b);
  if (k.states) inputs.insert(inputs.end(), {h0, c0});
  Tensor seed = randn({flat(ref).numel()}, o);
  std::vector<Tensor> got = autograd::grad({flat(fused)}, inputs, {seed});
  std::vector<Tensor> expected = autograd::grad({flat(ref)}, inputs, {seed});
  for (size_t i = 0; i < inputs.size(); ++i) {
    SCOPED_TRACE("gradient " + std::to_string(i));
    EXPECT_TRUE(tensors_close(got[i], expected[i], tol, tol));
  }
}

class LstmLayerOp : public ::testing::TestWithParam<Dtype> {};

TEST_P(LstmLayerOp, MatchesTheCompositeRecurrence) {
  manual_seed(21);
  const std::vector<Case> cases{
      {1, 1, 1, true, false, false, false},  {1, 3, 5, false, true, false, false},
      {5, 3, 17, true, false, false, false}, {5, 3, 17, true, true, false, true},
      {6, 4, 7, true, true, true, false},    {6, 4, 7, false, false, true, true},
      {3, 2, 33, true, false, true, false},  {4, 5, 16, true, true, false, false}};
  for (const Case& k : cases) {
    expect_matches_composite(GetParam(), k, /*transposed_gates=*/false);
  }
  expect_matches_composite(GetParam(), {4, 3, 9, true, true, true, true},
                           /*transposed_gates=*/true);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, LstmLayerOp, ::testing::Values(Dtype::float32, Dtype::float64));

// First and second order (the second runs the backward in differentiable ops).
TEST(LstmLayerGradcheck, FirstAndSecondOrder) {
  manual_seed(22);
  const TensorOptions o{.dtype = Dtype::float64};
  for (bool padded : {false, true}) {
    for (bool reverse : {false, true}) {
      SCOPED_TRACE(std::string(padded ? "padded" : "full") + (reverse ? " reverse" : ""));
      std::vector<int64_t> lengths = padded ? std::vector<int64_t>{3, 1} : std::vector<int64_t>{};
      std::vector<Tensor> inputs{
          randn({3, 2, 12}, o).requires_grad_(true), (randn({12, 3}, o) * 0.5).requires_grad_(true),
          randn({12}, o).requires_grad_(true), randn({2, 3}, o).requires_grad_(true),
          randn({2, 3}, o).requires_grad_(true)};
      auto run = [&](const std::vector<Tensor>& v) {
        return flat(lstm_layer(v[0], v[1], v[2], v[3], v[4], lengths, reverse));
      };
      auto result = autograd::gradcheck(run, inputs, {.check_second_order = true});
      EXPECT_TRUE(result.ok) << result.message;
    }
  }
  // Absent bias and states: the gradient reaches gates_x and weight_hh alone.
  std::vector<Tensor> inputs{randn({4, 3, 8}, o).requires_grad_(true),
                             (randn({8, 2}, o) * 0.5).requires_grad_(true)};
  auto run = [](const std::vector<Tensor>& v) {
    return flat(lstm_layer(v[0], v[1], Tensor(), Tensor(), Tensor()));
  };
  auto result = autograd::gradcheck(run, inputs, {.check_second_order = true});
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(LstmLayerErrors, BadArguments) {
  Tensor gx = randn({3, 2, 8}), w = randn({8, 2});
  expect_error<ShapeError>(
      [&] {
        lstm_layer(randn({2, 8}), w, Tensor(), Tensor(), Tensor());
      },
      {"lstm_layer", "gates_x"});
  expect_error<ShapeError>(
      [&] {
        lstm_layer(gx, randn({8, 3}), Tensor(), Tensor(), Tensor());
      },
      {"lstm_layer", "weight_hh"});
  expect_error<ShapeError>([&] { lstm_layer(gx, w, randn({7}), Tensor(), Tensor()); },
                           {"lstm_layer", "bias"});
  expect_error<ShapeError>(
      [&] {
        lstm_layer(gx, w, Tensor(), randn({2, 3}), Tensor());
      },
      {"lstm_layer", "h0"});
  expect_error<ValueError>(
      [&] {
        lstm_layer(gx, w, Tensor(), Tensor(), randn({2, 2}, {.dtype = Dtype::float64}));
      },
      {"lstm_layer", "c0", "float64"});
  expect_error<ValueError>(
      [&] {
        lstm_layer(gx, w, Tensor(), Tensor(), Tensor(), {4, 1});
      },
      {"lstm_layer", "lengths[0] = 4"});
  expect_error<ShapeError>([&] { lstm_layer(gx, w, Tensor(), Tensor(), Tensor(), {1}); },
                           {"lstm_layer", "lengths"});
}

}  // namespace
}  // namespace cajal
