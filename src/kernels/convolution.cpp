#include "cajal/kernels/convolution.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>

#include "cajal/core/creation.h"
#include "cajal/kernels/elementwise.h"
#include "cajal/kernels/gemm.h"
#include "cajal/kernels/loops.h"
#include "cajal/kernels/onednn_convolution.h"

namespace cajal::kernels {

namespace {

// Parallel loops here never contain a gemm: gemm runs between them on oneDNN's own threads.
bool run_parallel(int64_t work) {
  return work >= parallel_grain && omp_get_max_threads() > 1 && !omp_in_parallel();
}

// A strided [N, C, H, W] operand.
template <typename T>
struct Strided4 {
  T* data;
  int64_t sn, sc, sh, sw;
  explicit Strided4(const Tensor& t)
      : data(t.data_ptr<std::remove_const_t<T>>()),
        sn(t.stride(0)),
        sc(t.stride(1)),
        sh(t.stride(2)),
        sw(t.stride(3)) {}
  T* plane(int64_t n, int64_t c) const { return data + n * sn + c * sc; }
};

// The outputs o in [0, out) whose input o * stride + offset lies in [0, in): [*lo, *hi).
void valid_outputs(int64_t out, int64_t stride, int64_t offset, int64_t in, int64_t* lo,
                   int64_t* hi) {
  int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = in - 1 - offset < 0 ? 0 : (in - 1 - offset) / stride + 1;
  *lo = std::min(first, out);
  *hi = std::max(*lo, std::min(last, out));
}

// im2col of one image plane: for each (kh, kw), row (kh * KW + kw) of `col` (row stride ld)
// receives the plane's values under that kernel tap for every output position, 0 in the padding.
template <typename T>
void im2col_plane(const T* plane, int64_t sh, int64_t sw, const Conv2dGeometry& g, T* col,
                  int64_t ld) {
  for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
    const int64_t off_h = kh * g.dilation_h - g.pad_h;
    for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
      const int64_t off_w = kw * g.dilation_w - g.pad_w;
      int64_t lo, hi;
      valid_outputs(g.out_w, g.stride_w, off_w, g.in_w, &lo, &hi);
      T* row = col + (kh * g.kernel_w + kw) * ld;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        T* dst = row + oh * g.out_w;
        const int64_t ih = oh * g.stride_h + off_h;
        if (ih < 0 || ih >= g.in_h) {
          std::fill(dst, dst + g.out_w, T(0));
          continue;
        }
        const T* src = plane + ih * sh;
        std::fill(dst, dst + lo, T(0));
        const int64_t step = g.stride_w * sw;
        const T* s = src + (lo * g.stride_w + off_w) * sw;
        for (int64_t ow = lo; ow < hi; ++ow, s += step) dst[ow] = *s;
        std::fill(dst + hi, dst + g.out_w, T(0));
      }
    }
  }
}

// The adjoint of im2col_plane: accumulates the rows of `col` into a contiguous plane.
template <typename T>
void col2im_plane(const T* col, int64_t ld, const Conv2dGeometry& g, T* plane) {
  for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
    const int64_t off_h = kh * g.dilation_h - g.pad_h;
    for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
      const int64_t off_w = kw * g.dilation_w - g.pad_w;
      int64_t lo, hi;
      valid_outputs(g.out_w, g.stride_w, off_w, g.in_w, &lo, &hi);
      const T* row = col + (kh * g.kernel_w + kw) * ld;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        const int64_t ih = oh * g.stride_h + off_h;
        if (ih < 0 || ih >= g.in_h) continue;
        const T* src = row + oh * g.out_w;
        T* dst = plane + ih * g.in_w + off_w;
        for (int64_t ow = lo; ow < hi; ++ow) dst[ow * g.stride_w] += src[ow];
      }
    }
  }
}

// The batch runs in chunks of images whose im2col buffers ([C_in * KH * KW, chunk * OH * OW],
// images side by side) fit in chunk_elements; one gemm per group then covers the whole chunk.
struct Chunking {
  int64_t batch, images, spatial;  // images per chunk, OH * OW
};

Chunking plan_chunks(int64_t batch, const Conv2dGeometry& g, int64_t chunk_elements) {
  int64_t spatial = g.out_h * g.out_w;
  int64_t per_image = std::max<int64_t>(1, g.in_channels * g.kernel_h * g.kernel_w * spatial);
  int64_t images = std::clamp<int64_t>(chunk_elements / per_image, 1, std::max<int64_t>(1, batch));
  return {batch, images, spatial};
}

template <typename T>
std::unique_ptr<T[]> buffer(int64_t n) {
  return std::unique_ptr<T[]>(new T[std::max<int64_t>(n, 1)]);
}

// im2col of images [first, first + count) of x into col ([C_in * KK, count * P]).
template <typename T>
void im2col_chunk(const Strided4<const T>& x, int64_t first, int64_t count, const Conv2dGeometry& g,
                  T* col) {
  const int64_t kk = g.kernel_h * g.kernel_w, spatial = g.out_h * g.out_w, ld = count * spatial;
  const int64_t planes = count * g.in_channels;
#pragma omp parallel for schedule(static) if (run_parallel(planes * kk * spatial))
  for (int64_t i = 0; i < planes; ++i) {
    int64_t b = i / g.in_channels, c = i % g.in_channels;
    im2col_plane(x.plane(first + b, c), x.sh, x.sw, g, col + c * kk * ld + b * spatial, ld);
  }
}

// Copies images [first, first + count) of a [N, C, OH, OW] operand into [C, count * P].
template <typename T>
void pack_chunk(const Strided4<const T>& y, int64_t first, int64_t count, int64_t channels,
                const Conv2dGeometry& g, T* packed) {
  const int64_t spatial = g.out_h * g.out_w, ld = count * spatial;
#pragma omp parallel for schedule(static) if (run_parallel(count * channels * spatial))
  for (int64_t i = 0; i < count * channels; ++i) {
    int64_t b = i / channels, c = i % channels;
    const T* src = y.plane(first + b, c);
    T* dst = packed + c * ld + b * spatial;
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      for (int64_t ow = 0; ow < g.out_w; ++ow) dst[oh * g.out_w + ow] = src[oh * y.sh + ow * y.sw];
    }
  }
}

template <typename T>
void forward_impl(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g,
                  int64_t chunk_elements, const Tensor& y) {
  const Chunking plan = plan_chunks(x.size(0), g, chunk_elements);
  const int64_t cg = g.in_channels / g.groups, og = g.out_channels / g.groups;
  const int64_t kk = g.kernel_h * g.kernel_w, kg = cg * kk, spatial = plan.spatial;
  const T* wp = w.data_ptr<T>();
  const T* bias = b.defined() ? b.data_ptr<T>() : nullptr;
  const int64_t bias_stride = b.defined() ? b.stride(0) : 0;
  Strided4<const T> xs(x);
  T* out = y.data_ptr<T>();
  auto col = buffer<T>(g.in_channels * kk * plan.images * spatial);
  auto product = buffer<T>(g.out_channels * plan.images * spatial);
  for (int64_t first = 0; first < plan.batch; first += plan.images) {
    const int64_t count = std::min(plan.images, plan.batch - first), ld = count * spatial;
    im2col_chunk(xs, first, count, g, col.get());
    for (int64_t group = 0; group < g.groups; ++group) {
      gemm(false, false, og, ld, kg, T(1), wp + group * og * kg, kg, col.get() + group * kg * ld,
           ld, T(0), product.get() + group * og * ld, ld);
    }
    const int64_t planes = count * g.out_channels;
#pragma omp parallel for schedule(static) if (run_parallel(planes * spatial))
    for (int64_t i = 0; i < planes; ++i) {
      int64_t image = i / g.out_channels, c = i % g.out_channels;
      const T* src = product.get() + c * ld + image * spatial;
      T* dst = out + ((first + image) * g.out_channels + c) * spatial;
      const T shift = bias ? bias[c * bias_stride] : T(0);
      for (int64_t p = 0; p < spatial; ++p) dst[p] = src[p] + shift;
    }
  }
}

template <typename T>
void input_grad_impl(const Tensor& dy, const Tensor& w, const Conv2dGeometry& g,
                     int64_t chunk_elements, const Tensor& dx) {
  const Chunking plan = plan_chunks(dy.size(0), g, chunk_elements);
  const int64_t cg = g.in_channels / g.groups, og = g.out_channels / g.groups;
  const int64_t kk = g.kernel_h * g.kernel_w, kg = cg * kk, spatial = plan.spatial;
  const T* wp = w.data_ptr<T>();
  Strided4<const T> dys(dy);
  T* out = dx.data_ptr<T>();
  const int64_t plane_size = g.in_h * g.in_w;
  auto col = buffer<T>(g.in_channels * kk * plan.images * spatial);
  auto packed = buffer<T>(g.out_channels * plan.images * spatial);
  for (int64_t first = 0; first < plan.batch; first += plan.images) {
    const int64_t count = std::min(plan.images, plan.batch - first), ld = count * spatial;
    pack_chunk(dys, first, count, g.out_channels, g, packed.get());
    for (int64_t group = 0; group < g.groups; ++group) {
      gemm(true, false, kg, ld, og, T(1), wp + group * og * kg, kg, packed.get() + group * og * ld,
           ld, T(0), col.get() + group * kg * ld, ld);
    }
    const int64_t planes = count * g.in_channels;
#pragma omp parallel for schedule(static) if (run_parallel(planes * kk * spatial))
    for (int64_t i = 0; i < planes; ++i) {
      int64_t image = i / g.in_channels, c = i % g.in_channels;
      col2im_plane(col.get() + c * kk * ld + image * spatial, ld, g,
                   out + ((first + image) * g.in_channels + c) * plane_size);
    }
  }
}

template <typename T>
void weight_grad_impl(const Tensor& x, const Tensor& dy, const Conv2dGeometry& g,
                      int64_t chunk_elements, const Tensor& dw) {
  const Chunking plan = plan_chunks(x.size(0), g, chunk_elements);
  const int64_t cg = g.in_channels / g.groups, og = g.out_channels / g.groups;
  const int64_t kk = g.kernel_h * g.kernel_w, kg = cg * kk, spatial = plan.spatial;
  Strided4<const T> xs(x), dys(dy);
  T* out = dw.data_ptr<T>();
  auto col = buffer<T>(g.in_channels * kk * plan.images * spatial);
  auto packed = buffer<T>(g.out_channels * plan.images * spatial);
  for (int64_t first = 0; first < plan.batch; first += plan.images) {
    const int64_t count = std::min(plan.images, plan.batch - first), ld = count * spatial;
    im2col_chunk(xs, first, count, g, col.get());
    pack_chunk(dys, first, count, g.out_channels, g, packed.get());
    for (int64_t group = 0; group < g.groups; ++group) {
      gemm(false, true, og, kg, ld, T(1), packed.get() + group * og * ld, ld,
           col.get() + group * kg * ld, ld, T(1), out + group * og * kg, kg);
    }
  }
}

template <typename T>
Strided4<const T> strided(const Tensor& t) {
  return Strided4<const T>(t);
}

}  // namespace

Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g,
                      int64_t chunk_elements) {
  if (chunk_elements == default_chunk_elements) {
    Tensor y = onednn_conv2d_forward(x, w, b, g);
    if (y.defined()) return y;
  }
  Tensor y = empty(g.output_shape(x.size(0)), x.dtype());
  Tensor wc = convert(w, w.dtype());  // gemm reads the weight as a [C_out, C_in/groups * KK] matrix
  dispatch_floating(x.dtype(), "conv2d",
                    [&]<typename T>() { forward_impl<T>(x, wc, b, g, chunk_elements, y); });
  return y;
}

Tensor conv2d_input_grad(const Tensor& dy, const Tensor& w, const Conv2dGeometry& g,
                         int64_t chunk_elements) {
  if (chunk_elements == default_chunk_elements) {
    Tensor dx = onednn_conv2d_input_grad(dy, w, g);
    if (dx.defined()) return dx;
  }
  Tensor dx = zeros(g.input_shape(dy.size(0)), {.dtype = dy.dtype()});
  Tensor wc = convert(w, w.dtype());
  dispatch_floating(dy.dtype(), "conv2d_input_grad",
                    [&]<typename T>() { input_grad_impl<T>(dy, wc, g, chunk_elements, dx); });
  return dx;
}

Tensor conv2d_weight_grad(const Tensor& x, const Tensor& dy, const Conv2dGeometry& g,
                          int64_t chunk_elements) {
  if (chunk_elements == default_chunk_elements) {
    Tensor dw = onednn_conv2d_weight_grad(x, dy, g);
    if (dw.defined()) return dw;
  }
  Tensor dw = zeros(g.weight_shape(), {.dtype = x.dtype()});
  dispatch_floating(x.dtype(), "conv2d_weight_grad",
                    [&]<typename T>() { weight_grad_impl<T>(x, dy, g, chunk_elements, dw); });
  return dw;
}

std::pair<Tensor, Tensor> conv2d_weight_bias_grad(const Tensor& x, const Tensor& dy,
                                                  const Conv2dGeometry& g) {
  Tensor db;
  Tensor dw = onednn_conv2d_weight_grad(x, dy, g, &db);
  if (dw.defined()) return {dw, db};
  return {conv2d_weight_grad(x, dy, g), Tensor()};
}

// ---- pooling ----

PoolWindows sliding_windows(int64_t in_size, int64_t out_size, int64_t kernel, int64_t stride,
                            int64_t padding, bool count_include_pad) {
  PoolWindows windows;
  windows.in_size = in_size;
  for (int64_t i = 0; i < out_size; ++i) {
    int64_t start = i * stride - padding;
    int64_t end = std::min(start + kernel, in_size + padding);
    int64_t padded = end - start;
    start = std::max<int64_t>(start, 0);
    end = std::min(end, in_size);
    windows.start.push_back(start);
    windows.end.push_back(end);
    windows.divisor.push_back(count_include_pad ? padded : end - start);
  }
  return windows;
}

PoolWindows adaptive_windows(int64_t in_size, int64_t out_size) {
  PoolWindows windows;
  windows.in_size = in_size;
  for (int64_t i = 0; i < out_size; ++i) {
    int64_t start = i * in_size / out_size;
    int64_t end = ((i + 1) * in_size + out_size - 1) / out_size;
    windows.start.push_back(start);
    windows.end.push_back(end);
    windows.divisor.push_back(end - start);
  }
  return windows;
}

namespace {
// Runs body(n, c) over every [N, C] plane, in parallel when the work is big enough.
template <typename Body>
void for_each_plane(int64_t batch, int64_t channels, int64_t work_per_plane, Body&& body) {
  const int64_t planes = batch * channels;
#pragma omp parallel for schedule(static) if (run_parallel(planes * work_per_plane))
  for (int64_t i = 0; i < planes; ++i) body(i / channels, i % channels);
}

int64_t window_work(const PoolWindows& rows, const PoolWindows& cols) {
  int64_t r = 0, c = 0;
  for (int64_t i = 0; i < rows.out_size(); ++i) r += rows.end[i] - rows.start[i];
  for (int64_t i = 0; i < cols.out_size(); ++i) c += cols.end[i] - cols.start[i];
  return r * c;
}

// Whether the windows are [2i, 2i + 2) for every output i (kernel 2, stride 2, no padding, none
// clipped): the common max pool, which gets a branch-free loop.
bool pairs(const PoolWindows& w) {
  for (int64_t i = 0; i < w.out_size(); ++i) {
    if (w.start[i] != 2 * i || w.end[i] != 2 * i + 2) return false;
  }
  return true;
}

// Max over 2 x 2 windows of one plane with unit column stride. The updates keep the general
// loop's order and rule (a later value wins when greater or NaN, so the first maximum and the
// last NaN), written as selects so that random data costs no mispredicted branches.
template <typename T>
void max_pool_pairs(const T* plane, int64_t row_stride, int64_t in_w, int64_t out_h, int64_t out_w,
                    T* out, int64_t* where) {
  for (int64_t oh = 0; oh < out_h; ++oh) {
    const T* top = plane + 2 * oh * row_stride;
    const T* bottom = top + row_stride;
    const int64_t first = 2 * oh * in_w;
    T* dst = out + oh * out_w;
    int64_t* at = where + oh * out_w;
    for (int64_t ow = 0; ow < out_w; ++ow) {
      const T v0 = top[2 * ow], v1 = top[2 * ow + 1], v2 = bottom[2 * ow], v3 = bottom[2 * ow + 1];
      T best = v0;
      int64_t offset = 0;
      bool take = v1 > best || v1 != v1;
      best = take ? v1 : best;
      offset = take ? 1 : offset;
      take = v2 > best || v2 != v2;
      best = take ? v2 : best;
      offset = take ? in_w : offset;
      take = v3 > best || v3 != v3;
      best = take ? v3 : best;
      offset = take ? in_w + 1 : offset;
      dst[ow] = best;
      at[ow] = first + 2 * ow + offset;
    }
  }
}

#ifdef __AVX512F__
// GCC 12 warns that its own intrinsics headers read an uninitialized vector (the unused lanes of
// the masked loads below); the lanes are zeroed by the masks, so the warning is a false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// max_pool_pairs for float, 16 outputs at a time: GCC turns the selects of the scalar loop into
// branches, and these mispredict on half the windows of real activations.
template <>
void max_pool_pairs<float>(const float* plane, int64_t row_stride, int64_t in_w, int64_t out_h,
                           int64_t out_w, float* out, int64_t* where) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i zero = _mm512_setzero_si512();
  for (int64_t oh = 0; oh < out_h; ++oh) {
    const float* top = plane + 2 * oh * row_stride;
    const float* bottom = top + row_stride;
    const int64_t first = 2 * oh * in_w;
    for (int64_t ow = 0; ow < out_w; ow += 16) {
      const int64_t n = std::min<int64_t>(16, out_w - ow);
      const __mmask16 lo = static_cast<__mmask16>(n >= 8 ? 0xffff : (1u << (2 * n)) - 1);
      const __mmask16 hi = static_cast<__mmask16>(n <= 8 ? 0 : (1u << (2 * (n - 8))) - 1);
      const __mmask16 live = static_cast<__mmask16>((1u << n) - 1);
      const __m512 t0 = _mm512_maskz_loadu_ps(lo, top + 2 * ow);
      const __m512 t1 = _mm512_maskz_loadu_ps(hi, top + 2 * ow + 16);
      const __m512 b0 = _mm512_maskz_loadu_ps(lo, bottom + 2 * ow);
      const __m512 b1 = _mm512_maskz_loadu_ps(hi, bottom + 2 * ow + 16);
      const __m512 v1 = _mm512_permutex2var_ps(t0, odd, t1);
      const __m512 v2 = _mm512_permutex2var_ps(b0, even, b1);
      const __m512 v3 = _mm512_permutex2var_ps(b0, odd, b1);
      __m512 best = _mm512_permutex2var_ps(t0, even, t1);
      __m512i offset = zero;
      __mmask16 take =
          _mm512_cmp_ps_mask(v1, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v1, v1, _CMP_UNORD_Q);
      best = _mm512_mask_mov_ps(best, take, v1);
      offset = _mm512_mask_mov_epi32(offset, take, _mm512_set1_epi32(1));
      take = _mm512_cmp_ps_mask(v2, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v2, v2, _CMP_UNORD_Q);
      best = _mm512_mask_mov_ps(best, take, v2);
      offset = _mm512_mask_mov_epi32(offset, take, _mm512_set1_epi32(static_cast<int>(in_w)));
      take = _mm512_cmp_ps_mask(v3, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v3, v3, _CMP_UNORD_Q);
      best = _mm512_mask_mov_ps(best, take, v3);
      offset = _mm512_mask_mov_epi32(offset, take, _mm512_set1_epi32(static_cast<int>(in_w) + 1));
      _mm512_mask_storeu_ps(out + oh * out_w + ow, live, best);
      // Plane index = first + 2 * (ow + lane) + offset, widened to int64 in two halves.
      const __m512i lanes = _mm512_add_epi32(even, offset);
      const __m512i base = _mm512_set1_epi64(first + 2 * ow);
      int64_t* at = where + oh * out_w + ow;
      _mm512_mask_storeu_epi64(
          at, static_cast<__mmask8>(live & 0xff),
          _mm512_add_epi64(base, _mm512_cvtepi32_epi64(_mm512_castsi512_si256(lanes))));
      _mm512_mask_storeu_epi64(
          at + 8, static_cast<__mmask8>(live >> 8),
          _mm512_add_epi64(base, _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(lanes, 1))));
    }
  }
}
#pragma GCC diagnostic pop
#endif

}  // namespace

std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, const PoolWindows& rows,
                                     const PoolWindows& cols) {
  const int64_t batch = x.size(0), channels = x.size(1), in_w = x.size(3);
  const int64_t out_h = rows.out_size(), out_w = cols.out_size();
  Tensor y = empty({batch, channels, out_h, out_w}, x.dtype());
  Tensor index = empty(y.shape(), Dtype::int64);
  dispatch_floating(x.dtype(), "max_pool2d", [&]<typename T>() {
    Strided4<const T> xs = strided<T>(x);
    T* out = y.data_ptr<T>();
    int64_t* where = index.data_ptr<int64_t>();
    if (xs.sw == 1 && pairs(rows) && pairs(cols)) {
      for_each_plane(batch, channels, 4 * out_h * out_w, [&](int64_t n, int64_t c) {
        const int64_t base = (n * channels + c) * out_h * out_w;
        max_pool_pairs(xs.plane(n, c), xs.sh, in_w, out_h, out_w, out + base, where + base);
      });
      return;
    }
    for_each_plane(batch, channels, window_work(rows, cols), [&](int64_t n, int64_t c) {
      const T* plane = xs.plane(n, c);
      const int64_t base = (n * channels + c) * out_h * out_w;
      for (int64_t oh = 0; oh < out_h; ++oh) {
        for (int64_t ow = 0; ow < out_w; ++ow) {
          T best = -std::numeric_limits<T>::infinity();
          int64_t best_at = rows.start[oh] * in_w + cols.start[ow];
          for (int64_t ih = rows.start[oh]; ih < rows.end[oh]; ++ih) {
            const T* line = plane + ih * xs.sh;
            for (int64_t iw = cols.start[ow]; iw < cols.end[ow]; ++iw) {
              T v = line[iw * xs.sw];
              if (v > best || std::isnan(v)) {
                best = v;
                best_at = ih * in_w + iw;
              }
            }
          }
          out[base + oh * out_w + ow] = best;
          where[base + oh * out_w + ow] = best_at;
        }
      }
    });
  });
  return {y, index};
}

Tensor avg_pool2d(const Tensor& x, const PoolWindows& rows, const PoolWindows& cols) {
  const int64_t batch = x.size(0), channels = x.size(1);
  const int64_t out_h = rows.out_size(), out_w = cols.out_size();
  Tensor y = empty({batch, channels, out_h, out_w}, x.dtype());
  dispatch_floating(x.dtype(), "avg_pool2d", [&]<typename T>() {
    Strided4<const T> xs = strided<T>(x);
    T* out = y.data_ptr<T>();
    for_each_plane(batch, channels, window_work(rows, cols), [&](int64_t n, int64_t c) {
      const T* plane = xs.plane(n, c);
      T* dst = out + (n * channels + c) * out_h * out_w;
      for (int64_t oh = 0; oh < out_h; ++oh) {
        for (int64_t ow = 0; ow < out_w; ++ow) {
          T acc = 0;
          for (int64_t ih = rows.start[oh]; ih < rows.end[oh]; ++ih) {
            const T* line = plane + ih * xs.sh;
            for (int64_t iw = cols.start[ow]; iw < cols.end[ow]; ++iw) acc += line[iw * xs.sw];
          }
          dst[oh * out_w + ow] = acc / static_cast<T>(rows.divisor[oh] * cols.divisor[ow]);
        }
      }
    });
  });
  return y;
}

Tensor avg_pool2d_adjoint(const Tensor& dy, const PoolWindows& rows, const PoolWindows& cols) {
  const int64_t batch = dy.size(0), channels = dy.size(1);
  const int64_t in_h = rows.in_size, in_w = cols.in_size;
  const int64_t out_h = rows.out_size(), out_w = cols.out_size();
  Tensor dx = zeros({batch, channels, in_h, in_w}, {.dtype = dy.dtype()});
  dispatch_floating(dy.dtype(), "avg_pool2d_backward", [&]<typename T>() {
    Strided4<const T> dys = strided<T>(dy);
    T* out = dx.data_ptr<T>();
    for_each_plane(batch, channels, window_work(rows, cols), [&](int64_t n, int64_t c) {
      const T* src = dys.plane(n, c);
      T* plane = out + (n * channels + c) * in_h * in_w;
      for (int64_t oh = 0; oh < out_h; ++oh) {
        for (int64_t ow = 0; ow < out_w; ++ow) {
          T share =
              src[oh * dys.sh + ow * dys.sw] / static_cast<T>(rows.divisor[oh] * cols.divisor[ow]);
          for (int64_t ih = rows.start[oh]; ih < rows.end[oh]; ++ih) {
            T* line = plane + ih * in_w;
            for (int64_t iw = cols.start[ow]; iw < cols.end[ow]; ++iw) line[iw] += share;
          }
        }
      }
    });
  });
  return dx;
}

Tensor pool_gather(const Tensor& x, const Tensor& index) {
  const int64_t batch = x.size(0), channels = x.size(1), in_w = x.size(3);
  const int64_t out_h = index.size(2), out_w = index.size(3);
  Tensor y = empty(index.shape(), x.dtype());
  Tensor idx = convert(index, Dtype::int64);
  dispatch_floating(x.dtype(), "max_pool2d_gather", [&]<typename T>() {
    Strided4<const T> xs = strided<T>(x);
    const int64_t* where = idx.data_ptr<int64_t>();
    T* out = y.data_ptr<T>();
    for_each_plane(batch, channels, out_h * out_w, [&](int64_t n, int64_t c) {
      const T* plane = xs.plane(n, c);
      const int64_t base = (n * channels + c) * out_h * out_w;
      for (int64_t o = 0; o < out_h * out_w; ++o) {
        int64_t at = where[base + o];
        out[base + o] = plane[(at / in_w) * xs.sh + (at % in_w) * xs.sw];
      }
    });
  });
  return y;
}

Tensor pool_scatter_add(const Tensor& dy, const Tensor& index, int64_t in_h, int64_t in_w) {
  const int64_t batch = dy.size(0), channels = dy.size(1);
  const int64_t out_h = index.size(2), out_w = index.size(3);
  Tensor dx = zeros({batch, channels, in_h, in_w}, {.dtype = dy.dtype()});
  Tensor idx = convert(index, Dtype::int64);
  dispatch_floating(dy.dtype(), "max_pool2d_backward", [&]<typename T>() {
    Strided4<const T> dys = strided<T>(dy);
    const int64_t* where = idx.data_ptr<int64_t>();
    T* out = dx.data_ptr<T>();
    for_each_plane(batch, channels, out_h * out_w, [&](int64_t n, int64_t c) {
      const T* src = dys.plane(n, c);
      T* plane = out + (n * channels + c) * in_h * in_w;
      const int64_t base = (n * channels + c) * out_h * out_w;
      for (int64_t oh = 0; oh < out_h; ++oh) {
        for (int64_t ow = 0; ow < out_w; ++ow) {
          plane[where[base + oh * out_w + ow]] += src[oh * dys.sh + ow * dys.sw];
        }
      }
    });
  });
  return dx;
}

}  // namespace cajal::kernels
