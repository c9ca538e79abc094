#pragma once
// The backward engine: orders the graph iteratively (no recursion, so a chain of millions of ops
// is fine), runs each node once with the sum of its incoming gradients, and accumulates into
// leaves' grad().
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal::autograd {

// Backpropagates from `outputs` (seeded with `grad_outputs`, which may be undefined for scalars,
// meaning 1) and accumulates into the grad() of every leaf that requires grad.
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              BackwardOptions options = {});

// Returns d(outputs)/d(inputs) (vector-Jacobian products with grad_outputs) without touching any
// grad(). An input the outputs do not depend on gets an undefined Tensor unless allow_unused is
// false, in which case it is an error.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, BackwardOptions options = {},
                         bool allow_unused = false);

// Clears the grad() of each tensor: sets it to undefined (set_to_none) or fills it with zeros in
// place. What Module::zero_grad and Optimizer::zero_grad do.
void zero_grad(const std::vector<Tensor>& tensors, bool set_to_none = true);

// Sums `gradient` over broadcast dims so it has `shape` (the reverse of broadcasting).
Tensor sum_to(const Tensor& gradient, const Shape& shape);

}  // namespace cajal::autograd
