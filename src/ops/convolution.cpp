#include "cajal/ops/convolution.h"

#include <algorithm>
#include <string>
#include <vector>

#include "cajal/autograd/grad_mode.h"
#include "cajal/autograd/node.h"
#include "cajal/kernels/convolution.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/reduction.h"
#include "cajal/ops/view.h"

namespace cajal {

using autograd::grads;
using kernels::Conv2dGeometry;

namespace {

// A convolution is the trilinear form T(x, w, y) = sum x * w * y over the positions the geometry
// connects. Its three partial derivatives are the three primitives below: the convolution (in y),
// its adjoint in x (the transposed convolution) and its adjoint in w. The derivatives of each are
// the other two, so gradients of any order stay within these three ops.
Tensor convolve(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g);
Tensor convolve_adjoint_input(const Tensor& dy, const Tensor& w, const Conv2dGeometry& g);
Tensor convolve_adjoint_weight(const Tensor& x, const Tensor& dy, const Conv2dGeometry& g);

// x: [N, C_in, H, W], w: [C_out, C_in/groups, KH, KW], b: [C_out] or undefined.
Tensor convolve(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g) {
  Tensor y = kernels::conv2d_forward(x, w, b, g);
  std::vector<Tensor> inputs{x, w};
  if (b.defined()) inputs.push_back(b);
  return autograd::record("conv2d", y, inputs, [x, w, b, g](const Tensor& dy) {
    // A first-order backward needs no graph, so the bias gradient can come out of the weight
    // gradient's pass over dy instead of a separate reduction.
    if (!is_grad_enabled() && b.defined() && b.requires_grad() && w.requires_grad()) {
      auto [dw, db] = kernels::conv2d_weight_bias_grad(x, dy, g);
      return grads{x.requires_grad() ? kernels::conv2d_input_grad(dy, w, g) : Tensor(), dw,
                   db.defined() ? db : sum(dy, {0, 2, 3})};
    }
    grads out{x.requires_grad() ? convolve_adjoint_input(dy, w, g) : Tensor(),
              w.requires_grad() ? convolve_adjoint_weight(x, dy, g) : Tensor()};
    if (b.defined()) out.push_back(b.requires_grad() ? sum(dy, {0, 2, 3}) : Tensor());
    return out;
  });
}

// dy: [N, C_out, OH, OW] -> [N, C_in, H, W].
Tensor convolve_adjoint_input(const Tensor& dy, const Tensor& w, const Conv2dGeometry& g) {
  Tensor dx = kernels::conv2d_input_grad(dy, w, g);
  return autograd::record("conv_transpose2d", dx, {dy, w}, [dy, w, g](const Tensor& grad) {
    return grads{dy.requires_grad() ? convolve(grad, w, Tensor(), g) : Tensor(),
                 w.requires_grad() ? convolve_adjoint_weight(grad, dy, g) : Tensor()};
  });
}

// x: [N, C_in, H, W], dy: [N, C_out, OH, OW] -> [C_out, C_in/groups, KH, KW].
Tensor convolve_adjoint_weight(const Tensor& x, const Tensor& dy, const Conv2dGeometry& g) {
  Tensor dw = kernels::conv2d_weight_grad(x, dy, g);
  return autograd::record("conv2d_weight_grad", dw, {x, dy}, [x, dy, g](const Tensor& grad) {
    return grads{x.requires_grad() ? convolve_adjoint_input(dy, grad, g) : Tensor(),
                 dy.requires_grad() ? convolve(x, grad, Tensor(), g) : Tensor()};
  });
}

// Checks what conv1d/conv2d/conv_transpose2d share: ranks, dtypes, positive sizes. `spatial` is
// the number of spatial dims (1 or 2); x may be batched or not.
void check_common(const char* op, const Tensor& x, const Tensor& w, const Tensor& b, int spatial,
                  const std::vector<int64_t>& stride, const std::vector<int64_t>& dilation,
                  int64_t groups) {
  if (!x.defined() || !w.defined()) {
    throw ValueError(std::string(op) + ": input and weight must be defined tensors");
  }
  const char* layout = spatial == 1 ? "[C, L] or [N, C, L]" : "[C, H, W] or [N, C, H, W]";
  if (x.dim() != spatial + 1 && x.dim() != spatial + 2) {
    throw ShapeError(std::string(op) + ": expected a " + std::to_string(spatial + 1) + "-D or " +
                     std::to_string(spatial + 2) + "-D input (" + layout + "), got " +
                     shape_string(x.shape()));
  }
  if (w.dim() != spatial + 2) {
    throw ShapeError(std::string(op) + ": expected a " + std::to_string(spatial + 2) +
                     "-D weight, got " + shape_string(w.shape()));
  }
  if (!x.is_floating_point()) {
    throw ValueError(std::string(op) + ": expected a floating-point input, got " +
                     std::string(dtype_name(x.dtype())));
  }
  if (w.dtype() != x.dtype() || (b.defined() && b.dtype() != x.dtype())) {
    throw ValueError(std::string(op) + ": input (" + std::string(dtype_name(x.dtype())) +
                     "), weight (" + std::string(dtype_name(w.dtype())) + ")" +
                     (b.defined() ? " and bias (" + std::string(dtype_name(b.dtype())) + ")" : "") +
                     " must have the same dtype");
  }
  if (groups <= 0) {
    throw ValueError(std::string(op) + ": groups must be positive, got " + std::to_string(groups));
  }
  for (int64_t s : stride) {
    if (s <= 0)
      throw ValueError(std::string(op) + ": stride must be positive, got " + shape_string(stride));
  }
  for (int64_t d : dilation) {
    if (d <= 0) {
      throw ValueError(std::string(op) + ": dilation must be positive, got " +
                       shape_string(dilation));
    }
  }
}

void check_bias(const char* op, const Tensor& b, int64_t channels) {
  if (b.defined() && (b.dim() != 1 || b.size(0) != channels)) {
    throw ShapeError(std::string(op) + ": bias " + shape_string(b.shape()) +
                     " does not match the " + std::to_string(channels) + " output channels");
  }
}

// The geometry of conv1d/conv2d (a 1-D convolution is a 2-D one with H = 1), after checking the
// arguments against the input x (batched or not) and weight w.
Conv2dGeometry conv_geometry(const char* op, const Tensor& x, const Tensor& w, const Tensor& b,
                             int spatial, const std::vector<int64_t>& stride,
                             const std::vector<int64_t>& padding, bool same,
                             const std::vector<int64_t>& dilation, int64_t groups) {
  check_common(op, x, w, b, spatial, stride, dilation, groups);
  for (int64_t p : padding) {
    if (p < 0)
      throw ValueError(std::string(op) + ": padding must be >= 0, got " + shape_string(padding));
  }
  if (same) {
    for (int64_t s : stride) {
      if (s != 1) {
        throw ValueError(std::string(op) + ": padding \"same\" needs stride 1, got stride " +
                         shape_string(stride));
      }
    }
  }
  const int64_t in_channels = x.size(-spatial - 1), out_channels = w.size(0);
  if (in_channels % groups != 0) {
    throw ValueError(std::string(op) + ": groups " + std::to_string(groups) +
                     " does not divide the " + std::to_string(in_channels) +
                     " input channels of input " + shape_string(x.shape()));
  }
  if (out_channels % groups != 0) {
    throw ValueError(std::string(op) + ": groups " + std::to_string(groups) +
                     " does not divide the " + std::to_string(out_channels) +
                     " output channels of weight " + shape_string(w.shape()));
  }
  if (w.size(1) * groups != in_channels) {
    throw ShapeError(std::string(op) + ": weight " + shape_string(w.shape()) +
                     (groups > 1 ? " with groups " + std::to_string(groups) : std::string()) +
                     " expects " + std::to_string(w.size(1) * groups) +
                     " input channels, got input " + shape_string(x.shape()));
  }
  check_bias(op, b, out_channels);

  // Per spatial dim: padding before (pad), total padding, dilated kernel extent.
  std::vector<int64_t> in(spatial), kernel(spatial), before(spatial), padded(spatial);
  std::vector<int64_t> out(spatial);
  bool too_small = false;
  for (int d = 0; d < spatial; ++d) {
    in[d] = x.size(x.dim() - spatial + d);
    kernel[d] = w.size(2 + d);
    int64_t extent = dilation[d] * (kernel[d] - 1) + 1;
    int64_t total = same ? extent - 1 : 2 * padding[d];
    before[d] = same ? total / 2 : padding[d];  // an odd "same" total pads one more after
    padded[d] = in[d] + total;
    if (padded[d] < extent) too_small = true;
    out[d] = (padded[d] - extent) / stride[d] + 1;
  }
  if (too_small) {
    throw ShapeError(std::string(op) + ": kernel size " + shape_string(kernel) + " (dilation " +
                     shape_string(dilation) + ") is larger than the padded input size " +
                     shape_string(padded));
  }
  Conv2dGeometry g;
  g.in_channels = in_channels;
  g.out_channels = out_channels;
  g.groups = groups;
  const int h = spatial - 2, wd = spatial - 1;  // index of H (-1 when 1-D) and of W
  if (h >= 0) {
    g.in_h = in[h], g.kernel_h = kernel[h], g.out_h = out[h];
    g.stride_h = stride[h], g.pad_h = before[h], g.dilation_h = dilation[h];
  }
  g.in_w = in[wd], g.kernel_w = kernel[wd], g.out_w = out[wd];
  g.stride_w = stride[wd], g.pad_w = before[wd], g.dilation_w = dilation[wd];
  return g;
}

template <size_t N>
std::vector<int64_t> values(const SizeArg<N>& arg) {
  return std::vector<int64_t>(arg.values.begin(), arg.values.end());
}

}  // namespace

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv1dArgs args) {
  Conv2dGeometry g =
      conv_geometry("conv1d", x, weight, bias, 1, values(args.stride), values(args.padding.sizes),
                    args.padding.same, values(args.dilation), args.groups);
  const bool unbatched = x.dim() == 2;
  Tensor input = unsqueeze(unbatched ? unsqueeze(x, 0) : x, 2);  // [N, C, 1, L]
  Tensor y = squeeze(convolve(input, unsqueeze(weight, 2), bias, g), 2);
  return unbatched ? squeeze(y, 0) : y;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dArgs args) {
  Conv2dGeometry g =
      conv_geometry("conv2d", x, weight, bias, 2, values(args.stride), values(args.padding.sizes),
                    args.padding.same, values(args.dilation), args.groups);
  const bool unbatched = x.dim() == 3;
  Tensor y = convolve(unbatched ? unsqueeze(x, 0) : x, weight, bias, g);
  return unbatched ? squeeze(y, 0) : y;
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        ConvTranspose2dArgs args) {
  const char* op = "conv_transpose2d";
  std::vector<int64_t> stride = values(args.stride), padding = values(args.padding);
  std::vector<int64_t> output_padding = values(args.output_padding);
  std::vector<int64_t> dilation = values(args.dilation);
  check_common(op, x, weight, bias, 2, stride, dilation, args.groups);
  for (int d = 0; d < 2; ++d) {
    if (padding[d] < 0) {
      throw ValueError(std::string(op) + ": padding must be >= 0, got " + shape_string(padding));
    }
    if (output_padding[d] < 0 || output_padding[d] >= std::max(stride[d], dilation[d])) {
      throw ValueError(std::string(op) + ": output_padding " + shape_string(output_padding) +
                       " must be >= 0 and smaller than either stride " + shape_string(stride) +
                       " or dilation " + shape_string(dilation));
    }
  }
  const int64_t in_channels = x.size(-3), groups = args.groups;
  if (weight.size(0) != in_channels) {
    throw ShapeError(std::string(op) + ": weight " + shape_string(weight.shape()) + " expects " +
                     std::to_string(weight.size(0)) + " input channels, got input " +
                     shape_string(x.shape()));
  }
  if (in_channels % groups != 0) {
    throw ValueError(std::string(op) + ": groups " + std::to_string(groups) +
                     " does not divide the " + std::to_string(in_channels) +
                     " input channels of input " + shape_string(x.shape()));
  }
  const int64_t out_channels = weight.size(1) * groups;
  check_bias(op, bias, out_channels);

  // The transposed convolution is the adjoint in x of the convolution from its output back to its
  // input, so the geometry below describes that convolution: image = our output.
  Conv2dGeometry g;
  g.in_channels = out_channels;
  g.out_channels = in_channels;
  g.groups = groups;
  g.out_h = x.size(-2), g.out_w = x.size(-1);
  g.kernel_h = weight.size(2), g.kernel_w = weight.size(3);
  g.stride_h = stride[0], g.stride_w = stride[1];
  g.pad_h = padding[0], g.pad_w = padding[1];
  g.dilation_h = dilation[0], g.dilation_w = dilation[1];
  g.in_h = (g.out_h - 1) * g.stride_h - 2 * g.pad_h + g.dilation_h * (g.kernel_h - 1) +
           output_padding[0] + 1;
  g.in_w = (g.out_w - 1) * g.stride_w - 2 * g.pad_w + g.dilation_w * (g.kernel_w - 1) +
           output_padding[1] + 1;
  if (g.in_h <= 0 || g.in_w <= 0) {
    throw ShapeError(std::string(op) + ": input " + shape_string(x.shape()) + " with padding " +
                     shape_string(padding) + " gives an empty output [" + std::to_string(g.in_h) +
                     ", " + std::to_string(g.in_w) + "]");
  }
  const bool unbatched = x.dim() == 3;
  Tensor y = convolve_adjoint_input(unbatched ? unsqueeze(x, 0) : x, weight, g);
  if (bias.defined()) y = y + reshape(bias, {1, out_channels, 1, 1});
  return unbatched ? squeeze(y, 0) : y;
}

}  // namespace cajal
