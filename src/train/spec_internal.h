#pragma once
// Shared by the spec_*.cpp files: each section's validation, called by parse_spec, and the
// builders behind the public functions of spec.h. Not installed.
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cajal/core/shape.h"
#include "cajal/nn/container.h"
#include "cajal/train/spec.h"
#include "cajal/train/spec_reader.h"

namespace cajal::train::detail {

// Validates the "model" array (every layer's type, options and unknown keys; not the shapes).
void validate_model(const Json& model, const std::string& pointer);
// Builds the "model" array for inputs of one example's shape.
std::shared_ptr<nn::Sequential> build_layers(const Json& model, const std::string& pointer,
                                             const Shape& input_shape, int64_t max_parameters);

// The loss section ("cross_entropy" or {"type": ...}); throws SpecError naming the pointer.
std::unique_ptr<nn::Loss> make_loss(const Json& loss, const std::string& pointer);
bool loss_is_classification(const Json& loss);

// The optimizer section; `parameters` may be a single dummy tensor when only validating.
std::unique_ptr<optim::Optimizer> make_optimizer(const Json& optimizer, const std::string& pointer,
                                                 std::vector<Tensor> parameters);

// The schedule section.
BuiltScheduler make_scheduler(const Json& schedule, const std::string& pointer,
                              optim::Optimizer& optimizer, int64_t epochs, int64_t steps_per_epoch);

// The activation layer types, and the reader of one: it reads the options of activation `type`
// (recording the keys in `reader`, which the caller finishes) and returns the function that builds
// the module for inputs of one example's `shape`, setting `parameters` to its parameter count.
const std::vector<std::string>& activation_types();
using ActivationBuilder =
    std::function<std::shared_ptr<nn::Module>(const Shape& shape, int64_t& parameters)>;
ActivationBuilder read_activation(SpecReader& reader, const std::string& type);

// The sequence layer types (reshape, rnn, lstm, gru, positional_encoding, transformer_encoder,
// sequence_pool) and the reader of one: it reads the options of a layer of `type` (recording the
// keys in `reader`, which the caller finishes). `plan` checks one example's input shape (SpecError
// naming the layer's pointer), sets the parameter count and returns the output shape, all before
// anything is allocated; `build` then makes the module for that input shape.
const std::vector<std::string>& sequence_layer_types();
struct SequenceLayer {
  std::function<Shape(const Shape& input, int64_t& parameters)> plan;
  std::function<std::shared_ptr<nn::Module>(const Shape& input)> build;
};
SequenceLayer read_sequence_layer(SpecReader& reader, const std::string& type);

// Arithmetic on sizes read from a spec saturates at the largest int64 instead of overflowing, so
// an absurd model is refused by the parameter and size limits, never wrapped into a small one.
inline int64_t saturating_multiply(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::numeric_limits<int64_t>::max();
  return out;
}
inline int64_t saturating_add(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::numeric_limits<int64_t>::max();
  return out;
}
inline int64_t saturating_product(const Shape& shape) {
  int64_t out = 1;
  for (int64_t size : shape) out = saturating_multiply(out, size);
  return out;
}

// SpecError "<pointer>: <message>" for a layer that cannot be built as written.
[[noreturn]] inline void fail_layer(const std::string& pointer, const std::string& message) {
  throw SpecError(pointer + ": " + message);
}

// "[N, 32, 7, 7]" for an example shape [32, 7, 7].
std::string batch_shape_string(const Shape& example_shape);

}  // namespace cajal::train::detail
