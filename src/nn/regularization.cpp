#include "cajal/nn/regularization.h"

#include <cmath>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_set>

#include "cajal/autograd/grad_mode.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"

namespace cajal::nn {
namespace {

std::string number(double value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

void check_non_negative(const char* function, const char* option, double value) {
  if (!(value >= 0) || std::isinf(value)) {
    throw ValueError(std::string(function) + ": " + option + " must be a finite number >= 0, got " +
                     number(value));
  }
}

void check_parameters(const char* function, const std::vector<Tensor>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].defined()) {
      throw ValueError(std::string(function) + ": parameter " + std::to_string(i) +
                       " is an undefined tensor");
    }
    if (!params[i].is_floating_point()) {
      throw ValueError(std::string(function) + ": parameter " + std::to_string(i) +
                       " must be floating point, got " +
                       std::string(dtype_name(params[i].dtype())));
    }
  }
}

// sum over params of sum(term(w)), or an undefined tensor when params is empty.
template <typename Term>
Tensor sum_over(const std::vector<Tensor>& params, Term term) {
  Tensor total;
  for (const Tensor& w : params) {
    Tensor part = term(w).sum();
    total = total.defined() ? total + part : part;
  }
  return total;
}

Tensor zero_penalty() { return scalar_tensor(0.0, Dtype::float32); }

bool is_bias(const std::string& name) { return name == "bias" || name.rfind("bias_", 0) == 0; }

bool is_normalization(const std::string& type_name) {
  for (std::string_view prefix : {"BatchNorm", "LayerNorm", "GroupNorm", "InstanceNorm"}) {
    if (std::string_view(type_name).substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace

Tensor l1_penalty(const std::vector<Tensor>& params, double lambda) {
  check_non_negative("l1_penalty", "lambda", lambda);
  check_parameters("l1_penalty", params);
  Tensor total = sum_over(params, [](const Tensor& w) { return abs(w); });
  return total.defined() ? total * lambda : zero_penalty();
}

Tensor l2_penalty(const std::vector<Tensor>& params, double lambda) {
  check_non_negative("l2_penalty", "lambda", lambda);
  check_parameters("l2_penalty", params);
  Tensor total = sum_over(params, [](const Tensor& w) { return square(w); });
  return total.defined() ? total * lambda : zero_penalty();
}

std::vector<Tensor> regularized_parameters(const Module& module,
                                           RegularizedParametersOptions options) {
  std::vector<Tensor> out;
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& [path, owner] : module.named_modules()) {
    const bool normalization = is_normalization(owner->type_name());
    for (const auto& [name, parameter] : owner->named_parameters(/*recurse=*/false)) {
      // The first place a shared tensor appears decides, as in parameters().
      if (!seen.insert(parameter.impl()).second) continue;
      if (!options.include_biases && is_bias(name)) continue;
      if (!options.include_normalization && normalization) continue;
      if (!options.include_frozen && !parameter.requires_grad()) continue;
      out.push_back(parameter);
    }
  }
  return out;
}

Tensor Regularizer::penalty(const std::vector<Tensor>& params) const {
  check_non_negative("Regularizer", "l1", l1);
  check_non_negative("Regularizer", "l2", l2);
  Tensor total;
  if (l1 > 0) total = l1_penalty(params, l1);
  if (l2 > 0) {
    Tensor part = l2_penalty(params, l2);
    total = total.defined() ? total + part : part;
  }
  return total.defined() ? total : zero_penalty();
}

Tensor Regularizer::penalty(const Module& module) const {
  return penalty(regularized_parameters(module));
}

void apply_weight_decay_(const std::vector<Tensor>& params, double lr, double weight_decay) {
  check_non_negative("apply_weight_decay_", "lr", lr);
  check_non_negative("apply_weight_decay_", "weight_decay", weight_decay);
  check_parameters("apply_weight_decay_", params);
  if (lr * weight_decay == 0) return;
  no_grad guard;
  for (const Tensor& w : params) {
    if (!w.grad().defined()) continue;
    Tensor(w).mul_(1 - lr * weight_decay);
  }
}

Tensor max_norm_(const Tensor& weight, double max_value, int64_t dim, double eps) {
  check_non_negative("max_norm_", "max_value", max_value);
  check_non_negative("max_norm_", "eps", eps);
  if (!weight.defined()) throw ValueError("max_norm_: weight is an undefined tensor");
  if (!weight.is_floating_point()) {
    throw ValueError("max_norm_: weight must be floating point, got " +
                     std::string(dtype_name(weight.dtype())));
  }
  if (weight.dim() == 0) {
    throw ValueError("max_norm_: weight must have at least one dim (the units), got a scalar");
  }
  const int64_t kept = normalize_dim(dim, weight.dim(), "max_norm_");
  if (weight.numel() == 0) return weight;
  no_grad guard;
  Tensor norms;
  if (weight.dim() == 1) {
    norms = abs(weight);  // each unit is one element
  } else {
    Dims reduced;
    for (int64_t d = 0; d < weight.dim(); ++d) {
      if (d != kept) reduced.push_back(d);
    }
    norms = norm(weight, 2, reduced, /*keepdim=*/true);
  }
  // Units within the bound keep their weights exactly (factor 1, not norm / (norm + eps)).
  Tensor factor = where(norms > max_value, max_value / (norms + eps), 1.0);
  Tensor(weight).mul_(factor);
  return weight;
}

void apply_max_norm_(Module& module, double max_value, int64_t dim, double eps) {
  check_non_negative("apply_max_norm_", "max_value", max_value);
  for (const Tensor& w : regularized_parameters(module)) {
    if (w.dim() >= 2) max_norm_(w, max_value, dim, eps);
  }
}

}  // namespace cajal::nn
