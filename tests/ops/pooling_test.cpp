#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::expect_error;

using autograd::gradcheck;
using autograd::GradcheckOptions;
using testing::GoldenCase;
using testing::tensors_close;

const std::map<std::string, GoldenCase>& golden() {
  static const auto cases = testing::load_golden("pooling");
  return cases;
}

// Calls the op a golden case names, with its parameters.
Tensor run_case(const GoldenCase& c, const Tensor& x) {
  const std::string op = c.text("op");
  if (op == "adaptive_avg_pool2d") {
    auto size = c.int_list("output_size");
    return adaptive_avg_pool2d(x, {size.at(0), size.at(1)});
  }
  const auto kernel = c.int_list("kernel_size"), stride = c.int_list("stride");
  const auto padding = c.int_list("padding");
  const bool ceil_mode = c.param("ceil_mode") != 0;
  const bool count_include_pad = c.param("count_include_pad") != 0;
  if (op == "max_pool1d" || op == "avg_pool1d") {
    Pool1dArgs args{.kernel_size = kernel.at(0),
                    .stride = SizeArg<1>(stride.at(0)),
                    .padding = padding.at(0),
                    .ceil_mode = ceil_mode,
                    .count_include_pad = count_include_pad};
    return op == "max_pool1d" ? max_pool1d(x, args) : avg_pool1d(x, args);
  }
  Pool2dArgs args{.kernel_size = {kernel.at(0), kernel.at(1)},
                  .stride = SizeArg<2>{stride.at(0), stride.at(1)},
                  .padding = {padding.at(0), padding.at(1)},
                  .ceil_mode = ceil_mode,
                  .count_include_pad = count_include_pad};
  if (op == "max_pool2d") return max_pool2d(x, args);
  if (op == "avg_pool2d") return avg_pool2d(x, args);
  throw ValueError("pooling golden: unknown op " + op);
}

TEST(PoolingGolden, MatchesPyTorch) {
  int checked = 0;
  for (const auto& [name, c] : golden()) {
    bool f64 = c.inputs[0].dtype() == Dtype::float64;
    testing::check_golden(
        c, [&](const std::vector<Tensor>& in) { return run_case(c, in[0]); }, f64 ? 1e-12 : 1e-6,
        f64 ? 1e-12 : 1e-6);
    ++checked;
  }
  EXPECT_GE(checked, 25);
}

Tensor random64(const Shape& shape) {
  return randn(shape, {.dtype = Dtype::float64, .requires_grad = true});
}

using Op = std::function<Tensor(const Tensor&)>;

std::vector<std::pair<std::string, Op>> pools() {
  return {
      {"avg_pool2d k2", [](const Tensor& x) { return avg_pool2d(x, {.kernel_size = 2}); }},
      {"avg_pool2d k3 s2 p1 ceil exclude",
       [](const Tensor& x) {
         return avg_pool2d(x, {.kernel_size = 3,
                               .stride = SizeArg<2>(2),
                               .padding = 1,
                               .ceil_mode = true,
                               .count_include_pad = false});
       }},
      {"avg_pool2d rect",
       [](const Tensor& x) {
         return avg_pool2d(x, {.kernel_size = {2, 3}, .stride = SizeArg<2>{1, 2}, .padding = 1});
       }},
      {"avg_pool1d",
       [](const Tensor& x) {
         return avg_pool1d(flatten(x, 2),
                           {.kernel_size = 4, .stride = SizeArg<1>(3), .padding = 2});
       }},
      {"adaptive_avg_pool2d 5x4 -> 2x3",
       [](const Tensor& x) {
         return adaptive_avg_pool2d(x, {2, 3});
       }},
      {"adaptive_avg_pool2d non-contiguous",
       [](const Tensor& x) {
         return adaptive_avg_pool2d(transpose(x, 2, 3), {3, 2});
       }},
      {"max_pool2d k2", [](const Tensor& x) { return max_pool2d(x, {.kernel_size = 2}); }},
      {"max_pool2d k3 s2 p1 ceil",
       [](const Tensor& x) {
         return max_pool2d(
             x, {.kernel_size = 3, .stride = SizeArg<2>(2), .padding = 1, .ceil_mode = true});
       }},
      {"max_pool2d overlapping",
       [](const Tensor& x) {
         return max_pool2d(x, {.kernel_size = {2, 3}, .stride = SizeArg<2>(1)});
       }},
      {"max_pool2d non-contiguous",
       [](const Tensor& x) {
         return max_pool2d(permute(x, {0, 1, 3, 2}), {.kernel_size = 2});
       }},
      {"max_pool1d",
       [](const Tensor& x) {
         return max_pool1d(flatten(x, 2),
                           {.kernel_size = 3, .stride = SizeArg<1>(2), .padding = 1});
       }},
  };
}

TEST(PoolingGradcheck, FirstOrder) {
  manual_seed(11);
  for (const auto& [name, op] : pools()) {
    SCOPED_TRACE(name);
    // Random doubles have no ties, so max pooling is differentiable at these points.
    auto result = gradcheck([&](const std::vector<Tensor>& in) { return op(in[0]); },
                            {random64({2, 2, 5, 4})});
    EXPECT_TRUE(result.ok) << result.message;
  }
}

// Pooling's gradient is linear in the upstream gradient v, and so is that gradient's gradient in
// its own upstream gradient u: checking both differentiates every backward to third order. (The
// second order in x alone is zero: the gradient does not depend on x.)
TEST(PoolingGradcheck, GradientsOfGradients) {
  manual_seed(12);
  BackwardOptions create{.retain_graph = std::nullopt, .create_graph = true};
  for (const auto& [name, op] : pools()) {
    SCOPED_TRACE(name);
    Tensor x = randn({2, 2, 5, 4}, {.dtype = Dtype::float64});
    Tensor v = random64(op(x).shape());
    // d op(x) / dx applied to v, as a function of v.
    auto input_grad = [&, op = op](const Tensor& vv) {
      enable_grad guard;  // gradcheck evaluates numeric differences under no_grad
      Tensor leaf = x.detach().requires_grad_();
      return autograd::grad({op(leaf)}, {leaf}, {vv}, create)[0];
    };
    auto first = gradcheck([&](const std::vector<Tensor>& in) { return input_grad(in[0]); }, {v});
    EXPECT_TRUE(first.ok) << first.message;
    Tensor u = random64(x.shape());
    auto second = gradcheck(
        [&](const std::vector<Tensor>& in) {
          enable_grad guard;
          Tensor vv = v.detach().requires_grad_();
          return autograd::grad({input_grad(vv)}, {vv}, {in[0]}, create)[0];
        },
        {u});
    EXPECT_TRUE(second.ok) << second.message;
  }
}

TEST(Pooling, MaxPoolGradientGoesToTheFirstMaximum) {
  Tensor x = zeros({1, 1, 2, 2}).requires_grad_();
  Tensor y = max_pool2d(x, {.kernel_size = 2});
  sum(y).backward();
  EXPECT_EQ(to_vector<float>(x.grad()), (std::vector<float>{1, 0, 0, 0}));
}

TEST(Pooling, MaxPoolPropagatesNaN) {
  Tensor x = tensor({1, NAN, 3, 2, 5, 0}).reshape({1, 1, 6});
  std::vector<float> y = to_vector<float>(max_pool1d(x, {.kernel_size = 2}));
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 3);
  EXPECT_EQ(y[2], 5);
}

TEST(Pooling, StrideDefaultsToKernelAndUnbatchedWorks) {
  Tensor x = randn({3, 8, 6});
  EXPECT_EQ(max_pool2d(x, {.kernel_size = 2}).shape(), (Shape{3, 4, 3}));
  EXPECT_EQ(avg_pool2d(unsqueeze(x, 0), {.kernel_size = {2, 3}}).shape(), (Shape{1, 3, 4, 2}));
  EXPECT_EQ(avg_pool1d(randn({2, 7}), {.kernel_size = 2}).shape(), (Shape{2, 3}));
  EXPECT_EQ(max_pool1d(randn({2, 3, 7}), {.kernel_size = 2, .ceil_mode = true}).shape(),
            (Shape{2, 3, 4}));
  EXPECT_EQ(adaptive_avg_pool2d(x, 1).shape(), (Shape{3, 1, 1}));
  EXPECT_TRUE(tensors_close(squeeze(max_pool2d(unsqueeze(x, 0), {.kernel_size = 2}), 0),
                            max_pool2d(x, {.kernel_size = 2}), 0, 0));
}

TEST(Pooling, GlobalAdaptivePoolIsTheMean) {
  Tensor x = randn({2, 3, 5, 7}, {.dtype = Dtype::float64});
  EXPECT_TRUE(tensors_close(adaptive_avg_pool2d(x, 1), mean(x, {2, 3}, true), 1e-12, 1e-12));
}

TEST(PoolingErrors, NameTheOpAndTheValues) {
  Tensor x = zeros({1, 2, 6, 6});
  expect_error<ValueError>([&] { max_pool2d(x, {.kernel_size = 3, .padding = 2}); },
                           "max_pool2d: padding [2, 2] must be >= 0 and at most half the kernel "
                           "size [3, 3]");
  expect_error<ValueError>(
      [&] {
        avg_pool2d(x, {.kernel_size = {4, 2}, .padding = {2, 2}});
      },
      "avg_pool2d: padding [2, 2] must be >= 0 and at most half");
  expect_error<ValueError>(
      [&] {
        max_pool1d(zeros({1, 2, 6}), {.kernel_size = 2, .padding = 2});
      },
      "max_pool1d: padding [2] must be >= 0");
  expect_error<ValueError>([&] { max_pool2d(x, {.kernel_size = 0}); },
                           "max_pool2d: kernel_size must be positive, got [0, 0]");
  expect_error<ValueError>(
      [&] {
        avg_pool2d(x, {.kernel_size = 2, .stride = SizeArg<2>{1, 0}});
      },
      "avg_pool2d: stride must be positive, got [1, 0]");
  expect_error<ShapeError>(
      [&] {
        max_pool2d(x, {.kernel_size = {7, 2}});
      },
      "max_pool2d: kernel size [7, 2] is larger than the padded input size "
      "[6, 6] of input [1, 2, 6, 6]");
  expect_error<ShapeError>(
      [&] {
        avg_pool1d(zeros({2, 3, 4, 4}), {.kernel_size = 2});
      },
      "avg_pool1d: expected a 2-D or 3-D input ([C, L] or [N, C, L]), got "
      "[2, 3, 4, 4]");
  expect_error<ShapeError>(
      [&] {
        max_pool2d(zeros({6, 6}), {.kernel_size = 2});
      },
      "max_pool2d: expected a 3-D or 4-D input");
  expect_error<ValueError>(
      [&] {
        max_pool2d(zeros({1, 2, 6, 6}, {.dtype = Dtype::int64}), {.kernel_size = 2});
      },
      "max_pool2d: expected a floating-point input, got int64");
  expect_error<ValueError>(
      [&] {
        adaptive_avg_pool2d(x, {0, 2});
      },
      "adaptive_avg_pool2d: output_size must be positive, got [0, 2]");
  expect_error<ShapeError>(
      [&] {
        adaptive_avg_pool2d(zeros({1, 2, 0, 3}), 2);
      },
      "adaptive_avg_pool2d: input [1, 2, 0, 3] has an empty spatial dim");
}

}  // namespace
}  // namespace cajal
