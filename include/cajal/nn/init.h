#pragma once
// Weight initializers, as torch.nn.init. Each fills `tensor` in place from the global generator
// (cajal::manual_seed makes them reproducible), records no graph (a parameter that requires grad
// may be filled), and returns the same handle.
//
//   nn::init::kaiming_normal_(conv.weight, {.mode = nn::init::FanMode::fan_out,
//                                           .nonlinearity = "relu"});
//
// Fans, as PyTorch: for a weight [out, in, k...], fan_in = in * prod(k), fan_out = out * prod(k).
// Tensors of fewer than 2 dims have no fans (ValueError) except where noted.
//
// The random initializers need a float32 or float64 tensor (ValueError otherwise); values are
// drawn in double precision in row-major order, so a seed gives the same values whatever the
// tensor's layout or dtype. A tensor with no elements is left as it is.
#include <cstdint>
#include <string>
#include <utility>

#include "cajal/core/tensor.h"

namespace cajal::nn::init {

enum class FanMode { fan_in, fan_out };

// The recommended gain for a nonlinearity: linear, conv1d/2d/3d, conv_transpose1d/2d/3d and
// sigmoid 1; tanh 5/3; relu sqrt(2); leaky_relu sqrt(2 / (1 + slope^2)) with `param` the slope;
// selu 3/4. ValueError for other names.
double calculate_gain(const std::string& nonlinearity, double param = 0.01);
// {fan_in, fan_out} of a tensor of at least 2 dims.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

Tensor uniform_(const Tensor& tensor, double low = 0.0, double high = 1.0);
Tensor normal_(const Tensor& tensor, double mean = 0.0, double std = 1.0);
// Normal(mean, std) restricted to [low, high]; the bounds are values, not multiples of std (as
// PyTorch). Requires std > 0 and low < high. Sampled by rejection, with a proposal matched to the
// interval when it holds little of the mass, so far-tail bounds cost no more than the bulk.
Tensor trunc_normal_(const Tensor& tensor, double mean = 0.0, double std = 1.0, double low = -2.0,
                     double high = 2.0);
Tensor constant_(const Tensor& tensor, double value);
Tensor zeros_(const Tensor& tensor);
Tensor ones_(const Tensor& tensor);

// Glorot & Bengio (2010): U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out));
// N(0, std), std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_uniform_(const Tensor& tensor, double gain = 1.0);
Tensor xavier_normal_(const Tensor& tensor, double gain = 1.0);

// He et al. (2015): std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a).
struct KaimingOptions {
  double a = 0;  // negative slope for leaky_relu
  FanMode mode = FanMode::fan_in;
  std::string nonlinearity = "leaky_relu";
};
Tensor kaiming_uniform_(const Tensor& tensor, KaimingOptions options = {});
Tensor kaiming_normal_(const Tensor& tensor, KaimingOptions options = {});

// LeCun et al. (1998), the initialization SELU networks need: std = sqrt(1 / fan_in).
// lecun_normal_ draws from the normal truncated at two standard deviations, rescaled so the
// standard deviation is exactly sqrt(1 / fan_in) (as Keras does); lecun_uniform_ draws
// U(-a, a), a = sqrt(3 / fan_in).
Tensor lecun_uniform_(const Tensor& tensor);
Tensor lecun_normal_(const Tensor& tensor);

// Saxe et al. (2013): a (semi-)orthogonal matrix from the QR decomposition of a Gaussian matrix,
// the tensor seen as [size(0), numel / size(0)], times gain.
Tensor orthogonal_(const Tensor& tensor, double gain = 1.0);

}  // namespace cajal::nn::init
