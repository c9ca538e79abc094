#include "cajal/autograd/engine.h"

#include <atomic>
#include <unordered_map>
#include <unordered_set>

#include "cajal/autograd/grad_mode.h"
#include "cajal/autograd/node.h"
#include "cajal/core/creation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/reduction.h"
#include "cajal/ops/view.h"

namespace cajal::autograd {

Tensor sum_to(const Tensor& gradient, const Shape& shape) {
  if (gradient.shape() == shape) return gradient;
  const Shape& from = gradient.shape();
  int64_t lead = static_cast<int64_t>(from.size()) - static_cast<int64_t>(shape.size());
  if (lead < 0) {
    throw ShapeError("sum_to: gradient of shape " + shape_string(from) +
                     " has fewer dims than the input's shape " + shape_string(shape));
  }
  Dims dims;
  for (int64_t d = 0; d < lead; ++d) dims.push_back(d);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1 && from[lead + d] != 1)
      dims.push_back(lead + static_cast<int64_t>(d));
    else if (shape[d] != from[lead + d]) {
      throw ShapeError("sum_to: gradient of shape " + shape_string(from) +
                       " does not broadcast to the input's shape " + shape_string(shape));
    }
  }
  Tensor reduced = dims.empty() ? gradient : sum(gradient, dims, /*keepdim=*/true);
  return reshape(reduced, shape);
}

namespace {

struct Target {
  // Where gradients are captured instead of accumulated (autograd::grad).
  std::unordered_map<const Node*, size_t> nodes;
  std::unordered_map<const TensorImpl*, size_t> leaves;
  std::vector<Tensor>* captured = nullptr;
  bool active() const { return captured != nullptr; }
};

Tensor add_gradients(const Tensor& a, const Tensor& b) {
  if (!a.defined()) return b;
  return a + b;
}

// Whether `gradient` can become a leaf's grad as it is: nobody else holds it or its data, and it
// is a plain dense tensor (so later in-place updates of grad write only into grad).
bool exclusively_owned(const Tensor& gradient) {
  const TensorImpl& impl = *gradient.impl();
  return gradient.impl_ptr().use_count() == 1 && impl.storage.use_count() == 1 &&
         !impl.requires_grad && !impl.grad_fn && impl.offset == 0 && gradient.is_contiguous() &&
         static_cast<size_t>(gradient.numel()) * gradient.element_size() == impl.storage->bytes();
}

void accumulate_leaf(TensorImpl& leaf, Tensor gradient, bool create_graph) {
  if (!leaf.grad.defined()) {
    // Our own copy: later in-place updates of grad must not write into another tensor.
    if (create_graph) {
      leaf.grad = std::move(gradient);
    } else if (exclusively_owned(gradient)) {
      leaf.grad = std::move(gradient);
    } else {
      leaf.grad = gradient.detach().clone();
    }
  } else if (create_graph || leaf.grad.requires_grad()) {
    leaf.grad = leaf.grad + gradient;
  } else {
    leaf.grad.add_(gradient);
  }
}

// Gradient for an edge: summed back over broadcast dims, in the input's dtype.
Tensor fit_to_edge(const Tensor& gradient, const Node::Edge& edge, const Node& node) {
  Tensor g = gradient;
  if (g.shape() != edge.shape) {
    try {
      g = sum_to(g, edge.shape);
    } catch (const ShapeError& e) {
      throw ShapeError("backward of " + node.name() + ": " + e.what());
    }
  }
  if (g.dtype() != edge.dtype) g = to_dtype(g, edge.dtype);
  return g;
}

void run_backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
                  BackwardOptions options, Target& target) {
  const bool create_graph = options.create_graph;
  const bool retain_graph = options.retain_graph.value_or(create_graph);
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size()) {
    throw ValueError("backward: got " + std::to_string(grad_outputs.size()) + " gradients for " +
                     std::to_string(outputs.size()) + " outputs");
  }

  // Seeds. Per-pass bookkeeping lives in the nodes (Node::Pass), tagged with this pass's number.
  static std::atomic<uint64_t> next_run{1};
  const uint64_t run = next_run.fetch_add(1, std::memory_order_relaxed);
  std::vector<Node*> reached;  // every node of this pass, for cleanup on error
  auto reach = [&](Node* node) {
    Node::Pass& pass = node->pass();
    if (pass.run == run) return false;
    pass.run = run;
    pass.dependencies = 0;
    pass.gradient = Tensor();
    reached.push_back(node);
    return true;
  };
  std::vector<Node*> roots;
  std::vector<std::shared_ptr<Node>> keep_alive;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    if (!out.requires_grad()) {
      throw ValueError(
          "backward: tensor does not require grad and has no grad_fn (did you forget "
          "requires_grad_(), or compute it under no_grad?)");
    }
    Tensor seed = i < grad_outputs.size() ? grad_outputs[i] : Tensor();
    if (!seed.defined()) {
      if (out.numel() != 1) {
        throw ValueError(
            "backward: grad can be implicitly created only for a one-element output; "
            "got shape " +
            shape_string(out.shape()) + " (pass a gradient of that shape)");
      }
      seed = ones_like(out);
    } else if (seed.shape() != out.shape()) {
      throw ShapeError("backward: gradient shape " + shape_string(seed.shape()) +
                       " does not match output shape " + shape_string(out.shape()));
    }
    if (!out.grad_fn()) {  // a leaf: its gradient is the seed itself
      if (target.active()) {
        auto it = target.leaves.find(out.impl());
        if (it != target.leaves.end()) {
          (*target.captured)[it->second] = add_gradients((*target.captured)[it->second], seed);
        }
      } else {
        accumulate_leaf(*out.impl(), seed, create_graph);
      }
      continue;
    }
    Node* node = out.grad_fn().get();
    keep_alive.push_back(out.grad_fn());
    if (reach(node)) roots.push_back(node);
    node->pass().gradient = add_gradients(node->pass().gradient, seed);
  }

  auto forget = [&] {
    for (Node* node : reached) {
      node->pass().gradient = Tensor();
      node->pass().run = 0;
    }
  };

  bool previous_mode = is_grad_enabled();
  try {
    // Count, for every node reachable from the roots, how many edges lead into it (iterative
    // DFS).
    {
      std::vector<Node*> stack(roots.begin(), roots.end());
      while (!stack.empty()) {
        Node* node = stack.back();
        stack.pop_back();
        for (const Node::Edge& edge : node->edges()) {
          if (!edge.node) continue;
          Node* next = edge.node.get();
          if (reach(next)) stack.push_back(next);
          ++next->pass().dependencies;
        }
      }
    }

    // Kahn's algorithm: a node runs once every node feeding it has run.
    std::vector<Node*> ready;
    for (Node* root : roots) {
      if (root->pass().dependencies == 0) ready.push_back(root);
    }
    set_grad_enabled(create_graph);
    while (!ready.empty()) {
      Node* node = ready.back();
      ready.pop_back();
      Tensor gradient = std::move(node->pass().gradient);
      node->pass().gradient = Tensor();
      if (target.active()) {
        auto it = target.nodes.find(node);
        if (it != target.nodes.end()) {
          (*target.captured)[it->second] = add_gradients((*target.captured)[it->second], gradient);
        }
      }
      grads input_grads;
      if (gradient.defined()) {
        input_grads = node->apply(gradient, create_graph);
      } else {
        input_grads.resize(node->edges().size());
      }
      gradient = Tensor();
      const auto& edges = node->edges();
      for (size_t i = 0; i < edges.size(); ++i) {
        const Node::Edge& edge = edges[i];
        Tensor g = std::move(input_grads[i]);
        if (edge.node) {
          Node* next = edge.node.get();
          Node::Pass& pass = next->pass();
          if (g.defined())
            pass.gradient = add_gradients(pass.gradient, fit_to_edge(g, edge, *node));
          if (--pass.dependencies == 0) ready.push_back(next);
        } else if (edge.leaf && g.defined()) {
          Tensor fitted = fit_to_edge(g, edge, *node);
          g = Tensor();
          if (target.active()) {
            auto it = target.leaves.find(edge.leaf.get());
            if (it != target.leaves.end()) {
              (*target.captured)[it->second] =
                  add_gradients((*target.captured)[it->second], fitted);
            }
          } else {
            accumulate_leaf(*edge.leaf, std::move(fitted), create_graph);
          }
        }
      }
      if (!retain_graph) node->release();
    }
  } catch (...) {
    set_grad_enabled(previous_mode);
    forget();
    throw;
  }
  set_grad_enabled(previous_mode);
  forget();
}

}  // namespace

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              BackwardOptions options) {
  Target none;
  run_backward(outputs, grad_outputs, options, none);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, BackwardOptions options,
                         bool allow_unused) {
  std::vector<Tensor> captured(inputs.size());
  Target target;
  target.captured = &captured;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    if (!input.requires_grad()) {
      throw ValueError("grad: input " + std::to_string(i) + " does not require grad");
    }
    if (input.grad_fn())
      target.nodes[input.grad_fn().get()] = i;
    else
      target.leaves[input.impl()] = i;
  }
  run_backward(outputs, grad_outputs, options, target);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!captured[i].defined() && !allow_unused) {
      throw ValueError("grad: input " + std::to_string(i) +
                       " was not used to compute the outputs (pass allow_unused=true)");
    }
  }
  return captured;
}

void zero_grad(const std::vector<Tensor>& tensors, bool set_to_none) {
  for (const Tensor& tensor : tensors) {
    Tensor grad = tensor.grad();
    if (!grad.defined()) continue;
    if (set_to_none) {
      tensor.set_grad(Tensor());
    } else {
      no_grad guard;
      grad.detach().zero_();
    }
  }
}

}  // namespace cajal::autograd
