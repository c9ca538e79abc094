// Soft overlap losses for segmentation: Dice, IoU (Jaccard), Tversky.
#include <fmt/format.h>

#include <cmath>

#include "cajal/nn/functional/loss.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/indexing.h"
#include "cajal/ops/reduction.h"
#include "loss_internal.h"

namespace cajal::nn::functional {
namespace {

// Per (sample, channel) sums, or per channel over the whole batch: [N, C] or [C].
struct OverlapSums {
  Tensor intersection;  // sum(p t)
  Tensor predicted;     // sum(p)
  Tensor actual;        // sum(t)
};

OverlapSums overlap_sums(const Tensor& input, const Tensor& target, bool batch,
                         std::string_view loss) {
  detail::check_floating(input, loss, "input");
  if (input.dim() < 2) {
    throw ShapeError(fmt::format(
        "{}: input must be [N, C, d1, ...] probabilities (a binary mask needs C = 1), got {}", loss,
        shape_string(input.shape())));
  }
  if (!target.defined()) throw ValueError(fmt::format("{}: target is an undefined tensor", loss));
  const int64_t n = input.size(0);
  const int64_t channels = input.size(1);
  Tensor t;
  if (target.shape() == input.shape()) {
    t = target.to(input.dtype());
  } else {
    Shape index_shape = input.shape();
    index_shape.erase(index_shape.begin() + 1);
    if (target.dtype() != Dtype::int64 || target.shape() != index_shape) {
      throw ShapeError(fmt::format(
          "{}: target must have the input's shape {} or be int64 class indices of shape {}, got "
          "{} {}",
          loss, shape_string(input.shape()), shape_string(index_shape), dtype_name(target.dtype()),
          shape_string(target.shape())));
    }
    detail::check_class_target(input, target, std::nullopt, loss);
    // [N, d1, ...] -> one-hot [N, d1, ..., C] -> [N, C, d1, ...]
    Dims order{0, input.dim() - 1};
    for (int64_t d = 1; d < input.dim() - 1; ++d) order.push_back(d);
    t = one_hot(target, channels).permute(order).to(input.dtype());
  }
  Tensor p = input.reshape({n, channels, -1});
  t = t.reshape({n, channels, -1});
  const Dims dims = batch ? Dims{0, 2} : Dims{2};
  return {sum(p * t, dims), sum(p, dims), sum(t, dims)};
}

void check_smooth(double smooth, std::string_view loss) {
  if (!(smooth >= 0) || !std::isfinite(smooth)) {
    throw ValueError(fmt::format("{}: smooth must be a finite number >= 0, got {}", loss, smooth));
  }
}

}  // namespace

void DiceLossOptions::validate(std::string_view loss) const {
  check_smooth(smooth, loss);
  detail::check_reduction(reduction, loss);
}

void IoULossOptions::validate(std::string_view loss) const {
  check_smooth(smooth, loss);
  detail::check_reduction(reduction, loss);
}

void TverskyLossOptions::validate(std::string_view loss) const {
  if (!(alpha >= 0) || !std::isfinite(alpha)) {
    throw ValueError(fmt::format("{}: alpha must be a finite number >= 0, got {}", loss, alpha));
  }
  if (!(beta >= 0) || !std::isfinite(beta)) {
    throw ValueError(fmt::format("{}: beta must be a finite number >= 0, got {}", loss, beta));
  }
  check_smooth(smooth, loss);
  detail::check_reduction(reduction, loss);
}

Tensor dice_loss(const Tensor& input, const Tensor& target, const DiceLossOptions& options) {
  options.validate();
  OverlapSums s = overlap_sums(input, target, options.batch, "dice_loss");
  const double smooth = options.smooth;
  Tensor score = (2.0 * s.intersection + smooth) / (s.predicted + s.actual + smooth);
  return detail::reduce(1.0 - score, options.reduction, "dice_loss");
}

Tensor iou_loss(const Tensor& input, const Tensor& target, const IoULossOptions& options) {
  options.validate();
  OverlapSums s = overlap_sums(input, target, options.batch, "iou_loss");
  const double smooth = options.smooth;
  Tensor score = (s.intersection + smooth) / (s.predicted + s.actual - s.intersection + smooth);
  return detail::reduce(1.0 - score, options.reduction, "iou_loss");
}

Tensor tversky_loss(const Tensor& input, const Tensor& target, const TverskyLossOptions& options) {
  options.validate();
  OverlapSums s = overlap_sums(input, target, options.batch, "tversky_loss");
  const double smooth = options.smooth;
  Tensor false_positive = s.predicted - s.intersection;  // sum(p (1 - t))
  Tensor false_negative = s.actual - s.intersection;     // sum((1 - p) t)
  Tensor score = (s.intersection + smooth) / (s.intersection + options.alpha * false_positive +
                                              options.beta * false_negative + smooth);
  return detail::reduce(1.0 - score, options.reduction, "tversky_loss");
}

}  // namespace cajal::nn::functional
