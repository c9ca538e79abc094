#include "cajal/nn/normalization.h"

#include <cmath>
#include <string>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/nn/functional/normalization.h"
#include "cajal/nn/init.h"
#include "repr.h"

namespace cajal::nn {
namespace {

using detail::repr_bool;
using detail::repr_number;

std::string dim_text(const Tensor& input) { return std::to_string(input.dim()) + "D"; }

void check_dtype(const std::string& layer, Dtype dtype) {
  if (!is_floating_point(dtype)) {
    throw ValueError(layer + ": dtype must be float32 or float64, got " +
                     std::string(dtype_name(dtype)));
  }
}

}  // namespace

BatchNormBase::BatchNormBase(std::string type_name, BatchNormOptions options)
    : Module(std::move(type_name)), options_(options) {
  const std::string& name = this->type_name();
  if (options_.num_features < 1) {
    throw ValueError(name + ": num_features must be >= 1, got " +
                     std::to_string(options_.num_features));
  }
  if (!(options_.eps >= 0) || !std::isfinite(options_.eps)) {
    throw ValueError(name + ": eps must be a finite number >= 0, got " + repr_number(options_.eps));
  }
  if (options_.momentum && !(*options_.momentum >= 0 && *options_.momentum <= 1)) {
    throw ValueError(name + ": momentum must be in [0, 1] (or nullopt for the cumulative " +
                     "average), got " + repr_number(*options_.momentum));
  }
  check_dtype(name, options_.dtype);
  const Shape channels{options_.num_features};
  if (options_.affine) {
    weight = register_parameter("weight", empty(channels, options_.dtype));
    bias = register_parameter("bias", empty(channels, options_.dtype));
  }
  if (options_.track_running_stats) {
    running_mean = register_buffer("running_mean", empty(channels, options_.dtype));
    running_var = register_buffer("running_var", empty(channels, options_.dtype));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, {.dtype = int64}));
  }
  reset_parameters();
}

void BatchNormBase::reset_running_stats() {
  if (!options_.track_running_stats) return;
  no_grad guard;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

void BatchNormBase::reset_parameters() {
  reset_running_stats();
  if (options_.affine) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

Tensor BatchNormBase::forward(const Tensor& input) {
  const std::string& name = type_name();
  if (!input.defined() || !input.is_floating_point()) {
    throw ValueError(name + ": input must be a floating-point tensor" +
                     (input.defined() ? ", got " + std::string(dtype_name(input.dtype())) : ""));
  }
  check_input_dim(input);
  if (input.size(1) != options_.num_features) {
    throw ShapeError(name + ": expected " + std::to_string(options_.num_features) +
                     " channels (num_features) in dim 1, got input " + shape_string(input.shape()));
  }
  // Without running statistics the batch statistics serve in eval mode too (as PyTorch).
  const bool use_batch_stats = is_training() || !options_.track_running_stats;
  if (use_batch_stats && input.numel() / options_.num_features == 1) {
    throw ValueError(name + ": Expected more than 1 value per channel when training, got input " +
                     "size " + shape_string(input.shape()));
  }
  const bool update = is_training() && options_.track_running_stats;
  return functional::batch_norm(input, options_.track_running_stats ? running_mean : Tensor(),
                                options_.track_running_stats ? running_var : Tensor(), weight, bias,
                                use_batch_stats, options_.momentum, options_.eps,
                                update ? num_batches_tracked : Tensor());
}

std::string BatchNormBase::extra_repr() const {
  return std::to_string(options_.num_features) + ", eps=" + repr_number(options_.eps) +
         ", momentum=" + (options_.momentum ? repr_number(*options_.momentum) : "None") +
         ", affine=" + repr_bool(options_.affine) +
         ", track_running_stats=" + repr_bool(options_.track_running_stats);
}

BatchNorm1d::BatchNorm1d(BatchNormOptions options)
    : BatchNormBase("BatchNorm1d", std::move(options)) {}

void BatchNorm1d::check_input_dim(const Tensor& input) const {
  if (input.dim() != 2 && input.dim() != 3) {
    throw ShapeError("BatchNorm1d: expected 2D [N, C] or 3D [N, C, L] input (got " +
                     dim_text(input) + " input " + shape_string(input.shape()) + ")");
  }
}

BatchNorm2d::BatchNorm2d(BatchNormOptions options)
    : BatchNormBase("BatchNorm2d", std::move(options)) {}

void BatchNorm2d::check_input_dim(const Tensor& input) const {
  if (input.dim() != 4) {
    throw ShapeError("BatchNorm2d: expected 4D [N, C, H, W] input (got " + dim_text(input) +
                     " input " + shape_string(input.shape()) + ")");
  }
}

LayerNorm::LayerNorm(LayerNormOptions options) : Module("LayerNorm"), options_(std::move(options)) {
  if (options_.normalized_shape.empty()) {
    throw ValueError("LayerNorm: normalized_shape must not be empty");
  }
  for (int64_t size : options_.normalized_shape) {
    if (size < 1) {
      throw ValueError("LayerNorm: normalized_shape must have sizes >= 1, got " +
                       shape_string(options_.normalized_shape));
    }
  }
  if (!(options_.eps >= 0) || !std::isfinite(options_.eps)) {
    throw ValueError("LayerNorm: eps must be a finite number >= 0, got " +
                     repr_number(options_.eps));
  }
  check_dtype("LayerNorm", options_.dtype);
  if (options_.elementwise_affine) {
    weight = register_parameter("weight", empty(options_.normalized_shape, options_.dtype));
    bias = register_parameter("bias", empty(options_.normalized_shape, options_.dtype));
  }
  reset_parameters();
}

void LayerNorm::reset_parameters() {
  if (!options_.elementwise_affine) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor LayerNorm::forward(const Tensor& input) {
  const Shape& normalized = options_.normalized_shape;
  const auto k = static_cast<int64_t>(normalized.size());
  bool fits = input.defined() && input.dim() >= k;
  for (int64_t i = 0; fits && i < k; ++i) {
    fits = input.size(input.dim() - k + i) == normalized[static_cast<size_t>(i)];
  }
  if (!fits) {
    std::string expected = shape_string(normalized);
    throw ShapeError("LayerNorm: Given normalized_shape=" + expected +
                     ", expected input with shape [*, " + expected.substr(1) +
                     ", but got input of size " +
                     (input.defined() ? shape_string(input.shape()) : "undefined"));
  }
  return functional::layer_norm(input, normalized, weight, bias, options_.eps);
}

std::string LayerNorm::extra_repr() const {
  return shape_string(options_.normalized_shape) + ", eps=" + repr_number(options_.eps) +
         ", elementwise_affine=" + repr_bool(options_.elementwise_affine);
}

}  // namespace cajal::nn
