// Printing tensors the way PyTorch does:
//   tensor([[ 1.5000, -2.0000],
//           [ 0.2500,  3.0000]])
// Big tensors (more than 1000 elements) show the first and last 3 entries of each dim.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "cajal/autograd/node.h"
#include "cajal/core/tensor.h"
#include "cajal/kernels/elementwise.h"

namespace cajal {

namespace {

constexpr int64_t kSummarizeAbove = 1000;
constexpr int64_t kEdgeItems = 3;

struct Formatter {
  enum class Style { integer, boolean, whole_float, fixed, scientific } style;
  int width = 1;

  std::string format(double v) const {
    if (std::isnan(v) && style != Style::boolean) return "nan";
    if (std::isinf(v) && style != Style::boolean) return v > 0 ? "inf" : "-inf";
    char buffer[64];
    switch (style) {
      case Style::boolean:
        return v != 0 ? "True" : "False";
      case Style::integer:
        std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(v));
        break;
      case Style::whole_float:
        std::snprintf(buffer, sizeof buffer, "%.0f.", v);
        break;
      case Style::fixed:
        std::snprintf(buffer, sizeof buffer, "%.4f", v);
        break;
      case Style::scientific:
        std::snprintf(buffer, sizeof buffer, "%.4e", v);
        break;
    }
    return buffer;
  }
  std::string padded(double v) const {
    std::string s = format(v);
    if (static_cast<int>(s.size()) < width) s.insert(0, width - s.size(), ' ');
    return s;
  }
};

// Indices shown along a dim of size n.
std::vector<int64_t> shown(int64_t n, bool summarize) {
  std::vector<int64_t> idx;
  if (summarize && n > 2 * kEdgeItems) {
    for (int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
    idx.push_back(-1);  // the ellipsis
    for (int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
  } else {
    for (int64_t i = 0; i < n; ++i) idx.push_back(i);
  }
  return idx;
}

void collect(const double* data, const Shape& shape, const Shape& strides, int64_t dim,
             int64_t offset, bool summarize, std::vector<double>& out) {
  if (dim == static_cast<int64_t>(shape.size())) {
    out.push_back(data[offset]);
    return;
  }
  for (int64_t i : shown(shape[dim], summarize)) {
    if (i >= 0) collect(data, shape, strides, dim + 1, offset + i * strides[dim], summarize, out);
  }
}

void render(std::ostream& os, const double* data, const Shape& shape, const Shape& strides,
            int64_t dim, int64_t offset, bool summarize, const Formatter& f, int indent) {
  int64_t rank = static_cast<int64_t>(shape.size());
  if (rank == 0) {
    os << f.format(data[offset]);
    return;
  }
  os << '[';
  std::vector<int64_t> idx = shown(shape[dim], summarize);
  for (size_t k = 0; k < idx.size(); ++k) {
    if (k > 0) {
      if (dim == rank - 1) {
        os << ", ";
      } else {
        os << ',' << std::string(rank - dim - 1, '\n') << std::string(indent + dim + 1, ' ');
      }
    }
    if (idx[k] < 0) {
      os << "...";
      continue;
    }
    int64_t at = offset + idx[k] * strides[dim];
    if (dim == rank - 1)
      os << f.padded(data[at]);
    else
      render(os, data, shape, strides, dim + 1, at, summarize, f, indent);
  }
  os << ']';
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  Tensor values = kernels::convert(t, Dtype::float64);
  const double* data = values.data_ptr<double>();
  bool summarize = t.numel() > kSummarizeAbove;

  std::vector<double> visible;
  if (t.numel() > 0) collect(data, values.shape(), values.strides(), 0, 0, summarize, visible);
  Formatter f;
  if (t.dtype() == Dtype::bool_) {
    f.style = Formatter::Style::boolean;
  } else if (!t.is_floating_point()) {
    f.style = Formatter::Style::integer;
  } else {
    bool whole = true;
    double max_abs = 0, min_abs = INFINITY;
    for (double v : visible) {
      if (!std::isfinite(v)) continue;
      if (v != std::round(v)) whole = false;
      max_abs = std::max(max_abs, std::abs(v));
      if (v != 0) min_abs = std::min(min_abs, std::abs(v));
    }
    if (max_abs >= 1e8 || (!whole && min_abs < 1e-4) || (max_abs / min_abs > 1000 && !whole)) {
      f.style = Formatter::Style::scientific;
    } else {
      f.style = whole ? Formatter::Style::whole_float : Formatter::Style::fixed;
    }
  }
  // Like PyTorch, the column width comes from the finite values; nan and inf are padded to it.
  for (double v : visible) {
    if (std::isfinite(v)) f.width = std::max<int>(f.width, static_cast<int>(f.format(v).size()));
  }

  const char* prefix = "tensor(";
  os << prefix;
  if (t.numel() == 0) {
    os << "[]";
  } else {
    render(os, data, values.shape(), values.strides(), 0, 0, summarize, f, 7);
  }
  if (summarize || t.numel() == 0) os << ", shape=" << shape_string(t.shape());
  if (t.dtype() != Dtype::float32) os << ", dtype=" << dtype_name(t.dtype());
  if (t.grad_fn())
    os << ", grad_fn=<" << t.grad_fn()->name() << ">";
  else if (t.requires_grad())
    os << ", requires_grad=True";
  return os << ')';
}

std::string to_string(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

}  // namespace cajal
