// Margin losses: hinge, squared hinge, multi-class margin, margin ranking, contrastive, triplet
// margin, cosine embedding.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "cajal/nn/functional/loss.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/indexing.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"
#include "loss_internal.h"

namespace cajal::nn::functional {
namespace {

void check_finite(double value, std::string_view loss, std::string_view option) {
  if (!std::isfinite(value)) {
    throw ValueError(fmt::format("{}: {} must be a finite number, got {}", loss, option, value));
  }
}

void check_non_negative(double value, std::string_view loss, std::string_view option) {
  if (!(value >= 0) || !std::isfinite(value)) {
    throw ValueError(
        fmt::format("{}: {} must be a finite number >= 0, got {}", loss, option, value));
  }
}

void check_positive(double value, std::string_view loss, std::string_view option) {
  if (!(value > 0) || !std::isfinite(value)) {
    throw ValueError(
        fmt::format("{}: {} must be a finite number > 0, got {}", loss, option, value));
  }
}

// margin - target * input for labels in {-1, 1}.
Tensor signed_margin(const Tensor& input, const Tensor& target, double margin,
                     std::string_view loss) {
  detail::check_input_and_target(input, target, loss);
  detail::check_label_values(target, -1, 1, loss);
  return margin - detail::as_floating(target, input) * input;
}

// Embedding pairs (or triplets): [N, D] or [D], all of the same shape. Returns the label shape
// ([N] or []).
Shape check_embeddings(const std::vector<const Tensor*>& tensors,
                       const std::vector<std::string_view>& names, std::string_view loss) {
  const Tensor& first = *tensors[0];
  detail::check_floating(first, loss, names[0]);
  if (first.dim() != 1 && first.dim() != 2) {
    throw ShapeError(fmt::format("{}: {} must be [N, D] or [D] embeddings, got {}", loss, names[0],
                                 shape_string(first.shape())));
  }
  for (size_t i = 1; i < tensors.size(); ++i) {
    detail::check_floating(*tensors[i], loss, names[i]);
    detail::check_same_shape(first, *tensors[i], loss, names[0], names[i]);
  }
  Shape label_shape = first.shape();
  label_shape.pop_back();
  return label_shape;
}

void check_label_shape(const Tensor& target, const Shape& expected, const Tensor& x1,
                       std::string_view loss) {
  if (!target.defined()) throw ValueError(fmt::format("{}: target is an undefined tensor", loss));
  if (target.shape() != expected) {
    throw ShapeError(fmt::format("{}: embeddings {} need a target of shape {}, got {}", loss,
                                 shape_string(x1.shape()), shape_string(expected),
                                 shape_string(target.shape())));
  }
}

// ||a - b + eps||_p over the last dim, as torch.pairwise_distance.
Tensor pairwise_distance(const Tensor& a, const Tensor& b, double p, double eps) {
  Tensor difference = a - b + eps;
  if (p == 1 || p == 2 || std::isinf(p)) return norm(difference, p, {-1});
  return pow(sum(pow(abs(difference), p), {-1}), 1.0 / p);
}

}  // namespace

void HingeLossOptions::validate(std::string_view loss) const {
  check_non_negative(margin, loss, "margin");
  detail::check_reduction(reduction, loss);
}

void SquaredHingeLossOptions::validate(std::string_view loss) const {
  check_non_negative(margin, loss, "margin");
  detail::check_reduction(reduction, loss);
}

void MultiMarginLossOptions::validate(std::string_view loss) const {
  if (p != 1 && p != 2) throw ValueError(fmt::format("{}: p must be 1 or 2, got {}", loss, p));
  check_finite(margin, loss, "margin");
  detail::check_class_weight_option(weight, loss, "weight");
  detail::check_reduction(reduction, loss);
}

void MarginRankingLossOptions::validate(std::string_view loss) const {
  check_finite(margin, loss, "margin");
  detail::check_reduction(reduction, loss);
}

void ContrastiveLossOptions::validate(std::string_view loss) const {
  check_positive(margin, loss, "margin");
  detail::check_reduction(reduction, loss);
}

void TripletMarginLossOptions::validate(std::string_view loss) const {
  check_positive(margin, loss, "margin");
  if (!(p > 0) || std::isnan(p)) {
    throw ValueError(fmt::format("{}: p must be > 0, got {}", loss, p));
  }
  check_non_negative(eps, loss, "eps");
  detail::check_reduction(reduction, loss);
}

void CosineEmbeddingLossOptions::validate(std::string_view loss) const {
  if (!(margin >= -1 && margin <= 1)) {
    throw ValueError(fmt::format("{}: margin must be in [-1, 1], got {}", loss, margin));
  }
  detail::check_reduction(reduction, loss);
}

Tensor hinge_loss(const Tensor& input, const Tensor& target, const HingeLossOptions& options) {
  options.validate();
  Tensor loss = relu(signed_margin(input, target, options.margin, "hinge_loss"));
  return detail::reduce(loss, options.reduction, "hinge_loss");
}

Tensor squared_hinge_loss(const Tensor& input, const Tensor& target,
                          const SquaredHingeLossOptions& options) {
  options.validate();
  Tensor loss = square(relu(signed_margin(input, target, options.margin, "squared_hinge_loss")));
  return detail::reduce(loss, options.reduction, "squared_hinge_loss");
}

Tensor multi_margin_loss(const Tensor& input, const Tensor& target,
                         const MultiMarginLossOptions& options) {
  constexpr std::string_view kName = "multi_margin_loss";
  options.validate();
  detail::check_floating(input, kName, "input");
  if (input.dim() != 1 && input.dim() != 2) {
    throw ShapeError(fmt::format("{}: input must be [N, C] or [C] scores, got {}", kName,
                                 shape_string(input.shape())));
  }
  const int64_t classes = input.size(-1);
  detail::check_class_weight(options.weight, classes, kName, "weight");
  detail::check_class_target(input, target, std::nullopt, kName);
  const bool single = input.dim() == 1;
  Tensor x = single ? input.unsqueeze(0) : input;          // [N, C]
  Tensor y = single ? target.unsqueeze(0) : target;        // [N]
  Tensor x_target = gather(x, 1, y.unsqueeze(1));          // [N, 1]
  Tensor violation = relu(options.margin - x_target + x);  // [N, C]
  if (options.p == 2) violation = square(violation);
  if (options.weight.defined()) {
    violation = violation * index_select(options.weight.to(input.dtype()), 0, y).unsqueeze(1);
  }
  Tensor other_classes = 1.0 - one_hot(y, classes).to(input.dtype());
  Tensor loss = sum(violation * other_classes, {1}) / static_cast<double>(classes);
  if (single) loss = loss.squeeze(0);
  return detail::reduce(loss, options.reduction, kName);
}

Tensor margin_ranking_loss(const Tensor& x1, const Tensor& x2, const Tensor& target,
                           const MarginRankingLossOptions& options) {
  constexpr std::string_view kName = "margin_ranking_loss";
  options.validate();
  detail::check_floating(x1, kName, "x1");
  detail::check_floating(x2, kName, "x2");
  detail::check_same_shape(x1, x2, kName, "x1", "x2");
  detail::check_same_shape(x1, target, kName, "x1", "target");
  Tensor loss = relu(options.margin - detail::as_floating(target, x1) * (x1 - x2));
  return detail::reduce(loss, options.reduction, kName);
}

Tensor contrastive_loss(const Tensor& x1, const Tensor& x2, const Tensor& target,
                        const ContrastiveLossOptions& options) {
  constexpr std::string_view kName = "contrastive_loss";
  options.validate();
  Shape label_shape = check_embeddings({&x1, &x2}, {"x1", "x2"}, kName);
  check_label_shape(target, label_shape, x1, kName);
  detail::check_label_values(target, 0, 1, kName);
  Tensor similar = detail::as_floating(target, x1).to(x1.dtype());
  Tensor difference = x1 - x2;
  // d^2 directly (smooth everywhere); d through the norm, whose gradient at 0 is 0.
  Tensor squared_distance = sum(square(difference), {-1});
  Tensor distance = norm(difference, 2, {-1});
  Tensor loss = 0.5 * (similar * squared_distance +
                       (1.0 - similar) * square(relu(options.margin - distance)));
  return detail::reduce(loss, options.reduction, kName);
}

Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                           const TripletMarginLossOptions& options) {
  constexpr std::string_view kName = "triplet_margin_loss";
  options.validate();
  check_embeddings({&anchor, &positive, &negative}, {"anchor", "positive", "negative"}, kName);
  Tensor positive_distance = pairwise_distance(anchor, positive, options.p, options.eps);
  Tensor negative_distance = pairwise_distance(anchor, negative, options.p, options.eps);
  if (options.swap) {
    negative_distance =
        minimum(negative_distance, pairwise_distance(positive, negative, options.p, options.eps));
  }
  Tensor loss = clamp_min(options.margin + positive_distance - negative_distance, 0.0);
  return detail::reduce(loss, options.reduction, kName);
}

Tensor cosine_embedding_loss(const Tensor& x1, const Tensor& x2, const Tensor& target,
                             const CosineEmbeddingLossOptions& options) {
  constexpr std::string_view kName = "cosine_embedding_loss";
  options.validate();
  Shape label_shape = check_embeddings({&x1, &x2}, {"x1", "x2"}, kName);
  check_label_shape(target, label_shape, x1, kName);
  detail::check_label_values(target, -1, 1, kName);
  // PyTorch's guard against zero vectors: 1e-12 added to each squared norm.
  constexpr double kEpsilon = 1e-12;
  Tensor dot = sum(x1 * x2, {-1});
  Tensor squared_norms = (sum(square(x1), {-1}) + kEpsilon) * (sum(square(x2), {-1}) + kEpsilon);
  Tensor cosine = dot / sqrt(squared_norms);
  Tensor loss = where(target == 1, 1.0 - cosine, clamp_min(cosine - options.margin, 0.0));
  return detail::reduce(loss, options.reduction, kName);
}

}  // namespace cajal::nn::functional
