#pragma once
// Shared helpers of the reduction ops (private to src/ops).
#include <string>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal::detail {

// Which dims of a rank-`rank` tensor `dims` names (all when dims is empty); checks range and
// repeats, naming `op` in errors.
std::vector<bool> reduced_dims(const Dims& dims, int64_t rank, const char* op);

// The output shape of a reduction.
Shape reduced_shape(const Shape& shape, const std::vector<bool>& reduce, bool keepdim);

// Number of elements folded into each output.
int64_t reduced_count(const Shape& shape, const std::vector<bool>& reduce);

// A reduction's result (or gradient) with the reduced dims kept as size 1, so it broadcasts
// against the input.
Tensor keep_reduced(const Tensor& g, const Shape& input_shape, const std::vector<bool>& reduce,
                    bool keepdim);

// Broadcasts a reduction's gradient (or result) back to the input's shape.
Tensor expand_reduced(const Tensor& g, const Shape& input_shape, const std::vector<bool>& reduce,
                      bool keepdim);

// Throws ValueError naming `op` unless x is float32 or float64.
void require_floating(const Tensor& x, const char* op);

}  // namespace cajal::detail
