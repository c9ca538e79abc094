#pragma once
// Normalization layers: BatchNorm1d, BatchNorm2d (Ioffe & Szegedy, 2015) and LayerNorm (Ba,
// Kiros & Hinton, 2016), with PyTorch's options, defaults, parameter and buffer names (so state
// dicts exchange keys with PyTorch's: weight, bias, running_mean, running_var,
// num_batches_tracked).
//
//   nn::Sequential net{nn::Conv2d({.in_channels = 3, .out_channels = 16, .kernel_size = 3}),
//                      nn::BatchNorm2d({.num_features = 16}), nn::ReLU()};
//   net.train();  // batch statistics; running statistics updated
//   net.eval();   // running statistics
#include <optional>

#include "cajal/nn/module.h"

namespace cajal::nn {

struct BatchNormOptions {
  int64_t num_features = 0;  // C, the size of dim 1 (required, >= 1)
  double eps = 1e-5;         // added to the variance (>= 0)
  // Weight of the newest batch in the running statistics, in [0, 1]. nullopt: the cumulative
  // moving average (every batch weighs the same, f = 1 / num_batches_tracked).
  std::optional<double> momentum = 0.1;
  bool affine = true;  // learnable weight (init 1) and bias (init 0), each [C]
  // Keep running statistics and use them in eval mode. false: batch statistics always, and no
  // running_mean / running_var / num_batches_tracked buffers.
  bool track_running_stats = true;
  Dtype dtype = Dtype::float32;  // of the parameters and running statistics: float32 or float64
};

// The shared machinery of BatchNorm1d and BatchNorm2d (PyTorch's _BatchNorm). In training mode
// it normalizes each channel with the batch's mean and biased variance and updates the running
// statistics (running_var with the unbiased variance); in eval mode it uses the running
// statistics. See nn::functional::batch_norm for the formulas.
class BatchNormBase : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const BatchNormOptions& options() const { return options_; }

  // running_mean = 0, running_var = 1, num_batches_tracked = 0.
  void reset_running_stats();
  // reset_running_stats(), weight = 1, bias = 0.
  void reset_parameters();

  Tensor weight;               // [C], when affine
  Tensor bias;                 // [C], when affine
  Tensor running_mean;         // [C], when track_running_stats
  Tensor running_var;          // [C], when track_running_stats
  Tensor num_batches_tracked;  // int64 0-dim, when track_running_stats

 protected:
  BatchNormBase(std::string type_name, BatchNormOptions options);
  // ShapeError unless the input has the rank this layer accepts.
  virtual void check_input_dim(const Tensor& input) const = 0;

 private:
  BatchNormOptions options_;
};

// x: [N, C] or [N, C, L] -> same shape.
class BatchNorm1d : public BatchNormBase {
 public:
  explicit BatchNorm1d(BatchNormOptions options);

 protected:
  void check_input_dim(const Tensor& input) const override;
};

// x: [N, C, H, W] -> same shape.
class BatchNorm2d : public BatchNormBase {
 public:
  explicit BatchNorm2d(BatchNormOptions options);

 protected:
  void check_input_dim(const Tensor& input) const override;
};

struct LayerNormOptions {
  Shape normalized_shape = {};  // the trailing dims normalized together (required, sizes >= 1)
  double eps = 1e-5;            // added to the variance (>= 0)
  // Learnable weight (init 1) and bias (init 0) of shape normalized_shape.
  bool elementwise_affine = true;
  Dtype dtype = Dtype::float32;  // of the parameters: float32 or float64
};

// Normalizes each sample over its trailing normalized_shape dims (statistics per sample, the
// same in training and evaluation; no running statistics).
// x: [*, normalized_shape...] -> same shape.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(LayerNormOptions options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  const LayerNormOptions& options() const { return options_; }
  void reset_parameters();  // weight = 1, bias = 0

  Tensor weight;  // normalized_shape, when elementwise_affine
  Tensor bias;    // normalized_shape, when elementwise_affine

 private:
  LayerNormOptions options_;
};

}  // namespace cajal::nn
