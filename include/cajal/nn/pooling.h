#pragma once
// Pooling layers, as torch.nn.MaxPool1d/2d, AvgPool1d/2d and AdaptiveAvgPool2d. They have no
// parameters. The stride defaults to the kernel size (non-overlapping windows).
//
//   nn::MaxPool2d pool({.kernel_size = 2});                 // x: [N, C, 28, 28] -> [N, C, 14, 14]
//   nn::AvgPool2d smooth({.kernel_size = 3, .stride = 1, .padding = 1});
//   nn::AdaptiveAvgPool2d global({.output_size = 1});      // -> [N, C, 1, 1]
//
// Output size per spatial dim: floor((L + 2 padding - kernel_size) / stride) + 1, rounded up
// instead with ceil_mode (a last window must still start inside the input or its left padding).
//
// Options are validated in the constructor (ValueError naming the option and value):
// kernel_size and stride positive, padding >= 0 and at most half the kernel size. At forward
// time a kernel larger than the padded input is a ShapeError naming both sizes.
#include <optional>
#include <string>

#include "cajal/nn/module.h"
#include "cajal/ops/pooling.h"

namespace cajal::nn {

struct MaxPool1dOptions {
  SizeArg<1> kernel_size = 0;          // required
  std::optional<SizeArg<1>> stride{};  // default: kernel_size
  SizeArg<1> padding = 0;              // implicit -infinity on both sides
  bool ceil_mode = false;
};

struct MaxPool2dOptions {
  SizeArg<2> kernel_size = 0;          // required
  std::optional<SizeArg<2>> stride{};  // default: kernel_size
  SizeArg<2> padding = 0;
  bool ceil_mode = false;
};

struct AvgPool1dOptions {
  SizeArg<1> kernel_size = 0;          // required
  std::optional<SizeArg<1>> stride{};  // default: kernel_size
  SizeArg<1> padding = 0;              // implicit zeros on both sides
  bool ceil_mode = false;
  bool count_include_pad = true;  // the padded zeros count in each window's divisor
};

struct AvgPool2dOptions {
  SizeArg<2> kernel_size = 0;          // required
  std::optional<SizeArg<2>> stride{};  // default: kernel_size
  SizeArg<2> padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
};

struct AdaptiveAvgPool2dOptions {
  SizeArg<2> output_size = 0;  // required: (out_h, out_w), each positive
};

// x: [N, C, L] or [C, L] -> [N, C, L_out]: the maximum of each window.
class MaxPool1d : public Module {
 public:
  explicit MaxPool1d(MaxPool1dOptions options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "kernel_size=2, stride=2, padding=0, ceil_mode=false"
  const MaxPool1dOptions& options() const { return options_; }

 private:
  MaxPool1dOptions options_;
};

// x: [N, C, H, W] or [C, H, W] -> [N, C, H_out, W_out]: the maximum of each window.
class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(MaxPool2dOptions options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const MaxPool2dOptions& options() const { return options_; }

 private:
  MaxPool2dOptions options_;
};

// x: [N, C, L] or [C, L] -> [N, C, L_out]: the mean of each window.
class AvgPool1d : public Module {
 public:
  explicit AvgPool1d(AvgPool1dOptions options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "kernel_size=3, stride=2, padding=1"
  const AvgPool1dOptions& options() const { return options_; }

 private:
  AvgPool1dOptions options_;
};

// x: [N, C, H, W] or [C, H, W] -> [N, C, H_out, W_out]: the mean of each window.
class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(AvgPool2dOptions options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const AvgPool2dOptions& options() const { return options_; }

 private:
  AvgPool2dOptions options_;
};

// x: [N, C, H, W] or [C, H, W] -> [N, C, out_h, out_w] whatever H and W are: output cell i
// averages input rows floor(i H / out_h) to ceil((i + 1) H / out_h) - 1 (and columns alike),
// as PyTorch. output_size 1 is global average pooling.
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(AdaptiveAvgPool2dOptions options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "output_size=(3, 2)"
  const AdaptiveAvgPool2dOptions& options() const { return options_; }

 private:
  AdaptiveAvgPool2dOptions options_;
};

}  // namespace cajal::nn
