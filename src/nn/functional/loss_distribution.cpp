// Probabilistic losses: Kullback-Leibler divergence, Poisson and Gaussian negative log
// likelihood.
#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "cajal/autograd/grad_mode.h"
#include "cajal/nn/functional/loss.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"
#include "loss_internal.h"

namespace cajal::nn::functional {

void KLDivLossOptions::validate(std::string_view loss) const {
  if (reduction != Reduction::batchmean) detail::check_reduction(reduction, loss);
}

void PoissonNLLLossOptions::validate(std::string_view loss) const {
  if (!(eps >= 0) || !std::isfinite(eps)) {
    throw ValueError(fmt::format("{}: eps must be a finite number >= 0, got {}", loss, eps));
  }
  detail::check_reduction(reduction, loss);
}

void GaussianNLLLossOptions::validate(std::string_view loss) const {
  if (!(eps > 0) || !std::isfinite(eps)) {
    throw ValueError(fmt::format("{}: eps must be a finite number > 0, got {}", loss, eps));
  }
  detail::check_reduction(reduction, loss);
}

Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivLossOptions& options) {
  constexpr std::string_view kName = "kl_div";
  options.validate();
  detail::check_input_and_target(input, target, kName);
  Tensor t = detail::as_floating(target, input);
  Tensor loss;
  if (options.log_target) {
    loss = exp(t) * (t - input);
  } else {
    // t log(t) is 0 at t = 0 (its limit); log sees 1 there so neither value nor gradient is
    // poisoned by log(0). Negative targets give NaN, as in PyTorch.
    Tensor nonzero = t != 0.0;
    Tensor t_log_t = where(nonzero, t * log(where(nonzero, t, 1.0)), 0.0);
    loss = t_log_t - t * input;
  }
  if (options.reduction == Reduction::batchmean) {
    Tensor total = sum(loss);
    return input.dim() == 0 ? total : total / static_cast<double>(input.size(0));
  }
  return detail::reduce(loss, options.reduction, kName);
}

Tensor poisson_nll_loss(const Tensor& input, const Tensor& target,
                        const PoissonNLLLossOptions& options) {
  constexpr std::string_view kName = "poisson_nll_loss";
  options.validate();
  detail::check_input_and_target(input, target, kName);
  Tensor t = detail::as_floating(target, input);
  Tensor loss = options.log_input ? exp(input) - t * input : input - t * log(input + options.eps);
  if (options.full) {
    // Stirling: log(t!) ~ t log(t) - t + 0.5 log(2 pi t), used where t > 1 (0 elsewhere). The
    // masked entries are evaluated at 1 so that log(0) cannot reach the gradient.
    Tensor large = t > 1.0;
    Tensor safe = where(large, t, 1.0);
    Tensor stirling = safe * log(safe) - safe + 0.5 * log((2 * std::numbers::pi) * safe);
    loss = loss + where(large, stirling, 0.0);
  }
  return detail::reduce(loss, options.reduction, kName);
}

Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var,
                         const GaussianNLLLossOptions& options) {
  constexpr std::string_view kName = "gaussian_nll_loss";
  options.validate();
  detail::check_input_and_target(input, target, kName);
  detail::check_floating(var, kName, "var");
  Tensor v = var;
  if (v.shape() != input.shape()) {
    Shape leading = input.shape();
    if (!leading.empty()) leading.pop_back();
    Shape var_leading = v.shape();
    if (!var_leading.empty()) var_leading.pop_back();
    if (input.dim() > 0 && v.shape() == leading) {
      v = v.unsqueeze(-1);  // one variance per row, shared by the last dim
    } else if (input.dim() > 0 && v.dim() == input.dim() && var_leading == leading &&
               v.size(-1) == 1) {
      // [..., 1]: broadcasts over the last dim.
    } else {
      Shape with_one = leading;
      with_one.push_back(1);
      throw ShapeError(
          fmt::format("{}: var of shape {} does not fit input {} (expected {}, {} or {})", kName,
                      shape_string(var.shape()), shape_string(input.shape()),
                      shape_string(input.shape()), shape_string(with_one), shape_string(leading)));
    }
  }
  if (v.numel() > 0) {
    no_grad guard;
    const double lowest = min(v.detach()).item();
    if (lowest < 0) {
      throw ValueError(fmt::format("{}: var must be >= 0, got an entry {}", kName, lowest));
    }
  }
  // Clamped to eps for stability, with the gradient passed through unchanged (PyTorch clamps a
  // copy in place under no_grad, which has exactly this effect).
  Tensor floor = v.detach();
  Tensor clamped = v + (clamp_min(floor, options.eps) - floor);
  Tensor loss = 0.5 * (log(clamped) + square(input - detail::as_floating(target, input)) / clamped);
  if (options.full) loss = loss + 0.5 * std::log(2 * std::numbers::pi);
  return detail::reduce(loss, options.reduction, kName);
}

}  // namespace cajal::nn::functional
