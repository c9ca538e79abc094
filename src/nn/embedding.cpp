#include "cajal/nn/embedding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/nn/init.h"
#include "cajal/ops/indexing.h"
#include "repr.h"

namespace cajal::nn {
namespace {

using detail::repr_number;

void check_max_norm(const char* where, std::optional<double> max_norm, double norm_type) {
  if (max_norm && !(*max_norm > 0 && std::isfinite(*max_norm))) {
    throw ValueError(std::string(where) + ": max_norm must be a finite number > 0, got " +
                     repr_number(*max_norm));
  }
  if (!(norm_type > 0)) {
    throw ValueError(std::string(where) + ": norm_type must be > 0, got " + repr_number(norm_type));
  }
}

// padding_idx in [-rows, rows), returned as a row number in [0, rows).
std::optional<int64_t> normalize_padding(const char* where, std::optional<int64_t> padding_idx,
                                         int64_t rows) {
  if (!padding_idx) return std::nullopt;
  if (*padding_idx < -rows || *padding_idx >= rows) {
    throw ValueError(std::string(where) + ": padding_idx must be within num_embeddings, in [" +
                     std::to_string(-rows) + ", " + std::to_string(rows) + "), got " +
                     std::to_string(*padding_idx));
  }
  return *padding_idx < 0 ? *padding_idx + rows : *padding_idx;
}

// The p-norm of `count` values `stride` apart.
template <typename T>
double row_norm(const T* row, int64_t count, int64_t stride, double p) {
  double total = 0;
  if (std::isinf(p)) {
    for (int64_t j = 0; j < count; ++j) total = std::max(total, std::abs(double(row[j * stride])));
    return total;
  }
  for (int64_t j = 0; j < count; ++j) {
    double v = std::abs(double(row[j * stride]));
    total += p == 2 ? v * v : p == 1 ? v : std::pow(v, p);
  }
  return p == 2 ? std::sqrt(total) : p == 1 ? total : std::pow(total, 1 / p);
}

// Returns whether any row was rescaled.
template <typename T>
bool renorm_rows(const Tensor& weight, const std::vector<int64_t>& rows, double max_norm,
                 double norm_type) {
  T* base = weight.data_ptr<T>();
  const int64_t width = weight.size(1);
  const int64_t row_stride = weight.stride(0), column_stride = weight.stride(1);
  bool changed = false;
  for (int64_t r : rows) {
    T* row = base + r * row_stride;
    double norm = row_norm(row, width, column_stride, norm_type);
    if (norm > max_norm) {
      const auto scale = static_cast<T>(max_norm / (norm + 1e-7));
      for (int64_t j = 0; j < width; ++j) row[j * column_stride] *= scale;
      changed = true;
    }
  }
  return changed;
}

}  // namespace

Tensor embedding_renorm_(const Tensor& weight, const Tensor& indices, double max_norm,
                         double norm_type) {
  check_max_norm("embedding_renorm_", max_norm, norm_type);
  if (!weight.defined() || weight.dim() != 2 || !weight.is_floating_point()) {
    throw ShapeError("embedding_renorm_: weight must be a 2-D floating-point tensor, got " +
                     (weight.defined() ? shape_string(weight.shape()) : std::string("undefined")));
  }
  if (!indices.defined() || indices.dtype() != Dtype::int64) {
    throw ValueError(
        "embedding_renorm_: indices must be int64" +
        (indices.defined() ? ", got " + std::string(dtype_name(indices.dtype())) : std::string()));
  }
  const int64_t rows = weight.size(0);
  std::vector<int64_t> ids = to_vector<int64_t>(indices);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (int64_t id : ids) {
    if (id < 0 || id >= rows) {
      throw IndexError("embedding_renorm_: index " + std::to_string(id) + " is out of range for " +
                       std::to_string(rows) + " embeddings (weight " +
                       shape_string(weight.shape()) + ")");
    }
  }
  // Writing through the raw pointer records nothing, as torch.no_grad() in PyTorch: the
  // renormalization is a constraint on the parameter, not part of the computation. The storage
  // version still moves, as PyTorch's does, so a graph recorded with the old table (an earlier
  // lookup, tied output weights) refuses to run backward instead of using changed values.
  const bool changed = weight.dtype() == Dtype::float64
                           ? renorm_rows<double>(weight, ids, max_norm, norm_type)
                           : renorm_rows<float>(weight, ids, max_norm, norm_type);
  if (changed) weight.storage()->bump_version();
  return weight;
}

Embedding::Embedding(EmbeddingOptions options) : Embedding(options, Tensor()) {}

Embedding::Embedding(EmbeddingOptions options, const Tensor& pretrained)
    : Module("Embedding"), options_(options) {
  if (options_.num_embeddings < 1) {
    throw ValueError("Embedding: num_embeddings must be >= 1, got " +
                     std::to_string(options_.num_embeddings));
  }
  if (options_.embedding_dim < 1) {
    throw ValueError("Embedding: embedding_dim must be >= 1, got " +
                     std::to_string(options_.embedding_dim));
  }
  options_.padding_idx =
      normalize_padding("Embedding", options_.padding_idx, options_.num_embeddings);
  check_max_norm("Embedding", options_.max_norm, options_.norm_type);
  if (!is_floating_point(options_.dtype)) {
    throw ValueError("Embedding: dtype must be float32 or float64, got " +
                     std::string(dtype_name(options_.dtype)));
  }
  if (pretrained.defined()) {
    weight = register_parameter("weight", pretrained.detach().clone());
  } else {
    weight = register_parameter(
        "weight", empty({options_.num_embeddings, options_.embedding_dim}, options_.dtype));
    reset_parameters();
  }
}

Embedding Embedding::from_pretrained(const Tensor& embeddings, bool freeze,
                                     EmbeddingPretrainedOptions options) {
  if (!embeddings.defined() || embeddings.dim() != 2) {
    throw ShapeError(
        "Embedding.from_pretrained: embeddings must be 2-D [num_embeddings, embedding_dim], "
        "got " +
        (embeddings.defined() ? shape_string(embeddings.shape()) : std::string("undefined")));
  }
  if (!embeddings.is_floating_point()) {
    throw ValueError("Embedding.from_pretrained: embeddings must be floating point, got " +
                     std::string(dtype_name(embeddings.dtype())));
  }
  Embedding layer({.num_embeddings = embeddings.size(0),
                   .embedding_dim = embeddings.size(1),
                   .padding_idx = options.padding_idx,
                   .max_norm = options.max_norm,
                   .norm_type = options.norm_type,
                   .dtype = embeddings.dtype()},
                  embeddings);
  layer.weight.requires_grad_(!freeze);
  return layer;
}

void Embedding::reset_parameters() {
  init::normal_(weight);
  if (options_.padding_idx) {
    no_grad guard;
    weight.detach().select(0, *options_.padding_idx).fill_(0);
  }
}

Tensor Embedding::forward(const Tensor& indices) {
  if (!indices.defined() || indices.dtype() != Dtype::int64) {
    throw ValueError(
        "Embedding: indices must be an int64 tensor" +
        (indices.defined() ? ", got " + std::string(dtype_name(indices.dtype())) : std::string()));
  }
  if (options_.max_norm) embedding_renorm_(weight, indices, *options_.max_norm, options_.norm_type);
  return embedding(indices, weight, options_.padding_idx);
}

std::string Embedding::extra_repr() const {
  std::string s =
      std::to_string(options_.num_embeddings) + ", " + std::to_string(options_.embedding_dim);
  if (options_.padding_idx) s += ", padding_idx=" + std::to_string(*options_.padding_idx);
  if (options_.max_norm) s += ", max_norm=" + repr_number(*options_.max_norm);
  if (options_.norm_type != 2) s += ", norm_type=" + repr_number(options_.norm_type);
  return s;
}

}  // namespace cajal::nn
