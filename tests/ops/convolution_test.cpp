#include <gtest/gtest.h>

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
  static const auto cases = testing::load_golden("convolution");
  return cases;
}

SizeArg<2> size2(const std::vector<int64_t>& v) { return {v.at(0), v.at(1)}; }

// Calls the op a golden case names, with its parameters.
Tensor run_case(const GoldenCase& c, const std::vector<Tensor>& in) {
  const std::string op = c.text("op");
  const Tensor bias = in.size() > 2 ? in[2] : Tensor();
  const auto stride = c.int_list("stride"), padding = c.int_list("padding");
  const auto dilation = c.int_list("dilation");
  const auto groups = static_cast<int64_t>(c.param("groups"));
  if (op == "conv_transpose2d") {
    return conv_transpose2d(in[0], in[1], bias,
                            {.stride = size2(stride),
                             .padding = size2(padding),
                             .output_padding = size2(c.int_list("output_padding")),
                             .dilation = size2(dilation),
                             .groups = groups});
  }
  const std::string mode = c.text("padding_mode");
  if (op == "conv1d") {
    PaddingArg<1> pad =
        mode == "numbers" ? PaddingArg<1>(padding.at(0)) : PaddingArg<1>(mode.c_str());
    return conv1d(
        in[0], in[1], bias,
        {.stride = stride.at(0), .padding = pad, .dilation = dilation.at(0), .groups = groups});
  }
  PaddingArg<2> pad = mode == "numbers" ? PaddingArg<2>({padding.at(0), padding.at(1)})
                                        : PaddingArg<2>(mode.c_str());
  return conv2d(
      in[0], in[1], bias,
      {.stride = size2(stride), .padding = pad, .dilation = size2(dilation), .groups = groups});
}

TEST(ConvolutionGolden, Float64MatchesPyTorch) {
  int checked = 0;
  for (const auto& [name, c] : golden()) {
    if (c.inputs[0].dtype() != Dtype::float64) continue;
    testing::check_golden(
        c, [&](const std::vector<Tensor>& in) { return run_case(c, in); }, 1e-9, 1e-11);
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

TEST(ConvolutionGolden, Float32MatchesPyTorch) {
  int checked = 0;
  for (const auto& [name, c] : golden()) {
    if (c.inputs[0].dtype() != Dtype::float32) continue;
    testing::check_golden(
        c, [&](const std::vector<Tensor>& in) { return run_case(c, in); }, 1e-5, 1e-5);
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

Tensor random64(const Shape& shape) {
  return randn(shape, {.dtype = Dtype::float64, .requires_grad = true});
}

GradcheckOptions second_order() {
  GradcheckOptions options;
  options.check_second_order = true;
  return options;
}

struct Conv2dCase {
  Shape x, w;
  Conv2dArgs args;
};

TEST(Conv2dGradcheck, FirstAndSecondOrder) {
  manual_seed(1);
  std::vector<Conv2dCase> cases = {
      {{2, 2, 4, 5}, {3, 2, 3, 2}, {}},
      {{1, 2, 5, 5}, {2, 2, 3, 3}, {.stride = 2, .padding = 1}},
      {{1, 4, 5, 4}, {2, 2, 2, 2}, {.padding = {1, 0}, .dilation = {2, 1}, .groups = 2}},
      {{2, 2, 4, 4}, {2, 1, 3, 3}, {.padding = 1, .groups = 2}},  // depthwise
      {{1, 2, 4, 5}, {2, 2, 2, 3}, {.padding = "same"}},          // odd total padding
      {{1, 1, 6, 5}, {2, 1, 3, 2}, {.stride = {2, 1}, .dilation = {1, 2}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("x " + shape_string(c.x) + " w " + shape_string(c.w));
    Tensor x = random64(c.x), w = random64(c.w), b = random64({c.w[0]});
    Conv2dArgs args = c.args;
    auto result =
        gradcheck([&](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], in[2], args); },
                  {x, w, b}, second_order());
    EXPECT_TRUE(result.ok) << result.message;
  }
}

TEST(Conv2dGradcheck, NonContiguousInput) {
  manual_seed(2);
  Tensor x = random64({2, 5, 4, 3});  // read as [2, 3, 5, 4] through a permutation
  Tensor w = random64({2, 3, 3, 3});
  auto result = gradcheck(
      [](const std::vector<Tensor>& in) {
        return conv2d(permute(in[0], {0, 3, 1, 2}), transpose(in[1], 2, 3), Tensor(),
                      {.stride = 2, .padding = 1});
      },
      {x, w}, second_order());
  EXPECT_TRUE(result.ok) << result.message;
}

// The gradient of conv2d as a function of the upstream gradient too: its own gradients (and, with
// second order, theirs) run every backward of the convolution's three primitives.
TEST(Conv2dGradcheck, GradientIsDifferentiableInEveryArgument) {
  manual_seed(3);
  Tensor x = random64({1, 2, 4, 5}), w = random64({2, 1, 3, 2});
  Tensor v = random64({1, 2, 2, 3});  // conv2d's output shape for the args below
  Conv2dArgs args{.stride = {1, 2}, .padding = {0, 1}, .groups = 2};
  for (int which : {0, 1}) {
    SCOPED_TRACE(which == 0 ? "input gradient" : "weight gradient");
    auto result = gradcheck(
        [&](const std::vector<Tensor>& in) {
          enable_grad guard;  // gradcheck evaluates numeric differences under no_grad
          Tensor y = conv2d(in[0], in[1], Tensor(), args);
          return autograd::grad({y}, {in[0], in[1]}, {in[2]},
                                {.retain_graph = std::nullopt, .create_graph = true})[which];
        },
        {x, w, v}, second_order());
    EXPECT_TRUE(result.ok) << result.message;
  }
}

TEST(Conv1dGradcheck, FirstAndSecondOrder) {
  manual_seed(4);
  Tensor x = random64({2, 4, 7}), w = random64({2, 2, 3}), b = random64({2});
  auto result = gradcheck(
      [](const std::vector<Tensor>& in) {
        return conv1d(in[0], in[1], in[2], {.stride = 2, .padding = 2, .dilation = 2, .groups = 2});
      },
      {x, w, b}, second_order());
  EXPECT_TRUE(result.ok) << result.message;
  auto same = gradcheck(
      [](const std::vector<Tensor>& in) {
        return conv1d(in[0], transpose(in[1], 0, 1), Tensor(), {.padding = "same"});
      },
      {random64({1, 3, 6}), random64({3, 2, 4})}, second_order());
  EXPECT_TRUE(same.ok) << same.message;
}

TEST(ConvTranspose2dGradcheck, FirstAndSecondOrder) {
  manual_seed(5);
  struct Case {
    Shape x, w;
    ConvTranspose2dArgs args;
  };
  std::vector<Case> cases = {
      {{2, 2, 3, 3}, {2, 3, 2, 3}, {}},
      {{1, 2, 3, 2}, {2, 2, 3, 3}, {.stride = 2, .padding = 1, .output_padding = 1}},
      {{1, 4, 2, 3},
       {4, 1, 2, 3},
       {.stride = {1, 2}, .output_padding = {1, 0}, .dilation = 2, .groups = 2}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("x " + shape_string(c.x) + " w " + shape_string(c.w));
    Tensor x = random64(c.x), w = random64(c.w), b = random64({c.w[1] * c.args.groups});
    ConvTranspose2dArgs args = c.args;
    auto result = gradcheck(
        [&](const std::vector<Tensor>& in) { return conv_transpose2d(in[0], in[1], in[2], args); },
        {x, w, b}, second_order());
    EXPECT_TRUE(result.ok) << result.message;
  }
}

TEST(Conv2d, SamePaddingKeepsTheSize) {
  for (int64_t k : {1, 2, 3, 4, 5}) {
    for (int64_t d : {1, 2, 3}) {
      Tensor y = conv2d(zeros({1, 1, 7, 6}), zeros({1, 1, k, k}), Tensor(),
                        {.padding = "same", .dilation = d});
      EXPECT_EQ(y.shape(), (Shape{1, 1, 7, 6})) << "k " << k << " d " << d;
    }
  }
}

TEST(Conv2d, UnbatchedInputIsOneImage) {
  manual_seed(6);
  Tensor x = randn({3, 6, 5}), w = randn({2, 3, 3, 3}), b = randn({2});
  Tensor y = conv2d(x, w, b, {.padding = 1});
  EXPECT_EQ(y.shape(), (Shape{2, 6, 5}));
  EXPECT_TRUE(tensors_close(y, squeeze(conv2d(unsqueeze(x, 0), w, b, {.padding = 1}), 0), 0, 0));
  Tensor y1 = conv1d(randn({3, 8}), randn({4, 3, 3}));
  EXPECT_EQ(y1.shape(), (Shape{4, 6}));
  Tensor yt = conv_transpose2d(x, randn({3, 2, 2, 2}), Tensor(), {.stride = 2});
  EXPECT_EQ(yt.shape(), (Shape{2, 12, 10}));
}

TEST(Conv2d, Float32MatchesFloat64OnALargerBatch) {
  // Big enough that the fast path splits the batch into several chunks.
  manual_seed(7);
  Tensor x = randn({70, 8, 20, 20}), w = randn({16, 8, 3, 3}), b = randn({16});
  Tensor y = conv2d(x, w, b, {.padding = 1});
  Tensor y64 =
      conv2d(x.to(Dtype::float64), w.to(Dtype::float64), b.to(Dtype::float64), {.padding = 1});
  EXPECT_TRUE(tensors_close(y, y64, 1e-4, 1e-4));
}

TEST(ConvolutionErrors, NameTheOpAndTheShapes) {
  Tensor x = zeros({2, 4, 8, 8}), w = zeros({8, 3, 3, 3});
  try {
    conv2d(x, w);
    ADD_FAILURE() << "expected a ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_EQ(std::string(e.what()),
              "conv2d: weight [8, 3, 3, 3] expects 3 input channels, got input [2, 4, 8, 8]");
  }
  expect_error<ShapeError>(
      [] {
        conv2d(zeros({4, 8}), zeros({8, 4, 3, 3}));
      },
      "conv2d: expected a 3-D or 4-D input");
  expect_error<ShapeError>(
      [] {
        conv2d(zeros({1, 1, 2, 4, 8}), zeros({8, 1, 3, 3}));
      },
      "got [1, 1, 2, 4, 8]");
  expect_error<ShapeError>(
      [] {
        conv2d(zeros({1, 4, 8, 8}), zeros({8, 4, 3}));
      },
      "conv2d: expected a 4-D weight");
  expect_error<ShapeError>(
      [] {
        conv1d(zeros({1, 4, 8, 8}), zeros({8, 4, 3}));
      },
      "conv1d: expected a 2-D or 3-D input");
  expect_error<ValueError>(
      [] {
        conv2d(zeros({1, 4, 8, 8}), zeros({6, 2, 3, 3}), Tensor(), {.groups = 3});
      },
      "conv2d: groups 3 does not divide the 4 input channels");
  expect_error<ValueError>(
      [] {
        conv2d(zeros({1, 4, 8, 8}), zeros({3, 2, 3, 3}), Tensor(), {.groups = 2});
      },
      "does not divide the 3 output channels");
  expect_error<ShapeError>(
      [] {
        conv2d(zeros({1, 4, 8, 8}), zeros({4, 1, 3, 3}), Tensor(), {.groups = 2});
      },
      "weight [4, 1, 3, 3] with groups 2 expects 2 input channels");
  expect_error<ShapeError>(
      [] {
        conv2d(zeros({1, 1, 3, 3}), zeros({1, 1, 5, 5}));
      },
      "conv2d: kernel size [5, 5] (dilation [1, 1]) is larger than the "
      "padded input size [3, 3]");
  expect_error<ShapeError>(
      [] {
        conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), Tensor(), {.dilation = 3});
      },
      "larger than the padded input");
  EXPECT_NO_THROW(conv2d(zeros({1, 1, 3, 3}), zeros({1, 1, 5, 5}), Tensor(), {.padding = 1}));
  expect_error<ValueError>(
      [] {
        conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), Tensor(), {.stride = {1, 0}});
      },
      "conv2d: stride must be positive, got [1, 0]");
  expect_error<ValueError>(
      [] {
        conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), Tensor(), {.stride = -1});
      },
      "stride must be positive");
  expect_error<ValueError>(
      [] {
        conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), Tensor(), {.padding = -1});
      },
      "conv2d: padding must be >= 0");
  expect_error<ValueError>(
      [] {
        conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), Tensor(), {.dilation = 0});
      },
      "conv2d: dilation must be positive");
  expect_error<ValueError>(
      [] {
        conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), Tensor(), {.groups = 0});
      },
      "conv2d: groups must be positive");
  expect_error<ValueError>(
      [] {
        conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), Tensor(),
               {.stride = 2, .padding = "same"});
      },
      "conv2d: padding \"same\" needs stride 1, got stride [2, 2]");
  expect_error<ValueError>(
      [] {
        conv1d(zeros({1, 1, 5}), zeros({1, 1, 3}), Tensor(), {.stride = 2, .padding = "same"});
      },
      "conv1d: padding \"same\" needs stride 1");
  expect_error<ShapeError>(
      [] {
        conv2d(zeros({1, 4, 8, 8}), zeros({8, 4, 3, 3}), zeros({4}));
      },
      "conv2d: bias [4] does not match the 8 output channels");
  expect_error<ShapeError>(
      [] {
        conv1d(zeros({1, 4, 8}), zeros({8, 4, 3}), zeros({8, 1}));
      },
      "conv1d: bias [8, 1] does not match");
  expect_error<ValueError>(
      [] {
        conv2d(zeros({1, 4, 8, 8}), zeros({8, 4, 3, 3}, {.dtype = Dtype::float64}));
      },
      "conv2d: input (float32), weight (float64) must have the same dtype");
  expect_error<ValueError>(
      [] {
        conv2d(zeros({1, 4, 8, 8}, {.dtype = Dtype::int64}), zeros({8, 4, 3, 3}));
      },
      "conv2d: expected a floating-point input, got int64");
  expect_error<ValueError>([] { PaddingArg<2> p("full"); },
                           "padding: expected a size, \"same\" or \"valid\", got \"full\"");
}

TEST(ConvolutionErrors, TransposedConvolution) {
  expect_error<ShapeError>(
      [] {
        conv_transpose2d(zeros({1, 3, 4, 4}), zeros({4, 2, 3, 3}));
      },
      "conv_transpose2d: weight [4, 2, 3, 3] expects 4 input channels, got "
      "input [1, 3, 4, 4]");
  expect_error<ValueError>(
      [] {
        conv_transpose2d(zeros({1, 4, 4, 4}), zeros({4, 2, 3, 3}), Tensor(), {.output_padding = 1});
      },
      "conv_transpose2d: output_padding [1, 1] must be >= 0 and smaller "
      "than either stride [1, 1] or dilation [1, 1]");
  expect_error<ValueError>(
      [] {
        conv_transpose2d(zeros({1, 4, 4, 4}), zeros({4, 2, 3, 3}), Tensor(), {.groups = 3});
      },
      "conv_transpose2d: groups 3 does not divide the 4 input channels");
  expect_error<ShapeError>(
      [] {
        conv_transpose2d(zeros({1, 4, 1, 1}), zeros({4, 2, 1, 1}), Tensor(), {.padding = 1});
      },
      "conv_transpose2d: input [1, 4, 1, 1] with padding [1, 1] gives an "
      "empty output");
  expect_error<ShapeError>(
      [] {
        conv_transpose2d(zeros({1, 4, 4, 4}), zeros({4, 2, 3, 3}), zeros({3}), {.groups = 2});
      },
      "conv_transpose2d: bias [3] does not match the 4 output channels");
  expect_error<ValueError>(
      [] {
        conv_transpose2d(zeros({1, 4, 4, 4}), zeros({4, 2, 3, 3}), Tensor(), {.stride = 0});
      },
      "conv_transpose2d: stride must be positive");
}

}  // namespace
}  // namespace cajal
