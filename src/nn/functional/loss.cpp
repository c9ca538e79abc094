// Checks and reductions shared by every loss; the losses themselves are in loss_<family>.cpp.
#include <fmt/format.h>

#include <vector>

#include "cajal/core/creation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/indexing.h"
#include "cajal/ops/reduction.h"
#include "loss_internal.h"

namespace cajal::nn::functional {

std::string_view reduction_name(Reduction reduction) {
  switch (reduction) {
    case Reduction::mean:
      return "mean";
    case Reduction::sum:
      return "sum";
    case Reduction::none:
      return "none";
    case Reduction::batchmean:
      return "batchmean";
  }
  return "?";
}

namespace detail {

std::string number_text(double value) { return fmt::format("{}", value); }

void check_reduction(Reduction reduction, std::string_view loss_name) {
  if (reduction == Reduction::batchmean) {
    throw ValueError(fmt::format(
        "{}: reduction batchmean is only valid for kl_div (use mean, sum or none)", loss_name));
  }
  if (reduction != Reduction::mean && reduction != Reduction::sum && reduction != Reduction::none) {
    throw ValueError(
        fmt::format("{}: unknown reduction {}", loss_name, static_cast<int>(reduction)));
  }
}

Tensor reduce(const Tensor& loss, Reduction reduction, std::string_view loss_name) {
  check_reduction(reduction, loss_name);
  switch (reduction) {
    case Reduction::mean:
      return mean(loss);
    case Reduction::sum:
      return sum(loss);
    default:
      return loss;
  }
}

void check_floating(const Tensor& tensor, std::string_view loss_name, std::string_view what) {
  if (!tensor.defined()) {
    throw ValueError(fmt::format("{}: {} is an undefined tensor", loss_name, what));
  }
  if (!tensor.is_floating_point()) {
    throw ValueError(fmt::format("{}: {} must be float32 or float64, got {}", loss_name, what,
                                 dtype_name(tensor.dtype())));
  }
}

void check_same_shape(const Tensor& a, const Tensor& b, std::string_view loss_name,
                      std::string_view a_name, std::string_view b_name) {
  if (!b.defined()) {
    throw ValueError(fmt::format("{}: {} is an undefined tensor", loss_name, b_name));
  }
  if (a.shape() != b.shape()) {
    throw ShapeError(fmt::format("{}: {} {} and {} {} must have the same shape", loss_name, a_name,
                                 shape_string(a.shape()), b_name, shape_string(b.shape())));
  }
}

void check_input_and_target(const Tensor& input, const Tensor& target, std::string_view loss_name) {
  check_floating(input, loss_name, "input");
  check_same_shape(input, target, loss_name, "input", "target");
}

Tensor as_floating(const Tensor& target, const Tensor& like) {
  if (target.is_floating_point()) return target;
  return target.to(like.dtype());
}

void check_label_values(const Tensor& target, double first, double second,
                        std::string_view loss_name) {
  std::vector<double> values = to_vector<double>(target);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] != first && values[i] != second) {
      throw ValueError(fmt::format("{}: target must hold only {} and {}, got {} at element {}",
                                   loss_name, first, second, values[i], i));
    }
  }
}

void check_class_weight_option(const Tensor& weight, std::string_view loss_name,
                               std::string_view option) {
  if (!weight.defined()) return;
  if (!weight.is_floating_point()) {
    throw ValueError(fmt::format("{}: {} must be float32 or float64, got {}", loss_name, option,
                                 dtype_name(weight.dtype())));
  }
  if (weight.dim() != 1) {
    throw ShapeError(fmt::format("{}: {} must be 1-D (one entry per class), got shape {}",
                                 loss_name, option, shape_string(weight.shape())));
  }
}

void check_class_weight(const Tensor& weight, int64_t classes, std::string_view loss_name,
                        std::string_view option) {
  if (!weight.defined()) return;
  check_class_weight_option(weight, loss_name, option);
  if (weight.size(0) != classes) {
    throw ShapeError(fmt::format("{}: {} has {} entries but the input has {} classes", loss_name,
                                 option, weight.size(0), classes));
  }
}

int64_t class_dim(const Tensor& input, std::string_view loss_name) {
  if (input.dim() == 0) {
    throw ShapeError(
        fmt::format("{}: input must be [C], [N, C] or [N, C, d1, ...] (class scores), got shape []",
                    loss_name));
  }
  return input.dim() == 1 ? 0 : 1;
}

void check_class_target(const Tensor& input, const Tensor& target,
                        std::optional<int64_t> ignore_index, std::string_view loss_name) {
  const int64_t dim = class_dim(input, loss_name);
  if (!target.defined()) {
    throw ValueError(fmt::format("{}: target is an undefined tensor", loss_name));
  }
  Shape expected = input.shape();
  expected.erase(expected.begin() + dim);
  if (target.dtype() != Dtype::int64) {
    throw ValueError(
        fmt::format("{}: target must be int64 class indices of shape {} for input {}, got {} {}",
                    loss_name, shape_string(expected), shape_string(input.shape()),
                    dtype_name(target.dtype()), shape_string(target.shape())));
  }
  if (target.shape() != expected) {
    throw ShapeError(fmt::format("{}: input {} needs a class-index target of shape {}, got {}",
                                 loss_name, shape_string(input.shape()), shape_string(expected),
                                 shape_string(target.shape())));
  }
  const int64_t classes = input.size(dim);
  for (int64_t index : to_vector<int64_t>(target)) {
    if (ignore_index && index == *ignore_index) continue;
    if (index < 0 || index >= classes) {
      throw IndexError(fmt::format("{}: target index {} is out of range for {} classes", loss_name,
                                   index, classes));
    }
  }
}

PickedClasses pick_classes(const Tensor& log_probabilities, const Tensor& target,
                           const Tensor& class_weight, int64_t ignore_index) {
  const int64_t dim = log_probabilities.dim() == 1 ? 0 : 1;
  Tensor keep = target != ignore_index;
  Tensor safe_target = masked_fill(target, logical_not(keep), 0);
  PickedClasses picked;
  picked.log_probability = gather(log_probabilities, dim, safe_target.unsqueeze(dim)).squeeze(dim);
  picked.valid = keep.to(log_probabilities.dtype());
  picked.weight = picked.valid;
  if (class_weight.defined()) {
    Tensor per_target =
        index_select(class_weight.to(log_probabilities.dtype()), 0, safe_target.reshape({-1}));
    picked.weight = per_target.reshape(target.shape()) * picked.valid;
  }
  return picked;
}

Shape class_broadcast_shape(const Tensor& input, int64_t classes) {
  if (input.dim() == 1) return Shape{classes};
  Shape shape(static_cast<size_t>(input.dim()), 1);
  shape[1] = classes;
  return shape;
}

}  // namespace detail
}  // namespace cajal::nn::functional
