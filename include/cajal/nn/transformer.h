#pragma once
// Transformer encoder and decoder layers and stacks (Vaswani et al., 2017), with the options,
// submodule names and computation of torch.nn.TransformerEncoderLayer / TransformerDecoderLayer /
// TransformerEncoder / TransformerDecoder, so PyTorch state_dicts load unchanged.
//
//   nn::TransformerEncoder encoder({.layer = {.d_model = 64, .nhead = 4, .dim_feedforward = 256,
//                                             .batch_first = true},
//                                   .num_layers = 2});
//   Tensor mask = nn::generate_square_subsequent_mask(T);         // bool, true = masked
//   Tensor y = encoder.forward(x, {.mask = mask, .src_key_padding_mask = padding});
//   // x: [N, T, 64] -> y: [N, T, 64]
//
// Shapes: src/tgt [T, N, E] ([N, T, E] with batch_first, [T, E] unbatched), memory [S, N, E].
// Masks use nn::MultiheadAttention's conventions: mask/tgt_mask/memory_mask [T, S] or
// [N * nhead, T, S], bool true = masked or float added; key padding masks [N, S], bool true =
// padding. is_causal / tgt_is_causal add the causal mask (see MultiheadAttention).
//
// Post-norm (norm_first = false, the paper's): x = norm1(x + sa(x)); x = norm2(x + ff(x)).
// Pre-norm (norm_first = true): x = x + sa(norm1(x)); x = x + ff(norm2(x)).
// The decoder adds cross-attention over memory between the two, with norm2, and norm3 for ff.
#include <cstdint>
#include <memory>
#include <string>

#include "cajal/nn/attention.h"
#include "cajal/nn/container.h"
#include "cajal/nn/dropout.h"
#include "cajal/nn/linear.h"
#include "cajal/nn/module.h"
#include "cajal/nn/normalization.h"

namespace cajal::nn {

struct TransformerEncoderLayerOptions {
  int64_t d_model = 0;              // E, required, > 0
  int64_t nhead = 0;                // required, > 0, divides d_model
  int64_t dim_feedforward = 2048;   // hidden width of the feed-forward block, > 0
  double dropout = 0.1;             // after attention, inside and after the feed-forward block
  std::string activation = "relu";  // "relu" or "gelu"
  double layer_norm_eps = 1e-5;
  bool batch_first = false;
  bool norm_first = false;  // pre-norm when true
  Dtype dtype = Dtype::float32;
};

struct TransformerEncoderArgs {
  Tensor mask{};                  // [T, T] or [N * nhead, T, T]: bool true = masked, or float
  Tensor src_key_padding_mask{};  // [N, T]: bool true = padding
  bool is_causal = false;         // add the causal mask
};

class TransformerEncoderLayer : public Module {
 public:
  // ValueError naming the option (d_model, nhead, dim_feedforward, dropout, activation,
  // layer_norm_eps, dtype).
  explicit TransformerEncoderLayer(TransformerEncoderLayerOptions options);
  Tensor forward(const Tensor& src) override;
  Tensor forward(const Tensor& src, const TransformerEncoderArgs& args);
  std::string extra_repr() const override;
  const TransformerEncoderLayerOptions& options() const { return options_; }

  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1;  // d_model -> dim_feedforward
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> linear2;  // dim_feedforward -> d_model
  std::shared_ptr<LayerNorm> norm1, norm2;
  std::shared_ptr<Dropout> dropout1, dropout2;

 private:
  TransformerEncoderLayerOptions options_;
};

struct TransformerEncoderOptions {
  TransformerEncoderLayerOptions layer;
  int64_t num_layers = 1;   // > 0
  bool final_norm = false;  // a LayerNorm "norm" after the last layer (for pre-norm stacks)
};

// num_layers encoder layers, each initialized independently (PyTorch deep-copies one layer, so
// its layers start equal), then the optional final norm.
class TransformerEncoder : public Module {
 public:
  explicit TransformerEncoder(TransformerEncoderOptions options);
  Tensor forward(const Tensor& src) override;
  Tensor forward(const Tensor& src, const TransformerEncoderArgs& args);
  const TransformerEncoderOptions& options() const { return options_; }

  std::shared_ptr<ModuleList> layers;  // of TransformerEncoderLayer
  std::shared_ptr<LayerNorm> norm;     // when final_norm

 private:
  TransformerEncoderOptions options_;
};

struct TransformerDecoderLayerOptions {
  int64_t d_model = 0;
  int64_t nhead = 0;
  int64_t dim_feedforward = 2048;
  double dropout = 0.1;
  std::string activation = "relu";  // "relu" or "gelu"
  double layer_norm_eps = 1e-5;
  bool batch_first = false;
  bool norm_first = false;
  Dtype dtype = Dtype::float32;
};

struct TransformerDecoderArgs {
  Tensor tgt_mask{};                 // [T, T] or [N * nhead, T, T]
  Tensor memory_mask{};              // [T, S] or [N * nhead, T, S]
  Tensor tgt_key_padding_mask{};     // [N, T]
  Tensor memory_key_padding_mask{};  // [N, S]
  bool tgt_is_causal = false;        // add the causal mask to the self-attention
};

class TransformerDecoderLayer : public Module {
 public:
  explicit TransformerDecoderLayer(TransformerDecoderLayerOptions options);
  // tgt [T, N, E], memory [S, N, E] -> [T, N, E] (batch_first: [N, T, E], [N, S, E]).
  Tensor forward(const Tensor& tgt, const Tensor& memory, const TransformerDecoderArgs& args = {});
  std::string extra_repr() const override;
  const TransformerDecoderLayerOptions& options() const { return options_; }

  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<MultiheadAttention> multihead_attn;  // queries from tgt, keys/values memory
  std::shared_ptr<Linear> linear1;
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> linear2;
  std::shared_ptr<LayerNorm> norm1, norm2, norm3;
  std::shared_ptr<Dropout> dropout1, dropout2, dropout3;

 private:
  TransformerDecoderLayerOptions options_;
};

struct TransformerDecoderOptions {
  TransformerDecoderLayerOptions layer;
  int64_t num_layers = 1;
  bool final_norm = false;
};

class TransformerDecoder : public Module {
 public:
  explicit TransformerDecoder(TransformerDecoderOptions options);
  Tensor forward(const Tensor& tgt, const Tensor& memory, const TransformerDecoderArgs& args = {});
  const TransformerDecoderOptions& options() const { return options_; }

  std::shared_ptr<ModuleList> layers;  // of TransformerDecoderLayer
  std::shared_ptr<LayerNorm> norm;     // when final_norm

 private:
  TransformerDecoderOptions options_;
};

}  // namespace cajal::nn
