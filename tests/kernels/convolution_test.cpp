#include "cajal/kernels/convolution.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/kernels/reference/convolution.h"
#include "support/golden.h"

namespace cajal {
namespace {

using kernels::Conv2dGeometry;
using testing::tensors_close;

// A random valid geometry: odd sizes, strides, padding, dilation and groups.
Conv2dGeometry random_geometry(Generator& gen) {
  Conv2dGeometry g;
  g.groups = gen.integer(1, 4);
  g.in_channels = g.groups * gen.integer(1, 4);
  g.out_channels = g.groups * gen.integer(1, 4);
  g.kernel_h = gen.integer(1, 5);
  g.kernel_w = gen.integer(1, 5);
  g.stride_h = gen.integer(1, 4);
  g.stride_w = gen.integer(1, 4);
  g.dilation_h = gen.integer(1, 3);
  g.dilation_w = gen.integer(1, 3);
  g.pad_h = gen.integer(0, 3);
  g.pad_w = gen.integer(0, 3);
  int64_t extent_h = g.dilation_h * (g.kernel_h - 1) + 1;
  int64_t extent_w = g.dilation_w * (g.kernel_w - 1) + 1;
  g.in_h = std::max<int64_t>(1, extent_h - 2 * g.pad_h) + gen.integer(0, 9);
  g.in_w = std::max<int64_t>(1, extent_w - 2 * g.pad_w) + gen.integer(0, 9);
  // Padding after may differ from padding before (as "same" and transposed convolutions need):
  // take one row/column more or less than the symmetric size when it stays valid.
  g.out_h = (g.in_h + 2 * g.pad_h - extent_h) / g.stride_h + 1;
  g.out_w = (g.in_w + 2 * g.pad_w - extent_w) / g.stride_w + 1;
  if (g.out_h > 1 && gen.integer(0, 3) == 0) --g.out_h;
  if (gen.integer(0, 3) == 0) ++g.out_w;
  return g;
}

std::string describe(const Conv2dGeometry& g) {
  return "in " + shape_string(g.input_shape(1)) + " weight " + shape_string(g.weight_shape()) +
         " out " + shape_string(g.output_shape(1)) + " stride " + std::to_string(g.stride_h) + "," +
         std::to_string(g.stride_w) + " pad " + std::to_string(g.pad_h) + "," +
         std::to_string(g.pad_w) + " dilation " + std::to_string(g.dilation_h) + "," +
         std::to_string(g.dilation_w) + " groups " + std::to_string(g.groups);
}

// A tensor of `shape` read through a permutation of a differently laid out buffer.
Tensor non_contiguous(const Shape& shape, Dtype dtype) {
  Tensor base = randn({shape[0], shape[2], shape[3], shape[1]}, {.dtype = dtype});
  Tensor view = permute(base, {0, 3, 1, 2});
  EXPECT_FALSE(view.is_contiguous() && shape[1] > 1 && shape[3] > 1);
  return view;
}

double inner(const Tensor& a, const Tensor& b) {
  return sum(a.to(Dtype::float64) * b.to(Dtype::float64)).item();
}

class ConvKernel : public ::testing::TestWithParam<Dtype> {};

TEST_P(ConvKernel, FastMatchesReferenceOnRandomGeometries) {
  const Dtype dtype = GetParam();
  const double tol = dtype == Dtype::float32 ? 2e-5 : 1e-12;
  manual_seed(21);
  Generator gen(2024);
  for (int trial = 0; trial < 60; ++trial) {
    Conv2dGeometry g = random_geometry(gen);
    SCOPED_TRACE(describe(g));
    const int64_t batch = gen.integer(1, 5);
    const bool strided = trial % 2 == 1;
    Tensor x = strided ? non_contiguous(g.input_shape(batch), dtype)
                       : randn(g.input_shape(batch), {.dtype = dtype});
    Tensor w = randn(g.weight_shape(), {.dtype = dtype});
    Tensor b = trial % 3 == 0 ? Tensor() : randn({g.out_channels}, {.dtype = dtype});
    Tensor dy = strided ? non_contiguous(g.output_shape(batch), dtype)
                        : randn(g.output_shape(batch), {.dtype = dtype});
    // Chunks of one image, of a few images and of the whole batch.
    for (int64_t chunk : {int64_t{1}, int64_t{700}, kernels::default_chunk_elements}) {
      SCOPED_TRACE("chunk_elements " + std::to_string(chunk));
      EXPECT_TRUE(tensors_close(kernels::conv2d_forward(x, w, b, g, chunk),
                                kernels::reference::conv2d(x, w, b, g), tol, tol));
      EXPECT_TRUE(tensors_close(kernels::conv2d_input_grad(dy, w, g, chunk),
                                kernels::reference::conv2d_input_grad(dy, w, g), tol, tol));
      EXPECT_TRUE(tensors_close(kernels::conv2d_weight_grad(x, dy, g, chunk),
                                kernels::reference::conv2d_weight_grad(x, dy, g), tol, tol));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ConvKernel, ::testing::Values(Dtype::float32, Dtype::float64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// The reference's two gradients are the adjoints of its forward:
//   <conv(x, w), dy> = <x, input_grad(dy, w)> = <w, weight_grad(x, dy)>.
TEST(ConvReference, GradientsAreAdjointsOfTheForward) {
  manual_seed(22);
  Generator gen(7);
  for (int trial = 0; trial < 30; ++trial) {
    Conv2dGeometry g = random_geometry(gen);
    SCOPED_TRACE(describe(g));
    Tensor x = randn(g.input_shape(2), {.dtype = Dtype::float64});
    Tensor w = randn(g.weight_shape(), {.dtype = Dtype::float64});
    Tensor dy = randn(g.output_shape(2), {.dtype = Dtype::float64});
    double forward = inner(kernels::reference::conv2d(x, w, Tensor(), g), dy);
    EXPECT_NEAR(inner(x, kernels::reference::conv2d_input_grad(dy, w, g)), forward, 1e-9);
    EXPECT_NEAR(inner(w, kernels::reference::conv2d_weight_grad(x, dy, g)), forward, 1e-9);
  }
}

TEST(ConvReference, SmallCaseByHand) {
  // x = [[1, 2, 3], [4, 5, 6]], w = [[1, 0], [0, -1]]: y[i][j] = x[i][j] - x[i+1][j+1].
  Tensor x = tensor({1, 2, 3, 4, 5, 6}).reshape({1, 1, 2, 3});
  Tensor w = tensor({1, 0, 0, -1}).reshape({1, 1, 2, 2});
  Conv2dGeometry g{.in_h = 2, .in_w = 3, .kernel_h = 2, .kernel_w = 2, .out_h = 1, .out_w = 2};
  EXPECT_EQ(to_vector<float>(kernels::reference::conv2d(x, w, Tensor(), g)),
            (std::vector<float>{-4, -4}));
  EXPECT_EQ(to_vector<float>(kernels::conv2d_forward(x, w, Tensor(), g)),
            (std::vector<float>{-4, -4}));
}

struct PoolCase {
  Shape shape;
  int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
  bool ceil_mode, count_include_pad;
};

// The windows ops/pooling.cpp builds for these arguments.
std::pair<kernels::PoolWindows, kernels::PoolWindows> windows_of(const PoolCase& c) {
  int64_t out_h = kernels::reference::pool_output_size(c.shape[2], c.kernel_h, c.stride_h, c.pad_h,
                                                       c.ceil_mode);
  int64_t out_w = kernels::reference::pool_output_size(c.shape[3], c.kernel_w, c.stride_w, c.pad_w,
                                                       c.ceil_mode);
  return {kernels::sliding_windows(c.shape[2], out_h, c.kernel_h, c.stride_h, c.pad_h,
                                   c.count_include_pad),
          kernels::sliding_windows(c.shape[3], out_w, c.kernel_w, c.stride_w, c.pad_w,
                                   c.count_include_pad)};
}

std::vector<PoolCase> random_pool_cases(Generator& gen, int count) {
  std::vector<PoolCase> cases;
  for (int i = 0; i < count; ++i) {
    PoolCase c;
    c.kernel_h = gen.integer(1, 5);
    c.kernel_w = gen.integer(1, 5);
    c.stride_h = gen.integer(1, 4);
    c.stride_w = gen.integer(1, 4);
    c.pad_h = gen.integer(0, c.kernel_h / 2 + 1);
    c.pad_w = gen.integer(0, c.kernel_w / 2 + 1);
    c.ceil_mode = gen.integer(0, 2) == 1;
    c.count_include_pad = gen.integer(0, 2) == 1;
    c.shape = {gen.integer(1, 4), gen.integer(1, 4),
               std::max<int64_t>(1, c.kernel_h - 2 * c.pad_h) + gen.integer(0, 9),
               std::max<int64_t>(1, c.kernel_w - 2 * c.pad_w) + gen.integer(0, 9)};
    cases.push_back(c);
  }
  return cases;
}

class PoolKernel : public ::testing::TestWithParam<Dtype> {};

TEST_P(PoolKernel, FastMatchesReferenceOnRandomShapes) {
  const Dtype dtype = GetParam();
  const double tol = dtype == Dtype::float32 ? 1e-6 : 1e-13;
  manual_seed(23);
  Generator gen(99);
  int trial = 0;
  for (const PoolCase& c : random_pool_cases(gen, 80)) {
    SCOPED_TRACE("shape " + shape_string(c.shape) + " kernel " + std::to_string(c.kernel_h) + "x" +
                 std::to_string(c.kernel_w) + " stride " + std::to_string(c.stride_h) + "," +
                 std::to_string(c.stride_w) + " pad " + std::to_string(c.pad_h) + "," +
                 std::to_string(c.pad_w) + (c.ceil_mode ? " ceil" : "") +
                 (c.count_include_pad ? "" : " exclude-pad"));
    Tensor x = ++trial % 2 == 0 ? non_contiguous(c.shape, dtype) : randn(c.shape, {.dtype = dtype});
    auto [rows, cols] = windows_of(c);
    auto [values, index] = kernels::max_pool2d(x, rows, cols);
    auto [ref_values, ref_index] = kernels::reference::max_pool2d(
        x, c.kernel_h, c.kernel_w, c.stride_h, c.stride_w, c.pad_h, c.pad_w, c.ceil_mode);
    EXPECT_TRUE(tensors_close(values, ref_values, 0, 0));
    EXPECT_TRUE(equal(index, ref_index));
    EXPECT_TRUE(tensors_close(kernels::pool_gather(x, index), values, 0, 0));
    EXPECT_TRUE(tensors_close(
        kernels::avg_pool2d(x, rows, cols),
        kernels::reference::avg_pool2d(x, c.kernel_h, c.kernel_w, c.stride_h, c.stride_w, c.pad_h,
                                       c.pad_w, c.ceil_mode, c.count_include_pad),
        tol, tol));
  }
}

TEST_P(PoolKernel, AdaptiveMatchesReference) {
  const Dtype dtype = GetParam();
  const double tol = dtype == Dtype::float32 ? 1e-6 : 1e-13;
  manual_seed(24);
  for (int64_t in_h : {1, 5, 7, 10}) {
    for (int64_t out_h : {1, 2, 3, 4, 7, 9}) {
      Tensor x = non_contiguous({2, 3, in_h, 6}, dtype);
      int64_t out_w = out_h % 5 + 1;
      Tensor fast = kernels::avg_pool2d(x, kernels::adaptive_windows(in_h, out_h),
                                        kernels::adaptive_windows(6, out_w));
      EXPECT_TRUE(
          tensors_close(fast, kernels::reference::adaptive_avg_pool2d(x, out_h, out_w), tol, tol))
          << in_h << " -> " << out_h << "x" << out_w;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, PoolKernel, ::testing::Values(Dtype::float32, Dtype::float64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// Kernel 2, stride 2 windows take a vectorized path: check it on widths around its 16 lanes, on
// rows with padding between them, with ties (the first maximum wins) and NaN/-inf (the last NaN
// wins, as in the general loop and PyTorch).
TEST_P(PoolKernel, PairsMatchReferenceWithTiesAndNaN) {
  const Dtype dtype = GetParam();
  manual_seed(26);
  for (int64_t in_w : {2, 3, 14, 15, 28, 31, 32, 34, 50}) {
    for (int64_t in_h : {2, 5, 8}) {
      SCOPED_TRACE("in " + std::to_string(in_h) + "x" + std::to_string(in_w));
      // Few distinct values so that windows hold ties; a wider buffer narrowed to in_w + 1 columns
      // gives rows that do not follow each other.
      Tensor base = round(randn({3, 2, in_h, in_w + 3}, {.dtype = dtype}) * 1.5);
      Tensor x = base.narrow(3, 1, in_w);
      if (in_w >= 3) {
        x.select(0, 1).select(0, 0).select(0, 0).fill_(std::nan(""));
        x.select(0, 2).select(0, 1).select(0, in_h - 1).fill_(-INFINITY);
        x.select(0, 0).select(0, 1).select(1, 2).fill_(std::nan(""));
      }
      auto rows = kernels::sliding_windows(in_h, in_h / 2, 2, 2, 0, true);
      auto cols = kernels::sliding_windows(in_w, in_w / 2, 2, 2, 0, true);
      auto [values, index] = kernels::max_pool2d(x, rows, cols);
      auto [ref_values, ref_index] = kernels::reference::max_pool2d(x, 2, 2, 2, 2, 0, 0, false);
      EXPECT_TRUE(equal(index, ref_index));
      EXPECT_TRUE(equal(isnan(values), isnan(ref_values)));
      EXPECT_TRUE(equal(where(isnan(values), 0, values), where(isnan(ref_values), 0, ref_values)));
    }
  }
}

// The backward kernels are the adjoints of the forward ones: <f(x), dy> = <x, f*(dy)>.
TEST(PoolKernels, BackwardKernelsAreAdjoints) {
  manual_seed(25);
  Generator gen(5);
  for (const PoolCase& c : random_pool_cases(gen, 30)) {
    Tensor x = randn(c.shape, {.dtype = Dtype::float64});
    auto [rows, cols] = windows_of(c);
    Tensor y = kernels::avg_pool2d(x, rows, cols);
    Tensor dy = non_contiguous(y.shape(), Dtype::float64);
    EXPECT_NEAR(inner(y, dy), inner(x, kernels::avg_pool2d_adjoint(dy, rows, cols)), 1e-10);
    auto [values, index] = kernels::max_pool2d(x, rows, cols);
    Tensor dx = kernels::pool_scatter_add(dy, index, c.shape[2], c.shape[3]);
    EXPECT_NEAR(inner(values, dy), inner(x, dx), 1e-10);
  }
}

TEST(PoolKernels, WindowsFollowPyTorch) {
  // 7 -> 3 adaptive bins: [0, 3), [2, 5), [4, 7).
  kernels::PoolWindows a = kernels::adaptive_windows(7, 3);
  EXPECT_EQ(a.start, (std::vector<int64_t>{0, 2, 4}));
  EXPECT_EQ(a.end, (std::vector<int64_t>{3, 5, 7}));
  // Kernel 3, stride 2, padding 1 over 6 with ceil_mode: 4 windows, the last one starting at 5
  // and clipped; its divisor counts the left padding only where it lies inside the padded input.
  kernels::PoolWindows s = kernels::sliding_windows(6, 4, 3, 2, 1, true);
  EXPECT_EQ(s.start, (std::vector<int64_t>{0, 1, 3, 5}));
  EXPECT_EQ(s.end, (std::vector<int64_t>{2, 4, 6, 6}));
  EXPECT_EQ(s.divisor, (std::vector<int64_t>{3, 3, 3, 2}));
  EXPECT_EQ(kernels::reference::pool_output_size(6, 3, 2, 1, true), 4);
  EXPECT_EQ(kernels::reference::pool_output_size(6, 3, 2, 1, false), 3);
}

}  // namespace
}  // namespace cajal
