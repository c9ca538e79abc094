#pragma once
// Scaled dot-product attention (Vaswani et al., 2017, "Attention Is All You Need") as a function,
// with the semantics of PyTorch 2.x's torch.nn.functional.scaled_dot_product_attention:
//
//   weights = softmax(query key^T * scale + mask)      scale = 1 / sqrt(E) unless given
//   output  = dropout(weights) value
//
//   namespace F = nn::functional;
//   Tensor y = F::scaled_dot_product_attention(q, k, v, {.is_causal = true});
//
// It is composed of differentiable ops (matmul, masked_fill, softmax, dropout), so it has first-
// and second-order gradients in query, key, value and a float mask.
//
// Masks. attn_mask is either
//   - bool: true = the query MAY attend to that key (PyTorch 2.x SDPA's convention; note that
//     nn::MultiheadAttention's masks use the opposite one, true = masked), or
//   - floating point: added to the scores (use -infinity to forbid a position),
// broadcastable to [..., L, S]. is_causal forbids key j for query i when j > i (the causal mask
// is aligned to the top-left corner, as PyTorch's tril(ones(L, S))); with attn_mask as well, a
// key must be allowed by both (PyTorch refuses the combination).
//
// A query whose every key is masked has no defined softmax (PyTorch returns NaN there). Here its
// weights are all zero and its output row is zero, with zero gradients; every other row is
// unaffected, so results agree with PyTorch wherever PyTorch's are finite.
#include <optional>

#include "cajal/core/tensor.h"

namespace cajal::nn::functional {

struct AttentionOptions {
  Tensor attn_mask{};      // bool (true = allowed) or float (added), broadcastable to [..., L, S]
  double dropout_p = 0.0;  // dropout on the attention weights, in [0, 1], applied when training
  bool is_causal = false;  // forbid attending to later keys (j > i)
  std::optional<double> scale = std::nullopt;  // default 1 / sqrt(E); finite
  bool training = true;                        // dropout only in training
};

// query [..., L, E], key [..., S, E], value [..., S, Ev] -> [..., L, Ev]. The batch dims (...)
// broadcast. query, key and value share one floating dtype. ShapeError naming the argument and
// the shapes when E, S or the mask's shape do not fit; ValueError for a bad dtype or option.
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const AttentionOptions& options = {});

struct AttentionResult {
  Tensor output;   // [..., L, Ev]
  Tensor weights;  // [..., L, S]: the weights multiplied with value (after dropout, if any)
};

// As scaled_dot_product_attention, also returning the attention weights.
AttentionResult scaled_dot_product_attention_with_weights(const Tensor& query, const Tensor& key,
                                                          const Tensor& value,
                                                          const AttentionOptions& options = {});

}  // namespace cajal::nn::functional
