// nn::Flatten and nn::Unflatten: against PyTorch, gradcheck, views, printing and errors.
#include "cajal/nn/flatten.h"

#include <gtest/gtest.h>

#include "layer_testing.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;
using testing::GoldenCase;

TEST(Flatten, MatchesPyTorch) {
  auto cases = testing::layer_cases("flatten_");
  ASSERT_EQ(cases.size(), 2u);
  for (const GoldenCase* c : cases) {
    nn::Flatten flatten({.start_dim = static_cast<int64_t>(c->param("start_dim")),
                         .end_dim = static_cast<int64_t>(c->param("end_dim"))});
    testing::check_module_golden(*c, flatten);
  }
}

TEST(Unflatten, MatchesPyTorch) {
  auto cases = testing::layer_cases("unflatten_");
  ASSERT_EQ(cases.size(), 1u);
  const GoldenCase& c = *cases[0];
  nn::Unflatten unflatten(
      {.dim = static_cast<int64_t>(c.param("dim")), .sizes = c.int_list("sizes")});
  testing::check_module_golden(c, unflatten);
}

TEST(Flatten, ShapesAndViews) {
  nn::Flatten flatten;
  Tensor x = randn({4, 32, 7, 7});
  Tensor y = flatten(x);
  EXPECT_EQ(y.shape(), (Shape{4, 1568}));
  EXPECT_EQ(y.storage(), x.storage());  // a view, no copy
  EXPECT_EQ(nn::Flatten({.start_dim = 0})(x).shape(), (Shape{4 * 1568}));
  EXPECT_EQ(nn::Flatten({.start_dim = -3, .end_dim = -2})(x).shape(), (Shape{4, 224, 7}));
  EXPECT_EQ(flatten(randn({5, 3})).shape(), (Shape{5, 3}));  // nothing to merge
  EXPECT_EQ(nn::count_parameters(flatten), 0);

  nn::Unflatten unflatten({.dim = 1, .sizes = {32, 7, 7}});
  EXPECT_TRUE(equal(unflatten(y), x));
  EXPECT_EQ(nn::Unflatten({.dim = -1, .sizes = {-1, 2}})(randn({3, 8})).shape(), (Shape{3, 4, 2}));
}

TEST(Flatten, Gradcheck) {
  manual_seed(31);
  nn::Flatten flatten({.start_dim = 1, .end_dim = 2});
  nn::Unflatten unflatten({.dim = 0, .sizes = {2, -1}});
  for (nn::Module* module : std::vector<nn::Module*>{&flatten, &unflatten}) {
    Tensor x = randn({4, 3, 2}, {.dtype = Dtype::float64, .requires_grad = true});
    // A non-contiguous input: flatten then has to copy, which must still propagate gradients.
    Tensor transposed = randn({2, 3, 4}, {.dtype = Dtype::float64}).transpose(0, 2);
    transposed.requires_grad_(true);
    for (const Tensor& input : {x, transposed}) {
      // clone(): the output is a view of the input, and gradcheck (autograd/gradcheck.cpp)
      // restores a perturbed input element before reading the perturbed output, which a view
      // would then show unperturbed.
      auto result = autograd::gradcheck(
          [&](const std::vector<Tensor>& in) { return (*module)(in[0]).clone(); }, {input});
      EXPECT_TRUE(result.ok) << module->type_name() << ": " << result.message;
    }
  }
}

TEST(Flatten, Repr) {
  EXPECT_EQ(nn::to_string(nn::Flatten()), "Flatten(start_dim=1, end_dim=-1)");
  EXPECT_EQ(nn::Unflatten({.dim = 1, .sizes = {32, 7, 7}}).extra_repr(),
            "dim=1, unflattened_size=[32, 7, 7]");
}

TEST(Flatten, Errors) {
  expect_error<ValueError>([] { nn::Flatten({.start_dim = 3, .end_dim = 1}); },
                           {"Flatten", "start_dim 3", "end_dim 1"});
  nn::Flatten flatten;
  expect_error<IndexError>([&] { flatten(randn({5})); }, {"Flatten", "start_dim 1", "[5]"});
  expect_error<ValueError>(
      [&] {
        nn::Flatten({.start_dim = -1, .end_dim = 1})(randn({2, 3, 4}));
      },
      {"Flatten", "start_dim -1", "end_dim 1", "[2, 3, 4]"});

  expect_error<ValueError>([] { nn::Unflatten({.dim = 1}); }, {"Unflatten", "sizes"});
  expect_error<ValueError>(
      [] {
        nn::Unflatten({.dim = 1, .sizes = {-1, -1}});
      },
      {"Unflatten", "one", "[-1, -1]"});
  expect_error<ValueError>(
      [] {
        nn::Unflatten({.dim = 1, .sizes = {3, 0}});
      },
      {"Unflatten", "positive", "[3, 0]"});
  nn::Unflatten unflatten({.dim = 1, .sizes = {5, -1}});
  expect_error<ShapeError>(
      [&] {
        unflatten(randn({2, 12}));
      },
      {"Unflatten", "[5, -1]", "size 12", "[2, 12]"});
  expect_error<IndexError>([&] { unflatten(randn({12})); }, {"Unflatten", "dim 1", "[12]"});
}

}  // namespace
}  // namespace cajal
