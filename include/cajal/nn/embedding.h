#pragma once
// Embedding: a learnable lookup table from integer ids (words, items, categories) to dense
// vectors, as torch.nn.Embedding.
//
//   nn::Embedding embed({.num_embeddings = 10000, .embedding_dim = 64, .padding_idx = 0});
//   Tensor vectors = embed(token_ids);  // int64 [N, T] -> [N, T, 64]
//
//   // Transfer learning: start from trained vectors, frozen.
//   auto pretrained = nn::Embedding::from_pretrained(glove_vectors);
#include <optional>

#include "cajal/nn/module.h"

namespace cajal::nn {

struct EmbeddingOptions {
  int64_t num_embeddings = 0;  // size of the table (required, >= 1); ids lie in [0, this)
  int64_t embedding_dim = 0;   // size of each vector (required, >= 1)
  // The id of padding: its row is zeroed at initialization and never receives a gradient, so it
  // stays whatever it is. Negative counts from the end (-1 is the last row).
  std::optional<int64_t> padding_idx = std::nullopt;
  // Before each lookup, the rows looked up whose norm_type-norm exceeds max_norm are rescaled
  // in place (outside the graph) to norm max_norm (PyTorch's embedding_renorm_: the factor is
  // max_norm / (norm + 1e-7)). A max-norm constraint on the embeddings. As in PyTorch, a graph
  // recorded before a rescaling (an earlier lookup, tied weights) then refuses to run backward:
  // look a step's ids up in one call.
  std::optional<double> max_norm = std::nullopt;
  double norm_type = 2.0;        // p of the p-norm for max_norm (> 0; infinity allowed)
  Dtype dtype = Dtype::float32;  // of the table: float32 or float64
};

// Options of Embedding::from_pretrained (the table's size comes from the given weight).
struct EmbeddingPretrainedOptions {
  std::optional<int64_t> padding_idx = std::nullopt;
  std::optional<double> max_norm = std::nullopt;
  double norm_type = 2.0;
};

// indices: int64 [*] with values in [0, num_embeddings) -> [*, embedding_dim]. The gradient
// reaches only the rows looked up (accumulated over repeats), except the padding row.
class Embedding : public Module {
 public:
  explicit Embedding(EmbeddingOptions options);
  // A table holding a copy of `embeddings` ([num_embeddings, embedding_dim], floating point).
  // freeze (the default): the weight does not require grad (a frozen trunk for transfer
  // learning); unfreeze later with weight.requires_grad_(true). As PyTorch, the padding row is
  // kept as given, not zeroed.
  static Embedding from_pretrained(const Tensor& embeddings, bool freeze = true,
                                   EmbeddingPretrainedOptions options = {});

  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;
  const EmbeddingOptions& options() const { return options_; }
  // weight ~ N(0, 1); the padding row (if any) = 0.
  void reset_parameters();

  Tensor weight;  // [num_embeddings, embedding_dim]

 private:
  // pretrained: the initial table (copied), or undefined for a random one.
  Embedding(EmbeddingOptions options, const Tensor& pretrained);
  EmbeddingOptions options_;
};

// Rescales in place (no graph) each row of weight ([rows, dim]) that `indices` (int64, any
// shape) names and whose norm_type-norm exceeds max_norm, by max_norm / (norm + 1e-7); each row
// once however often it is named. IndexError for an id outside [0, rows). Returns weight.
Tensor embedding_renorm_(const Tensor& weight, const Tensor& indices, double max_norm,
                         double norm_type = 2.0);

}  // namespace cajal::nn
