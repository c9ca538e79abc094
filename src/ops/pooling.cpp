#include "cajal/ops/pooling.h"

#include <memory>
#include <string>
#include <vector>

#include "cajal/autograd/node.h"
#include "cajal/kernels/convolution.h"
#include "cajal/ops/view.h"

namespace cajal {

using autograd::grads;
using kernels::PoolWindows;

namespace {

struct Windows2d {
  PoolWindows rows, cols;
};
using WindowsPtr = std::shared_ptr<const Windows2d>;

// Average pooling and its adjoint are linear and each other's gradient, so gradients of any
// order stay within the two.
Tensor average(const Tensor& x, const WindowsPtr& windows);
Tensor average_adjoint(const Tensor& dy, const WindowsPtr& windows);

Tensor average(const Tensor& x, const WindowsPtr& windows) {
  Tensor y = kernels::avg_pool2d(x, windows->rows, windows->cols);
  return autograd::record("avg_pool2d", y, {x}, [windows](const Tensor& dy) {
    return grads{average_adjoint(dy, windows)};
  });
}

Tensor average_adjoint(const Tensor& dy, const WindowsPtr& windows) {
  Tensor dx = kernels::avg_pool2d_adjoint(dy, windows->rows, windows->cols);
  return autograd::record("avg_pool2d_backward", dx, {dy},
                          [windows](const Tensor& grad) { return grads{average(grad, windows)}; });
}

// Max pooling, once its argmax indices are known, is a gather from each plane; the gather and its
// adjoint (a scatter-add) are each other's gradient.
Tensor scatter_planes(const Tensor& dy, const Tensor& index, int64_t in_h, int64_t in_w);

Tensor gather_planes(const Tensor& x, const Tensor& index) {
  Tensor y = kernels::pool_gather(x, index);
  const int64_t in_h = x.size(2), in_w = x.size(3);
  return autograd::record("max_pool2d", y, {x}, [index, in_h, in_w](const Tensor& dy) {
    return grads{scatter_planes(dy, index, in_h, in_w)};
  });
}

Tensor scatter_planes(const Tensor& dy, const Tensor& index, int64_t in_h, int64_t in_w) {
  Tensor dx = kernels::pool_scatter_add(dy, index, in_h, in_w);
  return autograd::record("max_pool2d_backward", dx, {dy}, [index](const Tensor& grad) {
    return grads{gather_planes(grad, index)};
  });
}

void check_input(const char* op, const Tensor& x, int spatial) {
  if (!x.defined()) throw ValueError(std::string(op) + ": input must be a defined tensor");
  if (x.dim() != spatial + 1 && x.dim() != spatial + 2) {
    const char* layout = spatial == 1 ? "[C, L] or [N, C, L]" : "[C, H, W] or [N, C, H, W]";
    throw ShapeError(std::string(op) + ": expected a " + std::to_string(spatial + 1) + "-D or " +
                     std::to_string(spatial + 2) + "-D input (" + layout + "), got " +
                     shape_string(x.shape()));
  }
  if (!x.is_floating_point()) {
    throw ValueError(std::string(op) + ": expected a floating-point input, got " +
                     std::string(dtype_name(x.dtype())));
  }
}

// Checks the arguments of a sliding pool over the last `spatial` dims of x and builds its windows
// (a 1-D pool is a 2-D one with H = 1).
WindowsPtr sliding(const char* op, const Tensor& x, int spatial, std::vector<int64_t> kernel,
                   std::vector<int64_t> stride, std::vector<int64_t> padding, bool ceil_mode,
                   bool count_include_pad) {
  check_input(op, x, spatial);
  std::string name(op);
  for (int d = 0; d < spatial; ++d) {
    if (kernel[d] <= 0) {
      throw ValueError(name + ": kernel_size must be positive, got " + shape_string(kernel));
    }
    if (stride[d] <= 0) {
      throw ValueError(name + ": stride must be positive, got " + shape_string(stride));
    }
    if (padding[d] < 0 || 2 * padding[d] > kernel[d]) {
      throw ValueError(name + ": padding " + shape_string(padding) +
                       " must be >= 0 and at most half the kernel size " + shape_string(kernel));
    }
  }
  std::vector<int64_t> in(spatial), padded(spatial), out(spatial);
  bool too_small = false;
  for (int d = 0; d < spatial; ++d) {
    in[d] = x.size(x.dim() - spatial + d);
    padded[d] = in[d] + 2 * padding[d];
    if (padded[d] < kernel[d]) too_small = true;
    int64_t span = padded[d] - kernel[d];
    out[d] = (ceil_mode ? (span + stride[d] - 1) / stride[d] : span / stride[d]) + 1;
    // A last window that would start in the right padding is dropped, as in PyTorch.
    if (ceil_mode && (out[d] - 1) * stride[d] >= in[d] + padding[d]) --out[d];
  }
  if (too_small) {
    throw ShapeError(name + ": kernel size " + shape_string(kernel) +
                     " is larger than the padded input size " + shape_string(padded) +
                     " of input " + shape_string(x.shape()));
  }
  auto windows = std::make_shared<Windows2d>();
  windows->rows = spatial == 2 ? kernels::sliding_windows(in[0], out[0], kernel[0], stride[0],
                                                          padding[0], count_include_pad)
                               : kernels::sliding_windows(1, 1, 1, 1, 0, true);
  const int last = spatial - 1;
  windows->cols = kernels::sliding_windows(in[last], out[last], kernel[last], stride[last],
                                           padding[last], count_include_pad);
  return windows;
}

template <size_t N>
std::vector<int64_t> values(const SizeArg<N>& arg) {
  return std::vector<int64_t>(arg.values.begin(), arg.values.end());
}

// Views x ([C, L], [N, C, L], [C, H, W] or [N, C, H, W]) as [N, C, H, W].
Tensor as_4d(const Tensor& x, int spatial) {
  Tensor batched = x.dim() == spatial + 1 ? unsqueeze(x, 0) : x;
  return spatial == 1 ? unsqueeze(batched, 2) : batched;
}

// The inverse of as_4d for a result y.
Tensor from_4d(const Tensor& y, const Tensor& x, int spatial) {
  Tensor out = spatial == 1 ? squeeze(y, 2) : y;
  return x.dim() == spatial + 1 ? squeeze(out, 0) : out;
}

Tensor max_pool(const char* op, const Tensor& x, int spatial, const WindowsPtr& windows) {
  Tensor x4 = as_4d(x, spatial);
  auto [y, index] = kernels::max_pool2d(x4, windows->rows, windows->cols);
  const int64_t in_h = x4.size(2), in_w = x4.size(3);
  y = autograd::record(op, y, {x4}, [index, in_h, in_w](const Tensor& dy) {
    return grads{scatter_planes(dy, index, in_h, in_w)};
  });
  return from_4d(y, x, spatial);
}

Tensor avg_pool(const Tensor& x, int spatial, const WindowsPtr& windows) {
  return from_4d(average(as_4d(x, spatial), windows), x, spatial);
}

}  // namespace

Tensor max_pool1d(const Tensor& x, Pool1dArgs args) {
  WindowsPtr windows = sliding("max_pool1d", x, 1, values(args.kernel_size),
                               values(args.stride.value_or(args.kernel_size)), values(args.padding),
                               args.ceil_mode, true);
  return max_pool("max_pool1d", x, 1, windows);
}

Tensor max_pool2d(const Tensor& x, Pool2dArgs args) {
  WindowsPtr windows = sliding("max_pool2d", x, 2, values(args.kernel_size),
                               values(args.stride.value_or(args.kernel_size)), values(args.padding),
                               args.ceil_mode, true);
  return max_pool("max_pool2d", x, 2, windows);
}

Tensor avg_pool1d(const Tensor& x, Pool1dArgs args) {
  WindowsPtr windows = sliding("avg_pool1d", x, 1, values(args.kernel_size),
                               values(args.stride.value_or(args.kernel_size)), values(args.padding),
                               args.ceil_mode, args.count_include_pad);
  return avg_pool(x, 1, windows);
}

Tensor avg_pool2d(const Tensor& x, Pool2dArgs args) {
  WindowsPtr windows = sliding("avg_pool2d", x, 2, values(args.kernel_size),
                               values(args.stride.value_or(args.kernel_size)), values(args.padding),
                               args.ceil_mode, args.count_include_pad);
  return avg_pool(x, 2, windows);
}

Tensor adaptive_avg_pool2d(const Tensor& x, SizeArg<2> output_size) {
  const char* op = "adaptive_avg_pool2d";
  check_input(op, x, 2);
  if (output_size[0] <= 0 || output_size[1] <= 0) {
    throw ValueError(std::string(op) + ": output_size must be positive, got " +
                     shape_string(values(output_size)));
  }
  const int64_t in_h = x.size(-2), in_w = x.size(-1);
  if (in_h == 0 || in_w == 0) {
    throw ShapeError(std::string(op) + ": input " + shape_string(x.shape()) +
                     " has an empty spatial dim");
  }
  auto windows = std::make_shared<Windows2d>();
  windows->rows = kernels::adaptive_windows(in_h, output_size[0]);
  windows->cols = kernels::adaptive_windows(in_w, output_size[1]);
  return avg_pool(x, 2, windows);
}

}  // namespace cajal
