#pragma once
// The LSTM cell's elementwise part, fused: from the gates' pre-activations [N, 4H] (i, f, g, o
// blocks of H columns, PyTorch's order) and c_prev [N, H]:
//   i, f, o = sigmoid(.), g = tanh(.), c = f * c_prev + i * g, h = o * tanh(c)
// in one pass, and its backward in one pass. Rows may be marked as padding (a sequence that has
// ended): such a row keeps its state (c = c_prev, h = h_prev) and its gradients pass through.
// Raw row-major pointers with row strides (ld) in elements, float and double; the Tensor forms
// below serve tests. sigmoid and tanh run through libmvec's vector versions (in blocks of 16, as
// kernels::map_lanes does), so a result does not depend on where it sits.
#include <cstdint>

#include "cajal/core/tensor.h"

namespace cajal::kernels {

// Pre-activations are gates_x + gates + bias: gates_x [n, 4h] (ld gates_x_ld; the input
// projection), bias [4h] and gates [n, 4h] (ld gates_ld; the hidden projection), which is
// overwritten with the activations (i, f, g, o), what backward needs. c_prev, h_prev, c, tanh_c,
// h_out: [n, h] contiguous. real: null (every row real) or one flag per row; a padded row gets c =
// c_prev, h = h_prev (and zero activations and tanh_c); h_prev is read only for such rows (may be
// null when real is).
template <typename T>
void lstm_cell_forward(int64_t n, int64_t h, const T* gates_x, int64_t gates_x_ld, const T* bias,
                       T* gates, int64_t gates_ld, const T* c_prev, const T* h_prev,
                       const uint8_t* real, T* c, T* tanh_c, T* h_out);

// From dh (the gradient reaching h), dc (reaching c) and what forward saved (activations
// [n, 4h] with ld act_ld, tanh_c and c_prev [n, h]), writes d_gates [n, 4h] (ld d_gates_ld;
// zero on padded rows) and d_c_prev [n, h]. For a padded row d_c_prev = dc (dh passes through
// too, which the caller handles: h = h_prev there). All [n, h] arrays are contiguous.
template <typename T>
void lstm_cell_backward(int64_t n, int64_t h, const T* dh, const T* dc, const T* activations,
                        int64_t act_ld, const T* tanh_c, const T* c_prev, const uint8_t* real,
                        T* d_gates, int64_t d_gates_ld, T* d_c_prev);

struct LstmCellForward {
  Tensor h;            // [N, H]
  Tensor c;            // [N, H]
  Tensor activations;  // [N, 4H]: sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
  Tensor tanh_c;       // [N, H]
};

struct LstmCellGrads {
  Tensor gates;   // [N, 4H]
  Tensor c_prev;  // [N, H]
};

// Tensor forms (any strides, float32 or float64; an undefined c_prev, dh or dc means zeros).
LstmCellForward lstm_cell_forward(const Tensor& gates, const Tensor& c_prev);
LstmCellGrads lstm_cell_backward(const Tensor& dh, const Tensor& dc, const Tensor& c_prev,
                                 const LstmCellForward& saved);

}  // namespace cajal::kernels
