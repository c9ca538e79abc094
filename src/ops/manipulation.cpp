// Joining, splitting and rearranging. cat, constant pad and repeat copy through strided windows;
// flip, roll and the reflect/replicate/circular pads read the input through one index table per
// dim (remap below), whose adjoint accumulates back through the same tables.
#include "cajal/ops/manipulation.h"

#include <omp.h>

#include <algorithm>
#include <memory>
#include <string>

#include "cajal/autograd/node.h"
#include "cajal/core/creation.h"
#include "cajal/kernels/elementwise.h"
#include "cajal/kernels/loops.h"
#include "cajal/ops/reduction.h"
#include "cajal/ops/view.h"

namespace cajal {

using autograd::grads;

namespace {

std::string list_string(const std::vector<int64_t>& values) { return shape_string(values); }

// For each dim of the output, the input coordinate each output coordinate reads.
using IndexTables = std::vector<std::vector<int64_t>>;

Shape table_shape(const IndexTables& tables) {
  Shape shape;
  for (const auto& t : tables) shape.push_back(static_cast<int64_t>(t.size()));
  return shape;
}

// out[i0, ..., ik] = x[tables[0][i0], ..., tables[k][ik]]; out is a new contiguous tensor.
Tensor remap_kernel(const Tensor& x, const IndexTables& tables) {
  Shape out_shape = table_shape(tables);
  Tensor out = empty(out_shape, x.dtype());
  const int64_t numel = out.numel();
  if (numel == 0) return out;
  const int64_t rank = x.dim();
  if (rank == 0) {
    kernels::copy(x, out);
    return out;
  }
  // Offsets (in elements of x) instead of coordinates: one add per dim in the loop.
  IndexTables offsets(rank);
  for (int64_t d = 0; d < rank; ++d) {
    offsets[d].resize(tables[d].size());
    for (size_t i = 0; i < tables[d].size(); ++i) offsets[d][i] = tables[d][i] * x.stride(d);
  }
  const int64_t inner = out_shape.back();
  const int64_t rows = numel / inner;
  dispatch(x.dtype(), [&]<typename T>() {
    const T* xp = x.data_ptr<T>();
    T* op = out.data_ptr<T>();
    const int64_t* last = offsets.back().data();
    auto run_row = [&](int64_t row) {
      int64_t base = 0, rest = row;
      for (int64_t d = rank - 2; d >= 0; --d) {
        base += offsets[d][rest % out_shape[d]];
        rest /= out_shape[d];
      }
      const T* src = xp + base;
      T* dst = op + row * inner;
      for (int64_t j = 0; j < inner; ++j) dst[j] = src[last[j]];
    };
    if (numel >= kernels::parallel_grain && omp_get_max_threads() > 1 && !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
      for (int64_t row = 0; row < rows; ++row) run_row(row);
    } else {
      for (int64_t row = 0; row < rows; ++row) run_row(row);
    }
  });
  return out;
}

// The adjoint of remap_kernel: dx (of `input_shape`, zeros) += dy read through the same tables.
// Several outputs may read one input (reflect, replicate), so this runs on one thread.
Tensor remap_adjoint_kernel(const Tensor& dy, const IndexTables& tables, const Shape& input_shape,
                            const char* op) {
  Tensor dx = zeros(input_shape, {.dtype = dy.dtype()});
  const int64_t numel = dy.numel();
  if (numel == 0) return dx;
  const int64_t rank = dx.dim();
  Tensor g = kernels::convert(dy, dy.dtype());  // contiguous
  dispatch_floating(dy.dtype(), op, [&]<typename T>() {
    const T* gp = g.data_ptr<T>();
    T* xp = dx.data_ptr<T>();
    if (rank == 0) {
      xp[0] += gp[0];
      return;
    }
    IndexTables offsets(rank);
    for (int64_t d = 0; d < rank; ++d) {
      offsets[d].resize(tables[d].size());
      for (size_t i = 0; i < tables[d].size(); ++i) offsets[d][i] = tables[d][i] * dx.stride(d);
    }
    const Shape& shape = dy.shape();
    const int64_t inner = shape.back();
    const int64_t rows = numel / inner;
    const int64_t* last = offsets.back().data();
    for (int64_t row = 0; row < rows; ++row) {
      int64_t base = 0, rest = row;
      for (int64_t d = rank - 2; d >= 0; --d) {
        base += offsets[d][rest % shape[d]];
        rest /= shape[d];
      }
      const T* src = gp + row * inner;
      T* dst = xp + base;
      for (int64_t j = 0; j < inner; ++j) dst[last[j]] += src[j];
    }
  });
  return dx;
}

// remap and its adjoint as a pair of differentiable ops, each the other's backward.
Tensor remap_adjoint(const Tensor& dy, std::shared_ptr<const IndexTables> tables,
                     const Shape& input_shape, const char* name);

Tensor remap(const Tensor& x, std::shared_ptr<const IndexTables> tables, const char* name) {
  Tensor y = remap_kernel(x, *tables);
  Shape input_shape = x.shape();
  return autograd::record(name, y, {x}, [tables, input_shape, name](const Tensor& dy) {
    return grads{remap_adjoint(dy, tables, input_shape, name)};
  });
}

Tensor remap_adjoint(const Tensor& dy, std::shared_ptr<const IndexTables> tables,
                     const Shape& input_shape, const char* name) {
  Tensor dx = remap_adjoint_kernel(dy, *tables, input_shape, name);
  return autograd::record("remap_backward", dx, {dy}, [tables, name](const Tensor& g) {
    return grads{remap(g, tables, name)};
  });
}

// Identity tables for every dim of `shape`.
IndexTables identity_tables(const Shape& shape) {
  IndexTables tables(shape.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    tables[d].resize(shape[d]);
    for (int64_t i = 0; i < shape[d]; ++i) tables[d][i] = i;
  }
  return tables;
}

// Validated, normalized, duplicate-free dims.
std::vector<bool> dim_set(const Dims& dims, int64_t rank, const char* op) {
  std::vector<bool> chosen(std::max<int64_t>(rank, 1), false);
  for (int64_t dim : dims) {
    int64_t d = normalize_dim(dim, rank, op);
    if (chosen[d]) {
      throw ValueError(std::string(op) + ": dim " + std::to_string(d) +
                       " appears more than once in " + list_string(dims));
    }
    chosen[d] = true;
  }
  return chosen;
}

// Constant padding with non-negative pads: the input copied into a window of a filled tensor.
Tensor constant_pad(const Tensor& x, const Shape& before, const Shape& after, double value) {
  Shape out_shape = x.shape();
  int64_t offset = 0;
  for (int64_t d = 0; d < x.dim(); ++d) out_shape[d] += before[d] + after[d];
  Tensor out = full(out_shape, value, {.dtype = x.dtype()});
  for (int64_t d = 0; d < x.dim(); ++d) offset += before[d] * out.stride(d);
  kernels::copy(x, make_view(out, x.shape(), out.strides(), offset));
  Shape input_shape = x.shape();
  return autograd::record("pad", out, {x}, [input_shape, before](const Tensor& dy) {
    Tensor g = dy;
    for (size_t d = 0; d < input_shape.size(); ++d) {
      if (g.shape()[d] != input_shape[d]) g = narrow(g, d, before[d], input_shape[d]);
    }
    return grads{g};
  });
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) throw ValueError("cat: expected a non-empty list of tensors");
  Dtype dtype = Dtype::bool_;
  std::vector<Tensor> parts;
  std::vector<size_t> positions;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (!t.defined()) throw ValueError("cat: tensor " + std::to_string(i) + " is undefined");
    dtype = promote_types(dtype, t.dtype());
    // PyTorch's legacy rule: 1-D empty tensors join anything (they are skipped).
    if (t.dim() == 1 && t.numel() == 0) continue;
    if (t.dim() == 0) {
      throw ShapeError("cat: zero-dimensional tensor (at position " + std::to_string(i) +
                       ") cannot be concatenated");
    }
    parts.push_back(t);
    positions.push_back(i);
  }
  if (parts.empty()) {
    normalize_dim(dim, 1, "cat");
    return empty({0}, dtype);
  }
  const Tensor& first = parts[0];
  const int64_t rank = first.dim();
  const int64_t d = normalize_dim(dim, rank, "cat");
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  std::vector<int64_t> sizes;
  for (size_t k = 0; k < parts.size(); ++k) {
    const Shape& s = parts[k].shape();
    bool fits = static_cast<int64_t>(s.size()) == rank;
    for (int64_t e = 0; fits && e < rank; ++e) fits = e == d || s[e] == first.shape()[e];
    if (!fits) {
      throw ShapeError("cat: tensor " + std::to_string(positions[k]) + " has shape " +
                       shape_string(s) + " but tensor " + std::to_string(positions[0]) +
                       " has shape " + shape_string(first.shape()) +
                       "; all dims except the cat dim " + std::to_string(d) + " must match");
    }
    sizes.push_back(s[d]);
    out_shape[d] += s[d];
  }
  Tensor out = empty(out_shape, dtype);
  int64_t offset = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    kernels::copy(parts[k],
                  make_view(out, parts[k].shape(), out.strides(), offset * out.stride(d)));
    offset += sizes[k];
  }
  // Every tensor is an input, the skipped ones included (they get an empty gradient).
  std::vector<int64_t> input_sizes(tensors.size(), -1);
  for (size_t k = 0; k < parts.size(); ++k) input_sizes[positions[k]] = sizes[k];
  return autograd::record("cat", out, tensors, [d, input_sizes](const Tensor& dy) {
    grads g;
    int64_t start = 0;
    for (int64_t size : input_sizes) {
      if (size < 0) {
        g.push_back(zeros({0}, {.dtype = dy.dtype()}));
        continue;
      }
      g.push_back(narrow(dy, d, start, size));
      start += size;
    }
    return g;
  });
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) throw ValueError("stack: expected a non-empty list of tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].defined())
      throw ValueError("stack: tensor " + std::to_string(i) + " is undefined");
    if (tensors[i].shape() != tensors[0].shape()) {
      throw ShapeError("stack: tensor " + std::to_string(i) + " has shape " +
                       shape_string(tensors[i].shape()) + " but tensor 0 has shape " +
                       shape_string(tensors[0].shape()) + "; all shapes must be equal");
    }
  }
  int64_t d = normalize_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) parts.push_back(unsqueeze(t, d));
  return cat(parts, d);
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  if (x.dim() == 0) throw ShapeError("split: cannot split a zero-dimensional tensor");
  int64_t d = normalize_dim(dim, x.dim(), "split");
  int64_t n = x.shape()[d];
  if (split_size < 0 || (split_size == 0 && n > 0)) {
    throw ValueError("split: split_size must be positive, got " + std::to_string(split_size));
  }
  if (n == 0) return {x};
  std::vector<Tensor> pieces;
  for (int64_t start = 0; start < n; start += split_size) {
    pieces.push_back(narrow(x, d, start, std::min(split_size, n - start)));
  }
  return pieces;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  if (x.dim() == 0) throw ShapeError("split: cannot split a zero-dimensional tensor");
  int64_t d = normalize_dim(dim, x.dim(), "split");
  int64_t n = x.shape()[d], total = 0;
  for (int64_t s : sizes) {
    if (s < 0) throw ValueError("split: sizes must be non-negative, got " + list_string(sizes));
    total += s;
  }
  if (total != n) {
    throw ValueError("split: sizes " + list_string(sizes) + " add up to " + std::to_string(total) +
                     " but dim " + std::to_string(d) + " of shape " + shape_string(x.shape()) +
                     " has size " + std::to_string(n));
  }
  std::vector<Tensor> pieces;
  int64_t start = 0;
  for (int64_t s : sizes) {
    pieces.push_back(narrow(x, d, start, s));
    start += s;
  }
  return pieces;
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  if (chunks <= 0)
    throw ValueError("chunk: chunks must be positive, got " + std::to_string(chunks));
  if (x.dim() == 0) throw ShapeError("chunk: cannot chunk a zero-dimensional tensor");
  int64_t d = normalize_dim(dim, x.dim(), "chunk");
  int64_t n = x.shape()[d];
  // An empty dim gives `chunks` empty pieces, as torch.chunk does.
  if (n == 0) return split(x, std::vector<int64_t>(chunks, 0), d);
  return split(x, (n + chunks - 1) / chunks, d);
}

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, std::string_view mode, double value) {
  const int64_t rank = x.dim();
  if (pads.size() % 2 != 0) {
    throw ValueError("pad: pads must come in (left, right) pairs, got " + list_string(pads));
  }
  const int64_t pairs = static_cast<int64_t>(pads.size()) / 2;
  if (pairs > rank) {
    throw ValueError("pad: pads " + list_string(pads) + " cover " + std::to_string(pairs) +
                     " dims but the input " + shape_string(x.shape()) + " has " +
                     std::to_string(rank));
  }
  // Pads per dim, in dim order (the list starts from the last dim).
  Shape before(rank, 0), after(rank, 0);
  for (int64_t p = 0; p < pairs; ++p) {
    before[rank - 1 - p] = pads[2 * p];
    after[rank - 1 - p] = pads[2 * p + 1];
  }
  auto pad_string = [&](int64_t d) {
    return "(" + std::to_string(before[d]) + ", " + std::to_string(after[d]) + ")";
  };

  if (mode == "constant") {
    // Negative pads crop first, as in PyTorch.
    Tensor cropped = x;
    Shape grow_before = before, grow_after = after;
    for (int64_t d = 0; d < rank; ++d) {
      if (before[d] >= 0 && after[d] >= 0) continue;
      int64_t cut_before = std::max<int64_t>(0, -before[d]),
              cut_after = std::max<int64_t>(0, -after[d]);
      int64_t kept = cropped.shape()[d] - cut_before - cut_after;
      if (kept < 0) {
        throw ValueError("pad: negative padding " + pad_string(d) + " of dim " + std::to_string(d) +
                         " removes more than its size " + std::to_string(x.shape()[d]));
      }
      cropped = narrow(cropped, d, cut_before, kept);
      grow_before[d] = std::max<int64_t>(0, before[d]);
      grow_after[d] = std::max<int64_t>(0, after[d]);
    }
    return constant_pad(cropped, grow_before, grow_after, value);
  }

  const char* name = nullptr;
  if (mode == "reflect")
    name = "pad_reflect";
  else if (mode == "replicate")
    name = "pad_replicate";
  else if (mode == "circular")
    name = "pad_circular";
  else {
    throw ValueError("pad: unknown mode '" + std::string(mode) +
                     "' (expected constant, reflect, replicate or circular)");
  }
  auto tables = std::make_shared<IndexTables>(identity_tables(x.shape()));
  for (int64_t d = rank - pairs; d < rank; ++d) {
    int64_t n = x.shape()[d], lo = before[d], hi = after[d];
    if (lo < 0 || hi < 0) {
      throw ValueError("pad: negative padding " + pad_string(d) + " of dim " + std::to_string(d) +
                       " is only supported in constant mode, got mode " + std::string(mode));
    }
    if (mode == "reflect" && (lo >= n || hi >= n)) {
      throw ValueError("pad: reflect padding " + pad_string(d) + " of dim " + std::to_string(d) +
                       " must be smaller than its size " + std::to_string(n) + " (input " +
                       shape_string(x.shape()) + ")");
    }
    if (mode == "circular" && (lo > n || hi > n)) {
      throw ValueError("pad: circular padding " + pad_string(d) + " of dim " + std::to_string(d) +
                       " must not exceed its size " + std::to_string(n) + " (input " +
                       shape_string(x.shape()) + ")");
    }
    if (mode == "replicate" && n == 0 && lo + hi > 0) {
      throw ValueError("pad: replicate padding of dim " + std::to_string(d) +
                       " needs a non-empty "
                       "dim (input " +
                       shape_string(x.shape()) + ")");
    }
    std::vector<int64_t>& table = (*tables)[d];
    table.resize(n + lo + hi);
    for (int64_t i = 0; i < n + lo + hi; ++i) {
      int64_t s = i - lo;  // the input coordinate before folding back into [0, n)
      if (mode == "reflect") {
        if (s < 0) s = -s;
        if (s >= n) s = 2 * (n - 1) - s;
      } else if (mode == "replicate") {
        s = std::clamp<int64_t>(s, 0, n - 1);
      } else {
        s = ((s % n) + n) % n;
      }
      table[i] = s;
    }
  }
  return remap(x, std::move(tables), name);
}

Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats) {
  const int64_t rank = static_cast<int64_t>(repeats.size());
  if (rank < x.dim()) {
    throw ValueError("repeat: repeats " + list_string(repeats) + " has fewer entries than the " +
                     std::to_string(x.dim()) + " dims of the input " + shape_string(x.shape()));
  }
  for (int64_t r : repeats) {
    if (r < 0)
      throw ValueError("repeat: repeats must be non-negative, got " + list_string(repeats));
  }
  // Output dim d is (repeats[d], size[d]) flattened: view x as [1, s0, 1, s1, ...], expand to
  // [r0, s0, r1, s1, ...] and copy.
  const int64_t lead = rank - x.dim();
  Shape sizes(rank, 1), interleaved, tiled, out_shape;
  for (int64_t d = 0; d < x.dim(); ++d) sizes[lead + d] = x.shape()[d];
  for (int64_t d = 0; d < rank; ++d) {
    interleaved.insert(interleaved.end(), {1, sizes[d]});
    tiled.insert(tiled.end(), {repeats[d], sizes[d]});
    out_shape.push_back(repeats[d] * sizes[d]);
  }
  Tensor base = x.detach().reshape(interleaved);
  Tensor out = empty(tiled, x.dtype());
  kernels::copy(base.expand(tiled), out);
  out = out.view(out_shape);
  Shape input_shape = x.shape();
  return autograd::record("repeat", out, {x}, [tiled, input_shape, rank](const Tensor& dy) {
    if (rank == 0) return grads{dy};  // sum over no dims would mean sum over all
    Dims tile_dims;
    for (int64_t d = 0; d < rank; ++d) tile_dims.push_back(2 * d);
    return grads{reshape(sum(reshape(dy, tiled), tile_dims), input_shape)};
  });
}

Tensor flip(const Tensor& x, const Dims& dims) {
  std::vector<bool> chosen = dim_set(dims, x.dim(), "flip");
  if (x.dim() == 0 || dims.empty()) return clone(x);
  IndexTables tables = identity_tables(x.shape());
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (chosen[d]) std::reverse(tables[d].begin(), tables[d].end());
  }
  Tensor y = remap_kernel(x, tables);
  Dims normalized;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (chosen[d]) normalized.push_back(d);
  }
  return autograd::record("flip", y, {x},
                          [normalized](const Tensor& dy) { return grads{flip(dy, normalized)}; });
}

Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const Dims& dims) {
  if (dims.empty()) {
    if (shifts.size() != 1) {
      throw ValueError("roll: without dims, expected exactly one shift, got " +
                       list_string(shifts));
    }
    return reshape(roll(flatten(x), shifts, {0}), x.shape());
  }
  if (shifts.size() != dims.size()) {
    throw ValueError("roll: got " + std::to_string(shifts.size()) + " shifts " +
                     list_string(shifts) + " for " + std::to_string(dims.size()) + " dims " +
                     list_string(dims));
  }
  const int64_t rank = x.dim();
  // A dim named twice rolls twice: add its shifts.
  std::vector<int64_t> total(std::max<int64_t>(rank, 1), 0);
  for (size_t k = 0; k < dims.size(); ++k) total[normalize_dim(dims[k], rank, "roll")] += shifts[k];
  if (rank == 0) return clone(x);
  IndexTables tables = identity_tables(x.shape());
  Dims rolled_dims;
  std::vector<int64_t> rolled_shifts;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t n = x.shape()[d];
    if (n == 0 || total[d] % n == 0) continue;
    int64_t s = ((total[d] % n) + n) % n;
    for (int64_t i = 0; i < n; ++i) tables[d][i] = (i - s + n) % n;
    rolled_dims.push_back(d);
    rolled_shifts.push_back(-s);
  }
  Tensor y = remap_kernel(x, tables);
  return autograd::record("roll", y, {x}, [rolled_shifts, rolled_dims](const Tensor& dy) {
    if (rolled_dims.empty()) return grads{dy};
    return grads{roll(dy, rolled_shifts, rolled_dims)};
  });
}

}  // namespace cajal
