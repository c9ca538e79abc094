#pragma once
// Creating tensors. Options follow PyTorch's names:
//   zeros({2, 3}, {.dtype = float64, .requires_grad = true})
#include <initializer_list>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal {

struct TensorOptions {
  Dtype dtype = Dtype::float32;
  bool requires_grad = false;
};

Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, Scalar value, TensorOptions options = {});
// [start, end) in steps of `step`.
Tensor arange(Scalar end, TensorOptions options = {});
Tensor arange(Scalar start, Scalar end, Scalar step = 1, TensorOptions options = {});
// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, int64_t steps, TensorOptions options = {});
Tensor eye(int64_t n, std::optional<int64_t> m = std::nullopt, TensorOptions options = {});

// Random tensors from the global generator (see random.h).
Tensor rand(const Shape& shape, TensorOptions options = {});   // uniform [0, 1)
Tensor randn(const Shape& shape, TensorOptions options = {});  // standard normal
Tensor randint(int64_t low, int64_t high, const Shape& shape,
               TensorOptions options = {.dtype = Dtype::int64});  // uniform integers [low, high)
Tensor bernoulli(const Tensor& probabilities);                    // 1 with probability p
Tensor bernoulli(const Shape& shape, double p, TensorOptions options = {});
Tensor randperm(int64_t n, TensorOptions options = {.dtype = Dtype::int64});
// Draws category indices in proportion to non-negative weights (they need not sum to 1), as
// torch.multinomial: weights [C] -> int64 [num_samples], or [N, C] -> [N, num_samples], one row
// of draws per row of weights. Without replacement each category is drawn at most once per row,
// so num_samples may not exceed a row's count of non-zero weights. ValueError for a negative,
// NaN or infinite weight, a row summing to zero, num_samples < 1 or too many without replacement.
Tensor multinomial(const Tensor& weights, int64_t num_samples, bool replacement = false);

Tensor empty_like(const Tensor& like);
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor full_like(const Tensor& like, Scalar value);
Tensor rand_like(const Tensor& like);
Tensor randn_like(const Tensor& like);

// From values: tensor({1, 2, 3}), tensor({{1, 2}, {3, 4}}, {.dtype = int64}).
Tensor tensor(std::initializer_list<double> values, TensorOptions options = {});
Tensor tensor(std::initializer_list<std::initializer_list<double>> rows,
              TensorOptions options = {});
// From a vector of any element type: the dtype is the element's (float -> float32, ...).
template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape);
template <typename T>
Tensor from_vector(const std::vector<T>& values) {
  return from_vector(values, Shape{static_cast<int64_t>(values.size())});
}
// Copies the elements out, in row-major order, converted to T.
template <typename T>
std::vector<T> to_vector(const Tensor& tensor);

}  // namespace cajal
