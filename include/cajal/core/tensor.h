#pragma once
// Tensor: an n-dimensional strided view of shared storage, with the autograd state of PyTorch's
// tensors (requires_grad, grad, grad_fn). Copying a Tensor copies a handle, not the data.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cajal/core/dtype.h"
#include "cajal/core/error.h"
#include "cajal/core/scalar.h"
#include "cajal/core/shape.h"
#include "cajal/core/storage.h"

namespace cajal {

namespace autograd {
class Node;
}

class Tensor;
struct TensorImpl;

struct BackwardOptions {
  // Keep the graph (and what it saved) so backward can run through it again. Defaults to
  // create_graph.
  std::optional<bool> retain_graph{};
  // Record the backward pass itself, so the gradients can be differentiated again.
  bool create_graph = false;
};

// One entry of Tensor::index: an integer (selects, removing the dim), a Slice, a new axis, or an
// int64 tensor of indices (gathers along the dim).
struct Slice {
  std::optional<int64_t> start;
  std::optional<int64_t> stop;
  int64_t step = 1;
};
struct NewAxis {};
class TensorIndex;

class Tensor {
 public:
  Tensor() = default;  // An undefined tensor: no storage; defined() is false.
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Metadata.
  bool defined() const { return impl_ != nullptr; }
  Dtype dtype() const;
  const Shape& shape() const;
  const Shape& strides() const;
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int64_t dim() const;
  int64_t numel() const;
  int64_t storage_offset() const;
  bool is_contiguous() const;
  bool is_floating_point() const { return cajal::is_floating_point(dtype()); }
  size_t element_size() const { return cajal::element_size(dtype()); }

  // Raw access. data_ptr<T>() checks that T is the tensor's element type and points at the first
  // element of this view (storage offset applied).
  template <typename T>
  T* data_ptr() const;
  void* raw_data() const;
  const std::shared_ptr<Storage>& storage() const;

  // The value of a one-element tensor.
  template <typename T>
  T item() const;
  double item() const { return item<double>(); }

  // Element access by full index; throws IndexError when out of range.
  template <typename T>
  T& at(std::initializer_list<int64_t> index) const;

  // Autograd.
  bool requires_grad() const;
  // Marks a leaf tensor as a parameter to differentiate with respect to. Float tensors only.
  Tensor& requires_grad_(bool requires_grad = true);
  Tensor grad() const;                      // Undefined until a backward pass reaches this tensor.
  void set_grad(const Tensor& grad) const;  // set_grad(Tensor()) clears it.
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  bool is_leaf() const;
  // Accumulates d(this)/d(leaf) into every leaf's grad(). A non-scalar needs `gradient`, the
  // vector of the vector-Jacobian product, of this tensor's shape.
  void backward(const Tensor& gradient = Tensor(), BackwardOptions options = {}) const;
  void backward(BackwardOptions options) const { backward(Tensor(), options); }
  // The same data, cut from the graph.
  Tensor detach() const;

  // Copies and conversions (differentiable).
  Tensor clone() const;
  Tensor contiguous() const;
  Tensor to(Dtype dtype) const;

  // Views: share storage with this tensor (differentiable).
  Tensor view(const Shape& shape) const;     // shape may contain one -1
  Tensor reshape(const Shape& shape) const;  // a view when possible, otherwise a copy
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;  // 2-D transpose
  Tensor permute(const Dims& dims) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> stop,
               int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor expand(const Shape& shape) const;  // -1 keeps a dim
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, const Shape& sizes) const;
  // NumPy-style indexing: x.index({0, Slice{1, 3}, NewAxis{}, indices_tensor}).
  Tensor index(const std::vector<TensorIndex>& indices) const;

  // In-place (no autograd; refused on a tensor that requires grad while grad mode is on).
  Tensor& zero_();
  Tensor& fill_(Scalar value);
  Tensor& copy_(const Tensor& source);  // source broadcasts to this tensor's shape
  Tensor& add_(const Tensor& other, Scalar alpha = 1);
  Tensor& sub_(const Tensor& other, Scalar alpha = 1);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(Scalar other);
  Tensor& div_(const Tensor& other);
  Tensor& div_(Scalar other);
  Tensor& clamp_(std::optional<Scalar> min, std::optional<Scalar> max);

  // Method forms of common ops (see include/cajal/ops/ for each).
  Tensor sum() const;
  Tensor sum(const Dims& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Dims& dims, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  Tensor argmax() const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor pow(Scalar exponent) const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor matmul(const Tensor& other) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;

  // Identity of the underlying object (two handles to the same tensor compare equal).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  const TensorImpl& checked() const;
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;       // in elements
  int64_t offset = 0;  // in elements
  Dtype dtype = Dtype::float32;
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;
};

class TensorIndex {
 public:
  TensorIndex(int64_t index) : kind_(Kind::integer), integer_(index) {}              // NOLINT
  TensorIndex(int index) : kind_(Kind::integer), integer_(index) {}                  // NOLINT
  TensorIndex(Slice slice) : kind_(Kind::slice), slice_(slice) {}                    // NOLINT
  TensorIndex(NewAxis) : kind_(Kind::new_axis) {}                                    // NOLINT
  TensorIndex(Tensor indices) : kind_(Kind::tensor), tensor_(std::move(indices)) {}  // NOLINT

  enum class Kind { integer, slice, new_axis, tensor };
  Kind kind() const { return kind_; }
  int64_t integer() const { return integer_; }
  const Slice& slice() const { return slice_; }
  const Tensor& tensor() const { return tensor_; }

 private:
  Kind kind_;
  int64_t integer_ = 0;
  Slice slice_;
  Tensor tensor_;
};

// Prints like PyTorch: the values (middle elided for big tensors), then shape and dtype.
std::ostream& operator<<(std::ostream& os, const Tensor& tensor);
std::string to_string(const Tensor& tensor);

// A tensor with fresh, uninitialized storage.
Tensor empty(const Shape& shape, Dtype dtype = Dtype::float32);
// A tensor viewing `storage` with the given geometry (no copy).
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);
Tensor make_view(const Tensor& base, Shape&& shape, Shape&& strides, int64_t offset);

template <typename T>
T* Tensor::data_ptr() const {
  const TensorImpl& self = checked();
  if (self.dtype != dtype_of_v<T>) {
    throw ValueError("data_ptr: tensor has dtype " + std::string(dtype_name(self.dtype)) +
                     ", requested " + std::string(dtype_name(dtype_of_v<T>)));
  }
  return static_cast<T*>(self.storage->data()) + self.offset;
}

}  // namespace cajal
