#pragma once
// Fast convolution and pooling kernels (no autograd; src/ops/ builds the differentiable ops on
// them). float32 convolutions run on oneDNN's primitives (kernels/onednn_convolution.h); the rest,
// and whatever oneDNN declines, as im2col + gemm over chunks of the batch. Pooling loops run in
// parallel over the [N, C] planes. The specification is kernels/reference/convolution.h.
//
// A convolution is one trilinear form T(x, w, y) = sum x[n, ci, ih, iw] * w[co, ci', kh, kw] *
// y[n, co, oh, ow] over the index pairs the geometry connects; the three kernels below are its
// three partial derivatives, so each one's gradients are the other two.
#include <cstdint>
#include <utility>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal::kernels {

// A 2-D convolution from an image x [N, in_channels, in_h, in_w] to y [N, out_channels, out_h,
// out_w] with weight [out_channels, in_channels / groups, kernel_h, kernel_w]:
//   ih = oh * stride_h - pad_h + kh * dilation_h   (likewise for w)
// pad_h/pad_w is the padding before the first row/column; out_h/out_w are given, so the padding
// after may differ ("same" with an odd total, transposed convolutions with output_padding).
struct Conv2dGeometry {
  int64_t in_channels = 1, out_channels = 1, groups = 1;
  int64_t in_h = 1, in_w = 1;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t out_h = 1, out_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;

  Shape input_shape(int64_t batch) const { return {batch, in_channels, in_h, in_w}; }
  Shape output_shape(int64_t batch) const { return {batch, out_channels, out_h, out_w}; }
  Shape weight_shape() const { return {out_channels, in_channels / groups, kernel_h, kernel_w}; }
};

// How many elements of im2col buffer a chunk of the batch may use; a chunk holds at least one
// image. Tests pass small values to exercise several chunks; any value but the default keeps the
// call on im2col + gemm, so those tests cover that path even for float32.
inline constexpr int64_t default_chunk_elements = int64_t{1} << 22;

// y = conv(x, w) + b. x: input_shape (any strides), w: weight_shape, b: [out_channels] or
// undefined; all of one floating dtype -> y: output_shape, contiguous.
Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g,
                      int64_t chunk_elements = default_chunk_elements);
// The adjoint in x (a transposed convolution). dy: output_shape -> dx: input_shape.
Tensor conv2d_input_grad(const Tensor& dy, const Tensor& w, const Conv2dGeometry& g,
                         int64_t chunk_elements = default_chunk_elements);
// The adjoint in w. x: input_shape, dy: output_shape -> dw: weight_shape.
Tensor conv2d_weight_grad(const Tensor& x, const Tensor& dy, const Conv2dGeometry& g,
                          int64_t chunk_elements = default_chunk_elements);
// The adjoints in w and in b (dy summed over N, OH, OW) together: oneDNN computes the second
// while it streams dy for the first. Returns {dw, undefined} when that path declines (float64,
// geometries oneDNN cannot take); the caller then sums dy itself.
std::pair<Tensor, Tensor> conv2d_weight_bias_grad(const Tensor& x, const Tensor& dy,
                                                  const Conv2dGeometry& g);

// Pooling windows along one spatial dim: output i reads input [start[i], end[i]) (clipped to the
// input, never empty) and, when averaging, divides by divisor[i] (the divisor of a 2-D window is
// the product of its rows' and columns' divisors).
struct PoolWindows {
  int64_t in_size = 0;
  std::vector<int64_t> start, end, divisor;
  int64_t out_size() const { return static_cast<int64_t>(start.size()); }
};

// Windows of a kernel sliding with stride over `padding` + input + `padding`, out_size of them;
// divisors count the padding when count_include_pad (padding past the far edge never counts, as
// in PyTorch's ceil_mode).
PoolWindows sliding_windows(int64_t in_size, int64_t out_size, int64_t kernel, int64_t stride,
                            int64_t padding, bool count_include_pad);
// PyTorch's adaptive bins: [floor(i * in / out), ceil((i + 1) * in / out)).
PoolWindows adaptive_windows(int64_t in_size, int64_t out_size);

// x: [N, C, H, W] (any strides) -> (max values [N, C, OH, OW], int64 indices of the first
// maximum into each H * W plane). NaN wins, as in PyTorch.
std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, const PoolWindows& rows,
                                     const PoolWindows& cols);
// x: [N, C, H, W] -> [N, C, OH, OW]: window sums over divisors.
Tensor avg_pool2d(const Tensor& x, const PoolWindows& rows, const PoolWindows& cols);
// The adjoint of avg_pool2d: dy [N, C, OH, OW] -> [N, C, H, W].
Tensor avg_pool2d_adjoint(const Tensor& dy, const PoolWindows& rows, const PoolWindows& cols);
// out[n, c, o] = x[n, c, plane index[n, c, o]]. x: [N, C, H, W], index: int64 [N, C, OH, OW].
Tensor pool_gather(const Tensor& x, const Tensor& index);
// The adjoint of pool_gather: dx[n, c, index[n, c, o]] += dy[n, c, o] -> [N, C, in_h, in_w].
Tensor pool_scatter_add(const Tensor& dy, const Tensor& index, int64_t in_h, int64_t in_w);

}  // namespace cajal::kernels
