// Fuzz target for nn::Tree::parse (Sentiment Treebank notation). A tree that parses must print
// and parse back to itself; when its leaves get token ids, RecursiveNet either computes it or
// rejects it (arity) with a cajal::Error.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cajal/core/error.h"
#include "cajal/nn/recursive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    cajal::nn::Tree tree = cajal::nn::Tree::parse(text);
    if (cajal::nn::Tree::parse(tree.to_string()) != tree) {
      throw std::logic_error("Tree: to_string does not parse back to the same tree");
    }
    if (tree.size() <= 256) {
      static cajal::nn::RecursiveNet net({.vocab_size = 16, .embedding_dim = 4});
      tree.assign_tokens([](const std::string& word) {
        return static_cast<int64_t>(std::hash<std::string>{}(word) % 16);
      });
      net.forward(std::vector<cajal::nn::Tree>{tree});
    }
  } catch (const cajal::Error&) {
  }
  return 0;
}
