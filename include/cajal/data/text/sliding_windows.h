#pragma once
// Sliding windows over a time series: each example is `window` consecutive steps and its target
// the `horizon` steps that follow, as Keras' timeseries_dataset_from_array with targets.
//
//   Tensor series = ...;                                   // [T] or [T, F]
//   auto windows = data::text::sliding_windows(series, {.window = 24, .horizon = 1});
//   data::Example e = windows.get(0);   // input [24] or [24, F]: steps 0..23; target [1]: step 24
//
// Example i starts at step i * stride; there are (T - window - horizon) / stride + 1 of them.
// Inputs and targets keep the series' dtype. The result owns copies (the series may change).
#include <cstdint>

#include "cajal/data/dataset.h"

namespace cajal::data::text {

struct WindowOptions {
  int64_t window = 0;   // input steps (>= 1; must be set)
  int64_t horizon = 1;  // target steps (>= 1)
  int64_t stride = 1;   // steps between consecutive windows (>= 1)
};

// series: [T] or [T, F] -> TensorDataset with inputs [N, window(, F)], targets
// [N, horizon(, F)]. ValueError for options < 1 or window + horizon > T; ShapeError for a
// series that is not 1-D or 2-D.
TensorDataset sliding_windows(const Tensor& series, const WindowOptions& options);

}  // namespace cajal::data::text
