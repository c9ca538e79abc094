// Elementwise binary ops: PyTorch golden values, gradient checks (broadcast, non-contiguous,
// second order), type promotion, Tensor's in-place ops, and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>

#include "cajal/cajal.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::GoldenCase;
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// to_vector<bool> is not instantiated by the library; read bools through int64.
std::vector<bool> to_bools(const Tensor& t) {
  std::vector<bool> out;
  for (int64_t v : to_vector<int64_t>(t)) out.push_back(v != 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Golden values (tools/golden/arithmetic.py). Each case name maps to the same computation here.

const std::map<std::string, Fn>& golden_functions() {
  static const std::map<std::string, Fn> fns = [] {
    std::map<std::string, Fn> m;
    for (const char* tag : {"f64", "f32"}) {
      std::string t = tag;
      m["add_broadcast_" + t] = [](const auto& v) { return v[0] + v[1]; };
      m["sub_broadcast_" + t] = [](const auto& v) { return v[0] - v[1]; };
      m["mul_broadcast_" + t] = [](const auto& v) { return v[0] * v[1]; };
      m["div_broadcast_" + t] = [](const auto& v) { return v[0] / v[1]; };
    }
    m["add_alpha"] = [](const auto& v) { return add(v[0], v[1], 2.5); };
    m["sub_alpha"] = [](const auto& v) { return sub(v[0], v[1], -1.5); };
    m["add_0dim"] = [](const auto& v) { return add(v[0], v[1]); };
    m["mul_0dim"] = [](const auto& v) { return mul(v[0], v[1]); };
    m["mul_same"] = [](const auto& v) { return mul(v[0], v[1]); };
    m["mul_self"] = [](const auto& v) { return v[0] * v[0]; };
    m["div_both_broadcast"] = [](const auto& v) { return div(v[0], v[1]); };
    m["add_one_requires_grad"] = [](const auto& v) { return v[0] + v[1]; };
    m["mul_one_requires_grad"] = [](const auto& v) { return v[0] * v[1]; };

    m["add_scalar"] = [](const auto& v) { return v[0] + 2; };
    m["sub_scalar"] = [](const auto& v) { return v[0] - 0.5; };
    m["rsub_scalar"] = [](const auto& v) { return 3 - v[0]; };
    m["mul_scalar"] = [](const auto& v) { return v[0] * -1.5; };
    m["rmul_scalar"] = [](const auto& v) { return 2 * v[0]; };
    m["div_scalar"] = [](const auto& v) { return v[0] / 2.5; };
    m["rdiv_scalar"] = [](const auto& v) { return 2.5 / v[0]; };
    m["add_scalar_f32"] = [](const auto& v) { return v[0] + 0.1; };
    m["neg"] = [](const auto& v) { return -v[0]; };
    m["neg_f32"] = [](const auto& v) { return neg(v[0]); };

    for (const char* tag : {"half", "2", "3", "minus1", "0", "1", "2_5", "minus_half"}) {
      // The exponent's kind matters (int 2 vs real 2.5), so it is rebuilt from its tag.
      std::string t = tag;
      Scalar e = t == "half"     ? Scalar(0.5)
                 : t == "2"      ? Scalar(2)
                 : t == "3"      ? Scalar(3)
                 : t == "minus1" ? Scalar(-1)
                 : t == "0"      ? Scalar(0)
                 : t == "1"      ? Scalar(1)
                 : t == "2_5"    ? Scalar(2.5)
                                 : Scalar(-0.5);
      m["pow_scalar_" + t] = [e](const auto& v) { return pow(v[0], e); };
    }
    m["pow_scalar_2_f32"] = [](const auto& v) { return pow(v[0], 2); };
    m["pow_scalar_half_f32"] = [](const auto& v) { return pow(v[0], 0.5); };
    m["pow_tensor"] = [](const auto& v) { return pow(v[0], v[1]); };
    m["pow_tensor_same"] = [](const auto& v) { return pow(v[0], v[1]); };
    m["pow_tensor_base_only"] = [](const auto& v) { return pow(v[0], v[1]); };
    m["pow_scalar_base"] = [](const auto& v) { return pow(2.5, v[0]); };
    m["pow_scalar_base_half"] = [](const auto& v) { return pow(0.5, v[0]); };

    m["maximum_ties"] = [](const auto& v) { return maximum(v[0], v[1]); };
    m["minimum_ties"] = [](const auto& v) { return minimum(v[0], v[1]); };
    m["maximum_broadcast_ties"] = [](const auto& v) { return maximum(v[0], v[1]); };
    m["minimum_broadcast_ties"] = [](const auto& v) { return minimum(v[0], v[1]); };
    m["maximum_random"] = [](const auto& v) { return maximum(v[0], v[1]); };
    m["minimum_random_f32"] = [](const auto& v) { return minimum(v[0], v[1]); };

    m["clamp_both"] = [](const auto& v) { return clamp(v[0], -1.0, 1.0); };
    m["clamp_min"] = [](const auto& v) { return clamp(v[0], -0.5, std::nullopt); };
    m["clamp_max"] = [](const auto& v) { return clamp(v[0], std::nullopt, 0.5); };
    m["clamp_min_fn"] = [](const auto& v) { return clamp_min(v[0], 0.0); };
    m["clamp_max_fn"] = [](const auto& v) { return clamp_max(v[0], 1.5); };
    m["clamp_random_f32"] = [](const auto& v) { return clamp(v[0], -0.3, 0.7); };
    m["clamp_inverted"] = [](const auto& v) { return clamp(v[0], 1.0, -1.0); };

    m["where_broadcast"] = [](const auto& v) { return where(v[0], v[1], v[2]); };
    m["where_same"] = [](const auto& v) { return where(v[0], v[1], v[2]); };
    m["where_scalar_other"] = [](const auto& v) { return where(v[0], v[1], 0.5); };
    m["where_scalar_self"] = [](const auto& v) { return where(v[0], -1.0, v[1]); };

    m["composite"] = [](const auto& v) {
      const Tensor &x = v[0], &y = v[1];
      return pow(x * y + x / (y * y + 1) - 2 * x, 2);
    };
    return m;
  }();
  return fns;
}

// Runs one golden case; also checks the output dtype (tensors_close compares values only).
void check_case(const GoldenCase& c, const Fn& fn) {
  Dtype expected = c.outputs.at(0).dtype();
  bool f32 = expected == Dtype::float32;
  Dtype got = expected;
  testing::check_golden(
      c,
      [&](const std::vector<Tensor>& v) {
        Tensor y = fn(v);
        got = y.dtype();
        return y;
      },
      f32 ? 1e-5 : 1e-10, f32 ? 1e-6 : 1e-12);
  EXPECT_EQ(got, expected) << c.name;
}

TEST(ArithmeticGolden, EveryCaseHasAFunctionAndViceVersa) {
  auto cases = testing::load_golden("arithmetic");
  for (const auto& [name, c] : cases) EXPECT_TRUE(golden_functions().count(name)) << name;
  for (const auto& [name, fn] : golden_functions()) EXPECT_TRUE(cases.count(name)) << name;
}

TEST(ArithmeticGolden, MatchesPyTorch) {
  for (const auto& [name, c] : testing::load_golden("arithmetic")) {
    auto it = golden_functions().find(name);
    if (it != golden_functions().end()) check_case(c, it->second);
  }
}

// Ties: PyTorch splits the gradient evenly; spelled out so the convention is visible here.
TEST(Arithmetic, MinimumMaximumSplitTheGradientOnTies) {
  Tensor a = tensor({1, 2, 3}, {.dtype = float64, .requires_grad = true});
  Tensor b = tensor({1, 3, 2}, {.dtype = float64, .requires_grad = true});
  sum(maximum(a, b)).backward();
  EXPECT_EQ(to_vector<double>(a.grad()), (std::vector<double>{0.5, 0, 1}));
  EXPECT_EQ(to_vector<double>(b.grad()), (std::vector<double>{0.5, 1, 0}));
  a.set_grad(Tensor());
  b.set_grad(Tensor());
  sum(minimum(a, b)).backward();
  EXPECT_EQ(to_vector<double>(a.grad()), (std::vector<double>{0.5, 1, 0}));
  EXPECT_EQ(to_vector<double>(b.grad()), (std::vector<double>{0.5, 0, 1}));
}

TEST(Arithmetic, MinimumMaximumPropagateNan) {
  Tensor a = tensor({NAN, 1, 2});
  Tensor b = tensor({0, NAN, 1});
  std::vector<float> mx = to_vector<float>(maximum(a, b));
  std::vector<float> mn = to_vector<float>(minimum(a, b));
  EXPECT_TRUE(std::isnan(mx[0]) && std::isnan(mx[1]));
  EXPECT_TRUE(std::isnan(mn[0]) && std::isnan(mn[1]));
  EXPECT_EQ(mx[2], 2);
  EXPECT_EQ(mn[2], 1);
}

// PyTorch passes the gradient where x equals a bound (min <= x <= max, inclusive).
TEST(Arithmetic, ClampPassesTheGradientAtTheBounds) {
  Tensor x = tensor({-2, -1, 0, 1, 2}, {.dtype = float64, .requires_grad = true});
  sum(clamp(x, -1.0, 1.0)).backward();
  EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{0, 1, 1, 1, 0}));
}

TEST(Arithmetic, ClampKeepsNanAndNeedsABound) {
  std::vector<float> y = to_vector<float>(clamp(tensor({NAN, 5}), 0.0, 1.0));
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 1);
  EXPECT_THROW_WITH(clamp(tensor({1}), std::nullopt, std::nullopt), ValueError, "clamp");
}

TEST(Arithmetic, ClampOfIntegerTensor) {
  Tensor x = tensor({-5, 0, 7}, {.dtype = int64});
  Tensor y = clamp(x, 0, 3);
  EXPECT_EQ(y.dtype(), int64);
  EXPECT_EQ(to_vector<int64_t>(y), (std::vector<int64_t>{0, 0, 3}));
  EXPECT_EQ(clamp(x, 0.5, std::nullopt).dtype(), float32);  // a real bound promotes, like PyTorch
}

TEST(Arithmetic, PowOfIntegers) {
  Tensor x = tensor({-2, 0, 3}, {.dtype = int64});
  Tensor y = pow(x, 3);
  EXPECT_EQ(y.dtype(), int64);
  EXPECT_EQ(to_vector<int64_t>(y), (std::vector<int64_t>{-8, 0, 27}));
  EXPECT_EQ(pow(x, 0.5).dtype(), float32);
  EXPECT_THROW_WITH(pow(x, -1), ValueError, "pow", "negative");
  // tensor ^ tensor and scalar ^ tensor stay integral for integer inputs, as in PyTorch.
  Tensor e = tensor({2, 3, 0}, {.dtype = int64});
  Tensor z = pow(x, e);
  EXPECT_EQ(z.dtype(), int64);
  EXPECT_EQ(to_vector<int64_t>(z), (std::vector<int64_t>{4, 0, 1}));
  Tensor s = pow(2, e);
  EXPECT_EQ(s.dtype(), int64);
  EXPECT_EQ(to_vector<int64_t>(s), (std::vector<int64_t>{4, 8, 1}));
  EXPECT_EQ(pow(2.5, e).dtype(), float32);
  EXPECT_THROW_WITH(pow(x, tensor({1, -1, 2}, {.dtype = int64})), ValueError, "pow", "negative");
}

TEST(Arithmetic, PowTensorExponentGradientAtZeroBase) {
  // d/de 0^e is taken as 0 (the limit for e > 0), as PyTorch does, rather than 0 * -inf = nan.
  Tensor base = tensor({0, 2}, {.dtype = float64});
  Tensor e = tensor({2, 2}, {.dtype = float64, .requires_grad = true});
  sum(pow(base, e)).backward();
  std::vector<double> g = to_vector<double>(e.grad());
  EXPECT_EQ(g[0], 0);
  EXPECT_NEAR(g[1], 4 * std::log(2.0), 1e-12);
}

TEST(Arithmetic, ComparisonsAndLogicalOps) {
  Tensor a = tensor({1, 2, 3});
  Tensor b = tensor({3, 2, 1});
  auto bools = [](const Tensor& t) {
    EXPECT_EQ(t.dtype(), bool_);
    return to_bools(t);
  };
  EXPECT_EQ(bools(a == b), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(bools(a != b), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(bools(a < b), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(bools(a <= b), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(bools(a > b), (std::vector<bool>{false, false, true}));
  EXPECT_EQ(bools(a >= b), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(bools(a > 1.5), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(bools(a == 2), (std::vector<bool>{false, true, false}));
  // int64 compared with a real scalar compares as reals.
  EXPECT_EQ(bools(tensor({1, 2}, {.dtype = int64}) < 1.5), (std::vector<bool>{true, false}));
  // Broadcasting.
  Tensor c = tensor({1, 2}).reshape({2, 1});
  EXPECT_EQ((c < a).shape(), (Shape{2, 3}));
  EXPECT_EQ(bools(logical_not(a > 1.5)), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(bools(logical_and(a > 1.5, b > 1.5)), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(bools(logical_or(a > 2.5, b > 2.5)), (std::vector<bool>{true, false, true}));
  Tensor special = tensor({NAN, INFINITY, -INFINITY, 1});
  EXPECT_EQ(bools(isnan(special)), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(bools(isinf(special)), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(bools(isfinite(special)), (std::vector<bool>{false, false, false, true}));
  // Comparisons are not differentiable: their result never requires grad.
  Tensor x = tensor({1, 2}, {.requires_grad = true});
  EXPECT_FALSE((x > 1.5).requires_grad());
}

TEST(Arithmetic, AllcloseAndEqual) {
  Tensor a = tensor({1, 2, 3});
  EXPECT_TRUE(allclose(a, tensor({1, 2, 3.00001f})));
  EXPECT_FALSE(allclose(a, tensor({1, 2, 3.1})));
  EXPECT_FALSE(allclose(a, tensor({1, 2})));
  EXPECT_FALSE(allclose(tensor({NAN}), tensor({NAN})));
  EXPECT_TRUE(allclose(tensor({INFINITY}), tensor({INFINITY})));
  EXPECT_TRUE(allclose(a.t(), a));  // works on any strides
  EXPECT_TRUE(equal(a, tensor({1, 2, 3})));
  EXPECT_FALSE(equal(a, tensor({1, 2, 3}, {.dtype = float64})));  // dtype differs
  EXPECT_FALSE(equal(a, tensor({1, 2, 4})));
  Tensor m = tensor({{1, 2}, {3, 4}});
  EXPECT_TRUE(equal(m.t(), tensor({{1, 3}, {2, 4}})));
}

// ---------------------------------------------------------------------------------------------
// Gradient checks (float64).

void expect_gradcheck(const Fn& fn, const std::vector<Tensor>& inputs, bool second_order = false) {
  autograd::GradcheckOptions options;
  options.check_second_order = second_order;
  auto result = autograd::gradcheck(fn, inputs, options);
  EXPECT_TRUE(result.ok) << result.message;
}

Tensor param(const Shape& shape, double low = -1, double high = 1) {
  Tensor t = rand(shape, {.dtype = float64}) * (high - low) + low;
  return t.detach().requires_grad_(true);
}

// Operands of shape [3, 4] that are not contiguous: transposed, sliced with a step, expanded.
Tensor transposed(const Tensor& leaf_4x3) { return leaf_4x3.t(); }
Tensor stepped(const Tensor& leaf_3x8) { return leaf_3x8.slice(1, 0, std::nullopt, 2); }
Tensor expanded(const Tensor& leaf_1x4) { return leaf_1x4.expand({3, 4}); }

struct BinaryOp {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&)> fn;
  bool positive_b;  // b must stay away from 0 (division, pow base)
  bool positive_a;
};

std::vector<BinaryOp> binary_ops() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }, false, false},
      {"add_alpha", [](const Tensor& a, const Tensor& b) { return add(a, b, -0.75); }, false,
       false},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }, false, false},
      {"sub_alpha", [](const Tensor& a, const Tensor& b) { return sub(a, b, 3); }, false, false},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }, false, false},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }, true, false},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, false, true},
      // Random floats never tie, so minimum/maximum are differentiable here.
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, false, false},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, false, false},
      {"where",
       [](const Tensor& a, const Tensor& b) {
         Tensor c = tensor({{1, 0, 0, 1}, {0, 1, 1, 0}, {1, 1, 0, 0}}).to(bool_);
         return where(c, a, b);
       },
       false, false},
  };
}

TEST(ArithmeticGradcheck, Broadcasting) {
  manual_seed(1);
  for (const auto& op : binary_ops()) {
    SCOPED_TRACE(op.name);
    // [3, 1, 4] with [2, 1] -> [3, 2, 4], and a 0-dim operand. (where needs its [3, 4] mask.)
    if (std::string(op.name) == "where") {
      expect_gradcheck([&](const auto& v) { return op.fn(v[0], v[1]); },
                       {param({3, 1}), param({4})});
      continue;
    }
    Tensor a = op.positive_a ? param({3, 1, 4}, 0.5, 2) : param({3, 1, 4});
    Tensor b = op.positive_b ? param({2, 1}, 0.5, 2) : param({2, 1});
    expect_gradcheck([&](const auto& v) { return op.fn(v[0], v[1]); }, {a, b});
    Tensor s = op.positive_b ? param({}, 0.5, 2) : param({});
    expect_gradcheck([&](const auto& v) { return op.fn(v[0], v[1]); }, {a, s});
    expect_gradcheck([&](const auto& v) { return op.fn(v[1], v[0]); },
                     {op.positive_b ? param({2, 3}, 0.5, 2) : param({2, 3}),
                      op.positive_a ? param({}, 0.5, 2) : param({})});
  }
}

TEST(ArithmeticGradcheck, NonContiguousOperands) {
  manual_seed(2);
  for (const auto& op : binary_ops()) {
    SCOPED_TRACE(op.name);
    double lo_a = op.positive_a ? 0.5 : -1, hi_a = op.positive_a ? 2 : 1;
    double lo_b = op.positive_b ? 0.5 : -1, hi_b = op.positive_b ? 2 : 1;
    expect_gradcheck([&](const auto& v) { return op.fn(transposed(v[0]), stepped(v[1])); },
                     {param({4, 3}, lo_a, hi_a), param({3, 8}, lo_b, hi_b)});
    expect_gradcheck([&](const auto& v) { return op.fn(stepped(v[0]), expanded(v[1])); },
                     {param({3, 8}, lo_a, hi_a), param({1, 4}, lo_b, hi_b)});
    expect_gradcheck([&](const auto& v) { return op.fn(expanded(v[0]), transposed(v[1])); },
                     {param({1, 4}, lo_a, hi_a), param({4, 3}, lo_b, hi_b)});
  }
}

TEST(ArithmeticGradcheck, ScalarForms) {
  manual_seed(3);
  Tensor x = param({2, 3});
  Tensor p = param({2, 3}, 0.5, 2);
  expect_gradcheck([](const auto& v) { return v[0] + 1.5; }, {x});
  expect_gradcheck([](const auto& v) { return 2 - v[0]; }, {x});
  expect_gradcheck([](const auto& v) { return v[0] * 3; }, {x});
  expect_gradcheck([](const auto& v) { return v[0] / -4.0; }, {x});
  expect_gradcheck([](const auto& v) { return 1.5 / v[0]; }, {p}, /*second_order=*/true);
  expect_gradcheck([](const auto& v) { return -v[0]; }, {x});
  expect_gradcheck([](const auto& v) { return neg(transposed(v[0])); }, {param({4, 3})});
  expect_gradcheck([](const auto& v) { return where(v[0] > 0, v[0], 0.25); }, {x});
  expect_gradcheck([](const auto& v) { return where(v[0] > 0, -2.0, v[0]); }, {x});
}

TEST(ArithmeticGradcheck, Pow) {
  manual_seed(4);
  Tensor x = param({2, 3});
  Tensor p = param({2, 3}, 0.5, 2);
  for (Scalar e : {Scalar(2), Scalar(3), Scalar(1), Scalar(0), Scalar(-1), Scalar(0.5),
                   Scalar(-0.5), Scalar(2.5)}) {
    SCOPED_TRACE(e.to_double());
    bool needs_positive = e.to_double() != std::floor(e.to_double()) || e.to_double() < 0;
    Tensor base = needs_positive ? p : x;
    expect_gradcheck([e](const auto& v) { return pow(v[0], e); }, {base},
                     /*second_order=*/e.to_double() != 0 && e.to_double() != 1);
    expect_gradcheck([e](const auto& v) { return pow(stepped(v[0]), e); },
                     {needs_positive ? param({3, 8}, 0.5, 2) : param({3, 8})});
  }
  expect_gradcheck([](const auto& v) { return pow(2.5, v[0]); }, {x}, true);
  expect_gradcheck([](const auto& v) { return pow(0.5, transposed(v[0])); }, {param({4, 3})});
  expect_gradcheck([](const auto& v) { return pow(v[0], v[1]); }, {p, x}, true);
  expect_gradcheck([](const auto& v) { return pow(v[0], v[1]); },
                   {param({3, 1, 2}, 0.5, 2), param({2, 1})}, true);
}

TEST(ArithmeticGradcheck, Clamp) {
  manual_seed(5);
  // Random values never land on a bound (where the derivative jumps).
  Tensor x = param({3, 5}, -2, 2);
  expect_gradcheck([](const auto& v) { return clamp(v[0], -0.5, 0.75); }, {x});
  expect_gradcheck([](const auto& v) { return clamp_min(v[0], 0.1); }, {x});
  expect_gradcheck([](const auto& v) { return clamp_max(v[0], -0.2); }, {x});
  expect_gradcheck([](const auto& v) { return clamp(transposed(v[0]), -0.5, 0.5); },
                   {param({4, 3}, -2, 2)});
  // The clamped values feed a nonlinearity so the second-order check has something to see.
  expect_gradcheck([](const auto& v) { return pow(clamp(v[0], -0.5, 0.75), 3); }, {x}, true);
}

TEST(ArithmeticGradcheck, SecondOrder) {
  manual_seed(6);
  Tensor a = param({3, 1, 4});
  Tensor b = param({2, 1}, 0.5, 2);
  expect_gradcheck([](const auto& v) { return mul(v[0], v[1]); }, {a, b}, true);
  expect_gradcheck([](const auto& v) { return div(v[0], v[1]); }, {a, b}, true);
  expect_gradcheck([](const auto& v) { return div(v[1], v[0] * v[0] + 1); }, {a, b}, true);
  expect_gradcheck([](const auto& v) { return mul(transposed(v[0]), stepped(v[1])); },
                   {param({4, 3}), param({3, 8})}, true);
  Tensor c = tensor({{1, 0, 0, 1}, {0, 1, 1, 0}}).to(bool_);
  expect_gradcheck([c](const auto& v) { return where(c, v[0] * v[0], v[1] * v[0]); },
                   {param({2, 4}), param({4})}, true);
  expect_gradcheck([](const auto& v) { return pow(maximum(v[0], v[1]), 2); },
                   {param({2, 3}), param({3})}, true);
}

// The gradient of an input used twice accumulates both paths.
TEST(ArithmeticGradcheck, SharedInputs) {
  manual_seed(7);
  expect_gradcheck([](const auto& v) { return v[0] * v[0] - v[0] / (v[0] * v[0] + 1); },
                   {param({5})}, true);
  expect_gradcheck([](const auto& v) { return add(v[0], v[0].t(), 0.5) * v[0]; }, {param({3, 3})},
                   true);
}

// ---------------------------------------------------------------------------------------------
// Type promotion.

TEST(ArithmeticPromotion, TensorTensor) {
  Tensor i = tensor({1, 2, 3}, {.dtype = int64});
  Tensor f = tensor({0.5, 0.5, 0.5});
  Tensor d = tensor({0.5, 0.5, 0.5}, {.dtype = float64});
  Tensor b = tensor({1, 0, 1}, {.dtype = bool_});
  Tensor u = tensor({1, 2, 3}, {.dtype = uint8});
  EXPECT_EQ((i + f).dtype(), float32);
  EXPECT_EQ(to_vector<float>(i + f), (std::vector<float>{1.5, 2.5, 3.5}));
  EXPECT_EQ((f + d).dtype(), float64);
  EXPECT_EQ((i * b).dtype(), int64);
  EXPECT_EQ((u + i).dtype(), int64);
  EXPECT_EQ((u * b).dtype(), uint8);
  EXPECT_EQ((b + d).dtype(), float64);
  // bool + bool stays bool (logical or, as in PyTorch).
  Tensor bb = b + tensor({0, 0, 1}, {.dtype = bool_});
  EXPECT_EQ(bb.dtype(), bool_);
  EXPECT_EQ(to_bools(bb), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(to_bools(b * tensor({1, 1, 0}, {.dtype = bool_})),
            (std::vector<bool>{true, false, false}));
  // Integer division is true division: float32.
  Tensor q = tensor({1, 2, 7}, {.dtype = int64}) / tensor({2, 2, 2}, {.dtype = int64});
  EXPECT_EQ(q.dtype(), float32);
  EXPECT_EQ(to_vector<float>(q), (std::vector<float>{0.5, 1, 3.5}));
  EXPECT_EQ((b / b).dtype(), float32);
  // uint8 wraps like PyTorch's.
  EXPECT_EQ(to_vector<int64_t>(tensor({250}, {.dtype = uint8}) + tensor({10}, {.dtype = uint8})),
            (std::vector<int64_t>{4}));
  // Comparisons give bool whatever the operands.
  EXPECT_EQ((i < f).dtype(), bool_);
  EXPECT_EQ((i == i).dtype(), bool_);
  EXPECT_EQ((b == b).dtype(), bool_);
}

TEST(ArithmeticPromotion, TensorScalar) {
  Tensor i = tensor({1, 2, 3}, {.dtype = int64});
  Tensor f = tensor({1, 2, 3});
  Tensor b = tensor({1, 0}, {.dtype = bool_});
  // An integer scalar keeps an integer tensor's dtype; a real one makes it float32.
  EXPECT_EQ((i + 1).dtype(), int64);
  EXPECT_EQ(to_vector<int64_t>(i + 1), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ((i * 2).dtype(), int64);
  EXPECT_EQ((i + 0.5).dtype(), float32);
  EXPECT_EQ(to_vector<float>(i + 0.5), (std::vector<float>{1.5, 2.5, 3.5}));
  EXPECT_EQ((i / 2).dtype(), float32);
  EXPECT_EQ(to_vector<float>(i / 2), (std::vector<float>{0.5, 1, 1.5}));
  EXPECT_EQ((2 / i).dtype(), float32);
  // A scalar never widens a float tensor's precision: float32 * (double) 0.1 stays float32.
  EXPECT_EQ((f * 0.1).dtype(), float32);
  EXPECT_EQ((tensor({1}, {.dtype = float64}) * 2).dtype(), float64);
  // Scalars widen bool's category.
  EXPECT_EQ((b + 1).dtype(), int64);
  EXPECT_EQ((b * 0.5).dtype(), float32);
  EXPECT_EQ((b + true).dtype(), bool_);
}

// As PyTorch: a 0-dim tensor raises the category (bool < integer < floating) of a tensor with dims
// but not its precision within the category (values checked against torch 1.13).
TEST(ArithmeticPromotion, ZeroDimTensorsRaiseTheCategoryOnly) {
  Tensor f = tensor({1, 2, 3});
  Tensor d0 = full({}, 2.0, {.dtype = float64});
  Tensor y = f * d0;
  EXPECT_EQ(y.dtype(), float32);
  EXPECT_EQ(to_vector<double>(y), (std::vector<double>{2, 4, 6}));
  EXPECT_EQ((tensor({1, 2}, {.dtype = int64}) * d0).dtype(), float64);
  EXPECT_EQ((tensor({1, 0}, {.dtype = bool_}) + full({}, 3, {.dtype = int64})).dtype(), int64);
  EXPECT_EQ((tensor({1, 2}, {.dtype = uint8}) + full({}, 300, {.dtype = int64})).dtype(), uint8);
  EXPECT_EQ((d0 * full({}, 2.0)).dtype(), float64);  // both 0-dim: ordinary promotion
  EXPECT_EQ(where(tensor({1}, {.dtype = bool_}), tensor({1}), d0).dtype(), float32);
  // The gradient still comes back in each input's own dtype.
  Tensor x = tensor({1, 2, 3}, {.requires_grad = true});
  Tensor s = full({}, 2.0, {.dtype = float64, .requires_grad = true});
  sum(x * s).backward();
  EXPECT_EQ(x.grad().dtype(), float32);
  EXPECT_EQ(s.grad().dtype(), float64);
  EXPECT_EQ(to_vector<float>(x.grad()), (std::vector<float>{2, 2, 2}));
  EXPECT_EQ(s.grad().item(), 6);
}

TEST(ArithmeticPromotion, MixedDtypeGradients) {
  // float32 + float64: the float32 input's gradient is float32.
  Tensor a = tensor({1, 2}, {.requires_grad = true});
  Tensor b = tensor({3, 4}, {.dtype = float64, .requires_grad = true});
  Tensor y = a * b;
  EXPECT_EQ(y.dtype(), float64);
  sum(y).backward();
  EXPECT_EQ(a.grad().dtype(), float32);
  EXPECT_EQ(to_vector<float>(a.grad()), (std::vector<float>{3, 4}));
  EXPECT_EQ(to_vector<double>(b.grad()), (std::vector<double>{1, 2}));
  // An integer operand gets no gradient and does not stop the float one's.
  Tensor x = tensor({1, 2}, {.requires_grad = true});
  Tensor k = tensor({3, 5}, {.dtype = int64});
  sum(x * k + k).backward();
  EXPECT_EQ(to_vector<float>(x.grad()), (std::vector<float>{3, 5}));
}

// ---------------------------------------------------------------------------------------------
// Results are correct for any operand layout, and integer arithmetic is exact.

TEST(Arithmetic, NonContiguousForward) {
  Tensor m = arange(12, {.dtype = float64}).reshape({3, 4});
  Tensor y = m.t() * 2 + m.t().slice(0, 0, std::nullopt, 1);
  Tensor expected = empty({4, 3}, float64);
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 3; ++c) expected.at<double>({r, c}) = 3.0 * (c * 4 + r);
  EXPECT_TRUE(testing::tensors_close(y, expected, 0, 0));
  Tensor s = m.slice(1, 1, std::nullopt, 2) - m.select(1, 0).unsqueeze(1);  // [3, 2] - [3, 1]
  EXPECT_EQ(to_vector<double>(s), (std::vector<double>{1, 3, 1, 3, 1, 3}));
  Tensor e = m.select(0, 1).expand({2, 4}) * m.slice(0, 0, 2);
  EXPECT_EQ(to_vector<double>(e), (std::vector<double>{0, 5, 12, 21, 16, 25, 36, 49}));
}

TEST(Arithmetic, IntegerArithmeticIsExact) {
  int64_t big = (int64_t{1} << 53) + 1;  // not representable in double
  Tensor i = full({2}, big, {.dtype = int64});
  EXPECT_EQ(to_vector<int64_t>(i + 1), (std::vector<int64_t>{big + 1, big + 1}));
  EXPECT_EQ(to_vector<int64_t>(i - i), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(to_vector<int64_t>(add(i, i, 2)), (std::vector<int64_t>{3 * big, 3 * big}));
  EXPECT_EQ(to_vector<int64_t>(-i), (std::vector<int64_t>{-big, -big}));
}

TEST(Arithmetic, ScalarTensorHasTheRequestedDtype) {
  Tensor t = scalar_tensor(2.5, float64);
  EXPECT_EQ(t.dim(), 0);
  EXPECT_EQ(t.dtype(), float64);
  EXPECT_EQ(t.item(), 2.5);
  EXPECT_EQ(scalar_tensor(3, int64).item<int64_t>(), 3);
  EXPECT_EQ(scalar_tensor(0.5, bool_).item<bool>(), true);
}

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(ArithmeticErrors, BroadcastMismatchNamesTheOpAndBothShapes) {
  Tensor a = zeros({2, 3});
  Tensor b = zeros({4});
  EXPECT_THROW_WITH(add(a, b), ShapeError, "add", "[2, 3]", "[4]");
  EXPECT_THROW_WITH(sub(a, b), ShapeError, "sub", "[2, 3]", "[4]");
  EXPECT_THROW_WITH(a * b, ShapeError, "mul", "[2, 3]", "[4]");
  EXPECT_THROW_WITH(a / b, ShapeError, "div", "[2, 3]", "[4]");
  EXPECT_THROW_WITH(pow(a, b), ShapeError, "pow", "[2, 3]", "[4]");
  EXPECT_THROW_WITH(maximum(a, b), ShapeError, "maximum", "[2, 3]", "[4]");
  EXPECT_THROW_WITH(minimum(a, b), ShapeError, "minimum", "[2, 3]", "[4]");
  EXPECT_THROW_WITH(a < b, ShapeError, "lt", "[2, 3]", "[4]");
  EXPECT_THROW_WITH(eq(a, b), ShapeError, "eq", "[2, 3]", "[4]");
  EXPECT_THROW_WITH(where(a > 0, a, b), ShapeError, "where", "[4]");
  EXPECT_THROW_WITH(where(b > 0, a, a), ShapeError, "where", "[2, 3]", "[4]");
}

TEST(ArithmeticErrors, BadDtypes) {
  Tensor b = tensor({1, 0}, {.dtype = bool_});
  EXPECT_THROW_WITH(neg(b), ValueError, "neg", "bool");
  EXPECT_THROW_WITH(-b, ValueError, "neg");
  EXPECT_THROW_WITH(sub(b, b), ValueError, "sub", "bool");
  Tensor x = tensor({1, 2});
  EXPECT_THROW_WITH(where(x, x, x), ValueError, "where", "bool", "float32");
  EXPECT_THROW_WITH(where(tensor({1, 0}, {.dtype = int64}), x, 0.0), ValueError, "where", "int64");
  // alpha must be integral for integer tensors (it would be silently truncated otherwise).
  Tensor i = tensor({1, 2}, {.dtype = int64});
  EXPECT_THROW_WITH(add(i, i, 0.5), ValueError, "add", "alpha");
  EXPECT_THROW_WITH(sub(i, i, 1.5), ValueError, "sub", "alpha");
}

TEST(ArithmeticErrors, UndefinedTensor) {
  EXPECT_THROW(add(Tensor(), zeros({1})), ValueError);
  EXPECT_THROW(exp(Tensor()), ValueError);
}

// ---------------------------------------------------------------------------------------------
// Tensor's in-place ops (src/core/tensor.cpp).

TEST(InPlace, UpdatesValuesAndReturnsSelf) {
  Tensor x = tensor({1, 2, 3});
  Tensor& r = x.add_(tensor({1, 1, 1}));
  EXPECT_TRUE(r.is_same(x));
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{2, 3, 4}));
  x.add_(tensor({1, 2, 3}), 2);
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{4, 7, 10}));
  x.sub_(tensor({1, 1, 1}), 3);
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{1, 4, 7}));
  x.sub_(tensor({1, 1, 1}));
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{0, 3, 6}));
  x.mul_(tensor({2, 2, 0.5}));
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{0, 6, 3}));
  x.mul_(2);
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{0, 12, 6}));
  x.div_(tensor({1, 4, 2}));
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{0, 3, 3}));
  x.div_(2);
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{0, 1.5, 1.5}));
  x.clamp_(0.5, 1.0);
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{0.5, 1, 1}));
  x.clamp_(std::nullopt, 0.75);
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{0.5, 0.75, 0.75}));
  x.clamp_(0.6, std::nullopt);
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{0.6f, 0.75, 0.75}));
  x.fill_(7);
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{7, 7, 7}));
  x.zero_();
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{0, 0, 0}));
  x.copy_(tensor({4, 5, 6}, {.dtype = float64}));  // converts
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(x.dtype(), float32);
}

TEST(InPlace, BroadcastsTheOtherOperand) {
  Tensor x = zeros({2, 3});
  x.add_(tensor({1, 2, 3}));
  x.mul_(tensor({1, 2}).reshape({2, 1}));
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{1, 2, 3, 2, 4, 6}));
  x.copy_(full({}, 5.0));
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{5, 5, 5, 5, 5, 5}));
}

TEST(InPlace, WritesThroughViews) {
  Tensor base = zeros({3, 4});
  base.t().select(0, 1).fill_(1);  // column 1
  base.slice(1, 2, std::nullopt).add_(tensor({2, 3}));
  base.select(0, 2).mul_(10);
  EXPECT_EQ(to_vector<float>(base), (std::vector<float>{0, 1, 2, 3, 0, 1, 2, 3, 0, 10, 20, 30}));
  Tensor stepped = zeros({6});
  stepped.slice(0, 1, std::nullopt, 2).copy_(tensor({1, 2, 3}));
  EXPECT_EQ(to_vector<float>(stepped), (std::vector<float>{0, 1, 0, 2, 0, 3}));
}

TEST(InPlace, IntegerTensors) {
  Tensor i = tensor({1, 2, 3}, {.dtype = int64});
  i.add_(tensor({1, 1, 1}, {.dtype = int64}), 2);
  EXPECT_EQ(to_vector<int64_t>(i), (std::vector<int64_t>{3, 4, 5}));
  i.mul_(3);
  EXPECT_EQ(to_vector<int64_t>(i), (std::vector<int64_t>{9, 12, 15}));
  i.clamp_(10, 13);
  EXPECT_EQ(to_vector<int64_t>(i), (std::vector<int64_t>{10, 12, 13}));
}

TEST(InPlace, RefusedOnATensorThatRequiresGradUnderGradMode) {
  Tensor w = tensor({1, 2}, {.requires_grad = true});
  EXPECT_THROW_WITH(w.add_(tensor({1, 1})), ValueError, "add_", "requires grad");
  EXPECT_THROW_WITH(w.sub_(tensor({1, 1})), ValueError, "sub_");
  EXPECT_THROW_WITH(w.mul_(tensor({1, 1})), ValueError, "mul_");
  EXPECT_THROW_WITH(w.mul_(2), ValueError, "mul_");
  EXPECT_THROW_WITH(w.div_(tensor({1, 1})), ValueError, "div_");
  EXPECT_THROW_WITH(w.div_(2), ValueError, "div_");
  EXPECT_THROW_WITH(w.fill_(0), ValueError, "fill_");
  EXPECT_THROW_WITH(w.zero_(), ValueError, "requires grad");
  EXPECT_THROW_WITH(w.copy_(tensor({0, 0})), ValueError, "copy_");
  EXPECT_THROW_WITH(w.clamp_(0, 1), ValueError, "clamp_");
  EXPECT_EQ(to_vector<float>(w), (std::vector<float>{1, 2}));  // untouched
  // A non-leaf result that requires grad is refused too.
  Tensor y = w * 2;
  EXPECT_THROW(y.add_(tensor({1, 1})), ValueError);
  // Allowed under no_grad (the optimizer's update).
  {
    no_grad guard;
    w.sub_(tensor({0.5, 0.5}));
    w.mul_(2);
    w.clamp_(0, 2.5);
  }
  EXPECT_EQ(to_vector<float>(w), (std::vector<float>{1, 2.5}));
  EXPECT_TRUE(w.requires_grad());
  EXPECT_TRUE(w.is_leaf());
}

TEST(InPlace, BroadcastErrorNamesTheOpAndShapes) {
  Tensor x = zeros({2, 3});
  // The other operand cannot broadcast at all.
  EXPECT_THROW_WITH(x.add_(zeros({4})), ShapeError, "add_", "[2, 3]", "[4]");
  // It broadcasts, but to a bigger shape than the in-place target's.
  EXPECT_THROW_WITH(x.mul_(zeros({2, 2, 3})), ShapeError, "mul_", "[2, 2, 3]", "[2, 3]");
  EXPECT_THROW_WITH(zeros({3}).copy_(zeros({2, 3})), ShapeError, "copy_", "[2, 3]", "[3]");
  EXPECT_THROW_WITH(zeros({1}).sub_(zeros({3})), ShapeError, "sub_", "[3]", "[1]");
  EXPECT_THROW_WITH(zeros({2}).div_(zeros({3})), ShapeError, "div_", "[2]", "[3]");
}

TEST(InPlace, LargeTensorsUseEveryElement) {
  // > parallel_grain elements, so the threaded path runs.
  Tensor x = arange(100003, {.dtype = float64});
  x.mul_(2);
  x.add_(ones({100003}, {.dtype = float64}));
  std::vector<double> v = to_vector<double>(x);
  for (size_t k = 0; k < v.size(); ++k) {
    ASSERT_EQ(v[k], 2.0 * k + 1) << k;
  }
}

}  // namespace
}  // namespace cajal
