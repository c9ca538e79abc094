// Classification losses: cross_entropy, nll, binary cross entropy (from probabilities and from
// logits), focal (binary and multi-class).
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "cajal/autograd/grad_mode.h"
#include "cajal/autograd/node.h"
#include "cajal/core/creation.h"
#include "cajal/kernels/cross_entropy.h"
#include "cajal/nn/functional/loss.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"
#include "cajal/ops/view.h"
#include "loss_internal.h"

namespace cajal::nn::functional {
namespace {

constexpr std::string_view kCrossEntropy = "cross_entropy";
constexpr std::string_view kNLL = "nll_loss";
constexpr std::string_view kBCE = "binary_cross_entropy";
constexpr std::string_view kBCEWithLogits = "binary_cross_entropy_with_logits";
constexpr std::string_view kSigmoidFocal = "sigmoid_focal_loss";
constexpr std::string_view kFocal = "focal_loss";

// ShapeError unless `option` broadcasts to the input's shape without changing it.
void check_broadcasts_to(const Tensor& option_tensor, const Tensor& input, std::string_view loss,
                         std::string_view option) {
  if (!option_tensor.defined()) return;
  detail::check_floating(option_tensor, loss, option);
  Shape joint;
  try {
    joint = broadcast_shapes(option_tensor.shape(), input.shape(), loss);
  } catch (const ShapeError&) {
    joint.clear();
  }
  if (joint != input.shape()) {
    throw ShapeError(fmt::format("{}: {} of shape {} does not broadcast to input {}", loss, option,
                                 shape_string(option_tensor.shape()), shape_string(input.shape())));
  }
}

// Reduces per-target losses whose mean is weighted: sum(loss) / sum(weight).
Tensor reduce_weighted(const Tensor& loss, const Tensor& weight, Reduction reduction) {
  switch (reduction) {
    case Reduction::mean:
      return sum(loss) / sum(weight);
    case Reduction::sum:
      return sum(loss);
    default:
      return loss;
  }
}

void check_label_smoothing(double label_smoothing, std::string_view loss) {
  if (!(label_smoothing >= 0 && label_smoothing <= 1)) {
    throw ValueError(
        fmt::format("{}: label_smoothing must be in [0, 1], got {}", loss, label_smoothing));
  }
}

// Elementwise -(t log(x) + (1 - t) log(1 - x)) with each log clamped at -100 (PyTorch's rule, so
// that x = 0 or 1 stays finite). The gradient with respect to x is PyTorch's
// (x - t) / max(x (1 - x), 1e-12), finite at 0 and 1 where the clamped logs have none.
Tensor binary_cross_entropy_elementwise(const Tensor& x, const Tensor& t) {
  Tensor value;
  {
    no_grad guard;
    Tensor log_x = clamp_min(log(x), -100.0);
    Tensor log_one_minus_x = clamp_min(log1p(-x), -100.0);
    value = -(t * log_x + (1.0 - t) * log_one_minus_x);
  }
  return autograd::record("binary_cross_entropy", value, {x, t}, [x, t](const Tensor& dy) {
    Tensor grad_x = dy * (x - t) / clamp_min(x * (1.0 - x), 1e-12);
    Tensor grad_t = dy * (clamp_min(log1p(-x), -100.0) - clamp_min(log(x), -100.0));
    return autograd::grads{grad_x, grad_t};
  });
}

// Elementwise binary cross entropy from logits: (1 - t) x - (1 + (pos_weight - 1) t) log
// sigmoid(x), which is -(pos_weight t log sigmoid(x) + (1 - t) log sigmoid(-x)) without
// overflow for large |x|.
Tensor logits_cross_entropy_elementwise(const Tensor& x, const Tensor& t,
                                        const Tensor& pos_weight) {
  Tensor log_p = log_sigmoid(x);
  if (!pos_weight.defined()) return (1.0 - t) * x - log_p;
  return (1.0 - t) * x - (1.0 + (pos_weight.to(x.dtype()) - 1.0) * t) * log_p;
}

// cross_entropy's gradient with respect to input [N, C] (class-index target [N]) written with
// differentiable ops, for backward under create_graph (see kernels/cross_entropy.h for the
// formula). `class_weight`: [C] in input's dtype or undefined.
Tensor cross_entropy_composite_backward(const Tensor& dy, const Tensor& input, const Tensor& target,
                                        const Tensor& class_weight,
                                        const kernels::CrossEntropyArgs& args, double weight_sum) {
  const int64_t rows = input.size(0);
  const int64_t classes = input.size(1);
  // Constants of the targets: one-hot rows, each row's weight and validity.
  Tensor one_hot = zeros({rows, classes}, {.dtype = Dtype::float64});
  Tensor row_weight = zeros({rows, 1}, {.dtype = Dtype::float64});
  Tensor valid = zeros({rows, 1}, {.dtype = Dtype::float64});
  const Tensor w64 = class_weight.defined() ? class_weight.detach().to(Dtype::float64).contiguous()
                                            : ones({classes}, {.dtype = Dtype::float64});
  const Tensor t = target.contiguous();
  const int64_t* tp = t.data_ptr<int64_t>();
  const double* wp = w64.data_ptr<double>();
  double* hot = one_hot.data_ptr<double>();
  double* rw = row_weight.data_ptr<double>();
  double* vp = valid.data_ptr<double>();
  for (int64_t i = 0; i < rows; ++i) {
    if (tp[i] == args.ignore_index) continue;
    hot[i * classes + tp[i]] = 1;
    rw[i] = wp[tp[i]];
    vp[i] = 1;
  }
  const Dtype dtype = input.dtype();
  Tensor g = args.reduction == kernels::CrossEntropyReduction::none ? reshape(dy, {rows, 1}) : dy;
  if (args.reduction == kernels::CrossEntropyReduction::mean) g = g / weight_sum;
  Tensor p = softmax(input, 1);
  const double e = args.label_smoothing;
  Tensor d = (p - one_hot.to(dtype)) * row_weight.to(dtype);
  if (e != 0) {
    const double weight_total = sum(w64).item<double>();
    Tensor uniform = (p * weight_total - reshape(w64, {1, classes}).to(dtype)) * valid.to(dtype);
    d = d * (1 - e) + uniform * (e / classes);
  }
  return d * g;
}

// cross_entropy on the fused kernels: input [N, C], class-index target [N]. One node; its
// backward runs the fused kernel, or under create_graph the composite backward above.
Tensor fused_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& class_weight,
                           const CrossEntropyLossOptions& options) {
  kernels::CrossEntropyArgs args;
  args.weight = class_weight;
  args.ignore_index = options.ignore_index;
  args.label_smoothing = options.label_smoothing;
  args.reduction = options.reduction == Reduction::none  ? kernels::CrossEntropyReduction::none
                   : options.reduction == Reduction::sum ? kernels::CrossEntropyReduction::sum
                                                         : kernels::CrossEntropyReduction::mean;
  auto forward = std::make_shared<kernels::CrossEntropyForward>(
      kernels::cross_entropy_forward(input.detach(), target, args));
  Tensor loss = forward->loss;
  return autograd::record("cross_entropy", loss, {input},
                          [input, target, args, forward](const Tensor& dy) -> autograd::grads {
                            if (is_grad_enabled()) {
                              return autograd::grads{cross_entropy_composite_backward(
                                  dy, input, target, args.weight, args, forward->weight_sum)};
                            }
                            return autograd::grads{kernels::cross_entropy_backward(
                                dy, input.detach(), target, *forward, args)};
                          });
}

}  // namespace

void CrossEntropyLossOptions::validate(std::string_view loss) const {
  detail::check_class_weight_option(weight, loss, "weight");
  check_label_smoothing(label_smoothing, loss);
  detail::check_reduction(reduction, loss);
}

void NLLLossOptions::validate(std::string_view loss) const {
  detail::check_class_weight_option(weight, loss, "weight");
  detail::check_reduction(reduction, loss);
}

void BCELossOptions::validate(std::string_view loss) const {
  if (weight.defined()) detail::check_floating(weight, loss, "weight");
  detail::check_reduction(reduction, loss);
}

void BCEWithLogitsLossOptions::validate(std::string_view loss) const {
  if (weight.defined()) detail::check_floating(weight, loss, "weight");
  if (pos_weight.defined()) detail::check_floating(pos_weight, loss, "pos_weight");
  detail::check_reduction(reduction, loss);
}

void SigmoidFocalLossOptions::validate(std::string_view loss) const {
  if (!(alpha <= 1) || std::isnan(alpha)) {
    throw ValueError(
        fmt::format("{}: alpha must be in [0, 1] (or negative to disable), got {}", loss, alpha));
  }
  if (!(gamma >= 0) || !std::isfinite(gamma)) {
    throw ValueError(fmt::format("{}: gamma must be a finite number >= 0, got {}", loss, gamma));
  }
  detail::check_reduction(reduction, loss);
}

void FocalLossOptions::validate(std::string_view loss) const {
  detail::check_class_weight_option(alpha, loss, "alpha");
  if (!(gamma >= 0) || !std::isfinite(gamma)) {
    throw ValueError(fmt::format("{}: gamma must be a finite number >= 0, got {}", loss, gamma));
  }
  detail::check_reduction(reduction, loss);
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options) {
  options.validate();
  detail::check_floating(input, kNLL, "input");
  const int64_t dim = detail::class_dim(input, kNLL);
  detail::check_class_weight(options.weight, input.size(dim), kNLL, "weight");
  detail::check_class_target(input, target, options.ignore_index, kNLL);
  detail::PickedClasses picked =
      detail::pick_classes(input, target, options.weight, options.ignore_index);
  return reduce_weighted(-picked.log_probability * picked.weight, picked.weight, options.reduction);
}

Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyLossOptions& options) {
  options.validate();
  detail::check_floating(input, kCrossEntropy, "input");
  const int64_t dim = detail::class_dim(input, kCrossEntropy);
  const int64_t classes = input.size(dim);
  detail::check_class_weight(options.weight, classes, kCrossEntropy, "weight");
  const double smoothing = options.label_smoothing;
  const bool class_indices = target.defined() && !target.is_floating_point();
  if (class_indices && options.reduction != Reduction::batchmean &&
      !(options.weight.defined() && options.weight.requires_grad())) {
    Tensor fused_weight;
    if (options.weight.defined()) fused_weight = options.weight.detach().to(input.dtype());
    if (kernels::cross_entropy_fusable(input, target, fused_weight)) {
      detail::check_class_target(input, target, options.ignore_index, kCrossEntropy);
      return fused_cross_entropy(input, target,
                                 fused_weight.defined() ? fused_weight.contiguous() : fused_weight,
                                 options);
    }
  }
  Tensor log_p = log_softmax(input, dim);
  Tensor class_weight;
  if (options.weight.defined()) {
    class_weight =
        options.weight.to(input.dtype()).reshape(detail::class_broadcast_shape(input, classes));
  }

  if (target.defined() && target.is_floating_point() && target.shape() == input.shape()) {
    // Class probabilities, mixed with the uniform distribution by label smoothing.
    Tensor probabilities = target.to(input.dtype());
    if (smoothing > 0) probabilities = probabilities * (1.0 - smoothing) + smoothing / classes;
    Tensor terms = log_p * probabilities;
    if (class_weight.defined()) terms = terms * class_weight;
    return detail::reduce(-sum(terms, {dim}), options.reduction, kCrossEntropy);
  }

  detail::check_class_target(input, target, options.ignore_index, kCrossEntropy);
  detail::PickedClasses picked =
      detail::pick_classes(log_p, target, options.weight, options.ignore_index);
  Tensor nll =
      reduce_weighted(-picked.log_probability * picked.weight, picked.weight, options.reduction);
  if (smoothing == 0) return nll;
  // The uniform part: -sum_c weight[c] log p[c] per target (0 where ignored), normalized by the
  // same weight sum as the nll part, as PyTorch does.
  Tensor all_classes = class_weight.defined() ? log_p * class_weight : log_p;
  Tensor uniform = -sum(all_classes, {dim}) * picked.valid;
  Tensor uniform_reduced = reduce_weighted(uniform, picked.weight, options.reduction);
  return (1.0 - smoothing) * nll + (smoothing / classes) * uniform_reduced;
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BCELossOptions& options) {
  options.validate();
  detail::check_input_and_target(input, target, kBCE);
  check_broadcasts_to(options.weight, input, kBCE, "weight");
  if (input.numel() > 0) {
    no_grad guard;
    const double low = min(input.detach()).item();
    const double high = max(input.detach()).item();
    if (!(low >= 0 && high <= 1)) {
      throw ValueError(fmt::format(
          "{}: input must hold probabilities in [0, 1], got values in [{}, {}] (for logits use "
          "binary_cross_entropy_with_logits)",
          kBCE, low, high));
    }
  }
  Tensor loss = binary_cross_entropy_elementwise(input, detail::as_floating(target, input));
  if (options.weight.defined()) loss = loss * options.weight.to(input.dtype());
  return detail::reduce(loss, options.reduction, kBCE);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BCEWithLogitsLossOptions& options) {
  options.validate();
  detail::check_input_and_target(input, target, kBCEWithLogits);
  check_broadcasts_to(options.weight, input, kBCEWithLogits, "weight");
  check_broadcasts_to(options.pos_weight, input, kBCEWithLogits, "pos_weight");
  Tensor loss = logits_cross_entropy_elementwise(input, detail::as_floating(target, input),
                                                 options.pos_weight);
  if (options.weight.defined()) loss = loss * options.weight.to(input.dtype());
  return detail::reduce(loss, options.reduction, kBCEWithLogits);
}

Tensor sigmoid_focal_loss(const Tensor& input, const Tensor& target,
                          const SigmoidFocalLossOptions& options) {
  options.validate();
  detail::check_input_and_target(input, target, kSigmoidFocal);
  Tensor t = detail::as_floating(target, input);
  Tensor loss = logits_cross_entropy_elementwise(input, t, Tensor());
  if (options.gamma != 0) {
    // 1 - p_t = p (1 - t) + (1 - p) t, with 1 - p written as sigmoid(-x): no cancellation when
    // p is close to 1.
    Tensor one_minus_p_t = sigmoid(input) * (1.0 - t) + sigmoid(-input) * t;
    loss = loss * pow(one_minus_p_t, options.gamma);
  }
  if (options.alpha >= 0) {
    loss = loss * (options.alpha * t + (1.0 - options.alpha) * (1.0 - t));
  }
  return detail::reduce(loss, options.reduction, kSigmoidFocal);
}

Tensor focal_loss(const Tensor& input, const Tensor& target, const FocalLossOptions& options) {
  options.validate();
  detail::check_floating(input, kFocal, "input");
  const int64_t dim = detail::class_dim(input, kFocal);
  detail::check_class_weight(options.alpha, input.size(dim), kFocal, "alpha");
  detail::check_class_target(input, target, options.ignore_index, kFocal);
  detail::PickedClasses picked =
      detail::pick_classes(log_softmax(input, dim), target, options.alpha, options.ignore_index);
  Tensor loss = -picked.log_probability * picked.weight;
  if (options.gamma != 0) {
    // 1 - p = -expm1(log p): accurate when p is close to 1, where the factor matters most.
    loss = loss * pow(-expm1(picked.log_probability), options.gamma);
  }
  return reduce_weighted(loss, picked.valid, options.reduction);
}

}  // namespace cajal::nn::functional
