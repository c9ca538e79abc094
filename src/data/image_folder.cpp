#include "cajal/data/image_folder.h"

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>

#include <unistd.h>

#include "cajal/core/atomic_file.h"
#include "cajal/data/idx.h"

namespace cajal::data {
namespace {

namespace fs = std::filesystem;

// 8192 x 8192: bounds what a lying header can make us allocate (a float copy of a 3-channel image
// this size is 800 MB).
constexpr int64_t kMaxPixels = int64_t(1) << 26;

std::string failure_reason() {
  const char* reason = stbi_failure_reason();
  return reason != nullptr ? reason : "unknown error";
}

void check_size_option(const char* what, const ImageOptions& options) {
  if (!options.size) return;
  auto [height, width] = *options.size;
  if (height <= 0 || width <= 0 || height * width > kMaxPixels) {
    throw ValueError(std::string(what) + ": size must be positive and at most 2^26 pixels, got [" +
                     std::to_string(height) + ", " + std::to_string(width) + "]");
  }
}

struct StbFree {
  void operator()(void* pixels) const { stbi_image_free(pixels); }
};

// Interleaved [H, W, C] floats -> planar [C, H, W], resized when asked.
Tensor to_tensor(std::vector<float> interleaved, int64_t height, int64_t width, int64_t channels,
                 const ImageOptions& options, const std::string& name) {
  if (options.size) {
    auto [new_height, new_width] = *options.size;
    if (new_height != height || new_width != width) {
      std::vector<float> resized(size_t(new_height * new_width * channels));
      if (!stbir_resize_float(interleaved.data(), int(width), int(height), 0, resized.data(),
                              int(new_width), int(new_height), 0, int(channels))) {
        throw IOError(name + ": cannot resize image to [" + std::to_string(new_height) + ", " +
                      std::to_string(new_width) + "]");
      }
      // Cubic filters overshoot at edges; keep the documented [0, 1] range.
      for (float& value : resized) value = std::clamp(value, 0.0f, 1.0f);
      interleaved = std::move(resized);
      height = new_height;
      width = new_width;
    }
  }
  Tensor image = empty({channels, height, width}, Dtype::float32);
  float* out = image.data_ptr<float>();
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t p = 0; p < height * width; ++p) {
      out[c * height * width + p] = interleaved[size_t(p * channels + c)];
    }
  }
  return image;
}

bool has_image_extension(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  for (const char* known : {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga"}) {
    if (extension == known) return true;
  }
  return false;
}

}  // namespace

Tensor decode_image(const uint8_t* bytes, size_t size, const std::string& name,
                    const ImageOptions& options) {
  check_size_option("decode_image", options);
  if (size > size_t(std::numeric_limits<int>::max())) {
    throw IOError(name + ": image file too large (" + std::to_string(size) + " bytes)");
  }
  int width = 0, height = 0, file_channels = 0;
  int length = int(size);
  if (!stbi_info_from_memory(bytes, length, &width, &height, &file_channels)) {
    throw IOError(name + ": not a readable image (" + failure_reason() + ")");
  }
  if (width <= 0 || height <= 0 || int64_t(width) * height > kMaxPixels) {
    throw IOError(name + ": image size " + std::to_string(width) + " x " + std::to_string(height) +
                  " is empty or larger than 2^26 pixels");
  }
  // stb_image decodes some truncated formats (BMP, TGA) as if the missing bytes were zeros, so a
  // header may claim far more pixels than the file holds. Deflate (PNG) expands at most 1032:1
  // and a byte holds at most 8 one-bit pixels: more pixels than that cannot be in the file.
  if (int64_t(width) * height > int64_t(size) * 8 * 1032 + 65536) {
    throw IOError(name + ": image header claims " + std::to_string(width) + " x " +
                  std::to_string(height) + " pixels, more than its " + std::to_string(size) +
                  " bytes can hold");
  }
  int channels = options.grayscale ? 1 : 3;
  const int info_width = width, info_height = height;
  // The decoder reports the size again; a disagreement with the header would overrun buffers.
  auto check_decoded = [&] {
    if (width != info_width || height != info_height) {
      throw IOError(name + ": image decodes to a different size than its header says");
    }
  };
  size_t count = size_t(width) * size_t(height) * size_t(channels);
  // Allocated only after a successful decode, so a lying header costs nothing.
  std::vector<float> interleaved;
  if (stbi_is_16_bit_from_memory(bytes, length)) {
    std::unique_ptr<stbi_us, StbFree> pixels(
        stbi_load_16_from_memory(bytes, length, &width, &height, &file_channels, channels));
    if (!pixels) throw IOError(name + ": cannot decode image (" + failure_reason() + ")");
    check_decoded();
    interleaved.resize(count);
    for (size_t i = 0; i < count; ++i) interleaved[i] = float(pixels.get()[i]) / 65535.0f;
  } else {
    std::unique_ptr<stbi_uc, StbFree> pixels(
        stbi_load_from_memory(bytes, length, &width, &height, &file_channels, channels));
    if (!pixels) throw IOError(name + ": cannot decode image (" + failure_reason() + ")");
    check_decoded();
    interleaved.resize(count);
    for (size_t i = 0; i < count; ++i) interleaved[i] = float(pixels.get()[i]) / 255.0f;
  }
  return to_tensor(std::move(interleaved), height, width, channels, options, name);
}

Tensor read_image(const std::string& path, const ImageOptions& options) {
  std::vector<uint8_t> bytes = detail::read_file(path);
  return decode_image(bytes.data(), bytes.size(), path, options);
}

void write_png(const std::string& path, const Tensor& image) {
  if (!image.defined()) throw ValueError("write_png: the image tensor is undefined");
  Tensor planar = image.dim() == 2 ? image.unsqueeze(0) : image;
  if (planar.dim() != 3 || !(planar.size(0) == 1 || planar.size(0) == 3 || planar.size(0) == 4) ||
      planar.size(1) == 0 || planar.size(2) == 0) {
    throw ValueError("write_png: image must be [H, W] or [C, H, W] with C in {1, 3, 4}, got " +
                     shape_string(image.shape()));
  }
  if (planar.dtype() != Dtype::uint8 && !planar.is_floating_point()) {
    throw ValueError("write_png: image dtype must be float32, float64 or uint8, got " +
                     std::string(dtype_name(image.dtype())));
  }
  int64_t channels = planar.size(0), height = planar.size(1), width = planar.size(2);
  if (height * width > kMaxPixels) {
    throw ValueError("write_png: image " + shape_string(image.shape()) +
                     " is larger than 2^26 pixels");
  }
  std::vector<uint8_t> interleaved(size_t(channels * height * width));
  Tensor values = planar.detach().contiguous();
  if (values.dtype() == Dtype::uint8) {
    const uint8_t* in = values.data_ptr<uint8_t>();
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t p = 0; p < height * width; ++p)
        interleaved[size_t(p * channels + c)] = in[c * height * width + p];
  } else {
    Tensor as_double = values.to(Dtype::float64).contiguous();
    const double* in = as_double.data_ptr<double>();
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t p = 0; p < height * width; ++p) {
        double value = in[c * height * width + p];
        value = std::isnan(value) ? 0.0 : std::clamp(value, 0.0, 1.0);
        interleaved[size_t(p * channels + c)] = uint8_t(std::lround(value * 255.0));
      }
    }
  }
  std::vector<uint8_t> encoded;
  auto append = [](void* context, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(context);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  if (!stbi_write_png_to_func(append, &encoded, int(width), int(height), int(channels),
                              interleaved.data(), int(width * channels))) {
    throw IOError("write_png: cannot encode '" + path + "'");
  }
  // A failed write never leaves a half-written PNG.
  try {
    write_file_atomically(
        path, std::string_view(reinterpret_cast<const char*>(encoded.data()), encoded.size()));
  } catch (const IOError& error) {
    throw IOError(std::string("write_png: ") + error.what());
  }
}

ImageFolder::ImageFolder(std::string root, ImageOptions options)
    : root_(std::move(root)), options_(std::move(options)) {
  check_size_option("ImageFolder", options_);
  std::error_code error;
  if (!fs::is_directory(root_, error)) {
    throw IOError("ImageFolder: '" + root_ + "' is not a directory");
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(root_, error)) {
    if (entry.is_directory()) classes_.push_back(entry.path().filename().string());
  }
  if (error) throw IOError("ImageFolder: cannot list '" + root_ + "': " + error.message());
  std::sort(classes_.begin(), classes_.end());
  if (classes_.empty()) {
    throw IOError("ImageFolder: '" + root_ + "' has no class sub-folders");
  }
  int64_t channels = options_.grayscale ? 1 : 3;
  std::string first_file;
  for (int64_t label = 0; label < int64_t(classes_.size()); ++label) {
    std::vector<std::string> files;
    for (const fs::directory_entry& entry :
         fs::recursive_directory_iterator(fs::path(root_) / classes_[size_t(label)], error)) {
      if (entry.is_regular_file() && has_image_extension(entry.path())) {
        files.push_back(entry.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      int width = 0, height = 0, file_channels = 0;
      if (!stbi_info(file.c_str(), &width, &height, &file_channels)) {
        throw IOError("ImageFolder: '" + file + "' is not a readable image (" + failure_reason() +
                      ")");
      }
      if (options_.size) {
        image_shape_ = {channels, options_.size->first, options_.size->second};
      } else if (image_shape_.empty()) {
        image_shape_ = {channels, height, width};
        first_file = file;
      } else if (image_shape_[1] != height || image_shape_[2] != width) {
        throw ValueError("ImageFolder: '" + file + "' is " + std::to_string(height) + " x " +
                         std::to_string(width) + " but '" + first_file + "' is " +
                         std::to_string(image_shape_[1]) + " x " + std::to_string(image_shape_[2]) +
                         " (height x width); set options.size to resize them all");
      }
      samples_.emplace_back(file, label);
    }
  }
  if (samples_.empty()) {
    throw IOError("ImageFolder: no images (.png .jpg .jpeg .bmp .gif .tga) under '" + root_ + "'");
  }
}

Example ImageFolder::get(int64_t index) const {
  check_index("ImageFolder", index, size());
  const auto& [path, label] = samples_[size_t(index)];
  Tensor image = read_image(path, options_);
  if (image.shape() != image_shape_) {
    // The file changed since the folder was scanned.
    throw ValueError("ImageFolder: '" + path + "' decodes to " + shape_string(image.shape()) +
                     ", expected " + shape_string(image_shape_));
  }
  Tensor target = empty({}, Dtype::int64);
  *target.data_ptr<int64_t>() = label;
  return {image, target};
}

Tensor ImageFolder::targets() const {
  Tensor labels = empty({size()}, Dtype::int64);
  int64_t* out = labels.data_ptr<int64_t>();
  for (size_t i = 0; i < samples_.size(); ++i) out[i] = samples_[i].second;
  return labels;
}

}  // namespace cajal::data
