#pragma once
// The computational graph. Each differentiable op's output points at a Node holding the op's
// backward function and edges to the nodes (or leaf tensors) of its inputs.
//
// An op records itself with `record`, forward and backward side by side:
//
//   Tensor tanh(const Tensor& x) {
//     Tensor y = kernels::tanh(x);
//     return autograd::record("tanh", y, {x}, [](const Tensor& dy, const Tensor& y) {
//       return grads{dy * (1 - y * y)};
//     });
//   }
//
// The backward function returns one gradient per input (an undefined Tensor where an input needs
// none), each of the output's shape or any shape that broadcasts to the input's: the engine sums
// broadcast gradients back to the input's shape. Backward functions are written with
// differentiable ops, so gradients of gradients work (create_graph).
//
// Saving tensors: capture inputs by value. Do not capture the op's own output: it would point at
// its own node (a leak). Take the two-argument form instead; it hands the output in, connected to
// the graph when create_graph is on.
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/tensor.h"

namespace cajal::autograd {

using grads = std::vector<Tensor>;
using BackwardFunction = std::function<grads(const Tensor& grad_output, const Tensor& output)>;

class Node : public std::enable_shared_from_this<Node> {
 public:
  struct Edge {
    std::shared_ptr<Node> node;        // the input's grad_fn, or
    std::shared_ptr<TensorImpl> leaf;  // the input itself when it is a leaf requiring grad
    Shape shape;                       // the input's shape (broadcast gradients reduce to it)
    Dtype dtype = Dtype::float32;
    // The input's storage and its version when the op ran: backward refuses to run on values
    // modified in place since (it would compute a wrong gradient silently).
    std::weak_ptr<Storage> storage;
    int64_t version = 0;
    bool needs_grad() const { return node || leaf; }
  };

  Node(std::string name, BackwardFunction backward, std::vector<Edge> edges, Tensor saved_output);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return name_; }
  const std::vector<Edge>& edges() const { return edges_; }

  // Runs the backward function; throws if the graph was already freed.
  grads apply(const Tensor& grad_output, bool create_graph);
  // Frees the backward function and what it saved (after a backward pass without retain_graph).
  void release();
  bool released() const { return !backward_; }

 private:
  std::string name_;
  BackwardFunction backward_;
  std::vector<Edge> edges_;
  // The output's data, without grad_fn (no reference cycle); undefined when backward does not
  // read the output, so intermediate results are freed as soon as the next op is done with them.
  Tensor saved_output_;
  int64_t output_version_ = 0;
};

// Whether an op on these inputs must be recorded: grad mode on and some input requires grad.
bool needs_recording(const std::vector<Tensor>& inputs);

// Attaches `output` to the graph as the result of op `name` on `inputs` and returns it. Returns
// `output` unchanged when nothing needs recording. `backward` takes (grad_output) or
// (grad_output, output).
// `uses_output`: whether backward reads its second argument; only then is the output kept alive
// (and checked for in-place changes) until backward.
Tensor record_node(const char* name, const Tensor& output, const std::vector<Tensor>& inputs,
                   BackwardFunction backward, bool uses_output = true);

template <typename Fn>
Tensor record(const char* name, const Tensor& output, const std::vector<Tensor>& inputs,
              Fn&& backward) {
  if (!needs_recording(inputs)) return output;
  if constexpr (std::is_invocable_v<Fn, const Tensor&, const Tensor&>) {
    return record_node(name, output, inputs, BackwardFunction(std::forward<Fn>(backward)));
  } else {
    return record_node(
        name, output, inputs,
        [fn = std::forward<Fn>(backward)](const Tensor& dy, const Tensor&) { return fn(dy); },
        /*uses_output=*/false);
  }
}

}  // namespace cajal::autograd
