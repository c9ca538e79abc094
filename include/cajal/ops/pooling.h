#pragma once
// Pooling, as torch.nn.functional. The stride defaults to the kernel size.
#include <optional>

#include "cajal/ops/convolution.h"

namespace cajal {

struct Pool1dArgs {
  SizeArg<1> kernel_size;
  std::optional<SizeArg<1>> stride{};  // default: kernel_size
  SizeArg<1> padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg pooling: padded zeros count in the divisor
};

struct Pool2dArgs {
  SizeArg<2> kernel_size;
  std::optional<SizeArg<2>> stride{};  // default: kernel_size
  SizeArg<2> padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
};

// x: [N, C, L] -> [N, C, L_out]
Tensor max_pool1d(const Tensor& x, Pool1dArgs args);
Tensor avg_pool1d(const Tensor& x, Pool1dArgs args);
// x: [N, C, H, W] -> [N, C, H_out, W_out]; padding is at most half the kernel.
Tensor max_pool2d(const Tensor& x, Pool2dArgs args);
Tensor avg_pool2d(const Tensor& x, Pool2dArgs args);
// x: [N, C, H, W] -> [N, C, out_h, out_w], PyTorch's bin boundaries.
Tensor adaptive_avg_pool2d(const Tensor& x, SizeArg<2> output_size);

}  // namespace cajal
