#include "cajal/core/tensor.h"

#include <cmath>

#include "cajal/autograd/engine.h"
#include "cajal/autograd/grad_mode.h"
#include "cajal/autograd/node.h"
#include "cajal/core/pool.h"
#include "cajal/kernels/elementwise.h"

namespace cajal {

Tensor empty(const Shape& shape, Dtype dtype) {
  auto impl = std::allocate_shared<TensorImpl>(detail::PoolAllocator<TensorImpl>());
  // Strides and the element count in one pass (contiguous_strides' rule: size-0 dims count as 1).
  const size_t rank = shape.size();
  impl->strides.resize(rank);
  int64_t numel = 1, stride = 1;
  for (size_t i = rank; i-- > 0;) {
    const int64_t d = shape[i];
    if (d < 0) throw ShapeError("empty: negative dimension in shape " + shape_string(shape));
    impl->strides[i] = stride;
    stride *= d > 0 ? d : 1;
    numel *= d;
  }
  impl->storage =
      std::allocate_shared<Storage>(detail::PoolAllocator<Storage>(), numel * element_size(dtype));
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, Shape&& shape, Shape&& strides, int64_t offset) {
  auto impl = std::allocate_shared<TensorImpl>(detail::PoolAllocator<TensorImpl>());
  impl->storage = base.storage();
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::allocate_shared<TensorImpl>(detail::PoolAllocator<TensorImpl>());
  impl->storage = base.storage();
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

const TensorImpl& Tensor::checked() const {
  if (!impl_) throw ValueError("tensor is undefined (default-constructed or moved from)");
  return *impl_;
}

Dtype Tensor::dtype() const { return checked().dtype; }
const Shape& Tensor::shape() const { return checked().shape; }
const Shape& Tensor::strides() const { return checked().strides; }
int64_t Tensor::dim() const { return static_cast<int64_t>(checked().shape.size()); }
int64_t Tensor::numel() const { return shape_numel(checked().shape); }
int64_t Tensor::storage_offset() const { return checked().offset; }
const std::shared_ptr<Storage>& Tensor::storage() const { return checked().storage; }

// In-range dims skip normalize_dim's call: layers ask for sizes many times per op.
int64_t Tensor::size(int64_t d) const {
  const Shape& s = checked().shape;
  const int64_t rank = static_cast<int64_t>(s.size());
  if (d >= 0 && d < rank) return s[d];
  if (d < 0 && d >= -rank) return s[d + rank];
  if (rank == 0) {
    // normalize_dim lets reductions name dim 0 or -1 of a 0-dim tensor; a 0-dim tensor has no
    // size to return.
    throw IndexError("size(" + std::to_string(d) + "): the tensor has no dimensions");
  }
  return s[normalize_dim(d, rank, "size")];
}
int64_t Tensor::stride(int64_t d) const {
  const Shape& s = checked().strides;
  const int64_t rank = static_cast<int64_t>(s.size());
  if (d >= 0 && d < rank) return s[d];
  if (d < 0 && d >= -rank) return s[d + rank];
  if (rank == 0) {
    // normalize_dim lets reductions name dim 0 or -1 of a 0-dim tensor; a 0-dim tensor has no
    // stride to return.
    throw IndexError("stride(" + std::to_string(d) + "): the tensor has no dimensions");
  }
  return s[normalize_dim(d, rank, "stride")];
}

bool Tensor::is_contiguous() const {
  const TensorImpl& self = checked();
  int64_t expected = 1;
  for (int64_t d = static_cast<int64_t>(self.shape.size()) - 1; d >= 0; --d) {
    if (self.shape[d] == 1) continue;
    if (self.strides[d] != expected) return false;
    expected *= self.shape[d];
  }
  return true;
}

void* Tensor::raw_data() const {
  const TensorImpl& self = checked();
  return static_cast<char*>(self.storage->data()) + self.offset * cajal::element_size(self.dtype);
}

template <typename T>
T Tensor::item() const {
  if (numel() != 1) {
    throw ValueError("item: expected a tensor with one element, got shape " +
                     shape_string(shape()));
  }
  return dispatch(dtype(), [&]<typename S>() -> T {
    return static_cast<T>(*static_cast<const S*>(raw_data()));
  });
}
template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template int64_t Tensor::item<int64_t>() const;
template bool Tensor::item<bool>() const;
template uint8_t Tensor::item<uint8_t>() const;
template int Tensor::item<int>() const;

template <typename T>
T& Tensor::at(std::initializer_list<int64_t> index) const {
  if (static_cast<int64_t>(index.size()) != dim()) {
    throw IndexError("at: expected " + std::to_string(dim()) + " indices for shape " +
                     shape_string(shape()) + ", got " + std::to_string(index.size()));
  }
  int64_t offset = 0, d = 0;
  for (int64_t i : index) {
    int64_t n = shape()[d];
    if (i < -n || i >= n) {
      throw IndexError("at: index " + std::to_string(i) + " is out of range for dim " +
                       std::to_string(d) + " of size " + std::to_string(n));
    }
    offset += (i < 0 ? i + n : i) * strides()[d];
    ++d;
  }
  return data_ptr<T>()[offset];
}
template float& Tensor::at<float>(std::initializer_list<int64_t>) const;
template double& Tensor::at<double>(std::initializer_list<int64_t>) const;
template int64_t& Tensor::at<int64_t>(std::initializer_list<int64_t>) const;
template bool& Tensor::at<bool>(std::initializer_list<int64_t>) const;
template uint8_t& Tensor::at<uint8_t>(std::initializer_list<int64_t>) const;

bool Tensor::requires_grad() const { return checked().requires_grad; }

Tensor& Tensor::requires_grad_(bool requires_grad) {
  TensorImpl& self = const_cast<TensorImpl&>(checked());
  if (requires_grad && !cajal::is_floating_point(self.dtype)) {
    throw ValueError("requires_grad_: only floating-point tensors can require grad, got " +
                     std::string(dtype_name(self.dtype)));
  }
  if (!requires_grad && self.grad_fn) {
    throw ValueError("requires_grad_: cannot turn off requires_grad on a non-leaf tensor (" +
                     self.grad_fn->name() + "); use detach()");
  }
  self.requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const { return checked().grad; }

void Tensor::set_grad(const Tensor& grad) const {
  if (grad.defined() && grad.shape() != shape()) {
    throw ShapeError("set_grad: gradient shape " + shape_string(grad.shape()) +
                     " does not match tensor shape " + shape_string(shape()));
  }
  const_cast<TensorImpl&>(checked()).grad = grad;
}

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const { return checked().grad_fn; }
bool Tensor::is_leaf() const { return checked().grad_fn == nullptr; }

void Tensor::backward(const Tensor& gradient, BackwardOptions options) const {
  autograd::backward({*this}, {gradient}, options);
}

Tensor Tensor::detach() const {
  const TensorImpl& self = checked();
  return make_view(*this, self.shape, self.strides, self.offset);
}

namespace {
// Every in-place op starts here: refuses what would corrupt autograd or the data, and bumps the
// storage version so a graph that saved this tensor notices the change.
void check_in_place(const Tensor& t, const char* op) {
  if (t.requires_grad() && is_grad_enabled()) {
    throw ValueError(std::string(op) +
                     ": cannot modify a tensor that requires grad in place while grad mode is "
                     "on (wrap the update in no_grad, or use the out-of-place op)");
  }
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.strides()[d] == 0 && t.shape()[d] > 1) {
      throw ValueError(std::string(op) + ": the target of shape " + shape_string(t.shape()) +
                       " is an expanded view (several elements share one memory location); "
                       "write into a contiguous copy instead");
    }
  }
  t.storage()->bump_version();
}

void check_result_type(const Tensor& t, Dtype result, const char* op) {
  if (is_floating_point(result) && !t.is_floating_point()) {
    throw ValueError(std::string(op) + ": the result type " + std::string(dtype_name(result)) +
                     " cannot be stored in the in-place target's dtype " +
                     std::string(dtype_name(t.dtype())));
  }
}

// Checks that `other` broadcasts to self's shape and returns it ready to be read while self is
// written: copied first when it shares self's storage (overlapping views).
Tensor in_place_source(const Tensor& self, const Tensor& other, const char* op) {
  if (broadcast_shapes(self.shape(), other.shape(), op) != self.shape()) {
    throw ShapeError(std::string(op) + ": shape " + shape_string(other.shape()) +
                     " cannot be broadcast to the in-place target's shape " +
                     shape_string(self.shape()));
  }
  if (other.storage() != self.storage()) return other;
  Tensor copy = empty(other.shape(), other.dtype());
  kernels::copy(other, copy);
  return copy;
}

// self = f(self, other) elementwise, other broadcast to self and converted to self's dtype.
template <typename F>
void update_in_place(Tensor& self, const Tensor& other, const char* op, F f) {
  Tensor source = in_place_source(self, other, op);
  check_result_type(self, promote_types(self.dtype(), other.dtype()), op);
  check_in_place(self, op);
  source = kernels::convert(source, self.dtype());
  dispatch(self.dtype(), [&]<typename T>() {
    kernels::map2<T, T, T>(self, source, self, f.template operator()<T>());
  });
}
}  // namespace

Tensor& Tensor::zero_() { return fill_(0); }

Tensor& Tensor::fill_(Scalar value) {
  check_in_place(*this, "fill_");
  dispatch(dtype(), [&]<typename T>() {
    T v = value.to<T>();
    kernels::map<T, T>(*this, *this, [v](T) { return v; });
  });
  return *this;
}

Tensor& Tensor::copy_(const Tensor& source) {
  Tensor from = in_place_source(*this, source, "copy_");
  check_in_place(*this, "copy_");
  kernels::copy(from, *this);  // converts between dtypes, as PyTorch's copy_
  return *this;
}

Tensor& Tensor::add_(const Tensor& other, Scalar alpha) {
  check_result_type(*this, alpha.result_type_with(dtype()), "add_");
  update_in_place(*this, other, "add_", [&]<typename T>() {
    T a = alpha.to<T>();
    return [a](T x, T y) { return static_cast<T>(x + a * y); };
  });
  return *this;
}

Tensor& Tensor::sub_(const Tensor& other, Scalar alpha) {
  check_result_type(*this, alpha.result_type_with(dtype()), "sub_");
  update_in_place(*this, other, "sub_", [&]<typename T>() {
    T a = alpha.to<T>();
    return [a](T x, T y) { return static_cast<T>(x - a * y); };
  });
  return *this;
}

Tensor& Tensor::mul_(const Tensor& other) {
  update_in_place(*this, other, "mul_",
                  []<typename T>() { return [](T x, T y) { return static_cast<T>(x * y); }; });
  return *this;
}

Tensor& Tensor::mul_(Scalar other) {
  check_result_type(*this, other.result_type_with(dtype()), "mul_");
  check_in_place(*this, "mul_");
  dispatch(dtype(), [&]<typename T>() {
    T v = other.to<T>();
    kernels::map<T, T>(*this, *this, [v](T x) { return static_cast<T>(x * v); });
  });
  return *this;
}

Tensor& Tensor::div_(const Tensor& other) {
  check_result_type(*this, Dtype::float32, "div_");  // true division
  update_in_place(*this, other, "div_",
                  []<typename T>() { return [](T x, T y) { return static_cast<T>(x / y); }; });
  return *this;
}

Tensor& Tensor::div_(Scalar other) {
  check_result_type(*this, Dtype::float32, "div_");  // true division
  check_in_place(*this, "div_");
  dispatch(dtype(), [&]<typename T>() {
    T v = other.to<T>();
    kernels::map<T, T>(*this, *this, [v](T x) { return static_cast<T>(x / v); });
  });
  return *this;
}

Tensor& Tensor::clamp_(std::optional<Scalar> min, std::optional<Scalar> max) {
  if (min) check_result_type(*this, min->result_type_with(dtype()), "clamp_");
  if (max) check_result_type(*this, max->result_type_with(dtype()), "clamp_");
  check_in_place(*this, "clamp_");
  dispatch(dtype(), [&]<typename T>() {
    bool has_lo = min.has_value(), has_hi = max.has_value();
    T lo = has_lo ? min->to<T>() : T(0), hi = has_hi ? max->to<T>() : T(0);
    kernels::map<T, T>(*this, *this, [=](T x) {
      if (has_lo && x < lo) x = lo;
      if (has_hi && x > hi) x = hi;
      return x;
    });
  });
  return *this;
}

}  // namespace cajal
