#include "cajal/kernels/onednn_convolution.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/kernels/reference/convolution.h"
#include "support/golden.h"

namespace cajal {
namespace {

using kernels::Conv2dGeometry;
using testing::tensors_close;

// float32 results against the float64 reference. oneDNN sums in its own order, with FMA, and runs
// 3 x 3 stride-1 layers with 16+ channels through Winograd's F(4x4, 3x3) transforms, whose
// rounding error is larger than a direct sum's; every pass's error grows like the root of its
// reduction length L (C_in * KH * KW forward, C_out * KH * KW for the input gradient,
// N * OH * OW for the weight gradient). Measured worst case over these tests, on unit-sized
// data: 6.5e-6 * sqrt(L) with Winograd, 4.8e-6 * sqrt(L) with direct kernels only. Bound: 2e-5.
double tolerance(int64_t reduction_length) {
  return 2e-5 * std::sqrt(static_cast<double>(std::max<int64_t>(1, reduction_length)));
}

Conv2dGeometry geometry(int64_t in_c, int64_t out_c, int64_t in_h, int64_t in_w, int64_t k_h,
                        int64_t k_w, int64_t stride, int64_t pad, int64_t groups = 1,
                        int64_t dilation = 1) {
  Conv2dGeometry g;
  g.in_channels = in_c, g.out_channels = out_c, g.groups = groups;
  g.in_h = in_h, g.in_w = in_w, g.kernel_h = k_h, g.kernel_w = k_w;
  g.stride_h = g.stride_w = stride;
  g.pad_h = g.pad_w = pad;
  g.dilation_h = g.dilation_w = dilation;
  g.out_h = (in_h + 2 * pad - dilation * (k_h - 1) - 1) / stride + 1;
  g.out_w = (in_w + 2 * pad - dilation * (k_w - 1) - 1) / stride + 1;
  return g;
}

std::string describe(const Conv2dGeometry& g, int64_t batch) {
  return "batch " + std::to_string(batch) + " in " + shape_string(g.input_shape(batch)) +
         " weight " + shape_string(g.weight_shape()) + " out " +
         shape_string(g.output_shape(batch)) + " stride " + std::to_string(g.stride_h) + " pad " +
         std::to_string(g.pad_h) + " groups " + std::to_string(g.groups) + " dilation " +
         std::to_string(g.dilation_h);
}

// A [N, C, H, W] tensor whose memory is laid out as [N, H, W, C].
Tensor channels_last(const Shape& shape) {
  return permute(randn({shape[0], shape[2], shape[3], shape[1]}), {0, 3, 1, 2});
}

// Checks all three passes against the float64 reference; every one must take the oneDNN path.
void expect_matches_reference(const Conv2dGeometry& g, int64_t batch, bool strided, bool bias) {
  SCOPED_TRACE(describe(g, batch) + (strided ? " strided" : "") + (bias ? " bias" : ""));
  Tensor x = strided ? channels_last(g.input_shape(batch)) : randn(g.input_shape(batch));
  Tensor w = randn(g.weight_shape());
  Tensor b = bias ? randn({g.out_channels}) : Tensor();
  Tensor dy = strided ? channels_last(g.output_shape(batch)) : randn(g.output_shape(batch));
  auto wide = [](const Tensor& t) { return t.defined() ? t.to(Dtype::float64) : t; };

  Tensor y = kernels::onednn_conv2d_forward(x, w, b, g);
  ASSERT_TRUE(y.defined());
  EXPECT_TRUE(y.is_contiguous());
  const int64_t taps = g.kernel_h * g.kernel_w;
  const double forward_tol = tolerance(g.in_channels / g.groups * taps);
  EXPECT_TRUE(tensors_close(y.to(Dtype::float64),
                            kernels::reference::conv2d(wide(x), wide(w), wide(b), g), 0,
                            forward_tol));
  Tensor dx = kernels::onednn_conv2d_input_grad(dy, w, g);
  ASSERT_TRUE(dx.defined());
  EXPECT_TRUE(tensors_close(dx.to(Dtype::float64),
                            kernels::reference::conv2d_input_grad(wide(dy), wide(w), g), 0,
                            tolerance(g.out_channels / g.groups * taps)));
  Tensor dw = kernels::onednn_conv2d_weight_grad(x, dy, g);
  ASSERT_TRUE(dw.defined());
  const double weight_atol = tolerance(batch * g.out_h * g.out_w);
  EXPECT_TRUE(tensors_close(dw.to(Dtype::float64),
                            kernels::reference::conv2d_weight_grad(wide(x), wide(dy), g), 0,
                            weight_atol));
  // The bias gradient from the same pass, through the public kernel that ops/ calls.
  auto [dw_fused, db] = kernels::conv2d_weight_bias_grad(x, dy, g);
  ASSERT_TRUE(db.defined());
  EXPECT_TRUE(tensors_close(dw_fused, dw, 1e-6, 1e-6));
  EXPECT_TRUE(tensors_close(db.to(Dtype::float64), sum(wide(dy), {0, 2, 3}), 0, weight_atol));
}

TEST(OnednnConvolution, MatchesReferenceOnOddGeometries) {
  manual_seed(31);
  int trial = 0;
  for (int64_t in_c : {1, 3, 17}) {
    for (int64_t kernel : {1, 3, 5}) {
      for (int64_t stride : {1, 2}) {
        for (int64_t pad : {0, 1, 2}) {
          if (2 * pad > kernel + 1) continue;
          ++trial;
          const int64_t out_c = trial % 2 == 0 ? 16 : 5;
          const int64_t batch = trial % 3 == 0 ? 1 : 3;
          // Non-square images and, every other time, a non-square kernel.
          const int64_t k_w = trial % 2 == 0 ? kernel : std::max<int64_t>(1, kernel - 2);
          Conv2dGeometry g = geometry(in_c, out_c, 9, 12, kernel, k_w, stride, pad);
          if (g.out_h < 1 || g.out_w < 1) continue;
          expect_matches_reference(g, batch, trial % 2 == 1, trial % 3 != 1);
        }
      }
    }
  }
}

TEST(OnednnConvolution, MatchesReferenceWithGroupsAndDilation) {
  manual_seed(32);
  expect_matches_reference(geometry(6, 9, 11, 8, 3, 3, 1, 1, 3), 2, false, true);
  expect_matches_reference(geometry(4, 4, 10, 13, 3, 2, 2, 2, 1, 2), 5, true, true);
  expect_matches_reference(geometry(16, 16, 7, 7, 3, 3, 1, 1, 16), 1, false, false);
}

TEST(OnednnConvolution, MatchesReferenceOnTheBenchmarkLayers) {
  manual_seed(33);
  // cnn's two convolutions at a small batch, and a final batch that differs from the others.
  for (int64_t batch : {7, 4}) {
    expect_matches_reference(geometry(1, 32, 28, 28, 3, 3, 1, 1), batch, false, true);
    expect_matches_reference(geometry(32, 64, 14, 14, 3, 3, 1, 1), batch, false, true);
  }
}

TEST(OnednnConvolution, UnevenRightPadding) {
  // Output sizes one smaller than symmetric padding gives, as "same" with an even kernel and the
  // adjoints of transposed convolutions produce. When the rows no window reads are fewer than a
  // stride, zero padding after reproduces the size and oneDNN runs it.
  manual_seed(34);
  Conv2dGeometry g = geometry(3, 8, 11, 9, 3, 3, 2, 1);
  --g.out_w;
  expect_matches_reference(g, 2, false, true);
}

TEST(OnednnConvolution, NegativePaddingAfterFallsBackToIm2col) {
  // Here the size needs a negative padding after, which oneDNN 2.6 rejects: the oneDNN functions
  // decline and the public kernels still answer through im2col + gemm.
  manual_seed(36);
  Conv2dGeometry g = geometry(3, 8, 10, 9, 3, 3, 2, 1);
  --g.out_h;
  Tensor x = randn(g.input_shape(2)), w = randn(g.weight_shape()), dy = randn(g.output_shape(2));
  EXPECT_FALSE(kernels::onednn_conv2d_forward(x, w, Tensor(), g).defined());
  EXPECT_TRUE(tensors_close(kernels::conv2d_forward(x, w, Tensor(), g),
                            kernels::reference::conv2d(x, w, Tensor(), g), tolerance(1),
                            tolerance(1)));
  EXPECT_TRUE(tensors_close(kernels::conv2d_input_grad(dy, w, g),
                            kernels::reference::conv2d_input_grad(dy, w, g), tolerance(1),
                            tolerance(1)));
  EXPECT_TRUE(tensors_close(kernels::conv2d_weight_grad(x, dy, g),
                            kernels::reference::conv2d_weight_grad(x, dy, g), tolerance(1),
                            tolerance(1)));
}

TEST(OnednnConvolution, RunsJitKernelsForTheBenchmarkLayers) {
  // A reference or gemm implementation here would cost the cnn workload several times over.
  for (const Conv2dGeometry& g :
       {geometry(1, 32, 28, 28, 3, 3, 1, 1), geometry(32, 64, 14, 14, 3, 3, 1, 1)}) {
    const std::string impl = kernels::onednn_conv2d_implementation(g, 128);
    EXPECT_EQ(impl.rfind("jit", 0), 0u) << impl;
  }
}

TEST(OnednnConvolution, DeclinesFloat64) {
  Conv2dGeometry g = geometry(2, 3, 5, 5, 3, 3, 1, 1);
  Tensor x = randn(g.input_shape(1), {.dtype = Dtype::float64});
  Tensor w = randn(g.weight_shape(), {.dtype = Dtype::float64});
  EXPECT_FALSE(kernels::onednn_conv2d_forward(x, w, Tensor(), g).defined());
  Tensor dy = randn(g.output_shape(1), {.dtype = Dtype::float64});
  auto [dw, db] = kernels::conv2d_weight_bias_grad(x, dy, g);
  EXPECT_TRUE(tensors_close(dw, kernels::reference::conv2d_weight_grad(x, dy, g), 1e-12, 1e-12));
  EXPECT_FALSE(db.defined());
  EXPECT_FALSE(
      kernels::onednn_conv2d_input_grad(randn(g.output_shape(1), {.dtype = Dtype::float64}), w, g)
          .defined());
}

TEST(OnednnConvolution, RepeatedCallsReuseCachedPrimitivesAndAgree) {
  // The cached primitive and its buffers must not carry state from one call to the next.
  manual_seed(35);
  Conv2dGeometry g = geometry(5, 7, 8, 8, 3, 3, 1, 1);
  Tensor w = randn(g.weight_shape());
  Tensor x1 = randn(g.input_shape(3)), x2 = randn(g.input_shape(3));
  Tensor first = kernels::onednn_conv2d_forward(x1, w, Tensor(), g);
  Tensor other = kernels::onednn_conv2d_forward(x2, w, Tensor(), g);
  Tensor again = kernels::onednn_conv2d_forward(x1, w, Tensor(), g);
  EXPECT_TRUE(tensors_close(first, again, 0, 0));
  EXPECT_FALSE(tensors_close(first, other, 1e-3, 1e-3));
}

}  // namespace
}  // namespace cajal
