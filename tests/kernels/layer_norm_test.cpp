// Fused layer normalization (kernels/layer_norm.h, recorded by nn::functional::layer_norm):
// forward and backward against a composite reference built from generic ops (float32 and
// float64, one or several normalized dims, non-contiguous input, weight/bias absent), both
// backward paths (fused without create_graph, composite with it), and first- and second-order
// gradient checks.
#include "cajal/kernels/layer_norm.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/functional/normalization.h"
#include "support/golden.h"

namespace cajal {
namespace {

namespace F = nn::functional;
using testing::tensors_close;

// The composite definition: what layer_norm computed before it had kernels of its own.
Tensor reference_layer_norm(const Tensor& x, int64_t k, const Tensor& weight, const Tensor& bias,
                            double eps) {
  Dims dims;
  for (int64_t d = x.dim() - k; d < x.dim(); ++d) dims.push_back(d);
  Tensor y = (x - cajal::mean(x, dims, true)) * rsqrt(cajal::var(x, dims, 0, true) + eps);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

std::vector<Tensor> leaves_of(const std::vector<Tensor>& values) {
  std::vector<Tensor> out;
  for (const Tensor& t : values) {
    if (t.defined()) out.push_back(t.detach().clone().requires_grad_(true));
  }
  return out;
}

void check_against_reference(const Shape& shape, int64_t k, Dtype dtype, bool affine,
                             bool contiguous) {
  SCOPED_TRACE(shape_string(shape) + " k=" + std::to_string(k) + " " +
               std::string(dtype_name(dtype)) + (affine ? " affine" : "") +
               (contiguous ? "" : " non-contiguous"));
  const double rtol = dtype == Dtype::float32 ? 1e-5 : 1e-12;
  const double atol = dtype == Dtype::float32 ? 1e-5 : 1e-12;
  Shape normalized(shape.end() - k, shape.end());
  Tensor x;
  if (contiguous) {
    x = randn(shape, {.dtype = dtype}) * 3 + 2;
  } else {
    Shape swapped = shape;
    std::swap(swapped[0], swapped.back());
    x = (randn(swapped, {.dtype = dtype}) * 3 + 2)
            .transpose(0, static_cast<int64_t>(shape.size()) - 1);
  }
  Tensor weight = affine ? randn(normalized, {.dtype = dtype}) + 1 : Tensor();
  Tensor bias = affine ? randn(normalized, {.dtype = dtype}) : Tensor();
  std::vector<Tensor> leaves = leaves_of({x, weight, bias});
  std::vector<Tensor> ref =
      leaves_of({x.to(Dtype::float64), affine ? weight.to(Dtype::float64) : Tensor(),
                 affine ? bias.to(Dtype::float64) : Tensor()});
  Tensor y = F::layer_norm(leaves[0], normalized, affine ? leaves[1] : Tensor(),
                           affine ? leaves[2] : Tensor());
  Tensor y_ref =
      reference_layer_norm(ref[0], k, affine ? ref[1] : Tensor(), affine ? ref[2] : Tensor(), 1e-5);
  EXPECT_EQ(y.dtype(), dtype);
  EXPECT_TRUE(tensors_close(y.to(Dtype::float64), y_ref.detach(), rtol, atol));
  Tensor dy = randn(shape, {.dtype = dtype});
  std::vector<Tensor> g = autograd::grad({y}, leaves, {dy});
  std::vector<Tensor> g_ref = autograd::grad({y_ref}, ref, {dy.to(Dtype::float64)});
  for (size_t i = 0; i < g.size(); ++i) {
    SCOPED_TRACE("gradient " + std::to_string(i));
    EXPECT_EQ(g[i].dtype(), dtype);
    EXPECT_EQ(g[i].shape(), leaves[i].shape());
    EXPECT_TRUE(tensors_close(g[i].to(Dtype::float64), g_ref[i], rtol,
                              atol * static_cast<double>(x.numel())));
  }
}

TEST(LayerNormKernel, MatchesTheCompositeReference) {
  manual_seed(1);
  for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
    for (bool affine : {true, false}) {
      for (bool contiguous : {true, false}) {
        check_against_reference({3, 5}, 1, dtype, affine, contiguous);
        check_against_reference({2, 3, 7}, 2, dtype, affine, contiguous);
        check_against_reference({4, 6, 5, 3}, 1, dtype, affine, contiguous);
        check_against_reference({5, 9}, 2, dtype, affine, contiguous);
        // Above the parallel grain: several threads' weight-gradient partial sums.
        check_against_reference({64, 33, 20}, 1, dtype, affine, contiguous);
      }
    }
  }
}

TEST(LayerNormKernel, BothBackwardPathsAgree) {
  manual_seed(2);
  std::vector<Tensor> leaves = leaves_of({randn({4, 3, 5}, {.dtype = Dtype::float64}),
                                          randn({3, 5}, {.dtype = Dtype::float64}),
                                          randn({3, 5}, {.dtype = Dtype::float64})});
  Tensor dy = randn({4, 3, 5}, {.dtype = Dtype::float64});
  auto run = [&](bool create_graph) {
    Tensor y = F::layer_norm(leaves[0], {3, 5}, leaves[1], leaves[2]);
    return autograd::grad({y}, leaves, {dy}, {.create_graph = create_graph});
  };
  std::vector<Tensor> fused = run(false);
  std::vector<Tensor> composite = run(true);
  for (size_t i = 0; i < fused.size(); ++i) {
    EXPECT_FALSE(fused[i].requires_grad());
    EXPECT_TRUE(tensors_close(fused[i], composite[i].detach(), 1e-12, 1e-12));
  }
}

TEST(LayerNormKernel, GradcheckFirstAndSecondOrder) {
  manual_seed(3);
  for (bool affine : {true, false}) {
    std::vector<Tensor> inputs =
        leaves_of({randn({3, 2, 4}, {.dtype = Dtype::float64}),
                   affine ? randn({2, 4}, {.dtype = Dtype::float64}) : Tensor(),
                   affine ? randn({2, 4}, {.dtype = Dtype::float64}) : Tensor()});
    auto fn = [&](const std::vector<Tensor>& in) {
      Tensor y = F::layer_norm(in[0], {2, 4}, affine ? in[1] : Tensor(), affine ? in[2] : Tensor());
      return (y * y * y).sum() +
             (y * arange(y.numel(), {.dtype = Dtype::float64}).reshape(y.shape())).sum();
    };
    autograd::GradcheckResult first = autograd::gradcheck(fn, inputs);
    EXPECT_TRUE(first.ok) << first.message;
    autograd::GradcheckResult second =
        autograd::gradcheck(fn, inputs, {.check_second_order = true});
    EXPECT_TRUE(second.ok) << second.message;
  }
}

}  // namespace
}  // namespace cajal
