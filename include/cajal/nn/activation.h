#pragma once
// A module for every activation function (the ops of cajal/ops/activation.h and cajal/ops/math.h),
// with PyTorch's names, options, defaults and printing, so activations can sit in a Sequential:
//
//   nn::Sequential net{nn::Linear({.in_features = 4, .out_features = 8}),
//                      nn::LeakyReLU({.negative_slope = 0.2}),
//                      nn::Linear({.in_features = 8, .out_features = 3}),
//                      nn::LogSoftmax({.dim = 1})};
//
// Elementwise activations map x: [*] -> [*]. None has PyTorch's `inplace` option: autograd here
// never needs the memory trick, and an in-place activation would clobber a tensor the graph
// saved. Only PReLU has a parameter.
#include <string>

#include "cajal/nn/module.h"

namespace cajal::nn {

// max(0, x)
class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& input) override;
};

// min(max(0, x), 6)
class ReLU6 : public Module {
 public:
  ReLU6() : Module("ReLU6") {}
  Tensor forward(const Tensor& input) override;
};

struct LeakyReLUOptions {
  double negative_slope = 0.01;
};
// x for x >= 0, negative_slope * x otherwise.
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(LeakyReLUOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const LeakyReLUOptions& options() const { return options_; }

 private:
  LeakyReLUOptions options_;
};

struct PReLUOptions {
  // 1 (one slope shared by every channel) or C, the size of the input's dim 1 (one slope per
  // channel; the input then needs at least 2 dims).
  int64_t num_parameters = 1;
  double init = 0.25;            // the initial slope
  Dtype dtype = Dtype::float32;  // of the weight: float32 or float64
};
// Parametric ReLU (He et al., 2015): x for x >= 0, a * x otherwise, with the slope a learned.
class PReLU : public Module {
 public:
  explicit PReLU(PReLUOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const PReLUOptions& options() const { return options_; }
  void reset_parameters();  // every slope = init

  Tensor weight;  // [num_parameters]

 private:
  PReLUOptions options_;
};

struct ELUOptions {
  double alpha = 1.0;
};
// x for x > 0, alpha * (exp(x) - 1) otherwise (Clevert et al., 2015).
class ELU : public Module {
 public:
  explicit ELU(ELUOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const ELUOptions& options() const { return options_; }

 private:
  ELUOptions options_;
};

// scale * elu(x, alpha) with PyTorch's constants alpha = 1.6732632423543772,
// scale = 1.0507009873554805 (Klambauer et al., 2017). Pair it with nn::init::lecun_normal_
// weights for self-normalizing networks.
class SELU : public Module {
 public:
  SELU() : Module("SELU") {}
  Tensor forward(const Tensor& input) override;
};

struct CELUOptions {
  double alpha = 1.0;  // must not be 0
};
// max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) (Barron, 2017).
class CELU : public Module {
 public:
  explicit CELU(CELUOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const CELUOptions& options() const { return options_; }

 private:
  CELUOptions options_;
};

struct GELUOptions {
  std::string approximate = "none";  // "none" (exact, with erf) or "tanh"
};
// x * Phi(x), Phi the standard normal CDF (Hendrycks & Gimpel, 2016).
class GELU : public Module {
 public:
  explicit GELU(GELUOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const GELUOptions& options() const { return options_; }

 private:
  GELUOptions options_;
};

struct SoftplusOptions {
  double beta = 1.0;        // must not be 0
  double threshold = 20.0;  // above beta * x > threshold the result is x (no overflow)
};
// log(1 + exp(beta * x)) / beta.
class Softplus : public Module {
 public:
  explicit Softplus(SoftplusOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const SoftplusOptions& options() const { return options_; }

 private:
  SoftplusOptions options_;
};

// x / (1 + |x|)
class Softsign : public Module {
 public:
  Softsign() : Module("Softsign") {}
  Tensor forward(const Tensor& input) override;
};

// x * sigmoid(x), also called swish (Ramachandran et al., 2017).
class SiLU : public Module {
 public:
  SiLU() : Module("SiLU") {}
  Tensor forward(const Tensor& input) override;
};

// x * tanh(softplus(x)) (Misra, 2019).
class Mish : public Module {
 public:
  Mish() : Module("Mish") {}
  Tensor forward(const Tensor& input) override;
};

struct HardtanhOptions {
  double min_val = -1.0;
  double max_val = 1.0;  // must be greater than min_val
};
// x clamped to [min_val, max_val].
class Hardtanh : public Module {
 public:
  explicit Hardtanh(HardtanhOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const HardtanhOptions& options() const { return options_; }

 private:
  HardtanhOptions options_;
};

// relu6(x + 3) / 6
class Hardsigmoid : public Module {
 public:
  Hardsigmoid() : Module("Hardsigmoid") {}
  Tensor forward(const Tensor& input) override;
};

// x * relu6(x + 3) / 6 (Howard et al., 2019)
class Hardswish : public Module {
 public:
  Hardswish() : Module("Hardswish") {}
  Tensor forward(const Tensor& input) override;
};

// log(sigmoid(x)), computed stably.
class LogSigmoid : public Module {
 public:
  LogSigmoid() : Module("LogSigmoid") {}
  Tensor forward(const Tensor& input) override;
};

// 1 / (1 + exp(-x))
class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& input) override;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& input) override;
};

// The dim that Softmax, LogSoftmax and Softmin normalize over (negative counts from the end).
// PyTorch's dim=None picks a dim from the input's rank with a deprecation warning; cajal has no
// implicit choice: the default is the last dim, the class dim of [N, classes] logits (where it
// agrees with PyTorch's choice). Give dim = 1 for [N, C, H, W] maps.
struct SoftmaxOptions {
  int64_t dim = -1;
};

// exp(x) / sum(exp(x)) along dim: x: [*] -> [*], each slice along dim sums to 1.
class Softmax : public Module {
 public:
  explicit Softmax(SoftmaxOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const SoftmaxOptions& options() const { return options_; }

 private:
  SoftmaxOptions options_;
};

// log(softmax(x)) along dim, computed stably (pair with nn::NLLLoss).
class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(SoftmaxOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const SoftmaxOptions& options() const { return options_; }

 private:
  SoftmaxOptions options_;
};

// softmax(-x) along dim.
class Softmin : public Module {
 public:
  explicit Softmin(SoftmaxOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const SoftmaxOptions& options() const { return options_; }

 private:
  SoftmaxOptions options_;
};

}  // namespace cajal::nn
