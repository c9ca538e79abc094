// Module: registration, naming, state dicts, modes, freezing, dtype conversion and printing.
#include "cajal/nn/module.h"

#include <gtest/gtest.h>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/nn/container.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/linalg.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;

// A dense layer written against the Module API only, so these tests do not depend on nn::Linear.
class Dense : public nn::Module {
 public:
  Dense(int64_t in, int64_t out, bool bias = true) : Module("Dense"), in_(in), out_(out) {
    weight = register_parameter("weight", randn({out, in}));
    if (bias) this->bias = register_parameter("bias", zeros({out}));
  }
  Tensor forward(const Tensor& x) override { return linear(x, weight, bias); }
  std::string extra_repr() const override {
    return "in=" + std::to_string(in_) + ", out=" + std::to_string(out_);
  }
  Tensor weight, bias;

 private:
  int64_t in_, out_;
};

// Counts its calls in a buffer and keeps a non-persistent scratch buffer.
class Counter : public nn::Module {
 public:
  Counter() : Module("Counter") {
    calls = register_buffer("calls", zeros({}, {.dtype = Dtype::int64}));
    register_buffer("scratch", zeros({3}), /*persistent=*/false);
  }
  Tensor forward(const Tensor& x) override {
    if (is_training()) calls.add_(ones({}, {.dtype = Dtype::int64}));
    return x;
  }
  Tensor calls;
};

class Net : public nn::Module {
 public:
  Net() : Module("Net") {
    trunk = register_module("trunk", Dense(3, 4));
    counter = register_module("counter", Counter());
    head = register_module("head", Dense(4, 2));
  }
  Tensor forward(const Tensor& x) override { return (*head)(tanh((*counter)((*trunk)(x)))); }
  std::shared_ptr<Dense> trunk;
  std::shared_ptr<Counter> counter;
  std::shared_ptr<Dense> head;
};

TEST(Module, NamedParametersInRegistrationOrder) {
  Net net;
  auto named = net.named_parameters();
  std::vector<std::string> expected{"trunk.weight", "trunk.bias", "head.weight", "head.bias"};
  EXPECT_EQ(named.keys(), expected);
  EXPECT_TRUE(named["trunk.weight"].is_same(net.trunk->weight));
  EXPECT_EQ(net.parameters().size(), 4u);
  EXPECT_EQ(net.parameters(/*recurse=*/false).size(), 0u);
  EXPECT_EQ(nn::count_parameters(net), 3 * 4 + 4 + 4 * 2 + 2);
  for (const Tensor& p : net.parameters()) {
    EXPECT_TRUE(p.requires_grad());
    EXPECT_TRUE(p.is_leaf());
  }
}

TEST(Module, NamedModulesAndBuffers) {
  Net net;
  auto modules = net.named_modules();
  std::vector<std::string> expected{"", "trunk", "counter", "head"};
  EXPECT_EQ(modules.keys(), expected);
  EXPECT_EQ(modules[""], &net);
  auto buffers = net.named_buffers();
  std::vector<std::string> buffer_names{"counter.calls", "counter.scratch"};
  EXPECT_EQ(buffers.keys(), buffer_names);
  EXPECT_EQ(net.children().size(), 3u);
  EXPECT_EQ(net.child<Dense>("head").get(), net.head.get());
  expect_error<ValueError>([&] { net.child<Counter>("head"); }, {"head", "Dense"});
  expect_error<ValueError>([&] { net.child<Dense>("tail"); }, {"no submodule", "tail"});
}

TEST(Module, SharedParameterListedOnce) {
  nn::Sequential shared;
  auto layer = std::make_shared<Dense>(2, 2);
  nn::Sequential net{layer, layer};
  EXPECT_EQ(net.parameters().size(), 2u);
  EXPECT_EQ(net.named_parameters().keys(), (std::vector<std::string>{"0.weight", "0.bias"}));
  EXPECT_EQ(nn::count_parameters(net), 6);
}

TEST(Module, StateDictHoldsParametersAndPersistentBuffers) {
  Net net;
  StateDict state = net.state_dict();
  std::vector<std::string> expected{"trunk.weight", "trunk.bias", "counter.calls", "head.weight",
                                    "head.bias"};
  EXPECT_EQ(state.keys(), expected);
  EXPECT_FALSE(state["trunk.weight"].requires_grad());
  // Shares storage with the module, as PyTorch's state_dict does.
  EXPECT_EQ(state["trunk.weight"].storage(), net.trunk->weight.storage());
}

TEST(Module, LoadStateDictRoundTripGivesIdenticalOutputs) {
  manual_seed(1);
  Net source;
  Tensor x = randn({5, 3});
  source(x);  // bumps the counter buffer
  Net target;
  EXPECT_FALSE(equal(source(x), target(x)));
  StateDict saved;
  for (const auto& [key, value] : source.state_dict()) saved.insert(key, value.clone());
  auto result = target.load_state_dict(saved);
  EXPECT_TRUE(result.missing_keys.empty());
  EXPECT_TRUE(result.unexpected_keys.empty());
  source.eval();
  target.eval();
  EXPECT_TRUE(equal(source(x), target(x)));
  EXPECT_TRUE(equal(source.counter->calls, target.counter->calls));
  // The module's tensors were written in place: members still alias the registered tensors.
  EXPECT_TRUE(target.named_parameters()["head.bias"].is_same(target.head->bias));
}

TEST(Module, LoadStateDictListsEveryProblem) {
  Net net;
  StateDict state = net.state_dict();
  StateDict broken;
  for (const auto& [key, value] : state) {
    if (key == "head.bias") continue;  // missing
    if (key == "trunk.weight") {
      broken.insert(key, zeros({4, 5}));  // wrong shape
    } else {
      broken.insert(key, value.clone());
    }
  }
  broken.insert("extra.weight", zeros({1}));
  Tensor before = net.trunk->bias.clone();
  broken["trunk.bias"] = full({4}, 7.0);
  expect_error<ValueError>([&] { net.load_state_dict(broken); },
                           {"missing keys: head.bias", "unexpected keys: extra.weight",
                            "trunk.weight: expected shape [4, 3], got [4, 5]"});
  // Nothing was copied.
  EXPECT_TRUE(equal(net.trunk->bias, before));

  // Non-strict loading tolerates missing and unexpected keys but not shape mismatches.
  expect_error<ValueError>([&] { net.load_state_dict(broken, /*strict=*/false); },
                           {"shape mismatches", "trunk.weight"});
  broken["trunk.weight"] = zeros({4, 3});
  auto result = net.load_state_dict(broken, /*strict=*/false);
  EXPECT_EQ(result.missing_keys, std::vector<std::string>{"head.bias"});
  EXPECT_EQ(result.unexpected_keys, std::vector<std::string>{"extra.weight"});
  EXPECT_TRUE(equal(net.trunk->bias, full({4}, 7.0)));
}

TEST(Module, LoadStateDictConvertsDtype) {
  Dense dense(2, 2);
  StateDict state;
  state.insert("weight", tensor({{1, 2}, {3, 4}}, {.dtype = Dtype::float64}));
  state.insert("bias", tensor({5, 6}, {.dtype = Dtype::float64}));
  dense.load_state_dict(state);
  EXPECT_EQ(dense.weight.dtype(), Dtype::float32);
  EXPECT_TRUE(equal(dense.weight, tensor({{1, 2}, {3, 4}})));
}

TEST(Module, LoadOwnStateDictIsANoOp) {
  Net net;
  Tensor before = net.head->weight.clone();
  net.load_state_dict(net.state_dict());
  EXPECT_TRUE(equal(net.head->weight, before));
}

TEST(Module, TrainAndEvalRecurse) {
  Net net;
  EXPECT_TRUE(net.is_training());
  net.eval();
  for (const auto& [name, module] : net.named_modules()) EXPECT_FALSE(module->is_training());
  Tensor x = randn({2, 3});
  net(x);
  EXPECT_EQ(net.counter->calls.item<int64_t>(), 0);
  net.train();
  net(x);
  EXPECT_EQ(net.counter->calls.item<int64_t>(), 1);
  EXPECT_TRUE(net.head->is_training());
}

TEST(Module, ZeroGrad) {
  Net net;
  sum(net(randn({2, 3}))).backward();
  for (const Tensor& p : net.parameters()) ASSERT_TRUE(p.grad().defined());
  net.zero_grad(/*set_to_none=*/false);
  for (const Tensor& p : net.parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(sum(abs(p.grad())).item(), 0.0);
  }
  net.zero_grad();
  for (const Tensor& p : net.parameters()) EXPECT_FALSE(p.grad().defined());
}

// Transfer learning: freeze the trunk, train the head; the trunk gets no gradient.
TEST(Module, FreezingATrunk) {
  Net net;
  net.trunk->requires_grad_(false);
  EXPECT_EQ(nn::count_parameters(net, /*trainable_only=*/true), 4 * 2 + 2);
  sum(net(randn({2, 3}))).backward();
  EXPECT_FALSE(net.trunk->weight.grad().defined());
  EXPECT_TRUE(net.head->weight.grad().defined());
  // A single parameter can be frozen too.
  net.trunk->requires_grad_(true);
  net.trunk->bias.requires_grad_(false);
  net.zero_grad();
  sum(net(randn({2, 3}))).backward();
  EXPECT_TRUE(net.trunk->weight.grad().defined());
  EXPECT_FALSE(net.trunk->bias.grad().defined());
}

TEST(Module, ToFloat64KeepsHandles) {
  Net net;
  Tensor weight = net.trunk->weight;
  Tensor value = weight.clone();
  net.to(Dtype::float64);
  EXPECT_EQ(weight.dtype(), Dtype::float64);
  EXPECT_EQ(net.trunk->weight.dtype(), Dtype::float64);
  EXPECT_TRUE(weight.requires_grad());
  EXPECT_TRUE(allclose(weight.to(Dtype::float32), value));
  EXPECT_EQ(net.counter->calls.dtype(), Dtype::int64);  // integer buffers stay
  Tensor y = net(randn({2, 3}, {.dtype = Dtype::float64}));
  EXPECT_EQ(y.dtype(), Dtype::float64);
  sum(y).backward();
  EXPECT_EQ(weight.grad().dtype(), Dtype::float64);
  expect_error<ValueError>([&] { net.to(Dtype::int64); }, {"Net.to", "int64"});
}

TEST(Module, RegistrationErrors) {
  class Bad : public nn::Module {
   public:
    Bad() : Module("Bad") {}
    void add(const std::string& name, Tensor t) { register_parameter(name, std::move(t)); }
    void add_buffer(const std::string& name) { register_buffer(name, zeros({1})); }
  };
  Bad bad;
  bad.add("w", zeros({2}));
  expect_error<ValueError>([&] { bad.add("w", zeros({2})); }, {"Bad", "'w'", "already"});
  expect_error<ValueError>([&] { bad.add_buffer("w"); }, {"already"});
  expect_error<ValueError>([&] { bad.add("a.b", zeros({2})); }, {"'a.b'", "'.'"});
  expect_error<ValueError>([&] { bad.add("i", zeros({2}, {.dtype = Dtype::int64})); },
                           {"'i'", "floating point", "int64"});
  // A tensor with history is detached into a leaf.
  Tensor base = ones({2}, {.requires_grad = true});
  bad.add("derived", base * 2.0);
  EXPECT_TRUE(bad.named_parameters()["derived"].is_leaf());
}

TEST(Module, SingleTensorForwardMissing) {
  class NoForward : public nn::Module {
   public:
    NoForward() : Module("NoForward") {}
  };
  NoForward module;
  expect_error<ValueError>([&] { module(zeros({1})); }, {"NoForward", "single tensor"});
}

TEST(Module, PrintsTheTree) {
  Net net;
  EXPECT_EQ(nn::to_string(net),
            "Net(\n"
            "  (trunk): Dense(in=3, out=4)\n"
            "  (counter): Counter()\n"
            "  (head): Dense(in=4, out=2)\n"
            ")");
}

TEST(Module, CopiesShareParameters) {
  Dense a(2, 3);
  Dense b = a;
  EXPECT_TRUE(b.weight.is_same(a.weight));
  EXPECT_TRUE(b.named_parameters()["weight"].is_same(a.weight));
}

}  // namespace
}  // namespace cajal
