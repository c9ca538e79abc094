#pragma once
// The input check shared by the spatial layers (src/nn/convolution.cpp, src/nn/pooling.cpp).
#include <cstdint>
#include <string>

#include "cajal/core/error.h"
#include "cajal/core/shape.h"
#include "cajal/core/tensor.h"

namespace cajal::nn::detail {

// ValueError when `x` is undefined; ShapeError naming `layer` and the shape unless `x` is laid
// out as [C, spatial...] or [N, C, spatial...] with `spatial` (1 or 2) spatial dims.
inline void check_spatial_layout(const std::string& layer, const Tensor& x, int64_t spatial) {
  if (!x.defined()) throw ValueError(layer + ": the input is undefined");
  if (x.dim() != spatial + 1 && x.dim() != spatial + 2) {
    const char* layout = spatial == 1 ? "[C, L] or [N, C, L]" : "[C, H, W] or [N, C, H, W]";
    throw ShapeError(layer + ": expected a " + std::to_string(spatial + 1) + "-D or " +
                     std::to_string(spatial + 2) + "-D input (" + layout + "), got shape " +
                     shape_string(x.shape()));
  }
}

}  // namespace cajal::nn::detail
