// Gathering and scattering by integer indices. gather and scatter_add are the two primitives
// (each other's adjoints); index_select, embedding and Tensor::index's tensor indices read through
// the gather kernel and take their gradients with scatter_add, so gradients of gradients work.
//
// Tensor::index supports at most one tensor index per call. NumPy broadcasts several tensor
// indices against each other and, when they are not adjacent, moves the broadcast dims to the
// front; rather than half-implement that, a second tensor index throws ValueError (index in two
// steps, or use gather). Integers select before tensor indices apply, as in PyTorch: x[0, :, idx]
// has the slice's dim first. Slices need a positive step (ValueError otherwise; flip reverses).
#include "cajal/ops/indexing.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "cajal/autograd/node.h"
#include "cajal/core/creation.h"
#include "cajal/kernels/elementwise.h"
#include "cajal/kernels/loops.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/manipulation.h"
#include "cajal/ops/view.h"

namespace cajal {

using autograd::grads;

namespace {

std::string dtype_string(const Tensor& t) { return std::string(dtype_name(t.dtype())); }

void require_int64(const Tensor& index, const char* op, const char* what) {
  if (!index.defined()) throw ValueError(std::string(op) + ": " + what + " is undefined");
  if (index.dtype() != Dtype::int64) {
    throw ValueError(std::string(op) + ": " + what + " must be an int64 tensor, got " +
                     dtype_string(index));
  }
}

IndexError out_of_range(const char* op, int64_t value, int64_t dim, int64_t size) {
  return IndexError(std::string(op) + ": index " + std::to_string(value) +
                    " is out of range for dim " + std::to_string(dim) + " of size " +
                    std::to_string(size));
}

// Throws unless every element of `index` (int64, any strides) is in [0, size).
void check_range(const Tensor& index, int64_t size, int64_t dim, const char* op) {
  const int64_t* ip = index.data_ptr<int64_t>();
  kernels::for_each_row<1>(
      index.shape(), {index.strides()},
      [&](const std::array<int64_t, 1>& at, const std::array<int64_t, 1>& step, int64_t n) {
        for (int64_t j = 0; j < n; ++j) {
          int64_t v = ip[at[0] + j * step[0]];
          if (v < 0 || v >= size) throw out_of_range(op, v, dim, size);
        }
      },
      kernels::Threading::serial);
}

// Checks gather/scatter_add's shape rule: index has x's rank and fits in x off `dim`.
void check_index_shape(const Tensor& x, int64_t dim, const Tensor& index, const char* op) {
  if (index.dim() != x.dim()) {
    throw ShapeError(std::string(op) + ": index " + shape_string(index.shape()) +
                     " must have as many dims as the input " + shape_string(x.shape()));
  }
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d != dim && index.shape()[d] > x.shape()[d]) {
      throw ShapeError(std::string(op) + ": index " + shape_string(index.shape()) +
                       " is larger than the input " + shape_string(x.shape()) + " in dim " +
                       std::to_string(d) + " (only dim " + std::to_string(dim) + " may differ)");
    }
  }
}

// out[i][j] = x[index[i][j]][j] (for dim 0), out of index's shape; indices already checked.
Tensor gather_kernel(const Tensor& x, int64_t dim, const Tensor& index) {
  Tensor out = empty(index.shape(), x.dtype());
  if (out.numel() == 0) return out;
  if (x.dim() == 0) {
    kernels::copy(x, out);
    return out;
  }
  Shape x_strides = x.strides();
  const int64_t jump = x_strides[dim];
  x_strides[dim] = 0;  // the index supplies this coordinate
  const int64_t* ip = index.data_ptr<int64_t>();
  dispatch(x.dtype(), [&]<typename T>() {
    const T* xp = x.data_ptr<T>();
    T* op = out.data_ptr<T>();
    kernels::for_each_row<3>(
        out.shape(), {out.strides(), index.strides(), x_strides},
        [&](const std::array<int64_t, 3>& at, const std::array<int64_t, 3>& step, int64_t n) {
          for (int64_t j = 0; j < n; ++j) {
            op[at[0] + j * step[0]] = xp[at[2] + j * step[2] + ip[at[1] + j * step[1]] * jump];
          }
        });
  });
  return out;
}

// index_select along dim 0 of a contiguous x: out[i] = x[index[i]], whole rows copied (the
// batch gather of every training loop). `flat`: the checked 1-D index.
Tensor select_rows(const Tensor& x, const Tensor& flat, const Shape& out_shape) {
  Tensor out = empty(out_shape, x.dtype());
  if (out.numel() == 0) return out;
  const int64_t rows = flat.numel();
  const int64_t row_bytes = x.numel() / x.shape()[0] * static_cast<int64_t>(x.element_size());
  const char* source = static_cast<const char*>(x.raw_data());
  char* dest = static_cast<char*>(out.raw_data());
  const int64_t* ip = flat.data_ptr<int64_t>();
  const int64_t step = flat.strides()[0];
  auto copy_row = [&](int64_t i) {
    std::memcpy(dest + i * row_bytes, source + ip[i * step] * row_bytes,
                static_cast<size_t>(row_bytes));
  };
  if (out.numel() >= kernels::parallel_grain && rows > 1 && omp_get_max_threads() > 1 &&
      !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rows; ++i) copy_row(i);
  } else {
    for (int64_t i = 0; i < rows; ++i) copy_row(i);
  }
  return out;
}

// out = x (a copy), then out[index[i][j]][j] += src[i][j] (for dim 0); indices already checked.
Tensor scatter_add_kernel(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = empty(x.shape(), x.dtype());
  kernels::copy(x, out);
  if (index.numel() == 0) return out;
  if (x.dim() == 0) {
    return dispatch(x.dtype(), [&]<typename T>() {
      if constexpr (std::is_same_v<T, bool>) {
        *out.data_ptr<T>() = *out.data_ptr<T>() || *src.data_ptr<T>();
      } else {
        *out.data_ptr<T>() += *src.data_ptr<T>();
      }
      return out;
    });
  }
  Shape out_strides = out.strides();
  const int64_t jump = out_strides[dim];
  out_strides[dim] = 0;
  const int64_t* ip = index.data_ptr<int64_t>();
  dispatch(x.dtype(), [&]<typename T>() {
    const T* sp = src.data_ptr<T>();
    T* op = out.data_ptr<T>();
    kernels::for_each_row<3>(
        index.shape(), {index.strides(), src.strides(), out_strides},
        [&](const std::array<int64_t, 3>& at, const std::array<int64_t, 3>& step, int64_t n) {
          for (int64_t j = 0; j < n; ++j) {
            T& target = op[at[2] + j * step[2] + ip[at[0] + j * step[0]] * jump];
            const T value = sp[at[1] + j * step[1]];
            if constexpr (std::is_same_v<T, bool>) {
              target = target || value;
            } else {
              target += value;
            }
          }
        },
        kernels::Threading::serial);
  });
  return out;
}

// `index` (1-D) viewed along `dim` of a tensor of `shape` (shape[dim] == index.numel()), as the
// index tensor of gather/scatter_add: no copy, stride 0 elsewhere.
Tensor spread_index(const Tensor& index, int64_t dim, const Shape& shape) {
  Shape strides(shape.size(), 0);
  strides[dim] = index.dim() == 0 ? 0 : index.stride(0);
  return make_view(index, shape, strides, index.storage_offset());
}

// zeros(shape) with src's slices added at rows `index` (1-D) of `dim`: index_select's adjoint.
Tensor index_add_into_zeros(const Shape& shape, int64_t dim, const Tensor& index,
                            const Tensor& src) {
  return scatter_add(zeros(shape, {.dtype = src.dtype()}), dim,
                     spread_index(index, dim, src.shape()), src);
}

}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  require_int64(index, "gather", "index");
  const int64_t d = normalize_dim(dim, x.dim(), "gather");
  check_index_shape(x, d, index, "gather");
  check_range(index, x.dim() == 0 ? 1 : x.shape()[d], d, "gather");
  Tensor y = gather_kernel(x, d, index);
  Shape input_shape = x.shape();
  Tensor saved_index = index.detach();
  return autograd::record("gather", y, {x}, [d, saved_index, input_shape](const Tensor& dy) {
    return grads{scatter_add(zeros(input_shape, {.dtype = dy.dtype()}), d, saved_index, dy)};
  });
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  require_int64(index, "scatter_add", "index");
  if (src.dtype() != x.dtype()) {
    throw ValueError("scatter_add: src has dtype " + dtype_string(src) + " but the input has " +
                     dtype_string(x));
  }
  const int64_t d = normalize_dim(dim, x.dim(), "scatter_add");
  check_index_shape(x, d, index, "scatter_add");
  if (src.dim() != index.dim()) {
    throw ShapeError("scatter_add: src " + shape_string(src.shape()) +
                     " must have as many dims as "
                     "the index " +
                     shape_string(index.shape()));
  }
  for (int64_t e = 0; e < index.dim(); ++e) {
    if (index.shape()[e] > src.shape()[e]) {
      throw ShapeError("scatter_add: index " + shape_string(index.shape()) +
                       " is larger than src " + shape_string(src.shape()) + " in dim " +
                       std::to_string(e));
    }
  }
  check_range(index, x.dim() == 0 ? 1 : x.shape()[d], d, "scatter_add");
  Tensor y = scatter_add_kernel(x, d, index, src);
  Shape src_shape = src.shape();
  Tensor saved_index = index.detach();
  return autograd::record(
      "scatter_add", y, {x, src}, [d, saved_index, src_shape](const Tensor& dy) {
        Tensor g = gather(dy, d, saved_index);
        if (g.shape() != src_shape) {
          // src elements the index does not reach get no gradient.
          std::vector<int64_t> pads;
          for (int64_t e = static_cast<int64_t>(src_shape.size()) - 1; e >= 0; --e) {
            pads.insert(pads.end(), {0, src_shape[e] - g.shape()[e]});
          }
          g = pad(g, pads);
        }
        return grads{dy, g};
      });
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  require_int64(index, "index_select", "index");
  if (index.dim() > 1) {
    throw ShapeError("index_select: index must be 0-D or 1-D, got shape " +
                     shape_string(index.shape()));
  }
  const int64_t d = normalize_dim(dim, x.dim(), "index_select");
  const int64_t size = x.dim() == 0 ? 1 : x.shape()[d];
  check_range(index, size, d, "index_select");
  if (x.dim() == 0) {
    // A 0-dim input reads as one element; the result has the index's shape.
    return gather(x.reshape({1}), 0, index.reshape({-1})).reshape(index.shape());
  }
  Shape out_shape = x.shape();
  out_shape[d] = index.numel();
  Tensor flat = index.detach().reshape({-1});
  Tensor y = d == 0 && x.is_contiguous() ? select_rows(x, flat, out_shape)
                                         : gather_kernel(x, d, spread_index(flat, d, out_shape));
  Shape input_shape = x.shape();
  return autograd::record("index_select", y, {x}, [d, flat, input_shape](const Tensor& dy) {
    return grads{index_add_into_zeros(input_shape, d, flat, dy)};
  });
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value) {
  if (!mask.defined() || mask.dtype() != Dtype::bool_) {
    throw ValueError("masked_fill: mask must be a bool tensor, got " +
                     (mask.defined() ? dtype_string(mask) : std::string("undefined")));
  }
  Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_fill");
  Tensor y = empty(shape, x.dtype());
  dispatch(x.dtype(), [&]<typename T>() {
    const T v = value.to<T>();
    kernels::map2<T, bool, T>(mask, x, y, [v](bool m, T a) { return m ? v : a; });
  });
  Tensor saved_mask = mask.detach();
  return autograd::record("masked_fill", y, {x}, [saved_mask](const Tensor& dy) {
    return grads{masked_fill(dy, saved_mask, 0)};
  });
}

Tensor one_hot(const Tensor& labels, int64_t num_classes) {
  require_int64(labels, "one_hot", "labels");
  std::vector<int64_t> values = to_vector<int64_t>(labels);
  for (int64_t v : values) {
    if (v < 0) {
      throw IndexError("one_hot: label " + std::to_string(v) +
                       " is negative; labels must be in "
                       "[0, num_classes)");
    }
  }
  if (num_classes == -1) {
    if (values.empty()) {
      throw ValueError("one_hot: cannot infer num_classes from an empty labels tensor; pass it");
    }
    num_classes = *std::max_element(values.begin(), values.end()) + 1;
  } else if (num_classes < 0) {
    throw ValueError("one_hot: num_classes must be non-negative or -1, got " +
                     std::to_string(num_classes));
  }
  for (int64_t v : values) {
    if (v >= num_classes) {
      throw IndexError("one_hot: label " + std::to_string(v) + " is out of range for " +
                       std::to_string(num_classes) + " classes");
    }
  }
  Shape shape = labels.shape();
  shape.push_back(num_classes);
  Tensor out = zeros(shape, {.dtype = Dtype::int64});
  int64_t* op = out.data_ptr<int64_t>();
  for (size_t i = 0; i < values.size(); ++i) op[i * num_classes + values[i]] = 1;
  return out;
}

Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx) {
  require_int64(indices, "embedding", "indices");
  if (weight.dim() != 2) {
    throw ShapeError("embedding: weight must be 2-D [num_embeddings, embedding_dim], got " +
                     shape_string(weight.shape()));
  }
  const int64_t rows = weight.shape()[0], width = weight.shape()[1];
  std::optional<int64_t> pad_row;
  if (padding_idx) {
    if (*padding_idx < -rows || *padding_idx >= rows) {
      throw ValueError("embedding: padding_idx " + std::to_string(*padding_idx) +
                       " is out of range for " + std::to_string(rows) + " embeddings");
    }
    pad_row = *padding_idx < 0 ? *padding_idx + rows : *padding_idx;
  }
  Tensor flat = indices.detach().reshape({-1});
  const int64_t count = flat.numel();
  const int64_t* ip = flat.data_ptr<int64_t>();
  kernels::for_each_row<1>(
      flat.shape(), {flat.strides()},
      [&](const std::array<int64_t, 1>& at, const std::array<int64_t, 1>& step, int64_t n) {
        for (int64_t j = 0; j < n; ++j) {
          int64_t v = ip[at[0] + j * step[0]];
          if (v < 0 || v >= rows) {
            throw IndexError("embedding: index " + std::to_string(v) + " is out of range for " +
                             std::to_string(rows) + " embeddings (weight " +
                             shape_string(weight.shape()) + ")");
          }
        }
      },
      kernels::Threading::serial);
  Tensor y = gather_kernel(weight, 0, spread_index(flat, 0, {count, width}));
  Shape out_shape = indices.shape();
  out_shape.push_back(width);
  y = y.view(out_shape);
  Shape weight_shape = weight.shape();
  return autograd::record("embedding", y, {weight},
                          [flat, pad_row, weight_shape, count, width](const Tensor& dy) {
                            Tensor g = reshape(dy, {count, width});
                            if (pad_row)
                              g = masked_fill(g, (flat == *pad_row).reshape({count, 1}), 0);
                            return grads{index_add_into_zeros(weight_shape, 0, flat, g)};
                          });
}

Tensor Tensor::index(const std::vector<TensorIndex>& indices) const {
  int64_t consumed = 0, tensor_indices = 0;
  for (const TensorIndex& ix : indices) {
    switch (ix.kind()) {
      case TensorIndex::Kind::integer:
      case TensorIndex::Kind::slice:
        ++consumed;
        break;
      case TensorIndex::Kind::new_axis:
        break;
      case TensorIndex::Kind::tensor: {
        const Tensor& t = ix.tensor();
        if (!t.defined()) throw ValueError("index: tensor index is undefined");
        if (t.dtype() == Dtype::bool_) {
          consumed += t.dim();
        } else if (t.dtype() == Dtype::int64) {
          ++consumed;
        } else {
          throw ValueError("index: tensor indices must be int64 or bool, got " + dtype_string(t));
        }
        ++tensor_indices;
        break;
      }
    }
  }
  if (consumed > dim()) {
    throw IndexError("index: too many indices (" + std::to_string(consumed) +
                     ") for a tensor of shape " + shape_string(shape()));
  }
  if (tensor_indices > 1) {
    throw ValueError("index: at most one tensor index per call is supported, got " +
                     std::to_string(tensor_indices) +
                     " (NumPy's broadcasting of several is not implemented; index in steps or use "
                     "gather)");
  }

  Tensor result = *this;
  int64_t d = 0;  // the dim of `result` the next entry applies to
  for (const TensorIndex& ix : indices) {
    switch (ix.kind()) {
      case TensorIndex::Kind::integer: {
        int64_t n = result.shape()[d], i = ix.integer();
        if (i < -n || i >= n) throw out_of_range("index", i, d, n);
        result = cajal::select(result, d, i);
        break;
      }
      case TensorIndex::Kind::slice: {
        const Slice& s = ix.slice();
        if (s.step <= 0) {
          throw ValueError("index: slice step must be positive, got " + std::to_string(s.step) +
                           " (use flip to reverse)");
        }
        result = cajal::slice(result, d, s.start, s.stop, s.step);
        ++d;
        break;
      }
      case TensorIndex::Kind::new_axis:
        result = cajal::unsqueeze(result, d);
        ++d;
        break;
      case TensorIndex::Kind::tensor: {
        const Tensor& t = ix.tensor();
        if (t.dtype() == Dtype::int64) {
          // Negative indices count from the end, as in NumPy.
          int64_t n = result.shape()[d];
          std::vector<int64_t> values = to_vector<int64_t>(t);
          for (int64_t& v : values) {
            if (v < -n || v >= n) throw out_of_range("index", v, d, n);
            if (v < 0) v += n;
          }
          Tensor picked = index_select(result, d, from_vector(values));
          Shape shape(result.shape().begin(), result.shape().begin() + d);
          shape.insert(shape.end(), t.shape().begin(), t.shape().end());
          shape.insert(shape.end(), result.shape().begin() + d + 1, result.shape().end());
          result = cajal::reshape(picked, shape);
          d += t.dim();
        } else {
          // A mask over dims [d, d + k): those dims become one, of the true positions.
          const int64_t k = t.dim();
          Shape covered(result.shape().begin() + d, result.shape().begin() + d + k);
          if (covered != t.shape()) {
            throw IndexError("index: bool mask of shape " + shape_string(t.shape()) +
                             " does not match the indexed dims " + shape_string(covered) +
                             " of the tensor " + shape_string(result.shape()));
          }
          std::vector<uint8_t> mask = to_vector<uint8_t>(t);
          std::vector<int64_t> positions;
          for (size_t i = 0; i < mask.size(); ++i) {
            if (mask[i]) positions.push_back(static_cast<int64_t>(i));
          }
          Shape merged(result.shape().begin(), result.shape().begin() + d);
          merged.push_back(shape_numel(covered));
          merged.insert(merged.end(), result.shape().begin() + d + k, result.shape().end());
          result = index_select(cajal::reshape(result, merged), d, from_vector(positions));
          ++d;
        }
        break;
      }
    }
  }
  return result;
}

}  // namespace cajal
