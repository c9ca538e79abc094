#include "cajal/nn/functional/attention.h"

#include <cmath>
#include <limits>
#include <string>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/core/shape.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/dropout.h"
#include "cajal/ops/indexing.h"
#include "cajal/ops/linalg.h"
#include "cajal/ops/reduction.h"

namespace cajal::nn::functional {
namespace {

constexpr const char* kName = "scaled_dot_product_attention";

void check_inputs(const Tensor& query, const Tensor& key, const Tensor& value,
                  const AttentionOptions& options) {
  const char* names[] = {"query", "key", "value"};
  const Tensor* tensors[] = {&query, &key, &value};
  for (int i = 0; i < 3; ++i) {
    if (!tensors[i]->defined()) {
      throw ValueError(std::string(kName) + ": " + names[i] + " is undefined");
    }
    if (!tensors[i]->is_floating_point()) {
      throw ValueError(std::string(kName) + ": " + names[i] + " must be float32 or float64, got " +
                       std::string(dtype_name(tensors[i]->dtype())));
    }
    if (tensors[i]->dim() < 2) {
      throw ShapeError(std::string(kName) + ": " + names[i] +
                       " must have at least 2 dims [..., length, features], got shape " +
                       shape_string(tensors[i]->shape()));
    }
  }
  if (key.dtype() != query.dtype() || value.dtype() != query.dtype()) {
    throw ValueError(std::string(kName) + ": query, key and value must share one dtype, got " +
                     std::string(dtype_name(query.dtype())) + ", " +
                     std::string(dtype_name(key.dtype())) + ", " +
                     std::string(dtype_name(value.dtype())));
  }
  if (key.size(-1) != query.size(-1)) {
    throw ShapeError(std::string(kName) + ": key's last dim must equal query's (E), got query " +
                     shape_string(query.shape()) + " and key " + shape_string(key.shape()));
  }
  if (value.size(-2) != key.size(-2)) {
    throw ShapeError(std::string(kName) +
                     ": key and value must have the same length S (dim -2), got key " +
                     shape_string(key.shape()) + " and value " + shape_string(value.shape()));
  }
  if (!(options.dropout_p >= 0.0 && options.dropout_p <= 1.0)) {
    throw ValueError(std::string(kName) + ": dropout_p must be in [0, 1], got " +
                     std::to_string(options.dropout_p));
  }
  if (options.scale.has_value() && !std::isfinite(*options.scale)) {
    throw ValueError(std::string(kName) + ": scale must be finite, got " +
                     std::to_string(*options.scale));
  }
  const Tensor& mask = options.attn_mask;
  if (mask.defined() && mask.dtype() != Dtype::bool_ && !mask.is_floating_point()) {
    throw ValueError(std::string(kName) + ": attn_mask must be bool or floating point, got " +
                     std::string(dtype_name(mask.dtype())));
  }
}

// ShapeError unless the mask broadcasts to the scores' shape [..., L, S] (it may not add dims).
void check_mask_shape(const Tensor& mask, const Shape& scores_shape) {
  bool fits = mask.dim() <= static_cast<int64_t>(scores_shape.size());
  for (int64_t i = 1; fits && i <= mask.dim(); ++i) {
    const int64_t size = mask.size(-i);
    fits = size == 1 || size == scores_shape[scores_shape.size() - i];
  }
  if (!fits) {
    throw ShapeError(std::string(kName) + ": attn_mask of shape " + shape_string(mask.shape()) +
                     " does not broadcast to the attention scores' shape [..., L, S] = " +
                     shape_string(scores_shape));
  }
}

}  // namespace

AttentionResult scaled_dot_product_attention_with_weights(const Tensor& query, const Tensor& key,
                                                          const Tensor& value,
                                                          const AttentionOptions& options) {
  check_inputs(query, key, value, options);
  const int64_t length = query.size(-2);
  const int64_t source_length = key.size(-2);
  const double scale = options.scale.value_or(1.0 / std::sqrt(static_cast<double>(query.size(-1))));
  constexpr double kMinusInfinity = -std::numeric_limits<double>::infinity();

  // Scaling the query ([L, E]) is cheaper than scaling the scores ([L, S]) when E < S, and it is
  // what PyTorch does.
  Tensor scores = matmul(query * scale, key.transpose(-2, -1));  // [..., L, S]
  const Tensor& mask = options.attn_mask;
  if (mask.defined()) check_mask_shape(mask, scores.shape());
  if (options.is_causal) {
    Tensor future = gt(arange(source_length, {.dtype = Dtype::int64}).unsqueeze(0),
                       arange(length, {.dtype = Dtype::int64}).unsqueeze(1));  // [L, S]
    scores = masked_fill(scores, future, kMinusInfinity);
  }
  if (mask.defined()) {
    if (mask.dtype() == Dtype::bool_) {
      scores = masked_fill(scores, logical_not(mask), kMinusInfinity);
    } else {
      scores = scores + (mask.dtype() == scores.dtype() ? mask : mask.to(scores.dtype()));
    }
  }

  // Rows whose every key is masked: softmax of all -inf is NaN. Give them uniform finite scores
  // so nothing NaN enters the graph, then zero their weights. Only masks can cause this (the
  // causal mask always leaves key 0), so unmasked attention skips the check.
  Tensor dead_rows;
  if (mask.defined() && source_length > 0 && scores.numel() > 0) {
    no_grad guard;
    Tensor row_max = amax(scores.detach(), {-1}, /*keepdim=*/true);
    if (min(row_max).item<double>() == kMinusInfinity)
      dead_rows = eq(row_max, full_like(row_max, kMinusInfinity));
  }
  if (dead_rows.defined()) scores = masked_fill(scores, dead_rows, 0.0);
  Tensor weights = softmax(scores, -1);
  if (dead_rows.defined()) weights = masked_fill(weights, dead_rows, 0.0);

  if (options.training && options.dropout_p > 0.0) {
    weights = dropout(weights, options.dropout_p, /*training=*/true);
  }
  return {matmul(weights, value), weights};
}

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const AttentionOptions& options) {
  return scaled_dot_product_attention_with_weights(query, key, value, options).output;
}

}  // namespace cajal::nn::functional
