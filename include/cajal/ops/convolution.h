#pragma once
// Convolutions, as torch.nn.functional: cross-correlation with stride, padding (numbers or
// "same"/"valid"), dilation and groups.
//   conv2d(x, w, b, {.stride = 2, .padding = 1})
//   conv2d(x, w, b, {.padding = "same"})
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "cajal/core/tensor.h"

namespace cajal {

// N sizes, one per spatial dim; a single number stands for all of them.
template <size_t N>
struct SizeArg {
  std::array<int64_t, N> values{};
  SizeArg(int64_t value) { values.fill(value); }  // NOLINT(google-explicit-constructor)
  SizeArg(int value) : SizeArg(static_cast<int64_t>(value)) {}  // NOLINT
  SizeArg(std::initializer_list<int64_t> list);
  int64_t operator[](size_t i) const { return values[i]; }
};

// Padding: sizes, or "valid" (none) or "same" (output size = input size; stride 1 only).
template <size_t N>
struct PaddingArg {
  SizeArg<N> sizes = 0;
  bool same = false;
  PaddingArg(int64_t value) : sizes(value) {}                       // NOLINT
  PaddingArg(int value) : sizes(value) {}                           // NOLINT
  PaddingArg(std::initializer_list<int64_t> list) : sizes(list) {}  // NOLINT
  PaddingArg(const char* mode);                                     // NOLINT
};

struct Conv1dArgs {
  SizeArg<1> stride = 1;
  PaddingArg<1> padding = 0;
  SizeArg<1> dilation = 1;
  int64_t groups = 1;
};

struct Conv2dArgs {
  SizeArg<2> stride = 1;
  PaddingArg<2> padding = 0;
  SizeArg<2> dilation = 1;
  int64_t groups = 1;
};

struct ConvTranspose2dArgs {
  SizeArg<2> stride = 1;
  SizeArg<2> padding = 0;
  SizeArg<2> output_padding = 0;
  SizeArg<2> dilation = 1;
  int64_t groups = 1;
};

// x: [N, C_in, L], weight: [C_out, C_in/groups, K], bias: [C_out] or undefined -> [N, C_out, L_out]
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              Conv1dArgs args = {});
// x: [N, C_in, H, W], weight: [C_out, C_in/groups, KH, KW] -> [N, C_out, H_out, W_out]
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              Conv2dArgs args = {});
// x: [N, C_in, H, W], weight: [C_in, C_out/groups, KH, KW] -> [N, C_out, H_out, W_out] with
// H_out = (H-1)*stride - 2*padding + dilation*(KH-1) + output_padding + 1
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                        ConvTranspose2dArgs args = {});

template <size_t N>
SizeArg<N>::SizeArg(std::initializer_list<int64_t> list) {
  if (list.size() != N) {
    throw ValueError("expected " + std::to_string(N) + " sizes, got " +
                     std::to_string(list.size()));
  }
  size_t i = 0;
  for (int64_t v : list) values[i++] = v;
}

template <size_t N>
PaddingArg<N>::PaddingArg(const char* mode) : sizes(0) {
  std::string_view m(mode);
  if (m == "same") {
    same = true;
  } else if (m != "valid") {
    throw ValueError("padding: expected a size, \"same\" or \"valid\", got \"" + std::string(m) +
                     "\"");
  }
}

}  // namespace cajal
