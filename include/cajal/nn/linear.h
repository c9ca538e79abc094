#pragma once
// Linear: the fully connected (dense) layer, y = x W^T + b, as torch.nn.Linear.
//
//   nn::Linear fc({.in_features = 48, .out_features = 8});   // 48 * 8 + 8 = 392 parameters
//   Tensor y = fc(x);                                         // x: [N, 48] -> [N, 8]
//
// Default initialization (PyTorch's): weight ~ kaiming_uniform_ with a = sqrt(5), which is
// U(-1/sqrt(in_features), 1/sqrt(in_features)); bias ~ U(-1/sqrt(in_features),
// 1/sqrt(in_features)). Re-initialize with nn::init on `weight` and `bias` for other schemes.
#include <cstdint>
#include <string>

#include "cajal/nn/module.h"

namespace cajal::nn {

struct LinearOptions {
  int64_t in_features = 0;   // required, > 0
  int64_t out_features = 0;  // required, > 0
  bool bias = true;
  Dtype dtype = Dtype::float32;  // float32 or float64
};

class Linear : public Module {
 public:
  // ValueError naming the option when in_features or out_features is not positive or the dtype
  // is not floating point.
  explicit Linear(LinearOptions options);

  // x: [..., in_features] -> [..., out_features]. ShapeError when the last dim differs from
  // in_features.
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "in_features=48, out_features=8, bias=true"

  // Redraws weight and bias with the default initialization above (from the global generator).
  void reset_parameters();
  const LinearOptions& options() const { return options_; }

  Tensor weight;  // [out_features, in_features]
  Tensor bias;    // [out_features], undefined when options.bias is false

 private:
  LinearOptions options_;
};

}  // namespace cajal::nn
