// Gradient checkpointing: the same gradients (inputs and weights, whether captured, listed or a
// Module's) as without checkpointing on a deep chain; less peak memory (Storage::peak_bytes) on a
// sized-up chain; the same dropout masks in the recomputation; several outputs; autograd::grad;
// gradcheck through a checkpoint; and the errors.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/checkpoint.h"
#include "cajal/nn/container.h"
#include "cajal/nn/linear.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using autograd::gradcheck;
using testing::tensors_close;

constexpr Dtype f64 = Dtype::float64;

// A chain of blocks x -> tanh(linear_i(x)).
struct Chain {
  std::vector<std::shared_ptr<nn::Linear>> layers;

  Chain(int blocks, int64_t width, Dtype dtype) {
    for (int i = 0; i < blocks; ++i) {
      layers.push_back(std::make_shared<nn::Linear>(
          nn::LinearOptions{.in_features = width, .out_features = width, .dtype = dtype}));
    }
  }
  // Blocks [begin, end).
  Tensor run(Tensor x, size_t begin, size_t end) const {
    for (size_t i = begin; i < end; ++i) x = tanh((*layers[i])(x));
    return x;
  }
  std::vector<Tensor> parameters() const {
    std::vector<Tensor> out;
    for (const auto& layer : layers) {
      for (const Tensor& p : layer->parameters()) out.push_back(p);
    }
    return out;
  }
  void zero_grad() const {
    for (const auto& layer : layers) layer->zero_grad();
  }
  std::vector<Tensor> gradients() const {
    std::vector<Tensor> out;
    for (const Tensor& p : parameters()) out.push_back(p.grad());
    return out;
  }
};

void expect_same_gradients(const std::vector<Tensor>& actual, const std::vector<Tensor>& expected,
                           const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_TRUE(actual[i].defined()) << what << ": gradient " << i << " missing";
    EXPECT_TRUE(tensors_close(actual[i], expected[i], 1e-13, 1e-15)) << what << ": gradient " << i;
  }
}

TEST(Checkpoint, DeepChainGivesTheSameGradients) {
  manual_seed(1);
  Chain chain(8, 6, f64);
  Tensor x0 = randn({5, 6}, {.dtype = f64});
  Tensor weights = randn({5, 6}, {.dtype = f64});  // loss = sum(out * weights)

  auto run = [&](const std::function<Tensor(const Tensor&)>& forward) {
    chain.zero_grad();
    Tensor x = x0.clone().requires_grad_(true);
    (forward(x) * weights).sum().backward();
    std::vector<Tensor> grads = chain.gradients();
    grads.push_back(x.grad());
    return grads;
  };
  std::vector<Tensor> expected = run([&](const Tensor& x) { return chain.run(x, 0, 8); });

  // One checkpoint per block; the weights are captured by the lambda.
  expect_same_gradients(run([&](const Tensor& x) {
                          Tensor h = x;
                          for (size_t i = 0; i < 8; ++i) {
                            h = nn::checkpoint(
                                [&, i](const Tensor& in) { return chain.run(in, i, i + 1); }, h);
                          }
                          return h;
                        }),
                        expected, "captured weights, one block per segment");

  // Two segments of four blocks; the weights listed as parameters.
  expect_same_gradients(
      run([&](const Tensor& x) {
        Tensor h = x;
        for (size_t s = 0; s < 2; ++s) {
          h = nn::checkpoint([&, s](const Tensor& in) { return chain.run(in, 4 * s, 4 * s + 4); },
                             h, {.parameters = chain.parameters()});
        }
        return h;
      }),
      expected, "listed parameters, two segments");

  // Each Linear checkpointed as a Module.
  expect_same_gradients(run([&](const Tensor& x) {
                          Tensor h = x;
                          for (const auto& layer : chain.layers)
                            h = tanh(nn::checkpoint(*layer, h));
                          return h;
                        }),
                        expected, "Module overload");

  // Gradients accumulate onto existing ones, as backward() does.
  chain.zero_grad();
  Tensor x = x0.clone().requires_grad_(true);
  (chain.run(x, 0, 8) * weights).sum().backward();
  Tensor h = x;
  for (size_t i = 0; i < 8; ++i) {
    h = nn::checkpoint([&, i](const Tensor& in) { return chain.run(in, i, i + 1); }, h);
  }
  (h * weights).sum().backward();
  std::vector<Tensor> doubled = chain.gradients();
  doubled.push_back(x.grad());
  std::vector<Tensor> twice;
  for (const Tensor& g : expected) twice.push_back(g * 2.0);
  expect_same_gradients(doubled, twice, "accumulation");
}

// Peak bytes held during forward + backward above what was live before.
int64_t peak_during(const std::function<void()>& work) {
  int64_t before = Storage::live_bytes();
  Storage::reset_peak_bytes();
  work();
  return Storage::peak_bytes() - before;
}

TEST(Checkpoint, SavesPeakMemory) {
  // 32 blocks of [1024, 32] float32 activations (128 KiB each) in 4 segments of 8 blocks:
  // without checkpointing all 32 activations are kept for backward; with it, the 4 segment
  // boundaries plus one segment's 8 activations while it is recomputed.
  manual_seed(2);
  const int blocks = 32;
  const size_t segment = 8;
  Chain chain(blocks, 32, Dtype::float32);
  Tensor x = randn({1024, 32});
  int64_t plain = peak_during([&] {
    chain.zero_grad();
    chain.run(x, 0, blocks).sum().backward();
  });
  std::vector<Tensor> expected = chain.gradients();
  int64_t checkpointed = peak_during([&] {
    chain.zero_grad();
    Tensor h = x;
    for (size_t s = 0; s < blocks / segment; ++s) {
      h = nn::checkpoint(
          [&, s](const Tensor& in) { return chain.run(in, s * segment, (s + 1) * segment); }, h,
          {.parameters = chain.parameters()});
    }
    h.sum().backward();
  });
  expect_same_gradients(chain.gradients(), expected, "float32 chain");
  const double ratio = static_cast<double>(checkpointed) / static_cast<double>(plain);
  std::cout << "peak bytes above baseline: without checkpointing " << plain << ", with "
            << checkpointed << " (ratio " << ratio << ")\n";
  EXPECT_LT(ratio, 0.6);
}

TEST(Checkpoint, DropoutDrawsTheSameMasks) {
  manual_seed(3);
  Chain chain(3, 8, f64);
  Tensor x0 = randn({6, 8}, {.dtype = f64});
  auto block = [&](const Tensor& in) { return dropout(chain.run(dropout(in, 0.5), 0, 3), 0.3); };
  auto run = [&](bool use_checkpoint, bool preserve) {
    chain.zero_grad();
    manual_seed(42);
    Tensor x = x0.clone().requires_grad_(true);
    Tensor y =
        use_checkpoint ? nn::checkpoint(block, x, {.preserve_rng_state = preserve}) : block(x);
    y.sum().backward();
    std::vector<Tensor> grads = chain.gradients();
    grads.push_back(x.grad());
    grads.push_back(y.detach());
    // The generator continues as if the recomputation had drawn nothing.
    grads.push_back(rand({4}, {.dtype = f64}));
    return grads;
  };
  std::vector<Tensor> expected = run(false, true);
  expect_same_gradients(run(true, true), expected, "dropout with preserved generator");

  // Without restoring the generator the recomputation draws other masks: other gradients.
  std::vector<Tensor> unrestored = run(true, false);
  EXPECT_FALSE(allclose(unrestored[0], expected[0], 1e-6, 1e-9));
}

TEST(Checkpoint, SeveralOutputs) {
  manual_seed(4);
  Tensor a0 = randn({3, 4}, {.dtype = f64});
  Tensor b0 = randn({4}, {.dtype = f64});
  auto fn = [](const std::vector<Tensor>& in) {
    Tensor s = tanh(in[0] * in[1]);
    return std::vector<Tensor>{s, argmax(s, 1), (s * in[1]).sum(), exp(in[1])};
  };
  auto run = [&](bool use_checkpoint) {
    Tensor a = a0.clone().requires_grad_(true);
    Tensor b = b0.clone().requires_grad_(true);
    std::vector<Tensor> out = use_checkpoint ? nn::checkpoint(fn, {a, b}) : fn({a, b});
    EXPECT_EQ(out.size(), 4u);
    EXPECT_EQ(out[1].dtype(), Dtype::int64);
    EXPECT_FALSE(out[1].requires_grad());
    EXPECT_EQ(out[2].dim(), 0);
    // The outputs are used unequally, and one not at all.
    (out[0].sum() * 2.0 + out[2] * 3.0).backward();
    return std::vector<Tensor>{a.grad(), b.grad(), out[0].detach(), out[3].detach()};
  };
  expect_same_gradients(run(true), run(false), "several outputs");

  // gradcheck through the checkpoint (float64, first order).
  Tensor a = a0.clone().requires_grad_(true);
  Tensor b = b0.clone().requires_grad_(true);
  auto result = gradcheck(
      [&](const std::vector<Tensor>& in) {
        std::vector<Tensor> out = nn::checkpoint(fn, in);
        return out[0].sum() + out[2] * 0.5 + (out[3] * out[3]).sum();
      },
      {a, b});
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(Checkpoint, IdentityAndConstantOutputs) {
  // An output that is an input itself, and one that depends on nothing requiring grad.
  Tensor x = tensor({1.0, 2.0}, {.dtype = f64}).requires_grad_(true);
  std::vector<Tensor> out = nn::checkpoint(
      [](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{in[0], ones({2}, {.dtype = f64})};
      },
      {x});
  (out[0] * 3.0 + out[1]).sum().backward();
  EXPECT_TRUE(equal(x.grad(), tensor({3.0, 3.0}, {.dtype = f64})));
}

TEST(Checkpoint, GradFunctionAndMixedInputs) {
  manual_seed(5);
  auto layer = std::make_shared<nn::Linear>(
      nn::LinearOptions{.in_features = 4, .out_features = 3, .dtype = f64});
  Tensor x = randn({2, 4}, {.dtype = f64}).requires_grad_(true);
  Tensor scale = randn({2, 3}, {.dtype = f64});  // an input that requires no grad

  // autograd::grad through the Module overload gives the input's and the weights' gradients and
  // leaves grad() alone.
  Tensor y = nn::checkpoint(*layer, x);
  std::vector<Tensor> g =
      autograd::grad({(tanh(y) * scale).sum()}, {x, layer->weight, layer->bias});
  std::vector<Tensor> e =
      autograd::grad({(tanh((*layer)(x)) * scale).sum()}, {x, layer->weight, layer->bias});
  expect_same_gradients(g, e, "autograd::grad");
  EXPECT_FALSE(layer->weight.grad().defined());
  EXPECT_FALSE(x.grad().defined());

  // A tensor used inside and outside the segment sums its two gradients.
  auto fn = [&](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{tanh((*layer)(in[0])) * in[1]};
  };
  Tensor out = nn::checkpoint(fn, {x, scale})[0];
  (out.sum() + (layer->weight * layer->weight).sum()).backward();
  Tensor grad_w = layer->weight.grad().clone();
  Tensor grad_x = x.grad().clone();
  layer->zero_grad();
  x.set_grad(Tensor());
  (fn({x, scale})[0].sum() + (layer->weight * layer->weight).sum()).backward();
  EXPECT_TRUE(tensors_close(grad_w, layer->weight.grad(), 1e-13, 1e-15));
  EXPECT_TRUE(tensors_close(grad_x, x.grad(), 1e-13, 1e-15));
  EXPECT_FALSE(scale.grad().defined());

  // retain_graph: the segment is recomputed for each backward pass.
  layer->zero_grad();
  Tensor z = nn::checkpoint(*layer, x).sum();
  z.backward(BackwardOptions{.retain_graph = true});
  Tensor once = layer->weight.grad().clone();
  z.backward();
  EXPECT_TRUE(tensors_close(layer->weight.grad(), once * 2.0, 1e-14, 0));
}

TEST(Checkpoint, FirstSegmentOnData) {
  // Data requires no grad: a Module (or listed parameters) still gets its gradients.
  manual_seed(6);
  nn::Linear layer({.in_features = 3, .out_features = 2, .dtype = f64});
  Tensor data = randn({4, 3}, {.dtype = f64});
  nn::checkpoint(layer, data).sum().backward();
  Tensor with = layer.weight.grad().clone();
  layer.zero_grad();
  layer(data).sum().backward();
  EXPECT_TRUE(tensors_close(with, layer.weight.grad(), 1e-14, 0));
}

TEST(Checkpoint, NoGradModeJustRuns) {
  nn::Linear layer({.in_features = 3, .out_features = 2});
  Tensor x = randn({4, 3}).requires_grad_(true);
  no_grad guard;
  Tensor y = nn::checkpoint(layer, x);
  EXPECT_FALSE(y.requires_grad());
  Tensor z = nn::checkpoint([](const Tensor& in) { return in * 2.0; }, randn({2}));
  EXPECT_FALSE(z.requires_grad());
}

TEST(Checkpoint, Errors) {
  Tensor x = randn({2, 3}).requires_grad_(true);
  EXPECT_THROW_WITH(
      nn::checkpoint([](const std::vector<Tensor>&) { return std::vector<Tensor>{}; }, {x}),
      ValueError, "checkpoint", "no tensors");
  EXPECT_THROW_WITH(nn::checkpoint(
                        [](const std::vector<Tensor>& in) {
                          return std::vector<Tensor>{in[0], Tensor()};
                        },
                        {x}),
                    ValueError, "checkpoint", "output 1", "undefined");
  // Weights captured by a lambda over data that requires no grad would get no gradient.
  nn::Linear layer({.in_features = 3, .out_features = 2});
  EXPECT_THROW_WITH(nn::checkpoint([&](const Tensor& in) { return layer(in); }, randn({2, 3})),
                    ValueError, "checkpoint", "no input requires grad", "options.parameters",
                    "no_grad");
  EXPECT_THROW_WITH(
      nn::checkpoint([](const Tensor& in) { return in; }, x, {.parameters = {x * 2.0}}), ValueError,
      "checkpoint", "parameters[0]", "not a leaf");
  EXPECT_THROW_WITH(nn::checkpoint(
                        [](const std::vector<Tensor>& in) {
                          return std::vector<Tensor>{in[0] * 2.0, in[0].to(Dtype::float64)};
                        },
                        {x}),
                    ValueError, "checkpoint", "share one dtype", "float32", "float64");
  EXPECT_THROW_WITH(nn::checkpoint(std::function<Tensor(const Tensor&)>(), x), ValueError,
                    "checkpoint", "fn is empty");

  // Double backward through a checkpoint is refused.
  Tensor y = nn::checkpoint([](const Tensor& in) { return in * in; }, x);
  EXPECT_THROW_WITH(autograd::grad({y.sum()}, {x}, {}, {.create_graph = true}), Error, "checkpoint",
                    "double backward", "not supported");

  // A non-deterministic fn is caught at recomputation.
  int calls = 0;
  Tensor w = nn::checkpoint(
      [&](const Tensor& in) { return ++calls == 1 ? in * 2.0 : (in * 2.0).sum(); }, x);
  EXPECT_THROW_WITH(w.sum().backward(), Error, "checkpoint", "recomputation", "deterministic");
}

}  // namespace
}  // namespace cajal
