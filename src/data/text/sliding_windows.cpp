#include "cajal/data/text/sliding_windows.h"

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/core/shape.h"
#include "cajal/ops/indexing.h"

namespace cajal::data::text {

TensorDataset sliding_windows(const Tensor& series, const WindowOptions& options) {
  if (!series.defined()) throw ValueError("sliding_windows: the series is undefined");
  if (series.dim() != 1 && series.dim() != 2) {
    throw ShapeError("sliding_windows: series must be [T] or [T, F], got " +
                     shape_string(series.shape()));
  }
  const auto check = [](const char* name, int64_t value) {
    if (value < 1) {
      throw ValueError(std::string("sliding_windows: ") + name + " must be >= 1, got " +
                       std::to_string(value));
    }
  };
  check("window", options.window);
  check("horizon", options.horizon);
  check("stride", options.stride);
  const int64_t steps = series.size(0);
  if (options.window + options.horizon > steps) {
    throw ValueError("sliding_windows: window " + std::to_string(options.window) + " + horizon " +
                     std::to_string(options.horizon) + " is longer than the series (" +
                     std::to_string(steps) + " steps)");
  }
  const int64_t count = (steps - options.window - options.horizon) / options.stride + 1;
  // Gather every window's rows with one index_select each for inputs and targets.
  std::vector<int64_t> input_rows, target_rows;
  input_rows.reserve(static_cast<size_t>(count * options.window));
  target_rows.reserve(static_cast<size_t>(count * options.horizon));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t start = i * options.stride;
    for (int64_t t = 0; t < options.window; ++t) input_rows.push_back(start + t);
    for (int64_t t = 0; t < options.horizon; ++t) {
      target_rows.push_back(start + options.window + t);
    }
  }
  Shape input_shape{count, options.window};
  Shape target_shape{count, options.horizon};
  if (series.dim() == 2) {
    input_shape.push_back(series.size(1));
    target_shape.push_back(series.size(1));
  }
  const Tensor source = series.detach();
  Tensor inputs = index_select(source, 0, from_vector(input_rows)).reshape(input_shape);
  Tensor targets = index_select(source, 0, from_vector(target_rows)).reshape(target_shape);
  return TensorDataset(inputs, targets);
}

}  // namespace cajal::data::text
