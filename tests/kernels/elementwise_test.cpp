// kernels::map / map2 / map3 / copy / convert against plain reference loops written here: random
// shapes with odd sizes, non-contiguous, broadcast and expanded operands, non-contiguous outputs,
// tensors big enough for the OpenMP path, and identical results for 1 and 2 threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/kernels/elementwise.h"
#include "support/golden.h"

namespace cajal {
namespace {

// ---------------------------------------------------------------------------------------------
// The reference: walk the output's multi-index in row-major order and read every operand
// through its own shape and strides (size-1 and missing leading dims broadcast).

int64_t offset_of(const Tensor& t, const Shape& index) {
  int64_t lead = static_cast<int64_t>(index.size()) - t.dim();
  int64_t offset = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.shape()[d] != 1) offset += index[lead + d] * t.strides()[d];
  }
  return offset;
}

// Calls body(index) for every multi-index of `shape` in row-major order.
template <typename Body>
void for_each_index(const Shape& shape, Body body) {
  int64_t n = shape_numel(shape);
  Shape index(shape.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    body(index);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

// Storage offsets of t's elements read as `shape` (a broadcast of t's), in row-major order.
// The same walk as for_each_index, with the offset carried along instead of recomputed.
std::vector<int64_t> offsets(const Tensor& t, const Shape& shape) {
  const int64_t rank = static_cast<int64_t>(shape.size()), lead = rank - t.dim();
  Shape strides(rank, 0);
  for (int64_t d = 0; d < t.dim(); ++d) {
    strides[lead + d] = t.shape()[d] == 1 ? 0 : t.strides()[d];
  }
  std::vector<int64_t> out;
  out.reserve(shape_numel(shape));
  Shape index(rank, 0);
  int64_t offset = t.storage_offset();
  for (int64_t k = 0; k < shape_numel(shape); ++k) {
    out.push_back(offset);
    for (int64_t d = rank - 1; d >= 0; --d) {
      offset += strides[d];
      if (++index[d] < shape[d]) break;
      offset -= index[d] * strides[d];
      index[d] = 0;
    }
  }
  return out;
}

template <typename T>
const T* base_of(const Tensor& t) {
  return static_cast<const T*>(t.storage()->data());
}

template <typename T>
T read(const Tensor& t, const Shape& index) {
  return base_of<T>(t)[offset_of(t, index)];
}

// Row-major values of f(a, b) over the broadcast shape.
template <typename T, typename F>
std::vector<T> reference_map2(const Tensor& a, const Tensor& b, const Shape& shape, F f) {
  std::vector<int64_t> oa = offsets(a, shape), ob = offsets(b, shape);
  const T* pa = base_of<T>(a);
  const T* pb = base_of<T>(b);
  std::vector<T> out(oa.size());
  for (size_t k = 0; k < oa.size(); ++k) out[k] = f(pa[oa[k]], pb[ob[k]]);
  return out;
}

// Row-major values of t (through its strides).
template <typename T>
std::vector<T> values(const Tensor& t) {
  std::vector<T> out;
  const T* p = base_of<T>(t);
  for (int64_t o : offsets(t, t.shape())) out.push_back(p[o]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Operands in many layouts, all with the given logical shape and deterministic contents.

enum class Layout { contiguous, transposed, stepped, offset, expanded };
const char* layout_name(Layout l) {
  switch (l) {
    case Layout::contiguous:
      return "contiguous";
    case Layout::transposed:
      return "transposed";
    case Layout::stepped:
      return "stepped";
    case Layout::offset:
      return "offset";
    case Layout::expanded:
      return "expanded";
  }
  return "?";
}

// A float64 tensor of `shape` laid out as `layout`, holding random values.
Tensor make_operand(const Shape& shape, Layout layout) {
  switch (layout) {
    case Layout::contiguous:
      return randn(shape, {.dtype = float64});
    case Layout::transposed: {
      // Reverse the dims of a contiguous tensor of the reversed shape.
      Shape reversed(shape.rbegin(), shape.rend());
      Dims order;
      for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) order.push_back(d);
      return randn(reversed, {.dtype = float64}).permute(order);
    }
    case Layout::stepped: {
      // Every second element of a tensor twice as long in the last dim, and every third row.
      if (shape.empty()) return randn(shape, {.dtype = float64});
      Shape big = shape;
      big.back() *= 2;
      if (big.size() > 1) big[0] *= 3;
      Tensor t = randn(big, {.dtype = float64}).slice(-1, 1, std::nullopt, 2);
      return big.size() > 1 ? t.slice(0, 0, std::nullopt, 3) : t;
    }
    case Layout::offset: {
      // A window into a bigger tensor: non-zero storage offset, row stride longer than the row.
      if (shape.empty()) return randn({3}, {.dtype = float64}).select(0, 2);
      Shape big = shape;
      for (int64_t& d : big) d += 2;
      Tensor t = randn(big, {.dtype = float64});
      for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) t = t.narrow(d, 1, shape[d]);
      return t;
    }
    case Layout::expanded: {
      // Stride 0 along the first dim of size > 1 (the values repeat along it).
      Shape small = shape;
      for (int64_t& d : small) {
        if (d > 1) {
          d = 1;
          break;
        }
      }
      return randn(small, {.dtype = float64}).expand(shape);
    }
  }
  return Tensor();
}

const std::vector<Layout> all_layouts = {Layout::contiguous, Layout::transposed, Layout::stepped,
                                         Layout::offset, Layout::expanded};

// Shapes with the odd sizes 1, 3, 17 and 1031 at various ranks; the last few exceed
// kernels::parallel_grain (32768), so the threaded loops run.
const std::vector<Shape> shapes = {
    {},          {1},           {3},        {17},          {1031},        {1, 1},
    {3, 1},      {1, 17},       {17, 3},    {3, 17, 1},    {1, 3, 1, 17}, {3, 1031},
    {17, 3, 17}, {2, 3, 17, 3}, {1031, 37}, {3, 17, 1031}, {40000},       {33, 1031}};

double mix(double x, double y) { return x * y + std::sin(x) - 0.5 * y; }

TEST(Map2, MatchesTheReferenceForEveryLayoutPair) {
  manual_seed(31);
  for (const Shape& shape : shapes) {
    for (Layout la : all_layouts) {
      for (Layout lb : all_layouts) {
        // Every pair for small shapes; for big ones (time) each layout against two others.
        if (shape_numel(shape) > 20000 && lb != la && lb != Layout::transposed) continue;
        SCOPED_TRACE(shape_string(shape) + " " + layout_name(la) + " x " + layout_name(lb));
        Tensor a = make_operand(shape, la);
        Tensor b = make_operand(shape, lb);
        Tensor out = empty(shape, float64);
        kernels::map2<double, double, double>(a, b, out, mix);
        std::vector<double> expected = reference_map2<double>(a, b, shape, mix);
        ASSERT_EQ(values<double>(out), expected);
      }
    }
  }
}

// Broadcasting: operands with size-1 dims and fewer dims than the output.
TEST(Map2, Broadcasting) {
  manual_seed(32);
  struct Case {
    Shape a, b;
  };
  std::vector<Case> cases = {{{3, 1, 17}, {1031, 1}}, {{17}, {3, 17}},
                             {{}, {1031, 37}},        {{1031, 1}, {1, 37}},
                             {{1, 1, 1}, {3}},        {{3, 1}, {1, 17}},
                             {{40000}, {}},           {{2, 1, 3, 1}, {17, 1, 103}},
                             {{1, 1031}, {1031, 1}},  {{17, 3, 1}, {3, 1031}}};
  for (const Case& c : cases) {
    for (Layout la : {Layout::contiguous, Layout::transposed, Layout::stepped}) {
      SCOPED_TRACE(shape_string(c.a) + " with " + shape_string(c.b) + " " + layout_name(la));
      Shape shape = broadcast_shapes(c.a, c.b, "test");
      Tensor a = make_operand(c.a, la);
      Tensor b = make_operand(c.b, Layout::offset);
      Tensor out = empty(shape, float64);
      kernels::map2<double, double, double>(a, b, out, mix);
      ASSERT_EQ(values<double>(out), reference_map2<double>(a, b, shape, mix));
      // And with the operands swapped.
      kernels::map2<double, double, double>(b, a, out, mix);
      ASSERT_EQ(values<double>(out), reference_map2<double>(b, a, shape, mix));
    }
  }
}

// The output may be a non-contiguous view: only its elements are written.
TEST(Map2, NonContiguousOutput) {
  manual_seed(33);
  for (const Shape& shape : {Shape{3, 17}, Shape{1031, 37}, Shape{17, 3, 17}}) {
    SCOPED_TRACE(shape_string(shape));
    Tensor a = make_operand(shape, Layout::contiguous);
    Tensor b = make_operand(shape, Layout::expanded);
    for (Layout lo : {Layout::transposed, Layout::stepped, Layout::offset}) {
      Tensor out = make_operand(shape, lo);
      // Remember every storage element so we can see nothing outside `out` changed.
      int64_t storage_elements = static_cast<int64_t>(out.storage()->bytes() / sizeof(double));
      std::vector<double> before(storage_elements);
      std::memcpy(before.data(), out.storage()->data(), storage_elements * sizeof(double));
      kernels::map2<double, double, double>(a, b, out, mix);
      ASSERT_EQ(values<double>(out), reference_map2<double>(a, b, shape, mix)) << layout_name(lo);
      // Elements of the storage that `out` does not cover are untouched.
      std::vector<bool> covered(storage_elements, false);
      for_each_index(shape, [&](const Shape& i) { covered[offset_of(out, i)] = true; });
      const double* now = static_cast<const double*>(out.storage()->data());
      for (int64_t k = 0; k < storage_elements; ++k) {
        if (!covered[k]) {
          ASSERT_EQ(now[k], before[k]) << layout_name(lo) << " element " << k;
        }
      }
    }
  }
}

// Mixed element types and a functor that changes the type (a comparison giving bool).
TEST(Map2, MixedTypes) {
  manual_seed(34);
  Shape shape{17, 1031};
  Tensor a = randint(-50, 50, shape).t();  // int64, transposed
  Tensor b = randn({1031}, {.dtype = float32});
  Tensor out = empty({1031, 17}, bool_);
  auto less = [](int64_t x, float y) { return static_cast<float>(x) < y * 20; };
  kernels::map2<bool, int64_t, float>(a, b.unsqueeze(1), out, less);
  std::vector<bool> expected;
  for_each_index(out.shape(), [&](const Shape& i) {
    expected.push_back(less(read<int64_t>(a, i), read<float>(b.unsqueeze(1), i)));
  });
  std::vector<bool> got;
  for_each_index(out.shape(), [&](const Shape& i) { got.push_back(read<bool>(out, i)); });
  EXPECT_EQ(got, expected);
}

TEST(Map, MatchesTheReference) {
  manual_seed(35);
  for (const Shape& shape : shapes) {
    for (Layout l : all_layouts) {
      SCOPED_TRACE(shape_string(shape) + " " + layout_name(l));
      Tensor x = make_operand(shape, l);
      Tensor out = empty(shape, float32);
      auto f = [](double v) { return static_cast<float>(std::exp(-v * v)); };
      kernels::map<float, double>(x, out, f);
      std::vector<float> expected;
      for (double v : values<double>(x)) expected.push_back(f(v));
      ASSERT_EQ(values<float>(out), expected);
    }
  }
}

TEST(Map3, MatchesTheReference) {
  manual_seed(36);
  for (const Shape& shape : {Shape{3}, Shape{17, 3}, Shape{3, 17, 1031}, Shape{1031, 37}}) {
    for (Layout l : all_layouts) {
      SCOPED_TRACE(shape_string(shape) + " " + layout_name(l));
      // A bool condition with the same geometry as a float operand of layout l, about half true.
      Tensor like = make_operand(shape, l);
      int64_t storage_elements = static_cast<int64_t>(like.storage()->bytes() / sizeof(double));
      Tensor flat = make_view(like, {storage_elements}, {1}, 0);
      Tensor base = empty({storage_elements}, bool_);
      kernels::map<bool, double>(flat, base, [](double v) { return v > 0; });
      Tensor condition = make_view(base, like.shape(), like.strides(), like.storage_offset());
      Tensor a = make_operand(shape, Layout::transposed);
      Tensor b = make_operand({shape.back()}, Layout::contiguous);  // broadcast along rows
      Tensor out = empty(shape, float64);
      auto pick = [](bool k, double x, double y) { return k ? x : y; };
      kernels::map3<double, bool, double, double>(condition, a, b, out, pick);
      std::vector<double> expected;
      for_each_index(shape, [&](const Shape& i) {
        expected.push_back(pick(read<bool>(condition, i), read<double>(a, i), read<double>(b, i)));
      });
      ASSERT_EQ(values<double>(out), expected);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// copy and convert.

TEST(Copy, AnyLayoutAndBroadcast) {
  manual_seed(37);
  for (const Shape& shape : shapes) {
    for (Layout ls : all_layouts) {
      for (Layout ld : {Layout::contiguous, Layout::transposed, Layout::stepped, Layout::offset}) {
        if (shape_numel(shape) > 20000 && ld != Layout::stepped && ls != Layout::contiguous) {
          continue;
        }
        SCOPED_TRACE(shape_string(shape) + " " + layout_name(ls) + " -> " + layout_name(ld));
        Tensor source = make_operand(shape, ls);
        Tensor dest = make_operand(shape, ld);
        kernels::copy(source, dest);
        ASSERT_EQ(values<double>(dest), values<double>(source));
      }
    }
  }
  // A broadcast source fills every row.
  Tensor row = randn({1031}, {.dtype = float64});
  Tensor dest = empty({37, 1031}, float64).t().t();
  kernels::copy(row, dest);
  std::vector<double> r = values<double>(row), d = values<double>(dest);
  for (size_t k = 0; k < d.size(); ++k) ASSERT_EQ(d[k], r[k % 1031]) << k;
  kernels::copy(full({}, 2.5, {.dtype = float64}), dest);
  for (double v : values<double>(dest)) ASSERT_EQ(v, 2.5);
}

TEST(Copy, ConvertsElementTypes) {
  Tensor f = tensor({-2.7, -0.5, 0, 0.25, 3.9, 255});
  Tensor i = empty({6}, int64);
  kernels::copy(f, i);
  EXPECT_EQ(values<int64_t>(i), (std::vector<int64_t>{-2, 0, 0, 0, 3, 255}));  // truncation
  Tensor b = empty({6}, bool_);
  kernels::copy(f, b);
  EXPECT_EQ(values<bool>(b), (std::vector<bool>{true, true, false, true, true, true}));
  Tensor u = empty({6}, uint8);
  kernels::copy(tensor({0, 1, 7, 100, 200, 255}, {.dtype = int64}), u);
  EXPECT_EQ(values<uint8_t>(u), (std::vector<uint8_t>{0, 1, 7, 100, 200, 255}));
  Tensor d = empty({2, 3}, float64);
  kernels::copy(tensor({1, 0, 1, 1, 0, 0}, {.dtype = bool_}).view({3, 2}).t(), d);
  EXPECT_EQ(values<double>(d), (std::vector<double>{1, 1, 0, 0, 1, 0}));
}

TEST(Convert, ReturnsItselfOnlyWhenNothingChanges) {
  Tensor x = randn({3, 17}, {.dtype = float64});
  EXPECT_TRUE(kernels::convert(x, float64).is_same(x));
  Tensor t = x.t();
  Tensor ct = kernels::convert(t, float64);
  EXPECT_FALSE(ct.is_same(t));
  EXPECT_TRUE(ct.is_contiguous());
  EXPECT_EQ(values<double>(ct), values<double>(t));
  Tensor f = kernels::convert(t, float32);
  EXPECT_EQ(f.dtype(), float32);
  EXPECT_TRUE(f.is_contiguous());
  std::vector<double> src = values<double>(t);
  std::vector<float> got = values<float>(f);
  for (size_t k = 0; k < src.size(); ++k) ASSERT_EQ(got[k], static_cast<float>(src[k]));
}

// ---------------------------------------------------------------------------------------------
// Threads: the parallel path runs for big tensors, and the thread count never changes a result.

class Threads : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = get_num_threads(); }
  void TearDown() override { set_num_threads(saved_); }
  int saved_ = 1;
};

TEST_F(Threads, BigTensorsRunInParallelAndGiveIdenticalResults) {
  manual_seed(38);
  for (const Shape& shape : {Shape{40000}, Shape{1031, 37}, Shape{3, 17, 1031}, Shape{33, 1031}}) {
    for (Layout l : all_layouts) {
      SCOPED_TRACE(shape_string(shape) + " " + layout_name(l));
      Tensor a = make_operand(shape, l);
      Tensor b = make_operand(shape, Layout::transposed);
      std::vector<std::vector<double>> results;
      for (int threads : {1, 2}) {
        set_num_threads(threads);
        std::atomic<bool> in_parallel{false};
        Tensor out = empty(shape, float64);
        kernels::map2<double, double, double>(a, b, out, [&](double x, double y) {
          if (omp_in_parallel()) in_parallel = true;
          return mix(x, y);
        });
        EXPECT_EQ(in_parallel.load(), threads > 1) << threads << " threads";
        results.push_back(values<double>(out));
      }
      ASSERT_EQ(results[0], results[1]);
      ASSERT_EQ(results[0], reference_map2<double>(a, b, shape, mix));
    }
  }
}

TEST_F(Threads, SmallTensorsStayOnOneThread) {
  set_num_threads(2);
  std::atomic<bool> in_parallel{false};
  Tensor a = randn({17, 1031}, {.dtype = float64});  // 17527 < parallel_grain
  Tensor out = empty(a.shape(), float64);
  kernels::map<double, double>(a, out, [&](double v) {
    if (omp_in_parallel()) in_parallel = true;
    return v;
  });
  EXPECT_FALSE(in_parallel.load());
}

// Ops built on the kernels give the same values for 1 and 2 threads, forward and backward.
TEST_F(Threads, OpsAreIndependentOfTheThreadCount) {
  manual_seed(39);
  Tensor x0 = randn({1031, 37}, {.dtype = float32});
  Tensor w0 = randn({37}, {.dtype = float32});
  std::vector<std::vector<float>> outs, grads;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    Tensor x = x0.clone().requires_grad_(true);
    Tensor y = tanh(x.t() * 2.0f).t() * w0 + exp(x) / (abs(x) + 1) - sigmoid(x);
    outs.push_back(to_vector<float>(y));
    y.backward(ones_like(y));
    grads.push_back(to_vector<float>(x.grad()));
  }
  EXPECT_EQ(outs[0], outs[1]);
  EXPECT_EQ(grads[0], grads[1]);
}

}  // namespace
}  // namespace cajal
