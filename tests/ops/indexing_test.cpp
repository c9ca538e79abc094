// gather, scatter_add, index_select, masked_fill, one_hot, embedding and Tensor::index: PyTorch
// golden values and gradients, gradient checks (repeated indices, non-contiguous inputs, second
// order) and error messages.
#include <gtest/gtest.h>

#include <string>

#include "cajal/cajal.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::expect_error;

using autograd::gradcheck;
using autograd::GradcheckOptions;
using testing::check_golden;
using testing::GoldenCase;
using testing::tensors_close;

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// The op a golden case exercises, read from its name and parameters.
Fn golden_fn(const GoldenCase& c) {
  const std::string& n = c.name;
  auto dim = [&] { return static_cast<int64_t>(c.param("dim")); };
  if (starts_with(n, "gather_")) {
    int64_t d = dim();
    return [d](const std::vector<Tensor>& in) { return gather(in[0], d, in[1]); };
  }
  if (starts_with(n, "scatter_add_")) {
    int64_t d = dim();
    return [d](const std::vector<Tensor>& in) { return scatter_add(in[0], d, in[1], in[2]); };
  }
  if (starts_with(n, "index_select_")) {
    int64_t d = dim();
    return [d](const std::vector<Tensor>& in) { return index_select(in[0], d, in[1]); };
  }
  if (starts_with(n, "masked_fill")) {
    double value = c.param("value");
    if (n == "masked_fill_int64") {
      return [](const std::vector<Tensor>& in) { return masked_fill(in[0], in[1], 9); };
    }
    return [value](const std::vector<Tensor>& in) { return masked_fill(in[0], in[1], value); };
  }
  if (starts_with(n, "one_hot")) {
    int64_t classes = static_cast<int64_t>(c.param("num_classes"));
    return [classes](const std::vector<Tensor>& in) { return one_hot(in[0], classes); };
  }
  if (starts_with(n, "embedding_")) {
    std::optional<int64_t> padding;
    if (c.params_json.count("padding_idx")) padding = static_cast<int64_t>(c.param("padding_idx"));
    return [padding](const std::vector<Tensor>& in) { return embedding(in[0], in[1], padding); };
  }
  // Tensor::index: the same expressions as tools/golden/indexing.py.
  if (starts_with(n, "index_int_slice_")) {
    return [](const std::vector<Tensor>& in) { return in[0].index({1, Slice{0, 5, 2}}); };
  }
  if (starts_with(n, "index_negative_int_open_slices_")) {
    return [](const std::vector<Tensor>& in) {
      return in[0].index({-1, Slice{1, std::nullopt}, Slice{std::nullopt, -1}});
    };
  }
  if (starts_with(n, "index_newaxis_")) {
    return [](const std::vector<Tensor>& in) { return in[0].index({Slice{}, NewAxis{}, 2}); };
  }
  if (starts_with(n, "index_tensor_")) {
    return [](const std::vector<Tensor>& in) { return in[0].index({Slice{}, in[1]}); };
  }
  if (starts_with(n, "index_int_then_tensor_")) {
    return [](const std::vector<Tensor>& in) { return in[0].index({2, Slice{}, in[1]}); };
  }
  if (starts_with(n, "index_mask_full_")) {
    return [](const std::vector<Tensor>& in) { return in[0].index({in[1]}); };
  }
  if (starts_with(n, "index_mask_partial_")) {
    return [](const std::vector<Tensor>& in) { return in[0].index({Slice{1, 3}, in[1]}); };
  }
  return nullptr;
}

TEST(IndexingGolden, MatchesPyTorch) {
  auto cases = testing::load_golden("indexing");
  ASSERT_GE(cases.size(), 40u);
  for (const auto& [name, c] : cases) {
    Fn fn = golden_fn(c);
    ASSERT_TRUE(fn) << "no C++ op for golden case " << name;
    // Values are copied exactly; gradients add up repeated indices (float32 rounding).
    if (name.find("_f32") != std::string::npos)
      check_golden(c, fn, 1e-5, 1e-6);
    else
      check_golden(c, fn, 1e-12, 1e-12);
  }
}

Tensor leaf(const Shape& shape) { return randn(shape, {.dtype = float64}).requires_grad_(); }
Tensor ints(std::initializer_list<double> values) { return tensor(values, {.dtype = int64}); }
Tensor ints(std::initializer_list<std::initializer_list<double>> rows) {
  return tensor(rows, {.dtype = int64});
}

void expect_gradcheck(const Fn& fn, const std::vector<Tensor>& inputs, bool second_order = false) {
  GradcheckOptions options;
  options.check_second_order = second_order;
  auto result = gradcheck(fn, inputs, options);
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(Indexing, GatherScatterAddGradcheckRepeatedIndices) {
  manual_seed(11);
  Tensor index = ints({{2, 2, 0}, {1, 2, 2}, {0, 0, 0}, {2, 1, 2}});  // [4, 3], repeats
  // x read transposed ([3, 4] -> [4, 3]), gathered along dim 1.
  expect_gradcheck([index](const std::vector<Tensor>& in) { return gather(in[0].t(), 1, index); },
                   {leaf({3, 4})});
  expect_gradcheck([index](const std::vector<Tensor>& in) { return gather(in[0], 0, index.t()); },
                   {leaf({4, 4})});
  // Second order: the square makes gather's backward (a scatter_add) depend on x.
  expect_gradcheck(
      [index](const std::vector<Tensor>& in) {
        Tensor y = gather(in[0], 1, index);
        return y * y;
      },
      {leaf({4, 3})}, /*second_order=*/true);
  expect_gradcheck(
      [index](const std::vector<Tensor>& in) { return scatter_add(in[0].t(), 1, index, in[1]); },
      {leaf({3, 4}), leaf({4, 3})});
  // The index covers only part of src: the rest gets zero gradient.
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return scatter_add(in[0], 0, ints({{1, 1}, {0, 1}}), in[1].t());
      },
      {leaf({2, 3}), leaf({4, 3})});
  expect_gradcheck(
      [index](const std::vector<Tensor>& in) {
        Tensor y = scatter_add(in[0], 1, index, in[1] * in[1]);
        return y * in[0];
      },
      {leaf({4, 3}), leaf({4, 3})}, /*second_order=*/true);
}

TEST(Indexing, ScatterAddLeavesUnreachedSrcWithZeroGradient) {
  Tensor x = zeros({2, 2}, {.dtype = float64, .requires_grad = true});
  Tensor src = ones({3, 2}, {.dtype = float64, .requires_grad = true});
  Tensor y = scatter_add(x, 0, ints({{1, 1}}), src);
  EXPECT_EQ(to_vector<double>(y), (std::vector<double>{0, 0, 1, 1}));
  sum(y * tensor({{1, 2}, {3, 4}}, {.dtype = float64})).backward();
  EXPECT_EQ(to_vector<double>(src.grad()), (std::vector<double>{3, 4, 0, 0, 0, 0}));
}

TEST(Indexing, IndexSelectMaskedFillEmbeddingGradcheck) {
  manual_seed(12);
  Tensor index = ints({2, 0, 2, 2});
  expect_gradcheck(
      [index](const std::vector<Tensor>& in) {
        return index_select(in[0].transpose(0, 2), 1, index);
      },
      {leaf({4, 3, 2})});
  expect_gradcheck(
      [index](const std::vector<Tensor>& in) {
        Tensor y = index_select(in[0], -1, index);
        return y * y;
      },
      {leaf({2, 3})}, /*second_order=*/true);
  Tensor mask = tensor({0, 1, 1}).to(bool_);
  expect_gradcheck(
      [mask](const std::vector<Tensor>& in) { return masked_fill(in[0].t(), mask, 4.0); },
      {leaf({3, 2})});
  Tensor ids = ints({{3, 0, 3}, {1, 1, 4}});
  // (With padding_idx the gradient is zero on purpose, so numeric differences disagree there;
  // EmbeddingPaddingRowGetsNoGradient and the golden cases cover it.)
  expect_gradcheck([ids](const std::vector<Tensor>& in) { return embedding(ids, in[0].t()); },
                   {leaf({2, 5})});
  expect_gradcheck(
      [ids](const std::vector<Tensor>& in) {
        Tensor y = embedding(ids, in[0], 2);
        return y * y;
      },
      {leaf({5, 2})}, /*second_order=*/true);
}

TEST(Indexing, EmbeddingPaddingRowGetsNoGradient) {
  Tensor weight = ones({4, 2}, {.requires_grad = true});
  Tensor y = embedding(ints({{0, 2}, {2, 3}}), weight, 2);
  EXPECT_EQ(y.shape(), (Shape{2, 2, 2}));
  sum(y).backward();
  EXPECT_EQ(to_vector<float>(weight.grad()), (std::vector<float>{1, 1, 0, 0, 0, 0, 1, 1}));
}

TEST(Indexing, OneHot) {
  Tensor y = one_hot(ints({{2, 0}}), 3);
  EXPECT_EQ(y.dtype(), int64);
  EXPECT_EQ(y.shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(to_vector<int64_t>(y), (std::vector<int64_t>{0, 0, 1, 1, 0, 0}));
  EXPECT_EQ(one_hot(ints({4})).shape(), (Shape{1, 5}));
}

TEST(Indexing, TensorIndexBasics) {
  Tensor x = arange(0, 24, 1, {.dtype = float64}).reshape({2, 3, 4});
  Tensor a = x.index({1, Slice{1, std::nullopt}, Slice{std::nullopt, std::nullopt, 2}});
  EXPECT_EQ(a.shape(), (Shape{2, 2}));
  EXPECT_EQ(to_vector<double>(a), (std::vector<double>{16, 18, 20, 22}));
  EXPECT_EQ(a.storage(), x.storage());  // basic indexing is a view
  EXPECT_EQ(x.index({NewAxis{}, Slice{}, NewAxis{}}).shape(), (Shape{1, 2, 1, 3, 4}));
  EXPECT_EQ(x.index({}).shape(), x.shape());
  EXPECT_EQ(x.index({Slice{5, 9}}).shape(), (Shape{0, 3, 4}));  // out-of-range slices clamp
  // int64 tensor index: its shape replaces the dim; negatives count from the end.
  Tensor b = x.index({Slice{}, ints({{-1, 0}})});
  EXPECT_EQ(b.shape(), (Shape{2, 1, 2, 4}));
  EXPECT_EQ(b.at<double>({1, 0, 0, 3}), 23.0);
  EXPECT_EQ(x.index({0, tensor({2}, {.dtype = int64}).reshape({})}).shape(), (Shape{4}));
  // bool mask over the trailing dims.
  Tensor mask = gt(x.index({0}), scalar_tensor(20, float64));  // none true: x[0] < 12
  EXPECT_EQ(x.index({Slice{}, mask}).shape(), (Shape{2, 0}));
  Tensor m2 = lt(x, scalar_tensor(3, float64));
  EXPECT_EQ(to_vector<double>(x.index({m2})), (std::vector<double>{0, 1, 2}));
}

TEST(Indexing, TensorIndexGradcheck) {
  manual_seed(13);
  Tensor idx = ints({{1, -1}, {0, 1}});
  Tensor mask = tensor({{1, 0, 1}, {0, 1, 1}}).to(bool_);
  expect_gradcheck(
      [idx](const std::vector<Tensor>& in) {
        return in[0].t().index({Slice{1, std::nullopt}, NewAxis{}, idx});
      },
      {leaf({3, 3})});
  expect_gradcheck([mask](const std::vector<Tensor>& in) { return in[0].t().index({mask}); },
                   {leaf({3, 2})});
  expect_gradcheck(
      [mask](const std::vector<Tensor>& in) {
        return in[0].index({1, mask});
      },
      {leaf({2, 2, 3})});
}

// Big enough for the multi-threaded gather loop; checked against the definition.
TEST(Indexing, LargeGatherMatchesDefinition) {
  manual_seed(14);
  const int64_t rows = 300, cols = 200;
  Tensor x = randn({rows, cols}, {.dtype = float64});
  Tensor index = randint(0, rows, {rows, cols});
  std::vector<double> v = to_vector<double>(x), y = to_vector<double>(gather(x, 0, index));
  std::vector<int64_t> ix = to_vector<int64_t>(index);
  bool ok = true;
  for (int64_t k = 0; k < rows * cols; ++k) ok &= y[k] == v[ix[k] * cols + k % cols];
  EXPECT_TRUE(ok);
  Tensor picked = index_select(x, 1, randperm(cols));
  EXPECT_TRUE(tensors_close(sum(picked, {1}), sum(x, {1}), 1e-12, 1e-12));
}

TEST(Indexing, Errors) {
  Tensor x = zeros({5, 3});
  expect_error<IndexError>(
      [&] {
        index_select(x, 0, ints({1, 7}));
      },
      {"index_select: index 7 is out of range for dim 0 of size 5"});
  expect_error<IndexError>([&] { index_select(x, 0, ints({-1})); }, {"index_select", "-1"});
  expect_error<ValueError>([&] { index_select(x, 0, tensor({1})); }, {"index_select", "int64"});
  expect_error<IndexError>(
      [&] {
        gather(x, 1, ints({{0, 3}}));
      },
      {"gather: index 3 is out of range for dim 1 of size 3"});
  expect_error<ShapeError>([&] { gather(x, 1, ints({0, 1})); }, {"gather:", "[2]", "[5, 3]"});
  expect_error<ShapeError>(
      [&] {
        gather(x, 0, zeros({2, 4}, {.dtype = int64}));
      },
      {"gather:", "[2, 4]", "[5, 3]"});
  expect_error<IndexError>(
      [&] {
        scatter_add(x, 0, ints({5}).reshape({1, 1}), ones({1, 1}));
      },
      {"scatter_add: index 5 is out of range for dim 0 of size 5"});
  expect_error<ValueError>(
      [&] {
        scatter_add(x, 0, ints({1}).reshape({1, 1}), ones({1, 1}, {.dtype = float64}));
      },
      {"scatter_add", "float64", "float32"});
  expect_error<ShapeError>(
      [&] {
        scatter_add(x, 0, ints({{1, 1}}), ones({1, 1}));
      },
      {"scatter_add", "[1, 2]", "[1, 1]"});
  expect_error<ValueError>([&] { masked_fill(x, ones({5, 3}), 1); }, {"masked_fill", "bool"});
  expect_error<ShapeError>([&] { masked_fill(x, zeros({2}, {.dtype = bool_}), 1); },
                           {"masked_fill"});
  expect_error<IndexError>([] { one_hot(ints({1, -1}), 3); }, {"one_hot", "-1"});
  expect_error<IndexError>([] { one_hot(ints({1, 3}), 3); }, {"one_hot", "label 3", "3 classes"});
  expect_error<ValueError>([] { one_hot(tensor({1})); }, {"one_hot", "int64"});
  expect_error<IndexError>(
      [&] {
        embedding(ints({0, 5}), x);
      },
      {"embedding: index 5 is out of range", "5 embeddings"});
  expect_error<IndexError>([&] { embedding(ints({-1}), x); }, {"embedding", "-1"});
  expect_error<ValueError>([&] { embedding(ints({0}), x, 5); }, {"embedding", "padding_idx 5"});
  expect_error<ShapeError>([&] { embedding(ints({0}), zeros({5})); }, {"embedding", "2-D"});
  // Tensor::index
  expect_error<ValueError>(
      [&] {
        x.index({Slice{std::nullopt, std::nullopt, -1}});
      },
      {"index", "step", "-1"});
  expect_error<IndexError>(
      [&] {
        x.index({0, 3});
      },
      {"index: index 3 is out of range for dim 0 of size 3"});
  expect_error<IndexError>([&] { x.index({0, 0, 0}); }, {"index", "too many"});
  expect_error<IndexError>([&] { x.index({ints({5})}); },
                           {"index: index 5 is out of range for dim 0 of size 5"});
  expect_error<ValueError>([&] { x.index({tensor({1})}); }, {"index", "int64 or bool"});
  expect_error<ValueError>([&] { x.index({ints({0}), ints({1})}); }, {"index", "one tensor index"});
  expect_error<IndexError>(
      [&] {
        x.index({zeros({3, 3}, {.dtype = bool_})});
      },
      {"index", "[3, 3]", "[5, 3]"});
}

}  // namespace
}  // namespace cajal
