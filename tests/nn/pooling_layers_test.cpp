// nn::MaxPool1d/2d, nn::AvgPool1d/2d, nn::AdaptiveAvgPool2d: forward and input gradients against
// PyTorch, gradcheck, output shapes, no parameters, printing, bad options and inputs.
#include "cajal/nn/pooling.h"

#include <gtest/gtest.h>

#include "layer_testing.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;
using testing::GoldenCase;

SizeArg<2> size2(const std::vector<int64_t>& v) { return {v.at(0), v.at(1)}; }

std::shared_ptr<nn::Module> pool_for(const GoldenCase& c) {
  const std::string kind = c.text("module");
  if (kind == "AdaptiveAvgPool2d") {
    return std::make_shared<nn::AdaptiveAvgPool2d>(
        nn::AdaptiveAvgPool2dOptions{.output_size = size2(c.int_list("output_size"))});
  }
  const bool ceil_mode = c.param("ceil_mode") != 0;
  const bool count_include_pad = c.param("count_include_pad") != 0;
  const auto kernel = c.int_list("kernel_size"), stride = c.int_list("stride");
  const auto padding = c.int_list("padding");
  if (kind == "MaxPool1d") {
    return std::make_shared<nn::MaxPool1d>(nn::MaxPool1dOptions{.kernel_size = kernel.at(0),
                                                                .stride = stride.at(0),
                                                                .padding = padding.at(0),
                                                                .ceil_mode = ceil_mode});
  }
  if (kind == "MaxPool2d") {
    return std::make_shared<nn::MaxPool2d>(nn::MaxPool2dOptions{.kernel_size = size2(kernel),
                                                                .stride = size2(stride),
                                                                .padding = size2(padding),
                                                                .ceil_mode = ceil_mode});
  }
  if (kind == "AvgPool1d") {
    return std::make_shared<nn::AvgPool1d>(
        nn::AvgPool1dOptions{.kernel_size = kernel.at(0),
                             .stride = stride.at(0),
                             .padding = padding.at(0),
                             .ceil_mode = ceil_mode,
                             .count_include_pad = count_include_pad});
  }
  EXPECT_EQ(kind, "AvgPool2d");
  return std::make_shared<nn::AvgPool2d>(
      nn::AvgPool2dOptions{.kernel_size = size2(kernel),
                           .stride = size2(stride),
                           .padding = size2(padding),
                           .ceil_mode = ceil_mode,
                           .count_include_pad = count_include_pad});
}

TEST(PoolingLayers, MatchPyTorch) {
  int checked = 0;
  for (const char* prefix : {"maxpool", "avgpool", "adaptive_avgpool"}) {
    for (const GoldenCase* c : testing::layer_cases(prefix)) {
      auto pool = pool_for(*c);
      testing::check_module_golden(*c, *pool);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 11);
}

Tensor random64(const Shape& shape) {
  return randn(shape, {.dtype = Dtype::float64, .requires_grad = true});
}

void expect_gradcheck(nn::Module& module, const Tensor& x) {
  auto result =
      autograd::gradcheck([&](const std::vector<Tensor>& in) { return module(in[0]); }, {x});
  EXPECT_TRUE(result.ok) << module.type_name() << ": " << result.message;
}

TEST(PoolingLayers, Gradcheck) {
  manual_seed(21);
  nn::MaxPool1d max1({.kernel_size = 3, .stride = 2, .padding = 1});
  expect_gradcheck(max1, random64({2, 2, 7}));
  nn::MaxPool2d max2({.kernel_size = 2, .ceil_mode = true});
  expect_gradcheck(max2, random64({1, 2, 5, 5}));
  nn::AvgPool1d avg1({.kernel_size = 2, .padding = 1, .count_include_pad = false});
  expect_gradcheck(avg1, random64({2, 1, 5}));
  nn::AvgPool2d avg2({.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true});
  expect_gradcheck(avg2, random64({1, 2, 6, 5}));
  nn::AdaptiveAvgPool2d adaptive({.output_size = {3, 2}});
  expect_gradcheck(adaptive, random64({2, 5, 7}));  // unbatched
}

TEST(PoolingLayers, OutputShapesAndNoParameters) {
  nn::MaxPool2d pool({.kernel_size = 2});
  EXPECT_EQ(pool(randn({4, 32, 28, 28})).shape(), (Shape{4, 32, 14, 14}));
  EXPECT_EQ(pool(randn({32, 7, 7})).shape(), (Shape{32, 3, 3}));
  EXPECT_EQ(nn::count_parameters(pool), 0);
  EXPECT_TRUE(pool.state_dict().empty());
  nn::MaxPool2d ceil({.kernel_size = 2, .ceil_mode = true});
  EXPECT_EQ(ceil(randn({1, 1, 7, 7})).shape(), (Shape{1, 1, 4, 4}));
  nn::AvgPool1d avg({.kernel_size = 4, .stride = 1});
  EXPECT_EQ(avg(randn({2, 3, 10})).shape(), (Shape{2, 3, 7}));
  nn::AdaptiveAvgPool2d global({.output_size = 1});
  EXPECT_EQ(global(randn({2, 8, 5, 3})).shape(), (Shape{2, 8, 1, 1}));
  EXPECT_EQ(pool.options().stride->values, (std::array<int64_t, 2>{2, 2}));  // stride = kernel
}

TEST(PoolingLayers, MaxPoolPicksTheMaximum) {
  nn::MaxPool2d pool({.kernel_size = 2});
  Tensor x = tensor({{1, 5, 2, 0}, {3, 4, 8, 6}}).reshape({1, 1, 2, 4});
  EXPECT_TRUE(equal(pool(x), tensor({5, 8}).reshape({1, 1, 1, 2})));
  nn::AvgPool2d avg({.kernel_size = 2});
  EXPECT_TRUE(equal(avg(x), tensor({3.25, 4}).reshape({1, 1, 1, 2})));
}

TEST(PoolingLayers, Repr) {
  nn::MaxPool2d max({.kernel_size = 2});
  EXPECT_EQ(nn::to_string(max), "MaxPool2d(kernel_size=2, stride=2, padding=0, ceil_mode=false)");
  nn::MaxPool1d max1({.kernel_size = 3, .stride = 1, .padding = 1, .ceil_mode = true});
  EXPECT_EQ(max1.extra_repr(), "kernel_size=3, stride=1, padding=1, ceil_mode=true");
  nn::AvgPool2d avg({.kernel_size = {3, 2}, .stride = 1, .count_include_pad = false});
  EXPECT_EQ(avg.extra_repr(), "kernel_size=(3, 2), stride=1, padding=0, count_include_pad=false");
  nn::AdaptiveAvgPool2d adaptive({.output_size = {3, 2}});
  EXPECT_EQ(adaptive.extra_repr(), "output_size=(3, 2)");
}

TEST(PoolingLayers, BadOptionsNameOptionAndValue) {
  expect_error<ValueError>([] { nn::MaxPool2d({}); }, {"MaxPool2d", "kernel_size", "0"});
  expect_error<ValueError>([] { nn::MaxPool1d({.kernel_size = 2, .stride = 0}); },
                           {"MaxPool1d", "stride", "0"});
  expect_error<ValueError>([] { nn::AvgPool2d({.kernel_size = 2, .padding = -1}); },
                           {"AvgPool2d", "padding", "-1"});
  expect_error<ValueError>([] { nn::AvgPool1d({.kernel_size = 3, .padding = 2}); },
                           {"AvgPool1d", "padding 2", "half the kernel_size 3"});
  expect_error<ValueError>(
      [] {
        nn::AdaptiveAvgPool2d({.output_size = {0, 3}});
      },
      {"AdaptiveAvgPool2d", "output_size", "(0, 3)"});
}

TEST(PoolingLayers, BadInputs) {
  nn::MaxPool2d pool({.kernel_size = 3});
  expect_error<ShapeError>(
      [&] {
        pool(randn({1, 1, 2, 5}));
      },
      {"MaxPool2d", "kernel 3x3", "padded input 2x5"});
  expect_error<ShapeError>([&] { pool(randn({4, 4})); }, {"MaxPool2d", "3-D or 4-D", "[4, 4]"});
  nn::AvgPool1d avg({.kernel_size = 4, .padding = 1});
  expect_error<ShapeError>([&] { avg(randn({1, 1, 1})); }, {"AvgPool1d", "kernel 4", "input 3"});
  nn::AdaptiveAvgPool2d adaptive({.output_size = 2});
  expect_error<ShapeError>([&] { adaptive(randn({2, 3})); }, {"AdaptiveAvgPool2d", "[2, 3]"});
}

}  // namespace
}  // namespace cajal
