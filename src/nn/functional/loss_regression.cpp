// Regression losses: mse, l1, huber, smooth_l1, quantile (pinball), log-cosh.
#include <fmt/format.h>

#include <cmath>

#include "cajal/autograd/grad_mode.h"
#include "cajal/autograd/node.h"
#include "cajal/core/creation.h"

#include "cajal/nn/functional/loss.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/math.h"
#include "loss_internal.h"

namespace cajal::nn::functional {
namespace {

// input - target after the shared checks.
Tensor difference(const Tensor& input, const Tensor& target, std::string_view loss) {
  detail::check_input_and_target(input, target, loss);
  return input - detail::as_floating(target, input);
}

// mse_loss reduced to a scalar (mean or sum) in one pass, recorded as one node whose backward is
// one pass too (2 g (input - target), and its negation for the target): the loss of small
// regression networks, where each op's fixed cost counts. Same shape and float dtype, contiguous.
bool mse_fusable(const Tensor& input, const Tensor& target, Reduction reduction) {
  return (reduction == Reduction::mean || reduction == Reduction::sum) &&
         (input.dtype() == Dtype::float32 || input.dtype() == Dtype::float64) &&
         target.dtype() == input.dtype() && target.shape() == input.shape() &&
         input.is_contiguous() && target.is_contiguous() && input.numel() > 0;
}

Tensor fused_mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  const int64_t count = input.numel();
  const double scale = reduction == Reduction::mean ? 1.0 / static_cast<double>(count) : 1.0;
  Tensor loss = empty({}, input.dtype());
  dispatch_floating(input.dtype(), "mse_loss", [&]<typename T>() {
    const T* x = input.data_ptr<T>();
    const T* t = target.data_ptr<T>();
    double total = 0;
    for (int64_t i = 0; i < count; ++i) {
      const double d = static_cast<double>(x[i]) - static_cast<double>(t[i]);
      total += d * d;
    }
    *loss.data_ptr<T>() = static_cast<T>(total * scale);
  });
  return autograd::record("mse_loss", loss, {input, target},
                          [input, target, scale](const Tensor& dy) -> autograd::grads {
                            if (is_grad_enabled()) {  // create_graph: differentiable again
                              Tensor dx = (input - target) * (dy * (2 * scale));
                              return {dx, -dx};
                            }
                            Tensor dx = empty(input.shape(), input.dtype());
                            Tensor dt = target.requires_grad() ? empty(input.shape(), input.dtype())
                                                               : Tensor();
                            dispatch_floating(input.dtype(), "mse_loss", [&]<typename T>() {
                              const T g = static_cast<T>(2 * scale * dy.item<double>());
                              const T* x = input.data_ptr<T>();
                              const T* t = target.data_ptr<T>();
                              T* dxp = dx.data_ptr<T>();
                              for (int64_t i = 0; i < input.numel(); ++i)
                                dxp[i] = g * (x[i] - t[i]);
                              if (dt.defined()) {
                                T* dtp = dt.data_ptr<T>();
                                for (int64_t i = 0; i < input.numel(); ++i) dtp[i] = -dxp[i];
                              }
                            });
                            return {input.requires_grad() ? dx : Tensor(), dt};
                          });
}

}  // namespace

void MSELossOptions::validate(std::string_view loss) const {
  detail::check_reduction(reduction, loss);
}
void L1LossOptions::validate(std::string_view loss) const {
  detail::check_reduction(reduction, loss);
}
void LogCoshLossOptions::validate(std::string_view loss) const {
  detail::check_reduction(reduction, loss);
}

void HuberLossOptions::validate(std::string_view loss) const {
  if (!(delta > 0) || !std::isfinite(delta)) {
    throw ValueError(fmt::format("{}: delta must be a finite number > 0, got {}", loss, delta));
  }
  detail::check_reduction(reduction, loss);
}

void SmoothL1LossOptions::validate(std::string_view loss) const {
  if (!(beta >= 0) || !std::isfinite(beta)) {
    throw ValueError(fmt::format("{}: beta must be a finite number >= 0, got {}", loss, beta));
  }
  detail::check_reduction(reduction, loss);
}

void QuantileLossOptions::validate(std::string_view loss) const {
  if (!(quantile > 0 && quantile < 1)) {
    throw ValueError(fmt::format("{}: quantile must be in (0, 1), got {}", loss, quantile));
  }
  detail::check_reduction(reduction, loss);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossOptions& options) {
  options.validate();
  if (input.defined() && target.defined() && mse_fusable(input, target, options.reduction)) {
    detail::check_input_and_target(input, target, "mse_loss");
    return fused_mse_loss(input, target, options.reduction);
  }
  return detail::reduce(square(difference(input, target, "mse_loss")), options.reduction,
                        "mse_loss");
}

Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossOptions& options) {
  options.validate();
  return detail::reduce(abs(difference(input, target, "l1_loss")), options.reduction, "l1_loss");
}

Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossOptions& options) {
  options.validate();
  const double delta = options.delta;
  Tensor d = difference(input, target, "huber_loss");
  Tensor magnitude = abs(d);
  Tensor loss = where(magnitude < delta, 0.5 * square(d), delta * (magnitude - 0.5 * delta));
  return detail::reduce(loss, options.reduction, "huber_loss");
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      const SmoothL1LossOptions& options) {
  options.validate();
  const double beta = options.beta;
  Tensor d = difference(input, target, "smooth_l1_loss");
  Tensor magnitude = abs(d);
  // beta = 0 is exactly L1; the quadratic branch would divide by zero (and poison the gradient
  // through where()).
  Tensor loss = beta == 0
                    ? magnitude
                    : where(magnitude < beta, (0.5 / beta) * square(d), magnitude - 0.5 * beta);
  return detail::reduce(loss, options.reduction, "smooth_l1_loss");
}

Tensor quantile_loss(const Tensor& input, const Tensor& target,
                     const QuantileLossOptions& options) {
  options.validate();
  const double q = options.quantile;
  Tensor error = -difference(input, target, "quantile_loss");  // target - input
  Tensor loss = where(error >= 0.0, q * error, (q - 1) * error);
  return detail::reduce(loss, options.reduction, "quantile_loss");
}

Tensor log_cosh_loss(const Tensor& input, const Tensor& target, const LogCoshLossOptions& options) {
  options.validate();
  Tensor magnitude = abs(difference(input, target, "log_cosh_loss"));
  // log(cosh(d)) = |d| + log((1 + exp(-2|d|)) / 2): exp never overflows.
  Tensor loss = magnitude + log1p(exp(-2.0 * magnitude)) - std::log(2.0);
  return detail::reduce(loss, options.reduction, "log_cosh_loss");
}

}  // namespace cajal::nn::functional
