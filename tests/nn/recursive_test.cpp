// Tree (Sentiment Treebank notation: parsing, printing, helpers, malformed input) and RecursiveNet:
// the level-batched computation against a naive per-node recursion, node order and labels,
// gradient checks in float64, state dict round trips, options and bad trees.
#include "cajal/nn/recursive.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "layer_test_support.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using nn::RecursiveNet;
using nn::Tree;
using testing::expect_error;

// ---------------------------------------------------------------------------------------------
// Tree

TEST(Tree, ParsesTheSentimentTreebankNotation) {
  Tree tree = Tree::parse("(3 (2 not) (4 (3 very) (4 good)))");
  EXPECT_EQ(tree.label, 3);
  ASSERT_EQ(tree.children.size(), 2u);
  EXPECT_TRUE(tree.children[0].is_leaf());
  EXPECT_EQ(tree.children[0].word, "not");
  EXPECT_EQ(tree.children[0].label, 2);
  EXPECT_EQ(tree.children[0].token, -1);
  EXPECT_EQ(tree.children[1].children[1].word, "good");
  EXPECT_EQ(tree.size(), 5);
  EXPECT_EQ(tree.depth(), 2);
  std::vector<std::string> words;
  for (const Tree* leaf : tree.leaves()) words.push_back(leaf->word);
  EXPECT_EQ(words, (std::vector<std::string>{"not", "very", "good"}));
  EXPECT_EQ(Tree::parse("  (0 word)\n").depth(), 0);
  EXPECT_EQ(Tree::parse("(-1 (1 a) (2 b) (3 c))").children.size(), 3u);
}

TEST(Tree, PrintsAndParsesBack) {
  for (const char* text :
       {"(3 (2 not) (4 (3 very) (4 good)))", "(1 x)", "(0 (1 (2 a) (3 b)) (4 -LRB-))",
        "(2 (1 (0 (1 a) (1 b)) (2 c)) (3 d))"}) {
    Tree tree = Tree::parse(text);
    EXPECT_EQ(tree.to_string(), text);
    EXPECT_EQ(Tree::parse(tree.to_string()), tree);
  }
  // Whitespace is free-form; printing normalizes it.
  EXPECT_EQ(Tree::parse("( 3\n\t(2  not )(4 good) )").to_string(), "(3 (2 not) (4 good))");
}

TEST(Tree, AssignsTokensAndBuildsProgrammatically) {
  Tree tree = Tree::parse("(3 (2 not) (4 (3 very) (4 good)))");
  std::map<std::string, int64_t> vocabulary{{"not", 0}, {"very", 1}, {"good", 2}};
  tree.assign_tokens([&](const std::string& word) { return vocabulary.at(word); });
  std::vector<int64_t> tokens;
  for (const Tree* leaf : tree.leaves()) tokens.push_back(leaf->token);
  EXPECT_EQ(tokens, (std::vector<int64_t>{0, 1, 2}));
  Tree built = Tree::node({Tree::leaf(0, 2, "not"),
                           Tree::node({Tree::leaf(1, 3, "very"), Tree::leaf(2, 4, "good")}, 4)},
                          3);
  EXPECT_EQ(built, tree);
}

TEST(Tree, RejectsMalformedText) {
  auto bad = [](std::string text, std::vector<std::string> parts) {
    SCOPED_TRACE(text);
    expect_error<ValueError>([&] { Tree::parse(text); },
                             [&] {
                               std::vector<std::string> all{"Tree::parse"};
                               all.insert(all.end(), parts.begin(), parts.end());
                               return all;
                             }());
  };
  bad("", {"expected '('", "end of input", "position 0"});
  bad("word", {"expected '('", "'w'", "position 0"});
  bad("(x word)", {"integer label", "'x'", "position 1"});
  bad("(3 word", {"expected ')'", "end of input", "position 7"});
  bad("(3 (2 a) (2 b)", {"expected ')'", "position 14"});
  bad("(3)", {"empty node", "position 2"});
  bad("(3 a b)", {"either one word or subtrees", "'b'", "position 5"});
  bad("(3 a (2 b))", {"cannot be followed by a subtree", "position 5"});
  bad("(3 (2 b) c)", {"either one word or subtrees", "'c'", "position 9"});
  bad("(1 a) (2 b)", {"unexpected text after the tree", "position 6"});
  bad("(1 a))", {"unexpected text", "')'", "position 5"});
  bad("(- a)", {"integer label", "position 1"});
  bad("(99999999999999999999 a)", {"label is too long", "position 1"});
  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += "(1 ";
  bad(deep, {"nesting deeper than 10000"});
}

// ---------------------------------------------------------------------------------------------
// RecursiveNet

std::vector<Tree> sample_trees() {
  return {Tree::parse("(3 (2 not) (4 (3 very) (4 good)))"),
          Tree::parse("(1 (1 (0 bad) (2 movie)) (2 (2 not) (3 (2 very) (1 bad))))"),
          Tree::parse("(2 good)"), Tree::parse("(0 (1 very) (2 (3 (1 good) (0 not)) (2 movie)))")};
}

std::vector<Tree> tokenized(std::vector<Tree> trees) {
  std::map<std::string, int64_t> vocabulary{
      {"not", 0}, {"very", 1}, {"good", 2}, {"bad", 3}, {"movie", 4}};
  for (Tree& tree : trees)
    tree.assign_tokens([&](const std::string& w) { return vocabulary.at(w); });
  return trees;
}

// The definition, one node at a time.
Tensor naive(RecursiveNet& net, const Tree& tree) {
  if (tree.is_leaf()) {
    Tensor x = net.embedding->weight[tree.token];
    if (net.leaf_projection) {
      x = tanh(matmul(net.leaf_projection->weight, x) + net.leaf_projection->bias);
    }
    return x;
  }
  Tensor children = cat({naive(net, tree.children[0]), naive(net, tree.children[1])}, 0);
  return tanh(matmul(net.composition->weight, children) + net.composition->bias);
}

void collect_post_order(const Tree& tree, std::vector<const Tree*>& out) {
  for (const Tree& child : tree.children) collect_post_order(child, out);
  out.push_back(&tree);
}

TEST(RecursiveNet, BatchedEqualsNaiveRecursion) {
  for (int64_t hidden : {0, 6}) {
    SCOPED_TRACE(hidden);
    manual_seed(1);
    RecursiveNet net(
        {.vocab_size = 5, .embedding_dim = 4, .hidden_size = hidden, .dtype = Dtype::float64});
    const int64_t h = hidden == 0 ? 4 : hidden;
    std::vector<Tree> trees = tokenized(sample_trees());
    Tensor roots = net(trees);
    ASSERT_EQ(roots.shape(), (Shape{4, h}));
    for (size_t t = 0; t < trees.size(); ++t) {
      EXPECT_TRUE(allclose(roots[t], naive(net, trees[t]), 1e-12, 1e-12)) << "tree " << t;
    }
  }
}

TEST(RecursiveNet, NodeOutputsFollowTheDocumentedOrder) {
  manual_seed(2);
  RecursiveNet net({.vocab_size = 5, .embedding_dim = 3, .dtype = Dtype::float64});
  std::vector<Tree> trees = tokenized(sample_trees());
  nn::NodeOutputs nodes = net.forward_nodes(trees);
  // Expected order: by height, then by tree, then post-order.
  struct Expected {
    int64_t height, tree, post;
    const Tree* node;
  };
  std::vector<Expected> expected;
  for (size_t t = 0; t < trees.size(); ++t) {
    std::vector<const Tree*> post;
    collect_post_order(trees[t], post);
    for (size_t i = 0; i < post.size(); ++i) {
      expected.push_back(
          {post[i]->depth(), static_cast<int64_t>(t), static_cast<int64_t>(i), post[i]});
    }
  }
  std::stable_sort(expected.begin(), expected.end(),
                   [](const Expected& a, const Expected& b) { return a.height < b.height; });
  ASSERT_EQ(nodes.vectors.size(0), static_cast<int64_t>(expected.size()));
  auto labels = to_vector<int64_t>(nodes.labels);
  auto tree_of = to_vector<int64_t>(nodes.tree);
  for (size_t r = 0; r < expected.size(); ++r) {
    EXPECT_EQ(labels[r], expected[r].node->label) << r;
    EXPECT_EQ(tree_of[r], expected[r].tree) << r;
    EXPECT_TRUE(allclose(nodes.vectors[r], naive(net, *expected[r].node), 1e-12, 1e-12)) << r;
  }
  auto roots = to_vector<int64_t>(nodes.roots);
  for (size_t t = 0; t < trees.size(); ++t) {
    EXPECT_EQ(labels[roots[t]], trees[t].label);
    EXPECT_EQ(tree_of[roots[t]], static_cast<int64_t>(t));
  }
}

TEST(RecursiveNet, GradientsCheckNumerically) {
  for (int64_t hidden : {0, 3}) {
    SCOPED_TRACE(hidden);
    manual_seed(3);
    RecursiveNet net(
        {.vocab_size = 5, .embedding_dim = 2, .hidden_size = hidden, .dtype = Dtype::float64});
    std::vector<Tree> trees = tokenized(sample_trees());
    // Node-level output so that every node's vector is checked, not only the roots'.
    EXPECT_TRUE(
        testing::parameter_gradcheck(net, [&] { return net.forward_nodes(trees).vectors; }));
    EXPECT_TRUE(testing::parameter_gradcheck(net, [&] { return net(trees); }));
  }
}

TEST(RecursiveNet, SecondOrderGradients) {
  manual_seed(4);
  RecursiveNet net({.vocab_size = 5, .embedding_dim = 2, .dtype = Dtype::float64});
  std::vector<Tree> trees = tokenized(sample_trees());
  Tensor weight = net.composition->weight.detach().clone().requires_grad_(true);
  // The composition weight as an explicit input: load it into the module on every call.
  auto fn = [&](const std::vector<Tensor>& inputs) {
    Tensor saved = net.composition->weight;
    net.composition->weight = inputs[0];
    Tensor out = net(trees);
    net.composition->weight = saved;
    return out;
  };
  auto result = autograd::gradcheck(fn, {weight}, {.check_second_order = true});
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(RecursiveNet, StateDictRoundTrip) {
  manual_seed(5);
  RecursiveNet net({.vocab_size = 5, .embedding_dim = 3, .hidden_size = 4});
  EXPECT_EQ(
      net.state_dict().keys(),
      (std::vector<std::string>{"embedding.weight", "leaf_projection.weight",
                                "leaf_projection.bias", "composition.weight", "composition.bias"}));
  std::vector<Tree> trees = tokenized(sample_trees());
  RecursiveNet fresh({.vocab_size = 5, .embedding_dim = 3, .hidden_size = 4});
  fresh.load_state_dict(testing::snapshot(net.state_dict()));
  EXPECT_TRUE(equal(net(trees), fresh(trees)));
  EXPECT_EQ(net.extra_repr(), "vocab_size=5, embedding_dim=3, hidden_size=4, cell=tanh");
}

TEST(RecursiveNet, LearnsToSeparateTwoTrees) {
  // A smoke test of training: two trees with the same words in different structures get
  // different classes, which a bag of words cannot do.
  manual_seed(6);
  RecursiveNet net({.vocab_size = 5, .embedding_dim = 8});
  nn::Linear classifier({.in_features = 8, .out_features = 2});
  std::vector<Tree> trees = tokenized({Tree::parse("(1 (1 (0 not) (1 very)) (2 good))"),
                                       Tree::parse("(0 (0 not) (1 (1 very) (2 good)))")});
  std::vector<Tensor> parameters = net.parameters();
  for (const Tensor& p : classifier.parameters()) parameters.push_back(p);
  optim::Adam optimizer(parameters, {.lr = 0.05});
  Tensor target = tensor({1, 0}, {.dtype = Dtype::int64});
  double loss_value = 0;
  for (int step = 0; step < 100; ++step) {
    optimizer.zero_grad();
    Tensor loss = nn::functional::cross_entropy(classifier(net(trees)), target);
    loss.backward();
    optimizer.step();
    loss_value = loss.item();
  }
  EXPECT_LT(loss_value, 0.05);
}

TEST(RecursiveNet, RejectsBadOptionsAndTrees) {
  expect_error<ValueError>([] { RecursiveNet({.vocab_size = 0, .embedding_dim = 2}); },
                           {"RecursiveNet", "vocab_size", "0"});
  expect_error<ValueError>([] { RecursiveNet({.vocab_size = 3, .embedding_dim = -1}); },
                           {"embedding_dim", "-1"});
  expect_error<ValueError>(
      [] { RecursiveNet({.vocab_size = 3, .embedding_dim = 2, .hidden_size = -4}); },
      {"hidden_size", "-4"});
  expect_error<ValueError>(
      [] { RecursiveNet({.vocab_size = 3, .embedding_dim = 2, .cell = "gru"}); },
      {"cell", "\"gru\""});
  expect_error<ValueError>(
      [] { RecursiveNet({.vocab_size = 3, .embedding_dim = 2, .dtype = Dtype::int64}); },
      {"dtype", "int64"});

  RecursiveNet net({.vocab_size = 5, .embedding_dim = 2});
  expect_error<ValueError>([&] { net(std::vector<Tree>{}); }, {"no trees"});
  std::vector<Tree> untokenized = sample_trees();
  expect_error<IndexError>([&] { net(untokenized); }, {"tree 0", "path [0]", "\"not\"", "token -1",
                                                       "vocab_size = 5", "not assigned"});
  std::vector<Tree> trees = tokenized(sample_trees());
  trees[1].children[1].children[1].children[0].token = 7;
  expect_error<IndexError>([&] { net(trees); },
                           {"tree 1", "path [1, 1, 0]", "\"very\"", "token 7"});
  std::vector<Tree> ternary = tokenized({Tree::parse("(1 (2 good) (0 (1 not) (2 very) (3 bad)))")});
  expect_error<ValueError>([&] { net(ternary); },
                           {"tree 0", "path [1]", "3 children", "exactly 2"});
  std::vector<Tree> unary = tokenized({Tree::parse("(1 (2 good) (0 (1 bad)))")});
  expect_error<ValueError>([&] { net(unary); }, {"path [1]", "1 children"});
  expect_error<ValueError>([&] { net.forward(zeros({2})); }, {"RecursiveNet"});
}

}  // namespace
}  // namespace cajal
