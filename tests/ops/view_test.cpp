// Views and copies: PyTorch golden values, gradient checks (including chains and second order),
// storage sharing and strides, dtype conversion, and error messages.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "cajal/cajal.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// ---------------------------------------------------------------------------------------------
// Golden values (tools/golden/view.py). Views are exact: any difference is a routing bug.

const std::map<std::string, Fn>& golden_functions() {
  static const std::map<std::string, Fn> fns = {
      {"view_flat",
       [](const auto& v) {
         return view(v[0], {6, 4});
       }},
      {"view_infer",
       [](const auto& v) {
         return v[0].view({-1, 2});
       }},
      {"view_infer_middle",
       [](const auto& v) {
         return view(v[0], {2, -1, 2});
       }},
      {"view_0dim",
       [](const auto& v) {
         return view(v[0], {1, 1});
       }},
      {"reshape_infer",
       [](const auto& v) {
         return reshape(v[0], {4, -1});
       }},
      {"reshape_transposed", [](const auto& v) { return transpose(v[0], 0, 2).reshape({-1}); }},
      {"transpose", [](const auto& v) { return transpose(v[0], 0, 2); }},
      {"transpose_negative", [](const auto& v) { return v[0].transpose(-1, -2); }},
      {"t", [](const auto& v) { return v[0].t(); }},
      {"permute",
       [](const auto& v) {
         return permute(v[0], {2, 0, 1});
       }},
      {"permute_negative",
       [](const auto& v) {
         return v[0].permute({-1, -3, -2});
       }},
      {"narrow", [](const auto& v) { return narrow(v[0], 1, 1, 2); }},
      {"narrow_negative_start", [](const auto& v) { return v[0].narrow(2, -3, 2); }},
      {"slice_step", [](const auto& v) { return slice(v[0], 1, 1, std::nullopt, 2); }},
      {"slice_step3_range", [](const auto& v) { return slice(v[0], 0, 1, 6, 3); }},
      {"slice_negative_bounds", [](const auto& v) { return v[0].slice(1, -4, -1); }},
      {"slice_empty", [](const auto& v) { return v[0].slice(1, 4, 2); }},
      {"select", [](const auto& v) { return select(v[0], 1, 2); }},
      {"select_negative", [](const auto& v) { return select(v[0], -1, -1); }},
      {"select_first", [](const auto& v) { return v[0][0]; }},
      {"expand",
       [](const auto& v) {
         return expand(v[0], {3, 2, 4});
       }},
      {"expand_keep",
       [](const auto& v) {
         return v[0].expand({2, -1, 3});
       }},
      {"expand_0dim",
       [](const auto& v) {
         return expand(v[0], {2, 3});
       }},
      {"squeeze_all", [](const auto& v) { return squeeze(v[0]); }},
      {"squeeze_dim", [](const auto& v) { return squeeze(v[0], 2); }},
      {"squeeze_dim_noop", [](const auto& v) { return v[0].squeeze(1); }},
      {"unsqueeze", [](const auto& v) { return unsqueeze(v[0], 1); }},
      {"unsqueeze_end", [](const auto& v) { return v[0].unsqueeze(-1); }},
      {"flatten", [](const auto& v) { return flatten(v[0]); }},
      {"flatten_range", [](const auto& v) { return flatten(v[0], 1, 2); }},
      {"flatten_transposed", [](const auto& v) { return v[0].transpose(0, 1).flatten(1); }},
      {"contiguous_transposed", [](const auto& v) { return contiguous(v[0].t()); }},
      {"clone", [](const auto& v) { return clone(v[0]); }},
      {"chain_transpose_slice_select",
       [](const auto& v) {
         return v[0].transpose(0, 1).slice(0, std::nullopt, std::nullopt, 2).select(1, -1);
       }},
      {"chain_permute_view_narrow",
       [](const auto& v) {
         return v[0].permute({1, 0, 2}).reshape({3, 8}).narrow(1, 2, 5);
       }},
      {"chain_expand_mul",
       [](const auto& v) {
         return v[0].unsqueeze(0).expand({3, 2, 4}) *
                arange(24, {.dtype = float64}).view({3, 2, 4});
       }},
      {"chain_slice_twice",
       [](const auto& v) {
         return v[0].slice(0, 1, std::nullopt)
                    .slice(1, std::nullopt, std::nullopt, 2)
                    .slice(1, 1, std::nullopt, 2) *
                3;
       }},
      {"chain_squeeze_unsqueeze_flatten",
       [](const auto& v) { return v[0].squeeze(0).unsqueeze(2).flatten(0, 1); }},
      {"chain_two_views_of_one_input",
       [](const auto& v) {
         return v[0].view({4, 3}).slice(0, 1, 3) + v[0].view({3, 4}).t().slice(0, 1, 3);
       }},
      {"to_float64", [](const auto& v) { return to_dtype(v[0], float64) * 2; }},
      {"to_float32", [](const auto& v) { return v[0].to(float32) * 2; }},
      {"to_int64", [](const auto& v) { return v[0].to(int64); }},
      {"to_bool", [](const auto& v) { return to_dtype(v[0], bool_); }},
  };
  return fns;
}

TEST(ViewGolden, EveryCaseHasAFunctionAndViceVersa) {
  auto cases = testing::load_golden("view");
  for (const auto& [name, c] : cases) EXPECT_TRUE(golden_functions().count(name)) << name;
  for (const auto& [name, fn] : golden_functions()) EXPECT_TRUE(cases.count(name)) << name;
}

TEST(ViewGolden, MatchesPyTorch) {
  for (const auto& [name, c] : testing::load_golden("view")) {
    auto it = golden_functions().find(name);
    if (it == golden_functions().end()) continue;
    Dtype expected = c.outputs.at(0).dtype();
    Dtype got = expected;
    // float64: exact up to summation order (expand's gradient is a sum); float32: products and
    // the float64 -> float32 rounding.
    bool f32 = expected == float32 || c.inputs[0].dtype() == float32;
    testing::check_golden(
        c,
        [&](const std::vector<Tensor>& v) {
          Tensor y = it->second(v);
          got = y.dtype();
          return y;
        },
        f32 ? 1e-6 : 1e-14, f32 ? 1e-6 : 1e-15);
    EXPECT_EQ(got, expected) << name;
  }
}

// ---------------------------------------------------------------------------------------------
// Gradient checks (float64). Each view's output is multiplied by a ramp in the checks, so a
// gradient sent to the wrong element cannot pass by symmetry.

void expect_gradcheck(const Fn& fn, const std::vector<Tensor>& inputs, bool second_order = false) {
  autograd::GradcheckOptions options;
  options.check_second_order = second_order;
  auto result = autograd::gradcheck(fn, inputs, options);
  EXPECT_TRUE(result.ok) << result.message;
}

Tensor param(const Shape& shape) {
  return randn(shape, {.dtype = float64}).detach().requires_grad_(true);
}

Tensor ramp(const Tensor& y) {
  return y * (arange(y.numel(), {.dtype = float64}).reshape(y.shape()) + 1);
}

const std::map<std::string, std::function<Tensor(const Tensor&)>>& views_of_2x3x4() {
  static const std::map<std::string, std::function<Tensor(const Tensor&)>> v = {
      // Splits the last dim only, which any layout allows (merging is reshape's job below).
      {"view",
       [](const Tensor& x) {
         return x.view({2, -1, 2, 2});
       }},
      {"reshape",
       [](const Tensor& x) {
         return x.reshape({4, 6});
       }},
      {"reshape_infer",
       [](const Tensor& x) {
         return x.reshape({-1, 8});
       }},
      {"transpose", [](const Tensor& x) { return x.transpose(0, 2); }},
      {"permute",
       [](const Tensor& x) {
         return x.permute({1, 2, 0});
       }},
      {"narrow", [](const Tensor& x) { return x.narrow(2, 1, 2); }},
      {"slice_step", [](const Tensor& x) { return x.slice(2, 0, std::nullopt, 3); }},
      {"select_negative", [](const Tensor& x) { return x.select(1, -2); }},
      {"expand",
       [](const Tensor& x) {
         return x.unsqueeze(1).expand({2, 3, 3, 4});
       }},
      {"squeeze", [](const Tensor& x) { return x.narrow(1, 0, 1).squeeze(1); }},
      {"squeeze_all", [](const Tensor& x) { return x.narrow(1, 2, 1).squeeze(); }},
      {"unsqueeze", [](const Tensor& x) { return x.unsqueeze(-2); }},
      {"flatten", [](const Tensor& x) { return x.flatten(0, 1); }},
      {"contiguous", [](const Tensor& x) { return x.transpose(0, 1).contiguous(); }},
      {"clone", [](const Tensor& x) { return x.clone(); }},
      {"unflatten",
       [](const Tensor& x) {
         return x.unflatten(2, {2, 2});
       }},
  };
  return v;
}

TEST(ViewGradcheck, EveryView) {
  manual_seed(21);
  for (const auto& [name, fn] : views_of_2x3x4()) {
    SCOPED_TRACE(name);
    auto f = fn;
    expect_gradcheck([f](const auto& v) { return ramp(f(v[0])); }, {param({2, 3, 4})});
    // The same view of a non-contiguous input (a permuted [4, 2, 3] leaf).
    expect_gradcheck(
        [f](const auto& v) {
          return ramp(f(v[0].permute({1, 2, 0})));
        },
        {param({4, 2, 3})});
    // ... and of an input sliced with a step.
    expect_gradcheck([f](const auto& v) { return ramp(f(v[0].slice(1, 1, std::nullopt, 2))); },
                     {param({2, 7, 4})});
  }
}

TEST(ViewGradcheck, ChainsOfViews) {
  manual_seed(22);
  expect_gradcheck(
      [](const auto& v) {
        return ramp(
            v[0].transpose(0, 2).slice(0, 1, std::nullopt, 2).reshape({-1, 2}).select(1, 0));
      },
      {param({2, 3, 4})});
  expect_gradcheck(
      [](const auto& v) {
        return ramp(
            v[0].unsqueeze(0).expand({2, 3, 4}).permute({2, 0, 1}).flatten().narrow(0, 3, 10));
      },
      {param({3, 4})});
  // One input seen through two views at once: both gradients accumulate.
  expect_gradcheck(
      [](const auto& v) {
        return ramp(v[0].view({3, 4}) * v[0].view({4, 3}).t());
      },
      {param({12})});
}

// Second order: the backward of each view must itself be differentiable. The views feed a
// product with themselves so the gradient depends on the input.
TEST(ViewGradcheck, SecondOrderThroughChains) {
  manual_seed(23);
  auto chain = [](const Tensor& x) {
    return x.transpose(0, 1)
        .slice(0, 0, std::nullopt, 2)
        .select(-1, 1)
        .unsqueeze(0)
        .expand({2, 2, 2});
  };
  expect_gradcheck([chain](const auto& v) { return ramp(chain(v[0]) * chain(v[0])); },
                   {param({2, 3, 4})}, true);
  auto chain2 = [](const Tensor& x) {
    return x.permute({2, 0, 1}).reshape({4, 6}).narrow(1, 1, 4).flatten().view({2, 8});
  };
  expect_gradcheck([chain2](const auto& v) { return ramp(chain2(v[0]) * chain2(v[0]).clone()); },
                   {param({2, 3, 4})}, true);
  expect_gradcheck(
      [](const auto& v) {
        return ramp(v[0].squeeze().t() * v[1].expand({3, 2}).contiguous());
      },
      {param({2, 1, 3}), param({1, 2})}, true);
}

// to(dtype) through float32 and back: the round trip rounds to float32, so the finite
// differences need a wide step and a tolerance above float32's resolution.
TEST(ViewGradcheck, ToDtypeRoundTrip) {
  manual_seed(24);
  autograd::GradcheckOptions options;
  options.eps = 1e-2;
  options.atol = 1e-3;
  options.check_second_order = true;
  auto result = autograd::gradcheck(
      [](const auto& v) {
        Tensor y = to_dtype(v[0].t(), float32);
        return to_dtype(y * y, float64);
      },
      {param({3, 2})}, options);
  EXPECT_TRUE(result.ok) << result.message;
}

// ---------------------------------------------------------------------------------------------
// Geometry: which ops share storage, and with which strides.

TEST(View, ViewsShareStorage) {
  Tensor x = arange(24).reshape({2, 3, 4});
  for (const auto& [name, fn] : views_of_2x3x4()) {
    if (name == "contiguous" || name == "clone") continue;
    EXPECT_EQ(fn(x).storage(), x.storage()) << name;
  }
  EXPECT_NE(x.clone().storage(), x.storage());
  EXPECT_EQ(x.contiguous().storage(), x.storage());  // already contiguous: itself
  EXPECT_NE(x.transpose(0, 1).contiguous().storage(), x.storage());
  // A write through a view is visible in the base.
  x.select(1, 1).narrow(1, 1, 2).fill_(-1);
  EXPECT_EQ(x.at<float>({0, 1, 1}), -1);
  EXPECT_EQ(x.at<float>({1, 1, 2}), -1);
  EXPECT_EQ(x.at<float>({1, 1, 3}), 7 + 12);
}

TEST(View, StridesAndOffsets) {
  Tensor x = arange(24).reshape({2, 3, 4});
  Tensor t = x.transpose(0, 2);
  EXPECT_EQ(t.shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(t.strides(), (Shape{1, 4, 12}));
  EXPECT_FALSE(t.is_contiguous());
  Tensor s = x.slice(2, 1, std::nullopt, 2);
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.strides(), (Shape{12, 4, 2}));
  EXPECT_EQ(s.storage_offset(), 1);
  Tensor sel = x.select(1, -1);
  EXPECT_EQ(sel.shape(), (Shape{2, 4}));
  EXPECT_EQ(sel.storage_offset(), 8);
  Tensor e = x.select(2, 0).unsqueeze(0).expand({5, 2, 3});
  EXPECT_EQ(e.strides(), (Shape{0, 12, 4}));
  Tensor p = x.permute({2, 0, 1});
  EXPECT_EQ(p.strides(), (Shape{1, 12, 4}));
  // Slices clamp their bounds like Python's.
  EXPECT_EQ(x.slice(2, -100, 100).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(x.slice(2, 3, 1).shape(), (Shape{2, 3, 0}));
  EXPECT_EQ(x.slice(2, 1, std::nullopt, 10).shape(), (Shape{2, 3, 1}));
}

// view() works whenever PyTorch's does: splitting any dim, merging only dims contiguous with each
// other. The values read through the view are always the reshape's.
TEST(View, ViewOfNonContiguousTensors) {
  Tensor x = arange(24).reshape({2, 3, 4});
  Tensor t = x.transpose(0, 2);  // [4, 3, 2], strides [1, 4, 12]
  Tensor split = t.view({2, 2, 3, 2});
  EXPECT_EQ(split.storage(), x.storage());
  EXPECT_EQ(split.strides(), (Shape{2, 1, 4, 12}));
  EXPECT_TRUE(equal(split, t.contiguous().view({2, 2, 3, 2})));
  // Dims 1 and 2 of a narrowed tensor stay contiguous with each other: they merge.
  Tensor n = x.narrow(0, 1, 1).narrow(1, 1, 2);  // [1, 2, 4], strides [12, 4, 1]
  Tensor merged = n.view({8});
  EXPECT_EQ(merged.storage(), x.storage());
  EXPECT_EQ(to_vector<float>(merged), (std::vector<float>{16, 17, 18, 19, 20, 21, 22, 23}));
  // Size-1 dims may carry any stride.
  Tensor one = x.select(2, 0).unsqueeze(2);  // [2, 3, 1]
  EXPECT_TRUE(equal(one.view({6}), tensor({0, 4, 8, 12, 16, 20})));
  // An expanded dim can be split but not merged with its neighbour.
  Tensor e = tensor({1, 2}).unsqueeze(1).expand({2, 4});
  EXPECT_EQ(e.view({2, 2, 2}).strides(), (Shape{1, 0, 0}));
  EXPECT_THROW(e.view({8}), ShapeError);
  EXPECT_EQ(to_vector<float>(e.reshape({8})), (std::vector<float>{1, 1, 1, 1, 2, 2, 2, 2}));
  // Zero-size and 0-dim tensors.
  EXPECT_EQ(zeros({0, 3}).view({3, 0, 5}).shape(), (Shape{3, 0, 5}));
  EXPECT_EQ(zeros({0, 3}).view({-1, 3}).shape(), (Shape{0, 3}));
  EXPECT_EQ(full({}, 2.0).view({1}).shape(), (Shape{1}));
  EXPECT_EQ(zeros({1, 1}).view({}).dim(), 0);
}

TEST(View, ReshapeCopiesOnlyWhenItMust) {
  Tensor x = arange(12).reshape({3, 4});
  EXPECT_EQ(x.reshape({2, 6}).storage(), x.storage());
  Tensor r = x.t().reshape({12});
  EXPECT_NE(r.storage(), x.storage());
  EXPECT_EQ(to_vector<float>(r), (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_EQ(x.t().flatten().storage() == x.storage(), false);
  EXPECT_EQ(x.flatten().storage(), x.storage());
  EXPECT_EQ(full({}, 3.0).flatten().shape(), (Shape{1}));  // as in PyTorch
}

TEST(View, SqueezeAndUnsqueeze) {
  Tensor x = zeros({1, 3, 1, 2});
  EXPECT_EQ(x.squeeze().shape(), (Shape{3, 2}));
  EXPECT_EQ(x.squeeze(0).shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(x.squeeze(-2).shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(x.squeeze(1).shape(), (Shape{1, 3, 1, 2}));  // not size 1: unchanged
  EXPECT_EQ(x.unsqueeze(0).shape(), (Shape{1, 1, 3, 1, 2}));
  EXPECT_EQ(x.unsqueeze(4).shape(), (Shape{1, 3, 1, 2, 1}));
  EXPECT_EQ(x.unsqueeze(-1).shape(), (Shape{1, 3, 1, 2, 1}));
  EXPECT_EQ(full({}, 1.0).unsqueeze(0).shape(), (Shape{1}));
  EXPECT_EQ(full({}, 1.0).squeeze().dim(), 0);
  EXPECT_EQ(full({}, 1.0).squeeze(0).dim(), 0);
  EXPECT_EQ(zeros({1, 1}).squeeze().dim(), 0);
}

TEST(View, ToDtype) {
  Tensor x = tensor({1.5, -2.7, 0});
  EXPECT_TRUE(x.to(float32).is_same(x));  // same dtype: the tensor itself, as in PyTorch
  Tensor d = x.to(float64);
  EXPECT_EQ(d.dtype(), float64);
  EXPECT_EQ(to_vector<double>(d), (std::vector<double>{1.5, static_cast<float>(-2.7), 0}));
  EXPECT_EQ(to_vector<int64_t>(x.to(int64)), (std::vector<int64_t>{1, -2, 0}));  // truncates
  EXPECT_EQ(to_vector<int64_t>(x.to(bool_)), (std::vector<int64_t>{1, 1, 0}));
  // Gradients come back in the source dtype, through both directions.
  Tensor w = tensor({1, 2}, {.requires_grad = true});
  Tensor y = w.to(float64) * tensor({3, 4}, {.dtype = float64});
  sum(y).backward();
  EXPECT_EQ(w.grad().dtype(), float32);
  EXPECT_EQ(to_vector<float>(w.grad()), (std::vector<float>{3, 4}));
  Tensor w64 = tensor({1, 2}, {.dtype = float64, .requires_grad = true});
  sum(to_dtype(to_dtype(w64, float32), float64) * 2).backward();
  EXPECT_EQ(w64.grad().dtype(), float64);
  EXPECT_EQ(to_vector<double>(w64.grad()), (std::vector<double>{2, 2}));
  // Integer results leave the graph.
  EXPECT_FALSE(w.to(int64).requires_grad());
  EXPECT_FALSE(w.to(bool_).requires_grad());
  // Non-contiguous sources convert element by element.
  Tensor m = arange(6, {.dtype = int64}).reshape({2, 3}).t().to(float64);
  EXPECT_TRUE(m.is_contiguous());
  EXPECT_EQ(to_vector<double>(m), (std::vector<double>{0, 3, 1, 4, 2, 5}));
}

TEST(View, GradientFlowsOnlyToViewedElements) {
  Tensor x = zeros({3, 4}, {.requires_grad = true});
  sum(x.slice(1, 1, std::nullopt, 2).select(0, -1)).backward();
  EXPECT_EQ(to_vector<float>(x.grad()), (std::vector<float>{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1}));
  Tensor y = zeros({2, 1}, {.requires_grad = true});
  sum(y.expand({3, 2, 5})).backward();
  EXPECT_EQ(to_vector<float>(y.grad()), (std::vector<float>{15, 15}));
}

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(ViewErrors, ViewIncompatibleWithStridesSuggestsReshape) {
  Tensor t = zeros({3, 4}).t();
  EXPECT_THROW_WITH(t.view({12}), ShapeError, "view", "[4, 3]", "reshape");
  EXPECT_THROW_WITH(view(zeros({2, 6}).slice(1, 0, 3), {6}), ShapeError, "view", "[2, 3]",
                    "strides [6, 1]", "reshape");
  // A uniformly stepped slice is still one stride: it views fine.
  EXPECT_EQ(view(zeros({2, 6}).slice(1, 0, std::nullopt, 2), {6}).strides(), (Shape{2}));
}

TEST(ViewErrors, ShapesThatDoNotFit) {
  Tensor x = zeros({2, 3, 4});
  EXPECT_THROW_WITH(x.view({5, 5}), ShapeError, "view", "[5, 5]", "24");
  EXPECT_THROW_WITH(x.reshape({7, -1}), ShapeError, "reshape", "[7, -1]", "24");
  EXPECT_THROW_WITH(x.view({-1, -1}), ShapeError, "view", "-1");
  EXPECT_THROW_WITH(x.reshape({-2, 12}), ShapeError, "reshape", "[-2, 12]");
  EXPECT_THROW_WITH(zeros({0, 3}).view({-1, 0}), ShapeError, "view");
  EXPECT_THROW_WITH(x.expand({2, 5, 4}), ShapeError, "expand", "[2, 3, 4]", "[2, 5, 4]");
  EXPECT_THROW_WITH(x.expand({3, 4}), ShapeError, "expand", "fewer dims");
  EXPECT_THROW_WITH(x.expand({-1, 2, 3, 4}), ShapeError, "expand");
  EXPECT_THROW_WITH(zeros({1}).expand({-3}), ShapeError, "expand", "-3");
  EXPECT_THROW_WITH(x.permute({0, 1}), ShapeError, "permute", "[2, 3, 4]", "[0, 1]");
  EXPECT_THROW_WITH(x.permute({0, 1, 1}), ValueError, "permute", "repeat");
  EXPECT_THROW_WITH(x.t(), ShapeError, "t", "[2, 3, 4]");
  EXPECT_THROW_WITH(x.unflatten(2, {3, 2}), ShapeError, "unflatten", "[3, 2]");
}

TEST(ViewErrors, BadDimsAndIndices) {
  Tensor x = zeros({2, 3, 4});
  EXPECT_THROW_WITH(x.transpose(0, 3), IndexError, "transpose", "3");
  EXPECT_THROW_WITH(x.transpose(-4, 0), IndexError, "transpose", "-4");
  EXPECT_THROW_WITH(x.permute({0, 1, 3}), IndexError, "permute");
  EXPECT_THROW_WITH(x.select(3, 0), IndexError, "select");
  EXPECT_THROW_WITH(x.select(1, 3), IndexError, "select", "index 3", "size 3");
  EXPECT_THROW_WITH(x.select(1, -4), IndexError, "select", "-4");
  EXPECT_THROW_WITH(x[2], IndexError, "select");
  EXPECT_THROW_WITH(full({}, 1.0).select(0, 0), IndexError, "select", "0-dim");
  EXPECT_THROW_WITH(x.narrow(2, 3, 2), IndexError, "narrow", "size 4");
  EXPECT_THROW_WITH(x.narrow(2, -5, 1), IndexError, "narrow");
  EXPECT_THROW_WITH(x.narrow(2, 0, -1), IndexError, "narrow");
  EXPECT_THROW_WITH(x.narrow(5, 0, 1), IndexError, "narrow");
  EXPECT_THROW_WITH(x.slice(3, 0, 1), IndexError, "slice");
  EXPECT_THROW_WITH(x.slice(0, 0, 1, 0), ValueError, "slice", "step");
  EXPECT_THROW_WITH(x.slice(0, 0, 1, -1), ValueError, "slice", "step");
  EXPECT_THROW_WITH(full({}, 1.0).slice(0, 0, 1), IndexError, "slice", "0-dim");
  EXPECT_THROW_WITH(x.squeeze(3), IndexError, "squeeze");
  EXPECT_THROW_WITH(full({}, 1.0).squeeze(1), IndexError, "squeeze");
  EXPECT_THROW_WITH(x.unsqueeze(4), IndexError, "unsqueeze");
  EXPECT_THROW_WITH(x.unsqueeze(-5), IndexError, "unsqueeze");
  EXPECT_THROW_WITH(x.flatten(0, 3), IndexError, "flatten");
  EXPECT_THROW_WITH(x.flatten(2, 1), ValueError, "flatten", "start_dim");
}

}  // namespace
}  // namespace cajal
