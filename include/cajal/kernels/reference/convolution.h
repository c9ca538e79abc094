#pragma once
// The specification of the convolution and pooling kernels (kernels/convolution.h): the direct
// definitions as plain loops, accumulating in double. Slow; tests compare the fast paths with
// these.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "cajal/core/creation.h"
#include "cajal/core/tensor.h"
#include "cajal/kernels/convolution.h"

namespace cajal::kernels::reference {

namespace detail {
// Reads element [i0, i1, i2, i3] of a 4-D tensor with any strides.
template <typename T>
T at4(const Tensor& t, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
  return t.data_ptr<T>()[i0 * t.stride(0) + i1 * t.stride(1) + i2 * t.stride(2) + i3 * t.stride(3)];
}
}  // namespace detail

// y[n, co, oh, ow] = b[co] + sum over ci in co's group, kh, kw of
//   x[n, ci, oh * stride - pad + kh * dilation, ...] * w[co, ci - group start, kh, kw]
// with x read as 0 outside the image.
inline Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g) {
  const int64_t batch = x.size(0);
  const int64_t cg = g.in_channels / g.groups, og = g.out_channels / g.groups;
  Tensor y = empty(g.output_shape(batch), x.dtype());
  dispatch_floating(x.dtype(), "reference::conv2d", [&]<typename T>() {
    T* out = y.data_ptr<T>();
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t co = 0; co < g.out_channels; ++co)
        for (int64_t oh = 0; oh < g.out_h; ++oh)
          for (int64_t ow = 0; ow < g.out_w; ++ow) {
            double acc = b.defined() ? static_cast<double>(b.data_ptr<T>()[co * b.stride(0)]) : 0;
            int64_t group = co / og;
            for (int64_t c = 0; c < cg; ++c)
              for (int64_t kh = 0; kh < g.kernel_h; ++kh)
                for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
                  int64_t ih = oh * g.stride_h - g.pad_h + kh * g.dilation_h;
                  int64_t iw = ow * g.stride_w - g.pad_w + kw * g.dilation_w;
                  if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
                  acc += static_cast<double>(detail::at4<T>(x, n, group * cg + c, ih, iw)) *
                         static_cast<double>(detail::at4<T>(w, co, c, kh, kw));
                }
            *out++ = static_cast<T>(acc);
          }
  });
  return y;
}

// The adjoint of conv2d in x: dx[n, ci, ih, iw] = sum of dy[n, co, oh, ow] * w[co, c, kh, kw]
// over every (co, oh, ow, kh, kw) that conv2d connects to (ci, ih, iw).
inline Tensor conv2d_input_grad(const Tensor& dy, const Tensor& w, const Conv2dGeometry& g) {
  const int64_t batch = dy.size(0);
  const int64_t cg = g.in_channels / g.groups, og = g.out_channels / g.groups;
  Tensor dx = zeros(g.input_shape(batch), {.dtype = dy.dtype()});
  dispatch_floating(dy.dtype(), "reference::conv2d_input_grad", [&]<typename T>() {
    T* out = dx.data_ptr<T>();
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t ci = 0; ci < g.in_channels; ++ci)
        for (int64_t ih = 0; ih < g.in_h; ++ih)
          for (int64_t iw = 0; iw < g.in_w; ++iw) {
            double acc = 0;
            int64_t group = ci / cg, c = ci % cg;
            for (int64_t co = group * og; co < (group + 1) * og; ++co)
              for (int64_t kh = 0; kh < g.kernel_h; ++kh)
                for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
                  // Solve ih = oh * stride - pad + kh * dilation for oh.
                  int64_t th = ih + g.pad_h - kh * g.dilation_h;
                  int64_t tw = iw + g.pad_w - kw * g.dilation_w;
                  if (th < 0 || tw < 0 || th % g.stride_h != 0 || tw % g.stride_w != 0) continue;
                  int64_t oh = th / g.stride_h, ow = tw / g.stride_w;
                  if (oh >= g.out_h || ow >= g.out_w) continue;
                  acc += static_cast<double>(detail::at4<T>(dy, n, co, oh, ow)) *
                         static_cast<double>(detail::at4<T>(w, co, c, kh, kw));
                }
            *out++ = static_cast<T>(acc);
          }
  });
  return dx;
}

// The adjoint of conv2d in w: dw[co, c, kh, kw] = sum over n, oh, ow of
//   dy[n, co, oh, ow] * x[n, group start + c, oh * stride - pad + kh * dilation, ...].
inline Tensor conv2d_weight_grad(const Tensor& x, const Tensor& dy, const Conv2dGeometry& g) {
  const int64_t batch = x.size(0);
  const int64_t cg = g.in_channels / g.groups, og = g.out_channels / g.groups;
  Tensor dw = empty(g.weight_shape(), x.dtype());
  dispatch_floating(x.dtype(), "reference::conv2d_weight_grad", [&]<typename T>() {
    T* out = dw.data_ptr<T>();
    for (int64_t co = 0; co < g.out_channels; ++co)
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t kh = 0; kh < g.kernel_h; ++kh)
          for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
            double acc = 0;
            int64_t ci = (co / og) * cg + c;
            for (int64_t n = 0; n < batch; ++n)
              for (int64_t oh = 0; oh < g.out_h; ++oh)
                for (int64_t ow = 0; ow < g.out_w; ++ow) {
                  int64_t ih = oh * g.stride_h - g.pad_h + kh * g.dilation_h;
                  int64_t iw = ow * g.stride_w - g.pad_w + kw * g.dilation_w;
                  if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
                  acc += static_cast<double>(detail::at4<T>(dy, n, co, oh, ow)) *
                         static_cast<double>(detail::at4<T>(x, n, ci, ih, iw));
                }
            *out++ = static_cast<T>(acc);
          }
  });
  return dw;
}

// PyTorch's pooling output size: windows of `kernel` every `stride` over the padded input; with
// ceil_mode a last partial window counts unless it would start in the right padding.
inline int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                                bool ceil_mode) {
  int64_t span = in + 2 * padding - kernel;
  int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + padding) --out;
  return out;
}

// Max over each window of the (-infinity) padded input, with indices into the H * W plane of the
// first maximum (of the last NaN, as PyTorch; of the window's first element when all are -inf).
inline std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, int64_t kernel_h, int64_t kernel_w,
                                            int64_t stride_h, int64_t stride_w, int64_t pad_h,
                                            int64_t pad_w, bool ceil_mode) {
  const int64_t batch = x.size(0), channels = x.size(1), in_h = x.size(2), in_w = x.size(3);
  const int64_t out_h = pool_output_size(in_h, kernel_h, stride_h, pad_h, ceil_mode);
  const int64_t out_w = pool_output_size(in_w, kernel_w, stride_w, pad_w, ceil_mode);
  Tensor y = empty({batch, channels, out_h, out_w}, x.dtype());
  Tensor index = empty({batch, channels, out_h, out_w}, Dtype::int64);
  dispatch_floating(x.dtype(), "reference::max_pool2d", [&]<typename T>() {
    T* out = y.data_ptr<T>();
    int64_t* where = index.data_ptr<int64_t>();
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t oh = 0; oh < out_h; ++oh)
          for (int64_t ow = 0; ow < out_w; ++ow) {
            T best = -std::numeric_limits<T>::infinity();
            int64_t best_at = -1;
            for (int64_t kh = 0; kh < kernel_h; ++kh)
              for (int64_t kw = 0; kw < kernel_w; ++kw) {
                int64_t ih = oh * stride_h - pad_h + kh, iw = ow * stride_w - pad_w + kw;
                if (ih < 0 || ih >= in_h || iw < 0 || iw >= in_w) continue;
                T v = detail::at4<T>(x, n, c, ih, iw);
                if (best_at < 0) best_at = ih * in_w + iw;
                if (v > best || std::isnan(v)) {
                  best = v;
                  best_at = ih * in_w + iw;
                }
              }
            *out++ = best;
            *where++ = best_at;
          }
  });
  return {y, index};
}

// Mean over each window of the zero-padded input. The divisor is the window's size clipped to the
// padded input (count_include_pad) or to the input itself.
inline Tensor avg_pool2d(const Tensor& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                         int64_t stride_w, int64_t pad_h, int64_t pad_w, bool ceil_mode,
                         bool count_include_pad) {
  const int64_t batch = x.size(0), channels = x.size(1), in_h = x.size(2), in_w = x.size(3);
  const int64_t out_h = pool_output_size(in_h, kernel_h, stride_h, pad_h, ceil_mode);
  const int64_t out_w = pool_output_size(in_w, kernel_w, stride_w, pad_w, ceil_mode);
  Tensor y = empty({batch, channels, out_h, out_w}, x.dtype());
  dispatch_floating(x.dtype(), "reference::avg_pool2d", [&]<typename T>() {
    T* out = y.data_ptr<T>();
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t oh = 0; oh < out_h; ++oh)
          for (int64_t ow = 0; ow < out_w; ++ow) {
            double acc = 0;
            int64_t in_padded = 0, in_image = 0;
            for (int64_t kh = 0; kh < kernel_h; ++kh)
              for (int64_t kw = 0; kw < kernel_w; ++kw) {
                int64_t ih = oh * stride_h - pad_h + kh, iw = ow * stride_w - pad_w + kw;
                if (ih >= in_h + pad_h || iw >= in_w + pad_w) continue;
                ++in_padded;
                if (ih < 0 || ih >= in_h || iw < 0 || iw >= in_w) continue;
                ++in_image;
                acc += static_cast<double>(detail::at4<T>(x, n, c, ih, iw));
              }
            *out++ =
                static_cast<T>(acc / static_cast<double>(count_include_pad ? in_padded : in_image));
          }
  });
  return y;
}

// Mean over PyTorch's adaptive bins [floor(i * in / out), ceil((i + 1) * in / out)).
inline Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w) {
  const int64_t batch = x.size(0), channels = x.size(1), in_h = x.size(2), in_w = x.size(3);
  Tensor y = empty({batch, channels, out_h, out_w}, x.dtype());
  dispatch_floating(x.dtype(), "reference::adaptive_avg_pool2d", [&]<typename T>() {
    T* out = y.data_ptr<T>();
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t oh = 0; oh < out_h; ++oh)
          for (int64_t ow = 0; ow < out_w; ++ow) {
            int64_t h0 = oh * in_h / out_h, h1 = ((oh + 1) * in_h + out_h - 1) / out_h;
            int64_t w0 = ow * in_w / out_w, w1 = ((ow + 1) * in_w + out_w - 1) / out_w;
            double acc = 0;
            for (int64_t ih = h0; ih < h1; ++ih)
              for (int64_t iw = w0; iw < w1; ++iw) {
                acc += static_cast<double>(detail::at4<T>(x, n, c, ih, iw));
              }
            *out++ = static_cast<T>(acc / static_cast<double>((h1 - h0) * (w1 - w0)));
          }
  });
  return y;
}

}  // namespace cajal::kernels::reference
