#include "cajal/data/augmentation.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/nn/module.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/manipulation.h"

namespace cajal::data {
namespace {

std::string number(double value) { return fmt::format("{}", value); }

std::string list_string(const std::vector<int64_t>& values) {
  return fmt::format("{{{}}}", fmt::join(values, ", "));
}

// ShapeError unless image is [C, H, W] or [N, C, H, W].
void check_image(const char* what, const Tensor& image) {
  if (!image.defined()) throw ValueError(std::string(what) + ": image is undefined");
  if (image.dim() != 3 && image.dim() != 4) {
    throw ShapeError(std::string(what) + ": expected an image [C, H, W] or a batch [N, C, H, W], " +
                     "got " + shape_string(image.shape()));
  }
}

void check_floating(const char* what, const Tensor& image) {
  if (!image.is_floating_point()) {
    throw ValueError(std::string(what) + ": expected a floating-point image, got dtype " +
                     std::string(dtype_name(image.dtype())));
  }
}

void check_probability(const char* what, const char* option, double p) {
  if (!(p >= 0 && p <= 1)) {
    throw ValueError(fmt::format("{}: {} must be in [0, 1], got {}", what, option, p));
  }
}

// Applies fn to each image of a batch (independent draws, in batch order) or to a single image.
template <typename Fn>
Tensor per_image(const Tensor& batch_or_image, Fn&& fn) {
  const Tensor image = batch_or_image.detach();
  if (image.dim() == 3) return fn(image);
  std::vector<Tensor> outputs;
  outputs.reserve(static_cast<size_t>(image.size(0)));
  for (int64_t i = 0; i < image.size(0); ++i) outputs.push_back(fn(image.select(0, i)));
  if (outputs.empty()) return image.clone();
  return stack(outputs);
}

// Uniform in [low, high].
double uniform(Generator& generator, double low, double high) {
  return low + (high - low) * generator.uniform();
}

template <typename T>
void rotate_kernel(const T* input, T* output, int64_t channels, int64_t height, int64_t width,
                   double cosine, double sine, bool bilinear, double fill) {
  const double center_x = 0.5 * static_cast<double>(width - 1);
  const double center_y = 0.5 * static_cast<double>(height - 1);
  const int64_t plane = height * width;
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      // Inverse mapping: the source of output pixel (x, y) is it rotated back by the angle.
      // Counter-clockwise on screen (y pointing down) sends (dx, dy) to (c dx + s dy, c dy - s dx).
      const double dx = static_cast<double>(x) - center_x;
      const double dy = static_cast<double>(y) - center_y;
      const double source_x = center_x + cosine * dx - sine * dy;
      const double source_y = center_y + sine * dx + cosine * dy;
      for (int64_t c = 0; c < channels; ++c) {
        const T* in = input + c * plane;
        auto sample = [&](int64_t sy, int64_t sx) -> double {
          if (sy < 0 || sy >= height || sx < 0 || sx >= width) return fill;
          return static_cast<double>(in[sy * width + sx]);
        };
        double value;
        if (bilinear) {
          const double floor_x = std::floor(source_x);
          const double floor_y = std::floor(source_y);
          const double fraction_x = source_x - floor_x;
          const double fraction_y = source_y - floor_y;
          const auto x0 = static_cast<int64_t>(floor_x);
          const auto y0 = static_cast<int64_t>(floor_y);
          value = (1 - fraction_y) *
                      ((1 - fraction_x) * sample(y0, x0) + fraction_x * sample(y0, x0 + 1)) +
                  fraction_y *
                      ((1 - fraction_x) * sample(y0 + 1, x0) + fraction_x * sample(y0 + 1, x0 + 1));
        } else {
          value = sample(static_cast<int64_t>(std::floor(source_y + 0.5)),
                         static_cast<int64_t>(std::floor(source_x + 0.5)));
        }
        output[c * plane + y * width + x] = static_cast<T>(value);
      }
    }
  }
}

Tensor rotate_one(const Tensor& image, double degrees, bool bilinear, double fill) {
  Tensor input = image.detach().contiguous();
  Tensor output = empty(input.shape(), input.dtype());
  const double radians = degrees * std::numbers::pi / 180.0;
  const double cosine = std::cos(radians);
  const double sine = std::sin(radians);
  if (input.dtype() == Dtype::float64) {
    rotate_kernel(input.data_ptr<double>(), output.data_ptr<double>(), input.size(0), input.size(1),
                  input.size(2), cosine, sine, bilinear, fill);
  } else {
    // Other floating dtypes go through float32.
    Tensor input32 = input.to(Dtype::float32).contiguous();
    Tensor output32 = empty(input.shape(), Dtype::float32);
    rotate_kernel(input32.data_ptr<float>(), output32.data_ptr<float>(), input.size(0),
                  input.size(1), input.size(2), cosine, sine, bilinear, fill);
    output = output32.to(input.dtype());
  }
  return output;
}

void check_interpolation(const char* what, const std::string& interpolation) {
  if (interpolation != "bilinear" && interpolation != "nearest") {
    throw ValueError(std::string(what) +
                     ": interpolation must be \"bilinear\" or \"nearest\", got \"" + interpolation +
                     "\"");
  }
}

}  // namespace

// ---- RandomHorizontalFlip ----

RandomHorizontalFlip::RandomHorizontalFlip(RandomHorizontalFlipOptions options)
    : options_(options) {
  check_probability("RandomHorizontalFlip", "p", options_.p);
}

Tensor RandomHorizontalFlip::operator()(const Tensor& image, Generator& generator) const {
  check_image("RandomHorizontalFlip", image);
  return per_image(image, [&](const Tensor& one) {
    return generator.uniform() < options_.p ? flip(one, {2}) : one.clone();
  });
}

// ---- RandomCrop ----

RandomCrop::RandomCrop(RandomCropOptions options) : options_(std::move(options)) {
  const auto& size = options_.size;
  if (size.empty() || size.size() > 2 ||
      std::any_of(size.begin(), size.end(), [](int64_t s) { return s <= 0; })) {
    throw ValueError(
        "RandomCrop: size must be {side} or {height, width} with positive entries, got " +
        list_string(size));
  }
  const auto& padding = options_.padding;
  if (padding.size() == 3 || padding.size() > 4 ||
      std::any_of(padding.begin(), padding.end(), [](int64_t p) { return p < 0; })) {
    throw ValueError(
        "RandomCrop: padding must be {}, {all}, {left/right, top/bottom} or {left, top, right, "
        "bottom} with entries >= 0, got " +
        list_string(padding));
  }
  const std::string& mode = options_.padding_mode;
  if (mode != "constant" && mode != "edge" && mode != "reflect") {
    throw ValueError(
        "RandomCrop: padding_mode must be \"constant\", \"edge\" or \"reflect\", got \"" + mode +
        "\"");
  }
}

Tensor RandomCrop::operator()(const Tensor& image, Generator& generator) const {
  check_image("RandomCrop", image);
  const int64_t crop_height = options_.size[0];
  const int64_t crop_width = options_.size.size() == 2 ? options_.size[1] : options_.size[0];
  int64_t left = 0, top = 0, right = 0, bottom = 0;
  const auto& padding = options_.padding;
  if (padding.size() == 1) {
    left = top = right = bottom = padding[0];
  } else if (padding.size() == 2) {
    left = right = padding[0];
    top = bottom = padding[1];
  } else if (padding.size() == 4) {
    left = padding[0], top = padding[1], right = padding[2], bottom = padding[3];
  }
  const int64_t height = image.size(-2);
  const int64_t width = image.size(-1);
  if (options_.pad_if_needed) {
    // As torchvision: a side that is still too small is padded by the shortfall on both ends.
    const int64_t padded_width = width + left + right;
    const int64_t padded_height = height + top + bottom;
    if (padded_width < crop_width) {
      left += crop_width - padded_width;
      right += crop_width - padded_width;
    }
    if (padded_height < crop_height) {
      top += crop_height - padded_height;
      bottom += crop_height - padded_height;
    }
  }
  const int64_t padded_height = height + top + bottom;
  const int64_t padded_width = width + left + right;
  if (padded_height < crop_height || padded_width < crop_width) {
    throw ShapeError(fmt::format(
        "RandomCrop: crop size [{}, {}] is larger than the padded image [{}, {}] (image {})",
        crop_height, crop_width, padded_height, padded_width, shape_string(image.shape())));
  }
  if (options_.padding_mode == "reflect" &&
      (std::max(left, right) >= width || std::max(top, bottom) >= height)) {
    throw ValueError(fmt::format(
        "RandomCrop: reflect padding [left {}, top {}, right {}, bottom {}] must be smaller than "
        "the image {}",
        left, top, right, bottom, shape_string(image.shape())));
  }
  return per_image(image, [&](const Tensor& one) {
    Tensor padded = one;
    if (left || right || top || bottom) {
      const std::string mode =
          options_.padding_mode == "edge" ? "replicate" : options_.padding_mode;
      padded = pad(one, {left, right, top, bottom}, mode, options_.fill);
    }
    const int64_t i = generator.integer(0, padded_height - crop_height + 1);
    const int64_t j = generator.integer(0, padded_width - crop_width + 1);
    return padded.narrow(1, i, crop_height).narrow(2, j, crop_width).contiguous();
  });
}

// ---- translation ----

Tensor translate(const Tensor& image, int64_t down, int64_t right, double fill_value) {
  check_image("translate", image);
  Tensor output = full_like(image, fill_value);
  const int64_t height = image.size(-2);
  const int64_t width = image.size(-1);
  const int64_t rows = height - std::abs(down);
  const int64_t columns = width - std::abs(right);
  if (rows <= 0 || columns <= 0) return output;
  const int64_t h_dim = image.dim() - 2;
  const int64_t w_dim = image.dim() - 1;
  Tensor source = image.detach()
                      .narrow(h_dim, std::max<int64_t>(0, -down), rows)
                      .narrow(w_dim, std::max<int64_t>(0, -right), columns);
  output.narrow(h_dim, std::max<int64_t>(0, down), rows)
      .narrow(w_dim, std::max<int64_t>(0, right), columns)
      .copy_(source);
  return output;
}

RandomTranslation::RandomTranslation(RandomTranslationOptions options) : options_(options) {
  check_probability("RandomTranslation", "height_factor", options_.height_factor);
  check_probability("RandomTranslation", "width_factor", options_.width_factor);
  if (!std::isfinite(options_.fill_value)) {
    throw ValueError("RandomTranslation: fill_value must be finite, got " +
                     number(options_.fill_value));
  }
}

Tensor RandomTranslation::operator()(const Tensor& image, Generator& generator) const {
  check_image("RandomTranslation", image);
  const double max_down = options_.height_factor * static_cast<double>(image.size(-2));
  const double max_right = options_.width_factor * static_cast<double>(image.size(-1));
  return per_image(image, [&](const Tensor& one) {
    const auto down = static_cast<int64_t>(std::nearbyint(uniform(generator, -max_down, max_down)));
    const auto right =
        static_cast<int64_t>(std::nearbyint(uniform(generator, -max_right, max_right)));
    return translate(one, down, right, options_.fill_value);
  });
}

// ---- rotation ----

Tensor rotate(const Tensor& image, double degrees, const std::string& interpolation, double fill) {
  check_image("rotate", image);
  check_floating("rotate", image);
  check_interpolation("rotate", interpolation);
  if (!std::isfinite(degrees))
    throw ValueError("rotate: degrees must be finite, got " + number(degrees));
  const bool bilinear = interpolation == "bilinear";
  return per_image(image,
                   [&](const Tensor& one) { return rotate_one(one, degrees, bilinear, fill); });
}

RandomRotation::RandomRotation(double degrees) : RandomRotation(RandomRotationOptions{}) {
  if (!(degrees >= 0) || !std::isfinite(degrees)) {
    throw ValueError("RandomRotation: degrees must be a finite number >= 0, got " +
                     number(degrees));
  }
  options_.degrees = {-degrees, degrees};
}

RandomRotation::RandomRotation(RandomRotationOptions options) : options_(std::move(options)) {
  const auto& degrees = options_.degrees;
  if (!std::isfinite(degrees[0]) || !std::isfinite(degrees[1]) || degrees[0] > degrees[1]) {
    throw ValueError(fmt::format(
        "RandomRotation: degrees must be a finite range {{min, max}} with min <= max, got {{{}, "
        "{}}}",
        degrees[0], degrees[1]));
  }
  check_interpolation("RandomRotation", options_.interpolation);
  if (!std::isfinite(options_.fill)) {
    throw ValueError("RandomRotation: fill must be finite, got " + number(options_.fill));
  }
}

Tensor RandomRotation::operator()(const Tensor& image, Generator& generator) const {
  check_image("RandomRotation", image);
  check_floating("RandomRotation", image);
  const bool bilinear = options_.interpolation == "bilinear";
  return per_image(image, [&](const Tensor& one) {
    const double angle = uniform(generator, options_.degrees[0], options_.degrees[1]);
    return rotate_one(one, angle, bilinear, options_.fill);
  });
}

// ---- RandomErasing ----

RandomErasing::RandomErasing(RandomErasingOptions options) : options_(options) {
  check_probability("RandomErasing", "p", options_.p);
  const auto& scale = options_.scale;
  if (!(scale[0] >= 0 && scale[0] <= scale[1] && scale[1] <= 1)) {
    throw ValueError(fmt::format(
        "RandomErasing: scale must satisfy 0 <= scale[0] <= scale[1] <= 1, got {{{}, {}}}",
        scale[0], scale[1]));
  }
  const auto& ratio = options_.ratio;
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1] && std::isfinite(ratio[1]))) {
    throw ValueError(
        fmt::format("RandomErasing: ratio must satisfy 0 < ratio[0] <= ratio[1], got {{{}, {}}}",
                    ratio[0], ratio[1]));
  }
  if (!std::isfinite(options_.value)) {
    throw ValueError("RandomErasing: value must be finite, got " + number(options_.value));
  }
}

Tensor RandomErasing::operator()(const Tensor& image, Generator& generator) const {
  check_image("RandomErasing", image);
  if (options_.random_value) check_floating("RandomErasing", image);
  return per_image(image, [&](const Tensor& one) {
    Tensor output = one.detach().clone();
    if (!(generator.uniform() < options_.p)) return output;
    const int64_t height = one.size(1);
    const int64_t width = one.size(2);
    const double area = static_cast<double>(height * width);
    const double log_ratio_low = std::log(options_.ratio[0]);
    const double log_ratio_high = std::log(options_.ratio[1]);
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double erase_area = area * uniform(generator, options_.scale[0], options_.scale[1]);
      const double aspect = std::exp(uniform(generator, log_ratio_low, log_ratio_high));
      const auto h = static_cast<int64_t>(std::nearbyint(std::sqrt(erase_area * aspect)));
      const auto w = static_cast<int64_t>(std::nearbyint(std::sqrt(erase_area / aspect)));
      if (!(h < height && w < width)) continue;
      const int64_t top = generator.integer(0, height - h + 1);
      const int64_t left = generator.integer(0, width - w + 1);
      Tensor region = output.narrow(1, top, h).narrow(2, left, w);
      if (options_.random_value) {
        std::vector<double> noise(static_cast<size_t>(region.numel()));
        for (double& v : noise) v = generator.normal();
        region.copy_(from_vector(noise, region.shape()));
      } else {
        region.fill_(options_.value);
      }
      return output;
    }
    return output;
  });
}

// ---- Normalize ----

Normalize::Normalize(NormalizeOptions options) : options_(std::move(options)) {
  const auto& mean = options_.mean;
  const auto& std = options_.std;
  if (mean.empty()) throw ValueError("Normalize: mean must have at least one entry, got {}");
  if (std.empty()) throw ValueError("Normalize: std must have at least one entry, got {}");
  for (size_t c = 0; c < mean.size(); ++c) {
    if (!std::isfinite(mean[c])) {
      throw ValueError(fmt::format("Normalize: mean[{}] must be finite, got {}", c, mean[c]));
    }
  }
  for (size_t c = 0; c < std.size(); ++c) {
    if (!(std[c] != 0) || !std::isfinite(std[c])) {
      throw ValueError(
          fmt::format("Normalize: std[{}] must be finite and non-zero, got {}", c, std[c]));
    }
  }
  if (mean.size() != 1 && std.size() != 1 && mean.size() != std.size()) {
    throw ValueError(
        fmt::format("Normalize: mean has {} entries but std has {}", mean.size(), std.size()));
  }
}

Tensor Normalize::operator()(const Tensor& image) const {
  check_image("Normalize", image);
  check_floating("Normalize", image);
  const int64_t channels = image.size(-3);
  auto per_channel = [&](const std::vector<double>& values, const char* name) {
    if (values.size() != 1 && static_cast<int64_t>(values.size()) != channels) {
      throw ShapeError(fmt::format("Normalize: {} has {} entries but the image {} has {} channels",
                                   name, values.size(), shape_string(image.shape()), channels));
    }
    std::vector<double> expanded(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) {
      expanded[static_cast<size_t>(c)] = values.size() == 1 ? values[0] : values[c];
    }
    return from_vector(expanded, {channels, 1, 1}).to(image.dtype());
  };
  Tensor mean = per_channel(options_.mean, "mean");
  Tensor std = per_channel(options_.std, "std");
  Tensor output = image.detach().clone();
  output.sub_(mean);
  output.div_(std);
  return output;
}

// ---- Compose ----

Tensor Compose::operator()(const Tensor& image, Generator& generator) const {
  Tensor output = image;
  for (const ImageTransform& transform : transforms_) output = transform(output, generator);
  return output;
}

// ---- test-time augmentation ----

Tensor tta_predict(nn::Module& model, const Tensor& images, const TtaOptions& options) {
  if (!images.defined() || images.dim() != 4) {
    throw ShapeError("tta_predict: expected images [N, C, H, W], got " +
                     (images.defined() ? shape_string(images.shape()) : std::string("undefined")));
  }
  const int64_t height = images.size(2);
  const int64_t width = images.size(3);
  for (size_t k = 0; k < options.shifts.size(); ++k) {
    const int64_t shift = options.shifts[k];
    if (shift <= 0 || shift >= height || shift >= width) {
      throw ValueError(
          fmt::format("tta_predict: shifts[{}] must be in [1, {}) for images {}, got {}", k,
                      std::min(height, width), shape_string(images.shape()), shift));
    }
  }
  // Restores the caller's mode even when the model throws.
  struct ModeGuard {
    nn::Module& model;
    bool training;
    ~ModeGuard() { model.train(training); }
  } guard{model, model.is_training()};
  model.eval();
  no_grad no_grad_guard;

  std::vector<Tensor> bases{images};
  if (options.flips) bases.push_back(flip(images, {3}));
  Tensor total;
  int64_t views = 0;
  auto add_view = [&](const Tensor& view) {
    Tensor logits = model(view);
    if (logits.dim() != 2 || logits.size(0) != images.size(0)) {
      throw ShapeError("tta_predict: expected the model to map images " +
                       shape_string(images.shape()) + " to logits [N, classes], got " +
                       shape_string(logits.shape()));
    }
    Tensor probabilities = softmax(logits, 1);
    total = total.defined() ? total + probabilities : probabilities;
    ++views;
  };
  for (const Tensor& base : bases) {
    add_view(base);
    for (int64_t shift : options.shifts) {
      add_view(translate(base, shift, 0));
      add_view(translate(base, -shift, 0));
      add_view(translate(base, 0, shift));
      add_view(translate(base, 0, -shift));
    }
  }
  return total / static_cast<double>(views);
}

}  // namespace cajal::data
