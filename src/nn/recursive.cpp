#include "cajal/nn/recursive.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/indexing.h"
#include "cajal/ops/linalg.h"
#include "cajal/ops/manipulation.h"
#include "cajal/ops/math.h"

namespace cajal::nn {
namespace {

constexpr int64_t kMaxParseNesting = 10000;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Visits every node of `root` in post-order (children left to right before their parent) without
// recursion; visit(node, path) gets the child indices leading from the root to the node.
template <typename Visit>
void post_order(const Tree& root, Visit&& visit) {
  struct Frame {
    const Tree* node;
    size_t next_child;
  };
  std::vector<Frame> stack{{&root, 0}};
  std::vector<int64_t> path;
  while (!stack.empty()) {
    Frame& frame = stack.back();
    if (frame.next_child < frame.node->children.size()) {
      const Tree* child = &frame.node->children[frame.next_child];
      path.push_back(static_cast<int64_t>(frame.next_child));
      ++frame.next_child;
      stack.push_back({child, 0});
      continue;
    }
    visit(*frame.node, path);
    stack.pop_back();
    if (!path.empty()) path.pop_back();
  }
}

std::string path_string(const std::vector<int64_t>& path) {
  if (path.empty()) return "root";
  std::string text = "path [";
  for (size_t i = 0; i < path.size(); ++i) text += (i ? ", " : "") + std::to_string(path[i]);
  return text + "]";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Tree

Tree Tree::leaf(int64_t token, int64_t label, std::string word) {
  Tree tree;
  tree.token = token;
  tree.label = label;
  tree.word = std::move(word);
  return tree;
}

Tree Tree::node(std::vector<Tree> children, int64_t label) {
  Tree tree;
  tree.children = std::move(children);
  tree.label = label;
  return tree;
}

Tree Tree::parse(std::string_view text) {
  size_t position = 0;
  auto fail = [&](const std::string& what) -> void {
    throw ValueError("Tree::parse: " + what + " at position " + std::to_string(position));
  };
  auto skip_space = [&] {
    while (position < text.size() && is_space(text[position])) ++position;
  };
  auto describe = [&]() -> std::string {
    if (position >= text.size()) return "end of input";
    return std::string("'") + text[position] + "'";
  };
  // Open nodes, innermost last; a node is closed into its parent's children.
  std::vector<Tree> open;
  std::vector<bool> has_word;
  skip_space();
  if (position >= text.size() || text[position] != '(') fail("expected '(', got " + describe());
  while (true) {
    // At '(' : read the label.
    ++position;
    if (static_cast<int64_t>(open.size()) >= kMaxParseNesting) {
      fail("nesting deeper than " + std::to_string(kMaxParseNesting));
    }
    skip_space();
    const size_t label_start = position;
    if (position < text.size() && text[position] == '-') ++position;
    const size_t digits_start = position;
    while (position < text.size() && std::isdigit(static_cast<unsigned char>(text[position])))
      ++position;
    if (position == digits_start) {
      position = label_start;
      fail("expected an integer label, got " + describe());
    }
    if (position - digits_start > 18) {
      position = label_start;
      fail("label is too long");
    }
    Tree tree;
    tree.label = std::stoll(std::string(text.substr(label_start, position - label_start)));
    open.push_back(std::move(tree));
    has_word.push_back(false);
    // Children: a word, or subtrees, then ')'.
    while (true) {
      skip_space();
      if (position >= text.size()) fail("expected ')', got end of input");
      const char c = text[position];
      if (c == '(') {
        if (has_word.back()) fail("a leaf's word cannot be followed by a subtree");
        break;  // descend
      }
      if (c == ')') {
        ++position;
        Tree done = std::move(open.back());
        const bool leaf_with_word = has_word.back();
        open.pop_back();
        has_word.pop_back();
        if (done.children.empty() && !leaf_with_word) {
          position -= 1;
          fail("empty node (no word and no children)");
        }
        if (open.empty()) {
          skip_space();
          if (position < text.size()) fail("unexpected text after the tree: " + describe());
          return done;
        }
        open.back().children.push_back(std::move(done));
        continue;
      }
      // A word.
      if (has_word.back() || !open.back().children.empty()) {
        fail("a node holds either one word or subtrees, got another " + describe());
      }
      const size_t word_start = position;
      while (position < text.size() && !is_space(text[position]) && text[position] != '(' &&
             text[position] != ')') {
        ++position;
      }
      open.back().word = std::string(text.substr(word_start, position - word_start));
      has_word.back() = true;
    }
  }
}

std::string Tree::to_string() const {
  std::string text;
  struct Frame {
    const Tree* node;
    size_t next_child;
  };
  std::vector<Frame> stack{{this, 0}};
  auto open_node = [&text](const Tree& node) {
    text += '(';
    text += std::to_string(node.label);
    text += ' ';
  };
  open_node(*this);
  if (is_leaf()) return text + word + ")";
  while (!stack.empty()) {
    Frame& frame = stack.back();
    if (frame.next_child < frame.node->children.size()) {
      const Tree& child = frame.node->children[frame.next_child];
      if (frame.next_child > 0) text += ' ';
      ++frame.next_child;
      open_node(child);
      if (child.is_leaf()) {
        text += child.word;
        text += ')';
      } else {
        stack.push_back({&child, 0});
      }
      continue;
    }
    text += ')';
    stack.pop_back();
  }
  return text;
}

std::vector<const Tree*> Tree::leaves() const {
  std::vector<const Tree*> found;
  post_order(*this, [&](const Tree& node, const std::vector<int64_t>&) {
    if (node.is_leaf()) found.push_back(&node);
  });
  return found;
}

int64_t Tree::size() const {
  int64_t count = 0;
  post_order(*this, [&](const Tree&, const std::vector<int64_t>&) { ++count; });
  return count;
}

int64_t Tree::depth() const {
  int64_t deepest = 0;
  post_order(*this, [&](const Tree& node, const std::vector<int64_t>& path) {
    if (node.is_leaf()) deepest = std::max(deepest, static_cast<int64_t>(path.size()));
  });
  return deepest;
}

void Tree::assign_tokens(const std::function<int64_t(const std::string&)>& token_of) {
  std::vector<Tree*> stack{this};
  while (!stack.empty()) {
    Tree* node = stack.back();
    stack.pop_back();
    if (node->is_leaf()) node->token = token_of(node->word);
    for (Tree& child : node->children) stack.push_back(&child);
  }
}

// ---------------------------------------------------------------------------------------------
// RecursiveNet

RecursiveNet::RecursiveNet(RecursiveNetOptions options)
    : Module("RecursiveNet"), options_(std::move(options)) {
  auto fail = [](const std::string& what) { throw ValueError("RecursiveNet: " + what); };
  if (options_.vocab_size < 1)
    fail("vocab_size must be >= 1, got " + std::to_string(options_.vocab_size));
  if (options_.embedding_dim < 1) {
    fail("embedding_dim must be >= 1, got " + std::to_string(options_.embedding_dim));
  }
  if (options_.hidden_size < 0) {
    fail("hidden_size must be >= 0 (0 = embedding_dim), got " +
         std::to_string(options_.hidden_size));
  }
  if (options_.cell != "tanh") fail("cell must be \"tanh\", got \"" + options_.cell + "\"");
  if (!is_floating_point(options_.dtype)) {
    fail("dtype must be float32 or float64, got " + std::string(dtype_name(options_.dtype)));
  }
  hidden_size_ = options_.hidden_size == 0 ? options_.embedding_dim : options_.hidden_size;
  embedding = register_module("embedding", Embedding({.num_embeddings = options_.vocab_size,
                                                      .embedding_dim = options_.embedding_dim,
                                                      .dtype = options_.dtype}));
  if (hidden_size_ != options_.embedding_dim) {
    leaf_projection =
        register_module("leaf_projection", Linear({.in_features = options_.embedding_dim,
                                                   .out_features = hidden_size_,
                                                   .dtype = options_.dtype}));
  }
  composition = register_module("composition", Linear({.in_features = 2 * hidden_size_,
                                                       .out_features = hidden_size_,
                                                       .dtype = options_.dtype}));
}

std::string RecursiveNet::extra_repr() const {
  return "vocab_size=" + std::to_string(options_.vocab_size) +
         ", embedding_dim=" + std::to_string(options_.embedding_dim) +
         ", hidden_size=" + std::to_string(hidden_size_) + ", cell=" + options_.cell;
}

NodeOutputs RecursiveNet::forward_nodes(const std::vector<Tree>& trees) {
  if (trees.empty()) throw ValueError("RecursiveNet: the batch holds no trees");
  // Flatten every node: its height, label, tree, children (flat indices) and token.
  struct Flat {
    int64_t height;
    int64_t label;
    int64_t tree;
    int64_t token;
    int64_t left = -1, right = -1;
  };
  std::vector<Flat> flat;
  std::vector<int64_t> root_flat(trees.size());
  for (size_t t = 0; t < trees.size(); ++t) {
    // Post-order: a node's children are the last flattened entries of the node stack.
    std::vector<int64_t> finished;
    post_order(trees[t], [&](const Tree& node, const std::vector<int64_t>& path) {
      Flat entry{0, node.label, static_cast<int64_t>(t), -1};
      auto where = [&] {
        std::string text = "tree " + std::to_string(t) + ", node at " + path_string(path);
        if (!node.word.empty()) text += " (\"" + node.word + "\")";
        return text;
      };
      if (node.is_leaf()) {
        if (node.token < 0 || node.token >= options_.vocab_size) {
          throw IndexError("RecursiveNet: " + where() + " has token " + std::to_string(node.token) +
                           ", outside [0, vocab_size = " + std::to_string(options_.vocab_size) +
                           ")" + (node.token == -1 ? " (tokens not assigned?)" : ""));
        }
        entry.token = node.token;
      } else {
        if (node.children.size() != 2) {
          throw ValueError("RecursiveNet: " + where() + " has " +
                           std::to_string(node.children.size()) +
                           " children; the tanh cell composes exactly 2 (binarize the tree)");
        }
        entry.right = finished.back();
        finished.pop_back();
        entry.left = finished.back();
        finished.pop_back();
        entry.height = 1 + std::max(flat[entry.left].height, flat[entry.right].height);
      }
      finished.push_back(static_cast<int64_t>(flat.size()));
      flat.push_back(entry);
    });
    root_flat[t] = finished.back();
  }

  // Rows ordered by height, stable (tree, then post-order, within a height).
  const int64_t count = static_cast<int64_t>(flat.size());
  std::vector<int64_t> order(count);
  for (int64_t i = 0; i < count; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return flat[a].height < flat[b].height; });
  std::vector<int64_t> row_of(count);
  for (int64_t r = 0; r < count; ++r) row_of[order[r]] = r;

  std::vector<int64_t> leaf_tokens;
  int64_t r = 0;
  while (r < count && flat[order[r]].height == 0) leaf_tokens.push_back(flat[order[r++]].token);
  Tensor states = (*embedding)(from_vector(leaf_tokens));
  if (leaf_projection) states = tanh((*leaf_projection)(states));
  // One level at a time: gather both children of every node of this height, one linear, append.
  while (r < count) {
    const int64_t height = flat[order[r]].height;
    std::vector<int64_t> left, right;
    while (r < count && flat[order[r]].height == height) {
      left.push_back(row_of[flat[order[r]].left]);
      right.push_back(row_of[flat[order[r]].right]);
      ++r;
    }
    Tensor children = cat(
        {index_select(states, 0, from_vector(left)), index_select(states, 0, from_vector(right))},
        1);
    states = cat({states, tanh((*composition)(children))}, 0);
  }

  std::vector<int64_t> labels(count), tree_of(count), roots(trees.size());
  for (int64_t i = 0; i < count; ++i) {
    labels[row_of[i]] = flat[i].label;
    tree_of[row_of[i]] = flat[i].tree;
  }
  for (size_t t = 0; t < trees.size(); ++t) roots[t] = row_of[root_flat[t]];
  return {states, from_vector(labels), from_vector(tree_of), from_vector(roots)};
}

Tensor RecursiveNet::forward(const std::vector<Tree>& trees) {
  NodeOutputs nodes = forward_nodes(trees);
  return index_select(nodes.vectors, 0, nodes.roots);
}

}  // namespace cajal::nn
