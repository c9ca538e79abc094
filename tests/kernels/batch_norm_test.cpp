// Fused batch normalization (kernels/batch_norm.h, recorded by nn::functional::batch_norm):
// forward, backward and running statistics against a composite reference built from generic ops
// (float32 and float64, odd shapes, non-contiguous input, weight/bias absent), both backward paths
// (fused without create_graph, composite with it), and first- and second-order gradient checks.
#include "cajal/kernels/batch_norm.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/functional/normalization.h"
#include "support/golden.h"

namespace cajal {
namespace {

namespace F = nn::functional;
using testing::tensors_close;

struct Affine {
  bool weight;
  bool bias;
};

Shape stat_shape_of(const Tensor& x) {
  Shape shape(static_cast<size_t>(x.dim()), 1);
  shape[1] = x.size(1);
  return shape;
}

Dims reduce_dims_of(const Tensor& x) {
  Dims reduce{0};
  for (int64_t d = 2; d < x.dim(); ++d) reduce.push_back(d);
  return reduce;
}

// The composite definition: what batch_norm computed before it had kernels of its own.
Tensor reference_batch_norm(const Tensor& x, const Tensor& mean_or_running,
                            const Tensor& var_or_running, const Tensor& weight, const Tensor& bias,
                            bool training, double eps) {
  const Shape stat_shape = stat_shape_of(x);
  Tensor mean;
  Tensor var;
  if (training) {
    mean = cajal::mean(x, reduce_dims_of(x), /*keepdim=*/true);
    var = cajal::var(x, reduce_dims_of(x), /*correction=*/0, /*keepdim=*/true);
  } else {
    mean = mean_or_running.reshape(stat_shape);
    var = var_or_running.reshape(stat_shape);
  }
  Tensor y = (x - mean) * rsqrt(var + eps);
  if (weight.defined()) y = y * weight.reshape(stat_shape);
  if (bias.defined()) y = y + bias.reshape(stat_shape);
  return y;
}

struct Case {
  Tensor x, weight, bias, running_mean, running_var;
};

// x: `shape`, made non-contiguous by a transpose when asked; statistics far from 0 and 1 so that
// a wrong mean or variance shows.
Case make_case(const Shape& shape, Dtype dtype, Affine affine, bool contiguous) {
  Case c;
  if (contiguous) {
    c.x = randn(shape, {.dtype = dtype}) * 3 + 2;
  } else {
    Shape swapped = shape;
    std::swap(swapped[0], swapped.back());
    c.x = (randn(swapped, {.dtype = dtype}) * 3 + 2)
              .transpose(0, static_cast<int64_t>(shape.size()) - 1);
  }
  const int64_t channels = shape[1];
  if (affine.weight) c.weight = randn({channels}, {.dtype = dtype}) + 1;
  if (affine.bias) c.bias = randn({channels}, {.dtype = dtype});
  c.running_mean = randn({channels}, {.dtype = dtype});
  c.running_var = rand({channels}, {.dtype = dtype}) + 0.5;
  return c;
}

std::vector<Tensor> with_grad(const Case& c) {
  std::vector<Tensor> leaves;
  for (const Tensor& t : {c.x, c.weight, c.bias}) {
    leaves.push_back(t.defined() ? t.detach().clone().requires_grad_(true) : Tensor());
  }
  return leaves;
}

std::vector<Tensor> defined_only(const std::vector<Tensor>& tensors) {
  std::vector<Tensor> out;
  for (const Tensor& t : tensors) {
    if (t.defined()) out.push_back(t);
  }
  return out;
}

// Forward and gradients (fused backward, create_graph off) against the composite reference.
void check_against_reference(const Shape& shape, Dtype dtype, Affine affine, bool contiguous,
                             bool training) {
  SCOPED_TRACE(shape_string(shape) + " " + std::string(dtype_name(dtype)) +
               (contiguous ? "" : " non-contiguous") + (affine.weight ? " weight" : "") +
               (affine.bias ? " bias" : "") + (training ? " training" : " eval"));
  const double rtol = dtype == Dtype::float32 ? 1e-5 : 1e-12;
  const double atol = dtype == Dtype::float32 ? 1e-5 : 1e-12;
  const double eps = 1e-5;
  Case c = make_case(shape, dtype, affine, contiguous);
  ASSERT_EQ(c.x.is_contiguous(), contiguous || shape[0] == 1);
  // The reference runs in float64 from the same values.
  Case r{c.x.to(Dtype::float64), c.weight.defined() ? c.weight.to(Dtype::float64) : Tensor(),
         c.bias.defined() ? c.bias.to(Dtype::float64) : Tensor(), c.running_mean.to(Dtype::float64),
         c.running_var.to(Dtype::float64)};

  std::vector<Tensor> leaves = with_grad(c);
  Tensor running_mean = c.running_mean.clone();
  Tensor running_var = c.running_var.clone();
  Tensor y =
      F::batch_norm(leaves[0], running_mean, running_var, leaves[1], leaves[2], training, 0.1, eps);
  std::vector<Tensor> ref_leaves = with_grad(r);
  Tensor y_ref = reference_batch_norm(ref_leaves[0], r.running_mean, r.running_var, ref_leaves[1],
                                      ref_leaves[2], training, eps);
  EXPECT_EQ(y.dtype(), dtype);
  EXPECT_TRUE(tensors_close(y.to(Dtype::float64), y_ref.detach(), rtol, atol));

  Tensor dy = randn(shape, {.dtype = dtype});
  std::vector<Tensor> inputs = defined_only(leaves);
  std::vector<Tensor> ref_inputs = defined_only(ref_leaves);
  std::vector<Tensor> g = autograd::grad({y}, inputs, {dy});
  std::vector<Tensor> g_ref = autograd::grad({y_ref}, ref_inputs, {dy.to(Dtype::float64)});
  ASSERT_EQ(g.size(), g_ref.size());
  for (size_t i = 0; i < g.size(); ++i) {
    SCOPED_TRACE("gradient " + std::to_string(i));
    EXPECT_EQ(g[i].dtype(), dtype);
    // Gradients of x sum n terms of either sign: scale the absolute tolerance with their size.
    EXPECT_TRUE(tensors_close(g[i].to(Dtype::float64), g_ref[i], rtol,
                              atol * static_cast<double>(c.x.numel())));
  }

  // Running statistics: the blend of the composite batch statistics (unbiased variance).
  if (training) {
    const double n = static_cast<double>(c.x.numel() / shape[1]);
    Tensor mean = cajal::mean(r.x, reduce_dims_of(r.x));
    Tensor var = cajal::var(r.x, reduce_dims_of(r.x), /*correction=*/0) * (n / (n - 1));
    EXPECT_TRUE(tensors_close(running_mean.to(Dtype::float64), r.running_mean * 0.9 + mean * 0.1,
                              rtol, atol));
    EXPECT_TRUE(
        tensors_close(running_var.to(Dtype::float64), r.running_var * 0.9 + var * 0.1, rtol, atol));
  } else {
    EXPECT_TRUE(equal(running_mean, c.running_mean));
    EXPECT_TRUE(equal(running_var, c.running_var));
  }
}

const std::vector<Shape> kShapes = {{3, 5}, {2, 3, 7}, {4, 6, 5, 3}, {9, 2, 11, 13}};
const std::vector<Affine> kAffines = {{true, true}, {false, false}, {true, false}, {false, true}};

TEST(BatchNormKernel, TrainingMatchesTheCompositeReference) {
  manual_seed(1);
  for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
    for (const Shape& shape : kShapes) {
      for (Affine affine : kAffines) {
        for (bool contiguous : {true, false}) {
          check_against_reference(shape, dtype, affine, contiguous, /*training=*/true);
        }
      }
    }
  }
}

TEST(BatchNormKernel, EvaluationMatchesTheCompositeReference) {
  manual_seed(2);
  for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
    for (const Shape& shape : kShapes) {
      for (Affine affine : kAffines) {
        for (bool contiguous : {true, false}) {
          check_against_reference(shape, dtype, affine, contiguous, /*training=*/false);
        }
      }
    }
  }
}

TEST(BatchNormKernel, LargeInputsUseManyThreadsAndStayAccurate) {
  // Above the parallel grain, and a mean 1000 standard deviations from 0 (a one-pass variance in
  // float32 would lose every digit).
  manual_seed(3);
  check_against_reference({64, 8, 12, 12}, Dtype::float64, {true, true}, true, true);
  Tensor x = randn({64, 8, 12, 12}) + 1000;
  kernels::BatchNormForward f = kernels::batch_norm_training(x, Tensor(), Tensor(), 1e-5);
  Tensor x64 = x.to(Dtype::float64);
  Tensor var = cajal::var(x64, {0, 2, 3}, /*correction=*/0);
  EXPECT_TRUE(tensors_close(f.mean.to(Dtype::float64), cajal::mean(x64, {0, 2, 3}), 1e-6, 0));
  EXPECT_TRUE(tensors_close(f.var.to(Dtype::float64), var, 1e-5, 0));
  EXPECT_TRUE(tensors_close(f.invstd.to(Dtype::float64), rsqrt(var + 1e-5), 1e-5, 0));
}

TEST(BatchNormKernel, MomentumNoneUsesTheCumulativeAverage) {
  manual_seed(4);
  Tensor x = randn({5, 3, 4}, {.dtype = Dtype::float64});
  Tensor running_mean = zeros({3}, {.dtype = Dtype::float64});
  Tensor running_var = ones({3}, {.dtype = Dtype::float64});
  Tensor tracked = zeros({}, {.dtype = Dtype::int64});
  Tensor sum_mean = zeros({3}, {.dtype = Dtype::float64});
  Tensor sum_var = zeros({3}, {.dtype = Dtype::float64});
  for (int step = 1; step <= 3; ++step) {
    Tensor batch = x * step + step;
    F::batch_norm(batch, running_mean, running_var, Tensor(), Tensor(), /*training=*/true,
                  std::nullopt, 1e-5, tracked);
    sum_mean = sum_mean + cajal::mean(batch, {0, 2});
    sum_var = sum_var + cajal::var(batch, {0, 2}, /*correction=*/1);
    EXPECT_EQ(tracked.item<int64_t>(), step);
    // After step k the running statistics are the average of the k batch statistics (the
    // initial values get weight 0 at step 1).
    EXPECT_TRUE(tensors_close(running_mean, sum_mean / step, 1e-12, 1e-12));
    EXPECT_TRUE(tensors_close(running_var, sum_var / step, 1e-12, 1e-12));
  }
}

// Under create_graph the backward is the composite formula; without, the fused kernel. Both give
// the same first-order gradients.
TEST(BatchNormKernel, BothBackwardPathsAgree) {
  manual_seed(5);
  for (bool training : {true, false}) {
    Case c = make_case({4, 3, 5}, Dtype::float64, {true, true}, false);
    std::vector<Tensor> leaves = with_grad(c);
    Tensor dy = randn({4, 3, 5}, {.dtype = Dtype::float64});
    auto run = [&](bool create_graph) {
      Tensor y = F::batch_norm(leaves[0], c.running_mean.clone(), c.running_var.clone(), leaves[1],
                               leaves[2], training);
      return autograd::grad({y}, leaves, {dy}, {.create_graph = create_graph});
    };
    std::vector<Tensor> fused = run(false);
    std::vector<Tensor> composite = run(true);
    for (size_t i = 0; i < fused.size(); ++i) {
      EXPECT_FALSE(fused[i].requires_grad());
      // The bias gradient, sum(dy), depends on no input that requires grad.
      EXPECT_EQ(composite[i].requires_grad(), i < 2);
      EXPECT_TRUE(tensors_close(fused[i], composite[i].detach(), 1e-12, 1e-12));
    }
  }
}

void check_gradients(bool training, Affine affine, const Shape& shape) {
  SCOPED_TRACE(std::string(training ? "training " : "eval ") + shape_string(shape) +
               (affine.weight ? " weight" : "") + (affine.bias ? " bias" : ""));
  Case c = make_case(shape, Dtype::float64, affine, false);
  std::vector<Tensor> leaves = with_grad(c);
  std::vector<Tensor> inputs = defined_only(leaves);
  auto fn = [&](const std::vector<Tensor>& in) {
    size_t next = 1;
    Tensor weight = affine.weight ? in[next++] : Tensor();
    Tensor bias = affine.bias ? in[next++] : Tensor();
    // Fresh running statistics each call: evaluation reads them, training updates them.
    Tensor y =
        F::batch_norm(in[0], c.running_mean.clone(), c.running_var.clone(), weight, bias, training);
    // A nonlinear readout, so that the second-order check sees curvature in every input.
    return (y * y * y).sum() +
           (y * cajal::arange(y.numel(), {.dtype = Dtype::float64}).reshape(y.shape())).sum();
  };
  autograd::GradcheckResult first = autograd::gradcheck(fn, inputs);
  EXPECT_TRUE(first.ok) << first.message;
  autograd::GradcheckResult second = autograd::gradcheck(fn, inputs, {.check_second_order = true});
  EXPECT_TRUE(second.ok) << second.message;
}

TEST(BatchNormKernel, GradcheckFirstAndSecondOrder) {
  manual_seed(6);
  for (bool training : {true, false}) {
    check_gradients(training, {true, true}, {3, 2, 4});
    check_gradients(training, {false, false}, {4, 3});
    check_gradients(training, {true, false}, {2, 2, 2, 3});
  }
}

TEST(BatchNormKernel, KernelBackwardMatchesTheFormula) {
  manual_seed(7);
  Tensor x = randn({5, 4, 6}, {.dtype = Dtype::float64});
  Tensor dy = randn({5, 4, 6}, {.dtype = Dtype::float64});
  Tensor weight = randn({4}, {.dtype = Dtype::float64});
  kernels::BatchNormForward f = kernels::batch_norm_training(x, weight, Tensor(), 0.1);
  kernels::BatchNormGrads g = kernels::batch_norm_backward(dy, x, f.mean, f.invstd, weight, true);
  const Shape s{1, 4, 1};
  Tensor xhat = (x - f.mean.reshape(s)) * f.invstd.reshape(s);
  Tensor mean_dy = cajal::mean(dy, {0, 2}, true);
  Tensor mean_dy_xhat = cajal::mean(dy * xhat, {0, 2}, true);
  Tensor dx = weight.reshape(s) * f.invstd.reshape(s) * (dy - mean_dy - xhat * mean_dy_xhat);
  EXPECT_TRUE(tensors_close(g.x, dx, 1e-12, 1e-12));
  EXPECT_TRUE(tensors_close(g.weight, cajal::sum(dy * xhat, {0, 2}), 1e-12, 1e-12));
  EXPECT_TRUE(tensors_close(g.bias, cajal::sum(dy, {0, 2}), 1e-12, 1e-12));
  EXPECT_TRUE(tensors_close(f.y, xhat * weight.reshape(s), 1e-12, 1e-12));
}

}  // namespace
}  // namespace cajal
