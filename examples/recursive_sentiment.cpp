// Sentiment of phrases in a small synthetic language, where meaning follows structure: a recursive
// network (nn::RecursiveNet) against a bag-of-words baseline that sees the same words but not the
// tree.
//
// The language: positive words (+1), negative words (-1), neutral words (0); "very X" doubles the
// value of the phrase X, "not X" negates it, and two phrases side by side add up. Every node's
// label is the sign of its value: 0 negative, 1 neutral, 2 positive. "not" flips exactly the
// phrase it attaches to, so "(not good) (very bad)" and "not (good (very bad))" hold the same
// words and opposite labels: a bag of words cannot tell them apart.
//
// The recursive network is trained on every node's label (the Sentiment Treebank's setting). The
// baseline is trained twice, on every node's label and on the roots' only (its better case: a
// mean over many leaves is a different input from a single word's). Accuracy is reported on the
// roots of held-out trees.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "cajal/cajal.h"

using namespace cajal;

namespace {

const std::vector<std::string> kWords = {
    "good", "great", "fine",  "nice", "lovely", "fun",  "bad",   "awful", "dull", "boring",
    "poor", "ugly",  "movie", "plot", "actor",  "film", "scene", "story", "not",  "very"};
constexpr int64_t kNot = 18, kVery = 19;

int64_t word_value(int64_t token) { return token < 6 ? 1 : token < 12 ? -1 : 0; }
int64_t label_of(int64_t value) { return value < 0 ? 0 : value == 0 ? 1 : 2; }

nn::Tree leaf(int64_t token) { return nn::Tree::leaf(token, 1, kWords[token]); }

// A random phrase and its value; every node is labelled with the rule.
nn::Tree phrase(Generator& generator, int64_t depth, int64_t& value) {
  const double r = generator.uniform();
  if (depth >= 5 || r < 0.3) {
    const double kind = generator.uniform();
    const int64_t token = kind < 0.35  ? generator.integer(0, 6)
                          : kind < 0.7 ? generator.integer(6, 12)
                                       : generator.integer(12, 18);
    value = word_value(token);
    return nn::Tree::leaf(token, label_of(value), kWords[token]);
  }
  int64_t inner = 0;
  if (r < 0.45) {
    nn::Tree x = phrase(generator, depth + 1, inner);
    value = 2 * inner;
    return nn::Tree::node({leaf(kVery), std::move(x)}, label_of(value));
  }
  if (r < 0.65) {
    nn::Tree x = phrase(generator, depth + 1, inner);
    value = -inner;
    return nn::Tree::node({leaf(kNot), std::move(x)}, label_of(value));
  }
  int64_t right = 0;
  nn::Tree a = phrase(generator, depth + 1, inner);
  nn::Tree b = phrase(generator, depth + 1, right);
  value = inner + right;
  return nn::Tree::node({std::move(a), std::move(b)}, label_of(value));
}

std::vector<nn::Tree> make_trees(int64_t count, uint64_t seed) {
  Generator generator(seed);
  std::vector<nn::Tree> trees;
  while (static_cast<int64_t>(trees.size()) < count) {
    int64_t value = 0;
    nn::Tree tree = phrase(generator, 0, value);
    if (!tree.is_leaf()) trees.push_back(std::move(tree));
  }
  return trees;
}

// Bag of words: a node's vector is the mean of the embeddings of the leaves below it. Built as
// one averaging matrix [nodes, leaves] times the leaves' embeddings.
struct BagOfWords {
  Tensor averaging;  // [M, L]
  Tensor tokens;     // int64 [L]
  Tensor labels;     // int64 [M]
  Tensor roots;      // int64 [N]
};

BagOfWords bag_of_words(const std::vector<nn::Tree>& trees) {
  std::vector<int64_t> tokens, labels, roots;
  std::vector<std::vector<int64_t>> node_leaves;
  for (const nn::Tree& tree : trees) {
    // Depth-first: each node's leaves are a contiguous run of this tree's leaves.
    std::function<std::pair<int64_t, int64_t>(const nn::Tree&)> visit = [&](const nn::Tree& node) {
      int64_t first = static_cast<int64_t>(tokens.size()), last = first;
      if (node.is_leaf()) {
        tokens.push_back(node.token);
        last = first + 1;
      } else {
        first = visit(node.children[0]).first;
        last = visit(node.children[1]).second;
      }
      std::vector<int64_t> run;
      for (int64_t i = first; i < last; ++i) run.push_back(i);
      node_leaves.push_back(run);
      labels.push_back(node.label);
      return std::pair{first, last};
    };
    visit(tree);
    roots.push_back(static_cast<int64_t>(labels.size()) - 1);
  }
  const int64_t m = static_cast<int64_t>(labels.size()), l = static_cast<int64_t>(tokens.size());
  std::vector<float> averaging(m * l, 0.0f);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j : node_leaves[i]) averaging[i * l + j] = 1.0f / node_leaves[i].size();
  }
  return {from_vector(averaging, {m, l}), from_vector(tokens), from_vector(labels),
          from_vector(roots)};
}

double accuracy(const Tensor& logits, const Tensor& labels) {
  return (argmax(logits, 1) == labels).to(Dtype::float64).mean().item();
}

}  // namespace

int main() {
  manual_seed(1);
  const int64_t dim = 24, epochs = 12, batch = 25;
  std::vector<nn::Tree> train_trees = make_trees(2000, 11), test_trees = make_trees(500, 12);
  std::vector<int64_t> class_count(3, 0);
  for (const auto& t : test_trees) ++class_count[t.label];
  std::printf(
      "2000 training and 500 test trees; test roots: %ld negative, %ld neutral, %ld positive\n",
      class_count[0], class_count[1], class_count[2]);

  // The recursive network and its classifier.
  nn::RecursiveNet net({.vocab_size = static_cast<int64_t>(kWords.size()), .embedding_dim = dim});
  nn::Linear classifier({.in_features = dim, .out_features = 3});
  // The baseline: embeddings, the mean over a phrase's words, the same kind of classifier.
  nn::Embedding bag_embedding(
      {.num_embeddings = static_cast<int64_t>(kWords.size()), .embedding_dim = dim});
  nn::Linear bag_classifier({.in_features = dim, .out_features = 3});
  nn::Embedding root_bag_embedding(
      {.num_embeddings = static_cast<int64_t>(kWords.size()), .embedding_dim = dim});
  nn::Linear root_bag_classifier({.in_features = dim, .out_features = 3});

  std::vector<Tensor> parameters = net.parameters(), bag_parameters = bag_embedding.parameters(),
                      root_bag_parameters = root_bag_embedding.parameters();
  for (const Tensor& p : classifier.parameters()) parameters.push_back(p);
  for (const Tensor& p : bag_classifier.parameters()) bag_parameters.push_back(p);
  for (const Tensor& p : root_bag_classifier.parameters()) root_bag_parameters.push_back(p);
  optim::Adam optimizer(parameters, {.lr = 0.01});
  optim::Adam bag_optimizer(bag_parameters, {.lr = 0.01});
  optim::Adam root_bag_optimizer(root_bag_parameters, {.lr = 0.01});

  std::vector<BagOfWords> bag_batches;
  std::vector<std::vector<nn::Tree>> tree_batches;
  for (size_t start = 0; start < train_trees.size(); start += batch) {
    std::vector<nn::Tree> trees(train_trees.begin() + start,
                                train_trees.begin() + std::min(train_trees.size(), start + batch));
    bag_batches.push_back(bag_of_words(trees));
    tree_batches.push_back(std::move(trees));
  }
  std::printf("%5s  %14s  %14s  %14s\n", "epoch", "recursive loss", "bag loss", "root bag loss");
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    double loss_sum = 0, bag_loss_sum = 0, root_bag_loss_sum = 0;
    for (size_t b = 0; b < tree_batches.size(); ++b) {
      optimizer.zero_grad();
      nn::NodeOutputs nodes = net.forward_nodes(tree_batches[b]);
      Tensor loss = nn::functional::cross_entropy(classifier(nodes.vectors), nodes.labels);
      loss.backward();
      optimizer.step();
      loss_sum += loss.item();

      bag_optimizer.zero_grad();
      const BagOfWords& bag = bag_batches[b];
      Tensor vectors = matmul(bag.averaging, bag_embedding(bag.tokens));
      Tensor bag_loss = nn::functional::cross_entropy(bag_classifier(vectors), bag.labels);
      bag_loss.backward();
      bag_optimizer.step();
      bag_loss_sum += bag_loss.item();

      root_bag_optimizer.zero_grad();
      Tensor root_vectors =
          index_select(matmul(bag.averaging, root_bag_embedding(bag.tokens)), 0, bag.roots);
      Tensor root_bag_loss = nn::functional::cross_entropy(root_bag_classifier(root_vectors),
                                                           index_select(bag.labels, 0, bag.roots));
      root_bag_loss.backward();
      root_bag_optimizer.step();
      root_bag_loss_sum += root_bag_loss.item();
    }
    const double batches = static_cast<double>(tree_batches.size());
    std::printf("%5ld  %14.4f  %14.4f  %14.4f\n", epoch, loss_sum / batches, bag_loss_sum / batches,
                root_bag_loss_sum / batches);
  }

  no_grad guard;
  std::vector<int64_t> test_labels;
  for (const auto& t : test_trees) test_labels.push_back(t.label);
  const Tensor labels = from_vector(test_labels);
  const double recursive_accuracy = accuracy(classifier(net(test_trees)), labels);
  const BagOfWords bag = bag_of_words(test_trees);
  Tensor bag_vectors = matmul(bag.averaging, bag_embedding(bag.tokens));
  const double bag_accuracy =
      accuracy(index_select(bag_classifier(bag_vectors), 0, bag.roots), labels);
  Tensor root_bag_vectors =
      index_select(matmul(bag.averaging, root_bag_embedding(bag.tokens)), 0, bag.roots);
  const double root_bag_accuracy = accuracy(root_bag_classifier(root_bag_vectors), labels);
  std::printf("\ntest accuracy on the roots:\n");
  std::printf("  recursive network (trained on all nodes)  %5.1f%%\n", 100 * recursive_accuracy);
  std::printf("  bag of words (trained on all nodes)       %5.1f%%\n", 100 * bag_accuracy);
  std::printf("  bag of words (trained on the roots)       %5.1f%%\n", 100 * root_bag_accuracy);
  std::printf(
      "  always the most frequent class            %5.1f%%\n",
      100.0 * std::max({class_count[0], class_count[1], class_count[2]}) / test_trees.size());
  return 0;
}
