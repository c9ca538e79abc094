#pragma once
// Typed elementwise maps over strided, broadcast operands. Ops call these with a functor; the
// contiguous case becomes a plain loop the compiler vectorizes.
#include <array>

#include "cajal/core/tensor.h"
#include "cajal/kernels/loops.h"

namespace cajal::kernels {

namespace detail {
// The strides that read x as if it had `target`'s shape (0 on broadcast dims), as
// broadcast_strides computes them, but without allocating: x's own strides when the shapes match,
// otherwise written into `buffer` (or `fallback` past kStackRank dims).
inline const int64_t* read_strides(const Tensor& x, const Shape& target,
                                   std::array<int64_t, kStackRank>& buffer, Shape& fallback) {
  const Shape& shape = x.shape();
  if (shape == target) return x.strides().data();
  if (target.size() > kStackRank || shape.size() > target.size()) {
    fallback = broadcast_strides(shape, x.strides(), target);
    return fallback.data();
  }
  const Shape& strides = x.strides();
  const size_t lead = target.size() - shape.size();
  for (size_t i = 0; i < lead; ++i) buffer[i] = 0;
  for (size_t i = 0; i < shape.size(); ++i) buffer[lead + i] = shape[i] == 1 ? 0 : strides[i];
  return buffer.data();
}
}  // namespace detail

// out[i] = f(x[i]); out and x have the same shape, any strides.
template <typename Out, typename In, typename F>
void map(const Tensor& x, const Tensor& out, F f) {
  const In* xp = x.data_ptr<In>();
  Out* op = out.data_ptr<Out>();
  for_each_row<2>(
      out.dim(), out.shape().data(), {out.strides().data(), x.strides().data()},
      [&](const std::array<int64_t, 2>& at, const std::array<int64_t, 2>& step, int64_t n) {
        Out* o = op + at[0];
        const In* a = xp + at[1];
        if (step[0] == 1 && step[1] == 1) {
          for (int64_t j = 0; j < n; ++j) o[j] = f(a[j]);
        } else {
          for (int64_t j = 0; j < n; ++j) o[j * step[0]] = f(a[j * step[1]]);
        }
      });
}

// out[i] = f(x[i]) for f that calls libm functions with SIMD versions (expf, tanhf): the elements
// go through f kLanes at a time, a short row's tail padded, so each one is computed by the same
// vector code whatever its position, the layout or the thread count. (libmvec's results differ
// from the scalar functions' in the last bits; mixing them would make a result depend on where
// an element sits.) out and x have the same shape, any strides.
template <typename T, typename F>
void map_lanes(const Tensor& x, const Tensor& out, F f) {
  constexpr int64_t kLanes = 16;
  const T* xp = x.data_ptr<T>();
  T* op = out.data_ptr<T>();
  for_each_row<2>(
      out.dim(), out.shape().data(), {out.strides().data(), x.strides().data()},
      [&](const std::array<int64_t, 2>& at, const std::array<int64_t, 2>& step, int64_t n) {
        T* o = op + at[0];
        const T* a = xp + at[1];
        alignas(64) T lanes[kLanes];
        for (int64_t j = 0; j < n; j += kLanes) {
          const int64_t m = n - j < kLanes ? n - j : kLanes;
          for (int64_t k = 0; k < m; ++k) lanes[k] = a[(j + k) * step[1]];
          for (int64_t k = m; k < kLanes; ++k) lanes[k] = T(0);
#pragma omp simd
          for (int64_t k = 0; k < kLanes; ++k) lanes[k] = f(lanes[k]);
          for (int64_t k = 0; k < m; ++k) o[(j + k) * step[0]] = lanes[k];
        }
      });
}

// out[i] = f(a[i], b[i]) with a and b broadcast to out's shape.
template <typename Out, typename A, typename B, typename F>
void map2(const Tensor& a, const Tensor& b, const Tensor& out, F f) {
  const A* ap = a.data_ptr<A>();
  const B* bp = b.data_ptr<B>();
  Out* op = out.data_ptr<Out>();
  std::array<int64_t, detail::kStackRank> buffer_a, buffer_b;
  Shape fallback_a, fallback_b;
  const int64_t* sa = detail::read_strides(a, out.shape(), buffer_a, fallback_a);
  const int64_t* sb = detail::read_strides(b, out.shape(), buffer_b, fallback_b);
  for_each_row<3>(
      out.dim(), out.shape().data(), {out.strides().data(), sa, sb},
      [&](const std::array<int64_t, 3>& at, const std::array<int64_t, 3>& step, int64_t n) {
        Out* o = op + at[0];
        const A* x = ap + at[1];
        const B* y = bp + at[2];
        if (step[0] == 1 && step[1] == 1 && step[2] == 1) {
          for (int64_t j = 0; j < n; ++j) o[j] = f(x[j], y[j]);
        } else if (step[0] == 1 && step[1] == 1 && step[2] == 0) {
          const B yv = *y;
          for (int64_t j = 0; j < n; ++j) o[j] = f(x[j], yv);
        } else if (step[0] == 1 && step[1] == 0 && step[2] == 1) {
          const A xv = *x;
          for (int64_t j = 0; j < n; ++j) o[j] = f(xv, y[j]);
        } else {
          for (int64_t j = 0; j < n; ++j) o[j * step[0]] = f(x[j * step[1]], y[j * step[2]]);
        }
      });
}

// out[i] = f(a[i], b[i], c[i]) with all three broadcast to out's shape.
template <typename Out, typename A, typename B, typename C, typename F>
void map3(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out, F f) {
  const A* ap = a.data_ptr<A>();
  const B* bp = b.data_ptr<B>();
  const C* cp = c.data_ptr<C>();
  Out* op = out.data_ptr<Out>();
  std::array<int64_t, detail::kStackRank> buffer_a, buffer_b, buffer_c;
  Shape fallback_a, fallback_b, fallback_c;
  const int64_t* sa = detail::read_strides(a, out.shape(), buffer_a, fallback_a);
  const int64_t* sb = detail::read_strides(b, out.shape(), buffer_b, fallback_b);
  const int64_t* sc = detail::read_strides(c, out.shape(), buffer_c, fallback_c);
  for_each_row<4>(
      out.dim(), out.shape().data(), {out.strides().data(), sa, sb, sc},
      [&](const std::array<int64_t, 4>& at, const std::array<int64_t, 4>& step, int64_t n) {
        for (int64_t j = 0; j < n; ++j) {
          op[at[0] + j * step[0]] =
              f(ap[at[1] + j * step[1]], bp[at[2] + j * step[2]], cp[at[3] + j * step[3]]);
        }
      });
}

// Copies `source` (broadcast to dest's shape, any dtype) into `dest`, converting elements.
void copy(const Tensor& source, const Tensor& dest);

// A contiguous copy of x with dtype `dtype` (x itself when it already is both).
Tensor convert(const Tensor& x, Dtype dtype);

}  // namespace cajal::kernels
