#pragma once
// Dropout layers, as torch.nn.Dropout and torch.nn.AlphaDropout. Active in training mode only:
// after module.eval() they return their input unchanged. Randomness comes from the global
// generator (cajal::manual_seed makes a run reproducible).
//
//   nn::Sequential net{nn::Linear({.in_features = 784, .out_features = 256}), nn::ReLU(),
//                      nn::Dropout({.p = 0.2}), nn::Linear({.in_features = 256, .out_features =
//                      10})};
#include <string>

#include "cajal/nn/module.h"

namespace cajal::nn {

struct DropoutOptions {
  double p = 0.5;  // probability of zeroing an element, in [0, 1]
};

// Srivastava et al. (2014), inverted: in training each element is zeroed with probability p and
// the survivors are scaled by 1 / (1 - p), so the expected output equals the input and
// evaluation needs no rescaling. x: any shape -> the same shape.
class Dropout : public Module {
 public:
  // ValueError naming p when it is outside [0, 1].
  explicit Dropout(DropoutOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "p=0.5"
  const DropoutOptions& options() const { return options_; }

 private:
  DropoutOptions options_;
};

// Klambauer et al. (2017), "Self-Normalizing Neural Networks": dropped elements are set to SELU's
// negative saturation value and an affine map restores zero mean and unit variance, so the
// self-normalizing property of SELU networks survives dropout. Use it with SELU activations and
// LeCun-normal initialization. x: any shape -> the same shape.
class AlphaDropout : public Module {
 public:
  explicit AlphaDropout(DropoutOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "p=0.5"
  const DropoutOptions& options() const { return options_; }

 private:
  DropoutOptions options_;
};

}  // namespace cajal::nn
