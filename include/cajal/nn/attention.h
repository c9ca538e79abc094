#pragma once
// MultiheadAttention (Vaswani et al., 2017) with the options, parameter names, masks and outputs
// of torch.nn.MultiheadAttention, so a PyTorch state_dict loads into it unchanged.
//
//   nn::MultiheadAttention attention({.embed_dim = 64, .num_heads = 8, .batch_first = true});
//   auto [y, weights] = attention.forward(x, x, x, {.key_padding_mask = padding});
//   // x: [N, L, 64] -> y: [N, L, 64], weights: [N, L, L] (averaged over heads)
//
// Shapes (batch_first = false, PyTorch's default; batch_first = true swaps the first two dims):
//   query [L, N, E], key [S, N, kdim], value [S, N, vdim] -> output [L, N, E]
//   unbatched: query [L, E], key [S, kdim], value [S, vdim] -> output [L, E]
//   weights: [N, L, S] averaged over heads, [N, num_heads, L, S] otherwise ([L, S] / [num_heads,
//   L, S] unbatched). S counts the extra key of add_bias_kv and of add_zero_attn.
//
// Masks follow nn.MultiheadAttention (the opposite bool convention of
// functional::scaled_dot_product_attention, which this converts to):
//   key_padding_mask [N, S] (or [S] unbatched): bool, true = this key is padding and is ignored;
//     or float, added to the scores of that key.
//   attn_mask [L, S] or [N * num_heads, L, S]: bool, true = the query may NOT attend to the key;
//     or float, added to the scores.
//   is_causal: forbid key j for query i when j > i (combined with attn_mask when both are given).
// A query whose every key is masked gets a zero output row and zero weights (PyTorch: NaN).
#include <cstdint>
#include <string>

#include "cajal/nn/linear.h"
#include "cajal/nn/module.h"

namespace cajal::nn {

// The causal mask for a sequence of `size`: [size, size], masked above the diagonal (key j > query
// i). bool (the default): true = masked, the convention of nn::MultiheadAttention's attn_mask.
// float32/float64: -infinity above the diagonal and 0 elsewhere, as PyTorch's
// Transformer.generate_square_subsequent_mask. ValueError for a negative size or another dtype.
Tensor generate_square_subsequent_mask(int64_t size, Dtype dtype = Dtype::bool_);

struct MultiheadAttentionOptions {
  int64_t embed_dim = 0;         // E, required, > 0
  int64_t num_heads = 0;         // required, > 0, divides embed_dim
  double dropout = 0.0;          // on the attention weights in training, in [0, 1]
  bool bias = true;              // in_proj_bias and out_proj.bias
  bool add_bias_kv = false;      // learned bias_k, bias_v appended to the keys and values
  bool add_zero_attn = false;    // a zero key and value appended after the projection
  int64_t kdim = 0;              // features of key; 0 = embed_dim
  int64_t vdim = 0;              // features of value; 0 = embed_dim
  bool batch_first = false;      // inputs [N, L, E] instead of [L, N, E]
  Dtype dtype = Dtype::float32;  // float32 or float64
};

struct MultiheadAttentionArgs {
  Tensor key_padding_mask{};  // [N, S]: bool true = ignore this key, or float added
  bool need_weights = true;   // also return the attention weights
  Tensor attn_mask{};         // [L, S] or [N * num_heads, L, S]: bool true = masked, or float
  bool average_attn_weights = true;  // weights averaged over heads ([N, L, S])
  bool is_causal = false;            // also forbid later keys
};

struct MultiheadAttentionOutput {
  Tensor output;   // like query, with E features
  Tensor weights;  // undefined unless need_weights; after dropout in training, as PyTorch
};

class MultiheadAttention : public Module {
 public:
  // ValueError naming the option for a non-positive embed_dim, num_heads, embed_dim not divisible
  // by num_heads, negative kdim/vdim, dropout outside [0, 1] or a non-floating dtype.
  explicit MultiheadAttention(MultiheadAttentionOptions options);

  MultiheadAttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const MultiheadAttentionArgs& args = {});
  // Self-attention of x without masks, output only (so the layer can sit in a Sequential).
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  // Redraws the parameters as PyTorch does: xavier_uniform_ projection weights, zero in_proj_bias
  // and out_proj.bias, xavier_normal_ bias_k/bias_v; out_proj.weight keeps Linear's default.
  void reset_parameters();
  const MultiheadAttentionOptions& options() const { return options_; }
  int64_t head_dim() const { return options_.embed_dim / options_.num_heads; }
  // True when kdim == vdim == embed_dim: one packed [3E, E] input projection.
  bool packed() const { return in_proj_weight.defined(); }

  Tensor in_proj_weight;             // [3E, E] when packed
  Tensor q_proj_weight;              // [E, E]    when not packed
  Tensor k_proj_weight;              // [E, kdim] when not packed
  Tensor v_proj_weight;              // [E, vdim] when not packed
  Tensor in_proj_bias;               // [3E] when bias
  Tensor bias_k;                     // [1, 1, E] when add_bias_kv
  Tensor bias_v;                     // [1, 1, E] when add_bias_kv
  std::shared_ptr<Linear> out_proj;  // E -> E

 private:
  MultiheadAttentionOptions options_;
};

}  // namespace cajal::nn
