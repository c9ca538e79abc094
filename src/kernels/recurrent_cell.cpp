#include "cajal/kernels/recurrent_cell.h"

#include <omp.h>

#include <cmath>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/kernels/loops.h"

// The SIMD declarations src/ops/math.cpp makes, so the lane loops below call libmvec's 16-lane
// expf and tanhf: the same code the sigmoid and tanh ops run.
extern "C" float expf(float) noexcept __attribute__((simd("notinbranch")));
extern "C" float tanhf(float) noexcept __attribute__((simd("notinbranch")));

namespace cajal::kernels {

namespace {

constexpr int64_t kLanes = 16;

template <typename T>
inline T sigmoid_of(T v) {
  return T(1) / (T(1) + std::exp(-v));
}

// The per-row work is small (4H elements); rows go to threads only when there is enough of it.
bool rows_in_parallel(int64_t elements) {
  return elements >= parallel_grain && omp_get_max_threads() > 1 && !omp_in_parallel();
}

}  // namespace

namespace {

// One block of at most kLanes columns of a row: loads the four gates' pre-activations (the sum
// of the input and hidden parts) and c_prev, activates them, stores the activations over
// `gates` and writes c, tanh(c) and h. Full blocks read memory directly; a row's tail goes
// through padded lane arrays, so every element runs the same vector code.
template <typename T, bool kFull>
inline void forward_block(int64_t h, int64_t m, const T* gx, const T* b, T* gates, const T* cp,
                          T* c, T* tc, T* hr) {
  alignas(64) T li[kLanes], lf[kLanes], lg[kLanes], lo[kLanes], lc[kLanes], lt[kLanes];
  if constexpr (kFull) {
#pragma omp simd
    for (int64_t k = 0; k < kLanes; ++k) {
      li[k] = gx[k] + gates[k] + b[k];
      lf[k] = gx[h + k] + gates[h + k] + b[h + k];
      lg[k] = gx[2 * h + k] + gates[2 * h + k] + b[2 * h + k];
      lo[k] = gx[3 * h + k] + gates[3 * h + k] + b[3 * h + k];
      lc[k] = cp[k];
    }
  } else {
    for (int64_t k = 0; k < kLanes; ++k) {
      const bool in = k < m;
      li[k] = in ? gx[k] + gates[k] + b[k] : T(0);
      lf[k] = in ? gx[h + k] + gates[h + k] + b[h + k] : T(0);
      lg[k] = in ? gx[2 * h + k] + gates[2 * h + k] + b[2 * h + k] : T(0);
      lo[k] = in ? gx[3 * h + k] + gates[3 * h + k] + b[3 * h + k] : T(0);
      lc[k] = in ? cp[k] : T(0);
    }
  }
#pragma omp simd
  for (int64_t k = 0; k < kLanes; ++k) {
    li[k] = sigmoid_of(li[k]);
    lf[k] = sigmoid_of(lf[k]);
    lg[k] = std::tanh(lg[k]);
    lo[k] = sigmoid_of(lo[k]);
    lc[k] = lf[k] * lc[k] + li[k] * lg[k];
  }
#pragma omp simd
  for (int64_t k = 0; k < kLanes; ++k) lt[k] = std::tanh(lc[k]);
  const int64_t count = kFull ? kLanes : m;
#pragma omp simd
  for (int64_t k = 0; k < count; ++k) {
    gates[k] = li[k];
    gates[h + k] = lf[k];
    gates[2 * h + k] = lg[k];
    gates[3 * h + k] = lo[k];
    c[k] = lc[k];
    tc[k] = lt[k];
    hr[k] = lo[k] * lt[k];
  }
}

}  // namespace

template <typename T>
void lstm_cell_forward(int64_t n, int64_t h, const T* gates_x, int64_t gates_x_ld, const T* bias,
                       T* gates, int64_t gates_ld, const T* c_prev, const T* h_prev,
                       const uint8_t* real, T* c, T* tanh_c, T* h_out) {
#pragma omp parallel for schedule(static) if (rows_in_parallel(n * 4 * h))
  for (int64_t r = 0; r < n; ++r) {
    const T* gx = gates_x + r * gates_x_ld;
    T* g = gates + r * gates_ld;
    const T* cp = c_prev + r * h;
    T* cr = c + r * h;
    T* tr = tanh_c + r * h;
    T* hr = h_out + r * h;
    if (real && !real[r]) {
      // Padding: the state carries over. The activations are never read for this row (its
      // gradients are zero), but are set so nothing uninitialized lingers.
      for (int64_t j = 0; j < 4 * h; ++j) g[j] = T(0);
      for (int64_t j = 0; j < h; ++j) {
        cr[j] = cp[j];
        tr[j] = T(0);
        hr[j] = h_prev[r * h + j];
      }
      continue;
    }
    int64_t j = 0;
    for (; j + kLanes <= h; j += kLanes) {
      forward_block<T, true>(h, kLanes, gx + j, bias + j, g + j, cp + j, cr + j, tr + j, hr + j);
    }
    if (j < h) {
      forward_block<T, false>(h, h - j, gx + j, bias + j, g + j, cp + j, cr + j, tr + j, hr + j);
    }
  }
}

template <typename T>
void lstm_cell_backward(int64_t n, int64_t h, const T* dh, const T* dc, const T* activations,
                        int64_t act_ld, const T* tanh_c, const T* c_prev, const uint8_t* real,
                        T* d_gates, int64_t d_gates_ld, T* d_c_prev) {
#pragma omp parallel for schedule(static) if (rows_in_parallel(n * 4 * h))
  for (int64_t r = 0; r < n; ++r) {
    const T* dhr = dh + r * h;
    const T* dcr = dc + r * h;
    T* dgi = d_gates + r * d_gates_ld;
    T* dgf = dgi + h;
    T* dgg = dgf + h;
    T* dgo = dgg + h;
    T* dcp = d_c_prev + r * h;
    if (real && !real[r]) {
      for (int64_t j = 0; j < 4 * h; ++j) dgi[j] = T(0);
      for (int64_t j = 0; j < h; ++j) dcp[j] = dcr[j];
      continue;
    }
    const T* ai = activations + r * act_ld;
    const T* af = ai + h;
    const T* ag = af + h;
    const T* ao = ag + h;
    const T* tr = tanh_c + r * h;
    const T* cp = c_prev + r * h;
#pragma omp simd
    for (int64_t j = 0; j < h; ++j) {
      const T i = ai[j], f = af[j], g = ag[j], o = ao[j], t = tr[j];
      const T dcell = dcr[j] + dhr[j] * o * (T(1) - t * t);
      dgi[j] = dcell * g * i * (T(1) - i);
      dgf[j] = dcell * cp[j] * f * (T(1) - f);
      dgg[j] = dcell * i * (T(1) - g * g);
      dgo[j] = dhr[j] * t * o * (T(1) - o);
      dcp[j] = dcell * f;
    }
  }
}

template void lstm_cell_forward<float>(int64_t, int64_t, const float*, int64_t, const float*,
                                       float*, int64_t, const float*, const float*, const uint8_t*,
                                       float*, float*, float*);
template void lstm_cell_forward<double>(int64_t, int64_t, const double*, int64_t, const double*,
                                        double*, int64_t, const double*, const double*,
                                        const uint8_t*, double*, double*, double*);
template void lstm_cell_backward<float>(int64_t, int64_t, const float*, const float*, const float*,
                                        int64_t, const float*, const float*, const uint8_t*, float*,
                                        int64_t, float*);
template void lstm_cell_backward<double>(int64_t, int64_t, const double*, const double*,
                                         const double*, int64_t, const double*, const double*,
                                         const uint8_t*, double*, int64_t, double*);

namespace {

void check_cell(const Tensor& gates, const Tensor& c_prev) {
  if (gates.dim() != 2 || gates.size(1) % 4 != 0) {
    throw ShapeError("lstm_cell: expected gates of shape [N, 4H], got " +
                     shape_string(gates.shape()));
  }
  if (!is_floating_point(gates.dtype())) {
    throw ValueError("lstm_cell: gates must be float32 or float64, got " +
                     std::string(dtype_name(gates.dtype())));
  }
  const Shape state{gates.size(0), gates.size(1) / 4};
  if (c_prev.defined() && (c_prev.shape() != state || c_prev.dtype() != gates.dtype())) {
    throw ShapeError("lstm_cell: expected c_prev of shape " + shape_string(state) + " and dtype " +
                     std::string(dtype_name(gates.dtype())) + ", got " +
                     shape_string(c_prev.shape()) + " " + std::string(dtype_name(c_prev.dtype())));
  }
}

}  // namespace

LstmCellForward lstm_cell_forward(const Tensor& gates, const Tensor& c_prev) {
  check_cell(gates, c_prev);
  const int64_t n = gates.size(0), h = gates.size(1) / 4;
  const Dtype dtype = gates.dtype();
  LstmCellForward out;
  Tensor gx = gates.contiguous();
  out.activations = zeros({n, 4 * h}, {.dtype = dtype});  // the hidden part: none
  Tensor cp = c_prev.defined() ? c_prev.contiguous() : zeros({n, h}, {.dtype = dtype});
  out.c = empty({n, h}, dtype);
  out.tanh_c = empty({n, h}, dtype);
  out.h = empty({n, h}, dtype);
  Tensor no_bias = zeros({4 * h}, {.dtype = dtype});
  dispatch_floating(dtype, "lstm_cell", [&]<typename T>() {
    lstm_cell_forward<T>(n, h, gx.data_ptr<T>(), 4 * h, no_bias.data_ptr<T>(),
                         out.activations.data_ptr<T>(), 4 * h, cp.data_ptr<T>(), nullptr, nullptr,
                         out.c.data_ptr<T>(), out.tanh_c.data_ptr<T>(), out.h.data_ptr<T>());
  });
  return out;
}

LstmCellGrads lstm_cell_backward(const Tensor& dh, const Tensor& dc, const Tensor& c_prev,
                                 const LstmCellForward& saved) {
  const int64_t n = saved.h.size(0), h = saved.h.size(1);
  const Dtype dtype = saved.h.dtype();
  const Shape state{n, h};
  for (const Tensor* t : {&dh, &dc, &c_prev}) {
    if (t->defined() && (t->shape() != state || t->dtype() != dtype)) {
      throw ShapeError("lstm_cell_backward: expected [N, H] = " + shape_string(state) + " " +
                       std::string(dtype_name(dtype)) + ", got " + shape_string(t->shape()) + " " +
                       std::string(dtype_name(t->dtype())));
    }
  }
  Tensor dhc = dh.defined() ? dh.contiguous() : zeros(state, {.dtype = dtype});
  Tensor dcc = dc.defined() ? dc.contiguous() : zeros(state, {.dtype = dtype});
  Tensor cp = c_prev.defined() ? c_prev.contiguous() : zeros(state, {.dtype = dtype});
  LstmCellGrads out;
  out.gates = empty({n, 4 * h}, dtype);
  out.c_prev = empty(state, dtype);
  dispatch_floating(dtype, "lstm_cell_backward", [&]<typename T>() {
    lstm_cell_backward<T>(n, h, dhc.data_ptr<T>(), dcc.data_ptr<T>(),
                          saved.activations.data_ptr<T>(), 4 * h, saved.tanh_c.data_ptr<T>(),
                          cp.data_ptr<T>(), nullptr, out.gates.data_ptr<T>(), 4 * h,
                          out.c_prev.data_ptr<T>());
  });
  return out;
}

}  // namespace cajal::kernels
