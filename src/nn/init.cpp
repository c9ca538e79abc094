#include "cajal/nn/init.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <sstream>
#include <vector>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/core/random.h"

namespace cajal::nn::init {

namespace {

std::string number(double value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

void check_defined(const Tensor& tensor, const char* op) {
  if (!tensor.defined()) throw ValueError(std::string(op) + ": the tensor is undefined");
}

void check_floating(const Tensor& tensor, const char* op) {
  check_defined(tensor, op);
  if (!tensor.is_floating_point()) {
    throw ValueError(std::string(op) + ": expected a floating-point tensor, got " +
                     std::string(dtype_name(tensor.dtype())));
  }
}

// Writes numel values drawn in row-major order into `tensor` (any layout, float32 or float64).
// The values are computed in double and rounded once on the copy.
Tensor fill_with(const Tensor& tensor, const std::function<double()>& draw) {
  std::vector<double> values(static_cast<size_t>(tensor.numel()));
  for (double& v : values) v = draw();
  no_grad guard;
  Tensor target = tensor;
  target.copy_(from_vector(values, tensor.shape()));
  return tensor;
}

// Writes the given row-major values into `tensor`.
Tensor fill_from(const Tensor& tensor, const std::vector<double>& values) {
  no_grad guard;
  Tensor target = tensor;
  target.copy_(from_vector(values, tensor.shape()));
  return tensor;
}

double standard_normal_density(double x) {
  return std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi);
}

// P(Z > x) for a standard normal Z, accurate in the upper tail.
double upper_tail(double x) { return 0.5 * std::erfc(x / std::numbers::sqrt2); }

// One draw of a standard normal restricted to [low, high] (low < high, either may be infinite).
// Plain rejection when the interval holds a fair share of the mass; otherwise a proposal matched
// to the interval, so that a bound far in the tail never makes the loop spin: a uniform proposal
// for narrow intervals, and the shifted exponential of Robert (1995), "Simulation of truncated
// normal variables", Statistics and Computing 5, for the tail.
class TruncatedStandardNormal {
 public:
  TruncatedStandardNormal(double low, double high) {
    // Mirror an interval below zero so that only the cases "contains 0" and "above 0" remain.
    if (high <= 0) {
      flip_ = true;
      std::swap(low, high);
      low = -low;
      high = -high;
    }
    low_ = low;
    high_ = high;
    double mass =
        low <= 0 ? 1 - upper_tail(-low) - upper_tail(high) : upper_tail(low) - upper_tail(high);
    if (mass >= 0.25) {
      method_ = Method::normal;
    } else if (low <= 0 || low * (high - low) <= 1) {
      // Narrow interval: the density varies by a bounded factor across it.
      method_ = Method::uniform;
      double peak = low <= 0 ? 0.0 : low;
      peak_square_ = peak * peak;
    } else {
      method_ = Method::exponential;
      rate_ = (low + std::sqrt(low * low + 4)) / 2;
    }
  }

  double operator()(Generator& generator) const {
    double z = 0;
    for (;;) {
      if (method_ == Method::normal) {
        z = generator.normal();
        if (z >= low_ && z <= high_) break;
      } else if (method_ == Method::uniform) {
        z = low_ + (high_ - low_) * generator.uniform();
        if (generator.uniform() <= std::exp(0.5 * (peak_square_ - z * z))) break;
      } else {
        z = low_ - std::log1p(-generator.uniform()) / rate_;
        if (z > high_) continue;
        double gap = z - rate_;
        if (generator.uniform() <= std::exp(-0.5 * gap * gap)) break;
      }
    }
    return flip_ ? -z : z;
  }

 private:
  enum class Method { normal, uniform, exponential };
  Method method_ = Method::normal;
  bool flip_ = false;
  double low_ = 0;
  double high_ = 0;
  double peak_square_ = 0;
  double rate_ = 1;
};

// Standard deviation of the standard normal truncated to [-2, 2], about 0.8796: lecun_normal_
// divides by it so that the truncated draws have exactly the requested spread.
double two_sigma_truncated_std() {
  double mass = 1 - 2 * upper_tail(2.0);
  return std::sqrt(1 - 2 * 2 * standard_normal_density(2.0) / mass);
}

int64_t correct_fan(const Tensor& tensor, FanMode mode) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return mode == FanMode::fan_in ? fan_in : fan_out;
}

void check_fan(int64_t fan, const char* op, const Tensor& tensor) {
  if (fan <= 0) {
    throw ValueError(std::string(op) + ": the fan of a tensor of shape " +
                     shape_string(tensor.shape()) + " is 0");
  }
}

// Orthonormalizes `count` vectors of length `length`, stored one after the other, in place:
// modified Gram-Schmidt, run twice per vector ("twice is enough": Giraud et al., 2005) so the
// result stays orthogonal to rounding error even for ill-conditioned Gaussian matrices. The
// diagonal of the implied R is positive, which makes Q unique and Haar-distributed.
void orthonormalize(std::vector<double>& vectors, int64_t count, int64_t length,
                    Generator& generator) {
  auto at = [&](int64_t j) { return vectors.data() + j * length; };
  for (int64_t j = 0; j < count; ++j) {
    double* v = at(j);
    for (;;) {
      double initial_norm = 0;
      for (int64_t i = 0; i < length; ++i) initial_norm += v[i] * v[i];
      initial_norm = std::sqrt(initial_norm);
      for (int pass = 0; pass < 2; ++pass) {
        for (int64_t k = 0; k < j; ++k) {
          const double* q = at(k);
          double projection = 0;
          for (int64_t i = 0; i < length; ++i) projection += q[i] * v[i];
          for (int64_t i = 0; i < length; ++i) v[i] -= projection * q[i];
        }
      }
      double norm = 0;
      for (int64_t i = 0; i < length; ++i) norm += v[i] * v[i];
      norm = std::sqrt(norm);
      // A Gaussian vector (almost) in the span of the previous ones has probability zero; should
      // rounding produce one, draw it again rather than divide by nothing.
      if (norm > 1e-10 * initial_norm && norm > 0) {
        for (int64_t i = 0; i < length; ++i) v[i] /= norm;
        break;
      }
      for (int64_t i = 0; i < length; ++i) v[i] = generator.normal();
    }
  }
}

}  // namespace

double calculate_gain(const std::string& nonlinearity, double param) {
  static const char* const unit_gain[] = {
      "linear",           "conv1d",           "conv2d",           "conv3d",
      "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid"};
  for (const char* name : unit_gain) {
    if (nonlinearity == name) return 1.0;
  }
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    if (!std::isfinite(param)) {
      throw ValueError("calculate_gain: leaky_relu's negative slope must be finite, got " +
                       number(param));
    }
    return std::sqrt(2.0 / (1 + param * param));
  }
  if (nonlinearity == "selu") return 3.0 / 4.0;
  throw ValueError("calculate_gain: unsupported nonlinearity '" + nonlinearity +
                   "' (expected linear, conv1d, conv2d, conv3d, conv_transpose1d, "
                   "conv_transpose2d, conv_transpose3d, sigmoid, tanh, relu, leaky_relu or selu)");
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  check_defined(tensor, "calculate_fan_in_and_fan_out");
  if (tensor.dim() < 2) {
    throw ValueError(
        "calculate_fan_in_and_fan_out: fans need a tensor of at least 2 dimensions, got shape " +
        shape_string(tensor.shape()));
  }
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

Tensor uniform_(const Tensor& tensor, double low, double high) {
  check_floating(tensor, "uniform_");
  if (!(low <= high) || !std::isfinite(low) || !std::isfinite(high)) {
    throw ValueError("uniform_: expected finite low <= high, got low=" + number(low) +
                     " high=" + number(high));
  }
  Generator& generator = default_generator();
  return fill_with(tensor, [&] { return low + (high - low) * generator.uniform(); });
}

Tensor normal_(const Tensor& tensor, double mean, double std) {
  check_floating(tensor, "normal_");
  if (!(std >= 0) || !std::isfinite(std) || !std::isfinite(mean)) {
    throw ValueError("normal_: expected a finite mean and a finite std >= 0, got mean=" +
                     number(mean) + " std=" + number(std));
  }
  Generator& generator = default_generator();
  return fill_with(tensor, [&] { return mean + std * generator.normal(); });
}

Tensor trunc_normal_(const Tensor& tensor, double mean, double std, double low, double high) {
  check_floating(tensor, "trunc_normal_");
  if (!(std > 0) || !std::isfinite(std) || !std::isfinite(mean)) {
    throw ValueError("trunc_normal_: expected a finite mean and a finite std > 0, got mean=" +
                     number(mean) + " std=" + number(std));
  }
  if (!(low < high) || std::isnan(low) || std::isnan(high)) {
    throw ValueError("trunc_normal_: expected low < high, got low=" + number(low) +
                     " high=" + number(high));
  }
  TruncatedStandardNormal standard((low - mean) / std, (high - mean) / std);
  Generator& generator = default_generator();
  return fill_with(tensor, [&] {
    // Rounding of mean + std * z may step a hair outside the bounds; clamp it back.
    return std::clamp(mean + std * standard(generator), low, high);
  });
}

Tensor constant_(const Tensor& tensor, double value) {
  check_defined(tensor, "constant_");
  no_grad guard;
  Tensor target = tensor;
  target.fill_(value);
  return tensor;
}

Tensor zeros_(const Tensor& tensor) { return constant_(tensor, 0.0); }

Tensor ones_(const Tensor& tensor) { return constant_(tensor, 1.0); }

Tensor xavier_uniform_(const Tensor& tensor, double gain) {
  check_floating(tensor, "xavier_uniform_");
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  if (tensor.numel() == 0) return tensor;
  check_fan(fan_in + fan_out, "xavier_uniform_", tensor);
  double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform_(tensor, -std::abs(bound), std::abs(bound));
}

Tensor xavier_normal_(const Tensor& tensor, double gain) {
  check_floating(tensor, "xavier_normal_");
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  if (tensor.numel() == 0) return tensor;
  check_fan(fan_in + fan_out, "xavier_normal_", tensor);
  double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return normal_(tensor, 0.0, std::abs(std));
}

Tensor kaiming_uniform_(const Tensor& tensor, KaimingOptions options) {
  check_floating(tensor, "kaiming_uniform_");
  int64_t fan = correct_fan(tensor, options.mode);
  double gain = calculate_gain(options.nonlinearity, options.a);
  if (tensor.numel() == 0) return tensor;
  check_fan(fan, "kaiming_uniform_", tensor);
  double bound = std::sqrt(3.0) * gain / std::sqrt(static_cast<double>(fan));
  return uniform_(tensor, -bound, bound);
}

Tensor kaiming_normal_(const Tensor& tensor, KaimingOptions options) {
  check_floating(tensor, "kaiming_normal_");
  int64_t fan = correct_fan(tensor, options.mode);
  double gain = calculate_gain(options.nonlinearity, options.a);
  if (tensor.numel() == 0) return tensor;
  check_fan(fan, "kaiming_normal_", tensor);
  return normal_(tensor, 0.0, gain / std::sqrt(static_cast<double>(fan)));
}

Tensor lecun_uniform_(const Tensor& tensor) {
  check_floating(tensor, "lecun_uniform_");
  int64_t fan_in = calculate_fan_in_and_fan_out(tensor).first;
  if (tensor.numel() == 0) return tensor;
  check_fan(fan_in, "lecun_uniform_", tensor);
  double bound = std::sqrt(3.0 / static_cast<double>(fan_in));
  return uniform_(tensor, -bound, bound);
}

Tensor lecun_normal_(const Tensor& tensor) {
  check_floating(tensor, "lecun_normal_");
  int64_t fan_in = calculate_fan_in_and_fan_out(tensor).first;
  if (tensor.numel() == 0) return tensor;
  check_fan(fan_in, "lecun_normal_", tensor);
  double std = std::sqrt(1.0 / static_cast<double>(fan_in)) / two_sigma_truncated_std();
  return trunc_normal_(tensor, 0.0, std, -2 * std, 2 * std);
}

Tensor orthogonal_(const Tensor& tensor, double gain) {
  check_floating(tensor, "orthogonal_");
  if (tensor.dim() < 2) {
    throw ValueError("orthogonal_: needs a tensor of at least 2 dimensions, got shape " +
                     shape_string(tensor.shape()));
  }
  if (!std::isfinite(gain)) {
    throw ValueError("orthogonal_: gain must be finite, got " + number(gain));
  }
  if (tensor.numel() == 0) return tensor;
  const int64_t rows = tensor.size(0);
  const int64_t cols = tensor.numel() / rows;
  Generator& generator = default_generator();
  std::vector<double> gaussian(static_cast<size_t>(rows * cols));
  for (double& v : gaussian) v = generator.normal();

  // QR of the tall orientation: the [rows, cols] matrix, or its transpose when it is wide, so
  // that Q has orthonormal columns (tall) or the result orthonormal rows (wide).
  const bool tall = rows >= cols;
  const int64_t length = tall ? rows : cols;
  const int64_t count = tall ? cols : rows;
  std::vector<double> vectors(static_cast<size_t>(length * count));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      double g = gaussian[static_cast<size_t>(r * cols + c)];
      if (tall) {
        vectors[static_cast<size_t>(c * length + r)] = g;
      } else {
        vectors[static_cast<size_t>(r * length + c)] = g;
      }
    }
  }
  orthonormalize(vectors, count, length, generator);

  std::vector<double> result(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      double q = tall ? vectors[static_cast<size_t>(c * length + r)]
                      : vectors[static_cast<size_t>(r * length + c)];
      result[static_cast<size_t>(r * cols + c)] = gain * q;
    }
  }
  return fill_from(tensor, result);
}

}  // namespace cajal::nn::init
