// nn::Conv1d, nn::Conv2d, nn::ConvTranspose2d: forward and gradients against PyTorch (every
// padding mode, "same"/"valid", groups, dilation, stride), gradcheck, initialization, state_dict
// round trip, parameter counts, printing, bad options and inputs.
#include "cajal/nn/convolution.h"

#include <gtest/gtest.h>

#include <cmath>

#include "layer_testing.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;
using testing::GoldenCase;

int64_t integer(const GoldenCase& c, const char* key) { return static_cast<int64_t>(c.param(key)); }

SizeArg<2> size2(const std::vector<int64_t>& v) { return {v.at(0), v.at(1)}; }

PaddingArg<1> padding1(const GoldenCase& c) {
  std::string text = c.text("padding_text");
  return text.empty() ? PaddingArg<1>(c.int_list("padding").at(0)) : PaddingArg<1>(text.c_str());
}

PaddingArg<2> padding2(const GoldenCase& c) {
  std::string text = c.text("padding_text");
  auto p = c.int_list("padding");
  return text.empty() ? PaddingArg<2>({p.at(0), p.at(1)}) : PaddingArg<2>(text.c_str());
}

TEST(Conv1d, MatchesPyTorch) {
  auto cases = testing::layer_cases("conv1d_");
  ASSERT_EQ(cases.size(), 4u);
  for (const GoldenCase* c : cases) {
    nn::Conv1d layer({.in_channels = integer(*c, "in_channels"),
                      .out_channels = integer(*c, "out_channels"),
                      .kernel_size = c->int_list("kernel_size").at(0),
                      .stride = c->int_list("stride").at(0),
                      .padding = padding1(*c),
                      .dilation = c->int_list("dilation").at(0),
                      .groups = integer(*c, "groups"),
                      .bias = c->param("bias") != 0,
                      .padding_mode = c->text("padding_mode"),
                      .dtype = c->inputs[0].dtype()});
    testing::check_module_golden(*c, layer);
  }
}

TEST(Conv2d, MatchesPyTorch) {
  auto cases = testing::layer_cases("conv2d_");
  ASSERT_EQ(cases.size(), 6u);
  for (const GoldenCase* c : cases) {
    nn::Conv2d layer({.in_channels = integer(*c, "in_channels"),
                      .out_channels = integer(*c, "out_channels"),
                      .kernel_size = size2(c->int_list("kernel_size")),
                      .stride = size2(c->int_list("stride")),
                      .padding = padding2(*c),
                      .dilation = size2(c->int_list("dilation")),
                      .groups = integer(*c, "groups"),
                      .bias = c->param("bias") != 0,
                      .padding_mode = c->text("padding_mode"),
                      .dtype = c->inputs[0].dtype()});
    testing::check_module_golden(*c, layer);
  }
}

TEST(ConvTranspose2d, MatchesPyTorch) {
  auto cases = testing::layer_cases("conv_transpose2d_");
  ASSERT_EQ(cases.size(), 3u);
  for (const GoldenCase* c : cases) {
    nn::ConvTranspose2d layer({.in_channels = integer(*c, "in_channels"),
                               .out_channels = integer(*c, "out_channels"),
                               .kernel_size = size2(c->int_list("kernel_size")),
                               .stride = size2(c->int_list("stride")),
                               .padding = size2(c->int_list("padding")),
                               .output_padding = size2(c->int_list("output_padding")),
                               .groups = integer(*c, "groups"),
                               .bias = c->param("bias") != 0,
                               .dilation = size2(c->int_list("dilation")),
                               .dtype = c->inputs[0].dtype()});
    testing::check_module_golden(*c, layer);
  }
}

Tensor random64(const Shape& shape) { return randn(shape, {.dtype = Dtype::float64}); }

TEST(ConvolutionLayers, Gradcheck) {
  manual_seed(11);
  nn::Conv1d conv1d({.in_channels = 2, .out_channels = 3, .kernel_size = 3, .padding = 1});
  conv1d.to(Dtype::float64);
  testing::expect_gradcheck(conv1d, random64({2, 2, 5}));
  nn::Conv1d reflect({.in_channels = 2,
                      .out_channels = 2,
                      .kernel_size = 4,
                      .padding = "same",
                      .padding_mode = "reflect",
                      .dtype = Dtype::float64});
  testing::expect_gradcheck(reflect, random64({1, 2, 6}));

  nn::Conv2d conv2d({.in_channels = 2,
                     .out_channels = 4,
                     .kernel_size = {3, 2},
                     .stride = {2, 1},
                     .padding = 1,
                     .groups = 2});
  conv2d.to(Dtype::float64);
  testing::expect_gradcheck(conv2d, random64({2, 2, 5, 4}));
  nn::Conv2d circular({.in_channels = 1,
                       .out_channels = 2,
                       .kernel_size = 3,
                       .padding = 1,
                       .bias = false,
                       .padding_mode = "circular",
                       .dtype = Dtype::float64});
  testing::expect_gradcheck(circular, random64({1, 1, 4, 4}));
  nn::Conv2d replicate({.in_channels = 1,
                        .out_channels = 1,
                        .kernel_size = 2,
                        .padding = "same",
                        .dilation = 2,
                        .padding_mode = "replicate",
                        .dtype = Dtype::float64});
  testing::expect_gradcheck(replicate, random64({1, 4, 5}));  // unbatched

  nn::ConvTranspose2d transpose({.in_channels = 2,
                                 .out_channels = 4,
                                 .kernel_size = 3,
                                 .stride = 2,
                                 .padding = 1,
                                 .output_padding = 1,
                                 .groups = 2});
  transpose.to(Dtype::float64);
  testing::expect_gradcheck(transpose, random64({1, 2, 3, 2}));
}

TEST(ConvolutionLayers, OutputShapes) {
  nn::Conv2d conv({.in_channels = 3, .out_channels = 10, .kernel_size = 5});
  EXPECT_EQ(conv(randn({2, 3, 32, 32})).shape(), (Shape{2, 10, 28, 28}));
  EXPECT_EQ(conv(randn({3, 32, 32})).shape(), (Shape{10, 28, 28}));
  nn::Conv2d same({.in_channels = 3, .out_channels = 4, .kernel_size = {4, 3}, .padding = "same"});
  EXPECT_EQ(same(randn({1, 3, 7, 6})).shape(), (Shape{1, 4, 7, 6}));
  nn::Conv1d strided({.in_channels = 1, .out_channels = 2, .kernel_size = 3, .stride = 2});
  EXPECT_EQ(strided(randn({4, 1, 11})).shape(), (Shape{4, 2, 5}));
  nn::ConvTranspose2d up({.in_channels = 4, .out_channels = 2, .kernel_size = 2, .stride = 2});
  EXPECT_EQ(up(randn({1, 4, 5, 6})).shape(), (Shape{1, 2, 10, 12}));
}

TEST(ConvolutionLayers, ParameterCounts) {
  // Ten 5x5 filters over 3 channels: (5 * 5 * 3 + 1) * 10 = 760.
  nn::Conv2d conv({.in_channels = 3, .out_channels = 10, .kernel_size = 5});
  EXPECT_EQ(nn::count_parameters(conv), 760);
  EXPECT_EQ(conv.weight.shape(), (Shape{10, 3, 5, 5}));
  nn::Conv2d grouped(
      {.in_channels = 4, .out_channels = 6, .kernel_size = 3, .groups = 2, .bias = false});
  EXPECT_EQ(grouped.weight.shape(), (Shape{6, 2, 3, 3}));
  EXPECT_EQ(nn::count_parameters(grouped), 108);
  nn::Conv1d conv1d({.in_channels = 3, .out_channels = 8, .kernel_size = 5});
  EXPECT_EQ(nn::count_parameters(conv1d), 3 * 5 * 8 + 8);
  nn::ConvTranspose2d transpose(
      {.in_channels = 4, .out_channels = 6, .kernel_size = {2, 3}, .groups = 2});
  EXPECT_EQ(transpose.weight.shape(), (Shape{4, 3, 2, 3}));
  EXPECT_EQ(nn::count_parameters(transpose), 4 * 3 * 2 * 3 + 6);
}

// Every weight within +-1/sqrt(fan_in) with the spread of a uniform, the bias within the same.
void expect_default_init(const Tensor& weight, const Tensor& bias, int64_t fan_in) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  std::vector<double> w = to_vector<double>(weight);
  double squares = 0, hi = 0;
  for (double v : w) {
    EXPECT_LE(std::abs(v), bound);
    squares += v * v;
    hi = std::max(hi, std::abs(v));
  }
  EXPECT_GT(hi, 0.99 * bound);
  double expected = bound / std::sqrt(3.0);
  EXPECT_NEAR(std::sqrt(squares / static_cast<double>(w.size())), expected, 0.03 * expected);
  for (double v : to_vector<double>(bias)) EXPECT_LE(std::abs(v), bound);
}

TEST(ConvolutionLayers, DefaultInitializationIsPyTorchs) {
  manual_seed(12);
  nn::Conv2d conv({.in_channels = 32, .out_channels = 64, .kernel_size = 3});
  expect_default_init(conv.weight, conv.bias, 32 * 9);
  nn::Conv1d conv1d({.in_channels = 16, .out_channels = 256, .kernel_size = 5, .groups = 4});
  expect_default_init(conv1d.weight, conv1d.bias, 4 * 5);
  // ConvTranspose2d: fan_in from weight [in, out / groups, k, k] is out / groups * k * k.
  nn::ConvTranspose2d transpose({.in_channels = 64, .out_channels = 48, .kernel_size = 3});
  expect_default_init(transpose.weight, transpose.bias, 48 * 9);
}

TEST(ConvolutionLayers, StateDictRoundTrip) {
  manual_seed(13);
  nn::Conv2d a({.in_channels = 3, .out_channels = 4, .kernel_size = 3, .padding = 1});
  nn::Conv2d b({.in_channels = 3, .out_channels = 4, .kernel_size = 3, .padding = 1});
  testing::expect_round_trip(a, b, randn({2, 3, 6, 6}));
  nn::Conv1d c({.in_channels = 2, .out_channels = 3, .kernel_size = 2, .padding_mode = "zeros"});
  nn::Conv1d d({.in_channels = 2, .out_channels = 3, .kernel_size = 2});
  testing::expect_round_trip(c, d, randn({2, 2, 7}));
  nn::ConvTranspose2d e({.in_channels = 2, .out_channels = 3, .kernel_size = 3, .stride = 2});
  nn::ConvTranspose2d f({.in_channels = 2, .out_channels = 3, .kernel_size = 3, .stride = 2});
  testing::expect_round_trip(e, f, randn({1, 2, 4, 4}));
}

TEST(ConvolutionLayers, Repr) {
  nn::Conv2d conv({.in_channels = 3, .out_channels = 10, .kernel_size = 5});
  EXPECT_EQ(nn::to_string(conv), "Conv2d(3, 10, kernel_size=(5, 5), stride=(1, 1))");
  nn::Conv2d full({.in_channels = 4,
                   .out_channels = 6,
                   .kernel_size = {3, 2},
                   .padding = "same",
                   .dilation = 2,
                   .groups = 2,
                   .bias = false,
                   .padding_mode = "reflect"});
  EXPECT_EQ(full.extra_repr(),
            "4, 6, kernel_size=(3, 2), stride=(1, 1), padding=same, dilation=(2, 2), groups=2, "
            "bias=false, padding_mode=reflect");
  nn::Conv1d conv1d({.in_channels = 1, .out_channels = 2, .kernel_size = 3, .padding = 1});
  EXPECT_EQ(conv1d.extra_repr(), "1, 2, kernel_size=(3,), stride=(1,), padding=(1,)");
  nn::ConvTranspose2d transpose({.in_channels = 3,
                                 .out_channels = 2,
                                 .kernel_size = 3,
                                 .stride = 2,
                                 .padding = 1,
                                 .output_padding = 1});
  EXPECT_EQ(transpose.extra_repr(),
            "3, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1)");
}

TEST(ConvolutionLayers, BadOptionsNameOptionAndValue) {
  expect_error<ValueError>(
      [] { nn::Conv2d({.in_channels = 0, .out_channels = 2, .kernel_size = 3}); },
      {"Conv2d", "in_channels", "0"});
  expect_error<ValueError>(
      [] { nn::Conv2d({.in_channels = 3, .out_channels = 4, .kernel_size = 3, .groups = 2}); },
      {"Conv2d", "in_channels 3", "groups 2"});
  expect_error<ValueError>(
      [] { nn::Conv2d({.in_channels = 4, .out_channels = 3, .kernel_size = 3, .groups = 2}); },
      {"Conv2d", "out_channels 3", "groups 2"});
  expect_error<ValueError>(
      [] { nn::Conv2d({.in_channels = 4, .out_channels = 4, .kernel_size = 3, .groups = 0}); },
      {"Conv2d", "groups", "0"});
  expect_error<ValueError>([] { nn::Conv2d({.in_channels = 1, .out_channels = 1}); },
                           {"Conv2d", "kernel_size", "(0, 0)"});
  expect_error<ValueError>(
      [] {
        nn::Conv2d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .stride = {1, 0}});
      },
      {"Conv2d", "stride", "(1, 0)"});
  expect_error<ValueError>(
      [] { nn::Conv1d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .padding = -1}); },
      {"Conv1d", "padding", "(-1,)"});
  expect_error<ValueError>(
      [] { nn::Conv1d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .dilation = 0}); },
      {"Conv1d", "dilation", "(0,)"});
  expect_error<ValueError>(
      [] {
        nn::Conv2d({.in_channels = 1,
                    .out_channels = 1,
                    .kernel_size = 3,
                    .stride = 2,
                    .padding = "same"});
      },
      {"Conv2d", "\"same\"", "stride (2, 2)"});
  expect_error<ValueError>(
      [] {
        nn::Conv2d(
            {.in_channels = 1, .out_channels = 1, .kernel_size = 3, .padding_mode = "mirror"});
      },
      {"Conv2d", "padding_mode", "\"mirror\""});
  expect_error<ValueError>(
      [] {
        nn::Conv1d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .dtype = Dtype::int64});
      },
      {"Conv1d", "dtype", "int64"});
  expect_error<ValueError>(
      [] {
        nn::ConvTranspose2d({.in_channels = 1,
                             .out_channels = 1,
                             .kernel_size = 3,
                             .stride = 2,
                             .output_padding = 2});
      },
      {"ConvTranspose2d", "output_padding (2, 2)", "stride (2, 2)"});
  expect_error<ValueError>(
      [] {
        nn::ConvTranspose2d({.in_channels = 3, .out_channels = 4, .kernel_size = 3, .groups = 3});
      },
      {"ConvTranspose2d", "out_channels 4", "groups 3"});
}

TEST(ConvolutionLayers, KernelLargerThanPaddedInput) {
  nn::Conv2d conv({.in_channels = 3, .out_channels = 2, .kernel_size = 7});
  expect_error<ShapeError>(
      [&] {
        conv(randn({1, 3, 5, 5}));
      },
      {"Conv2d", "kernel 7x7", "larger than the padded input 5x5"});
  nn::Conv2d padded({.in_channels = 3, .out_channels = 2, .kernel_size = 7, .padding = 1});
  expect_error<ShapeError>(
      [&] {
        padded(randn({1, 3, 4, 9}));
      },
      {"Conv2d", "kernel 7x7", "padded input 6x11"});
  EXPECT_EQ(padded(randn({1, 3, 5, 5})).shape(), (Shape{1, 2, 1, 1}));  // exactly fits
  nn::Conv1d dilated({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .dilation = 3});
  expect_error<ShapeError>(
      [&] {
        dilated(randn({1, 1, 6}));
      },
      {"Conv1d", "kernel 3", "dilation 3", "spanning 7", "padded input 6"});
}

TEST(ConvolutionLayers, BadInputs) {
  nn::Conv2d conv({.in_channels = 3, .out_channels = 2, .kernel_size = 3});
  expect_error<ShapeError>(
      [&] {
        conv(randn({1, 4, 8, 8}));
      },
      {"Conv2d", "3 input channels", "[1, 4, 8, 8]"});
  expect_error<ShapeError>([&] { conv(randn({8, 8})); }, {"Conv2d", "3-D or 4-D", "[8, 8]"});
  nn::Conv2d reflect({.in_channels = 1,
                      .out_channels = 1,
                      .kernel_size = 5,
                      .padding = 3,
                      .padding_mode = "reflect"});
  expect_error<ShapeError>(
      [&] {
        reflect(randn({1, 1, 3, 3}));
      },
      {"Conv2d", "padding 3", "\"reflect\"", "[1, 1, 3, 3]"});
  nn::ConvTranspose2d transpose(
      {.in_channels = 1, .out_channels = 1, .kernel_size = 1, .padding = 1});
  expect_error<ShapeError>(
      [&] {
        transpose(randn({1, 1, 1, 1}));
      },
      {"ConvTranspose2d", "padding (1, 1)", "[1, 1, 1, 1]"});
}

}  // namespace
}  // namespace cajal
