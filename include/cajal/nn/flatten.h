#pragma once
// Flatten and Unflatten, as torch.nn.Flatten and torch.nn.Unflatten: reshape between the
// convolutional part of a network ([N, C, H, W]) and its dense part ([N, C * H * W]). They have no
// parameters; the output is a view of the input when its layout allows.
//
//   nn::Flatten flatten;                                   // [N, 32, 7, 7] -> [N, 1568]
//   nn::Unflatten unflatten({.dim = 1, .sizes = {32, 7, 7}});  // [N, 1568] -> [N, 32, 7, 7]
#include <cstdint>
#include <string>

#include "cajal/nn/module.h"

namespace cajal::nn {

struct FlattenOptions {
  int64_t start_dim = 1;  // dims start_dim..end_dim (negative counts from the end) become one
  int64_t end_dim = -1;
};

// x: [d0, ..., d_start, ..., d_end, ...] -> [d0, ..., d_start * ... * d_end, ...]. IndexError
// when a dim is out of range for the input, ValueError when start_dim comes after end_dim.
class Flatten : public Module {
 public:
  explicit Flatten(FlattenOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "start_dim=1, end_dim=-1"
  const FlattenOptions& options() const { return options_; }

 private:
  FlattenOptions options_;
};

struct UnflattenOptions {
  int64_t dim = 0;  // the dim to split (negative counts from the end)
  Shape sizes{};    // its new sizes; one may be -1 (inferred)
};

// x: [..., d_dim, ...] -> [..., sizes..., ...], where the sizes multiply to d_dim. The sizes are
// validated in the constructor (not empty, each positive or -1, at most one -1); ShapeError at
// forward time when they do not fit the input's dim.
class Unflatten : public Module {
 public:
  explicit Unflatten(UnflattenOptions options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "dim=1, unflattened_size=[32, 7, 7]"
  const UnflattenOptions& options() const { return options_; }

 private:
  UnflattenOptions options_;
};

}  // namespace cajal::nn
