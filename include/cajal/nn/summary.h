#pragma once
// summary(): a Keras-style table of a network's layers, their output shapes and parameter counts.
//
//   std::cout << nn::summary(net, {1, 3, 32, 32});
//
//   Layer (type)                 Output shape          Param #
//   ===========================================================
//   0 (Conv2d)                   [1, 10, 28, 28]           760
//   ...
//   ===========================================================
//   Total params: 760
//   Trainable params: 760
//   Non-trainable params: 0
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "cajal/nn/module.h"

namespace cajal::nn {

struct SummaryRow {
  std::string name;  // qualified name ("features.0"); "" for the module itself
  std::string type;  // "Conv2d"
  Shape output_shape;
  // The layer's own parameters, not its submodules' (which have rows of their own); all of them
  // when its submodules were not called through operator() and so have no rows.
  int64_t parameters = 0;
  int64_t trainable = 0;
};

struct Summary {
  std::vector<SummaryRow> rows;  // in call order
  int64_t total_parameters = 0;  // each shared tensor once
  int64_t trainable_parameters = 0;
  int64_t frozen_parameters = 0;
  std::string to_string() const;
};
std::ostream& operator<<(std::ostream& os, const Summary& summary);

// Runs one forward pass on zeros of `input_shape` (including the batch dim) in evaluation mode
// without recording a graph, and lists every call of a module that has no submodules or owns
// parameters directly. The module's training mode is restored afterwards.
Summary summary(Module& module, const Shape& input_shape, Dtype dtype = Dtype::float32);

}  // namespace cajal::nn
