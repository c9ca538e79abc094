// Views share storage with their input; each records a backward that maps the gradient back to
// the input's geometry. Backwards use differentiable ops only (gradients of gradients work).
#include "cajal/ops/view.h"

#include <numeric>

#include "cajal/autograd/engine.h"
#include "cajal/autograd/node.h"
#include "cajal/core/creation.h"
#include "cajal/kernels/elementwise.h"

namespace cajal {

using autograd::grads;

namespace {

// Resolves one -1 and checks the element count.
Shape infer_shape(const Shape& shape, int64_t numel, const char* op) {
  Shape out = shape;
  int64_t known = 1, infer_at = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer_at >= 0)
        throw ShapeError(std::string(op) + ": only one dim can be -1, got " + shape_string(shape));
      infer_at = static_cast<int64_t>(i);
    } else if (out[i] < 0) {
      throw ShapeError(std::string(op) + ": invalid size in shape " + shape_string(shape));
    } else {
      known *= out[i];
    }
  }
  if (infer_at >= 0) {
    if (known == 0 || numel % known != 0) {
      throw ShapeError(std::string(op) + ": shape " + shape_string(shape) +
                       " is invalid for input of size " + std::to_string(numel));
    }
    out[infer_at] = numel / known;
  } else if (known != numel) {
    throw ShapeError(std::string(op) + ": shape " + shape_string(shape) +
                     " is invalid for input of size " + std::to_string(numel));
  }
  return out;
}

// Strides viewing (shape, strides) as new_shape without a copy, if the memory layout allows.
std::optional<Shape> view_strides(const Shape& shape, const Shape& strides,
                                  const Shape& new_shape) {
  if (shape_numel(shape) == 0 || shape.empty()) return contiguous_strides(new_shape);
  Shape out(new_shape.size());
  int64_t view_d = static_cast<int64_t>(new_shape.size()) - 1;
  int64_t base_stride = strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= shape[d];
    // End of a chunk of dims that are contiguous with each other?
    if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensor_numel * base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        out[view_d] = view_numel * base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

// The gradient of slice: dy placed at [start : start + step * n : step] of zeros(shape) along dim.
// Its own gradient is the slice again, so it stays differentiable.
Tensor slice_backward(const Tensor& dy, const Shape& shape, int64_t dim, int64_t start,
                      int64_t step) {
  Tensor out = zeros(shape, {.dtype = dy.dtype()});
  Shape strides = out.strides();
  strides[dim] *= step;
  Tensor window = make_view(out, dy.shape(), strides, start * out.strides()[dim]);
  kernels::copy(dy, window);
  int64_t n = dy.shape()[dim];
  return autograd::record("slice_backward", out, {dy}, [dim, start, step, n](const Tensor& g) {
    return grads{slice(g, dim, start, start + step * (n - 1) + 1, step)};
  });
}

}  // namespace

namespace {
// view's body once the target shape is resolved and known to be viewable with `strides`.
Tensor view_as(const Tensor& x, Shape target, Shape strides) {
  Tensor y = make_view(x, std::move(target), std::move(strides), x.storage_offset());
  if (!autograd::needs_recording(&x, 1)) return y;
  return autograd::record("view", y, {x}, [input_shape = x.shape()](const Tensor& dy) {
    return grads{reshape(dy, input_shape)};
  });
}
}  // namespace

Tensor view(const Tensor& x, const Shape& shape) {
  Shape target = infer_shape(shape, x.numel(), "view");
  auto strides = view_strides(x.shape(), x.strides(), target);
  if (!strides) {
    throw ShapeError("view: shape " + shape_string(shape) +
                     " is not compatible with the input's "
                     "size and strides (shape " +
                     shape_string(x.shape()) + ", strides " + shape_string(x.strides()) +
                     "); use reshape, which copies when needed");
  }
  return view_as(x, std::move(target), std::move(*strides));
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  Shape target = infer_shape(shape, x.numel(), "reshape");
  if (auto strides = view_strides(x.shape(), x.strides(), target)) {
    return view_as(x, std::move(target), std::move(*strides));
  }
  return view(contiguous(x), target);
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  int64_t rank = x.dim();
  int64_t a = normalize_dim(dim0, rank, "transpose"), b = normalize_dim(dim1, rank, "transpose");
  if (rank == 0) return x;
  Shape shape = x.shape(), strides = x.strides();
  std::swap(shape[a], shape[b]);
  std::swap(strides[a], strides[b]);
  Tensor y = make_view(x, std::move(shape), std::move(strides), x.storage_offset());
  return autograd::record("transpose", y, {x},
                          [a, b](const Tensor& dy) { return grads{transpose(dy, a, b)}; });
}

Tensor permute(const Tensor& x, const Dims& dims) {
  int64_t rank = x.dim();
  if (static_cast<int64_t>(dims.size()) != rank) {
    throw ShapeError("permute: expected " + std::to_string(rank) + " dims for shape " +
                     shape_string(x.shape()) + ", got " + shape_string(dims));
  }
  Shape shape(rank), strides(rank);
  Dims inverse(rank, -1);
  for (int64_t i = 0; i < rank; ++i) {
    int64_t d = normalize_dim(dims[i], rank, "permute");
    if (inverse[d] != -1)
      throw ValueError("permute: dim " + std::to_string(d) + " repeats in " + shape_string(dims));
    inverse[d] = i;
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
  }
  Tensor y = make_view(x, std::move(shape), std::move(strides), x.storage_offset());
  return autograd::record("permute", y, {x},
                          [inverse](const Tensor& dy) { return grads{permute(dy, inverse)}; });
}

Tensor slice(const Tensor& x, int64_t dim, std::optional<int64_t> start,
             std::optional<int64_t> stop, int64_t step) {
  int64_t d = normalize_dim(dim, x.dim(), "slice");
  if (x.dim() == 0) throw IndexError("slice: cannot slice a 0-dim tensor");
  if (step <= 0) throw ValueError("slice: step must be positive, got " + std::to_string(step));
  int64_t n = x.shape()[d];
  auto clamp_index = [n](int64_t i) {
    if (i < 0) i += n;
    return std::clamp<int64_t>(i, 0, n);
  };
  int64_t begin = start ? clamp_index(*start) : 0;
  int64_t end = stop ? clamp_index(*stop) : n;
  int64_t length = end > begin ? (end - begin + step - 1) / step : 0;
  Shape shape = x.shape(), strides = x.strides();
  shape[d] = length;
  strides[d] *= step;
  const int64_t offset = x.storage_offset() + begin * x.strides()[d];
  Tensor y = make_view(x, std::move(shape), std::move(strides), offset);
  if (!autograd::needs_recording(&x, 1)) return y;
  return autograd::record("slice", y, {x},
                          [input_shape = x.shape(), d, begin, step](const Tensor& dy) {
                            return grads{slice_backward(dy, input_shape, d, begin, step)};
                          });
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  int64_t d = normalize_dim(dim, x.dim(), "narrow");
  int64_t n = x.dim() == 0 ? 1 : x.shape()[d];
  if (start < 0) start += n;
  if (start < 0 || length < 0 || start + length > n) {
    throw IndexError("narrow: range [" + std::to_string(start) + ", " +
                     std::to_string(start + length) + ") is out of bounds for dim " +
                     std::to_string(d) + " of size " + std::to_string(n));
  }
  return slice(x, d, start, start + length, 1);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  if (x.dim() == 0) throw IndexError("select: cannot index a 0-dim tensor");
  int64_t d = normalize_dim(dim, x.dim(), "select");
  int64_t n = x.shape()[d];
  if (index < -n || index >= n) {
    throw IndexError("select: index " + std::to_string(index) + " is out of range for dim " +
                     std::to_string(d) + " of size " + std::to_string(n));
  }
  if (index < 0) index += n;
  Shape shape = x.shape(), strides = x.strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  const int64_t offset = x.storage_offset() + index * x.strides()[d];
  Tensor y = make_view(x, std::move(shape), std::move(strides), offset);
  if (!autograd::needs_recording(&x, 1)) return y;
  return autograd::record("select", y, {x}, [input_shape = x.shape(), d, index](const Tensor& dy) {
    return grads{slice_backward(unsqueeze(dy, d), input_shape, d, index, 1)};
  });
}

Tensor expand(const Tensor& x, const Shape& shape) {
  int64_t rank = static_cast<int64_t>(shape.size());
  if (rank < x.dim()) {
    throw ShapeError("expand: target shape " + shape_string(shape) + " has fewer dims than " +
                     shape_string(x.shape()));
  }
  Shape out(rank), strides(rank);
  int64_t lead = rank - x.dim();
  for (int64_t i = 0; i < rank; ++i) {
    if (i < lead) {
      if (shape[i] < 0)
        throw ShapeError("expand: -1 is not allowed for a new leading dim in " +
                         shape_string(shape));
      out[i] = shape[i];
      strides[i] = 0;
      continue;
    }
    int64_t have = x.shape()[i - lead];
    int64_t want = shape[i] == -1 ? have : shape[i];
    if (want < 0)
      throw ShapeError("expand: invalid size " + std::to_string(shape[i]) + " in " +
                       shape_string(shape));
    if (have == want) {
      out[i] = have;
      strides[i] = x.strides()[i - lead];
    } else if (have == 1) {
      out[i] = want;
      strides[i] = 0;
    } else {
      throw ShapeError("expand: shape " + shape_string(x.shape()) + " cannot be expanded to " +
                       shape_string(shape) + " (dim " + std::to_string(i) + ": " +
                       std::to_string(have) + " vs " + std::to_string(want) + ")");
    }
  }
  Tensor y = make_view(x, std::move(out), std::move(strides), x.storage_offset());
  if (!autograd::needs_recording(&x, 1)) return y;
  return autograd::record("expand", y, {x}, [input_shape = x.shape()](const Tensor& dy) {
    return grads{autograd::sum_to(dy, input_shape)};
  });
}

Tensor squeeze(const Tensor& x) {
  Shape shape;
  for (int64_t d : x.shape()) {
    if (d != 1) shape.push_back(d);
  }
  return shape == x.shape() ? x : reshape(x, shape);
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  int64_t d = normalize_dim(dim, x.dim(), "squeeze");
  if (x.dim() == 0) return x;
  if (x.shape()[d] != 1) return x;
  Shape shape = x.shape();
  shape.erase(shape.begin() + d);
  return reshape(x, shape);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  int64_t d = normalize_dim(dim, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape();
  shape.insert(shape.begin() + d, 1);
  return reshape(x, shape);
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  if (x.dim() == 0) return reshape(x, {1});
  int64_t s = normalize_dim(start_dim, x.dim(), "flatten");
  int64_t e = normalize_dim(end_dim, x.dim(), "flatten");
  if (s > e) {
    throw ValueError("flatten: start_dim " + std::to_string(start_dim) + " comes after end_dim " +
                     std::to_string(end_dim));
  }
  Shape shape(x.shape().begin(), x.shape().begin() + s);
  int64_t merged = 1;
  for (int64_t d = s; d <= e; ++d) merged *= x.shape()[d];
  shape.push_back(merged);
  shape.insert(shape.end(), x.shape().begin() + e + 1, x.shape().end());
  return reshape(x, shape);
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  return clone(x);
}

Tensor clone(const Tensor& x) {
  Tensor y = empty(x.shape(), x.dtype());
  kernels::copy(x, y);
  return autograd::record("clone", y, {x}, [](const Tensor& dy) { return grads{dy}; });
}

Tensor to_dtype(const Tensor& x, Dtype dtype) {
  if (x.dtype() == dtype) return x;
  Tensor y = empty(x.shape(), dtype);
  kernels::copy(x, y);
  if (!is_floating_point(dtype)) return y;  // integer results carry no gradient
  Dtype from = x.dtype();
  return autograd::record("to", y, {x},
                          [from](const Tensor& dy) { return grads{to_dtype(dy, from)}; });
}

// Tensor's view methods.
Tensor Tensor::view(const Shape& shape) const { return cajal::view(*this, shape); }
Tensor Tensor::reshape(const Shape& shape) const { return cajal::reshape(*this, shape); }
Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  return cajal::transpose(*this, dim0, dim1);
}
Tensor Tensor::t() const {
  if (dim() > 2)
    throw ShapeError("t: expects a tensor with <= 2 dims, got shape " + shape_string(shape()));
  return dim() < 2 ? *this : cajal::transpose(*this, 0, 1);
}
Tensor Tensor::permute(const Dims& dims) const { return cajal::permute(*this, dims); }
Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  return cajal::narrow(*this, dim, start, length);
}
Tensor Tensor::slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> stop,
                     int64_t step) const {
  return cajal::slice(*this, dim, start, stop, step);
}
Tensor Tensor::select(int64_t dim, int64_t index) const { return cajal::select(*this, dim, index); }
Tensor Tensor::expand(const Shape& shape) const { return cajal::expand(*this, shape); }
Tensor Tensor::squeeze() const { return cajal::squeeze(*this); }
Tensor Tensor::squeeze(int64_t dim) const { return cajal::squeeze(*this, dim); }
Tensor Tensor::unsqueeze(int64_t dim) const { return cajal::unsqueeze(*this, dim); }
Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  return cajal::flatten(*this, start_dim, end_dim);
}
Tensor Tensor::unflatten(int64_t dim, const Shape& sizes) const {
  int64_t d = normalize_dim(dim, this->dim(), "unflatten");
  if (shape_numel(sizes) != shape()[d] && std::count(sizes.begin(), sizes.end(), -1) == 0) {
    throw ShapeError("unflatten: sizes " + shape_string(sizes) + " do not multiply to dim " +
                     std::to_string(d) + "'s size " + std::to_string(shape()[d]));
  }
  Shape target(shape().begin(), shape().begin() + d);
  target.insert(target.end(), sizes.begin(), sizes.end());
  target.insert(target.end(), shape().begin() + d + 1, shape().end());
  return cajal::reshape(*this, target);
}
Tensor Tensor::contiguous() const { return cajal::contiguous(*this); }
Tensor Tensor::clone() const { return cajal::clone(*this); }
Tensor Tensor::to(Dtype dtype) const { return cajal::to_dtype(*this, dtype); }

}  // namespace cajal
