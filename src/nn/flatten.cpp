#include "cajal/nn/flatten.h"

#include <algorithm>

namespace cajal::nn {

namespace {

int64_t checked_dim(const std::string& layer, const char* option, int64_t dim,
                    const Tensor& input) {
  // A 0-dim tensor flattens as if it had one dim of size 1 (as PyTorch).
  const int64_t rank = std::max<int64_t>(input.dim(), 1);
  if (dim < -rank || dim >= rank) {
    throw IndexError(layer + ": " + option + " " + std::to_string(dim) +
                     " is out of range for an input of shape " + shape_string(input.shape()));
  }
  return dim < 0 ? dim + rank : dim;
}

}  // namespace

Flatten::Flatten(FlattenOptions options) : Module("Flatten"), options_(options) {
  // Dims of the same sign can be compared without knowing the input's rank.
  if ((options.start_dim >= 0) == (options.end_dim >= 0) && options.start_dim > options.end_dim) {
    throw ValueError("Flatten: start_dim " + std::to_string(options.start_dim) +
                     " comes after end_dim " + std::to_string(options.end_dim));
  }
}

Tensor Flatten::forward(const Tensor& input) {
  if (!input.defined()) throw ValueError("Flatten: the input is undefined");
  int64_t start = checked_dim(type_name(), "start_dim", options_.start_dim, input);
  int64_t end = checked_dim(type_name(), "end_dim", options_.end_dim, input);
  if (start > end) {
    throw ValueError("Flatten: start_dim " + std::to_string(options_.start_dim) +
                     " comes after end_dim " + std::to_string(options_.end_dim) +
                     " for an input of shape " + shape_string(input.shape()));
  }
  return input.flatten(start, end);
}

std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(options_.start_dim) +
         ", end_dim=" + std::to_string(options_.end_dim);
}

Unflatten::Unflatten(UnflattenOptions options) : Module("Unflatten"), options_(std::move(options)) {
  const Shape& sizes = options_.sizes;
  if (sizes.empty()) throw ValueError("Unflatten: sizes must not be empty");
  int64_t inferred = 0;
  for (int64_t s : sizes) {
    if (s == -1) {
      ++inferred;
    } else if (s <= 0) {
      throw ValueError("Unflatten: sizes must be positive or -1, got " + shape_string(sizes));
    }
  }
  if (inferred > 1) {
    throw ValueError("Unflatten: at most one of sizes may be -1, got " + shape_string(sizes));
  }
}

Tensor Unflatten::forward(const Tensor& input) {
  if (!input.defined()) throw ValueError("Unflatten: the input is undefined");
  if (input.dim() == 0) {
    throw ShapeError("Unflatten: cannot unflatten a 0-dim input");
  }
  int64_t dim = checked_dim(type_name(), "dim", options_.dim, input);
  int64_t known = 1;
  bool has_inferred = false;
  for (int64_t s : options_.sizes) {
    if (s == -1) {
      has_inferred = true;
    } else {
      known *= s;
    }
  }
  const int64_t size = input.size(dim);
  if (has_inferred ? size % known != 0 : size != known) {
    throw ShapeError("Unflatten: sizes " + shape_string(options_.sizes) + " do not fit dim " +
                     std::to_string(options_.dim) + " of size " + std::to_string(size) +
                     " (input shape " + shape_string(input.shape()) + ")");
  }
  return input.unflatten(dim, options_.sizes);
}

std::string Unflatten::extra_repr() const {
  return "dim=" + std::to_string(options_.dim) +
         ", unflattened_size=" + shape_string(options_.sizes);
}

}  // namespace cajal::nn
