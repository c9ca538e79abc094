#include "cajal/nn/pooling.h"

#include <array>

#include "spatial_input.h"

namespace cajal::nn {

namespace {

// "2" when every spatial dim has the same size, else PyTorch's tuple "(2, 3)".
template <size_t N>
std::string size_repr(const SizeArg<N>& sizes) {
  bool uniform = true;
  for (int64_t v : sizes.values) uniform = uniform && v == sizes.values[0];
  if (uniform) return std::to_string(sizes.values[0]);
  std::string s = "(";
  for (size_t i = 0; i < N; ++i) s += (i > 0 ? ", " : "") + std::to_string(sizes.values[i]);
  return s + ")";
}

template <size_t N>
std::string by_string(const std::array<int64_t, N>& values) {
  std::string s;
  for (size_t i = 0; i < N; ++i) s += (i > 0 ? "x" : "") + std::to_string(values[i]);
  return s;
}

std::string boolean(bool value) { return value ? "true" : "false"; }

template <size_t N>
void check_sizes(const std::string& layer, const char* option, const SizeArg<N>& sizes,
                 int64_t minimum) {
  for (int64_t v : sizes.values) {
    if (v < minimum) {
      throw ValueError(layer + ": " + option + " must be " + (minimum == 0 ? ">= 0" : "positive") +
                       ", got " + size_repr(sizes));
    }
  }
}

// The options every pooling window shares; fills in the default stride.
template <size_t N>
void validate_window(const std::string& layer, const SizeArg<N>& kernel,
                     std::optional<SizeArg<N>>& stride, const SizeArg<N>& padding) {
  check_sizes<N>(layer, "kernel_size", kernel, 1);
  if (!stride) stride = kernel;
  check_sizes<N>(layer, "stride", *stride, 1);
  check_sizes<N>(layer, "padding", padding, 0);
  for (size_t d = 0; d < N; ++d) {
    // A window made only of padding would have no input element to pool.
    if (2 * padding[d] > kernel[d]) {
      throw ValueError(layer + ": padding " + size_repr(padding) +
                       " must be at most half the kernel_size " + size_repr(kernel));
    }
  }
}

// Checks the layout ([C, spatial...] or [N, C, spatial...]) and that the window fits.
template <size_t N>
void check_input(const std::string& layer, const Tensor& x, const SizeArg<N>& kernel,
                 const SizeArg<N>& padding) {
  const int64_t spatial = static_cast<int64_t>(N);
  detail::check_spatial_layout(layer, x, spatial);
  std::array<int64_t, N> padded{};
  bool fits = true;
  for (size_t d = 0; d < N; ++d) {
    padded[d] = x.size(x.dim() - spatial + static_cast<int64_t>(d)) + 2 * padding[d];
    fits = fits && kernel[d] <= padded[d];
  }
  if (!fits) {
    throw ShapeError(layer + ": kernel " + by_string(kernel.values) +
                     " is larger than the padded input " + by_string(padded) + " (input shape " +
                     shape_string(x.shape()) + ", padding " + size_repr(padding) + ")");
  }
}

template <typename Options>
std::string window_repr(const Options& options) {
  return "kernel_size=" + size_repr(options.kernel_size) +
         ", stride=" + size_repr(*options.stride) + ", padding=" + size_repr(options.padding);
}

template <typename Options>
std::string avg_repr(const Options& options) {
  std::string s = window_repr(options);
  if (options.ceil_mode) s += ", ceil_mode=true";
  if (!options.count_include_pad) s += ", count_include_pad=false";
  return s;
}

}  // namespace

MaxPool1d::MaxPool1d(MaxPool1dOptions options) : Module("MaxPool1d"), options_(options) {
  validate_window<1>(type_name(), options_.kernel_size, options_.stride, options_.padding);
}

Tensor MaxPool1d::forward(const Tensor& input) {
  check_input<1>(type_name(), input, options_.kernel_size, options_.padding);
  return max_pool1d(input, {.kernel_size = options_.kernel_size,
                            .stride = options_.stride,
                            .padding = options_.padding,
                            .ceil_mode = options_.ceil_mode});
}

std::string MaxPool1d::extra_repr() const {
  return window_repr(options_) + ", ceil_mode=" + boolean(options_.ceil_mode);
}

MaxPool2d::MaxPool2d(MaxPool2dOptions options) : Module("MaxPool2d"), options_(options) {
  validate_window<2>(type_name(), options_.kernel_size, options_.stride, options_.padding);
}

Tensor MaxPool2d::forward(const Tensor& input) {
  check_input<2>(type_name(), input, options_.kernel_size, options_.padding);
  return max_pool2d(input, {.kernel_size = options_.kernel_size,
                            .stride = options_.stride,
                            .padding = options_.padding,
                            .ceil_mode = options_.ceil_mode});
}

std::string MaxPool2d::extra_repr() const {
  return window_repr(options_) + ", ceil_mode=" + boolean(options_.ceil_mode);
}

AvgPool1d::AvgPool1d(AvgPool1dOptions options) : Module("AvgPool1d"), options_(options) {
  validate_window<1>(type_name(), options_.kernel_size, options_.stride, options_.padding);
}

Tensor AvgPool1d::forward(const Tensor& input) {
  check_input<1>(type_name(), input, options_.kernel_size, options_.padding);
  return avg_pool1d(input, {.kernel_size = options_.kernel_size,
                            .stride = options_.stride,
                            .padding = options_.padding,
                            .ceil_mode = options_.ceil_mode,
                            .count_include_pad = options_.count_include_pad});
}

std::string AvgPool1d::extra_repr() const { return avg_repr(options_); }

AvgPool2d::AvgPool2d(AvgPool2dOptions options) : Module("AvgPool2d"), options_(options) {
  validate_window<2>(type_name(), options_.kernel_size, options_.stride, options_.padding);
}

Tensor AvgPool2d::forward(const Tensor& input) {
  check_input<2>(type_name(), input, options_.kernel_size, options_.padding);
  return avg_pool2d(input, {.kernel_size = options_.kernel_size,
                            .stride = options_.stride,
                            .padding = options_.padding,
                            .ceil_mode = options_.ceil_mode,
                            .count_include_pad = options_.count_include_pad});
}

std::string AvgPool2d::extra_repr() const { return avg_repr(options_); }

AdaptiveAvgPool2d::AdaptiveAvgPool2d(AdaptiveAvgPool2dOptions options)
    : Module("AdaptiveAvgPool2d"), options_(options) {
  for (int64_t v : options_.output_size.values) {
    if (v <= 0) {
      throw ValueError(type_name() + ": output_size must be positive, got (" +
                       std::to_string(options_.output_size[0]) + ", " +
                       std::to_string(options_.output_size[1]) + ")");
    }
  }
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) {
  if (!input.defined()) throw ValueError(type_name() + ": the input is undefined");
  if (input.dim() != 3 && input.dim() != 4) {
    throw ShapeError(type_name() +
                     ": expected a 3-D or 4-D input ([C, H, W] or [N, C, H, W]), got shape " +
                     shape_string(input.shape()));
  }
  return adaptive_avg_pool2d(input, options_.output_size);
}

std::string AdaptiveAvgPool2d::extra_repr() const {
  return "output_size=(" + std::to_string(options_.output_size[0]) + ", " +
         std::to_string(options_.output_size[1]) + ")";
}

}  // namespace cajal::nn
