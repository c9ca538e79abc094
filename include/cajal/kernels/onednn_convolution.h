#pragma once
// float32 convolutions through oneDNN's convolution primitives (JIT kernels that block channels
// for the vector unit), the fast path behind kernels/convolution.h. Operands stay plain
// contiguous NCHW at the boundary; inside, each primitive runs in the memory formats oneDNN
// prefers and reorders only at the edges.
//
// Primitives, their reorders and the blocked buffers are cached per thread, keyed by geometry,
// batch and thread count, so a training loop builds nothing after its first step. Each function
// returns an undefined Tensor when oneDNN cannot take the problem (a dtype other than float32, or
// no implementation for the geometry); callers then use im2col + gemm.
#include "cajal/core/tensor.h"
#include "cajal/kernels/convolution.h"

namespace cajal::kernels {

// y = conv(x, w) + b (b may be undefined). x: input_shape (any strides), w: weight_shape.
Tensor onednn_conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                             const Conv2dGeometry& g);
// The adjoint in x. dy: output_shape -> dx: input_shape.
Tensor onednn_conv2d_input_grad(const Tensor& dy, const Tensor& w, const Conv2dGeometry& g);
// The adjoint in w. x: input_shape, dy: output_shape -> dw: weight_shape. With bias_grad, also
// the adjoint in the bias (dy summed over N, OH, OW) into *bias_grad, from the same pass over dy.
Tensor onednn_conv2d_weight_grad(const Tensor& x, const Tensor& dy, const Conv2dGeometry& g,
                                 Tensor* bias_grad = nullptr);

// The implementation oneDNN picked for the forward convolution of this geometry and batch
// ("" when none): lets tests and benchmarks confirm a JIT kernel runs rather than a reference.
std::string onednn_conv2d_implementation(const Conv2dGeometry& g, int64_t batch);

}  // namespace cajal::kernels
