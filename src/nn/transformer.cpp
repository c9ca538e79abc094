#include "cajal/nn/transformer.h"

#include <string>

#include "cajal/core/error.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/arithmetic.h"
#include "repr.h"

namespace cajal::nn {
namespace {

std::string str(int64_t value) { return std::to_string(value); }

// Checks the options the encoder and decoder layers share; `layer` names the class.
template <typename Options>
void check_layer_options(const std::string& layer, const Options& options) {
  if (options.d_model <= 0) {
    throw ValueError(layer + ": d_model must be positive, got " + str(options.d_model));
  }
  if (options.nhead <= 0) {
    throw ValueError(layer + ": nhead must be positive, got " + str(options.nhead));
  }
  if (options.d_model % options.nhead != 0) {
    throw ValueError(layer + ": d_model " + str(options.d_model) + " must be divisible by nhead " +
                     str(options.nhead));
  }
  if (options.dim_feedforward <= 0) {
    throw ValueError(layer + ": dim_feedforward must be positive, got " +
                     str(options.dim_feedforward));
  }
  if (!(options.dropout >= 0.0 && options.dropout <= 1.0)) {
    throw ValueError(layer + ": dropout must be in [0, 1], got " + std::to_string(options.dropout));
  }
  if (options.activation != "relu" && options.activation != "gelu") {
    throw ValueError(layer + ": activation must be \"relu\" or \"gelu\", got \"" +
                     options.activation + "\"");
  }
  if (!(options.layer_norm_eps >= 0.0)) {
    throw ValueError(layer + ": layer_norm_eps must be >= 0, got " +
                     std::to_string(options.layer_norm_eps));
  }
  if (!is_floating_point(options.dtype)) {
    throw ValueError(layer + ": dtype must be float32 or float64, got " +
                     std::string(dtype_name(options.dtype)));
  }
}

template <typename Options>
MultiheadAttention make_attention(const Options& options) {
  return MultiheadAttention({.embed_dim = options.d_model,
                             .num_heads = options.nhead,
                             .dropout = options.dropout,
                             .batch_first = options.batch_first,
                             .dtype = options.dtype});
}

template <typename Options>
LayerNorm make_norm(const Options& options) {
  return LayerNorm({.normalized_shape = {options.d_model},
                    .eps = options.layer_norm_eps,
                    .dtype = options.dtype});
}

template <typename Options>
std::string layer_repr(const Options& options) {
  return "d_model=" + str(options.d_model) + ", nhead=" + str(options.nhead) +
         ", dim_feedforward=" + str(options.dim_feedforward) +
         ", dropout=" + detail::repr_number(options.dropout) +
         ", activation=" + options.activation +
         ", batch_first=" + detail::repr_bool(options.batch_first) +
         ", norm_first=" + detail::repr_bool(options.norm_first);
}

Tensor activate(const std::string& activation, const Tensor& x) {
  return activation == "gelu" ? gelu(x) : relu(x);
}

void check_num_layers(const std::string& stack, int64_t num_layers) {
  if (num_layers <= 0) {
    throw ValueError(stack + ": num_layers must be positive, got " + str(num_layers));
  }
}

void check_defined(const std::string& layer, const char* name, const Tensor& x) {
  if (!x.defined()) throw ValueError(layer + ": " + name + " is undefined");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Encoder

TransformerEncoderLayer::TransformerEncoderLayer(TransformerEncoderLayerOptions options)
    : Module("TransformerEncoderLayer"), options_(std::move(options)) {
  check_layer_options(type_name(), options_);
  const int64_t e = options_.d_model;
  const int64_t hidden = options_.dim_feedforward;
  self_attn = register_module("self_attn", make_attention(options_));
  linear1 = register_module(
      "linear1", Linear({.in_features = e, .out_features = hidden, .dtype = options_.dtype}));
  dropout = register_module("dropout", Dropout({.p = options_.dropout}));
  linear2 = register_module(
      "linear2", Linear({.in_features = hidden, .out_features = e, .dtype = options_.dtype}));
  norm1 = register_module("norm1", make_norm(options_));
  norm2 = register_module("norm2", make_norm(options_));
  dropout1 = register_module("dropout1", Dropout({.p = options_.dropout}));
  dropout2 = register_module("dropout2", Dropout({.p = options_.dropout}));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src) { return forward(src, {}); }

Tensor TransformerEncoderLayer::forward(const Tensor& src, const TransformerEncoderArgs& args) {
  check_defined(type_name(), "src", src);
  auto self_attention = [&](const Tensor& x) {
    Tensor y = self_attn
                   ->forward(x, x, x,
                             {.key_padding_mask = args.src_key_padding_mask,
                              .need_weights = false,
                              .attn_mask = args.mask,
                              .is_causal = args.is_causal})
                   .output;
    return (*dropout1)(y);
  };
  auto feed_forward = [&](const Tensor& x) {
    return (*dropout2)((*linear2)((*dropout)(activate(options_.activation, (*linear1)(x)))));
  };
  Tensor x = src;
  if (options_.norm_first) {
    x = x + self_attention((*norm1)(x));
    x = x + feed_forward((*norm2)(x));
  } else {
    x = (*norm1)(x + self_attention(x));
    x = (*norm2)(x + feed_forward(x));
  }
  return x;
}

std::string TransformerEncoderLayer::extra_repr() const { return layer_repr(options_); }

TransformerEncoder::TransformerEncoder(TransformerEncoderOptions options)
    : Module("TransformerEncoder"), options_(std::move(options)) {
  check_num_layers(type_name(), options_.num_layers);
  layers = register_module("layers", ModuleList());
  for (int64_t i = 0; i < options_.num_layers; ++i) {
    layers->push_back(TransformerEncoderLayer(options_.layer));
  }
  if (options_.final_norm) norm = register_module("norm", make_norm(options_.layer));
}

Tensor TransformerEncoder::forward(const Tensor& src) { return forward(src, {}); }

Tensor TransformerEncoder::forward(const Tensor& src, const TransformerEncoderArgs& args) {
  Tensor x = src;
  for (const auto& layer : *layers) {
    x = static_cast<TransformerEncoderLayer&>(*layer).forward(x, args);
  }
  return norm ? (*norm)(x) : x;
}

// ---------------------------------------------------------------------------------------------
// Decoder

TransformerDecoderLayer::TransformerDecoderLayer(TransformerDecoderLayerOptions options)
    : Module("TransformerDecoderLayer"), options_(std::move(options)) {
  check_layer_options(type_name(), options_);
  const int64_t e = options_.d_model;
  const int64_t hidden = options_.dim_feedforward;
  self_attn = register_module("self_attn", make_attention(options_));
  multihead_attn = register_module("multihead_attn", make_attention(options_));
  linear1 = register_module(
      "linear1", Linear({.in_features = e, .out_features = hidden, .dtype = options_.dtype}));
  dropout = register_module("dropout", Dropout({.p = options_.dropout}));
  linear2 = register_module(
      "linear2", Linear({.in_features = hidden, .out_features = e, .dtype = options_.dtype}));
  norm1 = register_module("norm1", make_norm(options_));
  norm2 = register_module("norm2", make_norm(options_));
  norm3 = register_module("norm3", make_norm(options_));
  dropout1 = register_module("dropout1", Dropout({.p = options_.dropout}));
  dropout2 = register_module("dropout2", Dropout({.p = options_.dropout}));
  dropout3 = register_module("dropout3", Dropout({.p = options_.dropout}));
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory,
                                        const TransformerDecoderArgs& args) {
  check_defined(type_name(), "tgt", tgt);
  check_defined(type_name(), "memory", memory);
  auto self_attention = [&](const Tensor& x) {
    Tensor y = self_attn
                   ->forward(x, x, x,
                             {.key_padding_mask = args.tgt_key_padding_mask,
                              .need_weights = false,
                              .attn_mask = args.tgt_mask,
                              .is_causal = args.tgt_is_causal})
                   .output;
    return (*dropout1)(y);
  };
  auto cross_attention = [&](const Tensor& x) {
    Tensor y = multihead_attn
                   ->forward(x, memory, memory,
                             {.key_padding_mask = args.memory_key_padding_mask,
                              .need_weights = false,
                              .attn_mask = args.memory_mask})
                   .output;
    return (*dropout2)(y);
  };
  auto feed_forward = [&](const Tensor& x) {
    return (*dropout3)((*linear2)((*dropout)(activate(options_.activation, (*linear1)(x)))));
  };
  Tensor x = tgt;
  if (options_.norm_first) {
    x = x + self_attention((*norm1)(x));
    x = x + cross_attention((*norm2)(x));
    x = x + feed_forward((*norm3)(x));
  } else {
    x = (*norm1)(x + self_attention(x));
    x = (*norm2)(x + cross_attention(x));
    x = (*norm3)(x + feed_forward(x));
  }
  return x;
}

std::string TransformerDecoderLayer::extra_repr() const { return layer_repr(options_); }

TransformerDecoder::TransformerDecoder(TransformerDecoderOptions options)
    : Module("TransformerDecoder"), options_(std::move(options)) {
  check_num_layers(type_name(), options_.num_layers);
  layers = register_module("layers", ModuleList());
  for (int64_t i = 0; i < options_.num_layers; ++i) {
    layers->push_back(TransformerDecoderLayer(options_.layer));
  }
  if (options_.final_norm) norm = register_module("norm", make_norm(options_.layer));
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory,
                                   const TransformerDecoderArgs& args) {
  Tensor x = tgt;
  for (const auto& layer : *layers) {
    x = static_cast<TransformerDecoderLayer&>(*layer).forward(x, memory, args);
  }
  return norm ? (*norm)(x) : x;
}

}  // namespace cajal::nn
