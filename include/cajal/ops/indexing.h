#pragma once
// Gathering and scattering by integer indices, masks, one-hot and embedding lookup.
// Indices are int64 (ValueError otherwise) in [0, size): an index out of range throws IndexError
// naming the op, the index, the dim and its size.
#include <optional>

#include "cajal/core/tensor.h"

namespace cajal {

// out[i][j] = x[index[i][j]][j] for dim 0 (and so on): index is int64 with x's rank, no larger
// than x in the other dims; out has index's shape.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// out = x, then out[index[i][j]][j] += src[i][j] for dim 0; differentiable in x and src. src has
// x's dtype; index is no larger than src, nor than x off dim (src elements it misses are unused).
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
// The entries `index` (1-D int64, repeats allowed) of dim `dim`: x [..., n, ...] ->
// [..., index.numel(), ...].
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// value where mask (bool) is true, x elsewhere; x and mask broadcast together, x's dtype.
Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value);
// labels (int64, any shape) -> int64 [..., num_classes]; num_classes -1 means max(labels) + 1.
Tensor one_hot(const Tensor& labels, int64_t num_classes = -1);
// indices (int64, any shape), weight [num_embeddings, dim] -> [..., dim]. Rows at padding_idx
// (negative counts from the end) get no gradient.
Tensor embedding(const Tensor& indices, const Tensor& weight,
                 std::optional<int64_t> padding_idx = std::nullopt);

}  // namespace cajal
