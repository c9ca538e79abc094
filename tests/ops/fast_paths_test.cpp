// Fast paths inside ops, against what they replace: relu's one-pass backward against the mask
// formula where(y > 0, dy, 0); sqrt's SIMD rows against std::sqrt element by element;
// linear's gemm backward against the
// composite (matmul/sum) backward it takes under create_graph; (dim 0, contiguous input) against
// the gather path that a strided input with the same values takes. Odd sizes, both float dtypes,
// non-contiguous inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cajal/autograd/engine.h"
#include "cajal/autograd/gradcheck.h"
#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/indexing.h"
#include "cajal/ops/linalg.h"
#include "cajal/ops/math.h"
#include "cajal/ops/view.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::tensors_close;

const std::vector<Shape> kShapes{{1}, {7}, {17}, {33, 3}, {5, 129}, {40009}};

TEST(ReluBackward, MatchesMaskFormula) {
  manual_seed(5);
  for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
    for (const Shape& shape : kShapes) {
      // Rounded: many exact zeros (relu'(0) = 0).
      Tensor x = round(randn(shape, {.dtype = dtype}) * 2.0);
      Tensor leaf = x.clone().requires_grad_();
      Tensor dy = randn(shape, {.dtype = dtype});
      Tensor y = relu(leaf);
      y.backward(dy);
      Tensor expected = where(relu(x) > 0.0, dy, 0.0);
      EXPECT_TRUE(tensors_close(leaf.grad(), expected, 0, 0)) << shape_string(shape);
    }
  }
}

TEST(ReluBackward, ZerosNanAndStridedGradient) {
  Tensor x = tensor({-1.0, 0.0, 2.0, NAN, 3.0, -0.0}).requires_grad_();
  Tensor dy = tensor({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}).t().reshape({6});  // strided copy
  relu(x).backward(dy);
  Tensor expected = where(relu(x.detach()) > 0.0, dy, 0.0);
  EXPECT_TRUE(tensors_close(x.grad(), expected, 0, 0));
  EXPECT_DOUBLE_EQ(x.grad().index({1}).item(), 0.0);
  EXPECT_DOUBLE_EQ(x.grad().index({3}).item(), 0.0);
}

TEST(ReluBackward, SecondOrder) {
  manual_seed(6);
  Tensor x = randn({4, 5}, {.dtype = Dtype::float64}).requires_grad_();
  auto result = autograd::gradcheck([](const std::vector<Tensor>& v) { return relu(v[0]) * v[0]; },
                                    {x}, {.check_second_order = true});
  EXPECT_TRUE(result.ok) << result.message;
}

template <typename T>
void expect_sqrt_elementwise(const Tensor& x) {
  Tensor y = sqrt(x);
  ASSERT_EQ(y.dtype(), x.dtype());
  Tensor xc = x.contiguous();
  Tensor yc = y.contiguous();
  const T* xp = xc.data_ptr<T>();
  const T* yp = yc.data_ptr<T>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const T expected = std::sqrt(xp[i]);
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(yp[i])) << i;
    } else {
      EXPECT_EQ(yp[i], expected) << i;  // correctly rounded either way: bit for bit
    }
  }
}

TEST(SqrtKernel, MatchesStdSqrtBitForBit) {
  manual_seed(8);
  for (const Shape& shape : kShapes) {
    Tensor x = randn(shape) * 4.0;  // negatives give NaN
    expect_sqrt_elementwise<float>(x);
    expect_sqrt_elementwise<double>(x.to(Dtype::float64));
  }
  Tensor special = tensor({0.0, -0.0, INFINITY, -INFINITY, NAN, 1e-40, 2.0});
  expect_sqrt_elementwise<float>(special);
  EXPECT_TRUE(std::signbit(sqrt(special).index({1}).item()));  // sqrt(-0) = -0
  // Strided input (a transposed view) and integer input (computed in float32).
  Tensor m = rand({9, 13}, {.dtype = Dtype::float64});
  expect_sqrt_elementwise<double>(m.t());
  EXPECT_TRUE(tensors_close(sqrt(m.t()), sqrt(m.t().contiguous()), 0, 0));
  Tensor ints = tensor({0, 1, 4, 9}, {.dtype = Dtype::int64});
  EXPECT_TRUE(tensors_close(sqrt(ints), tensor({0.0, 1.0, 2.0, 3.0}), 0, 0));
}

TEST(SqrtKernel, Gradient) {
  Tensor x = (rand({3, 4}, {.dtype = Dtype::float64}) + 0.5).requires_grad_();
  auto result = autograd::gradcheck([](const std::vector<Tensor>& v) { return sqrt(v[0]); }, {x},
                                    {.check_second_order = true});
  EXPECT_TRUE(result.ok) << result.message;
}

// The strided copy of x (same values, non-contiguous): index_select then takes the gather path.
Tensor strided_copy(const Tensor& x) {
  if (x.dim() < 2) return x.unsqueeze(1).expand({x.size(0), 2}).contiguous().select(1, 0);
  return transpose(transpose(x, 0, 1).contiguous(), 0, 1);
}

TEST(IndexSelectRows, MatchesGatherPath) {
  manual_seed(9);
  const std::vector<Shape> shapes{{1}, {5}, {6, 1}, {13, 7}, {3, 4, 5}, {1000, 784}};
  for (Dtype dtype : {Dtype::float32, Dtype::float64, Dtype::int64, Dtype::bool_}) {
    for (const Shape& shape : shapes) {
      Tensor x = (randn(shape) * 5.0).to(dtype);
      const int64_t rows = shape[0];
      for (int64_t count : {int64_t{0}, int64_t{1}, int64_t{3}, rows * 2}) {
        Tensor index = randint(0, rows, {count});
        Tensor strided = strided_copy(x);
        Tensor fast = index_select(x, 0, index);
        Tensor reference = index_select(strided, 0, index);
        EXPECT_TRUE(tensors_close(fast.to(Dtype::float64), reference.to(Dtype::float64), 0, 0))
            << shape_string(shape) << " " << count;
        EXPECT_EQ(fast.shape(), reference.shape());
      }
    }
  }
  // A 0-D index keeps the dim (size 1); a strided index works too.
  Tensor x = randn({4, 3});
  EXPECT_EQ(index_select(x, 0, scalar_tensor(int64_t{2}, Dtype::int64)).shape(), (Shape{1, 3}));
  Tensor idx = tensor({{3, 0}, {1, 2}}, {.dtype = Dtype::int64}).t().reshape({4});
  EXPECT_TRUE(tensors_close(index_select(x, 0, idx), index_select(strided_copy(x), 0, idx), 0, 0));
  // A sliced (offset) but contiguous input.
  Tensor big = randn({6, 3});
  Tensor tail = big.narrow(0, 2, 4);
  ASSERT_TRUE(tail.is_contiguous());
  EXPECT_TRUE(
      tensors_close(index_select(tail, 0, idx), index_select(strided_copy(tail), 0, idx), 0, 0));
  EXPECT_ANY_THROW(index_select(x, 0, tensor({4}, {.dtype = Dtype::int64})));
}

TEST(IndexSelectRows, Gradient) {
  Tensor x = randn({5, 3}, {.dtype = Dtype::float64}).requires_grad_();
  Tensor index = tensor({4, 0, 4, 2}, {.dtype = Dtype::int64});
  auto result = autograd::gradcheck(
      [&](const std::vector<Tensor>& v) { return index_select(v[0], 0, index); }, {x},
      {.check_second_order = true});
  EXPECT_TRUE(result.ok) << result.message;
}

// linear's backward runs on gemm directly unless create_graph is on; then it is built from
// matmul and sum. Both give the same gradients (for every subset of inputs needing one, strided
// inputs, a [batch, seq, in] input, odd sizes, both dtypes).
TEST(LinearBackward, GemmPathMatchesComposite) {
  manual_seed(11);
  struct Case {
    Shape x;
    int64_t out;
  };
  const std::vector<Case> cases{
      {{1, 1}, 1}, {{7, 3}, 5}, {{13, 17}, 11}, {{2, 5, 4}, 3}, {{128, 64}, 33}};
  for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
    const double tol = dtype == Dtype::float32 ? 1e-5 : 1e-12;
    for (const Case& c : cases) {
      for (int variant = 0; variant < 8; ++variant) {
        const int64_t in = c.x.back();
        Tensor x = randn(c.x, {.dtype = dtype});
        Tensor w = randn({c.out, in}, {.dtype = dtype});
        if (variant & 4) w = randn({in, c.out}, {.dtype = dtype}).t();  // strided weight
        Tensor b = randn({c.out}, {.dtype = dtype});
        x.requires_grad_(variant & 1);
        w.requires_grad_(true);
        b.requires_grad_(variant & 2);
        Shape y_shape = c.x;
        y_shape.back() = c.out;
        Tensor dy = randn(y_shape, {.dtype = dtype});
        std::vector<Tensor> wrt{w};
        if (variant & 1) wrt.push_back(x);
        if (variant & 2) wrt.push_back(b);
        std::vector<Tensor> fast = autograd::grad({linear(x, w, b)}, wrt, {dy});
        std::vector<Tensor> composite =
            autograd::grad({linear(x, w, b)}, wrt, {dy}, {.create_graph = true});
        for (size_t i = 0; i < wrt.size(); ++i) {
          EXPECT_TRUE(tensors_close(fast[i], composite[i].detach(), tol, tol))
              << shape_string(c.x) << " variant " << variant << " input " << i;
          EXPECT_EQ(fast[i].shape(), wrt[i].shape());
        }
      }
    }
  }
}

TEST(LinearBackward, SecondOrder) {
  manual_seed(12);
  Tensor x = randn({3, 4}, {.dtype = Dtype::float64}).requires_grad_();
  Tensor w = randn({2, 4}, {.dtype = Dtype::float64}).requires_grad_();
  Tensor b = randn({2}, {.dtype = Dtype::float64}).requires_grad_();
  auto result = autograd::gradcheck(
      [](const std::vector<Tensor>& v) { return tanh(linear(v[0], v[1], v[2])); }, {x, w, b},
      {.check_second_order = true});
  EXPECT_TRUE(result.ok) << result.message;
}

}  // namespace
}  // namespace cajal
