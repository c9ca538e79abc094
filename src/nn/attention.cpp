#include "cajal/nn/attention.h"

#include <limits>
#include <string>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/core/shape.h"
#include "cajal/nn/functional/attention.h"
#include "cajal/nn/init.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/indexing.h"
#include "cajal/ops/linalg.h"
#include "cajal/ops/manipulation.h"
#include "cajal/ops/reduction.h"
#include "repr.h"

namespace cajal::nn {
namespace {

constexpr double kMinusInfinity = -std::numeric_limits<double>::infinity();

std::string str(int64_t value) { return std::to_string(value); }

// The bias slice [start, start + length) of in_proj_bias, or undefined without bias.
Tensor bias_slice(const Tensor& bias, int64_t start, int64_t length) {
  return bias.defined() ? bias.narrow(0, start, length) : Tensor();
}

// An additive float mask from a bool one (true = masked -> -infinity).
Tensor additive(const Tensor& masked, Dtype dtype) {
  return masked_fill(zeros(masked.shape(), {.dtype = dtype}), masked, kMinusInfinity);
}

// Appends `count` unmasked key columns to a mask in nn.MultiheadAttention's convention.
Tensor append_key_columns(const Tensor& mask, int64_t count) {
  if (!mask.defined()) return mask;
  Shape shape = mask.shape();
  shape.back() = count;
  return cat({mask, zeros(shape, {.dtype = mask.dtype()})}, -1);
}

}  // namespace

Tensor generate_square_subsequent_mask(int64_t size, Dtype dtype) {
  if (size < 0) {
    throw ValueError("generate_square_subsequent_mask: size must be >= 0, got " + str(size));
  }
  if (dtype != Dtype::bool_ && !is_floating_point(dtype)) {
    throw ValueError(
        "generate_square_subsequent_mask: dtype must be bool, float32 or float64, got " +
        std::string(dtype_name(dtype)));
  }
  Tensor future = gt(arange(size, {.dtype = Dtype::int64}).unsqueeze(0),
                     arange(size, {.dtype = Dtype::int64}).unsqueeze(1));
  return dtype == Dtype::bool_ ? future : additive(future, dtype);
}

MultiheadAttention::MultiheadAttention(MultiheadAttentionOptions options)
    : Module("MultiheadAttention"), options_(options) {
  const std::string name = "MultiheadAttention: ";
  if (options.embed_dim <= 0) {
    throw ValueError(name + "embed_dim must be positive, got " + str(options.embed_dim));
  }
  if (options.num_heads <= 0) {
    throw ValueError(name + "num_heads must be positive, got " + str(options.num_heads));
  }
  if (options.embed_dim % options.num_heads != 0) {
    throw ValueError(name + "embed_dim " + str(options.embed_dim) +
                     " must be divisible by num_heads " + str(options.num_heads));
  }
  if (options.kdim < 0) throw ValueError(name + "kdim must be >= 0, got " + str(options.kdim));
  if (options.vdim < 0) throw ValueError(name + "vdim must be >= 0, got " + str(options.vdim));
  if (!(options.dropout >= 0.0 && options.dropout <= 1.0)) {
    throw ValueError(name + "dropout must be in [0, 1], got " + std::to_string(options.dropout));
  }
  if (!is_floating_point(options.dtype)) {
    throw ValueError(name + "dtype must be float32 or float64, got " +
                     std::string(dtype_name(options.dtype)));
  }
  if (options_.kdim == 0) options_.kdim = options.embed_dim;
  if (options_.vdim == 0) options_.vdim = options.embed_dim;
  const int64_t e = options.embed_dim;
  const Dtype dtype = options.dtype;
  // Registration order follows PyTorch's, so state_dict keys come out in the same order.
  if (options_.kdim == e && options_.vdim == e) {
    in_proj_weight = register_parameter("in_proj_weight", empty({3 * e, e}, dtype));
  } else {
    q_proj_weight = register_parameter("q_proj_weight", empty({e, e}, dtype));
    k_proj_weight = register_parameter("k_proj_weight", empty({e, options_.kdim}, dtype));
    v_proj_weight = register_parameter("v_proj_weight", empty({e, options_.vdim}, dtype));
  }
  if (options.bias) in_proj_bias = register_parameter("in_proj_bias", empty({3 * e}, dtype));
  out_proj = register_module(
      "out_proj",
      Linear({.in_features = e, .out_features = e, .bias = options.bias, .dtype = dtype}));
  if (options.add_bias_kv) {
    bias_k = register_parameter("bias_k", empty({1, 1, e}, dtype));
    bias_v = register_parameter("bias_v", empty({1, 1, e}, dtype));
  }
  reset_parameters();
}

void MultiheadAttention::reset_parameters() {
  if (packed()) {
    init::xavier_uniform_(in_proj_weight);
  } else {
    init::xavier_uniform_(q_proj_weight);
    init::xavier_uniform_(k_proj_weight);
    init::xavier_uniform_(v_proj_weight);
  }
  if (in_proj_bias.defined()) init::zeros_(in_proj_bias);
  if (out_proj->bias.defined()) init::zeros_(out_proj->bias);
  if (bias_k.defined()) {
    init::xavier_normal_(bias_k);
    init::xavier_normal_(bias_v);
  }
}

MultiheadAttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key,
                                                     const Tensor& value,
                                                     const MultiheadAttentionArgs& args) {
  const std::string name = "MultiheadAttention: ";
  const char* names[] = {"query", "key", "value"};
  const Tensor* inputs[] = {&query, &key, &value};
  for (int i = 0; i < 3; ++i) {
    if (!inputs[i]->defined()) throw ValueError(name + names[i] + " is undefined");
    if (inputs[i]->dtype() != options_.dtype) {
      throw ValueError(name + names[i] + " must have the layer's dtype " +
                       std::string(dtype_name(options_.dtype)) + ", got " +
                       std::string(dtype_name(inputs[i]->dtype())));
    }
  }
  const bool batched = query.dim() == 3;
  const std::string layout = options_.batch_first ? "[N, L, E]" : "[L, N, E]";
  if (query.dim() != 2 && query.dim() != 3) {
    throw ShapeError(name + "query must be " + layout + " or unbatched [L, E], got shape " +
                     shape_string(query.shape()));
  }
  if (key.dim() != query.dim() || value.dim() != query.dim()) {
    throw ShapeError(name + "query, key and value must all be batched (3-D) or all unbatched " +
                     "(2-D), got query " + shape_string(query.shape()) + ", key " +
                     shape_string(key.shape()) + ", value " + shape_string(value.shape()));
  }
  // Work batch first: [N, L, E].
  auto to_internal = [&](const Tensor& x) {
    if (!batched) return x.unsqueeze(0);
    return options_.batch_first ? x : x.transpose(0, 1);
  };
  Tensor q = to_internal(query);
  Tensor k = to_internal(key);
  Tensor v = to_internal(value);
  const int64_t e = options_.embed_dim;
  const int64_t heads = options_.num_heads;
  const int64_t head_size = head_dim();
  const int64_t batch = q.size(0);
  const int64_t length = q.size(1);
  const int64_t source_length = k.size(1);
  if (q.size(2) != e || k.size(2) != options_.kdim || v.size(2) != options_.vdim) {
    throw ShapeError(name + "expected features embed_dim=" + str(e) +
                     " (query), kdim=" + str(options_.kdim) + " (key), vdim=" + str(options_.vdim) +
                     " (value), got query " + shape_string(query.shape()) + ", key " +
                     shape_string(key.shape()) + ", value " + shape_string(value.shape()));
  }
  if (k.size(0) != batch || v.size(0) != batch || v.size(1) != source_length) {
    throw ShapeError(name + "query, key and value must share the batch size N, and key and value " +
                     "the length S (layout " + layout +
                     ", batch_first=" + detail::repr_bool(options_.batch_first) + "), got query " +
                     shape_string(query.shape()) + ", key " + shape_string(key.shape()) +
                     ", value " + shape_string(value.shape()));
  }

  // Masks, in nn.MultiheadAttention's convention (bool true = masked) until the end.
  Tensor attn_mask = args.attn_mask;
  if (attn_mask.defined()) {
    if (attn_mask.dtype() != Dtype::bool_ && !attn_mask.is_floating_point()) {
      throw ValueError(name + "attn_mask must be bool or floating point, got " +
                       std::string(dtype_name(attn_mask.dtype())));
    }
    const bool fits2 =
        attn_mask.dim() == 2 && attn_mask.size(0) == length && attn_mask.size(1) == source_length;
    const bool fits3 = attn_mask.dim() == 3 && attn_mask.size(0) == batch * heads &&
                       attn_mask.size(1) == length && attn_mask.size(2) == source_length;
    if (!fits2 && !fits3) {
      throw ShapeError(name + "attn_mask must be [L, S] = [" + str(length) + ", " +
                       str(source_length) + "] or [N * num_heads, L, S] = [" + str(batch * heads) +
                       ", " + str(length) + ", " + str(source_length) + "], got " +
                       shape_string(attn_mask.shape()));
    }
    if (attn_mask.is_floating_point() && attn_mask.dtype() != options_.dtype) {
      attn_mask = attn_mask.to(options_.dtype);
    }
  }
  if (args.is_causal) {
    Tensor future = generate_square_subsequent_mask(std::max(length, source_length))
                        .narrow(0, 0, length)
                        .narrow(1, 0, source_length);
    if (!attn_mask.defined()) {
      attn_mask = future;
    } else if (attn_mask.dtype() == Dtype::bool_) {
      attn_mask = logical_or(attn_mask, future);
    } else {
      attn_mask = attn_mask + additive(future, options_.dtype);
    }
  }
  Tensor padding = args.key_padding_mask;
  if (padding.defined()) {
    if (padding.dtype() != Dtype::bool_ && !padding.is_floating_point()) {
      throw ValueError(name + "key_padding_mask must be bool or floating point, got " +
                       std::string(dtype_name(padding.dtype())));
    }
    const bool fits =
        batched ? padding.dim() == 2 && padding.size(0) == batch && padding.size(1) == source_length
                : padding.dim() == 1 && padding.size(0) == source_length;
    if (!fits) {
      throw ShapeError(name + "key_padding_mask must be " +
                       (batched ? "[N, S] = [" + str(batch) + ", " : std::string("[S] = [")) +
                       str(source_length) + "], got " + shape_string(padding.shape()));
    }
    if (!batched) padding = padding.unsqueeze(0);
    if (padding.is_floating_point() && padding.dtype() != options_.dtype) {
      padding = padding.to(options_.dtype);
    }
  }

  // Input projections: one matmul for self-attention with packed weights.
  if (packed()) {
    if (query.is_same(key) && key.is_same(value)) {
      std::vector<Tensor> qkv = chunk(linear(q, in_proj_weight, in_proj_bias), 3, -1);
      q = qkv[0];
      k = qkv[1];
      v = qkv[2];
    } else if (key.is_same(value)) {
      Tensor key_value =
          linear(k, in_proj_weight.narrow(0, e, 2 * e), bias_slice(in_proj_bias, e, 2 * e));
      q = linear(q, in_proj_weight.narrow(0, 0, e), bias_slice(in_proj_bias, 0, e));
      std::vector<Tensor> kv = chunk(key_value, 2, -1);
      k = kv[0];
      v = kv[1];
    } else {
      q = linear(q, in_proj_weight.narrow(0, 0, e), bias_slice(in_proj_bias, 0, e));
      k = linear(k, in_proj_weight.narrow(0, e, e), bias_slice(in_proj_bias, e, e));
      v = linear(v, in_proj_weight.narrow(0, 2 * e, e), bias_slice(in_proj_bias, 2 * e, e));
    }
  } else {
    q = linear(q, q_proj_weight, bias_slice(in_proj_bias, 0, e));
    k = linear(k, k_proj_weight, bias_slice(in_proj_bias, e, e));
    v = linear(v, v_proj_weight, bias_slice(in_proj_bias, 2 * e, e));
  }
  int64_t extra_keys = 0;
  if (bias_k.defined()) {
    k = cat({k, bias_k.expand({batch, 1, e})}, 1);
    v = cat({v, bias_v.expand({batch, 1, e})}, 1);
    ++extra_keys;
  }
  // Heads: [N, L, E] -> [N, heads, L, head_dim].
  auto split_heads = [&](const Tensor& x) {
    return x.reshape({batch, x.size(1), heads, head_size}).transpose(1, 2);
  };
  q = split_heads(q);
  k = split_heads(k);
  v = split_heads(v);
  if (options_.add_zero_attn) {
    Tensor zero = zeros({batch, heads, 1, head_size}, {.dtype = options_.dtype});
    k = cat({k, zero}, 2);
    v = cat({v, zero}, 2);
    ++extra_keys;
  }
  if (extra_keys > 0) {
    attn_mask = append_key_columns(attn_mask, extra_keys);
    padding = append_key_columns(padding, extra_keys);
  }

  // One mask in scaled_dot_product_attention's convention: bool true = allowed, or float added.
  Tensor mask;
  if (attn_mask.defined() && attn_mask.dim() == 3) {
    attn_mask = attn_mask.reshape({batch, heads, length, attn_mask.size(2)});
  }
  if (padding.defined()) padding = padding.reshape({batch, 1, 1, padding.size(1)});
  const bool any_float = (attn_mask.defined() && attn_mask.is_floating_point()) ||
                         (padding.defined() && padding.is_floating_point());
  auto as_float = [&](const Tensor& m) {
    return m.dtype() == Dtype::bool_ ? additive(m, options_.dtype) : m;
  };
  if (any_float) {
    if (attn_mask.defined()) mask = as_float(attn_mask);
    if (padding.defined()) mask = mask.defined() ? mask + as_float(padding) : as_float(padding);
  } else if (attn_mask.defined() && padding.defined()) {
    mask = logical_not(logical_or(attn_mask, padding));
  } else if (attn_mask.defined() || padding.defined()) {
    mask = logical_not(attn_mask.defined() ? attn_mask : padding);
  }

  auto attention = functional::scaled_dot_product_attention_with_weights(
      q, k, v, {.attn_mask = mask, .dropout_p = options_.dropout, .training = is_training()});
  // [N, heads, L, head_dim] -> [N, L, E]
  Tensor output = (*out_proj)(attention.output.transpose(1, 2).reshape({batch, length, e}));
  if (!batched) {
    output = output.squeeze(0);
  } else if (!options_.batch_first) {
    output = output.transpose(0, 1);
  }
  MultiheadAttentionOutput result{output, Tensor()};
  if (args.need_weights) {
    Tensor weights = attention.weights;  // [N, heads, L, S]
    if (args.average_attn_weights) weights = mean(weights, {1});
    result.weights = batched ? weights : weights.squeeze(0);
  }
  return result;
}

Tensor MultiheadAttention::forward(const Tensor& x) {
  return forward(x, x, x, {.need_weights = false}).output;
}

std::string MultiheadAttention::extra_repr() const {
  std::string text = "embed_dim=" + str(options_.embed_dim) +
                     ", num_heads=" + str(options_.num_heads) +
                     ", dropout=" + detail::repr_number(options_.dropout) +
                     ", bias=" + detail::repr_bool(options_.bias);
  if (options_.add_bias_kv) text += ", add_bias_kv=true";
  if (options_.add_zero_attn) text += ", add_zero_attn=true";
  if (!packed()) text += ", kdim=" + str(options_.kdim) + ", vdim=" + str(options_.vdim);
  if (options_.batch_first) text += ", batch_first=true";
  return text;
}

}  // namespace cajal::nn
