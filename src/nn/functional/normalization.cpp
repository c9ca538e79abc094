#include "cajal/nn/functional/normalization.h"

#include <initializer_list>
#include <string>

#include "cajal/autograd/grad_mode.h"
#include "cajal/autograd/node.h"
#include "cajal/kernels/batch_norm.h"
#include "cajal/kernels/layer_norm.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"

namespace cajal::nn::functional {
namespace {

using autograd::grads;

void require_floating(const Tensor& x, const char* op) {
  if (!x.defined()) throw ValueError(std::string(op) + ": input is undefined");
  if (!x.is_floating_point()) {
    throw ValueError(std::string(op) + ": input must be floating point, got " +
                     std::string(dtype_name(x.dtype())));
  }
}

// An optional per-channel tensor must be [C].
void require_channels(const Tensor& t, const char* name, int64_t channels, const Tensor& x) {
  if (!t.defined()) return;
  if (t.shape() != Shape{channels}) {
    throw ShapeError("batch_norm: " + std::string(name) + " must be [" + std::to_string(channels) +
                     "] for input " + shape_string(x.shape()) + " (C = dim 1), got " +
                     shape_string(t.shape()));
  }
}

// running = (1 - f) * running + f * batch statistic, outside the graph (see the header).
void update_running_stats(const Tensor& mean, const Tensor& var, int64_t per_channel,
                          Tensor running_mean, Tensor running_var, std::optional<double> momentum,
                          Tensor num_batches_tracked) {
  if (num_batches_tracked.defined() &&
      (num_batches_tracked.dtype() != Dtype::int64 || num_batches_tracked.numel() != 1)) {
    throw ValueError("batch_norm: num_batches_tracked must be a one-element int64 tensor, got " +
                     std::string(dtype_name(num_batches_tracked.dtype())) + " " +
                     shape_string(num_batches_tracked.shape()));
  }
  if (!momentum && !num_batches_tracked.defined()) {
    throw ValueError("batch_norm: momentum=nullopt (cumulative average) needs num_batches_tracked");
  }
  no_grad guard;
  if (num_batches_tracked.defined()) {
    num_batches_tracked.fill_(num_batches_tracked.item<int64_t>() + 1);
  }
  // An empty batch has no statistics to blend in (PyTorch still counts it).
  if (per_channel == 0) return;
  const double factor =
      momentum ? *momentum : 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
  const int64_t channels = running_mean.numel();
  const double bessel = static_cast<double>(per_channel) / static_cast<double>(per_channel - 1);
  running_mean.mul_(1 - factor).add_(mean.detach().reshape({channels}), factor);
  running_var.mul_(1 - factor).add_(var.detach().reshape({channels}) * bessel, factor);
}

// The fused kernels handle float32/float64 inputs whose per-channel tensors share x's dtype;
// other combinations (and empty inputs) take the composite path, which promotes like any op.
bool fused_applies(const Tensor& x, std::initializer_list<const Tensor*> per_channel) {
  if (x.numel() == 0) return false;
  if (x.dtype() != Dtype::float32 && x.dtype() != Dtype::float64) return false;
  for (const Tensor* t : per_channel) {
    if (t->defined() && t->dtype() != x.dtype()) return false;
  }
  return true;
}

Shape stat_shape_of(const Tensor& x) {
  Shape shape(static_cast<size_t>(x.dim()), 1);
  shape[1] = x.size(1);
  return shape;
}

Dims reduce_dims_of(const Tensor& x) {
  Dims reduce{0};
  for (int64_t d = 2; d < x.dim(); ++d) reduce.push_back(d);
  return reduce;
}

// The gradients of batch normalization written with differentiable ops: what backward returns
// under create_graph, so that gradients of gradients work. mean and invstd are recomputed from
// x when batch_statistics (training), else they are the given constants.
grads composite_backward(const Tensor& dy, const Tensor& x, const Tensor& weight,
                         const Tensor& bias, const Tensor& mean_constant,
                         const Tensor& invstd_constant, bool batch_statistics, double eps) {
  const Shape stat_shape = stat_shape_of(x);
  const Dims reduce = reduce_dims_of(x);
  const int64_t channels = x.size(1);
  Tensor mean;
  Tensor invstd;
  if (batch_statistics) {
    mean = cajal::mean(x, reduce, /*keepdim=*/true);
    invstd = rsqrt(cajal::var(x, reduce, /*correction=*/0, /*keepdim=*/true) + eps);
  } else {
    mean = mean_constant.reshape(stat_shape);
    invstd = invstd_constant.reshape(stat_shape);
  }
  const Tensor xhat = (x - mean) * invstd;
  Tensor scaled_dy = weight.defined() ? dy * weight.reshape(stat_shape) : dy;
  Tensor dx;
  if (batch_statistics) {
    dx = invstd * (scaled_dy - cajal::mean(scaled_dy, reduce, /*keepdim=*/true) -
                   xhat * cajal::mean(scaled_dy * xhat, reduce, /*keepdim=*/true));
  } else {
    dx = scaled_dy * invstd;
  }
  Tensor dweight;
  Tensor dbias;
  if (weight.defined()) dweight = cajal::sum(dy * xhat, reduce).reshape({channels});
  if (bias.defined()) dbias = cajal::sum(dy, reduce).reshape({channels});
  return grads{dx, dweight, dbias};
}

// Records y, computed by the fused kernels as (x - mean) * invstd * weight + bias, as one node.
// Its backward runs the fused backward kernel, or, under create_graph (grad mode is on during
// backward exactly then), composite_backward, so that it is differentiable again.
Tensor record_fused(const Tensor& y, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    const Tensor& mean, const Tensor& invstd, bool batch_statistics, double eps) {
  return autograd::record(
      "batch_norm", y, {x, weight, bias},
      [x, weight, bias, mean, invstd, batch_statistics, eps](const Tensor& dy) -> grads {
        if (is_grad_enabled()) {
          return composite_backward(dy, x, weight, bias, mean, invstd, batch_statistics, eps);
        }
        kernels::BatchNormGrads g = kernels::batch_norm_backward(
            dy, x.detach(), mean, invstd, weight.defined() ? weight.detach() : Tensor(),
            batch_statistics);
        return grads{g.x, weight.defined() ? g.weight : Tensor(),
                     bias.defined() ? g.bias : Tensor()};
      });
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training,
                  std::optional<double> momentum, double eps, const Tensor& num_batches_tracked) {
  require_floating(x, "batch_norm");
  if (x.dim() < 2) {
    throw ShapeError("batch_norm: expected input [N, C, *] with at least 2 dims, got " +
                     shape_string(x.shape()));
  }
  if (running_mean.defined() != running_var.defined()) {
    throw ValueError("batch_norm: give both running_mean and running_var, or neither");
  }
  const int64_t channels = x.size(1);
  require_channels(running_mean, "running_mean", channels, x);
  require_channels(running_var, "running_var", channels, x);
  require_channels(weight, "weight", channels, x);
  require_channels(bias, "bias", channels, x);
  if (!(eps >= 0)) throw ValueError("batch_norm: eps must be >= 0, got " + std::to_string(eps));

  // The statistics broadcast against x as [1, C, 1, ...].
  const Shape stat_shape = stat_shape_of(x);
  Tensor mean;
  Tensor var;
  if (training) {
    const int64_t per_channel = channels == 0 ? 0 : x.numel() / channels;
    if (per_channel == 1) {
      throw ValueError(
          "batch_norm: Expected more than 1 value per channel when training, got input size " +
          shape_string(x.shape()));
    }
    if (fused_applies(x, {&weight, &bias})) {
      kernels::BatchNormForward forward =
          kernels::batch_norm_training(x.detach(), weight.defined() ? weight.detach() : Tensor(),
                                       bias.defined() ? bias.detach() : Tensor(), eps);
      if (running_mean.defined()) {
        update_running_stats(forward.mean, forward.var, per_channel, running_mean, running_var,
                             momentum, num_batches_tracked);
      }
      return record_fused(forward.y, x, weight, bias, forward.mean, forward.invstd,
                          /*batch_statistics=*/true, eps);
    }
    const Dims reduce = reduce_dims_of(x);
    mean = cajal::mean(x, reduce, /*keepdim=*/true);
    var = cajal::var(x, reduce, /*correction=*/0, /*keepdim=*/true);
    if (running_mean.defined()) {
      update_running_stats(mean, var, per_channel, running_mean, running_var, momentum,
                           num_batches_tracked);
    }
  } else {
    if (!running_mean.defined()) {
      throw ValueError(
          "batch_norm: running_mean and running_var are needed when not training (evaluation "
          "uses the running statistics)");
    }
    // Running statistics that require grad (a functional use) keep the composite path, which
    // differentiates through them.
    if (!running_mean.requires_grad() && !running_var.requires_grad() &&
        fused_applies(x, {&weight, &bias, &running_mean, &running_var})) {
      // Copies ([C], cheap): the graph must not hold the buffers themselves, or a later training
      // step, which updates them in place, would make this output's backward refuse to run.
      Tensor mean_copy;
      Tensor invstd;
      Tensor y;
      {
        no_grad guard;
        mean_copy = running_mean.clone();
        invstd = rsqrt(running_var + eps);
        Tensor scale = weight.defined() ? invstd * weight.detach() : invstd;
        Tensor shift = bias.defined() ? bias.detach() - mean_copy * scale : -(mean_copy * scale);
        y = kernels::batch_norm_affine(x.detach(), scale, shift);
      }
      return record_fused(y, x, weight, bias, mean_copy, invstd, /*batch_statistics=*/false, eps);
    }
    mean = running_mean.clone().reshape(stat_shape);
    var = running_var.clone().reshape(stat_shape);
  }
  Tensor y = (x - mean) * rsqrt(var + eps);
  if (weight.defined()) y = y * weight.reshape(stat_shape);
  if (bias.defined()) y = y + bias.reshape(stat_shape);
  return y;
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  require_floating(x, "layer_norm");
  const auto k = static_cast<int64_t>(normalized_shape.size());
  if (k == 0) throw ValueError("layer_norm: normalized_shape must not be empty");
  for (int64_t size : normalized_shape) {
    if (size < 1) {
      throw ValueError("layer_norm: normalized_shape " + shape_string(normalized_shape) +
                       " must have positive sizes");
    }
  }
  bool fits = x.dim() >= k;
  for (int64_t i = 0; fits && i < k; ++i) {
    fits = x.size(x.dim() - k + i) == normalized_shape[static_cast<size_t>(i)];
  }
  if (!fits) {
    std::string expected = shape_string(normalized_shape);
    throw ShapeError("layer_norm: Given normalized_shape=" + expected +
                     ", expected input with shape [*, " + expected.substr(1) +
                     ", but got input of size " + shape_string(x.shape()));
  }
  for (const auto& [t, name] : {std::pair{&weight, "weight"}, std::pair{&bias, "bias"}}) {
    if (t->defined() && t->shape() != normalized_shape) {
      throw ShapeError("layer_norm: " + std::string(name) + " must have normalized_shape " +
                       shape_string(normalized_shape) + ", got " + shape_string(t->shape()));
    }
  }
  if (!(eps >= 0)) throw ValueError("layer_norm: eps must be >= 0, got " + std::to_string(eps));
  Dims dims;
  for (int64_t d = x.dim() - k; d < x.dim(); ++d) dims.push_back(d);
  if (fused_applies(x, {&weight, &bias})) {
    kernels::LayerNormForward forward = kernels::layer_norm_forward(
        x.detach(), shape_numel(normalized_shape), weight.defined() ? weight.detach() : Tensor(),
        bias.defined() ? bias.detach() : Tensor(), eps);
    // Backward: the fused kernel, or under create_graph the same formula in differentiable ops.
    return autograd::record(
        "layer_norm", forward.y, {x, weight, bias},
        [x, weight, bias, dims, normalized_shape, eps, mean = forward.mean,
         invstd = forward.invstd](const Tensor& dy) -> grads {
          if (is_grad_enabled()) {
            Tensor batch_mean = cajal::mean(x, dims, /*keepdim=*/true);
            Tensor batch_invstd =
                rsqrt(cajal::var(x, dims, /*correction=*/0, /*keepdim=*/true) + eps);
            Tensor xhat = (x - batch_mean) * batch_invstd;
            Tensor scaled_dy = weight.defined() ? dy * weight : dy;
            Tensor dx =
                batch_invstd * (scaled_dy - cajal::mean(scaled_dy, dims, /*keepdim=*/true) -
                                xhat * cajal::mean(scaled_dy * xhat, dims, /*keepdim=*/true));
            // Output-shaped: the engine sums them down to normalized_shape.
            return grads{dx, weight.defined() ? dy * xhat : Tensor(),
                         bias.defined() ? dy : Tensor()};
          }
          kernels::LayerNormGrads g =
              kernels::layer_norm_backward(dy, x.detach(), shape_numel(normalized_shape), mean,
                                           invstd, weight.defined() ? weight.detach() : Tensor());
          return grads{g.x, weight.defined() ? g.weight.reshape(normalized_shape) : Tensor(),
                       bias.defined() ? g.bias.reshape(normalized_shape) : Tensor()};
        });
  }
  Tensor mean = cajal::mean(x, dims, /*keepdim=*/true);
  Tensor var = cajal::var(x, dims, /*correction=*/0, /*keepdim=*/true);
  Tensor y = (x - mean) * rsqrt(var + eps);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

}  // namespace cajal::nn::functional
