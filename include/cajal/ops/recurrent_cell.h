#pragma once
// The LSTM recurrence over a whole sequence as one differentiable op, the way cuDNN and PyTorch
// run it: the caller projects every step's input at once (gates_x = x @ W_ih^T, one matmul),
// and the op runs, per step, only h @ W_hh^T and the fused cell (kernels/recurrent_cell.h). Its
// backward runs the steps in reverse with one fused kernel and one matmul per step, and
// accumulates dW_hh as a single matmul over all steps. Under create_graph the backward is the
// same computation in differentiable ops, so gradients of gradients work.
#include <cstdint>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal {

struct LstmLayerOutput {
  Tensor output;  // [T, N, H]: h at each time step (zero where a sequence is padded)
  Tensor h_n;     // [N, H]: the state after the last step processed
  Tensor c_n;     // [N, H]
};

// gates_x: [T, N, 4H], the input projection x @ W_ih^T (i, f, g, o blocks, PyTorch's order);
// weight_hh: [4H, H]; bias: [4H] (b_ih + b_hh; added in the cell, so the projection needs no
// bias) or undefined; h0, c0: [N, H] or undefined for zeros. lengths: empty (every sequence has T
// steps) or N values in [1, T]; a sequence's padded steps (t >= its length) keep its state and
// output zeros. reverse: run from t = T - 1 down to 0 (a bidirectional layer's second direction).
// float32 or float64.
LstmLayerOutput lstm_layer(const Tensor& gates_x, const Tensor& weight_hh, const Tensor& bias,
                           const Tensor& h0, const Tensor& c0,
                           const std::vector<int64_t>& lengths = {}, bool reverse = false);

}  // namespace cajal
