#pragma once
// Gradient checkpointing (Chen et al., 2016, "Training deep nets with sublinear memory cost"):
// trade compute for memory. A checkpointed segment runs its forward without recording a graph, so
// none of its intermediate tensors are kept; during backward it runs the forward again, this time
// recording, and backpropagates through that recomputation. Gradients are the same as without
// checkpointing; the segment's forward costs twice.
//
//   // A deep stack in four segments: only the segment boundaries stay in memory.
//   Tensor h = x;
//   for (auto& segment : segments) h = nn::checkpoint(*segment, h);
//   loss_fn(h, y).backward();
//
//   // Any function of several tensors; weights it uses are found by the recomputation.
//   std::vector<Tensor> out = nn::checkpoint(
//       [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{attend(in[0], in[1])}; },
//       {query, key});
//
// How gradients reach the tensors fn uses:
//   - inputs: through the graph, like any op (also with autograd::grad);
//   - options.parameters (and a Module's parameters in the Module overload): through the graph as
//     well, so autograd::grad can ask for them;
//   - other leaf tensors fn captures (module weights used by a lambda): the recomputation's graph
//     has them as its leaves, so the backward pass accumulates into their grad() directly, as
//     PyTorch's reentrant checkpoint does. autograd::grad through the checkpoint therefore also
//     adds to those grad()s; list them in options.parameters to avoid that.
//   - a captured tensor that requires grad and is computed by other ops (not a leaf) must be
//     passed as an input instead: the recomputation would backpropagate into the graph that
//     produced it, which the outer backward pass also runs.
//
// Randomness: with preserve_rng_state (the default) the global generator's state is saved before
// the forward and restored for the recomputation, so dropout inside fn draws the same masks; the
// generator continues afterwards as if the recomputation had drawn nothing.
//
// Limits: double backward (create_graph) through a checkpoint is not supported and throws. fn must
// be deterministic apart from the global generator and must not modify its inputs in place. A
// BatchNorm layer in training mode inside fn updates its running statistics twice (once per
// forward), as in PyTorch.
#include <functional>
#include <vector>

#include "cajal/core/tensor.h"
#include "cajal/nn/module.h"

namespace cajal::nn {

using CheckpointFunction = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

struct CheckpointOptions {
  // Restore the global random generator for the recomputation (same dropout masks).
  bool preserve_rng_state = true;
  // Leaf tensors fn uses besides its inputs whose gradients should flow through the graph
  // (see above). Optional: captured leaves get their gradients without it.
  std::vector<Tensor> parameters{};
};

// Runs fn(inputs) as one checkpointed segment and returns its outputs, connected to the graph:
// each floating-point output gets the gradient of fn with respect to the inputs (and parameters);
// integer outputs come back without a graph. With grad mode off it simply returns fn(inputs).
// Several floating-point outputs must share one dtype (they are recorded as one node).
// Throws ValueError when fn returns no tensors or an undefined one, and when grad mode is on but
// no input or listed parameter requires grad: the segment would then be recorded nowhere and
// weights used inside fn would silently get no gradient (call it under no_grad for inference,
// or list the weights in options.parameters).
std::vector<Tensor> checkpoint(const CheckpointFunction& fn, const std::vector<Tensor>& inputs,
                               CheckpointOptions options = {});

// A single-tensor segment: fn(input) -> output.
Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input,
                  CheckpointOptions options = {});

// module(input) as one segment, with the module's parameters added to options.parameters (so the
// input may be data that requires no grad, as the first segment's usually is). The module is used
// by reference: it must outlive the backward pass through the output.
Tensor checkpoint(Module& module, const Tensor& input, CheckpointOptions options = {});

}  // namespace cajal::nn
