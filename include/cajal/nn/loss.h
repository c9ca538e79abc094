#pragma once
// Loss modules: each wraps a function of cajal/nn/functional/loss.h with the same options struct
// (formulas, shapes and defaults are documented there and in docs/losses.md).
//
//   nn::CrossEntropyLoss criterion({.label_smoothing = 0.1});
//   Tensor loss = criterion(logits, labels);   // logits [N, C], labels int64 [N]
//   loss.backward();
//
// Two kinds of loss module:
// - nn::Loss: a loss of (input, target), the pair a training loop has. Every such module derives
//   from it, so a loop can hold any of them as `nn::Loss&` and call loss(output, target).
// - Losses of three tensors (MarginRankingLoss, ContrastiveLoss and CosineEmbeddingLoss take
//   (x1, x2, target), TripletMarginLoss (anchor, positive, negative), GaussianNLLLoss (input,
//   target, var)) derive from ThreeTensorLoss, a Module with a three-argument forward and
//   operator(). They are not nn::Loss: a loop written for (input, target) cannot call them by
//   mistake with two tensors.
//
// Class-weight tensors (weight, pos_weight, alpha) are registered as buffers, as in PyTorch: they
// appear in state_dict() and follow Module::to(dtype).
#include <string>
#include <utility>

#include "cajal/nn/functional/loss.h"
#include "cajal/nn/module.h"

namespace cajal::nn {

using functional::Reduction;

using functional::BCELossOptions;
using functional::BCEWithLogitsLossOptions;
using functional::ContrastiveLossOptions;
using functional::CosineEmbeddingLossOptions;
using functional::CrossEntropyLossOptions;
using functional::DiceLossOptions;
using functional::FocalLossOptions;
using functional::GaussianNLLLossOptions;
using functional::HingeLossOptions;
using functional::HuberLossOptions;
using functional::IoULossOptions;
using functional::JaccardLossOptions;
using functional::KLDivLossOptions;
using functional::L1LossOptions;
using functional::LogCoshLossOptions;
using functional::MarginRankingLossOptions;
using functional::MSELossOptions;
using functional::MultiMarginLossOptions;
using functional::NLLLossOptions;
using functional::PoissonNLLLossOptions;
using functional::QuantileLossOptions;
using functional::SigmoidFocalLossOptions;
using functional::SmoothL1LossOptions;
using functional::SquaredHingeLossOptions;
using functional::TripletMarginLossOptions;
using functional::TverskyLossOptions;

// A loss of (input, target) -> a tensor ([] unless the reduction is none).
class Loss : public Module {
 public:
  // The one-tensor forms of Module, which throw ValueError naming the loss.
  using Module::forward;
  using Module::operator();
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }

 protected:
  using Module::Module;
};

namespace detail {
// The options as extra_repr prints them: "delta=1.0, reduction=mean".
std::string describe(const MSELossOptions& options);
std::string describe(const L1LossOptions& options);
std::string describe(const HuberLossOptions& options);
std::string describe(const SmoothL1LossOptions& options);
std::string describe(const QuantileLossOptions& options);
std::string describe(const LogCoshLossOptions& options);
std::string describe(const CrossEntropyLossOptions& options);
std::string describe(const NLLLossOptions& options);
std::string describe(const BCELossOptions& options);
std::string describe(const BCEWithLogitsLossOptions& options);
std::string describe(const SigmoidFocalLossOptions& options);
std::string describe(const FocalLossOptions& options);
std::string describe(const DiceLossOptions& options);
std::string describe(const IoULossOptions& options);
std::string describe(const TverskyLossOptions& options);
std::string describe(const HingeLossOptions& options);
std::string describe(const SquaredHingeLossOptions& options);
std::string describe(const MultiMarginLossOptions& options);
std::string describe(const KLDivLossOptions& options);
std::string describe(const PoissonNLLLossOptions& options);
std::string describe(const MarginRankingLossOptions& options);
std::string describe(const ContrastiveLossOptions& options);
std::string describe(const TripletMarginLossOptions& options);
std::string describe(const CosineEmbeddingLossOptions& options);
std::string describe(const GaussianNLLLossOptions& options);
}  // namespace detail

// The shared body of the (input, target) loss modules: validates the options at construction
// (ValueError naming the module, the option and its value) and forwards to `Function`.
template <typename Options, Tensor (*Function)(const Tensor&, const Tensor&, const Options&)>
class FunctionalLoss : public Loss {
 public:
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return Function(input, target, options_);
  }
  std::string extra_repr() const override { return detail::describe(options_); }
  const Options& options() const { return options_; }

 protected:
  FunctionalLoss(std::string type_name, Options options)
      : Loss(std::move(type_name)), options_(std::move(options)) {
    options_.validate(this->type_name());
  }
  // Registers a class-weight option as a buffer (when given) and keeps the buffer's handle.
  void register_weight(const std::string& name, Tensor& option) {
    if (option.defined()) option = register_buffer(name, option);
  }

  Options options_;
};

// The shared body of the losses of three tensors: validates the options at construction, like
// FunctionalLoss, and forwards the three tensors to `Function`. A Module, not an nn::Loss.
template <typename Options,
          Tensor (*Function)(const Tensor&, const Tensor&, const Tensor&, const Options&)>
class ThreeTensorLoss : public Module {
 public:
  // The one-tensor forms of Module, which throw ValueError naming the loss.
  using Module::forward;
  using Module::operator();
  // The tensors in the order the concrete loss documents.
  Tensor forward(const Tensor& first, const Tensor& second, const Tensor& third) {
    return Function(first, second, third, options_);
  }
  Tensor operator()(const Tensor& first, const Tensor& second, const Tensor& third) {
    return forward(first, second, third);
  }
  std::string extra_repr() const override { return detail::describe(options_); }
  const Options& options() const { return options_; }

 protected:
  ThreeTensorLoss(std::string type_name, Options options)
      : Module(std::move(type_name)), options_(std::move(options)) {
    options_.validate(this->type_name());
  }

  Options options_;
};

// ---- Regression ----------------------------------------------------------------------------

class MSELoss : public FunctionalLoss<MSELossOptions, functional::mse_loss> {
 public:
  explicit MSELoss(MSELossOptions options = {});
};

class L1Loss : public FunctionalLoss<L1LossOptions, functional::l1_loss> {
 public:
  explicit L1Loss(L1LossOptions options = {});
};

class HuberLoss : public FunctionalLoss<HuberLossOptions, functional::huber_loss> {
 public:
  explicit HuberLoss(HuberLossOptions options = {});
};

class SmoothL1Loss : public FunctionalLoss<SmoothL1LossOptions, functional::smooth_l1_loss> {
 public:
  explicit SmoothL1Loss(SmoothL1LossOptions options = {});
};

class QuantileLoss : public FunctionalLoss<QuantileLossOptions, functional::quantile_loss> {
 public:
  explicit QuantileLoss(QuantileLossOptions options = {});
};

class LogCoshLoss : public FunctionalLoss<LogCoshLossOptions, functional::log_cosh_loss> {
 public:
  explicit LogCoshLoss(LogCoshLossOptions options = {});
};

// ---- Classification ------------------------------------------------------------------------

class CrossEntropyLoss : public FunctionalLoss<CrossEntropyLossOptions, functional::cross_entropy> {
 public:
  explicit CrossEntropyLoss(CrossEntropyLossOptions options = {});
};

class NLLLoss : public FunctionalLoss<NLLLossOptions, functional::nll_loss> {
 public:
  explicit NLLLoss(NLLLossOptions options = {});
};

class BCELoss : public FunctionalLoss<BCELossOptions, functional::binary_cross_entropy> {
 public:
  explicit BCELoss(BCELossOptions options = {});
};

class BCEWithLogitsLoss : public FunctionalLoss<BCEWithLogitsLossOptions,
                                                functional::binary_cross_entropy_with_logits> {
 public:
  explicit BCEWithLogitsLoss(BCEWithLogitsLossOptions options = {});
};

// Multi-class focal loss from logits with class-index targets (functional::focal_loss).
class FocalLoss : public FunctionalLoss<FocalLossOptions, functional::focal_loss> {
 public:
  explicit FocalLoss(FocalLossOptions options = {});
};

// Binary / multi-label focal loss from logits (functional::sigmoid_focal_loss).
class SigmoidFocalLoss
    : public FunctionalLoss<SigmoidFocalLossOptions, functional::sigmoid_focal_loss> {
 public:
  explicit SigmoidFocalLoss(SigmoidFocalLossOptions options = {});
};

// ---- Overlap (segmentation) ----------------------------------------------------------------

class DiceLoss : public FunctionalLoss<DiceLossOptions, functional::dice_loss> {
 public:
  explicit DiceLoss(DiceLossOptions options = {});
};

class IoULoss : public FunctionalLoss<IoULossOptions, functional::iou_loss> {
 public:
  explicit IoULoss(IoULossOptions options = {});
};
using JaccardLoss = IoULoss;

class TverskyLoss : public FunctionalLoss<TverskyLossOptions, functional::tversky_loss> {
 public:
  explicit TverskyLoss(TverskyLossOptions options = {});
};

// ---- Margin --------------------------------------------------------------------------------

class HingeLoss : public FunctionalLoss<HingeLossOptions, functional::hinge_loss> {
 public:
  explicit HingeLoss(HingeLossOptions options = {});
};

class SquaredHingeLoss
    : public FunctionalLoss<SquaredHingeLossOptions, functional::squared_hinge_loss> {
 public:
  explicit SquaredHingeLoss(SquaredHingeLossOptions options = {});
};

class MultiMarginLoss
    : public FunctionalLoss<MultiMarginLossOptions, functional::multi_margin_loss> {
 public:
  explicit MultiMarginLoss(MultiMarginLossOptions options = {});
};

// ---- Distributions -------------------------------------------------------------------------

class KLDivLoss : public FunctionalLoss<KLDivLossOptions, functional::kl_div> {
 public:
  explicit KLDivLoss(KLDivLossOptions options = {});
};

class PoissonNLLLoss : public FunctionalLoss<PoissonNLLLossOptions, functional::poisson_nll_loss> {
 public:
  explicit PoissonNLLLoss(PoissonNLLLossOptions options = {});
};

// ---- Losses of three tensors ---------------------------------------------------------------

// forward(x1, x2, target): the same shape, target 1 or -1.
class MarginRankingLoss
    : public ThreeTensorLoss<MarginRankingLossOptions, functional::margin_ranking_loss> {
 public:
  explicit MarginRankingLoss(MarginRankingLossOptions options = {});
};

// forward(x1, x2, target): x1, x2 [N, D] or [D] embeddings; target [N] or [], 1 similar,
// 0 dissimilar.
class ContrastiveLoss
    : public ThreeTensorLoss<ContrastiveLossOptions, functional::contrastive_loss> {
 public:
  explicit ContrastiveLoss(ContrastiveLossOptions options = {});
};

// forward(anchor, positive, negative): [N, D] or [D], the same shape.
class TripletMarginLoss
    : public ThreeTensorLoss<TripletMarginLossOptions, functional::triplet_margin_loss> {
 public:
  explicit TripletMarginLoss(TripletMarginLossOptions options = {});
};

// forward(x1, x2, target): x1, x2 [N, D] or [D]; target [N] or [], 1 or -1.
class CosineEmbeddingLoss
    : public ThreeTensorLoss<CosineEmbeddingLossOptions, functional::cosine_embedding_loss> {
 public:
  explicit CosineEmbeddingLoss(CosineEmbeddingLossOptions options = {});
};

// forward(input, target, var): input (the mean) and target the same shape [..., D]; var
// [..., D], [..., 1] or [...].
class GaussianNLLLoss
    : public ThreeTensorLoss<GaussianNLLLossOptions, functional::gaussian_nll_loss> {
 public:
  explicit GaussianNLLLoss(GaussianNLLLossOptions options = {});
};

}  // namespace cajal::nn
