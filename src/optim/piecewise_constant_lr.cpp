#include "cajal/optim/piecewise_constant_lr.h"

#include <algorithm>

namespace cajal::optim {

PiecewiseConstantLR::PiecewiseConstantLR(Optimizer& optimizer, Options options)
    : LRScheduler("PiecewiseConstantLR", optimizer), options_(std::move(options)) {
  const auto& boundaries = options_.boundaries;
  const auto& values = options_.values;
  if (values.size() != boundaries.size() + 1) {
    throw ValueError("PiecewiseConstantLR: values must have one more entry than boundaries, got " +
                     std::to_string(values.size()) + " values for " +
                     std::to_string(boundaries.size()) + " boundaries");
  }
  for (size_t i = 0; i < boundaries.size(); ++i) {
    if (boundaries[i] < 0) {
      throw ValueError("PiecewiseConstantLR: boundaries must be >= 0, got " +
                       std::to_string(boundaries[i]));
    }
    if (i > 0 && boundaries[i] <= boundaries[i - 1]) {
      throw ValueError("PiecewiseConstantLR: boundaries must be strictly increasing, got " +
                       std::to_string(boundaries[i - 1]) + " then " +
                       std::to_string(boundaries[i]));
    }
  }
  for (double value : values) detail::check_scheduler_non_negative(name(), "values", value);
  initial_step();
}

double PiecewiseConstantLR::value_at(int64_t step) const {
  // The first boundary >= step: every boundary before it has been passed.
  const auto passed =
      std::lower_bound(options_.boundaries.begin(), options_.boundaries.end(), step) -
      options_.boundaries.begin();
  return options_.values[static_cast<size_t>(passed)];
}

std::vector<double> PiecewiseConstantLR::compute_lr() {
  return std::vector<double>(num_groups(), value_at(last_epoch()));
}

std::optional<std::vector<double>> PiecewiseConstantLR::closed_form_lr() const {
  return std::vector<double>(num_groups(), value_at(last_epoch()));
}

}  // namespace cajal::optim
