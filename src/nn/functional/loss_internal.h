#pragma once
// Checks and reductions shared by the loss functions (src/nn/functional/loss_*.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cajal/core/tensor.h"
#include "cajal/nn/functional/loss.h"

namespace cajal::nn::functional::detail {

// Numbers in messages: "0.1", "1e-08", "2".
std::string number_text(double value);

// Applies mean / sum / none; batchmean is refused (kl_div handles it itself).
Tensor reduce(const Tensor& loss, Reduction reduction, std::string_view loss_name);
void check_reduction(Reduction reduction, std::string_view loss_name);

// ValueError unless `tensor` is float32 or float64.
void check_floating(const Tensor& tensor, std::string_view loss_name, std::string_view what);
// ShapeError naming both shapes unless a and b have the same shape.
void check_same_shape(const Tensor& a, const Tensor& b, std::string_view loss_name,
                      std::string_view a_name, std::string_view b_name);
// The usual pair of the (input, target) losses: check_floating(input) and
// check_same_shape(input, target).
void check_input_and_target(const Tensor& input, const Tensor& target, std::string_view loss_name);
// A float target of `like`'s dtype: float targets keep their own precision (mixing promotes),
// integer and bool targets are converted.
Tensor as_floating(const Tensor& target, const Tensor& like);
// ValueError unless every element of `target` is one of the allowed values.
void check_label_values(const Tensor& target, double first, double second,
                        std::string_view loss_name);
// A 1-D floating per-class tensor with `classes` entries (or undefined, accepted).
void check_class_weight(const Tensor& weight, int64_t classes, std::string_view loss_name,
                        std::string_view option);
// Option-time check of a per-class tensor: undefined, or 1-D floating.
void check_class_weight_option(const Tensor& weight, std::string_view loss_name,
                               std::string_view option);

// The class dim of an input laid out as [C], [N, C] or [N, C, d1, ...].
int64_t class_dim(const Tensor& input, std::string_view loss_name);
// Class-index target checks: int64, the input's shape without the class dim, every index in
// [0, classes) unless it equals ignore_index.
void check_class_target(const Tensor& input, const Tensor& target,
                        std::optional<int64_t> ignore_index, std::string_view loss_name);

// The picked log-probability of each target and its weight (0 where ignored), both of the
// target's shape. log_probabilities: [N, C, ...] or [C] with class-index target.
struct PickedClasses {
  Tensor log_probability;  // log_probabilities[target] (at class 0 where ignored)
  Tensor weight;           // weight[target] (1 without class weights), 0 where ignored
  Tensor valid;            // 1 where not ignored, 0 where ignored, in the input's dtype
};
PickedClasses pick_classes(const Tensor& log_probabilities, const Tensor& target,
                           const Tensor& class_weight, int64_t ignore_index);

// Shape of a per-class tensor broadcast against [N, C, d1, ...] (or [C]).
Shape class_broadcast_shape(const Tensor& input, int64_t classes);

}  // namespace cajal::nn::functional::detail
