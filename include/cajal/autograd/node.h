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
#include "cajal/core/pool.h"
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
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return name_; }
  const std::vector<Edge>& edges() const { return edges_; }

  // Runs the backward function; throws if the graph was already freed.
  grads apply(const Tensor& grad_output, bool create_graph);
  // Frees the backward function and what it saved (after a backward pass without retain_graph).
  void release();
  bool released() const { return released_; }

  // Bookkeeping of the backward pass that is running through this node (engine.cpp): stored here
  // rather than in hash maps, so a pass costs no allocation per node. `run` says which pass the
  // other fields belong to.
  struct Pass {
    uint64_t run = 0;
    int64_t dependencies = 0;
    Tensor gradient;
  };
  Pass& pass() { return pass_; }

 protected:
  // For nodes that hold their backward function inline (record); they override the two below.
  Node(const char* name, std::vector<Edge> edges, Tensor saved_output);
  virtual grads invoke(const Tensor& grad_output, const Tensor& output);
  // Destroys the backward function (release); `defer`: hand it to the deferred-deletion list
  // instead (from the destructor, so a long chain is not destroyed recursively).
  virtual void drop_function(bool defer);
  // The deferred-deletion list of this thread takes ownership of `function`.
  static void defer_destruction(BackwardFunction function);

 private:
  std::string name_;
  BackwardFunction backward_;
  std::vector<Edge> edges_;
  // The output's data, without grad_fn (no reference cycle); undefined when backward does not
  // read the output, so intermediate results are freed as soon as the next op is done with them.
  Tensor saved_output_;
  int64_t output_version_ = 0;
  bool released_ = false;
  Pass pass_;
};

// Whether an op on these inputs must be recorded: grad mode on and some input requires grad.
bool needs_recording(const std::vector<Tensor>& inputs);
bool needs_recording(const Tensor* inputs, size_t count);

// Attaches `output` to the graph as the result of op `name` on `inputs` and returns it. Returns
// `output` unchanged when nothing needs recording. `backward` takes (grad_output) or
// (grad_output, output).
// `uses_output`: whether backward reads its second argument; only then is the output kept alive
// (and checked for in-place changes) until backward.
Tensor record_node(const char* name, const Tensor& output, const std::vector<Tensor>& inputs,
                   BackwardFunction backward, bool uses_output = true);

namespace detail {

// The edges of a node whose op read `inputs`.
std::vector<Node::Edge> make_edges(const Tensor* inputs, size_t count);
// What the node keeps of the output: the output without its grad_fn, or nothing.
Tensor saved_output(const Tensor& output, bool uses_output);
// `output` as the result of `node`.
Tensor attach(const Tensor& output, std::shared_ptr<Node> node, bool uses_output);

// A node holding its backward function in the same block as itself (one allocation per op
// instead of three: node, std::function closure, control block).
template <typename Fn>
class InlineNode final : public Node {
 public:
  InlineNode(const char* name, std::vector<Edge> edges, Tensor saved, Fn&& fn)
      : Node(name, std::move(edges), std::move(saved)), fn_(std::move(fn)), engaged_(true) {}
  InlineNode(const char* name, std::vector<Edge> edges, Tensor saved, const Fn& fn)
      : Node(name, std::move(edges), std::move(saved)), fn_(fn), engaged_(true) {}
  ~InlineNode() override { drop_function(/*defer=*/true); }

 protected:
  grads invoke(const Tensor& grad_output, const Tensor& output) override {
    if constexpr (std::is_invocable_v<Fn&, const Tensor&, const Tensor&>) {
      return fn_(grad_output, output);
    } else {
      return fn_(grad_output);
    }
  }
  void drop_function(bool defer) override {
    if (!engaged_) return;
    engaged_ = false;
    if (defer) {
      // What the closure captured may own further nodes: let the outermost destructor free it.
      if constexpr (std::is_copy_constructible_v<Fn>) {
        if constexpr (std::is_invocable_v<Fn&, const Tensor&, const Tensor&>) {
          defer_destruction(BackwardFunction(std::move(fn_)));
        } else {
          defer_destruction(
              [f = std::move(fn_)](const Tensor& dy, const Tensor&) { return f(dy); });
        }
      }
    }
    fn_.~Fn();
  }

 private:
  union {
    Fn fn_;
  };
  bool engaged_;
};

template <typename Fn>
Tensor record_inline(const char* name, const Tensor& output, const Tensor* inputs, size_t count,
                     Fn&& backward) {
  using F = std::decay_t<Fn>;
  constexpr bool uses_output = std::is_invocable_v<F&, const Tensor&, const Tensor&>;
  auto node = std::allocate_shared<InlineNode<F>>(
      cajal::detail::PoolAllocator<InlineNode<F>>(), name, make_edges(inputs, count),
      saved_output(output, uses_output), std::forward<Fn>(backward));
  return attach(output, std::move(node), uses_output);
}

}  // namespace detail

template <typename Fn>
Tensor record(const char* name, const Tensor& output, const std::vector<Tensor>& inputs,
              Fn&& backward) {
  if (!needs_recording(inputs.data(), inputs.size())) return output;
  return detail::record_inline(name, output, inputs.data(), inputs.size(),
                               std::forward<Fn>(backward));
}

// The same for a braced list of inputs, without building a vector.
template <typename Fn>
Tensor record(const char* name, const Tensor& output, std::initializer_list<Tensor> inputs,
              Fn&& backward) {
  if (!needs_recording(inputs.begin(), inputs.size())) return output;
  return detail::record_inline(name, output, inputs.begin(), inputs.size(),
                               std::forward<Fn>(backward));
}

}  // namespace cajal::autograd
