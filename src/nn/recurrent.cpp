// Recurrent cells and layers, written as composites of differentiable ops (so double backward
// works). The time loop keeps each step's tensors separate instead of slicing one [T, N, ...]
// tensor that requires grad: every slice of such a tensor would, in backward, materialize a
// gradient of the whole tensor, making backward quadratic in T. Per step, the input and hidden
// projections of RNN share one matmul: [x_t, h] @ [W_ih, W_hh]^T. LSTM instead runs as one fused
// op per layer and direction (ops/recurrent_cell.h).
#include "cajal/nn/recurrent.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "cajal/core/creation.h"
#include "cajal/nn/init.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/dropout.h"
#include "cajal/ops/linalg.h"
#include "cajal/ops/manipulation.h"
#include "cajal/ops/math.h"
#include "cajal/ops/recurrent_cell.h"
#include "cajal/ops/view.h"
#include "repr.h"

namespace cajal::nn {

using detail::RecurrentKind;

namespace {

int64_t gate_count(RecurrentKind kind) {
  switch (kind) {
    case RecurrentKind::lstm:
      return 4;
    case RecurrentKind::gru:
      return 3;
    default:
      return 1;
  }
}

void check_positive(const std::string& type, const char* option, int64_t value) {
  if (value <= 0) {
    throw ValueError(type + ": " + option + " must be positive, got " + std::to_string(value));
  }
}

void check_common(const std::string& type, int64_t input_size, int64_t hidden_size, Dtype dtype) {
  check_positive(type, "input_size", input_size);
  check_positive(type, "hidden_size", hidden_size);
  if (!is_floating_point(dtype)) {
    throw ValueError(type + ": dtype must be float32 or float64, got " +
                     std::string(dtype_name(dtype)));
  }
}

RecurrentKind rnn_kind(const std::string& type, const std::string& nonlinearity) {
  if (nonlinearity == "tanh") return RecurrentKind::rnn_tanh;
  if (nonlinearity == "relu") return RecurrentKind::rnn_relu;
  throw ValueError(type + ": nonlinearity must be \"tanh\" or \"relu\", got \"" + nonlinearity +
                   "\"");
}

void reset_uniform(const std::vector<Tensor>& parameters, int64_t hidden_size) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  for (const Tensor& p : parameters) init::uniform_(p, -bound, bound);
}

// The weights of one cell (or one layer and direction) in the form the step uses.
struct StepWeights {
  RecurrentKind kind;
  Tensor weight_ih;     // [G*H, in]
  Tensor weight_hh;     // [G*H, H]
  Tensor weight_fused;  // RNN: [W_ih, W_hh] along dim 1, [H, in + H]
  Tensor bias;          // RNN: b_ih + b_hh; GRU: b_ih. Undefined without bias.
  Tensor bias_hh;       // GRU only

  StepWeights(RecurrentKind k, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
              const Tensor& b_hh)
      : kind(k), weight_ih(w_ih), weight_hh(w_hh) {
    if (kind == RecurrentKind::gru) {
      bias = b_ih;
      bias_hh = b_hh;
    } else {
      weight_fused = cat({w_ih, w_hh}, 1);
      if (b_ih.defined()) bias = b_ih + b_hh;
    }
  }
};

struct StepState {
  Tensor h;  // [N, H]; undefined means zeros
};

// One time step of an RNN or GRU (LSTM runs as one op over the whole sequence, lstm_layer).
// x: the step's input as pieces to concatenate along dim 1 ([N, in] in all).
StepState step(const StepWeights& w, const std::vector<Tensor>& x, const StepState& state) {
  if (w.kind == RecurrentKind::gru) {
    Tensor input = x.size() == 1 ? x[0] : cat(x, 1);
    std::vector<Tensor> gx = chunk(linear(input, w.weight_ih, w.bias), 3, 1);
    Tensor hidden = state.h.defined() ? linear(state.h, w.weight_hh, w.bias_hh) : w.bias_hh;
    if (!hidden.defined()) {  // zero state and no bias: the hidden part vanishes
      Tensor z = sigmoid(gx[1]);
      Tensor n = tanh(gx[2]);
      return {n - z * n};
    }
    std::vector<Tensor> gh = chunk(hidden, 3, hidden.dim() - 1);
    Tensor r = sigmoid(gx[0] + gh[0]);
    Tensor z = sigmoid(gx[1] + gh[1]);
    Tensor n = tanh(gx[2] + r * gh[2]);
    return {state.h.defined() ? n + z * (state.h - n) : n - z * n};
  }
  Tensor gates;
  if (state.h.defined()) {
    std::vector<Tensor> pieces = x;
    pieces.push_back(state.h);
    gates = linear(cat(pieces, 1), w.weight_fused, w.bias);
  } else {
    gates = linear(x.size() == 1 ? x[0] : cat(x, 1), w.weight_ih, w.bias);
  }
  return {w.kind == RecurrentKind::rnn_relu ? relu(gates) : tanh(gates)};
}

// Checks a cell's input ([N, in] or [in]) and returns it as [N, in].
Tensor cell_input(const std::string& type, const Tensor& input, int64_t input_size, Dtype dtype) {
  if (!input.defined()) throw ValueError(type + ": the input is undefined");
  if ((input.dim() != 1 && input.dim() != 2) || input.size(-1) != input_size) {
    throw ShapeError(type + ": expected input of shape [N, " + std::to_string(input_size) +
                     "] or [" + std::to_string(input_size) + "], got " +
                     shape_string(input.shape()));
  }
  if (input.dtype() != dtype) {
    throw ValueError(type + ": input dtype " + std::string(dtype_name(input.dtype())) +
                     " does not match the parameters' " + std::string(dtype_name(dtype)));
  }
  return input.dim() == 1 ? input.unsqueeze(0) : input;
}

// Checks a cell's state tensor against the (unbatched or batched) input; returns it as [N, H].
// An undefined state becomes zeros, so weight_hh gets a (zero) gradient as in PyTorch.
Tensor cell_state(const std::string& type, const char* name, const Tensor& state,
                  const Tensor& input, int64_t hidden_size) {
  if (!state.defined()) {
    return zeros({input.dim() == 2 ? input.size(0) : 1, hidden_size}, {.dtype = input.dtype()});
  }
  Shape expected{hidden_size};
  if (input.dim() == 2) expected.insert(expected.begin(), input.size(0));
  if (state.shape() != expected) {
    throw ShapeError(type + ": expected " + name + " of shape " + shape_string(expected) +
                     " for input " + shape_string(input.shape()) + ", got " +
                     shape_string(state.shape()));
  }
  if (state.dtype() != input.dtype()) {
    throw ValueError(type + ": " + name + " dtype " + std::string(dtype_name(state.dtype())) +
                     " does not match the input's " + std::string(dtype_name(input.dtype())));
  }
  return input.dim() == 1 ? state.unsqueeze(0) : state;
}

std::string cell_repr(int64_t input_size, int64_t hidden_size, bool bias) {
  std::string s = std::to_string(input_size) + ", " + std::to_string(hidden_size);
  if (!bias) s += ", bias=false";
  return s;
}

// Registers a cell's weight_ih, weight_hh, bias_ih, bias_hh (PyTorch's names and order) through
// `add`, Module::register_parameter of the cell.
template <typename Add, typename Options>
void add_cell_parameters(const Add& add, int64_t gates, const Options& options, Tensor& weight_ih,
                         Tensor& weight_hh, Tensor& bias_ih, Tensor& bias_hh) {
  const int64_t rows = gates * options.hidden_size;
  weight_ih = add("weight_ih", empty({rows, options.input_size}, options.dtype));
  weight_hh = add("weight_hh", empty({rows, options.hidden_size}, options.dtype));
  if (options.bias) {
    bias_ih = add("bias_ih", empty({rows}, options.dtype));
    bias_hh = add("bias_hh", empty({rows}, options.dtype));
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Cells.

RNNCell::RNNCell(RNNCellOptions options) : Module("RNNCell"), options_(options) {
  check_common("RNNCell", options.input_size, options.hidden_size, options.dtype);
  rnn_kind("RNNCell", options.nonlinearity);
  add_cell_parameters(
      [this](const std::string& name, Tensor t) { return register_parameter(name, t); }, 1, options,
      weight_ih, weight_hh, bias_ih, bias_hh);
  reset_parameters();
}

void RNNCell::reset_parameters() { reset_uniform(parameters(), options_.hidden_size); }

Tensor RNNCell::forward(const Tensor& input, const Tensor& hx) {
  Tensor x = cell_input("RNNCell", input, options_.input_size, weight_ih.dtype());
  Tensor h = cell_state("RNNCell", "hx", hx, input, options_.hidden_size);
  StepWeights w(rnn_kind("RNNCell", options_.nonlinearity), weight_ih, weight_hh, bias_ih, bias_hh);
  Tensor y = step(w, {x}, {h}).h;
  return input.dim() == 1 ? y.squeeze(0) : y;
}

std::string RNNCell::extra_repr() const {
  std::string s = cell_repr(options_.input_size, options_.hidden_size, options_.bias);
  if (options_.nonlinearity != "tanh") s += ", nonlinearity=" + options_.nonlinearity;
  return s;
}

LSTMCell::LSTMCell(LSTMCellOptions options) : Module("LSTMCell"), options_(options) {
  check_common("LSTMCell", options.input_size, options.hidden_size, options.dtype);
  add_cell_parameters(
      [this](const std::string& name, Tensor t) { return register_parameter(name, t); }, 4, options,
      weight_ih, weight_hh, bias_ih, bias_hh);
  reset_parameters();
}

void LSTMCell::reset_parameters() { reset_uniform(parameters(), options_.hidden_size); }

LSTMState LSTMCell::forward(const Tensor& input, const LSTMState& state) {
  Tensor x = cell_input("LSTMCell", input, options_.input_size, weight_ih.dtype());
  Tensor h = cell_state("LSTMCell", "h", state.h, input, options_.hidden_size);
  Tensor c = cell_state("LSTMCell", "c", state.c, input, options_.hidden_size);
  // One step of the fused recurrence (ops/recurrent_cell.h).
  Tensor bias = bias_ih.defined() ? bias_ih + bias_hh : Tensor();
  LstmLayerOutput next = lstm_layer(linear(x, weight_ih).unsqueeze(0), weight_hh, bias, h, c);
  if (input.dim() == 1) return {next.h_n.squeeze(0), next.c_n.squeeze(0)};
  return {next.h_n, next.c_n};
}

std::string LSTMCell::extra_repr() const {
  return cell_repr(options_.input_size, options_.hidden_size, options_.bias);
}

GRUCell::GRUCell(GRUCellOptions options) : Module("GRUCell"), options_(options) {
  check_common("GRUCell", options.input_size, options.hidden_size, options.dtype);
  add_cell_parameters(
      [this](const std::string& name, Tensor t) { return register_parameter(name, t); }, 3, options,
      weight_ih, weight_hh, bias_ih, bias_hh);
  reset_parameters();
}

void GRUCell::reset_parameters() { reset_uniform(parameters(), options_.hidden_size); }

Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) {
  Tensor x = cell_input("GRUCell", input, options_.input_size, weight_ih.dtype());
  Tensor h = cell_state("GRUCell", "hx", hx, input, options_.hidden_size);
  StepWeights w(RecurrentKind::gru, weight_ih, weight_hh, bias_ih, bias_hh);
  Tensor y = step(w, {x}, {h}).h;
  return input.dim() == 1 ? y.squeeze(0) : y;
}

std::string GRUCell::extra_repr() const {
  return cell_repr(options_.input_size, options_.hidden_size, options_.bias);
}

// ---------------------------------------------------------------------------------------------
// Layers.

RecurrentState RecurrentState::detach() const {
  return {h.defined() ? h.detach() : Tensor(), c.defined() ? c.detach() : Tensor()};
}

namespace detail {

RecurrentBase::RecurrentBase(std::string type_name, RecurrentKind kind, RecurrentConfig config)
    : Module(std::move(type_name)), kind_(kind), config_(config) {
  const std::string& type = this->type_name();
  check_common(type, config.input_size, config.hidden_size, config.dtype);
  if (config.num_layers < 1) {
    throw ValueError(type + ": num_layers must be at least 1, got " +
                     std::to_string(config.num_layers));
  }
  if (!(config.dropout >= 0.0 && config.dropout <= 1.0)) {
    throw ValueError(type + ": dropout must be in [0, 1], got " +
                     detail::repr_number(config.dropout));
  }
  const int64_t rows = gate_count(kind) * config.hidden_size;
  const int64_t directions = num_directions();
  for (int64_t layer = 0; layer < config.num_layers; ++layer) {
    const int64_t in = layer == 0 ? config.input_size : directions * config.hidden_size;
    for (int64_t direction = 0; direction < directions; ++direction) {
      const std::string suffix = "_l" + std::to_string(layer) + (direction == 1 ? "_reverse" : "");
      Weights w;
      w.weight_ih = register_parameter("weight_ih" + suffix, empty({rows, in}, config.dtype));
      w.weight_hh =
          register_parameter("weight_hh" + suffix, empty({rows, config.hidden_size}, config.dtype));
      if (config.bias) {
        w.bias_ih = register_parameter("bias_ih" + suffix, empty({rows}, config.dtype));
        w.bias_hh = register_parameter("bias_hh" + suffix, empty({rows}, config.dtype));
      }
      weights_.push_back(w);
    }
  }
  reset_parameters();
}

void RecurrentBase::reset_parameters() { reset_uniform(parameters(), config_.hidden_size); }

const RecurrentBase::Weights& RecurrentBase::weights(int64_t layer, int64_t direction) const {
  if (layer < 0 || layer >= config_.num_layers || direction < 0 || direction >= num_directions()) {
    throw IndexError(type_name() + ": no parameters for layer " + std::to_string(layer) +
                     ", direction " + std::to_string(direction) +
                     " (num_layers=" + std::to_string(config_.num_layers) + ", directions " +
                     std::to_string(num_directions()) + ")");
  }
  return weights_[static_cast<size_t>(layer * num_directions() + direction)];
}

Tensor RecurrentBase::weight_ih(int64_t layer, int64_t direction) const {
  return weights(layer, direction).weight_ih;
}
Tensor RecurrentBase::weight_hh(int64_t layer, int64_t direction) const {
  return weights(layer, direction).weight_hh;
}
Tensor RecurrentBase::bias_ih(int64_t layer, int64_t direction) const {
  return weights(layer, direction).bias_ih;
}
Tensor RecurrentBase::bias_hh(int64_t layer, int64_t direction) const {
  return weights(layer, direction).bias_hh;
}

Tensor RecurrentBase::forward(const Tensor& input) {
  return forward(input, RecurrentState{}, Tensor()).output;
}

RecurrentOutput RecurrentBase::forward(const Tensor& input, const RecurrentState& initial,
                                       const Tensor& lengths) {
  const std::string& type = type_name();
  const int64_t hidden_size = config_.hidden_size;
  const int64_t directions = num_directions();
  const int64_t stack_size = directions * config_.num_layers;
  const Dtype dtype = weights_.front().weight_ih.dtype();

  // Input: [T, N, in] internally.
  if (!input.defined()) throw ValueError(type + ": the input is undefined");
  const std::string layout = config_.batch_first ? "[N, T, " : "[T, N, ";
  if ((input.dim() != 2 && input.dim() != 3) || input.size(-1) != config_.input_size) {
    throw ShapeError(type + ": expected input of shape " + layout +
                     std::to_string(config_.input_size) + "] or unbatched [T, " +
                     std::to_string(config_.input_size) + "], got " + shape_string(input.shape()));
  }
  if (input.dtype() != dtype) {
    throw ValueError(type + ": input dtype " + std::string(dtype_name(input.dtype())) +
                     " does not match the parameters' " + std::string(dtype_name(dtype)));
  }
  const bool batched = input.dim() == 3;
  Tensor x = !batched ? input.unsqueeze(1) : config_.batch_first ? input.transpose(0, 1) : input;
  const int64_t steps = x.size(0), batch = x.size(1);
  if (steps == 0 || batch == 0) {
    throw ShapeError(type + ": the input " + shape_string(input.shape()) +
                     " has no time steps or no sequences");
  }

  // Initial states: [D*L, N, H] internally.
  auto check_state = [&](const Tensor& state, const char* name) -> Tensor {
    if (!state.defined()) return state;
    Shape expected =
        batched ? Shape{stack_size, batch, hidden_size} : Shape{stack_size, hidden_size};
    if (state.shape() != expected) {
      throw ShapeError(type + ": expected initial " + name + " of shape " + shape_string(expected) +
                       " for input " + shape_string(input.shape()) + ", got " +
                       shape_string(state.shape()));
    }
    if (state.dtype() != dtype) {
      throw ValueError(type + ": initial " + name + " dtype " +
                       std::string(dtype_name(state.dtype())) + " does not match the parameters' " +
                       std::string(dtype_name(dtype)));
    }
    return batched ? state : state.unsqueeze(1);
  };
  if (kind_ != RecurrentKind::lstm && initial.c.defined()) {
    throw ValueError(type + ": an initial c is only for LSTM; give h alone");
  }
  Tensor h0 = check_state(initial.h, "h");
  Tensor c0 = check_state(initial.c, "c");

  // Lengths: a mask [T, N, 1] (true on real steps), needed only when some row is padded.
  Tensor mask;
  int64_t shortest = steps;
  std::vector<int64_t> lengths_vector;
  if (lengths.defined()) {
    if (lengths.dtype() != Dtype::int64) {
      throw ValueError(type + ": lengths must be int64, got " +
                       std::string(dtype_name(lengths.dtype())));
    }
    if (lengths.dim() != 1 || lengths.size(0) != batch) {
      throw ShapeError(type + ": expected lengths of shape [" + std::to_string(batch) +
                       "] (one per sequence), got " + shape_string(lengths.shape()));
    }
    std::vector<int64_t> values = to_vector<int64_t>(lengths);
    lengths_vector = values;
    for (size_t n = 0; n < values.size(); ++n) {
      const std::string which =
          type + ": lengths[" + std::to_string(n) + "] = " + std::to_string(values[n]);
      if (values[n] > steps) {
        throw ValueError(which + " is longer than the sequence (T = " + std::to_string(steps) +
                         ")");
      }
      if (values[n] < 1) throw ValueError(which + " must be at least 1");
      shortest = std::min(shortest, values[n]);
    }
    if (shortest < steps) {
      Tensor time = arange(steps, {.dtype = Dtype::int64}).unsqueeze(1);
      mask = lt(time, lengths.unsqueeze(0)).unsqueeze(2);
    }
  }

  if (kind_ == RecurrentKind::lstm) {
    return forward_lstm(x, h0, c0, shortest < steps ? lengths_vector : std::vector<int64_t>{},
                        batched);
  }

  // Each step's layer input as pieces (the directions of the layer below), so no step slices a
  // tensor that requires grad (see the file comment).
  std::vector<std::vector<Tensor>> layer_input(static_cast<size_t>(steps));
  for (int64_t t = 0; t < steps; ++t) layer_input[static_cast<size_t>(t)] = {x.select(0, t)};
  std::vector<Tensor> final_h;
  std::vector<std::vector<Tensor>> outputs(static_cast<size_t>(directions));
  const bool drop = is_training() && config_.dropout > 0.0;

  for (int64_t layer = 0; layer < config_.num_layers; ++layer) {
    if (layer > 0 && drop) {
      for (auto& pieces : layer_input) {
        for (Tensor& piece : pieces) piece = cajal::dropout(piece, config_.dropout, true);
      }
    }
    for (int64_t direction = 0; direction < directions; ++direction) {
      const Weights& p = weights(layer, direction);
      StepWeights w(kind_, p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh);
      const int64_t index = layer * directions + direction;
      StepState state{h0.defined() ? h0.select(0, index) : Tensor()};
      // Padded rows keep their state through `where`, which needs it defined. A single step
      // from a zero state still runs the hidden matmul, so weight_hh gets a (zero) gradient as
      // in PyTorch; longer sequences skip it on the first step.
      if (mask.defined() || steps == 1) {
        if (!state.h.defined()) state.h = zeros({batch, hidden_size}, {.dtype = dtype});
      }
      std::vector<Tensor>& out = outputs[static_cast<size_t>(direction)];
      out.assign(static_cast<size_t>(steps), Tensor());
      for (int64_t s = 0; s < steps; ++s) {
        const int64_t t = direction == 0 ? s : steps - 1 - s;
        StepState next = step(w, layer_input[static_cast<size_t>(t)], state);
        if (mask.defined() && t >= shortest) {
          // Some rows are padding at t: they keep their state (the forward direction freezes
          // after the last real step; the reverse one stays at its initial state until its
          // first real step) and output zeros.
          Tensor real = mask.select(0, t);
          state.h = where(real, next.h, state.h);
          out[static_cast<size_t>(t)] = where(real, next.h, 0.0);
        } else {
          state = next;
          out[static_cast<size_t>(t)] = next.h;
        }
      }
      final_h.push_back(state.h);
    }
    if (layer + 1 < config_.num_layers) {
      for (int64_t t = 0; t < steps; ++t) {
        auto& pieces = layer_input[static_cast<size_t>(t)];
        pieces.clear();
        for (const auto& out : outputs) pieces.push_back(out[static_cast<size_t>(t)]);
      }
    }
  }

  RecurrentOutput result;
  result.output =
      directions == 1 ? stack(outputs[0], 0) : cat({stack(outputs[0], 0), stack(outputs[1], 0)}, 2);
  result.h_n = stack(final_h, 0);
  if (!batched) {
    result.output = result.output.squeeze(1);
    result.h_n = result.h_n.squeeze(1);
  } else if (config_.batch_first) {
    result.output = result.output.transpose(0, 1);
  }
  return result;
}

// LSTM layers: each layer and direction projects all steps' inputs with one matmul, then runs
// the fused recurrence (ops/recurrent_cell.h) over the whole sequence as one op.
RecurrentOutput RecurrentBase::forward_lstm(const Tensor& x, const Tensor& h0, const Tensor& c0,
                                            const std::vector<int64_t>& lengths, bool batched) {
  const int64_t directions = num_directions();
  const bool drop = is_training() && config_.dropout > 0.0;
  Tensor layer_input = x;  // [T, N, in]
  std::vector<Tensor> final_h, final_c;
  for (int64_t layer = 0; layer < config_.num_layers; ++layer) {
    if (layer > 0 && drop) layer_input = cajal::dropout(layer_input, config_.dropout, true);
    std::vector<Tensor> outputs;
    for (int64_t direction = 0; direction < directions; ++direction) {
      const Weights& p = weights(layer, direction);
      const int64_t index = layer * directions + direction;
      Tensor bias = p.bias_ih.defined() ? p.bias_ih + p.bias_hh : Tensor();
      LstmLayerOutput run =
          lstm_layer(linear(layer_input, p.weight_ih), p.weight_hh, bias,
                     h0.defined() ? h0.select(0, index) : Tensor(),
                     c0.defined() ? c0.select(0, index) : Tensor(), lengths, direction == 1);
      outputs.push_back(run.output);
      final_h.push_back(run.h_n);
      final_c.push_back(run.c_n);
    }
    layer_input = directions == 1 ? outputs[0] : cat(outputs, 2);
  }
  RecurrentOutput result;
  result.output = layer_input;
  result.h_n = stack(final_h, 0);
  result.c_n = stack(final_c, 0);
  if (!batched) {
    result.output = result.output.squeeze(1);
    result.h_n = result.h_n.squeeze(1);
    result.c_n = result.c_n.squeeze(1);
  } else if (config_.batch_first) {
    result.output = result.output.transpose(0, 1);
  }
  return result;
}

std::string RecurrentBase::extra_repr() const {
  std::string s = std::to_string(config_.input_size) + ", " + std::to_string(config_.hidden_size);
  if (kind_ == RecurrentKind::rnn_relu) s += ", nonlinearity=relu";
  if (config_.num_layers != 1) s += ", num_layers=" + std::to_string(config_.num_layers);
  if (!config_.bias) s += ", bias=false";
  if (config_.batch_first) s += ", batch_first=true";
  if (config_.dropout != 0.0) s += ", dropout=" + repr_number(config_.dropout);
  if (config_.bidirectional) s += ", bidirectional=true";
  return s;
}

}  // namespace detail

namespace {

template <typename Options>
detail::RecurrentConfig config_of(const Options& o) {
  return {.input_size = o.input_size,
          .hidden_size = o.hidden_size,
          .num_layers = o.num_layers,
          .bias = o.bias,
          .batch_first = o.batch_first,
          .dropout = o.dropout,
          .bidirectional = o.bidirectional,
          .dtype = o.dtype};
}

}  // namespace

RNN::RNN(RNNOptions options)
    : RecurrentBase("RNN", rnn_kind("RNN", options.nonlinearity), config_of(options)),
      options_(std::move(options)) {}

LSTM::LSTM(LSTMOptions options)
    : RecurrentBase("LSTM", RecurrentKind::lstm, config_of(options)), options_(options) {}

GRU::GRU(GRUOptions options)
    : RecurrentBase("GRU", RecurrentKind::gru, config_of(options)), options_(options) {}

}  // namespace cajal::nn
