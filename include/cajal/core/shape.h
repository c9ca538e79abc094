#pragma once
// Shapes and strides, and the arithmetic on them that several layers share.
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace cajal {

using Shape = std::vector<int64_t>;

// "[2, 3, 4]"
std::string shape_string(const Shape& shape);

// Number of elements of a tensor of this shape (1 for a 0-dim shape).
int64_t shape_numel(const Shape& shape);

// Row-major (C-contiguous) strides, in elements.
Shape contiguous_strides(const Shape& shape);

// Turns a possibly negative dim into [0, rank); throws IndexError naming `op`.
// rank 0 tensors accept dim 0 and -1 (as PyTorch does).
int64_t normalize_dim(int64_t dim, int64_t rank, std::string_view op);

// NumPy broadcasting of two shapes; throws ShapeError naming `op`.
Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op);

// Strides that read a tensor of `shape`/`strides` as if it had `target` shape (0 on broadcast
// dims). `target` must be a broadcast of `shape`.
Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& target);

}  // namespace cajal

namespace cajal {
// A list of dimensions to act on (reductions, permutations, flips).
using Dims = std::vector<int64_t>;
}  // namespace cajal
