// Regression losses: mse, l1, huber, smooth_l1, quantile (pinball), log-cosh.
#include <fmt/format.h>

#include <cmath>

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
