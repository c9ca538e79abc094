// Elementwise unary math: PyTorch golden values, gradient checks (contiguous, non-contiguous,
// second order), dtypes, and special values.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>

#include "cajal/cajal.h"
#include "support/golden.h"

namespace cajal {
namespace {

using Unary = std::function<Tensor(const Tensor&)>;

const std::map<std::string, Unary>& unary_ops() {
  static const std::map<std::string, Unary> ops = {
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"log", [](const Tensor& x) { return log(x); }},
      {"log1p", [](const Tensor& x) { return log1p(x); }},
      {"expm1", [](const Tensor& x) { return expm1(x); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }},
      {"square", [](const Tensor& x) { return square(x); }},
      {"reciprocal", [](const Tensor& x) { return reciprocal(x); }},
      {"abs", [](const Tensor& x) { return abs(x); }},
      {"sign", [](const Tensor& x) { return sign(x); }},
      {"sin", [](const Tensor& x) { return sin(x); }},
      {"cos", [](const Tensor& x) { return cos(x); }},
      {"tan", [](const Tensor& x) { return tan(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"floor", [](const Tensor& x) { return floor(x); }},
      {"ceil", [](const Tensor& x) { return ceil(x); }},
      {"round", [](const Tensor& x) { return round(x); }},
  };
  return ops;
}

// ---------------------------------------------------------------------------------------------
// Golden values (tools/golden/math.py): each case names its op in params["op"].
// Tolerances: float64 rtol 1e-12 / atol 1e-14 (libm may differ from PyTorch's by an ulp or two),
// float32 rtol 1e-5 / atol 1e-6 (PyTorch vectorizes float32 with approximations of its own).

TEST(MathGolden, MatchesPyTorch) {
  auto cases = testing::load_golden("math");
  std::map<std::string, int> seen;
  for (const auto& [name, c] : cases) {
    std::string op = c.text("op");
    auto it = unary_ops().find(op);
    ASSERT_NE(it, unary_ops().end()) << name << ": unknown op " << op;
    ++seen[op];
    Dtype expected = c.outputs.at(0).dtype();
    Dtype got = expected;
    bool f64 = expected == Dtype::float64 && c.inputs[0].dtype() == Dtype::float64;
    testing::check_golden(
        c,
        [&](const std::vector<Tensor>& v) {
          Tensor y = it->second(v[0]);
          got = y.dtype();
          return y;
        },
        f64 ? 1e-12 : 1e-5, f64 ? 1e-14 : 1e-6);
    EXPECT_EQ(got, expected) << name;
  }
  // Every op in math.h has golden values in both float dtypes.
  for (const auto& [op, fn] : unary_ops()) {
    EXPECT_TRUE(cases.count(op + "_f64")) << op;
    EXPECT_TRUE(cases.count(op + "_f32")) << op;
  }
}

// ---------------------------------------------------------------------------------------------
// Gradient checks (float64).

void expect_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                      const std::vector<Tensor>& inputs, bool second_order = false) {
  autograd::GradcheckOptions options;
  options.check_second_order = second_order;
  auto result = autograd::gradcheck(fn, inputs, options);
  EXPECT_TRUE(result.ok) << result.message;
}

Tensor param(const Shape& shape, double low, double high) {
  Tensor t = rand(shape, {.dtype = float64}) * (high - low) + low;
  return t.detach().requires_grad_(true);
}

struct Domain {
  double low, high;
  bool second_order;
};

// Where each op is smooth (and away from the jumps of the piecewise-constant ones).
const std::map<std::string, Domain>& domains() {
  static const std::map<std::string, Domain> d = {
      {"exp", {-2, 2, true}},       {"log", {0.3, 3, true}},        {"log1p", {-0.7, 2, true}},
      {"expm1", {-2, 2, true}},     {"sqrt", {0.3, 3, true}},       {"rsqrt", {0.3, 3, true}},
      {"square", {-2, 2, true}},    {"reciprocal", {0.3, 3, true}}, {"abs", {0.1, 2, false}},
      {"sign", {0.1, 2, false}},    {"sin", {-3, 3, true}},         {"cos", {-3, 3, true}},
      {"tan", {-1.2, 1.2, true}},   {"tanh", {-2, 2, true}},        {"sigmoid", {-4, 4, true}},
      {"floor", {0.1, 0.9, false}}, {"ceil", {0.1, 0.9, false}},    {"round", {0.1, 0.4, false}},
  };
  return d;
}

TEST(MathGradcheck, EveryOp) {
  manual_seed(11);
  for (const auto& [name, fn] : unary_ops()) {
    SCOPED_TRACE(name);
    const Domain& d = domains().at(name);
    auto f = fn;
    expect_gradcheck([f](const auto& v) { return f(v[0]); }, {param({2, 3}, d.low, d.high)},
                     d.second_order);
    expect_gradcheck([f](const auto& v) { return f(v[0]); }, {param({}, d.low, d.high)});
  }
}

TEST(MathGradcheck, AbsAndSignOnBothSides) {
  manual_seed(12);
  // abs on negative values too: the gradient is sign(x).
  Tensor x = tensor({-1.5, -0.3, 0.2, 1.9}, {.dtype = float64}).requires_grad_(true);
  expect_gradcheck([](const auto& v) { return abs(v[0]); }, {x});
  expect_gradcheck([](const auto& v) { return sign(v[0]) * v[0]; }, {x});
  expect_gradcheck([](const auto& v) { return floor(v[0] * 3) + v[0]; }, {x});
}

// Non-contiguous inputs: transposed, sliced with a step, expanded.
TEST(MathGradcheck, NonContiguousInputs) {
  manual_seed(13);
  for (const auto& [name, fn] : unary_ops()) {
    SCOPED_TRACE(name);
    const Domain& d = domains().at(name);
    auto f = fn;
    expect_gradcheck([f](const auto& v) { return f(v[0].t()); }, {param({4, 3}, d.low, d.high)});
    expect_gradcheck([f](const auto& v) { return f(v[0].slice(1, 1, std::nullopt, 3)); },
                     {param({3, 8}, d.low, d.high)});
    expect_gradcheck(
        [f](const auto& v) {
          return f(v[0].expand({3, 4}));
        },
        {param({1, 4}, d.low, d.high)});
  }
}

TEST(MathGradcheck, SecondOrderOfCompositions) {
  manual_seed(14);
  expect_gradcheck([](const auto& v) { return tanh(exp(v[0]) * v[1]); },
                   {param({2, 3}, -1, 1), param({3}, -1, 1)}, true);
  expect_gradcheck([](const auto& v) { return sigmoid(log(v[0]) + sqrt(v[0])); },
                   {param({2, 3}, 0.3, 3)}, true);
  expect_gradcheck([](const auto& v) { return sqrt(square(v[0]) + 1) * v[0]; }, {param({5}, -2, 2)},
                   true);
}

// ---------------------------------------------------------------------------------------------
// Forward details.

TEST(Math, DtypeRules) {
  Tensor i = tensor({1, 4}, {.dtype = int64});
  for (const char* name : {"exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "reciprocal", "sin",
                           "cos", "tan", "tanh", "sigmoid"}) {
    EXPECT_EQ(unary_ops().at(name)(i).dtype(), float32) << name;
    EXPECT_EQ(unary_ops().at(name)(tensor({1.0}, {.dtype = float64})).dtype(), float64) << name;
  }
  for (const char* name : {"abs", "sign", "square", "floor", "ceil", "round"}) {
    EXPECT_EQ(unary_ops().at(name)(i).dtype(), int64) << name;
  }
  EXPECT_EQ(to_vector<float>(sqrt(i)), (std::vector<float>{1, 2}));
  EXPECT_EQ(to_vector<float>(reciprocal(i)), (std::vector<float>{1, 0.25}));
  EXPECT_EQ(square(tensor({1, 0}, {.dtype = bool_})).dtype(), int64);  // as in PyTorch
  EXPECT_EQ(exp(tensor({1, 0}, {.dtype = bool_})).dtype(), float32);
}

TEST(Math, SpecialValues) {
  auto v = [](const Tensor& t) { return to_vector<double>(t); };
  EXPECT_EQ(v(abs(tensor({-0.0}, {.dtype = float64})))[0], 0.0);
  EXPECT_FALSE(std::signbit(v(abs(tensor({-0.0}, {.dtype = float64})))[0]));  // +0, like PyTorch
  EXPECT_TRUE(std::isnan(v(abs(tensor({NAN})))[0]));
  EXPECT_EQ(v(sign(tensor({NAN, -3, 0, 2})))[1], -1);
  EXPECT_EQ(v(sign(tensor({NAN, -3, 0, 2})))[2], 0);
  EXPECT_EQ(v(sign(tensor({NAN})))[0], 0);  // PyTorch 1.13 (CPU) gives 0 too
  EXPECT_EQ(v(round(tensor({0.5, 1.5, 2.5, -0.5, -1.5}))),
            (std::vector<double>{0, 2, 2, -0.0, -2}));  // halves to even
  EXPECT_EQ(v(sigmoid(tensor({-1000, 1000}, {.dtype = float64}))), (std::vector<double>{0, 1}));
  EXPECT_EQ(v(tanh(tensor({-1000, 1000}))), (std::vector<double>{-1, 1}));
  EXPECT_EQ(v(exp(tensor({-INFINITY, INFINITY})))[0], 0);
  EXPECT_EQ(v(log(tensor({0})))[0], -INFINITY);
  EXPECT_TRUE(std::isnan(v(sqrt(tensor({-1})))[0]));
  EXPECT_EQ(v(reciprocal(tensor({-0.0})))[0], -INFINITY);
  EXPECT_EQ(v(rsqrt(tensor({0})))[0], INFINITY);
  EXPECT_EQ(v(floor(tensor({-0.5, 1.5}))), (std::vector<double>{-1, 1}));
  EXPECT_EQ(v(ceil(tensor({-0.5, 1.5}))), (std::vector<double>{-0.0, 2}));
  // Small arguments keep full precision where log1p/expm1 exist for that reason.
  EXPECT_DOUBLE_EQ(v(log1p(tensor({1e-12}, {.dtype = float64})))[0], 1e-12 - 5e-25);
  EXPECT_DOUBLE_EQ(v(expm1(tensor({1e-12}, {.dtype = float64})))[0], 1e-12 + 5e-25);
}

// Results on every layout equal the contiguous result, including above the threading grain.
TEST(Math, NonContiguousAndLargeInputs) {
  manual_seed(15);
  Tensor big = randn({300, 257}, {.dtype = float32});
  for (const auto& [name, fn] : unary_ops()) {
    SCOPED_TRACE(name);
    Tensor x = sigmoid(big) * 1.4 + 0.1;  // (0.1, 1.5): inside every op's domain
    Tensor by_view = fn(x.t());
    Tensor by_copy = fn(x.t().contiguous());
    EXPECT_TRUE(by_view.is_contiguous());
    EXPECT_TRUE(equal(by_view, by_copy));
    Tensor stepped = fn(x.slice(1, 0, std::nullopt, 3));
    EXPECT_TRUE(equal(stepped, fn(x.slice(1, 0, std::nullopt, 3).contiguous())));
  }
}

TEST(Math, GradientsOfPiecewiseConstantOpsAreZero) {
  for (const char* name : {"sign", "floor", "ceil", "round"}) {
    Tensor x = tensor({-1.3, 0.2, 2.7}, {.requires_grad = true});
    sum(unary_ops().at(name)(x)).backward();
    EXPECT_EQ(to_vector<float>(x.grad()), (std::vector<float>{0, 0, 0})) << name;
  }
  // abs has gradient 0 at 0 (PyTorch's convention).
  Tensor z = tensor({-2, 0, 3}, {.requires_grad = true});
  sum(abs(z)).backward();
  EXPECT_EQ(to_vector<float>(z.grad()), (std::vector<float>{-1, 0, 1}));
}

TEST(Math, RecordsOnlyWhenNeeded) {
  Tensor x = tensor({1, 2});
  EXPECT_FALSE(exp(x).requires_grad());
  Tensor w = tensor({1, 2}, {.requires_grad = true});
  EXPECT_TRUE(exp(w).requires_grad());
  {
    no_grad guard;
    EXPECT_FALSE(exp(w).requires_grad());
  }
}

}  // namespace
}  // namespace cajal
