#pragma once
// Recursive neural network over trees (Socher, Lin, Ng and Manning 2011, "Parsing natural scenes
// and natural language with recursive neural networks"; Socher et al. 2013, "Recursive deep
// models for semantic compositionality over a sentiment treebank"): a leaf's vector is its word's
// embedding, an inner node's vector composes its two children's,
//     h = tanh(W [h_left; h_right] + b),
// so one weight matrix is shared by every node of every tree, and a phrase's vector depends on its
// structure ("not (very good)" differs from "(not very) good").
//
//   nn::Tree tree = nn::Tree::parse("(3 (2 not) (4 (3 very) (4 good)))");
//   tree.assign_tokens([&](const std::string& word) { return vocabulary.at(word); });
//   nn::RecursiveNet net({.vocab_size = 1000, .embedding_dim = 32});
//   Tensor roots = net.forward({tree});               // [1, 32]
//   auto nodes = net.forward_nodes({tree});           // every node's vector and label
//   Tensor loss = cross_entropy(classifier(nodes.vectors), nodes.labels);
//
// The batch is computed level by level: all nodes of the same height across all trees in one
// matrix product, so the cost is a few large ops per level rather than one small op per node.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cajal/nn/embedding.h"
#include "cajal/nn/linear.h"
#include "cajal/nn/module.h"

namespace cajal::nn {

// A labelled ordered tree. A leaf has no children and carries a token id (and its word); an inner
// node has children. label < 0 means unlabelled.
struct Tree {
  int64_t label = -1;
  int64_t token = -1;
  std::vector<Tree> children;
  std::string word;

  static Tree leaf(int64_t token, int64_t label = -1, std::string word = "");
  static Tree node(std::vector<Tree> children, int64_t label = -1);

  // Stanford Sentiment Treebank notation: "(3 (2 not) (4 (3 very) (4 good)))". A node is
  // "(" label children ")" and a leaf "(" label word ")"; labels are integers (an optional '-'
  // sign), words any run of characters other than whitespace and parentheses. Leaves get
  // token -1: set tokens with assign_tokens. ValueError naming the byte position for anything
  // malformed (including nesting deeper than 10,000, which keeps recursion over trees safe).
  static Tree parse(std::string_view s_expression);
  // The same notation, on one line; parse(to_string()) gives the tree back (leaves' words and
  // labels; token ids are not part of the notation).
  std::string to_string() const;

  bool is_leaf() const { return children.empty(); }
  // The leaves, left to right.
  std::vector<const Tree*> leaves() const;
  // Number of nodes (leaves included).
  int64_t size() const;
  // Edges on the longest path from this node down to a leaf (a leaf has depth 0).
  int64_t depth() const;
  // Sets every leaf's token to token_of(word).
  void assign_tokens(const std::function<int64_t(const std::string&)>& token_of);

  bool operator==(const Tree&) const = default;
};

struct RecursiveNetOptions {
  int64_t vocab_size = 0;     // leaves' token ids lie in [0, vocab_size) (required, >= 1)
  int64_t embedding_dim = 0;  // size of the word vectors (required, >= 1)
  // Size of the node vectors; 0 means embedding_dim. When it differs from embedding_dim, a leaf's
  // vector is tanh(W_leaf x + b_leaf) of its embedding x (a learned projection).
  int64_t hidden_size = 0;
  // The composition: "tanh", h = tanh(W [h_1; h_2] + b), for binary trees (every inner node has
  // exactly 2 children, as in the Sentiment Treebank).
  std::string cell = "tanh";
  Dtype dtype = Dtype::float32;  // float32 or float64
};

// Every node's vector, for node-level losses. Rows are ordered by height (leaves first, then
// nodes whose children are all leaves, ...); within one height, by tree, then in post-order
// (left to right) within the tree.
struct NodeOutputs {
  Tensor vectors;  // [M, hidden_size], M = total number of nodes
  Tensor labels;   // int64 [M], each node's label (-1 when unlabelled)
  Tensor tree;     // int64 [M], the index of the tree the node belongs to
  Tensor roots;    // int64 [N], the row of each tree's root in `vectors`
};

class RecursiveNet : public Module {
 public:
  // ValueError naming the option for vocab_size or embedding_dim < 1, hidden_size < 0, an
  // unknown cell or a dtype that is not floating point.
  explicit RecursiveNet(RecursiveNetOptions options);

  using Module::forward;
  using Module::operator();
  // The root vectors of N trees: [N, hidden_size]. ValueError for an empty batch or an inner node
  // whose arity is not 2, IndexError for a leaf whose token lies outside [0, vocab_size); both
  // name the tree and the node (its path of child indices from the root, and its word).
  Tensor forward(const std::vector<Tree>& trees);
  Tensor operator()(const std::vector<Tree>& trees) { return forward(trees); }
  // Every node's vector (see NodeOutputs); same errors.
  NodeOutputs forward_nodes(const std::vector<Tree>& trees);

  std::string extra_repr() const override;
  const RecursiveNetOptions& options() const { return options_; }
  int64_t hidden_size() const { return hidden_size_; }

  std::shared_ptr<Embedding> embedding;     // [vocab_size, embedding_dim]
  std::shared_ptr<Linear> leaf_projection;  // embedding_dim -> hidden; null when they are equal
  std::shared_ptr<Linear> composition;      // 2 * hidden -> hidden

 private:
  RecursiveNetOptions options_;
  int64_t hidden_size_;
};

}  // namespace cajal::nn
