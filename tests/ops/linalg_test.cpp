// Matrix products: golden values and gradients from PyTorch, float64 gradient checks (first and
// second order, contiguous, transposed, strided and broadcast operands), shapes and errors.
#include <gtest/gtest.h>

#include <functional>
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
using testing::tensors_close;

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

Tensor transposed(const Tensor& x) { return x.transpose(-1, -2); }

Fn op_by_name(const std::string& op) {
  if (op == "matmul") return [](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); };
  if (op == "mm") return [](const std::vector<Tensor>& x) { return mm(x[0], x[1]); };
  if (op == "bmm") return [](const std::vector<Tensor>& x) { return bmm(x[0], x[1]); };
  if (op == "dot") return [](const std::vector<Tensor>& x) { return dot(x[0], x[1]); };
  if (op == "outer") return [](const std::vector<Tensor>& x) { return outer(x[0], x[1]); };
  if (op == "linear") {
    return [](const std::vector<Tensor>& x) {
      return linear(x[0], x[1], x.size() > 2 ? x[2] : Tensor());
    };
  }
  throw std::runtime_error("unknown op " + op);
}

// ---------------------------------------------------------------------------------------------
// Golden values (PyTorch 1.13, tools/golden/linalg.py).

TEST(LinalgGolden, AllCases) {
  auto cases = testing::load_golden("linalg");
  ASSERT_GE(cases.size(), 57u);
  for (const auto& [name, c] : cases) {
    Fn op = op_by_name(c.text("op"));
    std::vector<int64_t> transpose = c.int_list("transpose");
    Fn fn = [&](const std::vector<Tensor>& inputs) {
      std::vector<Tensor> xs = inputs;
      for (int64_t i : transpose) xs[i] = transposed(xs[i]);
      return op(xs);
    };
    // float32 products of up to 7 terms of N(0, 1) values: a few ulps of the largest term.
    bool any_float32 = false;
    for (const Tensor& x : c.inputs) any_float32 = any_float32 || x.dtype() == Dtype::float32;
    double rtol = any_float32 ? 1e-5 : 1e-12;
    double atol = any_float32 ? 1e-5 : 1e-12;
    testing::check_golden(c, fn, rtol, atol);
  }
}

TEST(LinalgGolden, MixedDtypesPromoteAndGradientsKeepInputDtypes) {
  auto cases = testing::load_golden("linalg");
  const auto& c = cases.at("matmul_mixed_float32_float64");
  Tensor a = c.inputs[0].clone().requires_grad_(), b = c.inputs[1].clone().requires_grad_();
  Tensor y = matmul(a, b);
  EXPECT_EQ(y.dtype(), Dtype::float64);
  y.backward(c.grad_outputs[0]);
  EXPECT_EQ(a.grad().dtype(), Dtype::float32);
  EXPECT_EQ(b.grad().dtype(), Dtype::float64);
}

// ---------------------------------------------------------------------------------------------
// Gradient checks (float64).

Tensor param(const Shape& shape) {
  return randn(shape, {.dtype = Dtype::float64}).requires_grad_();
}

void expect_gradcheck(const Fn& fn, const std::vector<Tensor>& inputs, bool second_order = false) {
  GradcheckOptions options;
  options.check_second_order = second_order;
  auto result = gradcheck(fn, inputs, options);
  EXPECT_TRUE(result.ok) << result.message;
}

struct RankCase {
  Shape a, b;
};

const std::vector<RankCase> kRankCases = {
    {{5}, {5}},
    {{4}, {4, 3}},
    {{3, 4}, {4}},
    {{3, 4}, {4, 5}},
    {{2, 3, 4}, {4, 5}},
    {{3, 4}, {2, 4, 5}},
    {{4}, {2, 4, 3}},
    {{2, 3, 4}, {4}},
    {{2, 3, 4}, {2, 4, 5}},
    {{2, 1, 3, 4}, {5, 4, 2}},
    {{3, 1, 2, 4}, {1, 2, 4, 3}},
};

TEST(LinalgGradcheck, MatmulAllRanks) {
  manual_seed(1);
  for (const auto& rc : kRankCases) {
    SCOPED_TRACE(shape_string(rc.a) + " x " + shape_string(rc.b));
    expect_gradcheck([](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); },
                     {param(rc.a), param(rc.b)});
  }
}

TEST(LinalgGradcheck, MatmulSecondOrder) {
  manual_seed(2);
  for (const auto& rc : kRankCases) {
    SCOPED_TRACE(shape_string(rc.a) + " x " + shape_string(rc.b));
    expect_gradcheck([](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); },
                     {param(rc.a), param(rc.b)}, true);
  }
}

TEST(LinalgGradcheck, MatmulTransposedOperands) {
  manual_seed(3);
  // The kernel reads these through gemm's transposition flags, without copies.
  expect_gradcheck(
      [](const std::vector<Tensor>& x) { return matmul(transposed(x[0]), transposed(x[1])); },
      {param({4, 3}), param({5, 4})}, true);
  expect_gradcheck([](const std::vector<Tensor>& x) { return matmul(transposed(x[0]), x[1]); },
                   {param({2, 4, 3}), param({4, 5})}, true);
  expect_gradcheck([](const std::vector<Tensor>& x) { return matmul(x[0], transposed(x[1])); },
                   {param({2, 1, 3, 4}), param({5, 2, 4})});
}

TEST(LinalgGradcheck, MatmulStridedAndExpandedOperands) {
  manual_seed(4);
  // Every other column: no gemm layout, so the kernel copies.
  expect_gradcheck(
      [](const std::vector<Tensor>& x) { return matmul(x[0].slice(1, 0, std::nullopt, 2), x[1]); },
      {param({3, 8}), param({4, 2})});
  // Stride-0 batch dims from expand, and a permuted batch dim.
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        return matmul(x[0].expand({3, 2, 4}), x[1].permute({1, 0, 2}));
      },
      {param({1, 2, 4}), param({4, 3, 5})});
}

TEST(LinalgGradcheck, MmBmmDotOuter) {
  manual_seed(5);
  expect_gradcheck([](const std::vector<Tensor>& x) { return mm(x[0], x[1]); },
                   {param({3, 4}), param({4, 2})}, true);
  expect_gradcheck([](const std::vector<Tensor>& x) { return mm(transposed(x[0]), x[1]); },
                   {param({4, 3}), param({4, 2})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return bmm(x[0], x[1]); },
                   {param({2, 3, 4}), param({2, 4, 2})}, true);
  expect_gradcheck([](const std::vector<Tensor>& x) { return bmm(x[0], transposed(x[1])); },
                   {param({2, 3, 4}), param({2, 2, 4})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return dot(x[0], x[1]); },
                   {param({6}), param({6})}, true);
  expect_gradcheck(
      [](const std::vector<Tensor>& x) { return dot(x[0].slice(0, 0, std::nullopt, 2), x[1]); },
      {param({6}), param({3})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return outer(x[0], x[1]); },
                   {param({4}), param({3})}, true);
}

TEST(LinalgGradcheck, Linear) {
  manual_seed(6);
  Fn with_bias = [](const std::vector<Tensor>& x) { return linear(x[0], x[1], x[2]); };
  Fn no_bias = [](const std::vector<Tensor>& x) { return linear(x[0], x[1]); };
  expect_gradcheck(with_bias, {param({5, 4}), param({3, 4}), param({3})}, true);
  expect_gradcheck(no_bias, {param({5, 4}), param({3, 4})}, true);
  expect_gradcheck(with_bias, {param({2, 3, 4}), param({3, 4}), param({3})});
  expect_gradcheck(with_bias, {param({4}), param({3, 4}), param({3})});
  // Transposed weight and input (views), and an input that is a strided slice.
  expect_gradcheck(
      [](const std::vector<Tensor>& x) { return linear(transposed(x[0]), transposed(x[1]), x[2]); },
      {param({4, 5}), param({4, 3}), param({3})}, true);
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        return linear(x[0].slice(1, 0, std::nullopt, 2), x[1], x[2]);
      },
      {param({5, 8}), param({3, 4}), param({3})});
  // Only some inputs need gradients.
  Tensor x = randn({5, 4}, {.dtype = Dtype::float64});
  expect_gradcheck(with_bias, {x, param({3, 4}), param({3})});
}

// ---------------------------------------------------------------------------------------------
// Forward values against a float64 recomputation, on shapes that take every kernel path.

// Sum over k of a[..., i, p] * b[..., p, j] by broadcasting (no gemm involved).
Tensor product_by_broadcast(const Tensor& a, const Tensor& b) {
  return sum(mul(unsqueeze(a.to(Dtype::float64), -1), unsqueeze(b.to(Dtype::float64), -3)), {-2});
}

TEST(LinalgForward, KernelPathsMatchBroadcastProduct) {
  manual_seed(7);
  struct PathCase {
    const char* what;
    Tensor a, b;
  };
  Tensor big = randn({6, 17, 33});
  std::vector<PathCase> cases = {
      {"tall fold: 3-D x 2-D", randn({4, 17, 33}), randn({33, 65})},
      {"expanded 2-D right operand", randn({4, 17, 33}), randn({33, 65}).expand({4, 33, 65})},
      {"many small matrices in parallel", randn({64, 16, 17}), randn({64, 17, 9})},
      {"large batched, one gemm at a time", randn({2, 65, 65}), randn({2, 65, 66})},
      {"transposed batch", transposed(randn({5, 33, 17})), transposed(randn({5, 9, 33}))},
      {"permuted batch dims", big.permute({1, 0, 2}), randn({33, 5})},
      {"column slice (copy)", randn({17, 66}).slice(1, 0, std::nullopt, 2), randn({33, 3})},
      {"row stride larger than row", randn({17, 40}).narrow(1, 3, 33), randn({33, 7})},
      {"broadcast both batches", randn({3, 1, 4, 6}), randn({1, 2, 6, 5})},
  };
  for (const auto& pc : cases) {
    for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
      SCOPED_TRACE(std::string(pc.what) + " " + std::string(dtype_name(dtype)));
      Tensor a = pc.a.to(dtype), b = pc.b.to(dtype);
      Tensor y = matmul(a, b);
      EXPECT_EQ(y.dtype(), dtype);
      double tol = dtype == Dtype::float32 ? 1e-4 : 1e-12;
      EXPECT_TRUE(tensors_close(y.to(Dtype::float64), product_by_broadcast(a, b), tol, tol));
    }
  }
}

TEST(LinalgForward, ThreadCountDoesNotChangeResults) {
  manual_seed(8);
  Tensor a = randn({8, 65, 127}), b = randn({127, 33});
  int saved = get_num_threads();
  set_num_threads(1);
  Tensor one = matmul(a, b);
  set_num_threads(2);
  Tensor two = matmul(a, b);
  set_num_threads(saved);
  EXPECT_TRUE(tensors_close(one, two, 1e-5, 1e-5));
}

TEST(LinalgForward, ShapesFollowNumpy) {
  EXPECT_EQ(matmul(ones({5}), ones({5})).shape(), Shape{});
  EXPECT_EQ(matmul(ones({4}), ones({2, 4, 3})).shape(), (Shape{2, 3}));
  EXPECT_EQ(matmul(ones({2, 3, 4}), ones({4})).shape(), (Shape{2, 3}));
  EXPECT_EQ(matmul(ones({2, 1, 3, 4}), ones({5, 4, 2})).shape(), (Shape{2, 5, 3, 2}));
  EXPECT_EQ(linear(ones({2, 3, 4}), ones({6, 4})).shape(), (Shape{2, 3, 6}));
  EXPECT_EQ(linear(ones({4}), ones({6, 4}), ones({6})).shape(), (Shape{6}));
  EXPECT_EQ(outer(ones({4}), ones({6})).shape(), (Shape{4, 6}));
  EXPECT_DOUBLE_EQ(dot(tensor({1, 2, 3}), tensor({4, 5, 6})).item(), 32.0);
}

TEST(LinalgForward, EmptyDimensions) {
  EXPECT_EQ(matmul(ones({0, 3}), ones({3, 2})).shape(), (Shape{0, 2}));
  EXPECT_EQ(matmul(ones({2, 0, 3}), ones({3, 2})).shape(), (Shape{2, 0, 2}));
  // K = 0: an empty sum is 0.
  Tensor y = matmul(ones({2, 0}), ones({0, 3}));
  EXPECT_TRUE(tensors_close(y, zeros({2, 3}), 0, 0));
  Tensor z = linear(ones({2, 0}), ones({3, 0}), tensor({1, 2, 3}));
  EXPECT_TRUE(tensors_close(z, tensor({{1, 2, 3}, {1, 2, 3}}), 0, 0));
}

TEST(LinalgForward, LinearWeightGradientIsContiguousOutByIn) {
  Tensor x = randn({5, 4});
  Tensor w = randn({3, 4}).requires_grad_(), b = randn({3}).requires_grad_();
  sum(linear(x, w, b)).backward();
  ASSERT_TRUE(w.grad().defined());
  EXPECT_EQ(w.grad().shape(), (Shape{3, 4}));
  EXPECT_TRUE(w.grad().is_contiguous());
  EXPECT_TRUE(tensors_close(w.grad(), sum(x, {0}, true).expand({3, 4}), 1e-5, 1e-5));
  EXPECT_TRUE(tensors_close(b.grad(), full({3}, 5.0), 0, 0));
}

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(LinalgErrors, Messages) {
  expect_error<ShapeError>(
      [] {
        matmul(ones({32, 784}), ones({256, 10}));
      },
      "matmul: shapes [32, 784] and [256, 10] do not align (784 != 256)");
  expect_error<ShapeError>([] { matmul(ones({3}), ones({4})); },
                           "matmul: shapes [3] and [4] do not align (3 != 4)");
  expect_error<ShapeError>(
      [] {
        matmul(ones({2, 3, 4}), ones({5}));
      },
      "matmul: shapes [2, 3, 4] and [5] do not align (4 != 5)");
  expect_error<ShapeError>(
      [] {
        matmul(ones({2, 3, 4}), ones({5, 4, 2}));
      },
      "matmul: batch dims of [2, 3, 4] and [5, 4, 2] do not broadcast (2 != 5)");
  expect_error<ShapeError>([] { matmul(ones({}), ones({3})); },
                           "matmul: both arguments need at least 1 dim, got shapes [] and [3]");
  expect_error<ValueError>(
      [] {
        matmul(ones({2, 2}, {.dtype = Dtype::int64}), ones({2, 2}));
      },
      "matmul: expected floating-point tensors, got int64 and float32");
  expect_error<ValueError>(
      [] {
        matmul(ones({2, 2}, {.dtype = Dtype::int64}), ones({2, 2}, {.dtype = Dtype::int64}));
      },
      "matmul: expected floating-point tensors, got int64");
  expect_error<ShapeError>(
      [] {
        mm(ones({2, 3, 4}), ones({4, 2}));
      },
      "mm: expected 2-D tensors, got shapes [2, 3, 4] and [4, 2]");
  expect_error<ShapeError>(
      [] {
        mm(ones({2, 3}), ones({4, 2}));
      },
      "mm: shapes [2, 3] and [4, 2] do not align (3 != 4)");
  expect_error<ShapeError>(
      [] {
        bmm(ones({2, 3}), ones({2, 3, 2}));
      },
      "bmm: expected 3-D tensors, got shapes [2, 3] and [2, 3, 2]");
  expect_error<ShapeError>(
      [] {
        bmm(ones({2, 3, 4}), ones({3, 4, 2}));
      },
      "bmm: batch sizes of [2, 3, 4] and [3, 4, 2] differ (2 != 3)");
  expect_error<ShapeError>(
      [] {
        bmm(ones({2, 3, 4}), ones({2, 5, 2}));
      },
      "bmm: shapes [2, 3, 4] and [2, 5, 2] do not align (4 != 5)");
  expect_error<ShapeError>([] { dot(ones({3}), ones({4})); },
                           "dot: shapes [3] and [4] do not align (3 != 4)");
  expect_error<ShapeError>(
      [] {
        dot(ones({3, 1}), ones({3}));
      },
      "dot: expected 1-D tensors, got shapes [3, 1] and [3]");
  expect_error<ShapeError>([] { outer(ones({3}), ones({})); },
                           "outer: expected 1-D tensors, got shapes [3] and []");
  expect_error<ShapeError>(
      [] {
        linear(ones({32, 784}), ones({10, 256}));
      },
      "linear: input [32, 784] and weight [10, 256] do not align (784 != 256)");
  expect_error<ShapeError>(
      [] {
        linear(ones({2, 4}), ones({3, 4}), ones({4}));
      },
      "linear: bias [4] does not match weight [3, 4] (expected [3])");
  expect_error<ShapeError>(
      [] {
        linear(ones({2, 4}), ones({4}));
      },
      "linear: weight must be 2-D [out, in], got [4]");
  expect_error<ShapeError>(
      [] {
        linear(ones({}), ones({3, 1}));
      },
      "linear: input must have at least 1 dim, got shape []");
  expect_error<ValueError>(
      [] {
        linear(ones({2, 4}, {.dtype = Dtype::int64}), ones({3, 4}));
      },
      "linear: expected floating-point tensors, got int64 and float32");
}

}  // namespace
}  // namespace cajal
