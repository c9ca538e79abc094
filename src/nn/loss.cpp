#include "cajal/nn/loss.h"

#include <fmt/format.h>

#include <cmath>
#include <string>

namespace cajal::nn {
namespace {

// Numbers as Python prints them ("1.0", "0.25", "1e-08"), so reprs read like PyTorch's.
std::string number(double value) {
  std::string s = fmt::format("{}", value);
  if (std::isfinite(value) && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

const char* boolean(bool value) { return value ? "true" : "false"; }

std::string reduction(Reduction value) {
  return "reduction=" + std::string(functional::reduction_name(value));
}

// ", weight=[C]" for a defined per-class tensor, nothing otherwise.
std::string tensor_option(const char* name, const Tensor& tensor) {
  if (!tensor.defined()) return "";
  return fmt::format("{}={}, ", name, shape_string(tensor.shape()));
}

}  // namespace

namespace detail {
std::string describe(const MSELossOptions& o) { return reduction(o.reduction); }
std::string describe(const L1LossOptions& o) { return reduction(o.reduction); }
std::string describe(const HuberLossOptions& o) {
  return "delta=" + number(o.delta) + ", " + reduction(o.reduction);
}
std::string describe(const SmoothL1LossOptions& o) {
  return "beta=" + number(o.beta) + ", " + reduction(o.reduction);
}
std::string describe(const QuantileLossOptions& o) {
  return "quantile=" + number(o.quantile) + ", " + reduction(o.reduction);
}
std::string describe(const LogCoshLossOptions& o) { return reduction(o.reduction); }
std::string describe(const CrossEntropyLossOptions& o) {
  return tensor_option("weight", o.weight) + "ignore_index=" + std::to_string(o.ignore_index) +
         ", label_smoothing=" + number(o.label_smoothing) + ", " + reduction(o.reduction);
}
std::string describe(const NLLLossOptions& o) {
  return tensor_option("weight", o.weight) + "ignore_index=" + std::to_string(o.ignore_index) +
         ", " + reduction(o.reduction);
}
std::string describe(const BCELossOptions& o) {
  return tensor_option("weight", o.weight) + reduction(o.reduction);
}
std::string describe(const BCEWithLogitsLossOptions& o) {
  return tensor_option("weight", o.weight) + tensor_option("pos_weight", o.pos_weight) +
         reduction(o.reduction);
}
std::string describe(const SigmoidFocalLossOptions& o) {
  return "alpha=" + number(o.alpha) + ", gamma=" + number(o.gamma) + ", " + reduction(o.reduction);
}
std::string describe(const FocalLossOptions& o) {
  return tensor_option("alpha", o.alpha) + "gamma=" + number(o.gamma) +
         ", ignore_index=" + std::to_string(o.ignore_index) + ", " + reduction(o.reduction);
}
std::string describe(const DiceLossOptions& o) {
  return "smooth=" + number(o.smooth) + ", batch=" + boolean(o.batch) + ", " +
         reduction(o.reduction);
}
std::string describe(const IoULossOptions& o) {
  return "smooth=" + number(o.smooth) + ", batch=" + boolean(o.batch) + ", " +
         reduction(o.reduction);
}
std::string describe(const TverskyLossOptions& o) {
  return "alpha=" + number(o.alpha) + ", beta=" + number(o.beta) + ", smooth=" + number(o.smooth) +
         ", batch=" + boolean(o.batch) + ", " + reduction(o.reduction);
}
std::string describe(const HingeLossOptions& o) {
  return "margin=" + number(o.margin) + ", " + reduction(o.reduction);
}
std::string describe(const SquaredHingeLossOptions& o) {
  return "margin=" + number(o.margin) + ", " + reduction(o.reduction);
}
std::string describe(const MultiMarginLossOptions& o) {
  return "p=" + std::to_string(o.p) + ", margin=" + number(o.margin) + ", " +
         tensor_option("weight", o.weight) + reduction(o.reduction);
}
std::string describe(const KLDivLossOptions& o) {
  return reduction(o.reduction) + ", log_target=" + boolean(o.log_target);
}
std::string describe(const PoissonNLLLossOptions& o) {
  return std::string("log_input=") + boolean(o.log_input) + ", full=" + boolean(o.full) +
         ", eps=" + number(o.eps) + ", " + reduction(o.reduction);
}
std::string describe(const MarginRankingLossOptions& o) {
  return "margin=" + number(o.margin) + ", " + reduction(o.reduction);
}
std::string describe(const ContrastiveLossOptions& o) {
  return "margin=" + number(o.margin) + ", " + reduction(o.reduction);
}
std::string describe(const TripletMarginLossOptions& o) {
  return "margin=" + number(o.margin) + ", p=" + number(o.p) + ", eps=" + number(o.eps) +
         ", swap=" + boolean(o.swap) + ", " + reduction(o.reduction);
}
std::string describe(const CosineEmbeddingLossOptions& o) {
  return "margin=" + number(o.margin) + ", " + reduction(o.reduction);
}
std::string describe(const GaussianNLLLossOptions& o) {
  return std::string("full=") + boolean(o.full) + ", eps=" + number(o.eps) + ", " +
         reduction(o.reduction);
}
}  // namespace detail

MSELoss::MSELoss(MSELossOptions options) : FunctionalLoss("MSELoss", options) {}
L1Loss::L1Loss(L1LossOptions options) : FunctionalLoss("L1Loss", options) {}
HuberLoss::HuberLoss(HuberLossOptions options) : FunctionalLoss("HuberLoss", options) {}
SmoothL1Loss::SmoothL1Loss(SmoothL1LossOptions options) : FunctionalLoss("SmoothL1Loss", options) {}
QuantileLoss::QuantileLoss(QuantileLossOptions options) : FunctionalLoss("QuantileLoss", options) {}
LogCoshLoss::LogCoshLoss(LogCoshLossOptions options) : FunctionalLoss("LogCoshLoss", options) {}

CrossEntropyLoss::CrossEntropyLoss(CrossEntropyLossOptions options)
    : FunctionalLoss("CrossEntropyLoss", std::move(options)) {
  register_weight("weight", options_.weight);
}
NLLLoss::NLLLoss(NLLLossOptions options) : FunctionalLoss("NLLLoss", std::move(options)) {
  register_weight("weight", options_.weight);
}
BCELoss::BCELoss(BCELossOptions options) : FunctionalLoss("BCELoss", std::move(options)) {
  register_weight("weight", options_.weight);
}
BCEWithLogitsLoss::BCEWithLogitsLoss(BCEWithLogitsLossOptions options)
    : FunctionalLoss("BCEWithLogitsLoss", std::move(options)) {
  register_weight("weight", options_.weight);
  register_weight("pos_weight", options_.pos_weight);
}
FocalLoss::FocalLoss(FocalLossOptions options) : FunctionalLoss("FocalLoss", std::move(options)) {
  register_weight("alpha", options_.alpha);
}
SigmoidFocalLoss::SigmoidFocalLoss(SigmoidFocalLossOptions options)
    : FunctionalLoss("SigmoidFocalLoss", options) {}

DiceLoss::DiceLoss(DiceLossOptions options) : FunctionalLoss("DiceLoss", options) {}
IoULoss::IoULoss(IoULossOptions options) : FunctionalLoss("IoULoss", options) {}
TverskyLoss::TverskyLoss(TverskyLossOptions options) : FunctionalLoss("TverskyLoss", options) {}

HingeLoss::HingeLoss(HingeLossOptions options) : FunctionalLoss("HingeLoss", options) {}
SquaredHingeLoss::SquaredHingeLoss(SquaredHingeLossOptions options)
    : FunctionalLoss("SquaredHingeLoss", options) {}
MultiMarginLoss::MultiMarginLoss(MultiMarginLossOptions options)
    : FunctionalLoss("MultiMarginLoss", std::move(options)) {
  register_weight("weight", options_.weight);
}

KLDivLoss::KLDivLoss(KLDivLossOptions options) : FunctionalLoss("KLDivLoss", options) {}
PoissonNLLLoss::PoissonNLLLoss(PoissonNLLLossOptions options)
    : FunctionalLoss("PoissonNLLLoss", options) {}

MarginRankingLoss::MarginRankingLoss(MarginRankingLossOptions options)
    : ThreeTensorLoss("MarginRankingLoss", options) {}
ContrastiveLoss::ContrastiveLoss(ContrastiveLossOptions options)
    : ThreeTensorLoss("ContrastiveLoss", options) {}
TripletMarginLoss::TripletMarginLoss(TripletMarginLossOptions options)
    : ThreeTensorLoss("TripletMarginLoss", options) {}
CosineEmbeddingLoss::CosineEmbeddingLoss(CosineEmbeddingLossOptions options)
    : ThreeTensorLoss("CosineEmbeddingLoss", options) {}
GaussianNLLLoss::GaussianNLLLoss(GaussianNLLLossOptions options)
    : ThreeTensorLoss("GaussianNLLLoss", options) {}

}  // namespace cajal::nn
