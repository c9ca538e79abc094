#include "cajal/ops/recurrent_cell.h"

#include <cstring>
#include <string>
#include <utility>

#include "cajal/autograd/grad_mode.h"
#include "cajal/autograd/node.h"
#include "cajal/core/creation.h"
#include "cajal/kernels/gemm.h"
#include "cajal/kernels/recurrent_cell.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/linalg.h"
#include "cajal/ops/manipulation.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"
#include "cajal/ops/view.h"

namespace cajal {

using autograd::grads;

namespace {

// What the fused forward keeps for the fused backward. State slots: the state entering time t
// sits at slot t (forward) or t + 1 (reverse), so the states entering steps 0..T-1 are one
// contiguous block [T, N, H] whatever the direction, and dW_hh is one matmul.
struct Saved {
  Tensor activations;         // [T, N, 4H] by time
  Tensor tanh_c;              // [T, N, H] by time
  Tensor h_states;            // [T + 1, N, H] by slot
  Tensor c_states;            // [T + 1, N, H] by slot
  std::vector<uint8_t> real;  // [T * N] (empty: no padding)
  bool hidden_zero = false;   // h0 not given: the first step skipped its hidden matmul
};

// The backward written in differentiable ops (under create_graph): recomputes the forward from
// the op's inputs, then runs the same reverse recurrence as the fused kernels.
grads composite_backward(const Tensor& d_packed, const Tensor& gates_x, const Tensor& weight_hh,
                         const Tensor& bias, const Tensor& h0, const Tensor& c0, const Tensor& mask,
                         bool reverse) {
  const int64_t steps = gates_x.size(0);
  std::vector<Tensor> h_in(steps), c_in(steps), in_gate(steps), forget(steps), cell(steps),
      out_gate(steps), tanh_c(steps);
  Tensor h = h0, c = c0;
  const Tensor w_t = weight_hh.transpose(0, 1);
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t t = reverse ? steps - 1 - s : s;
    std::vector<Tensor> g = chunk(gates_x.select(0, t) + matmul(h, w_t) + bias, 4, 1);
    h_in[t] = h;
    c_in[t] = c;
    in_gate[t] = sigmoid(g[0]);
    forget[t] = sigmoid(g[1]);
    cell[t] = tanh(g[2]);
    out_gate[t] = sigmoid(g[3]);
    Tensor c_next = forget[t] * c + in_gate[t] * cell[t];
    tanh_c[t] = tanh(c_next);
    Tensor h_next = out_gate[t] * tanh_c[t];
    if (mask.defined()) {
      Tensor real = mask.select(0, t);
      h = where(real, h_next, h);
      c = where(real, c_next, c);
    } else {
      h = h_next;
      c = c_next;
    }
  }
  Tensor dh = d_packed.select(0, steps);
  Tensor dc = d_packed.select(0, steps + 1);
  Tensor d_weight;
  std::vector<Tensor> d_gates(steps);
  for (int64_t s = steps - 1; s >= 0; --s) {
    const int64_t t = reverse ? steps - 1 - s : s;
    Tensor real = mask.defined() ? mask.select(0, t) : Tensor();
    Tensor dy = d_packed.select(0, t);
    if (real.defined()) dy = where(real, dy, 0.0);
    const Tensor& i = in_gate[t];
    const Tensor& f = forget[t];
    const Tensor& g = cell[t];
    const Tensor& o = out_gate[t];
    Tensor dh_total = dh + dy;
    Tensor dcell = dc + dh_total * o * (1.0 - tanh_c[t] * tanh_c[t]);
    Tensor dg = cat({dcell * g * i * (1.0 - i), dcell * c_in[t] * f * (1.0 - f),
                     dcell * i * (1.0 - g * g), dh_total * tanh_c[t] * o * (1.0 - o)},
                    1);
    Tensor dc_prev = dcell * f;
    if (real.defined()) {
      dg = where(real, dg, 0.0);
      dc_prev = where(real, dc_prev, dc);
    }
    Tensor dh_prev = matmul(dg, weight_hh);
    if (real.defined()) dh_prev = where(real, dh_prev, dh);
    Tensor dw = matmul(dg.transpose(0, 1), h_in[t]);
    d_weight = d_weight.defined() ? d_weight + dw : dw;
    d_gates[t] = dg;
    dh = dh_prev;
    dc = dc_prev;
  }
  Tensor d_gates_x = stack(d_gates, 0);
  return grads{d_gates_x, d_weight, sum(d_gates_x, {0, 1}), dh, dc};
}

template <typename T>
grads fused_backward(const Tensor& d_packed_in, const Tensor& weight_hh, const Saved& saved,
                     bool reverse, bool bias_given) {
  const Tensor d_packed = d_packed_in.contiguous();
  const Tensor w = weight_hh.contiguous();
  const int64_t steps = saved.activations.size(0), n = saved.activations.size(1);
  const int64_t gates = saved.activations.size(2), h = gates / 4;
  const int64_t state = n * h;
  const Dtype dtype = d_packed.dtype();
  Tensor d_gates = empty({steps, n, gates}, dtype);
  Tensor dh = d_packed.select(0, steps).clone();
  Tensor dc = d_packed.select(0, steps + 1).clone();
  Tensor dh_total = empty({n, h}, dtype);
  Tensor spare = empty({n, h}, dtype);
  const T* dp = d_packed.data_ptr<T>();
  const T* act = saved.activations.data_ptr<T>();
  const T* tc = saved.tanh_c.data_ptr<T>();
  const T* cs = saved.c_states.data_ptr<T>();
  const T* wp = w.data_ptr<T>();
  T* dg = d_gates.data_ptr<T>();
  for (int64_t s = steps - 1; s >= 0; --s) {
    const int64_t t = reverse ? steps - 1 - s : s;
    const int64_t slot_in = reverse ? t + 1 : t;
    const uint8_t* real = saved.real.empty() ? nullptr : saved.real.data() + t * n;
    T* dht = dh_total.data_ptr<T>();
    const T* dhp = dh.data_ptr<T>();
    const T* dy = dp + t * state;
    for (int64_t r = 0; r < n; ++r) {
      // A padded row's output is the constant zero: its gradient goes nowhere.
      const bool is_real = !real || real[r];
      for (int64_t j = 0; j < h; ++j) {
        dht[r * h + j] = is_real ? dhp[r * h + j] + dy[r * h + j] : dhp[r * h + j];
      }
    }
    T* dgt = dg + t * n * gates;
    kernels::lstm_cell_backward<T>(n, h, dht, dc.data_ptr<T>(), act + t * n * gates, gates,
                                   tc + t * state, cs + slot_in * state, real, dgt, gates,
                                   spare.data_ptr<T>());
    std::swap(dc, spare);
    // dh_prev = dgates @ W_hh; a padded row's dgates are zero, and its dh passes through. The
    // first step from an absent h0 needs none: nothing takes the gradient of the zeros.
    if (s == 0 && saved.hidden_zero) break;
    kernels::gemm(false, false, n, h, gates, T(1), dgt, gates, wp, h, T(0), dht, h);
    if (real) {
      for (int64_t r = 0; r < n; ++r) {
        if (!real[r]) std::memcpy(dht + r * h, dhp + r * h, sizeof(T) * h);
      }
    }
    std::swap(dh, dh_total);
  }
  // dW_hh = sum over t of dgates_t^T h_in_t: the states entering the steps are one block
  // (leaving out the first step's zeros when h0 was absent).
  Tensor d_weight = empty({gates, h}, dtype);
  const int64_t skipped = saved.hidden_zero ? 1 : 0;
  const int64_t first = saved.hidden_zero && !reverse ? 1 : 0;
  const T* h_in = saved.h_states.data_ptr<T>() + (reverse ? state : 0) + first * state;
  kernels::gemm(true, false, gates, h, (steps - skipped) * n, T(1), dg + first * n * gates, gates,
                h_in, h, T(0), d_weight.data_ptr<T>(), h);
  // d_bias: the column sums of dgates over all steps and rows, as a product with ones.
  Tensor d_bias;
  if (bias_given) {
    Tensor ones_column = full({steps * n}, 1.0, {.dtype = dtype});
    d_bias = empty({gates}, dtype);
    kernels::gemm(false, false, 1, gates, steps * n, T(1), ones_column.data_ptr<T>(), steps * n, dg,
                  gates, T(0), d_bias.data_ptr<T>(), gates);
  }
  return grads{d_gates, d_weight, d_bias, saved.hidden_zero ? Tensor() : dh, dc};
}

template <typename T>
Tensor fused_forward(const Tensor& gates_x, const Tensor& weight_hh, const Tensor& bias,
                     const Tensor& h0, const Tensor& c0, Saved& saved, bool reverse) {
  const int64_t steps = gates_x.size(0), n = gates_x.size(1), gates = gates_x.size(2);
  const int64_t h = gates / 4, state = n * h;
  const Dtype dtype = gates_x.dtype();
  const Tensor gx = gates_x.detach().contiguous();
  saved.activations = empty({steps, n, gates}, dtype);
  saved.tanh_c = empty({steps, n, h}, dtype);
  saved.h_states = empty({steps + 1, n, h}, dtype);
  saved.c_states = empty({steps + 1, n, h}, dtype);
  Tensor packed = empty({steps + 2, n, h}, dtype);
  // W_hh^T stored [H, 4H]: the per-step product h @ W_hh^T reads it untransposed, which oneDNN
  // runs a little faster for these shapes.
  const Tensor w = weight_hh.detach().transpose(0, 1).contiguous();
  T* hs = saved.h_states.data_ptr<T>();
  T* cs = saved.c_states.data_ptr<T>();
  const int64_t first_slot = reverse ? steps : 0;
  if (h0.defined()) {
    std::memcpy(hs + first_slot * state, h0.detach().contiguous().data_ptr<T>(), sizeof(T) * state);
  } else {
    std::memset(hs + first_slot * state, 0, sizeof(T) * state);
  }
  if (c0.defined()) {
    std::memcpy(cs + first_slot * state, c0.detach().contiguous().data_ptr<T>(), sizeof(T) * state);
  } else {
    std::memset(cs + first_slot * state, 0, sizeof(T) * state);
  }
  saved.hidden_zero = !h0.defined();
  T* act = saved.activations.data_ptr<T>();
  const T* gxp = gx.data_ptr<T>();
  T* tc = saved.tanh_c.data_ptr<T>();
  T* out = packed.data_ptr<T>();
  const T* wp = w.data_ptr<T>();
  const Tensor b = bias.detach().contiguous();
  const T* bp = b.data_ptr<T>();
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t t = reverse ? steps - 1 - s : s;
    const int64_t slot_in = reverse ? t + 1 : t, slot_out = reverse ? t : t + 1;
    T* gt = act + t * n * gates;
    const T* h_in = hs + slot_in * state;
    if (s > 0 || !saved.hidden_zero) {
      kernels::gemm(false, false, n, gates, h, T(1), h_in, h, wp, gates, T(0), gt, gates);
    } else {
      std::memset(gt, 0, sizeof(T) * n * gates);
    }
    const uint8_t* real = saved.real.empty() ? nullptr : saved.real.data() + t * n;
    T* h_out = hs + slot_out * state;
    kernels::lstm_cell_forward<T>(n, h, gxp + t * n * gates, gates, bp, gt, gates,
                                  cs + slot_in * state, h_in, real, cs + slot_out * state,
                                  tc + t * state, h_out);
    T* y = out + t * state;
    std::memcpy(y, h_out, sizeof(T) * state);
    if (real) {
      for (int64_t r = 0; r < n; ++r) {
        if (!real[r]) std::memset(y + r * h, 0, sizeof(T) * h);
      }
    }
  }
  const int64_t last_slot = reverse ? 0 : steps;
  std::memcpy(out + steps * state, hs + last_slot * state, sizeof(T) * state);
  std::memcpy(out + (steps + 1) * state, cs + last_slot * state, sizeof(T) * state);
  return packed;
}

void check_state(const char* name, const Tensor& state, int64_t n, int64_t h, Dtype dtype) {
  if (!state.defined()) return;
  if (state.dim() != 2 || state.size(0) != n || state.size(1) != h) {
    throw ShapeError(std::string("lstm_layer: expected ") + name + " of shape [" +
                     std::to_string(n) + ", " + std::to_string(h) + "], got " +
                     shape_string(state.shape()));
  }
  if (state.dtype() != dtype) {
    throw ValueError(std::string("lstm_layer: ") + name + " dtype " +
                     std::string(dtype_name(state.dtype())) + " does not match gates_x's " +
                     std::string(dtype_name(dtype)));
  }
}

}  // namespace

LstmLayerOutput lstm_layer(const Tensor& gates_x, const Tensor& weight_hh, const Tensor& bias,
                           const Tensor& h0, const Tensor& c0, const std::vector<int64_t>& lengths,
                           bool reverse) {
  if (!gates_x.defined() || !weight_hh.defined()) {
    throw ValueError("lstm_layer: gates_x and weight_hh must be defined");
  }
  if (gates_x.dim() != 3 || gates_x.size(2) % 4 != 0 || gates_x.size(0) == 0 ||
      gates_x.size(1) == 0) {
    throw ShapeError("lstm_layer: expected gates_x of shape [T, N, 4H] with T, N > 0, got " +
                     shape_string(gates_x.shape()));
  }
  const Dtype dtype = gates_x.dtype();
  if (!is_floating_point(dtype)) {
    throw ValueError("lstm_layer: gates_x must be float32 or float64, got " +
                     std::string(dtype_name(dtype)));
  }
  const int64_t steps = gates_x.size(0), n = gates_x.size(1), h = gates_x.size(2) / 4;
  if (weight_hh.dim() != 2 || weight_hh.size(0) != 4 * h || weight_hh.size(1) != h ||
      weight_hh.dtype() != dtype) {
    throw ShapeError("lstm_layer: expected weight_hh of shape [" + std::to_string(4 * h) + ", " +
                     std::to_string(h) + "] and dtype " + std::string(dtype_name(dtype)) +
                     ", got " + shape_string(weight_hh.shape()) + " " +
                     std::string(dtype_name(weight_hh.dtype())));
  }
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != 4 * h || bias.dtype() != dtype)) {
    throw ShapeError("lstm_layer: expected bias of shape [" + std::to_string(4 * h) +
                     "] and dtype " + std::string(dtype_name(dtype)) + ", got " +
                     shape_string(bias.shape()) + " " + std::string(dtype_name(bias.dtype())));
  }
  check_state("h0", h0, n, h, dtype);
  check_state("c0", c0, n, h, dtype);
  if (!lengths.empty() && static_cast<int64_t>(lengths.size()) != n) {
    throw ShapeError("lstm_layer: expected " + std::to_string(n) + " lengths, got " +
                     std::to_string(lengths.size()));
  }

  auto saved = std::make_shared<Saved>();
  Tensor mask;  // [T, N, 1] bool, for the composite backward
  bool padded = false;
  for (size_t r = 0; r < lengths.size(); ++r) {
    if (lengths[r] < 1 || lengths[r] > steps) {
      throw ValueError("lstm_layer: lengths[" + std::to_string(r) +
                       "] = " + std::to_string(lengths[r]) + " is outside [1, " +
                       std::to_string(steps) + "]");
    }
    padded = padded || lengths[r] < steps;
  }
  if (padded) {
    saved->real.resize(static_cast<size_t>(steps * n));
    for (int64_t t = 0; t < steps; ++t) {
      for (int64_t r = 0; r < n; ++r) saved->real[t * n + r] = t < lengths[r] ? 1 : 0;
    }
    std::vector<uint8_t> flags = saved->real;
    mask = zeros({steps, n, 1}, {.dtype = Dtype::bool_});
    bool* m = mask.data_ptr<bool>();
    for (size_t k = 0; k < flags.size(); ++k) m[k] = flags[k] != 0;
  }

  // Zeros stand in for an absent bias and states (the fused backward knows they are absent).
  const bool bias_given = bias.defined();
  Tensor bias_in = bias_given ? bias : zeros({4 * h}, {.dtype = dtype});
  Tensor packed = dispatch_floating(dtype, "lstm_layer", [&]<typename T>() {
    return fused_forward<T>(gates_x, weight_hh, bias_in, h0, c0, *saved, reverse);
  });
  Tensor h0_in = h0.defined() ? h0 : zeros({n, h}, {.dtype = dtype});
  Tensor c0_in = c0.defined() ? c0 : zeros({n, h}, {.dtype = dtype});
  packed = autograd::record("lstm_layer", packed, {gates_x, weight_hh, bias_in, h0_in, c0_in},
                            [gates_x, weight_hh, bias_in, h0_in, c0_in, mask, saved, reverse,
                             bias_given](const Tensor& d_packed) -> grads {
                              if (is_grad_enabled()) {
                                return composite_backward(d_packed, gates_x, weight_hh, bias_in,
                                                          h0_in, c0_in, mask, reverse);
                              }
                              return dispatch_floating(
                                  d_packed.dtype(), "lstm_layer backward", [&]<typename T>() {
                                    return fused_backward<T>(d_packed.detach(), weight_hh.detach(),
                                                             *saved, reverse, bias_given);
                                  });
                            });
  return {packed.narrow(0, 0, steps), packed.select(0, steps), packed.select(0, steps + 1)};
}

}  // namespace cajal
