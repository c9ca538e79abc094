#include "cajal/nn/convolution.h"

#include <array>
#include <cmath>
#include <vector>

#include "cajal/core/creation.h"
#include "cajal/nn/init.h"
#include "cajal/ops/manipulation.h"
#include "spatial_input.h"

namespace cajal::nn {

namespace {

// PyTorch's tuple notation: "(5, 5)", "(3,)".
template <size_t N>
std::string tuple_string(const std::array<int64_t, N>& values) {
  std::string s = "(";
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(values[i]);
  }
  return s + (N == 1 ? ",)" : ")");
}

// "7x7", "7": spatial sizes in error messages.
template <size_t N>
std::string by_string(const std::array<int64_t, N>& values) {
  std::string s;
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) s += "x";
    s += std::to_string(values[i]);
  }
  return s;
}

template <size_t N>
bool all_equal(const std::array<int64_t, N>& values, int64_t value) {
  for (int64_t v : values) {
    if (v != value) return false;
  }
  return true;
}

void check_positive(const std::string& layer, const char* option, int64_t value) {
  if (value <= 0) {
    throw ValueError(layer + ": " + option + " must be positive, got " + std::to_string(value));
  }
}

template <size_t N>
void check_sizes(const std::string& layer, const char* option, const SizeArg<N>& sizes,
                 int64_t minimum) {
  for (int64_t v : sizes.values) {
    if (v < minimum) {
      throw ValueError(layer + ": " + option + " must be " + (minimum == 0 ? ">= 0" : "positive") +
                       ", got " + tuple_string(sizes.values));
    }
  }
}

void check_channels_and_groups(const std::string& layer, int64_t in_channels, int64_t out_channels,
                               int64_t groups) {
  check_positive(layer, "in_channels", in_channels);
  check_positive(layer, "out_channels", out_channels);
  check_positive(layer, "groups", groups);
  if (in_channels % groups != 0) {
    throw ValueError(layer + ": in_channels " + std::to_string(in_channels) +
                     " must be divisible by groups " + std::to_string(groups));
  }
  if (out_channels % groups != 0) {
    throw ValueError(layer + ": out_channels " + std::to_string(out_channels) +
                     " must be divisible by groups " + std::to_string(groups));
  }
}

void check_dtype(const std::string& layer, Dtype dtype) {
  if (!is_floating_point(dtype)) {
    throw ValueError(layer + ": dtype must be float32 or float64, got " +
                     std::string(dtype_name(dtype)));
  }
}

// Checks the input layout, [C, spatial...] or [N, C, spatial...], and its channel count.
template <size_t N>
void check_input(const std::string& layer, const Tensor& x, int64_t in_channels) {
  const int64_t spatial = static_cast<int64_t>(N);
  detail::check_spatial_layout(layer, x, spatial);
  const int64_t channels = x.size(x.dim() - spatial - 1);
  if (channels != in_channels) {
    throw ShapeError(layer + ": expected " + std::to_string(in_channels) +
                     " input channels (in_channels), got input of shape " +
                     shape_string(x.shape()));
  }
}

struct PadAmounts {
  std::vector<int64_t> before, after;  // per spatial dim
};

// The padding on each side of each spatial dim. "same" splits dilation * (k - 1) as PyTorch
// does: the smaller half before, the larger after.
template <size_t N>
PadAmounts pad_amounts(const PaddingArg<N>& padding, const SizeArg<N>& kernel,
                       const SizeArg<N>& dilation) {
  PadAmounts amounts;
  for (size_t d = 0; d < N; ++d) {
    if (padding.same) {
      int64_t total = dilation[d] * (kernel[d] - 1);
      amounts.before.push_back(total / 2);
      amounts.after.push_back(total - total / 2);
    } else {
      amounts.before.push_back(padding.sizes[d]);
      amounts.after.push_back(padding.sizes[d]);
    }
  }
  return amounts;
}

// A dilated kernel larger than the padded input leaves no valid position.
template <size_t N>
void check_kernel_fits(const std::string& layer, const Tensor& x, const SizeArg<N>& kernel,
                       const SizeArg<N>& dilation, const PadAmounts& pads) {
  std::array<int64_t, N> effective{}, padded{}, padding{};
  bool fits = true;
  for (size_t d = 0; d < N; ++d) {
    effective[d] = dilation[d] * (kernel[d] - 1) + 1;
    padding[d] = pads.before[d] + pads.after[d];
    padded[d] = x.size(x.dim() - static_cast<int64_t>(N) + static_cast<int64_t>(d)) + padding[d];
    fits = fits && effective[d] <= padded[d];
  }
  if (fits) return;
  std::string kernel_text = "kernel " + by_string(kernel.values);
  if (!all_equal(dilation.values, 1)) {
    kernel_text +=
        " (dilation " + by_string(dilation.values) + ", spanning " + by_string(effective) + ")";
  }
  throw ShapeError(layer + ": " + kernel_text + " is larger than the padded input " +
                   by_string(padded) + " (input shape " + shape_string(x.shape()) +
                   ", total padding " + by_string(padding) + ")");
}

void check_padding_mode(const std::string& layer, const std::string& mode) {
  if (mode != "zeros" && mode != "reflect" && mode != "replicate" && mode != "circular") {
    throw ValueError(layer + ": padding_mode must be \"zeros\", \"reflect\", \"replicate\" or " +
                     "\"circular\", got \"" + mode + "\"");
  }
}

// Pads the spatial dims of x explicitly for the non-zero padding modes.
template <size_t N>
Tensor pad_input(const std::string& layer, const Tensor& x, const PadAmounts& pads,
                 const std::string& mode) {
  std::vector<int64_t> pad_list;  // (before, after) pairs from the last dim, as functional pad
  for (size_t i = 0; i < N; ++i) {
    size_t d = N - 1 - i;
    const int64_t size = x.size(x.dim() - static_cast<int64_t>(N) + static_cast<int64_t>(d));
    for (int64_t amount : {pads.before[d], pads.after[d]}) {
      // reflect mirrors without repeating the edge, so it needs amount < size; circular wraps
      // once, so amount <= size.
      bool too_large = mode == "reflect" ? amount >= size : mode == "circular" && amount > size;
      if (too_large) {
        throw ShapeError(layer + ": padding " + std::to_string(amount) + " with padding_mode \"" +
                         mode + "\" needs a larger input, got shape " + shape_string(x.shape()));
      }
    }
    pad_list.push_back(pads.before[d]);
    pad_list.push_back(pads.after[d]);
  }
  return pad(x, pad_list, mode);
}

template <size_t N>
std::string padding_repr(const PaddingArg<N>& padding) {
  if (padding.same) return "same";
  return tuple_string(padding.sizes.values);
}

template <size_t N>
bool is_default_padding(const PaddingArg<N>& padding) {
  return !padding.same && all_equal(padding.sizes.values, 0);
}

// Options shared by Conv1d and Conv2d.
template <typename Options, size_t N>
void validate_conv(const std::string& layer, const Options& options) {
  check_channels_and_groups(layer, options.in_channels, options.out_channels, options.groups);
  check_sizes<N>(layer, "kernel_size", options.kernel_size, 1);
  check_sizes<N>(layer, "stride", options.stride, 1);
  check_sizes<N>(layer, "padding", options.padding.sizes, 0);
  check_sizes<N>(layer, "dilation", options.dilation, 1);
  if (options.padding.same && !all_equal(options.stride.values, 1)) {
    throw ValueError(layer + ": padding \"same\" needs stride 1, got stride " +
                     tuple_string(options.stride.values));
  }
  check_padding_mode(layer, options.padding_mode);
  check_dtype(layer, options.dtype);
}

template <typename Options, size_t N>
std::string conv_repr(const Options& options, bool has_bias) {
  std::string s = std::to_string(options.in_channels) + ", " +
                  std::to_string(options.out_channels) +
                  ", kernel_size=" + tuple_string(options.kernel_size.values) +
                  ", stride=" + tuple_string(options.stride.values);
  if (!is_default_padding(options.padding)) s += ", padding=" + padding_repr(options.padding);
  if (!all_equal(options.dilation.values, 1)) {
    s += ", dilation=" + tuple_string(options.dilation.values);
  }
  if (options.groups != 1) s += ", groups=" + std::to_string(options.groups);
  if (!has_bias) s += ", bias=false";
  if (options.padding_mode != "zeros") s += ", padding_mode=" + options.padding_mode;
  return s;
}

// PyTorch's default: kaiming_uniform_ with a = sqrt(5) (U(+-1/sqrt(fan_in))) and a bias drawn
// from U(+-1/sqrt(fan_in)), fan_in taken from the weight's layout.
void default_initialization(const Tensor& weight, const Tensor& bias) {
  init::kaiming_uniform_(weight, {.a = std::sqrt(5.0)});
  if (bias.defined()) {
    int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
    double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

template <size_t N>
Shape weight_shape(int64_t first, int64_t second, const SizeArg<N>& kernel) {
  Shape shape{first, second};
  for (int64_t k : kernel.values) shape.push_back(k);
  return shape;
}

}  // namespace

// Conv1d

Conv1d::Conv1d(Conv1dOptions options) : Module("Conv1d"), options_(std::move(options)) {
  validate_conv<Conv1dOptions, 1>(type_name(), options_);
  weight = register_parameter(
      "weight", empty(weight_shape<1>(options_.out_channels, options_.in_channels / options_.groups,
                                      options_.kernel_size),
                      options_.dtype));
  if (options_.bias) {
    bias = register_parameter("bias", empty({options_.out_channels}, options_.dtype));
  }
  reset_parameters();
}

void Conv1d::reset_parameters() { default_initialization(weight, bias); }

Tensor Conv1d::forward(const Tensor& input) {
  check_input<1>(type_name(), input, options_.in_channels);
  PadAmounts pads = pad_amounts(options_.padding, options_.kernel_size, options_.dilation);
  check_kernel_fits(type_name(), input, options_.kernel_size, options_.dilation, pads);
  Conv1dArgs args{.stride = options_.stride,
                  .padding = options_.padding,
                  .dilation = options_.dilation,
                  .groups = options_.groups};
  if (options_.padding_mode == "zeros") return conv1d(input, weight, bias, args);
  args.padding = 0;
  return conv1d(pad_input<1>(type_name(), input, pads, options_.padding_mode), weight, bias, args);
}

std::string Conv1d::extra_repr() const {
  return conv_repr<Conv1dOptions, 1>(options_, bias.defined());
}

// Conv2d

Conv2d::Conv2d(Conv2dOptions options) : Module("Conv2d"), options_(std::move(options)) {
  validate_conv<Conv2dOptions, 2>(type_name(), options_);
  weight = register_parameter(
      "weight", empty(weight_shape<2>(options_.out_channels, options_.in_channels / options_.groups,
                                      options_.kernel_size),
                      options_.dtype));
  if (options_.bias) {
    bias = register_parameter("bias", empty({options_.out_channels}, options_.dtype));
  }
  reset_parameters();
}

void Conv2d::reset_parameters() { default_initialization(weight, bias); }

Tensor Conv2d::forward(const Tensor& input) {
  check_input<2>(type_name(), input, options_.in_channels);
  PadAmounts pads = pad_amounts(options_.padding, options_.kernel_size, options_.dilation);
  check_kernel_fits(type_name(), input, options_.kernel_size, options_.dilation, pads);
  Conv2dArgs args{.stride = options_.stride,
                  .padding = options_.padding,
                  .dilation = options_.dilation,
                  .groups = options_.groups};
  if (options_.padding_mode == "zeros") return conv2d(input, weight, bias, args);
  args.padding = 0;
  return conv2d(pad_input<2>(type_name(), input, pads, options_.padding_mode), weight, bias, args);
}

std::string Conv2d::extra_repr() const {
  return conv_repr<Conv2dOptions, 2>(options_, bias.defined());
}

// ConvTranspose2d

ConvTranspose2d::ConvTranspose2d(ConvTranspose2dOptions options)
    : Module("ConvTranspose2d"), options_(options) {
  const std::string& layer = type_name();
  check_channels_and_groups(layer, options.in_channels, options.out_channels, options.groups);
  check_sizes<2>(layer, "kernel_size", options.kernel_size, 1);
  check_sizes<2>(layer, "stride", options.stride, 1);
  check_sizes<2>(layer, "padding", options.padding, 0);
  check_sizes<2>(layer, "output_padding", options.output_padding, 0);
  check_sizes<2>(layer, "dilation", options.dilation, 1);
  for (size_t d = 0; d < 2; ++d) {
    if (options.output_padding[d] >= std::max(options.stride[d], options.dilation[d])) {
      throw ValueError(layer + ": output_padding " + tuple_string(options.output_padding.values) +
                       " must be smaller than either stride " +
                       tuple_string(options.stride.values) + " or dilation " +
                       tuple_string(options.dilation.values));
    }
  }
  check_dtype(layer, options.dtype);
  weight = register_parameter(
      "weight", empty(weight_shape<2>(options.in_channels, options.out_channels / options.groups,
                                      options.kernel_size),
                      options.dtype));
  if (options.bias) {
    bias = register_parameter("bias", empty({options.out_channels}, options.dtype));
  }
  reset_parameters();
}

void ConvTranspose2d::reset_parameters() { default_initialization(weight, bias); }

Tensor ConvTranspose2d::forward(const Tensor& input) {
  check_input<2>(type_name(), input, options_.in_channels);
  std::array<int64_t, 2> output{};
  for (size_t d = 0; d < 2; ++d) {
    int64_t size = input.size(input.dim() - 2 + static_cast<int64_t>(d));
    output[d] = (size - 1) * options_.stride[d] - 2 * options_.padding[d] +
                options_.dilation[d] * (options_.kernel_size[d] - 1) + options_.output_padding[d] +
                1;
  }
  if (output[0] <= 0 || output[1] <= 0) {
    throw ShapeError(type_name() + ": padding " + tuple_string(options_.padding.values) +
                     " trims the output of input shape " + shape_string(input.shape()) +
                     " to an empty size " + by_string(output));
  }
  return conv_transpose2d(input, weight, bias,
                          {.stride = options_.stride,
                           .padding = options_.padding,
                           .output_padding = options_.output_padding,
                           .dilation = options_.dilation,
                           .groups = options_.groups});
}

std::string ConvTranspose2d::extra_repr() const {
  std::string s = std::to_string(options_.in_channels) + ", " +
                  std::to_string(options_.out_channels) +
                  ", kernel_size=" + tuple_string(options_.kernel_size.values) +
                  ", stride=" + tuple_string(options_.stride.values);
  if (!all_equal(options_.padding.values, 0)) {
    s += ", padding=" + tuple_string(options_.padding.values);
  }
  if (!all_equal(options_.dilation.values, 1)) {
    s += ", dilation=" + tuple_string(options_.dilation.values);
  }
  if (!all_equal(options_.output_padding.values, 0)) {
    s += ", output_padding=" + tuple_string(options_.output_padding.values);
  }
  if (options_.groups != 1) s += ", groups=" + std::to_string(options_.groups);
  if (!bias.defined()) s += ", bias=false";
  return s;
}

}  // namespace cajal::nn
