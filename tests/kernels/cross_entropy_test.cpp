// The fused softmax cross-entropy (kernels/cross_entropy.h, taken by
// nn::functional::cross_entropy for contiguous [N, C] float inputs with class-index targets)
// against the composite path, which the same call takes for a non-contiguous input with the same
// values: losses and gradients for every option, odd sizes, both dtypes; the create_graph
// gradient (composite backward formula) against the fused one; gradients of gradients.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cajal/autograd/engine.h"
#include "cajal/autograd/gradcheck.h"
#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/kernels/cross_entropy.h"
#include "cajal/nn/functional/loss.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/view.h"
#include "support/golden.h"

namespace cajal {
namespace {

namespace F = nn::functional;
using F::Reduction;
using testing::tensors_close;

double rtol(Dtype dtype) { return dtype == Dtype::float32 ? 1e-5 : 1e-12; }
double atol(Dtype dtype) { return dtype == Dtype::float32 ? 1e-6 : 1e-14; }

// The same values as x in a transposed (non-contiguous) layout: the composite path.
Tensor strided_copy(const Tensor& x) { return transpose(x.t().contiguous(), 0, 1); }

struct Case {
  int64_t rows, classes;
  bool weighted, ignoring;
  double smoothing;
  Reduction reduction;
};

std::string describe(const Case& c, Dtype dtype) {
  return fmt::format("[{}, {}] {}{}{} smoothing {} reduction {}", c.rows, c.classes,
                     dtype_name(dtype), c.weighted ? " weighted" : "",
                     c.ignoring ? " ignoring" : "", c.smoothing, F::reduction_name(c.reduction));
}

// Loss and input gradient (from a random upstream gradient) of cross_entropy on x.
struct Result {
  Tensor loss, grad;
};

Result evaluate(const Tensor& values, bool strided, const Tensor& target,
                const F::CrossEntropyLossOptions& options, const Tensor& upstream) {
  Tensor x = (strided ? strided_copy(values) : values.clone()).requires_grad_();
  // (With a size-1 dim the transposed copy is contiguous too: both runs then take the fused path.)
  if (values.size(0) > 1 && values.size(1) > 1) {
    EXPECT_EQ(x.is_contiguous(), !strided);
  }
  Tensor loss = F::cross_entropy(x, target, options);
  loss.backward(upstream);
  return {loss.detach(), x.grad()};
}

TEST(FusedCrossEntropy, MatchesCompositeOnRandomAndOddShapes) {
  std::vector<Case> cases;
  for (auto [rows, classes] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 1}, {1, 10}, {7, 2}, {13, 10}, {131, 37}, {4001, 10}}) {
    for (int variant = 0; variant < 8; ++variant) {
      for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
        cases.push_back(
            {rows, classes, bool(variant & 1), bool(variant & 2), variant & 4 ? 0.15 : 0.0, r});
      }
    }
  }
  manual_seed(7);
  for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
    for (const Case& c : cases) {
      const std::string label = describe(c, dtype);
      Tensor values = randn({c.rows, c.classes}, {.dtype = dtype}) * 3.0;
      Tensor target = randint(0, c.classes, {c.rows});
      if (c.ignoring && c.rows > 1) {
        // Every third target ignored (never all of them).
        int64_t* tp = target.data_ptr<int64_t>();
        for (int64_t i = 0; i < c.rows; i += 3) tp[i] = -1;
      }
      F::CrossEntropyLossOptions options{
          .ignore_index = -1, .label_smoothing = c.smoothing, .reduction = c.reduction};
      if (c.weighted) options.weight = rand({c.classes}, {.dtype = dtype}) + 0.5;
      Tensor upstream = c.reduction == Reduction::none ? randn({c.rows}, {.dtype = dtype})
                                                       : scalar_tensor(1.7, dtype);
      Result fused = evaluate(values, false, target, options, upstream);
      Result composite = evaluate(values, true, target, options, upstream);
      EXPECT_EQ(fused.loss.shape(), composite.loss.shape()) << label;
      EXPECT_EQ(fused.loss.dtype(), dtype) << label;
      EXPECT_TRUE(tensors_close(fused.loss, composite.loss, rtol(dtype), atol(dtype))) << label;
      EXPECT_TRUE(tensors_close(fused.grad, composite.grad, rtol(dtype), atol(dtype))) << label;
    }
  }
}

// Under create_graph, backward takes the composite formula: same gradient as the fused kernel,
// and differentiable again (gradients of gradients by central differences).
TEST(FusedCrossEntropy, CreateGraphGradientAndSecondOrder) {
  manual_seed(3);
  Tensor logits = (randn({5, 4}, {.dtype = Dtype::float64}) * 2.0).requires_grad_();
  Tensor target = tensor({0, 3, -100, 1, 2}, {.dtype = Dtype::int64});
  Tensor weight = tensor({0.5, 1.0, 2.0, 1.5}, {.dtype = Dtype::float64});
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    for (double smoothing : {0.0, 0.2}) {
      for (bool weighted : {false, true}) {
        F::CrossEntropyLossOptions options{.label_smoothing = smoothing, .reduction = r};
        if (weighted) options.weight = weight;
        Tensor upstream = r == Reduction::none ? randn({5}, {.dtype = Dtype::float64})
                                               : scalar_tensor(0.7, Dtype::float64);
        Tensor fused =
            autograd::grad({F::cross_entropy(logits, target, options)}, {logits}, {upstream})[0];
        Tensor graphed = autograd::grad({F::cross_entropy(logits, target, options)}, {logits},
                                        {upstream}, {.create_graph = true})[0];
        EXPECT_TRUE(graphed.requires_grad());
        EXPECT_TRUE(tensors_close(graphed.detach(), fused, 1e-12, 1e-14));
        auto result = autograd::gradcheck(
            [&](const std::vector<Tensor>& v) { return F::cross_entropy(v[0], target, options); },
            {logits}, {.check_second_order = true});
        EXPECT_TRUE(result.ok) << result.message;
      }
    }
  }
}

// Every target ignored: mean is 0 / 0 (NaN) in both paths, and so is its gradient.
TEST(FusedCrossEntropy, AllIgnoredMeanIsNan) {
  Tensor values = randn({3, 4});
  Tensor target = full({3}, -100, {.dtype = Dtype::int64});
  Result fused = evaluate(values, false, target, {}, Tensor());
  Result composite = evaluate(values, true, target, {}, Tensor());
  EXPECT_TRUE(std::isnan(fused.loss.item()));
  EXPECT_TRUE(std::isnan(composite.loss.item()));
  EXPECT_TRUE(tensors_close(isnan(fused.grad), isnan(composite.grad), 0, 0));
}

// Out-of-range targets are still refused with the op's message.
TEST(FusedCrossEntropy, BadTargetThrows) {
  Tensor values = randn({2, 3});
  EXPECT_ANY_THROW(F::cross_entropy(values, tensor({0, 3}, {.dtype = Dtype::int64})));
}

TEST(FusedCrossEntropy, FusableOnlyForContiguousFloatMatrices) {
  Tensor target = tensor({0, 1}, {.dtype = Dtype::int64});
  EXPECT_TRUE(kernels::cross_entropy_fusable(zeros({2, 3}), target, Tensor()));
  EXPECT_FALSE(kernels::cross_entropy_fusable(zeros({3, 2}).t(), target, Tensor()));
  EXPECT_FALSE(kernels::cross_entropy_fusable(zeros({2, 3, 1}), target, Tensor()));
  EXPECT_FALSE(kernels::cross_entropy_fusable(zeros({2, 3}), target.to(Dtype::float32), Tensor()));
  EXPECT_FALSE(
      kernels::cross_entropy_fusable(zeros({2, 3}), target, zeros({3}, {.dtype = Dtype::float64})));
}

}  // namespace
}  // namespace cajal
