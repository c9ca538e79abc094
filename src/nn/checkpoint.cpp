#include "cajal/nn/checkpoint.h"

#include <string>
#include <unordered_set>
#include <utility>

#include "cajal/autograd/engine.h"
#include "cajal/autograd/grad_mode.h"
#include "cajal/autograd/node.h"
#include "cajal/core/random.h"
#include "cajal/ops/manipulation.h"
#include "cajal/ops/view.h"

namespace cajal::nn {
namespace {

// Puts a saved generator state in place for the recomputation and brings the current one back
// afterwards (also when the recomputation throws), so the recomputation consumes no numbers of
// the ongoing stream.
class RestoredGenerator {
 public:
  RestoredGenerator(const Generator& saved, bool active) : active_(active) {
    if (!active_) return;
    current_ = default_generator();
    default_generator() = saved;
  }
  ~RestoredGenerator() {
    if (active_) default_generator() = current_;
  }
  RestoredGenerator(const RestoredGenerator&) = delete;
  RestoredGenerator& operator=(const RestoredGenerator&) = delete;

 private:
  bool active_;
  Generator current_;
};

// Sets the listed parameters' grad() aside during the recomputation's backward pass, so what that
// pass accumulates into them can be read off and handed to the outer pass (which accumulates it),
// then puts the old gradients back.
class SetAsideGradients {
 public:
  explicit SetAsideGradients(const std::vector<Tensor>& params) : params_(params) {
    kept_.reserve(params_.size());
    for (const Tensor& p : params_) {
      kept_.push_back(p.grad());
      p.set_grad(Tensor());
    }
  }
  ~SetAsideGradients() {
    for (size_t i = 0; i < params_.size(); ++i) params_[i].set_grad(kept_[i]);
  }
  // (params_ holds each tensor once: checkpoint() removes duplicates.)
  SetAsideGradients(const SetAsideGradients&) = delete;
  SetAsideGradients& operator=(const SetAsideGradients&) = delete;

 private:
  const std::vector<Tensor>& params_;
  std::vector<Tensor> kept_;
};

// What the recorded node needs to recompute the segment and route the gradients.
struct Segment {
  CheckpointFunction fn;
  std::vector<Tensor> inputs;
  std::vector<Tensor> parameters;
  bool preserve_rng_state = true;
  Generator rng_state;
  size_t num_outputs = 0;
  std::vector<size_t> differentiable;  // indices of the floating-point outputs
  std::vector<Shape> shapes;           // their shapes
  bool packed = false;                 // several outputs recorded as one flat tensor

  autograd::grads backward(const Tensor& grad_output) const;
};

void check_outputs(const std::vector<Tensor>& outputs) {
  if (outputs.empty()) {
    throw ValueError("checkpoint: fn returned no tensors; it must return at least one output");
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].defined()) {
      throw ValueError("checkpoint: output " + std::to_string(i) + " of fn is an undefined tensor");
    }
  }
}

autograd::grads Segment::backward(const Tensor& grad_output) const {
  if (is_grad_enabled()) {
    throw Error(
        "checkpoint: double backward (create_graph=true) through a checkpointed segment is not "
        "supported; run this segment without checkpoint to differentiate its gradients");
  }
  std::vector<Tensor> detached(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) continue;
    detached[i] = inputs[i].detach();
    if (inputs[i].requires_grad()) detached[i].requires_grad_(true);
  }
  std::vector<Tensor> recomputed;
  {
    RestoredGenerator rng(rng_state, preserve_rng_state);
    enable_grad guard;
    recomputed = fn(detached);
  }
  if (recomputed.size() != num_outputs) {
    throw Error("checkpoint: the recomputation returned " + std::to_string(recomputed.size()) +
                " outputs, the forward " + std::to_string(num_outputs) +
                "; fn must be deterministic");
  }

  std::vector<Tensor> roots;
  std::vector<Tensor> seeds;
  int64_t offset = 0;
  for (size_t k = 0; k < differentiable.size(); ++k) {
    const Tensor& output = recomputed[differentiable[k]];
    const Shape& shape = shapes[k];
    const int64_t count = shape_numel(shape);
    Tensor seed = packed ? reshape(narrow(grad_output, 0, offset, count), shape) : grad_output;
    offset += count;
    if (!output.defined() || output.shape() != shape) {
      throw Error("checkpoint: output " + std::to_string(differentiable[k]) +
                  " of the recomputation has shape " +
                  (output.defined() ? shape_string(output.shape()) : std::string("undefined")) +
                  ", the forward's had " + shape_string(shape) + "; fn must be deterministic");
    }
    if (!output.requires_grad()) continue;  // depends on nothing that requires grad
    roots.push_back(output);
    seeds.push_back(seed);
  }

  autograd::grads result(inputs.size() + parameters.size());
  {
    SetAsideGradients set_aside(parameters);
    if (!roots.empty()) autograd::backward(roots, seeds);
    for (size_t j = 0; j < parameters.size(); ++j) {
      result[inputs.size() + j] = parameters[j].grad();
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (detached[i].defined() && detached[i].requires_grad()) result[i] = detached[i].grad();
  }
  return result;
}

}  // namespace

std::vector<Tensor> checkpoint(const CheckpointFunction& fn, const std::vector<Tensor>& inputs,
                               CheckpointOptions options) {
  if (!fn) throw ValueError("checkpoint: fn is empty");
  for (size_t j = 0; j < options.parameters.size(); ++j) {
    const Tensor& p = options.parameters[j];
    if (!p.defined()) {
      throw ValueError("checkpoint: parameters[" + std::to_string(j) + "] is an undefined tensor");
    }
    if (!p.is_leaf()) {
      throw ValueError("checkpoint: parameters[" + std::to_string(j) +
                       "] is not a leaf tensor (it was computed by other ops); pass it as one "
                       "of the inputs instead");
    }
  }
  // Each listed tensor once, or its gradient would be handed to the outer pass twice.
  std::vector<Tensor> parameters;
  {
    std::unordered_set<const TensorImpl*> seen;
    for (const Tensor& p : options.parameters) {
      if (seen.insert(p.impl()).second) parameters.push_back(p);
    }
  }
  if (!is_grad_enabled()) {
    std::vector<Tensor> outputs = fn(inputs);
    check_outputs(outputs);
    return outputs;
  }

  std::vector<Tensor> edges = inputs;
  edges.insert(edges.end(), parameters.begin(), parameters.end());
  if (!autograd::needs_recording(edges)) {
    throw ValueError(
        "checkpoint: grad mode is on but no input requires grad and no parameters were given, so "
        "the segment would not be recorded and weights used inside fn would get no gradient; "
        "list them in options.parameters (or checkpoint a Module), or call it under no_grad for "
        "inference");
  }

  auto segment = std::make_shared<Segment>();
  segment->preserve_rng_state = options.preserve_rng_state;
  if (segment->preserve_rng_state) segment->rng_state = default_generator();
  std::vector<Tensor> outputs;
  {
    no_grad guard;
    outputs = fn(inputs);
  }
  check_outputs(outputs);
  segment->num_outputs = outputs.size();
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].is_floating_point()) continue;
    if (!segment->differentiable.empty()) {
      const Tensor& first = outputs[segment->differentiable.front()];
      if (first.dtype() != outputs[i].dtype()) {
        throw ValueError("checkpoint: floating-point outputs must share one dtype; output " +
                         std::to_string(segment->differentiable.front()) + " is " +
                         std::string(dtype_name(first.dtype())) + ", output " + std::to_string(i) +
                         " is " + std::string(dtype_name(outputs[i].dtype())));
      }
    }
    segment->differentiable.push_back(i);
    segment->shapes.push_back(outputs[i].shape());
  }
  if (segment->differentiable.empty()) return outputs;
  segment->fn = fn;
  segment->inputs = inputs;
  segment->parameters = std::move(parameters);
  segment->packed = segment->differentiable.size() > 1;

  // One node for all outputs: the engine records one output per node, so several outputs are
  // recorded as one flat tensor and handed out as views of it (their gradients meet in it).
  Tensor recorded;
  if (segment->packed) {
    no_grad guard;
    std::vector<Tensor> flat;
    for (size_t i : segment->differentiable) flat.push_back(reshape(outputs[i], {-1}));
    recorded = cat(flat, 0);
    for (size_t i : segment->differentiable) outputs[i] = Tensor();  // the copy in `recorded` stays
  } else {
    recorded = outputs[segment->differentiable.front()];
  }
  Tensor connected = autograd::record("checkpoint", recorded, edges,
                                      [segment](const Tensor& grad_output, const Tensor&) {
                                        return segment->backward(grad_output);
                                      });
  if (!segment->packed) {
    outputs[segment->differentiable.front()] = connected;
    return outputs;
  }
  int64_t offset = 0;
  for (size_t k = 0; k < segment->differentiable.size(); ++k) {
    const Shape& shape = segment->shapes[k];
    const int64_t count = shape_numel(shape);
    outputs[segment->differentiable[k]] = reshape(narrow(connected, 0, offset, count), shape);
    offset += count;
  }
  return outputs;
}

Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input,
                  CheckpointOptions options) {
  if (!fn) throw ValueError("checkpoint: fn is empty");
  std::vector<Tensor> outputs =
      checkpoint([fn](const std::vector<Tensor>& in) { return std::vector<Tensor>{fn(in[0])}; },
                 {input}, std::move(options));
  return outputs.front();
}

Tensor checkpoint(Module& module, const Tensor& input, CheckpointOptions options) {
  for (const Tensor& p : module.parameters()) options.parameters.push_back(p);
  // The module is owned by the caller's network, which outlives the backward pass of its output.
  return checkpoint([&module](const Tensor& x) { return module(x); }, input, std::move(options));
}

}  // namespace cajal::nn
