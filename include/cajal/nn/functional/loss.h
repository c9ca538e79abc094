#pragma once
// Loss functions, differentiable in every floating-point argument (first and second order).
// Modules wrapping them are in cajal/nn/loss.h; docs/losses.md is the user guide.
//
// Every loss takes its tensors, then an options struct with PyTorch's field names and defaults;
// `reduction` is always the last field, so designated initializers read in PyTorch's order:
//
//   Tensor loss = cross_entropy(logits, labels, {.weight = w, .label_smoothing = 0.1});
//   Tensor each = huber_loss(prediction, target, {.delta = 0.5, .reduction = Reduction::none});
//
// Conventions shared by all of them:
// - input is floating point (float32 or float64); float targets are converted to the result's
//   dtype, integer class-index targets are int64.
// - Elementwise losses require input and target of the same shape (ShapeError naming the loss
//   and both shapes); unlike PyTorch they do not broadcast, which silently hides bugs such as a
//   [N] prediction against an [N, 1] target.
// - Reduction::none returns the unreduced loss (its shape is given with each loss), sum adds it
//   up, mean averages it (the weighted average where a loss says so). Reduction::batchmean is
//   kl_div's alone (sum divided by the batch size); every other loss refuses it.
// - Option values out of range throw ValueError naming the loss, the option and the value. Each
//   options struct's validate(name) does the checking; the functions call it with their own
//   name, the modules (cajal/nn/loss.h) with theirs when constructed.
#include <cstdint>
#include <string_view>

#include "cajal/core/tensor.h"

namespace cajal::nn::functional {

enum class Reduction { mean, sum, none, batchmean };

// "mean", "sum", "none", "batchmean".
std::string_view reduction_name(Reduction reduction);

// ---- Regression ----------------------------------------------------------------------------
// input, target: any shape, the same for both -> [] (mean, sum) or input's shape (none).

struct MSELossOptions {
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "mse_loss") const;
};
// (input - target)^2
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossOptions& options = {});

struct L1LossOptions {
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "l1_loss") const;
};
// |input - target| (mean absolute error). Gradient sign(input - target), 0 where they are equal.
Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossOptions& options = {});

struct HuberLossOptions {
  double delta = 1.0;  // > 0
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "huber_loss") const;
};
// With d = input - target: 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere.
Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossOptions& options = {});

struct SmoothL1LossOptions {
  double beta = 1.0;  // >= 0; 0 gives l1_loss
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "smooth_l1_loss") const;
};
// 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere: huber_loss / beta.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      const SmoothL1LossOptions& options = {});

struct QuantileLossOptions {
  double quantile = 0.5;  // in (0, 1); 0.5 is half the mean absolute error
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "quantile_loss") const;
};
// Pinball loss (Koenker and Bassett, 1978) of a prediction `input` of the q-th quantile of
// `target`: with e = target - input, max(q e, (q - 1) e). Under-predictions cost q per unit,
// over-predictions 1 - q. At e = 0 the gradient with respect to input is -q.
Tensor quantile_loss(const Tensor& input, const Tensor& target,
                     const QuantileLossOptions& options = {});

struct LogCoshLossOptions {
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "log_cosh_loss") const;
};
// log(cosh(input - target)), computed as |d| + log1p(exp(-2|d|)) - log(2) so that large |d|
// neither overflows nor loses precision. About d^2 / 2 near 0 and |d| - log 2 far away.
Tensor log_cosh_loss(const Tensor& input, const Tensor& target,
                     const LogCoshLossOptions& options = {});

// ---- Classification ------------------------------------------------------------------------
// Layouts, as in PyTorch: input [N, C] (a batch), [N, C, d1, ...] (a score per class at every
// position, e.g. segmentation) or [C] (one sample); class dim 1 (0 for [C]). Class-index
// targets are int64 of the input's shape without the class dim: [N], [N, d1, ...] or [];
// every index is in [0, C) or equals ignore_index (IndexError naming the index otherwise).

struct CrossEntropyLossOptions {
  Tensor weight{};               // [C] rescaling weight per class; undefined: all 1
  int64_t ignore_index = -100;   // targets equal to it add nothing (class-index targets only)
  double label_smoothing = 0.0;  // in [0, 1]
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "cross_entropy") const;
};
// Cross entropy of logits `input` (unnormalized scores) against
// - class indices (int64): loss = -weight[y] log softmax(input)[y]; mean divides the sum by the
//   sum of weight[y] over non-ignored targets (a weighted mean, as PyTorch);
// - class probabilities (float, input's shape): loss = -sum_c weight[c] target[c] log
//   softmax(input)[c]; mean divides by the number of samples (N * d1 * ...).
// label_smoothing e mixes the targets with the uniform distribution: (1 - e) target + e / C.
// Result: [] or, with Reduction::none, the target shape without the class dim (ignored: 0).
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyLossOptions& options = {});

struct NLLLossOptions {
  Tensor weight{};  // [C]
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "nll_loss") const;
};
// Negative log likelihood of log-probabilities `input` (e.g. log_softmax output) at the class
// indices `target`: -weight[y] input[y]; mean is weighted as in cross_entropy.
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options = {});

struct BCELossOptions {
  Tensor weight{};  // broadcasts to input's shape
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "binary_cross_entropy") const;
};
// Binary cross entropy of probabilities `input` (in [0, 1], ValueError otherwise) against
// targets in [0, 1]: -weight (t log(x) + (1 - t) log(1 - x)), each log clamped at -100 as
// PyTorch does, so x = 0 or 1 gives a finite loss. input, target: same shape.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BCELossOptions& options = {});

struct BCEWithLogitsLossOptions {
  Tensor weight{};      // broadcasts to input's shape
  Tensor pos_weight{};  // weight of positive targets, broadcast along the last dim: [C] for [N, C]
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "binary_cross_entropy_with_logits") const;
};
// binary_cross_entropy(sigmoid(input), target) computed from logits without overflow:
// -weight (pos_weight t log sigmoid(x) + (1 - t) log sigmoid(-x)). pos_weight > 1 raises recall
// (for balance, set it to #negatives / #positives of each class).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BCEWithLogitsLossOptions& options = {});

// Focal loss (Lin, Goyal, Girshick, He and Dollar, "Focal Loss for Dense Object Detection",
// 2017): cross entropy scaled by (1 - p_t)^gamma, which down-weights examples the model already
// classifies well so training concentrates on the hard ones.
struct SigmoidFocalLossOptions {
  double alpha = 0.25;  // weight of positives in [0, 1] (negatives get 1 - alpha); < 0: none
  double gamma = 2.0;   // >= 0; 0 gives (alpha-weighted) binary_cross_entropy_with_logits
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "sigmoid_focal_loss") const;
};
// Binary (or multi-label) focal loss from logits, as torchvision.ops.sigmoid_focal_loss (whose
// default reduction is none; ours is mean, like every loss here). input, target: same shape,
// targets in [0, 1]. loss = alpha_t (1 - p_t)^gamma bce_with_logits(x, t), where
// p_t = p t + (1 - p)(1 - t) and alpha_t = alpha t + (1 - alpha)(1 - t).
Tensor sigmoid_focal_loss(const Tensor& input, const Tensor& target,
                          const SigmoidFocalLossOptions& options = {});

struct FocalLossOptions {
  Tensor alpha{};      // [C] weight per class (the paper's alpha_t); undefined: all 1
  double gamma = 2.0;  // >= 0; 0 without alpha gives cross_entropy
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "focal_loss") const;
};
// Multi-class focal loss from logits with class-index targets (cross_entropy's layouts):
// -alpha[y] (1 - p_y)^gamma log p_y with p = softmax(input). mean averages over non-ignored
// targets (alpha weights but does not normalize, following the paper).
Tensor focal_loss(const Tensor& input, const Tensor& target, const FocalLossOptions& options = {});

// ---- Overlap (segmentation) ----------------------------------------------------------------
// Soft overlap losses on probabilities, 1 - score, for binary and multi-class segmentation.
// input: [N, C, d1, ...] probabilities (sigmoid output with C = 1 for a binary mask; softmax
// output over C classes otherwise). The channel dim is required: give a binary mask of shape
// [N, H, W] as [N, 1, H, W].
// target: either the input's shape (masks or soft labels in [0, 1]; any numeric dtype) or int64
// class indices [N, d1, ...] in [0, C), one-hot encoded over the C channels.
// Sums run over d1, ... per sample and channel (and over the batch too when `batch`), giving
// scores of shape [N, C] ([C] with batch); the reduction averages or sums them, none returns
// them. `smooth` is added to numerator and denominator: an empty channel predicted empty scores
// 1, and the gradient stays finite.
struct DiceLossOptions {
  double smooth = 1.0;  // >= 0
  bool batch = false;   // sum over the batch before dividing (one score per channel)
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "dice_loss") const;
};
// 1 - (2 sum(p t) + smooth) / (sum(p) + sum(t) + smooth)   (Sorensen-Dice coefficient)
Tensor dice_loss(const Tensor& input, const Tensor& target, const DiceLossOptions& options = {});

struct IoULossOptions {
  double smooth = 1.0;  // >= 0
  bool batch = false;
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "iou_loss") const;
};
using JaccardLossOptions = IoULossOptions;
// 1 - (sum(p t) + smooth) / (sum(p) + sum(t) - sum(p t) + smooth)   (Jaccard index)
Tensor iou_loss(const Tensor& input, const Tensor& target, const IoULossOptions& options = {});
inline Tensor jaccard_loss(const Tensor& input, const Tensor& target,
                           const JaccardLossOptions& options = {}) {
  return iou_loss(input, target, options);
}

struct TverskyLossOptions {
  double alpha = 0.5;   // >= 0, weight of false positives
  double beta = 0.5;    // >= 0, weight of false negatives
  double smooth = 1.0;  // >= 0
  bool batch = false;
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "tversky_loss") const;
};
// Tversky loss (Salehi, Erdogmus and Gholipour, 2017): with TP = sum(p t), FP = sum(p (1 - t)),
// FN = sum((1 - p) t): 1 - (TP + smooth) / (TP + alpha FP + beta FN + smooth). alpha = beta =
// 0.5 is the Dice loss, alpha = beta = 1 the IoU loss (for smooth = 0); beta > alpha favours
// recall (the paper recommends alpha = 0.3, beta = 0.7 for small lesions).
Tensor tversky_loss(const Tensor& input, const Tensor& target,
                    const TverskyLossOptions& options = {});

// ---- Margin --------------------------------------------------------------------------------

struct HingeLossOptions {
  double margin = 1.0;  // >= 0
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "hinge_loss") const;
};
// Binary hinge loss (support vector machines) of scores `input` against labels in {-1, 1}
// (ValueError for any other value): max(0, margin - target * input). Same shapes.
Tensor hinge_loss(const Tensor& input, const Tensor& target, const HingeLossOptions& options = {});

struct SquaredHingeLossOptions {
  double margin = 1.0;  // >= 0
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "squared_hinge_loss") const;
};
// max(0, margin - target * input)^2, targets in {-1, 1} (Keras' squared_hinge for margin 1).
// Differentiable everywhere, and it punishes large violations more than hinge_loss.
Tensor squared_hinge_loss(const Tensor& input, const Tensor& target,
                          const SquaredHingeLossOptions& options = {});

struct MultiMarginLossOptions {
  int64_t p = 1;  // 1 or 2
  double margin = 1.0;
  Tensor weight{};  // [C], weight of the target class
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "multi_margin_loss") const;
};
// Multi-class hinge loss (Weston and Watkins; as torch.nn.MultiMarginLoss) of scores `input`
// [N, C] or [C] and class indices `target` [N] or [] (int64):
// sum_{j != y} weight[y] max(0, margin - x[y] + x[j])^p / C. Result: [] or, with none, [N] or [].
Tensor multi_margin_loss(const Tensor& input, const Tensor& target,
                         const MultiMarginLossOptions& options = {});

// ---- Losses of three tensors ---------------------------------------------------------------
// A pair of inputs with a label, a triplet, or a Gaussian's mean, sample and variance.

struct MarginRankingLossOptions {
  double margin = 0.0;
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "margin_ranking_loss") const;
};
// Ranks x1 above x2 where target is 1 and below where it is -1:
// max(0, -target (x1 - x2) + margin). x1, x2, target: the same shape.
Tensor margin_ranking_loss(const Tensor& x1, const Tensor& x2, const Tensor& target,
                           const MarginRankingLossOptions& options = {});

struct ContrastiveLossOptions {
  double margin = 1.0;  // > 0
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "contrastive_loss") const;
};
// Pairwise contrastive loss (Hadsell, Chopra and LeCun, "Dimensionality Reduction by Learning an
// Invariant Mapping", 2006) of embeddings x1, x2: [N, D] (or [D]) and labels target: [N] (or []),
// 1 for a similar pair and 0 for a dissimilar one (ValueError for other values). Note the paper
// writes Y = 0 for similar; we follow the common modern convention (1 = similar).
// With d = ||x1 - x2||_2:  loss = 1/2 [target d^2 + (1 - target) max(0, margin - d)^2].
// The 1/2 factor is the paper's, kept so the gradient of a similar pair is exactly x1 - x2;
// drop it (multiply by 2) to compare with implementations that omit it. Result: [] or [N].
Tensor contrastive_loss(const Tensor& x1, const Tensor& x2, const Tensor& target,
                        const ContrastiveLossOptions& options = {});

struct TripletMarginLossOptions {
  double margin = 1.0;  // > 0
  double p = 2.0;       // > 0, the norm of the distance
  double eps = 1e-6;    // added to the difference, as torch.pairwise_distance
  bool swap = false;    // use min(d(a, n), d(p, n)) as the negative distance (Balntas et al. 2016)
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "triplet_margin_loss") const;
};
// max(0, margin + d(anchor, positive) - d(anchor, negative)) with d(x, y) = ||x - y + eps||_p
// over the last dim. anchor, positive, negative: [N, D] or [D], the same shape -> [] or [N].
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                           const TripletMarginLossOptions& options = {});

struct CosineEmbeddingLossOptions {
  double margin = 0.0;  // in [-1, 1]
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "cosine_embedding_loss") const;
};
// With c = cos(x1, x2) over the last dim: 1 - c where target is 1, max(0, c - margin) where it
// is -1 (ValueError for other values). x1, x2: [N, D] or [D]; target [N] or [] -> [] or [N].
Tensor cosine_embedding_loss(const Tensor& x1, const Tensor& x2, const Tensor& target,
                             const CosineEmbeddingLossOptions& options = {});

// ---- Distributions -------------------------------------------------------------------------

struct KLDivLossOptions {
  // mean averages over every element (PyTorch's default, which is not the KL divergence);
  // batchmean divides the sum by the batch size (input.size(0)), the true mean KL per sample.
  Reduction reduction = Reduction::mean;
  bool log_target = false;  // target given as log-probabilities
  void validate(std::string_view loss = "kl_div") const;
};
// Kullback-Leibler divergence KL(target || exp(input)) of log-probabilities `input` from the
// distribution `target`, elementwise: target (log(target) - input), 0 where target is 0 (or
// exp(target) (target - input) with log_target). input, target: the same shape.
Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivLossOptions& options = {});

struct PoissonNLLLossOptions {
  bool log_input = true;  // input is log(rate): exp(input) - target input
  bool full = false;      // add Stirling's approximation of log(target!) where target > 1
  double eps = 1e-8;      // >= 0; without log_input: input - target log(input + eps)
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "poisson_nll_loss") const;
};
// Negative log likelihood of counts `target` under Poisson rates given by `input` (same shape).
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target,
                        const PoissonNLLLossOptions& options = {});

struct GaussianNLLLossOptions {
  bool full = false;  // add the constant 0.5 log(2 pi)
  double eps = 1e-6;  // > 0; var is clamped to at least eps (the gradient passes unchanged)
  Reduction reduction = Reduction::mean;
  void validate(std::string_view loss = "gaussian_nll_loss") const;
};
// Negative log likelihood of `target` under Gaussians of mean `input` and variance `var`:
// 0.5 (log(var) + (input - target)^2 / var). input, target: the same shape [..., D]; var: the
// same shape (one variance per element), [..., 1] or [...] (one variance per row, shared by the
// last dim), as PyTorch. var must be >= 0 (ValueError naming a negative entry).
Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var,
                         const GaussianNLLLossOptions& options = {});

}  // namespace cajal::nn::functional
