#pragma once
// Convolution layers, as torch.nn.Conv1d, Conv2d and ConvTranspose2d.
//
//   nn::Conv2d conv({.in_channels = 3, .out_channels = 10, .kernel_size = 5});  // 760 parameters
//   Tensor y = conv(x);  // x: [N, 3, 32, 32] -> [N, 10, 28, 28]
//   nn::Conv2d same({.in_channels = 16, .out_channels = 16, .kernel_size = 3,
//                    .padding = "same", .padding_mode = "reflect"});
//
// Default initialization (PyTorch's): weight ~ kaiming_uniform_ with a = sqrt(5), which is
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)). fan_in is
// computed from the weight: in_channels / groups * prod(kernel_size) for Conv1d/Conv2d, and, as in
// PyTorch, out_channels / groups * prod(kernel_size) for ConvTranspose2d (whose weight is
// [in_channels, out_channels / groups, kh, kw]).
//
// Options are validated in the constructor (ValueError naming the option and value): channels
// positive and divisible by groups, sizes positive (padding >= 0), "same" padding only with
// stride 1, padding_mode one of "zeros", "reflect", "replicate", "circular". At forward time a
// kernel (dilated) larger than the padded input is a ShapeError naming both sizes.
#include <cstdint>
#include <string>

#include "cajal/nn/module.h"
#include "cajal/ops/convolution.h"

namespace cajal::nn {

struct Conv1dOptions {
  int64_t in_channels = 0;     // required
  int64_t out_channels = 0;    // required
  SizeArg<1> kernel_size = 0;  // required
  SizeArg<1> stride = 1;
  PaddingArg<1> padding = 0;  // sizes, "valid" or "same"
  SizeArg<1> dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  // How the padding is filled: "zeros", "reflect", "replicate" or "circular" (as torch).
  std::string padding_mode = "zeros";
  Dtype dtype = Dtype::float32;
};

struct Conv2dOptions {
  int64_t in_channels = 0;     // required
  int64_t out_channels = 0;    // required
  SizeArg<2> kernel_size = 0;  // required
  SizeArg<2> stride = 1;
  PaddingArg<2> padding = 0;  // sizes, "valid" or "same"
  SizeArg<2> dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  std::string padding_mode = "zeros";  // "zeros", "reflect", "replicate" or "circular"
  Dtype dtype = Dtype::float32;
};

struct ConvTranspose2dOptions {
  int64_t in_channels = 0;     // required
  int64_t out_channels = 0;    // required
  SizeArg<2> kernel_size = 0;  // required
  SizeArg<2> stride = 1;
  // Rows/columns trimmed from each side of the full transposed output, undoing the padding of
  // the Conv2d this layer inverts.
  SizeArg<2> padding = 0;
  // Extra rows/columns on one side, to pick among the input sizes a strided Conv2d maps to the
  // same output size; must be smaller than stride or dilation.
  SizeArg<2> output_padding = 0;
  int64_t groups = 1;
  bool bias = true;
  SizeArg<2> dilation = 1;
  Dtype dtype = Dtype::float32;
};

// x: [N, in_channels, L] or [in_channels, L] -> [N, out_channels, L_out] (or unbatched), with
// L_out = floor((L + 2 padding - dilation (k - 1) - 1) / stride) + 1.
class Conv1d : public Module {
 public:
  explicit Conv1d(Conv1dOptions options);
  Tensor forward(const Tensor& input) override;
  // "3, 8, kernel_size=(3,), stride=(1,), padding=(1,)" (PyTorch's format; defaults omitted).
  std::string extra_repr() const override;
  void reset_parameters();  // redraws weight and bias with the default initialization
  const Conv1dOptions& options() const { return options_; }

  Tensor weight;  // [out_channels, in_channels / groups, kernel_size]
  Tensor bias;    // [out_channels], undefined without bias

 private:
  Conv1dOptions options_;
};

// x: [N, in_channels, H, W] or [in_channels, H, W] -> [N, out_channels, H_out, W_out], with
// H_out = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1 (and W alike).
class Conv2d : public Module {
 public:
  explicit Conv2d(Conv2dOptions options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  void reset_parameters();
  const Conv2dOptions& options() const { return options_; }

  Tensor weight;  // [out_channels, in_channels / groups, kh, kw]
  Tensor bias;    // [out_channels]

 private:
  Conv2dOptions options_;
};

// The gradient of Conv2d with respect to its input, used to upsample ("deconvolution").
// x: [N, in_channels, H, W] or [in_channels, H, W] -> [N, out_channels, H_out, W_out], with
// H_out = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1.
class ConvTranspose2d : public Module {
 public:
  explicit ConvTranspose2d(ConvTranspose2dOptions options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  void reset_parameters();
  const ConvTranspose2dOptions& options() const { return options_; }

  Tensor weight;  // [in_channels, out_channels / groups, kh, kw]
  Tensor bias;    // [out_channels]

 private:
  ConvTranspose2dOptions options_;
};

}  // namespace cajal::nn
