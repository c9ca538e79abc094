// Embedding: PyTorch golden values (lookups, repeated ids, padding_idx, max_norm with several norm
// types, float32), gradient checks of the table in float64, padding rows that never learn,
// renormalization semantics, initialization, from_pretrained, state dicts, printing, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/nn/embedding.h"
#include "layer_test_support.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::GoldenCase;
using testing::values_match;

Tensor ids(std::initializer_list<double> values) { return tensor(values, {.dtype = Dtype::int64}); }

// ---------------------------------------------------------------------------------------------
// Golden values (tools/golden/nn_embedding.py).

nn::Embedding make_embedding(const GoldenCase& c) {
  nn::EmbeddingOptions options{.num_embeddings = static_cast<int64_t>(c.param("num_embeddings")),
                               .embedding_dim = static_cast<int64_t>(c.param("embedding_dim"))};
  if (c.params_json.count("padding_idx")) {
    options.padding_idx = static_cast<int64_t>(c.param("padding_idx"));
  }
  if (c.params_json.count("max_norm")) options.max_norm = c.param("max_norm");
  options.norm_type = c.params_json.at("norm_type") == "\"inf\""
                          ? std::numeric_limits<double>::infinity()
                          : c.param("norm_type");
  return nn::Embedding(options);
}

TEST(EmbeddingGolden, EveryCaseMatchesPyTorch) {
  auto cases = testing::load_golden("nn_embedding");
  ASSERT_GE(cases.size(), 12u);
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE("golden case " + name);
    const bool f32 = c.inputs[1].dtype() == Dtype::float32;
    const double rtol = f32 ? 1e-5 : 1e-10;
    const double atol = f32 ? 1e-6 : 1e-12;
    nn::Embedding layer = make_embedding(c);
    layer.to(c.inputs[1].dtype());
    layer.load_state_dict({{"weight", c.inputs[1]}});
    Tensor y = layer(c.inputs[0]);
    EXPECT_TRUE(values_match(y, c.outputs[0], rtol, atol)) << "output";
    EXPECT_TRUE(values_match(layer.weight, c.outputs[1], rtol, atol)) << "weight after forward";
    y.backward(c.grad_outputs.at(0));
    EXPECT_TRUE(values_match(layer.weight.grad(), *c.grads[1], rtol, atol)) << "weight gradient";
  }
}

// ---------------------------------------------------------------------------------------------
// Gradients.

// (Only without padding: the padding row's analytic gradient is 0 by design, while its
// numerical derivative is not; PaddingRowIsZeroAndNeverLearns covers it.)
TEST(EmbeddingGradcheck, TableGradientInFloat64) {
  manual_seed(31);
  nn::Embedding layer({.num_embeddings = 6, .embedding_dim = 3});
  layer.to(Dtype::float64);
  Tensor indices = tensor({{0, 2, 5}, {2, 2, 1}}, {.dtype = Dtype::int64});
  EXPECT_TRUE(testing::parameter_gradcheck(layer, [&] { return layer(indices); }));
  // Second order: the lookup is linear in the table, so a double backward must run and find
  // the gradient constant.
  auto result = autograd::gradcheck(
      [&](const std::vector<Tensor>& v) { return embedding(indices, v[0]); },
      {layer.weight.detach().clone().requires_grad_(true)}, {.check_second_order = true});
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(Embedding, PaddingRowIsZeroAndNeverLearns) {
  manual_seed(32);
  nn::Embedding layer({.num_embeddings = 5, .embedding_dim = 4, .padding_idx = 1});
  EXPECT_TRUE(equal(layer.weight.select(0, 1), zeros({4})));
  EXPECT_FALSE(equal(layer.weight.select(0, 0), zeros({4})));
  Tensor indices = tensor({{1, 0, 1}, {3, 1, 1}}, {.dtype = Dtype::int64});
  for (int step = 0; step < 3; ++step) {
    layer.zero_grad();
    Tensor y = layer(indices);
    (y * y).sum().backward();
    EXPECT_TRUE(equal(layer.weight.grad().select(0, 1), zeros({4})));
    EXPECT_FALSE(equal(layer.weight.grad().select(0, 0), zeros({4})));
    no_grad guard;
    layer.weight.sub_(layer.weight.grad(), 0.1);
  }
  EXPECT_TRUE(equal(layer.weight.select(0, 1), zeros({4})));
  // A negative padding_idx counts from the end and prints normalized, as PyTorch.
  nn::Embedding last({.num_embeddings = 5, .embedding_dim = 2, .padding_idx = -1});
  EXPECT_EQ(last.options().padding_idx, 4);
  EXPECT_TRUE(equal(last.weight.select(0, 4), zeros({2})));
}

TEST(Embedding, RepeatedIdsAccumulateGradient) {
  nn::Embedding layer({.num_embeddings = 3, .embedding_dim = 2});
  layer(ids({2, 2, 0, 2})).sum().backward();
  EXPECT_TRUE(equal(layer.weight.grad(), tensor({{1, 1}, {0, 0}, {3, 3}})));
}

// ---------------------------------------------------------------------------------------------
// max_norm.

TEST(Embedding, MaxNormRenormalizesOnlyTheRowsLookedUp) {
  nn::Embedding layer({.num_embeddings = 4, .embedding_dim = 2, .max_norm = 1.0});
  layer.to(Dtype::float64);
  layer.load_state_dict(
      {{"weight", tensor({{3, 4}, {0.6, 0.8}, {0.3, 0.4}, {6, 8}}, {.dtype = Dtype::float64})}});
  Tensor y = layer(ids({0, 1, 2, 0}));
  const double scale = 1.0 / (5.0 + 1e-7);  // PyTorch's factor max_norm / (norm + 1e-7)
  Tensor expected_weight =
      tensor({{3 * scale, 4 * scale}, {0.6, 0.8}, {0.3, 0.4}, {6, 8}}, {.dtype = Dtype::float64});
  // Row 0 shrinks (once, though named twice); row 1 sits at the limit and row 2 below it, so
  // both stay; row 3 is above the limit but not looked up, so it stays too.
  EXPECT_TRUE(allclose(layer.weight, expected_weight, 1e-15, 0));
  EXPECT_TRUE(allclose(y, expected_weight.index({ids({0, 1, 2, 0})}), 1e-15, 0));
  EXPECT_LE(norm(layer.weight.select(0, 0)).item(), 1.0);
  // The renormalization is outside the graph: the gradient is the plain lookup's.
  y.sum().backward();
  EXPECT_TRUE(equal(layer.weight.grad(),
                    tensor({{2, 2}, {1, 1}, {1, 1}, {0, 0}}, {.dtype = Dtype::float64})));
  // The free function does the same, with other norms.
  Tensor table = tensor({{1, -2, 2}, {0.5, 0.5, 0}});
  nn::embedding_renorm_(table, ids({0, 1}), 1.5, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(allclose(table, tensor({{0.75, -1.5, 1.5}, {0.5, 0.5, 0}}), 1e-6, 0));
}

// As in PyTorch, the in-place renormalization is visible to autograd's version check: a graph
// recorded with the table before it changed refuses to run backward rather than use the changed
// values (tied output weights), and so does an earlier lookup. One lookup of all the ids works.
TEST(Embedding, MaxNormInvalidatesGraphsRecordedBeforeTheChange) {
  auto make = [] {
    nn::Embedding layer({.num_embeddings = 3, .embedding_dim = 2, .max_norm = 1.0});
    layer.load_state_dict({{"weight", tensor({{3, 4}, {0.1, 0.2}, {6, 8}})}});
    return layer;
  };
  nn::Embedding tied = make();
  Tensor hidden = ones({1, 2}).requires_grad_(true);
  Tensor logits = matmul(hidden, tied.weight.t());  // saves the table for d/d hidden
  tied(ids({1}));                                   // row 1 is short: nothing changes
  EXPECT_NO_THROW(logits.sum().backward(BackwardOptions{.retain_graph = true}));
  tied(ids({0}));  // row 0 is rescaled
  EXPECT_THROW_WITH(logits.sum().backward(), Error, "modified in place");

  nn::Embedding twice = make();
  Tensor first = twice(ids({0, 1}));
  Tensor second = twice(ids({2}));  // rescales row 2
  EXPECT_THROW_WITH((first.sum() + second.sum()).backward(), Error, "modified in place");
  nn::Embedding once = make();
  Tensor both = once(ids({0, 1, 2}));
  both.sum().backward();
  EXPECT_TRUE(equal(once.weight.grad(), ones({3, 2})));
}

// ---------------------------------------------------------------------------------------------
// Initialization, from_pretrained, state dicts, printing.

TEST(Embedding, InitializedFromStandardNormal) {
  manual_seed(33);
  nn::Embedding layer({.num_embeddings = 200, .embedding_dim = 100});
  EXPECT_EQ(layer.weight.shape(), (Shape{200, 100}));
  EXPECT_EQ(layer.weight.dtype(), Dtype::float32);
  EXPECT_TRUE(layer.weight.requires_grad());
  EXPECT_EQ(nn::Embedding({.num_embeddings = 2, .embedding_dim = 2, .dtype = Dtype::float64})
                .weight.dtype(),
            Dtype::float64);
  // 20000 draws: the sample mean is within 4 standard errors (0.028) of 0, the std near 1.
  EXPECT_NEAR(layer.weight.mean().item(), 0.0, 0.03);
  EXPECT_NEAR(std(layer.weight).item(), 1.0, 0.03);
}

TEST(Embedding, FromPretrainedCopiesAndFreezes) {
  Tensor vectors = tensor({{1, 2}, {3, 4}, {5, 6}}, {.dtype = Dtype::float64});
  nn::Embedding frozen = nn::Embedding::from_pretrained(vectors);
  EXPECT_EQ(frozen.options().num_embeddings, 3);
  EXPECT_EQ(frozen.options().embedding_dim, 2);
  EXPECT_EQ(frozen.weight.dtype(), Dtype::float64);
  EXPECT_TRUE(equal(frozen.weight, vectors));
  EXPECT_FALSE(frozen.weight.requires_grad());
  EXPECT_EQ(count_parameters(frozen, /*trainable_only=*/true), 0);
  EXPECT_TRUE(equal(frozen(ids({2, 0})), tensor({{5, 6}, {1, 2}}, {.dtype = Dtype::float64})));
  // A copy: changing the module leaves the caller's tensor alone.
  {
    no_grad guard;
    frozen.weight.fill_(0);
  }
  EXPECT_EQ(vectors.at<double>({0, 0}), 1.0);

  // Unfrozen, with padding: the padding row is kept as given but receives no gradient.
  nn::Embedding tuned =
      nn::Embedding::from_pretrained(vectors, /*freeze=*/false, {.padding_idx = 1});
  EXPECT_TRUE(tuned.weight.requires_grad());
  EXPECT_TRUE(equal(tuned.weight.select(0, 1), tensor({3, 4}, {.dtype = Dtype::float64})));
  tuned(ids({1, 2})).sum().backward();
  EXPECT_TRUE(
      equal(tuned.weight.grad(), tensor({{0, 0}, {0, 0}, {1, 1}}, {.dtype = Dtype::float64})));
  nn::Embedding bounded = nn::Embedding::from_pretrained(vectors, true, {.max_norm = 1.0});
  bounded(ids({2}));
  EXPECT_NEAR(norm(bounded.weight.select(0, 2)).item(), 1.0, 1e-6);

  EXPECT_THROW_WITH(nn::Embedding::from_pretrained(ones({3})), ShapeError, "from_pretrained", "2-D",
                    "[3]");
  EXPECT_THROW_WITH(nn::Embedding::from_pretrained(ones({3, 2}, {.dtype = Dtype::int64})),
                    ValueError, "from_pretrained", "int64");
}

TEST(Embedding, StateDictRoundTripAndPrinting) {
  manual_seed(34);
  nn::Embedding layer({.num_embeddings = 10, .embedding_dim = 3, .padding_idx = 0});
  EXPECT_EQ(layer.state_dict().keys(), std::vector<std::string>{"weight"});
  nn::Embedding restored({.num_embeddings = 10, .embedding_dim = 3, .padding_idx = 0});
  restored.load_state_dict(testing::snapshot(layer.state_dict()));
  Tensor indices = tensor({{1, 9}, {0, 4}}, {.dtype = Dtype::int64});
  EXPECT_TRUE(equal(layer(indices), restored(indices)));

  EXPECT_EQ(to_string(nn::Embedding({.num_embeddings = 10, .embedding_dim = 3})),
            "Embedding(10, 3)");
  EXPECT_EQ(to_string(nn::Embedding(
                {.num_embeddings = 10, .embedding_dim = 3, .padding_idx = 0, .max_norm = 1.0})),
            "Embedding(10, 3, padding_idx=0, max_norm=1.0)");
  EXPECT_EQ(to_string(nn::Embedding(
                {.num_embeddings = 10, .embedding_dim = 3, .max_norm = 2.5, .norm_type = 1.0})),
            "Embedding(10, 3, max_norm=2.5, norm_type=1.0)");
}

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(EmbeddingErrors, BadOptionsNameTheOption) {
  EXPECT_THROW_WITH(nn::Embedding({.num_embeddings = 0, .embedding_dim = 3}), ValueError,
                    "Embedding", "num_embeddings", "0");
  EXPECT_THROW_WITH(nn::Embedding({.num_embeddings = 4, .embedding_dim = 2, .dtype = Dtype::int64}),
                    ValueError, "Embedding", "dtype", "int64");
  EXPECT_THROW_WITH(nn::Embedding({.num_embeddings = 4, .embedding_dim = -1}), ValueError,
                    "Embedding", "embedding_dim", "-1");
  EXPECT_THROW_WITH(nn::Embedding({.num_embeddings = 4, .embedding_dim = 2, .padding_idx = 4}),
                    ValueError, "Embedding", "padding_idx", "4");
  EXPECT_THROW_WITH(nn::Embedding({.num_embeddings = 4, .embedding_dim = 2, .padding_idx = -5}),
                    ValueError, "Embedding", "padding_idx", "-5");
  EXPECT_THROW_WITH(nn::Embedding({.num_embeddings = 4, .embedding_dim = 2, .max_norm = -1.0}),
                    ValueError, "Embedding", "max_norm", "-1.0");
  EXPECT_THROW_WITH(
      nn::Embedding({.num_embeddings = 4, .embedding_dim = 2, .max_norm = 1.0, .norm_type = 0}),
      ValueError, "Embedding", "norm_type", "0.0");
}

TEST(EmbeddingErrors, BadIndices) {
  nn::Embedding layer({.num_embeddings = 10, .embedding_dim = 2});
  EXPECT_THROW_WITH(layer(tensor({1.0, 2.0})), ValueError, "Embedding", "int64", "float32");
  EXPECT_THROW_WITH(layer(ids({3, 12})), IndexError, "12", "10");
  EXPECT_THROW_WITH(layer(ids({-1})), IndexError, "-1", "10");
  nn::Embedding bounded({.num_embeddings = 10, .embedding_dim = 2, .max_norm = 1.0});
  Tensor before = bounded.weight.clone();
  EXPECT_THROW_WITH(bounded(ids({0, 10})), IndexError, "10");
  // The refused lookup renormalized nothing.
  EXPECT_TRUE(equal(bounded.weight, before));
}

}  // namespace
}  // namespace cajal
