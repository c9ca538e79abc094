#pragma once
// Recurrent layers, as torch.nn.RNN / LSTM / GRU and their single-step cells RNNCell / LSTMCell /
// GRUCell (PyTorch 1.13 semantics, parameter names and gate order, so a PyTorch state_dict loads
// unchanged).
//
//   nn::LSTM lstm({.input_size = 28, .hidden_size = 128, .num_layers = 2, .batch_first = true});
//   Tensor y = lstm(x);                                   // x: [N, T, 28] -> y: [N, T, 128]
//   auto [output, h_n, c_n] = lstm.forward(x, {}, lengths);  // variable-length batch
//
// Shapes (D = 2 when bidirectional, else 1; L = num_layers; H = hidden_size):
//   input   [T, N, input_size], [N, T, input_size] with batch_first, or unbatched [T, input_size]
//   output  [T, N, D*H] ([N, T, D*H] with batch_first; [T, D*H] unbatched)
//   h, c    [D*L, N, H] (never batch-first; [D*L, H] unbatched). Undefined means zeros.
//   lengths int64 [N], each in [1, T]: row n holds a real sequence at steps t < lengths[n] and
//           padding after. Padded steps change neither outputs nor gradients: the output there is
//           0, h_n / c_n hold the state after each row's last real step, and the reverse
//           direction starts at each row's own last real step (PyTorch's packed sequences).
//
// Every parameter starts U(-1/sqrt(H), 1/sqrt(H)), as in PyTorch. The layers are composites of
// differentiable ops, so gradients of any order flow through them.
#include <cstdint>
#include <string>
#include <vector>

#include "cajal/nn/module.h"

namespace cajal::nn {

// ---------------------------------------------------------------------------------------------
// Cells: one time step.

struct RNNCellOptions {
  int64_t input_size = 0;   // required, > 0
  int64_t hidden_size = 0;  // required, > 0
  bool bias = true;
  std::string nonlinearity = "tanh";  // "tanh" or "relu"
  Dtype dtype = Dtype::float32;       // float32 or float64
};

// h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh).
class RNNCell : public Module {
 public:
  // ValueError naming the option for a non-positive size, an unknown nonlinearity or a
  // non-floating dtype.
  explicit RNNCell(RNNCellOptions options);
  // input: [N, input_size] or [input_size]; hx: [N, H] or [H] (matching), undefined = zeros.
  // -> h': [N, H] or [H]. ShapeError naming the cell for any other shape.
  Tensor forward(const Tensor& input, const Tensor& hx);
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  std::string extra_repr() const override;  // "4, 8" then ", bias=false", ", nonlinearity=relu"
  void reset_parameters();                  // U(-1/sqrt(H), 1/sqrt(H)) for every parameter
  const RNNCellOptions& options() const { return options_; }

  Tensor weight_ih;  // [H, input_size]
  Tensor weight_hh;  // [H, H]
  Tensor bias_ih;    // [H], undefined without bias
  Tensor bias_hh;    // [H], undefined without bias

 private:
  RNNCellOptions options_;
};

struct LSTMCellOptions {
  int64_t input_size = 0;   // required, > 0
  int64_t hidden_size = 0;  // required, > 0
  bool bias = true;
  Dtype dtype = Dtype::float32;
};

// The state of an LSTM cell. Undefined tensors mean zeros.
struct LSTMState {
  Tensor h;
  Tensor c;
};

// Hochreiter & Schmidhuber (1997), with the forget gate of Gers et al. (2000), in PyTorch's form:
// gates i, f, g, o (in that order along the 4H rows of the weights); c' = f*c + i*g,
// h' = o*tanh(c').
class LSTMCell : public Module {
 public:
  explicit LSTMCell(LSTMCellOptions options);
  // input: [N, input_size] or [input_size]; state.h, state.c: [N, H] or [H]. -> {h', c'}.
  LSTMState forward(const Tensor& input, const LSTMState& state);
  Tensor forward(const Tensor& input) override { return forward(input, LSTMState{}).h; }
  std::string extra_repr() const override;  // "4, 8" then ", bias=false"
  void reset_parameters();
  const LSTMCellOptions& options() const { return options_; }

  Tensor weight_ih;  // [4H, input_size]
  Tensor weight_hh;  // [4H, H]
  Tensor bias_ih;    // [4H]
  Tensor bias_hh;    // [4H]

 private:
  LSTMCellOptions options_;
};

struct GRUCellOptions {
  int64_t input_size = 0;   // required, > 0
  int64_t hidden_size = 0;  // required, > 0
  bool bias = true;
  Dtype dtype = Dtype::float32;
};

// Cho et al. (2014), in PyTorch's form: gates r, z, n (in that order along the 3H rows);
// n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
class GRUCell : public Module {
 public:
  explicit GRUCell(GRUCellOptions options);
  // input: [N, input_size] or [input_size]; hx: [N, H] or [H], undefined = zeros.
  Tensor forward(const Tensor& input, const Tensor& hx);
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  std::string extra_repr() const override;
  void reset_parameters();
  const GRUCellOptions& options() const { return options_; }

  Tensor weight_ih;  // [3H, input_size]
  Tensor weight_hh;  // [3H, H]
  Tensor bias_ih;    // [3H]
  Tensor bias_hh;    // [3H]

 private:
  GRUCellOptions options_;
};

// ---------------------------------------------------------------------------------------------
// Layers: whole sequences, stacked and optionally bidirectional.

struct RNNOptions {
  int64_t input_size = 0;             // required, > 0
  int64_t hidden_size = 0;            // required, > 0
  int64_t num_layers = 1;             // >= 1
  std::string nonlinearity = "tanh";  // "tanh" or "relu"
  bool bias = true;
  bool batch_first = false;  // input and output [N, T, ...]; states stay [D*L, N, H]
  double dropout = 0.0;      // in [0, 1]: on the outputs of every layer but the last, in training
  bool bidirectional = false;
  Dtype dtype = Dtype::float32;
};

struct LSTMOptions {
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;
  double dropout = 0.0;
  bool bidirectional = false;
  Dtype dtype = Dtype::float32;
};

struct GRUOptions {
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;
  double dropout = 0.0;
  bool bidirectional = false;
  Dtype dtype = Dtype::float32;
};

// Initial or final state of a layer: h (and c, LSTM only) [D*L, N, H]. Undefined means zeros.
struct RecurrentState {
  Tensor h;
  Tensor c;
  // The same values cut from the graph, for truncated backpropagation through time: carry the
  // detached state into the next chunk so its gradients stop at the chunk boundary.
  RecurrentState detach() const;
};

struct RecurrentOutput {
  Tensor output;  // [T, N, D*H] (batch_first: [N, T, D*H])
  Tensor h_n;     // [D*L, N, H]
  Tensor c_n;     // [D*L, N, H], LSTM only (undefined for RNN and GRU)
};

namespace detail {

enum class RecurrentKind { rnn_tanh, rnn_relu, lstm, gru };

// The options every recurrent layer shares.
struct RecurrentConfig {
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;
  double dropout = 0.0;
  bool bidirectional = false;
  Dtype dtype = Dtype::float32;
};

// The machinery shared by RNN, LSTM and GRU: parameters weight_ih_l{k}[_reverse], weight_hh_...,
// bias_ih_..., bias_hh_... registered in PyTorch's order, validation, and the time loop.
class RecurrentBase : public Module {
 public:
  // The output sequence only, so the layer can sit in a Sequential.
  Tensor forward(const Tensor& input) override;
  // input and lengths as in the file comment; initial.h / initial.c: [D*L, N, H] or undefined.
  // ShapeError naming the layer for a wrong input, state or lengths shape; ValueError for
  // lengths outside [1, T], a non-int64 lengths, a c given to RNN or GRU, or a dtype mismatch.
  RecurrentOutput forward(const Tensor& input, const RecurrentState& initial,
                          const Tensor& lengths = Tensor());
  // "28, 128, num_layers=2, batch_first=true": the options that differ from their defaults.
  std::string extra_repr() const override;
  void reset_parameters();  // U(-1/sqrt(H), 1/sqrt(H)) for every parameter

  int64_t num_directions() const { return config_.bidirectional ? 2 : 1; }
  // The parameters of one layer and direction (0 forward, 1 reverse); biases undefined without
  // bias. IndexError for a layer or direction out of range.
  Tensor weight_ih(int64_t layer, int64_t direction = 0) const;  // [G*H, in_k]
  Tensor weight_hh(int64_t layer, int64_t direction = 0) const;  // [G*H, H]
  Tensor bias_ih(int64_t layer, int64_t direction = 0) const;    // [G*H]
  Tensor bias_hh(int64_t layer, int64_t direction = 0) const;    // [G*H]

 protected:
  RecurrentBase(std::string type_name, RecurrentKind kind, RecurrentConfig config);

 private:
  struct Weights {
    Tensor weight_ih, weight_hh, bias_ih, bias_hh;
  };
  const Weights& weights(int64_t layer, int64_t direction) const;
  // The LSTM layers over x [T, N, in] with checked states [D*L, N, H] (or undefined) and the
  // lengths of padded sequences (empty when none is padded).
  RecurrentOutput forward_lstm(const Tensor& x, const Tensor& h0, const Tensor& c0,
                               const std::vector<int64_t>& lengths, bool batched);

  RecurrentKind kind_;
  RecurrentConfig config_;
  std::vector<Weights> weights_;  // index layer * D + direction
};

}  // namespace detail

// Elman network: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.
class RNN : public detail::RecurrentBase {
 public:
  // ValueError naming the option for a non-positive size, num_layers < 1, dropout outside
  // [0, 1], an unknown nonlinearity or a non-floating dtype.
  explicit RNN(RNNOptions options);
  const RNNOptions& options() const { return options_; }

 private:
  RNNOptions options_;
};

class LSTM : public detail::RecurrentBase {
 public:
  explicit LSTM(LSTMOptions options);
  const LSTMOptions& options() const { return options_; }

 private:
  LSTMOptions options_;
};

class GRU : public detail::RecurrentBase {
 public:
  explicit GRU(GRUOptions options);
  const GRUOptions& options() const { return options_; }

 private:
  GRUOptions options_;
};

}  // namespace cajal::nn
