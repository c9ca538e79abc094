#pragma once
// Joining, splitting and rearranging tensors; all differentiable.
#include <string_view>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal {

// Joins along an existing dim; all other dims must match. Dtypes promote (int64 + float32 ->
// float32). 1-D empty tensors ([0]) are skipped, as in PyTorch.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
// Joins along a new dim; all shapes must match.
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
// Pieces of `split_size` along dim (the last may be smaller); views.
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
// Pieces of the given sizes, which must add up to the dim's size; views.
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim = 0);
// `chunks` nearly equal pieces (torch.chunk: ceil(size / chunks) each, the last smaller).
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
// pads: (left, right) pairs starting from the last dim, as torch.nn.functional.pad.
// mode: "constant" (with value; negative pads crop), "reflect" (each pad < the dim's size),
// "replicate" (repeats the edge) or "circular" (wraps around; each pad <= the dim's size).
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, std::string_view mode = "constant",
           double value = 0);
// Tiles the tensor: repeats.size() >= x.dim(), as torch.Tensor.repeat.
Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats);
// Reverses the order along each of dims (a copy).
Tensor flip(const Tensor& x, const Dims& dims);
// Rotates elements along dims (out[i] = x[i - shift]); with no dims, along the flattened tensor
// (then shifts has one entry).
Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const Dims& dims = {});

}  // namespace cajal
