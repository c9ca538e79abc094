#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "cajal/cajal.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::expect_error;

using autograd::gradcheck;
using autograd::GradcheckOptions;
using testing::GoldenCase;
using testing::tensors_close;

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- golden values (tools/golden/reduction.py) --------------------------------------------------

double parse_p(const std::string& p) { return p == "inf" ? kInf : std::stod(p); }

// Reproduces a case from its params; `indices` receives the second output of max/min along a dim.
Tensor run_case(const GoldenCase& c, const Tensor& x, Tensor* indices) {
  const std::string op = c.text("op");
  const bool has_dims = c.params_json.count("dims") > 0;
  const Dims dims = has_dims ? c.int_list("dims") : Dims{};
  const bool keepdim = c.params_json.count("keepdim") > 0 && c.param("keepdim") != 0;
  const int64_t dim = c.params_json.count("dim") > 0 ? static_cast<int64_t>(c.param("dim")) : 0;
  if (op == "sum") return has_dims ? sum(x, dims, keepdim) : sum(x);
  if (op == "mean") return has_dims ? mean(x, dims, keepdim) : mean(x);
  if (op == "var" || op == "std") {
    auto correction = static_cast<int64_t>(c.param("correction"));
    if (op == "var")
      return has_dims ? var(x, dims, correction, keepdim) : var(x, Dims{}, correction);
    return has_dims ? std(x, dims, correction, keepdim) : std(x, Dims{}, correction);
  }
  if (op == "max") return max(x);
  if (op == "min") return min(x);
  if (op == "max_dim" || op == "min_dim") {
    auto [values, index] = op == "max_dim" ? max(x, dim, keepdim) : min(x, dim, keepdim);
    *indices = index;
    return values;
  }
  if (op == "amax") return amax(x, dims, keepdim);
  if (op == "amin") return amin(x, dims, keepdim);
  if (op == "argmax") return argmax(x);
  if (op == "argmin") return argmin(x);
  if (op == "argmax_dim") return argmax(x, dim, keepdim);
  if (op == "argmin_dim") return argmin(x, dim, keepdim);
  if (op == "logsumexp") return logsumexp(x, dims, keepdim);
  if (op == "norm") return norm(x, parse_p(c.text("p")), dims, keepdim);
  ADD_FAILURE() << "unknown op " << op << " in case " << c.name;
  return x;
}

TEST(ReductionGolden, AllCasesMatchPyTorch) {
  auto cases = testing::load_golden("reduction");
  ASSERT_GT(cases.size(), 200u);
  int with_gradients = 0;
  for (const auto& [name, c] : cases) {
    with_gradients += !c.grad_outputs.empty();
    // float64: agreement to rounding; float32: the reduction's own rounding.
    const bool f32 = c.inputs[0].dtype() == Dtype::float32;
    const double rtol = f32 ? 1e-5 : 1e-9, atol = f32 ? 1e-6 : 1e-12;
    Tensor indices;
    testing::check_golden(
        c, [&](const std::vector<Tensor>& in) { return run_case(c, in[0], &indices); }, rtol, atol);
    // Integer outputs (argmax, indices, int64 sums) must match exactly, dtype included.
    Tensor y;
    {
      no_grad guard;
      y = run_case(c, c.inputs[0], &indices);
    }
    EXPECT_EQ(y.dtype(), c.outputs[0].dtype()) << name;
    if (!is_floating_point(c.outputs[0].dtype())) {
      EXPECT_TRUE(equal(y, c.outputs[0])) << name << ": " << y << " vs " << c.outputs[0];
    }
    if (c.outputs.size() > 1) {
      ASSERT_TRUE(indices.defined()) << name;
      EXPECT_TRUE(equal(indices, c.outputs[1]))
          << name << ": " << indices << " vs " << c.outputs[1];
    }
  }
  EXPECT_GT(with_gradients, 150);
}

// ---- gradient checks ----------------------------------------------------------------------------

using Fn = std::function<Tensor(const Tensor&)>;

// Tighter than gradcheck's defaults: central differences in float64 are good to ~1e-9 here, so a
// slightly wrong backward (a factor off by 1e-4) still fails.
constexpr GradcheckOptions kTight{.atol = 1e-7, .rtol = 1e-6};

void expect_gradcheck(const Fn& fn, const Tensor& x, GradcheckOptions options = kTight) {
  Tensor input = x.detach().clone().requires_grad_(true);
  auto result =
      gradcheck([&](const std::vector<Tensor>& xs) { return fn(xs[0]); }, {input}, options);
  EXPECT_TRUE(result.ok) << result.message;
}

Tensor rand64(const Shape& shape) { return randn(shape, {.dtype = Dtype::float64}); }

// Values 0.5 apart (plus small noise) in random order: no ties, even within gradcheck's step.
Tensor distinct64(const Shape& shape) {
  int64_t n = shape_numel(shape);
  Tensor order = randperm(n).to(Dtype::float64);
  return (order * 0.5 - 0.25 * static_cast<double>(n) + rand({n}, {.dtype = Dtype::float64}) * 0.1)
      .reshape(shape);
}

TEST(ReductionGradcheck, SumMeanOverDimSets) {
  manual_seed(1);
  Tensor x = rand64({3, 4, 5});
  for (const Dims& dims : {Dims{}, Dims{0}, Dims{-1}, Dims{0, 2}, Dims{-2, 0}}) {
    for (bool keepdim : {false, true}) {
      SCOPED_TRACE(shape_string(dims) + (keepdim ? " keepdim" : ""));
      expect_gradcheck([&](const Tensor& t) { return sum(t, dims, keepdim); }, x);
      expect_gradcheck([&](const Tensor& t) { return mean(t, dims, keepdim); }, x);
    }
  }
}

TEST(ReductionGradcheck, VarStd) {
  manual_seed(2);
  Tensor x = rand64({3, 4, 5});
  for (const Dims& dims : {Dims{}, Dims{1}, Dims{-1, 0}}) {
    for (int64_t correction : {0, 1, 2}) {
      for (bool keepdim : {false, true}) {
        SCOPED_TRACE(shape_string(dims) + " correction " + std::to_string(correction));
        expect_gradcheck([&](const Tensor& t) { return var(t, dims, correction, keepdim); }, x);
        expect_gradcheck([&](const Tensor& t) { return std(t, dims, correction, keepdim); }, x);
      }
    }
  }
  expect_gradcheck([](const Tensor& t) { return var(t); }, x);
  expect_gradcheck([](const Tensor& t) { return std(t, {}, 0); }, x);
}

TEST(ReductionGradcheck, MaxMinFamily) {
  manual_seed(3);
  Tensor x = distinct64({3, 4, 5});
  expect_gradcheck([](const Tensor& t) { return max(t); }, x);
  expect_gradcheck([](const Tensor& t) { return min(t); }, x);
  for (int64_t dim : {0, 1, -1}) {
    for (bool keepdim : {false, true}) {
      expect_gradcheck([&](const Tensor& t) { return std::get<0>(max(t, dim, keepdim)); }, x);
      expect_gradcheck([&](const Tensor& t) { return std::get<0>(min(t, dim, keepdim)); }, x);
    }
  }
  for (const Dims& dims : {Dims{}, Dims{0}, Dims{-1}, Dims{0, 2}}) {
    for (bool keepdim : {false, true}) {
      expect_gradcheck([&](const Tensor& t) { return amax(t, dims, keepdim); }, x);
      expect_gradcheck([&](const Tensor& t) { return amin(t, dims, keepdim); }, x);
    }
  }
}

TEST(ReductionGradcheck, LogSumExp) {
  manual_seed(4);
  Tensor x = rand64({3, 4, 5}) * 3.0;
  for (const Dims& dims : {Dims{}, Dims{0}, Dims{-1}, Dims{2, 0}}) {
    for (bool keepdim : {false, true}) {
      expect_gradcheck([&](const Tensor& t) { return logsumexp(t, dims, keepdim); }, x);
    }
  }
}

TEST(ReductionGradcheck, Norms) {
  manual_seed(5);
  Tensor x = rand64({3, 4, 5});
  Tensor xd = distinct64({3, 4, 5});  // inf-norm: distinct |x|, since they are 0.5 apart
  for (const Dims& dims : {Dims{}, Dims{1}, Dims{-1, 0}}) {
    for (bool keepdim : {false, true}) {
      for (double p : {1.0, 2.0, 3.0, 1.5}) {
        SCOPED_TRACE("p " + std::to_string(p));
        expect_gradcheck([&](const Tensor& t) { return norm(t, p, dims, keepdim); }, x);
      }
      expect_gradcheck([&](const Tensor& t) { return norm(t, kInf, dims, keepdim); }, xd);
    }
  }
}

// A 0-dim input reduces to itself.
TEST(ReductionGradcheck, ZeroDimInput) {
  Tensor s = full({}, 0.7, {.dtype = Dtype::float64});
  expect_gradcheck([](const Tensor& t) { return sum(t); }, s);
  expect_gradcheck([](const Tensor& t) { return mean(t, {0}); }, s);
  expect_gradcheck([](const Tensor& t) { return max(t); }, s);
  expect_gradcheck([](const Tensor& t) { return std::get<0>(max(t, 0)); }, s);
  expect_gradcheck([](const Tensor& t) { return std::get<0>(min(t, -1, true)); }, s);
  expect_gradcheck([](const Tensor& t) { return amin(t, {}); }, s);
  expect_gradcheck([](const Tensor& t) { return logsumexp(t, {0}); }, s);
  expect_gradcheck([](const Tensor& t) { return norm(t); }, s);
  expect_gradcheck([](const Tensor& t) { return norm(t, 1); }, s);
  expect_gradcheck([](const Tensor& t) { return var(t, {}, 0); }, s);
}

// Transposed and sliced views reach the kernels with non-contiguous strides.
TEST(ReductionGradcheck, NonContiguousInputs) {
  manual_seed(6);
  Tensor x = rand64({5, 6});
  Tensor xd = distinct64({5, 6});
  auto transposed = [](const Tensor& t) { return t.transpose(0, 1); };
  auto sliced = [](const Tensor& t) { return t.slice(1, 1, std::nullopt, 2); };
  for (const auto& view : std::vector<Fn>{transposed, sliced}) {
    expect_gradcheck([&](const Tensor& t) { return sum(view(t), {0}); }, x);
    expect_gradcheck([&](const Tensor& t) { return sum(view(t)); }, x);
    expect_gradcheck([&](const Tensor& t) { return mean(view(t), {-1}, true); }, x);
    expect_gradcheck([&](const Tensor& t) { return var(view(t), Dims{0}); }, x);
    expect_gradcheck([&](const Tensor& t) { return std(view(t), Dims{1}, 0); }, x);
    expect_gradcheck([&](const Tensor& t) { return logsumexp(view(t), {1}); }, x);
    expect_gradcheck([&](const Tensor& t) { return norm(view(t), 2, {0}); }, x);
    expect_gradcheck([&](const Tensor& t) { return norm(view(t), 1, {1}); }, x);
    expect_gradcheck([&](const Tensor& t) { return norm(view(t), kInf, {0}); }, xd);
    expect_gradcheck([&](const Tensor& t) { return max(view(t)); }, xd);
    expect_gradcheck([&](const Tensor& t) { return std::get<0>(max(view(t), 0)); }, xd);
    expect_gradcheck([&](const Tensor& t) { return std::get<0>(min(view(t), 1, true)); }, xd);
    expect_gradcheck([&](const Tensor& t) { return amax(view(t), {1}); }, xd);
  }
}

// [64, 128] inputs have more Jacobian entries than gradcheck compares in full: sampled mode.
TEST(ReductionGradcheck, LargeInputsSampled) {
  manual_seed(7);
  Tensor x = rand64({64, 128});
  Tensor xd = distinct64({64, 128});
  expect_gradcheck([](const Tensor& t) { return sum(t, {0}); }, x);
  expect_gradcheck([](const Tensor& t) { return mean(t, {1}); }, x);
  expect_gradcheck([](const Tensor& t) { return var(t, Dims{0}); }, x);
  expect_gradcheck([](const Tensor& t) { return std(t, Dims{1}); }, x);
  expect_gradcheck([](const Tensor& t) { return logsumexp(t, {1}); }, x);
  expect_gradcheck([](const Tensor& t) { return norm(t, 2, {0}); }, x);
  expect_gradcheck([](const Tensor& t) { return amax(t, {0}); }, xd);
  expect_gradcheck([](const Tensor& t) { return std::get<0>(min(t, 1)); }, xd);
  expect_gradcheck([](const Tensor& t) { return sum(t.transpose(0, 1), {1}); }, x);
}

TEST(ReductionGradcheck, SecondOrder) {
  manual_seed(8);
  Tensor x = rand64({3, 4});
  GradcheckOptions options = kTight;
  options.check_second_order = true;
  for (const Dims& dims : {Dims{}, Dims{0}, Dims{-1}}) {
    SCOPED_TRACE(shape_string(dims));
    expect_gradcheck([&](const Tensor& t) { return var(t, dims); }, x, options);
    expect_gradcheck([&](const Tensor& t) { return var(t, dims, 0, true); }, x, options);
    expect_gradcheck([&](const Tensor& t) { return std(t, dims); }, x, options);
    expect_gradcheck([&](const Tensor& t) { return logsumexp(t, dims, true); }, x, options);
    expect_gradcheck([&](const Tensor& t) { return norm(t, 2, dims); }, x, options);
  }
  expect_gradcheck([](const Tensor& t) { return norm(t, 3, {1}); }, x, options);
  expect_gradcheck([](const Tensor& t) { return logsumexp(t.transpose(0, 1), {1}); }, x, options);
}

// ---- semantics ----------------------------------------------------------------------------------

Tensor grad_of(const std::function<Tensor(const Tensor&)>& fn, const Tensor& x) {
  Tensor leaf = x.detach().clone().requires_grad_(true);
  fn(leaf).backward();
  return leaf.grad();
}

TEST(Reduction, MaxTiesSplitTheGradientLikePyTorch) {
  Tensor x = tensor({1, 3, 3, 2}, {.dtype = Dtype::float64});
  // max() and amax share the gradient among ties; max(dim) gives it to the first maximum.
  EXPECT_TRUE(equal(grad_of([](const Tensor& t) { return max(t); }, x),
                    tensor({0, 0.5, 0.5, 0}, {.dtype = Dtype::float64})));
  EXPECT_TRUE(equal(grad_of([](const Tensor& t) { return amax(t, {0}); }, x),
                    tensor({0, 0.5, 0.5, 0}, {.dtype = Dtype::float64})));
  EXPECT_TRUE(equal(grad_of([](const Tensor& t) { return std::get<0>(max(t, 0)); }, x),
                    tensor({0, 1, 0, 0}, {.dtype = Dtype::float64})));
  Tensor y = tensor({2, -1, 5, -1, -1}, {.dtype = Dtype::float64});
  EXPECT_TRUE(allclose(grad_of([](const Tensor& t) { return min(t); }, y),
                       tensor({0, 1.0 / 3, 0, 1.0 / 3, 1.0 / 3}, {.dtype = Dtype::float64})));
  auto [values, indices] = min(y, 0);
  EXPECT_EQ(values.item(), -1);
  EXPECT_EQ(indices.item<int64_t>(), 1);
  // The inf-norm splits among the entries of largest magnitude, with their signs.
  Tensor z = tensor({1, -3, 3, 2}, {.dtype = Dtype::float64});
  EXPECT_TRUE(equal(grad_of([](const Tensor& t) { return norm(t, kInf); }, z),
                    tensor({0, -0.5, 0.5, 0}, {.dtype = Dtype::float64})));
}

TEST(Reduction, GradientsAtZeroAreZero) {
  Tensor zeros3 = zeros({3}, {.dtype = Dtype::float64});
  for (double p : {1.0, 2.0, kInf}) {
    Tensor g = grad_of([p](const Tensor& t) { return norm(t, p); }, zeros3);
    EXPECT_TRUE(equal(g, zeros3)) << "p " << p << ": " << g;
  }
  Tensor constant = full({4}, 0.1, {.dtype = Dtype::float64});
  EXPECT_TRUE(equal(grad_of([](const Tensor& t) { return std(t); }, constant),
                    zeros({4}, {.dtype = Dtype::float64})));
}

TEST(Reduction, NaNPropagates) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = from_vector<double>({1, nan, 7, nan, -2}, {5});
  EXPECT_TRUE(std::isnan(max(x).item()));
  EXPECT_TRUE(std::isnan(min(x).item()));
  EXPECT_TRUE(std::isnan(amax(x, {0}).item()));
  EXPECT_TRUE(std::isnan(logsumexp(x, {0}).item()));
  EXPECT_TRUE(std::isnan(var(x).item()));
  EXPECT_TRUE(std::isnan(norm(x, kInf).item()));
  EXPECT_EQ(argmax(x).item<int64_t>(), 1);
  EXPECT_EQ(argmin(x).item<int64_t>(), 1);
  EXPECT_EQ(std::get<1>(max(x, 0)).item<int64_t>(), 1);
  // Infinite entries: var is NaN, as in PyTorch.
  EXPECT_TRUE(std::isnan(var(tensor({1, kInf, 2})).item()));
  // The gradient of max() goes to the NaN entries.
  EXPECT_TRUE(tensors_close(grad_of([](const Tensor& t) { return max(t); }, x),
                            tensor({0, 0.5, 0, 0.5, 0}, {.dtype = Dtype::float64}), 0, 0));
}

TEST(Reduction, ShapesDtypesAndDegenerateCases) {
  Tensor x = ones({2, 3, 4});
  EXPECT_EQ(sum(x, {1}, true).shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(sum(x, {0, 2}).shape(), (Shape{3}));
  EXPECT_EQ(var(x, {0, 1, 2}, 1, true).shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(amax(x, {}, true).shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(argmax(x, -1, true).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(argmax(x, -1, true).dtype(), Dtype::int64);
  EXPECT_EQ(std::get<1>(max(x, 1)).shape(), (Shape{2, 4}));
  EXPECT_EQ(std(x).dtype(), Dtype::float32);
  EXPECT_EQ(logsumexp(x.to(Dtype::float64), {0}).dtype(), Dtype::float64);
  // int64 sums are exact beyond float precision; bool sums count.
  Tensor big = full({3}, int64_t{1} << 53, {.dtype = Dtype::int64});
  EXPECT_EQ(sum(big + 1).item<int64_t>(), 3 * ((int64_t{1} << 53) + 1));
  EXPECT_EQ(sum(tensor({1, 0, 1}, {.dtype = Dtype::bool_})).dtype(), Dtype::int64);
  // Reductions with an identity accept empty inputs.
  Tensor empty_rows = zeros({2, 0});
  EXPECT_TRUE(equal(sum(empty_rows, {1}), zeros({2})));
  EXPECT_TRUE(std::isnan(mean(empty_rows).item()));
  EXPECT_TRUE(std::isnan(var(empty_rows).item()));
  EXPECT_EQ(logsumexp(empty_rows, {1}).shape(), (Shape{2}));
  EXPECT_EQ(to_vector<double>(logsumexp(empty_rows, {1})), (std::vector<double>{-kInf, -kInf}));
  EXPECT_EQ(norm(empty_rows).item(), 0);
  EXPECT_EQ(norm(empty_rows, kInf).item(), 0);
  EXPECT_EQ(amax(zeros({0, 3}), {1}).shape(), (Shape{0}));
  // Too few elements for the correction: PyTorch's inf / NaN.
  EXPECT_TRUE(std::isnan(var(tensor({2.5})).item()));
  EXPECT_TRUE(std::isinf(var(tensor({1, 2}), {}, 2).item()));
  EXPECT_EQ(var(tensor({2.5}), {}, 0).item(), 0);
}

// var folds in one pass about a shift; a large mean must not eat the variance.
TEST(Reduction, VarianceSurvivesALargeMean) {
  manual_seed(12);
  Tensor z = randn({10000}, {.dtype = Dtype::float64});
  Tensor shifted = z + 1e8;
  double mu = mean(shifted).item(), expected = 0;
  for (double v : to_vector<double>(shifted)) expected += (v - mu) * (v - mu);
  expected /= 9999;
  EXPECT_NEAR(var(shifted).item(), expected, 1e-9 * expected);
  EXPECT_NEAR(std(shifted, Dims{0}, 0).item(), std::sqrt(expected * 9999 / 10000), 1e-9);
  Tensor x32 = (z + 1e4).to(Dtype::float32);
  EXPECT_TRUE(tensors_close(var(x32), var(x32.to(Dtype::float64)).to(Dtype::float32), 1e-6, 0));
  // Non-contiguous input takes the threads' merge of moments; it must agree too.
  Tensor wide = (randn({300, 400}, {.dtype = Dtype::float64}) + 1e6).transpose(0, 1);
  Tensor centered = wide - mean(wide);
  EXPECT_NEAR(var(wide).item(), sum(centered * centered).item() / (wide.numel() - 1), 1e-8);
}

// sum has contiguous fast paths ([outer, reduced, inner] runs); a strided copy of the same values
// goes through the generic kernel, and both must agree.
TEST(Reduction, SumFastPathsMatchStridedKernel) {
  manual_seed(11);
  struct Case {
    Shape shape;
    Dims dims;
  };
  for (const Case& c : std::vector<Case>{{{7, 600}, {0}},
                                         {{7, 600}, {1}},
                                         {{3, 5, 700}, {0, 1}},
                                         {{3, 5, 7}, {1}},
                                         {{2, 1, 3}, {0, 2}},  // a size-1 dim inside the run
                                         {{4, 1, 3}, {1}},     // only a size-1 dim
                                         {{2, 3, 4}, {0, 2}},  // not one run: the kernel
                                         {{5000}, {0}},
                                         {{40000}, {}},
                                         {{0, 3}, {0}},
                                         {{3, 0}, {1}}}) {
    SCOPED_TRACE(shape_string(c.shape) + " dims " + shape_string(c.dims));
    Tensor x = randn(c.shape, {.dtype = Dtype::float64});
    Shape wide = c.shape;
    wide.back() *= 2;
    Tensor strided = zeros(wide, {.dtype = Dtype::float64}).slice(-1, 0, std::nullopt, 2);
    strided.copy_(x);
    ASSERT_FALSE(strided.is_contiguous());
    for (bool keepdim : {false, true}) {
      Tensor fast = sum(x, c.dims, keepdim);
      EXPECT_TRUE(tensors_close(fast, sum(strided, c.dims, keepdim), 1e-12, 1e-12));
      Tensor x32 = x.to(Dtype::float32);
      EXPECT_TRUE(tensors_close(sum(x32, c.dims, keepdim), fast.to(Dtype::float32), 1e-6, 1e-6));
    }
  }
}

// ---- threads ------------------------------------------------------------------------------------

// Restores the thread count when a test ends, however it ends.
class ThreadCount {
 public:
  ThreadCount() : saved_(get_num_threads()) {}
  ~ThreadCount() { set_num_threads(saved_); }

 private:
  int saved_;
};

template <typename F>
Tensor with_threads(int n, F f) {
  set_num_threads(n);
  return f();
}

TEST(ReductionThreads, BigSumsAgreeAcrossThreadCounts) {
  ThreadCount restore;
  manual_seed(9);
  Tensor x = rand({1000, 1000});  // 1M float32 elements, contiguous
  Tensor xt = x.transpose(0, 1);  // the same, read across rows
  Tensor x64 = rand({1000, 1000}, {.dtype = Dtype::float64}).transpose(0, 1);
  for (const Tensor& t : {x, xt, x64}) {
    Tensor one = with_threads(1, [&] { return sum(t); });
    Tensor two = with_threads(2, [&] { return sum(t); });
    Tensor again = with_threads(2, [&] { return sum(t); });
    EXPECT_TRUE(tensors_close(two, one, 1e-12, 0));
    EXPECT_TRUE(equal(two, again));  // deterministic for a thread count
    EXPECT_NEAR(two.item(), 500000, 2000);
  }
  // The contiguous whole-tensor sum folds fixed blocks: identical for any thread count.
  EXPECT_TRUE(
      equal(with_threads(1, [&] { return sum(x); }), with_threads(2, [&] { return sum(x); })));
  // Many outputs, split across threads.
  for (const Dims& dims : {Dims{0}, Dims{1}}) {
    Tensor one = with_threads(1, [&] { return sum(x, dims); });
    Tensor two = with_threads(2, [&] { return sum(x, dims); });
    EXPECT_TRUE(equal(one, two));  // each output is folded by one thread
  }
}

TEST(ReductionThreads, OtherReductionsAgreeAcrossThreadCounts) {
  ThreadCount restore;
  manual_seed(10);
  // Non-contiguous so the single-output reductions split across threads.
  Tensor x = randn({1000, 1000}, {.dtype = Dtype::float64}).transpose(0, 1);
  using Op = std::function<Tensor(const Tensor&)>;
  for (const Op& op : std::vector<Op>{
           [](const Tensor& t) { return var(t); }, [](const Tensor& t) { return std(t, Dims{0}); },
           [](const Tensor& t) {
             return logsumexp(t, {0, 1});
           },
           [](const Tensor& t) { return norm(t); }, [](const Tensor& t) { return norm(t, 1); }}) {
    Tensor one = with_threads(1, [&] { return op(x); });
    Tensor two = with_threads(2, [&] { return op(x); });
    EXPECT_TRUE(tensors_close(two, one, 1e-12, 0));
    EXPECT_TRUE(equal(two, with_threads(2, [&] { return op(x); })));
  }
  EXPECT_NEAR(var(x).item(), 1.0, 0.01);
  // Extremes are exact, and ties resolve to the first occurrence across the threads' pieces.
  Tensor ties = zeros({1000, 1000}, {.dtype = Dtype::float64});
  ties.at<double>({999, 3}) = 5;
  ties.at<double>({2, 900}) = 5;
  ties.at<double>({600, 999}) = -5;
  ties.at<double>({1, 10}) = -5;
  Tensor tt = ties.transpose(0, 1);  // row-major order of tt: (3, 999) < (10, 1) < (900, 2) ...
  for (int n : {1, 2}) {
    set_num_threads(n);
    EXPECT_EQ(argmax(tt).item<int64_t>(), 3 * 1000 + 999) << n << " threads";
    EXPECT_EQ(argmin(tt).item<int64_t>(), 10 * 1000 + 1) << n << " threads";
    EXPECT_EQ(max(tt).item(), 5);
    EXPECT_EQ(norm(tt, kInf).item(), 5);
    Tensor g = grad_of([](const Tensor& t) { return max(t); }, tt);
    EXPECT_EQ(sum(g).item(), 1);
    EXPECT_EQ(g.at<double>({3, 999}), 0.5);
  }
}

// ---- errors -------------------------------------------------------------------------------------

TEST(ReductionErrors, EmptyTensorsHaveNoExtreme) {
  Tensor empty1 = zeros({0});
  expect_error<ValueError>([&] { max(empty1); }, "max: cannot reduce an empty tensor");
  expect_error<ValueError>([&] { min(empty1); }, "min: cannot reduce an empty tensor");
  expect_error<ValueError>([&] { argmax(empty1); }, "argmax: cannot reduce an empty tensor");
  expect_error<ValueError>([&] { argmin(empty1); }, "argmin: cannot reduce an empty tensor");
  expect_error<ValueError>(
      [&] {
        amax(zeros({3, 0}), {1});
      },
      "amax: cannot reduce an empty tensor");
  expect_error<ValueError>([&] { amin(zeros({0, 3}), {0}); }, "[0, 3]");
  expect_error<ValueError>([&] { max(zeros({2, 0}), 1); }, "max: cannot reduce an empty tensor");
  expect_error<ValueError>([&] { argmax(zeros({2, 0}), -1); }, "argmax: cannot reduce");
}

TEST(ReductionErrors, DimsOutOfRangeOrRepeated) {
  Tensor x = zeros({2, 3});
  expect_error<IndexError>([&] { sum(x, {2}); }, "sum");
  expect_error<IndexError>([&] { mean(x, {-3}); }, "mean");
  expect_error<IndexError>([&] { var(x, Dims{5}); }, "var");
  expect_error<IndexError>([&] { max(x, 2); }, "max");
  expect_error<IndexError>([&] { argmin(x, -3); }, "argmin");
  expect_error<IndexError>([&] { amax(x, {0, 2}); }, "amax");
  expect_error<IndexError>([&] { logsumexp(x, {3}); }, "logsumexp");
  expect_error<IndexError>([&] { norm(x, 2, {-4}); }, "norm");
  expect_error<ValueError>([&] { sum(x, {0, -2}); }, "sum: dim 0 appears more than once");
  expect_error<ValueError>([&] { std(x, {1, 1}); }, "std: dim 1 appears more than once");
  expect_error<ValueError>([&] { amin(x, {-1, 1}); }, "amin: dim 1 appears more than once");
  expect_error<ValueError>([&] { logsumexp(x, {0, 0}); }, "logsumexp: dim 0");
}

TEST(ReductionErrors, IntegerTensorsNeedFloat) {
  Tensor i = arange(6, {.dtype = Dtype::int64});
  expect_error<ValueError>([&] { mean(i); }, "mean: expected a floating-point tensor, got int64");
  expect_error<ValueError>([&] { var(i); }, "var: expected a floating-point tensor, got int64");
  expect_error<ValueError>([&] { std(i, Dims{0}); }, "std: expected a floating-point tensor");
  expect_error<ValueError>([&] { logsumexp(i, {0}); }, "logsumexp: expected a floating-point");
  expect_error<ValueError>([&] { norm(i); }, "norm: expected a floating-point tensor, got int64");
}

TEST(ReductionErrors, NormOrderMustBePositive) {
  Tensor x = ones({3});
  expect_error<ValueError>([&] { norm(x, 0); }, "norm: p must be positive");
  expect_error<ValueError>([&] { norm(x, -2); }, "got -2");
  expect_error<ValueError>([&] { norm(x, -kInf); }, "norm: p must be positive");
  expect_error<ValueError>([&] { norm(x, std::nan("")); }, "norm: p must be positive");
}

}  // namespace
}  // namespace cajal
