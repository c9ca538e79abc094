#include "cajal/autograd/node.h"

#include <vector>

namespace cajal::autograd {

namespace {
// Destroying the last tensor of a long chain would destroy each node from inside its successor's
// destructor: a million nested calls. Instead, a node's destructor hands what it owns (edges and
// backward function, which may hold further nodes) to this list, and the outermost destructor
// empties it in a loop, so nesting stays a few frames deep.
struct DeferredDeletions {
  std::vector<std::shared_ptr<Node>> nodes;
  std::vector<BackwardFunction> functions;
  std::vector<Tensor> tensors;
  bool draining = false;
};
thread_local DeferredDeletions deferred;
}  // namespace

Node::Node(std::string name, BackwardFunction backward, std::vector<Edge> edges,
           Tensor saved_output)
    : name_(std::move(name)),
      backward_(std::move(backward)),
      edges_(std::move(edges)),
      saved_output_(std::move(saved_output)),
      output_version_(saved_output_.defined() ? saved_output_.storage()->version() : 0),
      released_(!backward_) {}

Node::Node(const char* name, std::vector<Edge> edges, Tensor saved_output)
    : name_(name),
      edges_(std::move(edges)),
      saved_output_(std::move(saved_output)),
      output_version_(saved_output_.defined() ? saved_output_.storage()->version() : 0) {}

void Node::defer_destruction(BackwardFunction function) {
  deferred.functions.push_back(std::move(function));
}

Node::~Node() {
  for (Edge& edge : edges_) {
    if (edge.node) deferred.nodes.push_back(std::move(edge.node));
  }
  if (backward_) deferred.functions.push_back(std::move(backward_));
  if (saved_output_.defined()) deferred.tensors.push_back(std::move(saved_output_));
  if (pass_.gradient.defined()) deferred.tensors.push_back(std::move(pass_.gradient));
  if (deferred.draining) return;
  if (deferred.nodes.empty() && deferred.functions.empty() && deferred.tensors.empty()) return;
  deferred.draining = true;
  while (!deferred.nodes.empty() || !deferred.functions.empty() || !deferred.tensors.empty()) {
    if (!deferred.functions.empty()) {
      BackwardFunction f = std::move(deferred.functions.back());
      deferred.functions.pop_back();
    } else if (!deferred.tensors.empty()) {
      Tensor t = std::move(deferred.tensors.back());
      deferred.tensors.pop_back();
    } else {
      std::shared_ptr<Node> n = std::move(deferred.nodes.back());
      deferred.nodes.pop_back();
    }
  }
  deferred.draining = false;
}

grads Node::invoke(const Tensor& grad_output, const Tensor& output) {
  return backward_(grad_output, output);
}

void Node::drop_function(bool defer) {
  if (defer && backward_) defer_destruction(std::move(backward_));
  backward_ = nullptr;
}

grads Node::apply(const Tensor& grad_output, bool create_graph) {
  if (released_) {
    throw Error("backward: trying to backward through the graph a second time (at " + name_ +
                "); its saved values were freed after the first backward. Pass "
                "retain_graph=true to the first backward to keep them");
  }
  auto check_version = [&](const Storage* storage, int64_t version) {
    if (storage && storage->version() != version) {
      throw Error("backward of " + name_ +
                  ": a tensor it used was modified in place after the op ran (version " +
                  std::to_string(version) + ", now " + std::to_string(storage->version()) +
                  "); modify a clone instead, or modify it after backward");
    }
  };
  for (const Edge& edge : edges_) check_version(edge.storage.lock().get(), edge.version);
  if (saved_output_.defined()) check_version(saved_output_.storage().get(), output_version_);
  grads result;
  if (create_graph && saved_output_.defined()) {
    // Reconnect the output to this node, so backward formulas using it are differentiated too.
    Tensor output = make_view(saved_output_, saved_output_.shape(), saved_output_.strides(),
                              saved_output_.storage_offset());
    output.impl()->requires_grad = true;
    output.impl()->grad_fn = shared_from_this();
    result = invoke(grad_output, output);
  } else {
    result = invoke(grad_output, saved_output_);
  }
  if (result.size() != edges_.size()) {
    throw Error("backward of " + name_ + " returned " + std::to_string(result.size()) +
                " gradients for " + std::to_string(edges_.size()) + " inputs");
  }
  return result;
}

void Node::release() {
  drop_function(/*defer=*/false);
  released_ = true;
  saved_output_ = Tensor();
}

bool needs_recording(const Tensor* inputs, size_t count) {
  if (!is_grad_enabled()) return false;
  for (size_t i = 0; i < count; ++i) {
    if (inputs[i].defined() && inputs[i].requires_grad()) return true;
  }
  return false;
}

bool needs_recording(const std::vector<Tensor>& inputs) {
  return needs_recording(inputs.data(), inputs.size());
}

namespace detail {

std::vector<Node::Edge> make_edges(const Tensor* inputs, size_t count) {
  std::vector<Node::Edge> edges(count);
  for (size_t i = 0; i < count; ++i) {
    const Tensor& input = inputs[i];
    if (!input.defined()) continue;
    const TensorImpl& impl = *input.impl();
    edges[i].shape = impl.shape;
    edges[i].dtype = impl.dtype;
    edges[i].storage = impl.storage;
    edges[i].version = impl.storage->version();
    if (!impl.requires_grad) continue;
    if (impl.grad_fn) {
      edges[i].node = impl.grad_fn;
    } else {
      edges[i].leaf = input.impl_ptr();
    }
  }
  return edges;
}

Tensor saved_output(const Tensor& output, bool uses_output) {
  // The node keeps the output's data without its grad_fn, so output -> node -> output is no cycle.
  if (!uses_output) return Tensor();
  return output.grad_fn() ? output.detach() : output;
}

Tensor attach(const Tensor& output, std::shared_ptr<Node> node, bool uses_output) {
  const std::shared_ptr<TensorImpl>& impl = output.impl_ptr();
  // A fresh result nobody else holds (the op's own local) can become the graph's output itself,
  // saving a second TensorImpl; otherwise (saved by the node, shared, already in a graph) the
  // graph gets a view of it.
  if (!uses_output && impl.use_count() == 1 && !impl->requires_grad && !impl->grad_fn) {
    impl->requires_grad = true;
    impl->grad_fn = std::move(node);
    return output;
  }
  Tensor result = make_view(output, output.shape(), output.strides(), output.storage_offset());
  result.impl()->requires_grad = true;
  result.impl()->grad_fn = std::move(node);
  return result;
}

}  // namespace detail

Tensor record_node(const char* name, const Tensor& output, const std::vector<Tensor>& inputs,
                   BackwardFunction backward, bool uses_output) {
  auto node = std::allocate_shared<Node>(
      cajal::detail::PoolAllocator<Node>(), std::string(name), std::move(backward),
      detail::make_edges(inputs.data(), inputs.size()), detail::saved_output(output, uses_output));
  return detail::attach(output, std::move(node), uses_output);
}

}  // namespace cajal::autograd
