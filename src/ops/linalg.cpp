// Matrix products. One primitive, `batched_product`, runs gemm over broadcast batch dims and
// records dA = dY B^T, dB = A^T dY; matmul, mm, bmm and dot reshape around it. linear is its own
// node so its weight gradient comes out [out, in] and the bias joins the gemm as beta = 1.
#include "cajal/ops/linalg.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "cajal/autograd/node.h"
#include "cajal/kernels/elementwise.h"
#include "cajal/kernels/gemm.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/reduction.h"
#include "cajal/ops/view.h"

namespace cajal {

using autograd::grads;

namespace {

// How gemm reads a [rows, cols] matrix stored with strides (s0, s1): as is (row stride ld), or as
// the transpose of a [cols, rows] row-major matrix (a transposed view, strides [1, ld]).
struct MatrixLayout {
  bool trans = false;
  int64_t ld = 1;
};

std::optional<MatrixLayout> gemm_layout(int64_t rows, int64_t cols, int64_t s0, int64_t s1) {
  // A dim of size 1 is never stepped along, so its stride is free.
  if ((cols == 1 || s1 == 1) && (rows == 1 || s0 >= std::max<int64_t>(cols, 1))) {
    return MatrixLayout{false, rows == 1 ? std::max<int64_t>(cols, 1) : s0};
  }
  if ((rows == 1 || s0 == 1) && (cols == 1 || s1 >= std::max<int64_t>(rows, 1))) {
    return MatrixLayout{true, cols == 1 ? std::max<int64_t>(rows, 1) : s1};
  }
  return std::nullopt;
}

// A gemm-ready operand: x itself when its last two dims have a gemm layout, else a contiguous
// copy (outside the graph: the caller records the op on the original).
struct Operand {
  Tensor data;
  MatrixLayout layout;
};

Operand gemm_operand(const Tensor& x) {
  int64_t r = x.dim();
  auto layout = gemm_layout(x.size(r - 2), x.size(r - 1), x.stride(r - 2), x.stride(r - 1));
  if (layout) return {x, *layout};
  Tensor copy = empty(x.shape(), x.dtype());
  kernels::copy(x, copy);
  return {copy, {false, std::max<int64_t>(x.size(r - 1), 1)}};
}

// Elements of all dims but the last (rows of a [..., k] tensor viewed as [rows, k]; -1 in
// reshape cannot infer it when k is 0).
int64_t leading_numel(const Shape& shape) {
  return shape_numel(Shape(shape.begin(), shape.end() - 1));
}

Shape batch_shape(const Tensor& x) { return Shape(x.shape().begin(), x.shape().end() - 2); }

Shape batch_strides(const Tensor& x) { return Shape(x.strides().begin(), x.strides().end() - 2); }

std::string dtype_list(const Tensor& a, const Tensor& b) {
  std::string s(dtype_name(a.dtype()));
  if (b.dtype() != a.dtype()) s += " and " + std::string(dtype_name(b.dtype()));
  return s;
}

// Both floating point (integer products are not supported: oneDNN has no integer gemm and
// accumulating int64 through double would silently lose exactness). Returns the promoted dtype.
Dtype check_floating(const char* op, const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined()) throw ValueError(std::string(op) + ": undefined tensor");
  if (!a.is_floating_point() || !b.is_floating_point()) {
    throw ValueError(std::string(op) + ": expected floating-point tensors, got " +
                     dtype_list(a, b));
  }
  return promote_types(a.dtype(), b.dtype());
}

[[noreturn]] void throw_misaligned(const char* op, const Shape& a, const Shape& b, int64_t ka,
                                   int64_t kb) {
  throw ShapeError(std::string(op) + ": shapes " + shape_string(a) + " and " + shape_string(b) +
                   " do not align (" + std::to_string(ka) + " != " + std::to_string(kb) + ")");
}

// out [batch..., n, m] (contiguous) = a [..., n, k] x b [..., k, m] + beta * out, with a's and
// b's batch dims broadcast to `batch`. Broadcast dims are read with stride 0, never copied.
template <typename T>
void product_into(const Tensor& a, const Tensor& b, const Tensor& out, const Shape& batch, T beta) {
  const int64_t n = a.size(-2), k = a.size(-1), m = b.size(-1);
  if (out.numel() == 0) return;
  Operand oa = gemm_operand(a), ob = gemm_operand(b);
  const T* ap = oa.data.template data_ptr<T>();
  const T* bp = ob.data.template data_ptr<T>();
  T* cp = out.data_ptr<T>();
  const int64_t count = shape_numel(batch);
  Shape sa = broadcast_strides(batch_shape(a), batch_strides(oa.data), batch);
  Shape sb = broadcast_strides(batch_shape(b), batch_strides(ob.data), batch);

  // One matrix B for every batch and A's batches stacked row after row: a single tall gemm
  // (what a linear layer on [batch, seq, in] inputs needs) instead of `count` small ones.
  bool b_shared = std::all_of(sb.begin(), sb.end(), [](int64_t s) { return s == 0; });
  if (count > 1 && b_shared && batch_shape(a) == batch && oa.data.is_contiguous()) {
    kernels::gemm(false, ob.layout.trans, count * n, m, k, T(1), ap, std::max<int64_t>(k, 1), bp,
                  ob.layout.ld, beta, cp, std::max<int64_t>(m, 1));
    return;
  }

  std::vector<int64_t> offset_a(count), offset_b(count);
  std::vector<int64_t> index(batch.size(), 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t pa = 0, pb = 0;
    for (size_t d = 0; d < batch.size(); ++d) {
      pa += index[d] * sa[d];
      pb += index[d] * sb[d];
    }
    offset_a[i] = pa;
    offset_b[i] = pb;
    for (int64_t d = static_cast<int64_t>(batch.size()) - 1; d >= 0; --d) {
      if (++index[d] < batch[d]) break;
      index[d] = 0;
    }
  }
  auto one = [&](int64_t i) {
    kernels::gemm(oa.layout.trans, ob.layout.trans, n, m, k, T(1), ap + offset_a[i], oa.layout.ld,
                  bp + offset_b[i], ob.layout.ld, beta, cp + i * n * m, std::max<int64_t>(m, 1));
  };
  // Many small matrices (attention heads, per-sample products): one gemm per thread beats
  // splitting each tiny gemm across the pool. Large ones keep the gemm's own parallelism.
  // Tiny totals stay on one thread: waking the pool costs more than the arithmetic.
  const int64_t work = n * m * k;
  if (count > 1 && work <= 64 * 64 * 64 && count * work >= (int64_t{1} << 15)) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < count; ++i) one(i);
  } else {
    for (int64_t i = 0; i < count; ++i) one(i);
  }
}

void product_into(const Tensor& a, const Tensor& b, const Tensor& out, const Shape& batch,
                  double beta) {
  dispatch_floating(out.dtype(), "matmul",
                    [&]<typename T>() { product_into<T>(a, b, out, batch, static_cast<T>(beta)); });
}

// a [..., n, k] x b [..., k, m] -> [broadcast(batch)..., n, m]; both at least 2-D, same dtype,
// k already checked. `a_shape`/`b_shape` are the user's shapes, for error messages.
Tensor batched_product(const char* op, const Tensor& a, const Tensor& b, const Shape& a_shape,
                       const Shape& b_shape) {
  Shape ba = batch_shape(a), bb = batch_shape(b);
  size_t rank = std::max(ba.size(), bb.size());
  Shape batch(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - ba.size() ? 1 : ba[i - (rank - ba.size())];
    int64_t db = i < rank - bb.size() ? 1 : bb[i - (rank - bb.size())];
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(std::string(op) + ": batch dims of " + shape_string(a_shape) + " and " +
                       shape_string(b_shape) + " do not broadcast (" + std::to_string(da) +
                       " != " + std::to_string(db) + ")");
    }
    batch[i] = da == 1 ? db : da;
  }
  Shape out_shape = batch;
  out_shape.push_back(a.size(-2));
  out_shape.push_back(b.size(-1));
  Tensor y = empty(out_shape, a.dtype());
  product_into(a, b, y, batch, 0.0);
  return autograd::record("matmul", y, {a, b}, [a, b](const Tensor& dy) {
    // Transposes are views: the gemm reads them with its transposition flags, no copies. The
    // engine sums gradients over batch dims the input was broadcast along.
    Tensor ga = a.requires_grad() ? matmul(dy, transpose(b, -1, -2)) : Tensor();
    Tensor gb = b.requires_grad() ? matmul(transpose(a, -1, -2), dy) : Tensor();
    return grads{ga, gb};
  });
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  Dtype dtype = check_floating("matmul", a, b);
  if (a.dim() == 0 || b.dim() == 0) {
    throw ShapeError("matmul: both arguments need at least 1 dim, got shapes " +
                     shape_string(a.shape()) + " and " + shape_string(b.shape()));
  }
  int64_t ka = a.size(-1);
  int64_t kb = b.dim() == 1 ? b.size(0) : b.size(-2);
  if (ka != kb) throw_misaligned("matmul", a.shape(), b.shape(), ka, kb);
  Tensor x = to_dtype(a, dtype), w = to_dtype(b, dtype);
  // NumPy: a 1-D left operand is a row vector, a 1-D right operand a column; the added dim goes.
  if (x.dim() == 1) x = unsqueeze(x, 0);
  if (w.dim() == 1) w = unsqueeze(w, 1);
  Tensor y;
  if (x.dim() > 2 && w.dim() == 2 && x.is_contiguous()) {
    // Stack the batches of x into one tall matrix: one gemm, and dW comes out as a single gemm
    // over all rows rather than a batch of products summed afterwards.
    Shape out_shape = x.shape();
    out_shape.back() = w.size(1);
    Tensor rows = reshape(x, {leading_numel(x.shape()), ka});
    y = reshape(batched_product("matmul", rows, w, a.shape(), b.shape()), out_shape);
  } else {
    y = batched_product("matmul", x, w, a.shape(), b.shape());
  }
  if (a.dim() == 1) y = squeeze(y, -2);
  if (b.dim() == 1) y = squeeze(y, -1);
  return y;
}

Tensor mm(const Tensor& a, const Tensor& b) {
  check_floating("mm", a, b);
  if (a.dim() != 2 || b.dim() != 2) {
    throw ShapeError("mm: expected 2-D tensors, got shapes " + shape_string(a.shape()) + " and " +
                     shape_string(b.shape()));
  }
  if (a.size(1) != b.size(0)) throw_misaligned("mm", a.shape(), b.shape(), a.size(1), b.size(0));
  return matmul(a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_floating("bmm", a, b);
  if (a.dim() != 3 || b.dim() != 3) {
    throw ShapeError("bmm: expected 3-D tensors, got shapes " + shape_string(a.shape()) + " and " +
                     shape_string(b.shape()));
  }
  if (a.size(0) != b.size(0)) {
    throw ShapeError("bmm: batch sizes of " + shape_string(a.shape()) + " and " +
                     shape_string(b.shape()) + " differ (" + std::to_string(a.size(0)) +
                     " != " + std::to_string(b.size(0)) + ")");
  }
  if (a.size(2) != b.size(1)) throw_misaligned("bmm", a.shape(), b.shape(), a.size(2), b.size(1));
  return matmul(a, b);
}

Tensor dot(const Tensor& a, const Tensor& b) {
  check_floating("dot", a, b);
  if (a.dim() != 1 || b.dim() != 1) {
    throw ShapeError("dot: expected 1-D tensors, got shapes " + shape_string(a.shape()) + " and " +
                     shape_string(b.shape()));
  }
  if (a.size(0) != b.size(0)) throw_misaligned("dot", a.shape(), b.shape(), a.size(0), b.size(0));
  return matmul(a, b);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  check_floating("outer", a, b);
  if (a.dim() != 1 || b.dim() != 1) {
    throw ShapeError("outer: expected 1-D tensors, got shapes " + shape_string(a.shape()) +
                     " and " + shape_string(b.shape()));
  }
  // A rank-1 product has nothing to accumulate: a broadcast multiply beats a K = 1 gemm.
  return mul(unsqueeze(a, 1), unsqueeze(b, 0));
}

namespace {

// Column sums of dy [n, out] (any strides) in double, in a fixed order (thread-independent).
template <typename T>
void column_sums(const Tensor& dy, T* out) {
  const int64_t n = dy.size(0), m = dy.size(1);
  const int64_t s0 = dy.stride(0), s1 = dy.stride(1);
  const T* p = dy.data_ptr<T>();
  constexpr int64_t kStack = 256;
  double stack[kStack];
  std::vector<double> heap;
  double* acc = stack;
  if (m > kStack) {
    heap.assign(m, 0.0);
    acc = heap.data();
  } else {
    std::fill(stack, stack + m, 0.0);
  }
  for (int64_t i = 0; i < n; ++i) {
    const T* row = p + i * s0;
    if (s1 == 1) {
      for (int64_t c = 0; c < m; ++c) acc[c] += static_cast<double>(row[c]);
    } else {
      for (int64_t c = 0; c < m; ++c) acc[c] += static_cast<double>(row[c * s1]);
    }
  }
  for (int64_t c = 0; c < m; ++c) out[c] = static_cast<T>(acc[c]);
}

// linear's gradients straight on gemm (no graph): dX = dY W, dW = dY^T X, db = column sums of
// dY. Each is computed only when its input needs it.
template <typename T>
autograd::grads linear_backward_kernel(const Tensor& dy, const Tensor& rows, const Tensor& w,
                                       const Tensor& b) {
  const int64_t n = rows.size(0), in = w.size(1), out = w.size(0);
  Operand od = gemm_operand(dy);
  const T* dp = od.data.template data_ptr<T>();
  autograd::grads g(b.defined() ? 3 : 2);
  if (rows.requires_grad()) {
    Operand ow = gemm_operand(w);
    Tensor dx = empty({n, in}, dy.dtype());
    kernels::gemm(od.layout.trans, ow.layout.trans, n, in, out, T(1), dp, od.layout.ld,
                  ow.data.template data_ptr<T>(), ow.layout.ld, T(0), dx.data_ptr<T>(),
                  std::max<int64_t>(in, 1));
    g[0] = dx;
  }
  if (w.requires_grad()) {
    Operand ox = gemm_operand(rows);
    Tensor dw = empty({out, in}, dy.dtype());
    kernels::gemm(!od.layout.trans, ox.layout.trans, out, in, n, T(1), dp, od.layout.ld,
                  ox.data.template data_ptr<T>(), ox.layout.ld, T(0), dw.data_ptr<T>(),
                  std::max<int64_t>(in, 1));
    g[1] = dw;
  }
  if (b.defined() && b.requires_grad()) {
    Tensor db = empty({out}, dy.dtype());
    column_sums<T>(dy, db.data_ptr<T>());
    g[2] = db;
  }
  return g;
}

// linear's [N, out] result in the input's leading shape.
Tensor finish_linear(const Tensor& x, Tensor y, int64_t out) {
  if (x.dim() == 2) return y;
  Shape out_shape = x.shape();
  out_shape.back() = out;
  return reshape(y, out_shape);
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  Dtype dtype = check_floating("linear", x, weight);
  if (bias.defined()) {
    if (!bias.is_floating_point()) {
      throw ValueError(std::string("linear: expected a floating-point bias, got ") +
                       std::string(dtype_name(bias.dtype())));
    }
    dtype = promote_types(dtype, bias.dtype());
  }
  if (weight.dim() != 2) {
    throw ShapeError("linear: weight must be 2-D [out, in], got " + shape_string(weight.shape()));
  }
  if (x.dim() == 0) throw ShapeError("linear: input must have at least 1 dim, got shape []");
  const int64_t in = weight.size(1), out = weight.size(0);
  if (x.size(-1) != in) {
    throw ShapeError("linear: input " + shape_string(x.shape()) + " and weight " +
                     shape_string(weight.shape()) + " do not align (" + std::to_string(x.size(-1)) +
                     " != " + std::to_string(in) + ")");
  }
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != out)) {
    throw ShapeError("linear: bias " + shape_string(bias.shape()) + " does not match weight " +
                     shape_string(weight.shape()) + " (expected [" + std::to_string(out) + "])");
  }
  // A 2-D input already is the [N, in] rows: no view (and no view node) in between.
  Tensor rows = x.dim() == 2 ? to_dtype(x, dtype)
                             : reshape(to_dtype(x, dtype), {leading_numel(x.shape()), in});
  Tensor w = to_dtype(weight, dtype);
  Tensor b = bias.defined() ? to_dtype(bias, dtype) : Tensor();
  const int64_t n = rows.size(0);

  Tensor y = empty({n, out}, dtype);
  if (b.defined()) kernels::copy(b, y);  // broadcast into every row; the gemm adds onto it
  // W^T as a view: the gemm reads W with its transposition flag.
  Tensor wt = make_view(w, {in, out}, {w.stride(1), w.stride(0)}, w.storage_offset());
  product_into(rows, wt, y, {}, b.defined() ? 1.0 : 0.0);

  const Tensor inputs[3] = {rows, w, b};
  const size_t input_count = b.defined() ? 3 : 2;
  if (!autograd::needs_recording(inputs, input_count)) return finish_linear(x, std::move(y), out);
  y = autograd::detail::record_inline(
      "linear", y, inputs, input_count, [rows, w, b](const Tensor& dy) {
        // Without create_graph (grad mode is on during backward exactly then), straight on gemm:
        // a few small ops fewer per layer, which is what small networks pay for.
        if (!is_grad_enabled() && dy.dtype() == w.dtype() && dy.dim() == 2 && rows.size(0) > 0 &&
            w.size(0) > 0 && w.size(1) > 0) {
          return dispatch_floating(dy.dtype(), "linear", [&]<typename T>() {
            return linear_backward_kernel<T>(dy, rows, w, b);
          });
        }
        // dy: [N, out]. dX = dY W ([N, out] x [out, in]) and dW = dY^T X ([out, N] x [N, in]) read
        // W and dY^T in place, and dW comes out in W's own [out, in] layout.
        grads g{rows.requires_grad() ? matmul(dy, w) : Tensor(),
                w.requires_grad() ? matmul(transpose(dy, 0, 1), rows) : Tensor()};
        if (b.defined()) g.push_back(b.requires_grad() ? sum(dy, {0}) : Tensor());
        return g;
      });
  return finish_linear(x, std::move(y), out);
}

}  // namespace cajal
