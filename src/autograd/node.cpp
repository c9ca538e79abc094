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
      output_version_(saved_output_.defined() ? saved_output_.storage()->version() : 0) {}

Node::~Node() {
  for (Edge& edge : edges_) {
    if (edge.node) deferred.nodes.push_back(std::move(edge.node));
  }
  if (backward_) deferred.functions.push_back(std::move(backward_));
  if (saved_output_.defined()) deferred.tensors.push_back(std::move(saved_output_));
  if (deferred.draining) return;
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

grads Node::apply(const Tensor& grad_output, bool create_graph) {
  if (!backward_) {
    throw Error("backward: trying to backward through the graph a second time (at " + name_ +
                "); its saved values were freed after the first backward. Pass "
                "retain_graph=true to the first backward to keep them");
  }
  auto check_version = [&](const std::shared_ptr<Storage>& storage, int64_t version) {
    if (storage && storage->version() != version) {
      throw Error("backward of " + name_ +
                  ": a tensor it used was modified in place after the op ran (version " +
                  std::to_string(version) + ", now " + std::to_string(storage->version()) +
                  "); modify a clone instead, or modify it after backward");
    }
  };
  for (const Edge& edge : edges_) check_version(edge.storage.lock(), edge.version);
  if (saved_output_.defined()) check_version(saved_output_.storage(), output_version_);
  Tensor output = saved_output_;
  if (create_graph && output.defined()) {
    // Reconnect the output to this node, so backward formulas using it are differentiated too.
    output = make_view(saved_output_, saved_output_.shape(), saved_output_.strides(),
                       saved_output_.storage_offset());
    output.impl()->requires_grad = true;
    output.impl()->grad_fn = shared_from_this();
  }
  grads result = backward_(grad_output, output);
  if (result.size() != edges_.size()) {
    throw Error("backward of " + name_ + " returned " + std::to_string(result.size()) +
                " gradients for " + std::to_string(edges_.size()) + " inputs");
  }
  return result;
}

void Node::release() {
  backward_ = nullptr;
  saved_output_ = Tensor();
}

bool needs_recording(const std::vector<Tensor>& inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor& t : inputs) {
    if (t.defined() && t.requires_grad()) return true;
  }
  return false;
}

Tensor record_node(const char* name, const Tensor& output, const std::vector<Tensor>& inputs,
                   BackwardFunction backward, bool uses_output) {
  std::vector<Node::Edge> edges(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    if (!input.defined()) continue;
    edges[i].shape = input.shape();
    edges[i].dtype = input.dtype();
    edges[i].storage = input.storage();
    edges[i].version = input.storage()->version();
    if (!input.requires_grad()) continue;
    if (input.grad_fn()) {
      edges[i].node = input.grad_fn();
    } else {
      edges[i].leaf = input.impl_ptr();
    }
  }
  // The node keeps the output's data without its grad_fn, so output -> node -> output is no cycle.
  Tensor saved;
  if (uses_output) saved = output.grad_fn() ? output.detach() : output;
  auto node = std::make_shared<Node>(name, std::move(backward), std::move(edges), saved);
  Tensor result = make_view(output, output.shape(), output.strides(), output.storage_offset());
  result.impl()->requires_grad = true;
  result.impl()->grad_fn = std::move(node);
  return result;
}

}  // namespace cajal::autograd
