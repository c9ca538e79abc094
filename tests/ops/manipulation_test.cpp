// cat, stack, split, chunk, pad, repeat, flip, roll: PyTorch golden values and gradients,
// gradient checks (non-contiguous inputs, second order), views and error messages.
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

// The op a golden case exercises, read from its name and parameters.
std::function<Tensor(const std::vector<Tensor>&)> golden_fn(const GoldenCase& c) {
  const std::string& n = c.name;
  if (starts_with(n, "cat_")) {
    int64_t dim = c.params_json.count("dim") ? static_cast<int64_t>(c.param("dim"))
                                             : (n == "cat_promote_f32_f64" ? 1 : 0);
    return [dim](const std::vector<Tensor>& in) { return cat(in, dim); };
  }
  if (starts_with(n, "stack_")) {
    int64_t dim = static_cast<int64_t>(c.param("dim"));
    return [dim](const std::vector<Tensor>& in) { return stack(in, dim); };
  }
  if (starts_with(n, "split_")) {
    int64_t dim = static_cast<int64_t>(c.param("dim"));
    size_t piece = static_cast<size_t>(c.param("piece"));
    if (c.params_json.count("sizes")) {
      std::vector<int64_t> sizes = c.int_list("sizes");
      return [=](const std::vector<Tensor>& in) { return split(in[0], sizes, dim).at(piece); };
    }
    int64_t size = starts_with(n, "split_size2") ? 2 : 3;
    return [=](const std::vector<Tensor>& in) { return split(in[0], size, dim).at(piece); };
  }
  if (starts_with(n, "chunk")) {
    int64_t dim = static_cast<int64_t>(c.param("dim"));
    size_t piece = static_cast<size_t>(c.param("piece"));
    int64_t chunks = static_cast<int64_t>(c.param("chunks"));
    size_t count = static_cast<size_t>(c.param("count"));
    return [=](const std::vector<Tensor>& in) {
      std::vector<Tensor> pieces = chunk(in[0], chunks, dim);
      EXPECT_EQ(pieces.size(), count);
      return pieces.at(piece);
    };
  }
  if (starts_with(n, "pad_")) {
    if (n == "pad_int64_constant") {
      return [](const std::vector<Tensor>& in) { return pad(in[0], {1, 1}, "constant", 7); };
    }
    std::vector<int64_t> pads = c.int_list("pads");
    std::string mode = c.text("mode");
    double value = c.param("value");
    return [=](const std::vector<Tensor>& in) { return pad(in[0], pads, mode, value); };
  }
  if (starts_with(n, "repeat")) {
    std::vector<int64_t> repeats =
        n == "repeat_int64" ? std::vector<int64_t>{2, 2} : c.int_list("repeats");
    return [=](const std::vector<Tensor>& in) { return repeat(in[0], repeats); };
  }
  if (starts_with(n, "flip")) {
    Dims dims = c.int_list("dims");
    return [=](const std::vector<Tensor>& in) { return flip(in[0], dims); };
  }
  if (starts_with(n, "roll")) {
    std::vector<int64_t> shifts = c.int_list("shifts");
    Dims dims = c.int_list("dims");
    return [=](const std::vector<Tensor>& in) { return roll(in[0], shifts, dims); };
  }
  return nullptr;
}

TEST(ManipulationGolden, MatchesPyTorch) {
  auto cases = testing::load_golden("manipulation");
  ASSERT_GE(cases.size(), 80u);
  for (const auto& [name, c] : cases) {
    auto fn = golden_fn(c);
    ASSERT_TRUE(fn) << "no C++ op for golden case " << name;
    bool single = c.outputs[0].dtype() == Dtype::float32 || name.find("_f32") != std::string::npos;
    // Copies are exact; repeat's and reflect pad's gradients are sums (float32 rounding).
    if (single)
      check_golden(c, fn, 1e-5, 1e-6);
    else
      check_golden(c, fn, 1e-12, 1e-12);
  }
}

Tensor leaf(const Shape& shape) { return randn(shape, {.dtype = float64}).requires_grad_(); }

void expect_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                      const std::vector<Tensor>& inputs, bool second_order = false) {
  GradcheckOptions options;
  options.check_second_order = second_order;
  auto result = gradcheck(fn, inputs, options);
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(Manipulation, CatGradcheckNonContiguousAndSecondOrder) {
  manual_seed(1);
  // a is read transposed: [4, 3] -> [3, 4].
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return cat({in[0].t(), in[1], in[2]}, -1);
      },
      {leaf({4, 3}), leaf({3, 2}), leaf({3, 1})});
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return cat({in[0], in[1] * in[1]}, 0) * sum(in[0]);
      },
      {leaf({2, 3}), leaf({1, 3})}, /*second_order=*/true);
}

TEST(Manipulation, StackSplitChunkGradcheck) {
  manual_seed(2);
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return stack({in[0].t(), in[1]}, 1);
      },
      {leaf({3, 2}), leaf({2, 3})});
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        auto p = split(in[0].transpose(0, 1), std::vector<int64_t>{1, 3}, 1);
        return p[1] * p[1];
      },
      {leaf({4, 3})});
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        auto p = chunk(in[0], 3, -1);
        return p[0] * p[2];
      },
      {leaf({2, 6})});
}

TEST(Manipulation, PadGradcheck) {
  manual_seed(3);
  for (std::string mode : {"constant", "reflect", "replicate", "circular"}) {
    SCOPED_TRACE(mode);
    expect_gradcheck(
        [mode](const std::vector<Tensor>& in) {
          return pad(in[0].transpose(1, 2), {2, 1, 1, 2}, mode, 0.25);
        },
        {leaf({2, 4, 3})});
  }
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return pad(in[0], {-1, 2, 1, -1}, "constant", 1.0);
      },
      {leaf({3, 4})});
  // Second order through reflect's adjoint pair (the square makes the Hessian non-zero).
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        Tensor y = pad(in[0], {2, 3}, "reflect");
        return y * y;
      },
      {leaf({2, 5})}, /*second_order=*/true);
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        Tensor y = pad(in[0], {1, 1, 2, 0}, "constant", 3.0);
        return y * y;
      },
      {leaf({2, 3})}, /*second_order=*/true);
}

TEST(Manipulation, RepeatFlipRollGradcheck) {
  manual_seed(4);
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return repeat(in[0].t(), {2, 1, 3});
      },
      {leaf({3, 2})});
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return flip(in[0].transpose(0, 2), {0, -1});
      },
      {leaf({2, 3, 4})});
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return roll(in[0].t(), {-4, 1}, {0, 1});
      },
      {leaf({3, 4})});
  expect_gradcheck([](const std::vector<Tensor>& in) { return roll(in[0].t(), {5}); },
                   {leaf({3, 4})});
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        Tensor y = roll(flip(repeat(in[0], {2, 2}), {1}), {3}, {1});
        return y * y;
      },
      {leaf({2, 3})}, /*second_order=*/true);
}

TEST(Manipulation, SplitReturnsViews) {
  Tensor x = arange(0, 12, 1, {.dtype = float32}).reshape({3, 4});
  auto pieces = split(x, 3, 1);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].shape(), (Shape{3, 3}));
  EXPECT_EQ(pieces[1].shape(), (Shape{3, 1}));
  EXPECT_EQ(pieces[1].storage(), x.storage());
  EXPECT_EQ(pieces[1].at<float>({2, 0}), 11.0f);
  auto by_sizes = split(x, std::vector<int64_t>{0, 3}, 0);
  EXPECT_EQ(by_sizes[0].shape(), (Shape{0, 4}));
  EXPECT_EQ(by_sizes[1].storage(), x.storage());
}

TEST(Manipulation, ChunkFollowsTorchChunk) {
  Tensor x = zeros({5, 2});
  // ceil(5 / 4) = 2 per piece: only 3 pieces.
  auto pieces = chunk(x, 4);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[2].shape(), (Shape{1, 2}));
  EXPECT_EQ(chunk(x, 1).size(), 1u);
  EXPECT_EQ(chunk(zeros({0, 2}), 3).size(), 3u);
  EXPECT_EQ(chunk(x, 9, -1).size(), 2u);
}

TEST(Manipulation, CatPromotesAndSkipsEmpty) {
  Tensor a = tensor({1, 2}, {.dtype = int64});
  Tensor b = tensor({0.5}, {.dtype = float64});
  Tensor y = cat({a, b});
  EXPECT_EQ(y.dtype(), float64);
  EXPECT_EQ(to_vector<double>(y), (std::vector<double>{1, 2, 0.5}));
  EXPECT_EQ(cat({zeros({0}), ones({2, 2})}, 1).shape(), (Shape{2, 2}));
  EXPECT_EQ(cat({zeros({0}), zeros({0})}).shape(), (Shape{0}));
}

TEST(Manipulation, RepeatAndFlipValues) {
  Tensor x = tensor({1, 2, 3});
  EXPECT_EQ(to_vector<float>(repeat(x, {2, 2})),
            (std::vector<float>{1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(repeat(x, {2, 0}).shape(), (Shape{2, 0}));
  EXPECT_EQ(to_vector<float>(flip(x, {0})), (std::vector<float>{3, 2, 1}));
  EXPECT_EQ(to_vector<float>(roll(x, {-1})), (std::vector<float>{2, 3, 1}));
  // Always a copy, even when nothing moves.
  Tensor same = repeat(x, {1});
  EXPECT_NE(same.storage(), x.storage());
}

// Big enough for the multi-threaded loops; checked element by element against the definition.
TEST(Manipulation, LargeTensorsMatchDefinition) {
  manual_seed(5);
  const int64_t rows = 70, cols = 600;
  Tensor x = randn({rows, cols}, {.dtype = float64});
  std::vector<double> v = to_vector<double>(x);
  std::vector<double> flipped = to_vector<double>(flip(x, {0, 1}));
  std::vector<double> rolled = to_vector<double>(roll(x, {3, -7}, {0, 1}));
  std::vector<double> padded = to_vector<double>(pad(x, {5, 2}, "reflect"));
  bool ok = true;
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      ok &= flipped[i * cols + j] == v[(rows - 1 - i) * cols + (cols - 1 - j)];
      ok &= rolled[i * cols + j] == v[((i - 3 + rows) % rows) * cols + (j + 7) % cols];
    }
    for (int64_t j = 0; j < cols + 7; ++j) {
      int64_t s = j - 5;
      s = s < 0 ? -s : (s >= cols ? 2 * (cols - 1) - s : s);
      ok &= padded[i * (cols + 7) + j] == v[i * cols + s];
    }
  }
  EXPECT_TRUE(ok);
  Tensor parts = cat({x.t(), x.t()}, 1);
  EXPECT_TRUE(tensors_close(parts.narrow(1, rows, rows), x.t(), 0, 0));
}

TEST(Manipulation, Errors) {
  expect_error<ShapeError>(
      [] {
        cat({zeros({2, 3}), zeros({2, 4})}, 0);
      },
      {"cat:", "[2, 4]", "[2, 3]", "dim 0"});
  expect_error<ShapeError>(
      [] {
        cat({zeros({2, 3}), zeros({2, 3, 1})}, 1);
      },
      {"cat:", "[2, 3, 1]", "[2, 3]"});
  expect_error<ValueError>([] { cat({}); }, {"cat:"});
  expect_error<IndexError>([] { cat({zeros({2})}, 3); }, {"cat"});
  expect_error<ShapeError>([] { stack({zeros({2}), zeros({3})}); }, {"stack:", "[2]", "[3]"});
  expect_error<ValueError>(
      [] {
        split(zeros({5, 2}), std::vector<int64_t>{2, 2}, 0);
      },
      {"split:", "[2, 2]", "4", "size 5"});
  expect_error<ValueError>([] { split(zeros({5}), 0); }, {"split:"});
  expect_error<ValueError>([] { chunk(zeros({5}), 0); }, {"chunk:"});
  expect_error<ValueError>(
      [] {
        pad(zeros({1, 3}), {3, 0}, "reflect");
      },
      {"pad:", "reflect", "(3, 0)", "size 3"});
  expect_error<ValueError>([] { pad(zeros({1, 3}), {1, 3}, "reflect"); }, {"pad:", "size 3"});
  expect_error<ValueError>([] { pad(zeros({3}), {1}); }, {"pad:", "pairs"});
  expect_error<ValueError>([] { pad(zeros({3}), {1, 1, 1, 1}); }, {"pad:", "[3]"});
  expect_error<ValueError>([] { pad(zeros({3}), {1, 1}, "mirror"); }, {"pad:", "mirror"});
  expect_error<ValueError>([] { pad(zeros({3}), {-2, -2}); }, {"pad:", "size 3"});
  expect_error<ValueError>([] { repeat(zeros({2, 2}), {2}); }, {"repeat:", "[2, 2]"});
  expect_error<ValueError>([] { flip(zeros({2, 2}), {0, -2}); }, {"flip:", "more than once"});
  expect_error<ValueError>([] { roll(zeros({2, 2}), {1, 2}, {0}); }, {"roll:"});
  expect_error<ValueError>([] { roll(zeros({2, 2}), {1, 2}); }, {"roll:"});
}

}  // namespace
}  // namespace cajal
