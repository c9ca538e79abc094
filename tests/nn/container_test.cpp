// Sequential, ModuleList, Residual and Identity.
#include "cajal/nn/container.h"

#include <gtest/gtest.h>

#include "cajal/autograd/gradcheck.h"
#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/linalg.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;

class Dense : public nn::Module {
 public:
  Dense(int64_t in, int64_t out) : Module("Dense") {
    weight = register_parameter("weight", randn({out, in}, {.dtype = Dtype::float64}));
    bias = register_parameter("bias", randn({out}, {.dtype = Dtype::float64}));
  }
  Tensor forward(const Tensor& x) override { return linear(x, weight, bias); }
  Tensor weight, bias;
};

class Tanh : public nn::Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override { return tanh(x); }
};

TEST(Sequential, ChainsInOrderAndNamesChildrenByIndex) {
  manual_seed(3);
  nn::Sequential net{Dense(3, 4), Tanh(), Dense(4, 2)};
  EXPECT_EQ(net.size(), 3u);
  EXPECT_EQ(net.named_parameters().keys(),
            (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  auto first = net.at<Dense>(0);
  auto last = net.at<Dense>(-1);
  Tensor x = randn({5, 3}, {.dtype = Dtype::float64});
  Tensor expected = linear(tanh(linear(x, first->weight, first->bias)), last->weight, last->bias);
  EXPECT_TRUE(equal(net(x), expected));
  expect_error<ValueError>([&] { net.at<Dense>(1); }, {"element 1", "Tanh"});
  expect_error<IndexError>([&] { net[3]; }, {"index 3", "3 modules"});
}

TEST(Sequential, GradientsReachEveryParameter) {
  manual_seed(4);
  nn::Sequential net{Dense(3, 4), Tanh(), Dense(4, 1)};
  Tensor x = randn({6, 3}, {.dtype = Dtype::float64, .requires_grad = true});
  auto params = net.parameters();
  std::vector<Tensor> inputs{x};
  inputs.insert(inputs.end(), params.begin(), params.end());
  auto result =
      autograd::gradcheck([&](const std::vector<Tensor>& in) { return net(in[0]); }, inputs);
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(Sequential, AcceptsSharedPointersAndPushBack) {
  auto layer = std::make_shared<Dense>(2, 2);
  nn::Sequential net{layer};
  net.push_back(Tanh());
  EXPECT_EQ(net.size(), 2u);
  EXPECT_EQ(net[0].get(), layer.get());
  std::vector<std::shared_ptr<nn::Module>> list{std::make_shared<Tanh>(), layer};
  nn::Sequential from_vector(list);
  EXPECT_EQ(from_vector.size(), 2u);
  EXPECT_EQ(nn::to_string(net),
            "Sequential(\n"
            "  (0): Dense()\n"
            "  (1): Tanh()\n"
            ")");
}

TEST(Sequential, NestsAndEmptyIsIdentity) {
  nn::Sequential inner{Dense(2, 2), Tanh()};
  nn::Sequential outer{inner, Dense(2, 1)};
  EXPECT_EQ(outer.named_parameters().keys(),
            (std::vector<std::string>{"0.0.weight", "0.0.bias", "1.weight", "1.bias"}));
  nn::Sequential empty;
  Tensor x = randn({2});
  EXPECT_TRUE(equal(empty(x), x));
}

TEST(ModuleList, IndexesButHasNoForward) {
  nn::ModuleList list{Dense(2, 2), Dense(2, 2)};
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(list.parameters().size(), 4u);
  int count = 0;
  for (const auto& module : list) count += module->type_name() == "Dense";
  EXPECT_EQ(count, 2);
  expect_error<ValueError>([&] { list(zeros({2})); }, {"ModuleList", "single tensor"});
}

TEST(Residual, AddsTheInput) {
  manual_seed(5);
  auto block = std::make_shared<Dense>(3, 3);
  nn::Residual residual(block);
  Tensor x = randn({4, 3}, {.dtype = Dtype::float64});
  EXPECT_TRUE(allclose(residual(x), linear(x, block->weight, block->bias) + x));
  EXPECT_EQ(residual.named_parameters().keys(),
            (std::vector<std::string>{"main.weight", "main.bias"}));
  // The skip connection carries the gradient straight through: d(x + f(x))/dx = I + f'(x).
  Tensor xg = x.detach().requires_grad_(true);
  std::vector<Tensor> inputs{xg, block->weight, block->bias};
  auto result =
      autograd::gradcheck([&](const std::vector<Tensor>& in) { return residual(in[0]); }, inputs);
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(Residual, ProjectionShortcut) {
  manual_seed(6);
  auto main = std::make_shared<Dense>(3, 2);
  auto projection = std::make_shared<Dense>(3, 2);
  nn::Residual residual(main, projection);
  Tensor x = randn({4, 3}, {.dtype = Dtype::float64});
  EXPECT_TRUE(allclose(residual(x), (*main)(x) + (*projection)(x)));
  nn::Residual mismatched(Dense(3, 2));
  expect_error<ShapeError>([&] { mismatched(x); }, {"Residual", "[4, 2]", "[4, 3]"});
}

TEST(Identity, ReturnsTheInput) {
  nn::Identity identity;
  Tensor x = randn({2, 3});
  EXPECT_TRUE(identity(x).is_same(x));
  EXPECT_EQ(identity.parameters().size(), 0u);
}

}  // namespace
}  // namespace cajal
