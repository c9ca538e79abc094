// Activation functions: PyTorch golden values (forward and gradient, kinks and huge inputs
// included), gradient checks (first and second order), the softmax kernels' strided and parallel
// paths against a plain reference loop, numerical stability, and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::GoldenCase;
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// ---------------------------------------------------------------------------------------------
// Golden values (tools/golden/activation.py). Each case's params name the op and its arguments.

double param_or(const GoldenCase& c, const std::string& key, double fallback) {
  return c.params_json.count(key) ? c.param(key) : fallback;
}

Tensor apply_golden(const GoldenCase& c, const std::vector<Tensor>& v) {
  const std::string op = c.text("op");
  const Tensor& x = v[0];
  if (op == "relu") return relu(x);
  if (op == "relu6") return relu6(x);
  if (op == "leaky_relu") return leaky_relu(x, param_or(c, "negative_slope", 0.01));
  if (op == "prelu") return prelu(x, v[1]);
  if (op == "elu") return elu(x, param_or(c, "alpha", 1.0));
  if (op == "selu") return selu(x);
  if (op == "celu") return celu(x, param_or(c, "alpha", 1.0));
  if (op == "gelu") return gelu(x, c.text("approximate"));
  if (op == "softplus") {
    return softplus(x, param_or(c, "beta", 1.0), param_or(c, "threshold", 20.0));
  }
  if (op == "softsign") return softsign(x);
  if (op == "silu") return silu(x);
  if (op == "mish") return mish(x);
  if (op == "hardtanh") {
    return hardtanh(x, param_or(c, "min_val", -1.0), param_or(c, "max_val", 1.0));
  }
  if (op == "hard_sigmoid") return hard_sigmoid(x);
  if (op == "hard_swish") return hard_swish(x);
  if (op == "log_sigmoid") return log_sigmoid(x);
  if (op == "sigmoid") return sigmoid(x);
  const auto dim = static_cast<int64_t>(param_or(c, "dim", 0));
  if (op == "softmax") return softmax(x, dim);
  if (op == "log_softmax") return log_softmax(x, dim);
  if (op == "softmin") return softmin(x, dim);
  if (op == "maxout") return maxout(x, static_cast<int64_t>(c.param("pieces")), dim);
  ADD_FAILURE() << "golden case " << c.name << " names unknown op " << op;
  return x;
}

TEST(ActivationGolden, EveryCaseMatchesPyTorch) {
  auto cases = testing::load_golden("activation");
  ASSERT_GT(cases.size(), 50u);
  for (const auto& [name, c] : cases) {
    const bool f32 = c.inputs[0].dtype() == Dtype::float32;
    double rtol = f32 ? 1e-5 : 1e-10;
    double atol = f32 ? 1e-6 : 1e-12;
    // PyTorch 1.13's hardsigmoid_backward multiplies by the float constant 1.0f / 6 even for
    // double (0.1666666716...); we use the exact 1/6, a relative difference of 3e-8.
    if (c.text("op") == "hard_sigmoid" && !f32) rtol = 1e-7;
    testing::check_golden(
        c, [&c](const std::vector<Tensor>& v) { return apply_golden(c, v); }, rtol, atol);
  }
}

TEST(ActivationGolden, CoversEveryActivation) {
  auto cases = testing::load_golden("activation");
  std::set<std::string> ops;
  for (const auto& [name, c] : cases) ops.insert(c.text("op"));
  for (const char* op : {"relu",        "relu6",   "leaky_relu",  "prelu",        "elu",
                         "selu",        "celu",    "gelu",        "softplus",     "softsign",
                         "silu",        "mish",    "hardtanh",    "hard_sigmoid", "hard_swish",
                         "log_sigmoid", "softmax", "log_softmax", "softmin",      "maxout"}) {
    EXPECT_TRUE(ops.count(op)) << "no golden case for " << op;
  }
}

// ---------------------------------------------------------------------------------------------
// Gradient checks. The values avoid every kink (0, +-1, +-3, 6, -2, 3) by more than the
// finite-difference step.

Tensor away_from_kinks() {
  return tensor({{-3.7, -2.45, -1.55, -0.62}, {-0.21, 0.17, 0.55, 1.35}, {2.6, 3.4, 5.2, 6.8}},
                {.dtype = float64})
      .requires_grad_();
}

struct Unary {
  std::string name;
  std::function<Tensor(const Tensor&)> fn;
  bool smooth;  // differentiable twice with a non-zero second derivative: check second order
};

std::vector<Unary> unary_ops() {
  return {
      {"relu", [](const Tensor& x) { return relu(x); }, false},
      {"relu6", [](const Tensor& x) { return relu6(x); }, false},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }, false},
      {"leaky_relu(0.3)", [](const Tensor& x) { return leaky_relu(x, 0.3); }, false},
      {"elu", [](const Tensor& x) { return elu(x); }, true},
      {"elu(0.5)", [](const Tensor& x) { return elu(x, 0.5); }, true},
      {"selu", [](const Tensor& x) { return selu(x); }, true},
      {"celu", [](const Tensor& x) { return celu(x); }, true},
      {"celu(2)", [](const Tensor& x) { return celu(x, 2.0); }, true},
      {"gelu", [](const Tensor& x) { return gelu(x); }, true},
      {"gelu(tanh)", [](const Tensor& x) { return gelu(x, "tanh"); }, true},
      {"softplus", [](const Tensor& x) { return softplus(x); }, true},
      {"softplus(2, 5)", [](const Tensor& x) { return softplus(x, 2.0, 5.0); }, true},
      {"softsign", [](const Tensor& x) { return softsign(x); }, true},
      {"silu", [](const Tensor& x) { return silu(x); }, true},
      {"mish", [](const Tensor& x) { return mish(x); }, true},
      {"hardtanh", [](const Tensor& x) { return hardtanh(x); }, false},
      {"hardtanh(-2, 3)", [](const Tensor& x) { return hardtanh(x, -2.0, 3.0); }, false},
      {"hard_sigmoid", [](const Tensor& x) { return hard_sigmoid(x); }, false},
      {"hard_swish", [](const Tensor& x) { return hard_swish(x); }, true},
      {"log_sigmoid", [](const Tensor& x) { return log_sigmoid(x); }, true},
      {"softmax(0)", [](const Tensor& x) { return softmax(x, 0); }, true},
      {"softmax(-1)", [](const Tensor& x) { return softmax(x, -1); }, true},
      {"log_softmax(0)", [](const Tensor& x) { return log_softmax(x, 0); }, true},
      {"log_softmax(1)", [](const Tensor& x) { return log_softmax(x, 1); }, true},
      {"softmin(1)", [](const Tensor& x) { return softmin(x, 1); }, true},
      {"maxout(2, 1)", [](const Tensor& x) { return maxout(x, 2, 1); }, false},
  };
}

TEST(ActivationGradcheck, EveryUnaryOp) {
  for (const Unary& op : unary_ops()) {
    auto r = autograd::gradcheck([&](const auto& v) { return op.fn(v[0]); }, {away_from_kinks()});
    EXPECT_TRUE(r.ok) << op.name << ": " << r.message;
  }
}

TEST(ActivationGradcheck, SecondOrderForSmoothOps) {
  for (const Unary& op : unary_ops()) {
    if (!op.smooth) continue;
    auto r = autograd::gradcheck([&](const auto& v) { return op.fn(v[0]); }, {away_from_kinks()},
                                 {.check_second_order = true});
    EXPECT_TRUE(r.ok) << op.name << ": " << r.message;
  }
}

TEST(ActivationGradcheck, SoftmaxOverEveryDimOf3d) {
  manual_seed(11);
  Tensor x = randn({2, 3, 4}, {.dtype = float64, .requires_grad = true});
  for (int64_t dim : {0, 1, 2, -2}) {
    for (auto* f : {&softmax, &log_softmax, &softmin}) {
      auto r = autograd::gradcheck([&](const auto& v) { return f(v[0], dim); }, {x},
                                   {.check_second_order = true});
      EXPECT_TRUE(r.ok) << "dim " << dim << ": " << r.message;
    }
  }
}

TEST(ActivationGradcheck, PreluInputAndWeight) {
  manual_seed(12);
  Tensor x = (randn({2, 3, 4}, {.dtype = float64}) + 0.0).requires_grad_();
  Tensor channels = tensor({0.1, -0.3, 0.7}, {.dtype = float64}).requires_grad_();
  Tensor one = tensor({0.25}, {.dtype = float64}).requires_grad_();
  auto fn = [](const auto& v) { return prelu(v[0], v[1]); };
  for (const Tensor& w : {channels, one}) {
    // prelu's gradient in x depends on the weight and vice versa: the mixed second derivatives
    // are non-zero.
    auto r = autograd::gradcheck(fn, {x, w}, {.check_second_order = true});
    EXPECT_TRUE(r.ok) << shape_string(w.shape()) << ": " << r.message;
  }
  Tensor x2 = randn({5, 3}, {.dtype = float64, .requires_grad = true});
  auto r = autograd::gradcheck(fn, {x2, channels});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(ActivationGradcheck, MaxoutDims) {
  manual_seed(13);
  // randn values: ties (within the finite-difference step) have probability ~0.
  Tensor x = randn({2, 6, 3}, {.dtype = float64, .requires_grad = true});
  for (auto [pieces, dim] :
       std::vector<std::pair<int64_t, int64_t>>{{3, 1}, {2, 1}, {2, 0}, {3, -1}, {6, 1}, {1, 2}}) {
    auto r = autograd::gradcheck([&](const auto& v) { return maxout(v[0], pieces, dim); }, {x});
    EXPECT_TRUE(r.ok) << "pieces " << pieces << " dim " << dim << ": " << r.message;
  }
}

TEST(ActivationGradcheck, NonContiguousInputs) {
  manual_seed(14);
  Tensor x = randn({5, 4}, {.dtype = float64, .requires_grad = true});
  auto transposed = [](auto f) {
    return [f](const std::vector<Tensor>& v) { return f(v[0].transpose(0, 1)); };
  };
  for (const auto& [name, fn] : std::vector<std::pair<std::string, Fn>>{
           {"softmax", transposed([](const Tensor& t) { return softmax(t, 1); })},
           {"softmax dim 0", transposed([](const Tensor& t) { return softmax(t, 0); })},
           {"log_softmax", transposed([](const Tensor& t) { return log_softmax(t, -1); })},
           {"gelu", transposed([](const Tensor& t) { return gelu(t); })},
           {"maxout", transposed([](const Tensor& t) { return maxout(t, 5, 1); })},
           {"prelu", transposed([](const Tensor& t) {
              return prelu(t, tensor({0.1, 0.2, 0.3, 0.4, 0.5}, {.dtype = float64}));
            })}}) {
    auto r = autograd::gradcheck(fn, {x});
    EXPECT_TRUE(r.ok) << name << ": " << r.message;
  }
}

// ---------------------------------------------------------------------------------------------
// The softmax kernels: non-contiguous input, every dim, sizes big enough to run in parallel,
// against a plain loop in double.

std::vector<double> reference_softmax(const Tensor& x, int64_t dim, bool log) {
  std::vector<double> v = to_vector<double>(x);
  const Shape& s = x.shape();
  int64_t outer = 1, n = s[dim], inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= s[d];
  for (int64_t d = dim + 1; d < static_cast<int64_t>(s.size()); ++d) inner *= s[d];
  std::vector<double> out(v.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t j) { return (o * n + j) * inner + i; };
      double m = -INFINITY, total = 0;
      for (int64_t j = 0; j < n; ++j) m = std::max(m, v[at(j)]);
      for (int64_t j = 0; j < n; ++j) total += std::exp(v[at(j)] - m);
      for (int64_t j = 0; j < n; ++j) {
        out[at(j)] = log ? v[at(j)] - m - std::log(total) : std::exp(v[at(j)] - m) / total;
      }
    }
  }
  return out;
}

TEST(ActivationSoftmax, MatchesReferenceOnBigTensorsEveryDim) {
  manual_seed(21);
  for (Dtype dtype : {float64, float32}) {
    const double tol = dtype == float64 ? 1e-12 : 2e-6;
    Tensor x = randn({64, 40, 33}, {.dtype = dtype}) * 3.0;  // 84480 elements: parallel path
    for (int64_t dim : {0, 1, 2}) {
      for (bool log : {false, true}) {
        Tensor y = log ? log_softmax(x, dim) : softmax(x, dim);
        ASSERT_EQ(y.dtype(), dtype);
        std::vector<double> got = to_vector<double>(y), want = reference_softmax(x, dim, log);
        double worst = 0;
        for (size_t i = 0; i < got.size(); ++i) {
          worst = std::max(worst, std::abs(got[i] - want[i]) / (1 + std::abs(want[i])));
        }
        EXPECT_LT(worst, tol) << dtype << " dim " << dim << (log ? " log_softmax" : " softmax");
      }
    }
  }
}

TEST(ActivationSoftmax, NonContiguousInputMatchesContiguous) {
  manual_seed(22);
  Tensor x = randn({6, 5, 7}, {.dtype = float64});
  Tensor t = x.permute({2, 0, 1});  // [7, 6, 5], not contiguous
  ASSERT_FALSE(t.is_contiguous());
  for (int64_t dim : {0, 1, 2}) {
    EXPECT_TRUE(equal(softmax(t, dim), softmax(t.contiguous(), dim))) << dim;
    EXPECT_TRUE(equal(log_softmax(t, dim), log_softmax(t.contiguous(), dim))) << dim;
  }
  // A strided row (every other element).
  Tensor row = x.slice(2, 0, std::nullopt, 2);
  EXPECT_TRUE(equal(softmax(row, -1), softmax(row.contiguous(), -1)));
}

TEST(ActivationSoftmax, RowsSumToOneAndZeroDim) {
  manual_seed(23);
  Tensor y = softmax(randn({4, 9}), 1);
  EXPECT_TRUE(allclose(sum(y, {1}), ones({4}), 1e-6, 1e-6));
  EXPECT_DOUBLE_EQ(softmax(tensor({3.0}).reshape({}), 0).item(), 1.0);
  EXPECT_DOUBLE_EQ(log_softmax(tensor({3.0}).reshape({}), -1).item(), 0.0);
  // Integer inputs compute in float32 (PyTorch refuses them).
  Tensor yi = softmax(arange(3, {.dtype = int64}), 0);
  EXPECT_EQ(yi.dtype(), float32);
  EXPECT_TRUE(allclose(yi, softmax(arange(3, {.dtype = float32}), 0)));
  // Empty tensors pass through.
  EXPECT_EQ(softmax(zeros({0, 3}), 1).shape(), (Shape{0, 3}));
}

TEST(ActivationMaxout, MatchesReferenceOnBigTensor) {
  manual_seed(24);
  Tensor x = randn({16, 12, 200});  // 38400 elements: parallel path
  Tensor y = maxout(x, 3, 1);
  ASSERT_EQ(y.shape(), (Shape{16, 4, 200}));
  std::vector<float> v = to_vector<float>(x), got = to_vector<float>(y);
  for (int64_t o = 0; o < 16; ++o) {
    for (int64_t c = 0; c < 4; ++c) {
      for (int64_t i = 0; i < 200; ++i) {
        float best = -INFINITY;
        for (int64_t k = 0; k < 3; ++k) best = std::max(best, v[(o * 12 + c * 3 + k) * 200 + i]);
        ASSERT_EQ(got[(o * 4 + c) * 200 + i], best) << o << " " << c << " " << i;
      }
    }
  }
}

TEST(ActivationMaxout, TiesSendGradientToFirstMaximum) {
  Tensor x = tensor({{1.0, 1.0, 0.5, 2.0, -1.0, 2.0}}, {.dtype = float64}).requires_grad_();
  Tensor y = maxout(x, 3, 1);  // groups {1, 1, 0.5} and {2, -1, 2}
  EXPECT_EQ(to_vector<double>(y), (std::vector<double>{1.0, 2.0}));
  y.backward(tensor({{10.0, 20.0}}, {.dtype = float64}));
  EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{10, 0, 0, 20, 0, 0}));
}

// ---------------------------------------------------------------------------------------------
// PyTorch's conventions at the kinks, spelled out (the golden files check them too).

std::vector<double> grad_at(const std::function<Tensor(const Tensor&)>& f,
                            std::initializer_list<double> points) {
  Tensor x = tensor(points, {.dtype = float64}).requires_grad_();
  sum(f(x)).backward();
  return to_vector<double>(x.grad());
}

TEST(ActivationKinks, GradientConventions) {
  EXPECT_EQ(grad_at([](const Tensor& x) { return relu(x); }, {0.0}), std::vector<double>{0.0});
  EXPECT_EQ(grad_at([](const Tensor& x) { return relu6(x); }, {0.0, 6.0, 3.0}),
            (std::vector<double>{0.0, 0.0, 1.0}));
  EXPECT_EQ(grad_at([](const Tensor& x) { return hardtanh(x); }, {-1.0, 1.0, 0.0}),
            (std::vector<double>{0.0, 0.0, 1.0}));
  EXPECT_EQ(grad_at([](const Tensor& x) { return leaky_relu(x, 0.2); }, {0.0}),
            std::vector<double>{0.2});
  EXPECT_EQ(grad_at([](const Tensor& x) { return elu(x, 0.5); }, {0.0}), std::vector<double>{0.5});
  EXPECT_EQ(grad_at([](const Tensor& x) { return celu(x, 2.0); }, {0.0}), std::vector<double>{1.0});
  EXPECT_EQ(grad_at([](const Tensor& x) { return hard_sigmoid(x); }, {-3.0, 3.0}),
            (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(grad_at([](const Tensor& x) { return hard_swish(x); }, {-3.0, 3.0}),
            (std::vector<double>{-0.5, 1.5}));
  EXPECT_EQ(grad_at([](const Tensor& x) { return softsign(x); }, {0.0}), std::vector<double>{1.0});
}

TEST(ActivationDtypes, IntegerAndFloat32) {
  Tensor r = relu(tensor({-2, 0, 3}, {.dtype = int64}));
  EXPECT_EQ(r.dtype(), int64);  // as PyTorch
  EXPECT_EQ(to_vector<int64_t>(r), (std::vector<int64_t>{0, 0, 3}));
  EXPECT_EQ(gelu(tensor({1, 2}, {.dtype = int64})).dtype(), float32);
  EXPECT_EQ(silu(tensor({1.0f})).dtype(), float32);
  EXPECT_EQ(prelu(tensor({-1.0}, {.dtype = float64}), tensor({0.5})).dtype(), float64);
  EXPECT_TRUE(std::isnan(relu(tensor({NAN})).item()));
  EXPECT_TRUE(std::isnan(hardtanh(tensor({NAN})).item()));
}

// ---------------------------------------------------------------------------------------------
// Stability: huge inputs give finite values and gradients in float32 and float64.

bool all_finite(const Tensor& t) {
  for (double v : to_vector<double>(t)) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

TEST(ActivationStability, HugeInputsStayFinite) {
  for (Dtype dtype : {float32, float64}) {
    Tensor x = tensor({{-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0, 500.0},
                       {1000.0, 100.0, 30.0, 0.5, -30.0, -100.0, -1000.0, -500.0}},
                      {.dtype = dtype});
    for (const Unary& op : unary_ops()) {
      Tensor xr = x.clone().requires_grad_();
      Tensor y = op.fn(xr);
      EXPECT_TRUE(all_finite(y)) << op.name << " " << dtype << ": " << y;
      sum(y * y).backward();
      EXPECT_TRUE(all_finite(xr.grad())) << op.name << " " << dtype << " gradient: " << xr.grad();
    }
  }
}

TEST(ActivationStability, ExactValuesAtHugeInputs) {
  for (Dtype dtype : {float32, float64}) {
    Tensor ls = log_softmax(tensor({1000.0, -1000.0, 0.0}, {.dtype = dtype}), 0);
    EXPECT_TRUE(allclose(ls, tensor({0.0, -2000.0, -1000.0}, {.dtype = dtype}), 1e-6, 1e-6)) << ls;
    Tensor sm = softmax(tensor({1000.0, 1000.0, -1000.0}, {.dtype = dtype}), 0);
    EXPECT_TRUE(allclose(sm, tensor({0.5, 0.5, 0.0}, {.dtype = dtype}))) << sm;
    Tensor sp = softplus(tensor({1000.0, -1000.0}, {.dtype = dtype}));
    EXPECT_TRUE(allclose(sp, tensor({1000.0, 0.0}, {.dtype = dtype}))) << sp;
    Tensor lsig = log_sigmoid(tensor({1000.0, -1000.0}, {.dtype = dtype}));
    EXPECT_TRUE(allclose(lsig, tensor({0.0, -1000.0}, {.dtype = dtype}))) << lsig;
    Tensor sig = sigmoid(tensor({1000.0, -1000.0}, {.dtype = dtype}));
    EXPECT_TRUE(allclose(sig, tensor({1.0, 0.0}, {.dtype = dtype}))) << sig;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors name the op and the offending value.

TEST(ActivationErrors, Messages) {
  Tensor x = zeros({2, 3});
  EXPECT_THROW_WITH(softmax(x, 2), IndexError, "softmax");
  EXPECT_THROW_WITH(log_softmax(x, -3), IndexError, "log_softmax");
  EXPECT_THROW_WITH(softmin(x, 5), IndexError, "softmin");
  EXPECT_THROW_WITH(prelu(x, zeros({2})), ShapeError, "prelu", "[2]", "[2, 3]", "3 channels");
  EXPECT_THROW_WITH(prelu(x, zeros({3, 1})), ShapeError, "prelu", "[3, 1]");
  EXPECT_THROW_WITH(prelu(zeros({3}), zeros({3})), ShapeError, "prelu");
  EXPECT_THROW_WITH(maxout(zeros({2, 7}), 3), ShapeError, "maxout", "[2, 7]", "7", "pieces 3");
  EXPECT_THROW_WITH(maxout(x, 0), ValueError, "maxout", "pieces", "0");
  EXPECT_THROW_WITH(maxout(x, 1, 2), IndexError, "maxout");
  EXPECT_THROW_WITH(maxout(zeros({}), 1, 0), ShapeError, "maxout", "0-dim");
  EXPECT_THROW_WITH(gelu(x, "fast"), ValueError, "gelu", "\"fast\"", "none", "tanh");
  EXPECT_THROW_WITH(celu(x, 0.0), ValueError, "celu", "alpha");
  EXPECT_THROW_WITH(hardtanh(x, 2.0, 1.0), ValueError, "hardtanh", "min_val", "max_val", "2", "1");
}

}  // namespace
}  // namespace cajal
