#pragma once
// Maxout (Goodfellow, Warde-Farley, Mirza, Courville & Bengio, 2013, "Maxout Networks"): each
// output unit is the maximum of `pieces` affine functions of the input, a learned piecewise-linear
// convex activation. PyTorch has no Maxout layer; this follows the paper.
//
//   nn::Maxout layer({.in_features = 784, .out_features = 240, .pieces = 5});
//   Tensor h = layer(x);  // x: [N, 784] -> [N, 240]
#include "cajal/nn/module.h"

namespace cajal::nn {

struct MaxoutOptions {
  int64_t in_features = 0;   // required, >= 1
  int64_t out_features = 0;  // required, >= 1
  int64_t pieces = 0;        // k, the affine pieces per output unit (required, >= 1)
  bool bias = true;
  Dtype dtype = Dtype::float32;  // of the parameters: float32 or float64
};

// z = x W^T + b (b optional), W: [out_features * pieces, in_features], b: [out_features * pieces];
// y[..., j] = max(z[..., j * pieces], ..., z[..., j * pieces + pieces - 1]) (consecutive rows of
// W form a unit's pieces; the gradient goes to the first maximum on ties).
// x: [..., in_features] -> [..., out_features].
// Initialization as nn::Linear's (PyTorch's default): W and b ~ U(-1/sqrt(in_features),
// 1/sqrt(in_features)).
class Maxout : public Module {
 public:
  explicit Maxout(MaxoutOptions options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const MaxoutOptions& options() const { return options_; }
  void reset_parameters();

  Tensor weight;  // [out_features * pieces, in_features]
  Tensor bias;    // [out_features * pieces], undefined when options.bias is false

 private:
  MaxoutOptions options_;
};

}  // namespace cajal::nn
