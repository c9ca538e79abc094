#pragma once
// Image augmentation (random flips, crops, translations, rotations, erasing), per-channel
// normalization and test-time augmentation.
//
//   data::Compose augment{data::RandomCrop({.size = {28}, .padding = {2}}),
//                         data::RandomHorizontalFlip(),
//                         data::Normalize({.mean = {0.286}, .std = {0.353}})};
//   Generator generator(42);
//   Tensor out = augment(image, generator);      // image: [C, H, W] -> [C, H, W]
//
//   data::DataLoader loader(train, {.batch_size = 128, .shuffle = true, .seed = 42,
//                                   .transform = data::input_transform(augment)});
//
// Images are [C, H, W] tensors; every transform also takes a batch [N, C, H, W], and then draws
// independently for each image. A random transform draws only from the Generator it is given, so
// the same seed gives the same augmented images. The one-argument forms draw from
// data::thread_generator() (loader.h): inside a DataLoader that is the loader's per-example
// generator, so augmentation is reproducible per seed and safe on the prefetch thread; elsewhere
// it is the global generator. A Generator must not be shared between threads, but transforms are
// immutable after construction: one object may be called from several threads, each with its own
// generator. Outputs are new tensors, detached from the autograd graph (augmentation is data
// preparation, not differentiable); inputs are never modified.
#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "cajal/core/random.h"
#include "cajal/core/tensor.h"
#include "cajal/data/loader.h"

namespace cajal::nn {
class Module;
}

namespace cajal::data {

// Any image transform: a callable (image, generator) -> image. Every class below converts to it.
using ImageTransform = std::function<Tensor(const Tensor& image, Generator& generator)>;

// Flips the image left-right (along W) with probability p, as torchvision's
// RandomHorizontalFlip.
struct RandomHorizontalFlipOptions {
  double p = 0.5;  // in [0, 1]
};
class RandomHorizontalFlip {
 public:
  explicit RandomHorizontalFlip(RandomHorizontalFlipOptions options = {});
  Tensor operator()(const Tensor& image, Generator& generator) const;
  Tensor operator()(const Tensor& image) const { return (*this)(image, thread_generator()); }
  const RandomHorizontalFlipOptions& options() const { return options_; }

 private:
  RandomHorizontalFlipOptions options_;
};

// Pads the image, then cuts a window of `size` at a uniformly random position, as torchvision's
// RandomCrop. Output: [C, size_h, size_w].
struct RandomCropOptions {
  // {side} for a square crop or {height, width}; required, each > 0.
  std::vector<int64_t> size{};
  // {} (none), {all sides}, {left/right, top/bottom} or {left, top, right, bottom}; each >= 0.
  std::vector<int64_t> padding{};
  // Pads further (both sides equally, as torchvision) when the padded image is smaller than size.
  bool pad_if_needed = false;
  double fill = 0;  // the value of padded pixels in "constant" mode
  // "constant" (fill), "edge" (repeats the border pixel) or "reflect" (mirrors without repeating
  // the border pixel; each pad must be smaller than the image side).
  std::string padding_mode = "constant";
};
class RandomCrop {
 public:
  // ValueError naming the option and value for a bad size, padding or padding_mode.
  explicit RandomCrop(RandomCropOptions options);
  // ShapeError naming the shapes when the padded image is smaller than size.
  Tensor operator()(const Tensor& image, Generator& generator) const;
  Tensor operator()(const Tensor& image) const { return (*this)(image, thread_generator()); }
  const RandomCropOptions& options() const { return options_; }

 private:
  RandomCropOptions options_;
};

// Shifts the image by a random whole number of pixels, uniformly drawn from
// [-height_factor * H, height_factor * H] down and [-width_factor * W, width_factor * W] right,
// filling the uncovered pixels with fill_value: Keras' RandomTranslation with
// fill_mode="constant". Unlike Keras, shifts are rounded to whole pixels (as torchvision's
// RandomAffine does for its translate), so the image is moved without interpolation blur.
struct RandomTranslationOptions {
  double height_factor = 0;  // in [0, 1]
  double width_factor = 0;   // in [0, 1]
  double fill_value = 0;
};
class RandomTranslation {
 public:
  explicit RandomTranslation(RandomTranslationOptions options);
  Tensor operator()(const Tensor& image, Generator& generator) const;
  Tensor operator()(const Tensor& image) const { return (*this)(image, thread_generator()); }
  const RandomTranslationOptions& options() const { return options_; }

 private:
  RandomTranslationOptions options_;
};

// Shifts an image by exactly (down, right) pixels (negative: up, left), filling with fill_value.
// image: [C, H, W] or [N, C, H, W] -> the same shape. Shifts of a whole side or more leave only
// fill.
Tensor translate(const Tensor& image, int64_t down, int64_t right, double fill_value = 0);

// Rotates the image about its centre by an angle drawn uniformly from degrees (counter-clockwise
// for positive angles, as torchvision's RandomRotation), keeping the size (expand=false). Output
// pixels are sampled with bilinear (or nearest) interpolation from the input; neighbours outside
// the image count as fill. Floating-point images only.
struct RandomRotationOptions {
  std::array<double, 2> degrees{0, 0};     // {min, max}, min <= max
  std::string interpolation = "bilinear";  // "bilinear" or "nearest"
  double fill = 0;
};
class RandomRotation {
 public:
  // degrees d: the range [-d, d] (d >= 0), as torchvision.
  explicit RandomRotation(double degrees);
  explicit RandomRotation(RandomRotationOptions options);
  Tensor operator()(const Tensor& image, Generator& generator) const;
  Tensor operator()(const Tensor& image) const { return (*this)(image, thread_generator()); }
  const RandomRotationOptions& options() const { return options_; }

 private:
  RandomRotationOptions options_;
};

// Rotates an image by exactly `degrees` (counter-clockwise) about its centre, as above.
// image: [C, H, W] or [N, C, H, W] floating point -> the same shape.
Tensor rotate(const Tensor& image, double degrees, const std::string& interpolation = "bilinear",
              double fill = 0);

// Random erasing (Zhong, Zheng, Kang, Li and Yang, "Random Erasing Data Augmentation", 2017),
// as torchvision's RandomErasing: with probability p, picks a rectangle of area
// scale * H * W and aspect ratio (height / width) drawn log-uniformly from ratio, at a uniformly
// random position, and sets it to value (or, with random_value, to standard normal noise) in all
// channels. After 10 draws whose rectangle does not fit, the image is returned unchanged.
struct RandomErasingOptions {
  double p = 0.5;                           // in [0, 1]
  std::array<double, 2> scale{0.02, 0.33};  // 0 <= scale[0] <= scale[1] <= 1
  std::array<double, 2> ratio{0.3, 3.3};    // 0 < ratio[0] <= ratio[1]
  double value = 0;
  bool random_value = false;  // torchvision's value="random"
};
class RandomErasing {
 public:
  explicit RandomErasing(RandomErasingOptions options = {});
  Tensor operator()(const Tensor& image, Generator& generator) const;
  Tensor operator()(const Tensor& image) const { return (*this)(image, thread_generator()); }
  const RandomErasingOptions& options() const { return options_; }

 private:
  RandomErasingOptions options_;
};

// (image - mean[c]) / std[c] for each channel c, as torchvision's Normalize. Deterministic: the
// generator argument is ignored, and the one-argument form needs none.
struct NormalizeOptions {
  std::vector<double> mean{};  // one per channel, or one for all channels
  std::vector<double> std{};   // likewise; each != 0
};
class Normalize {
 public:
  explicit Normalize(NormalizeOptions options);
  // ShapeError when the image's channel count does not match mean/std.
  Tensor operator()(const Tensor& image) const;
  Tensor operator()(const Tensor& image, Generator&) const { return (*this)(image); }
  const NormalizeOptions& options() const { return options_; }

 private:
  NormalizeOptions options_;
};

// Applies transforms in order, each drawing from the same generator.
class Compose {
 public:
  Compose() = default;
  Compose(std::initializer_list<ImageTransform> transforms) : transforms_(transforms) {}
  explicit Compose(std::vector<ImageTransform> transforms) : transforms_(std::move(transforms)) {}
  Tensor operator()(const Tensor& image, Generator& generator) const;
  Tensor operator()(const Tensor& image) const { return (*this)(image, thread_generator()); }
  void push_back(ImageTransform transform) { transforms_.push_back(std::move(transform)); }
  size_t size() const { return transforms_.size(); }

 private:
  std::vector<ImageTransform> transforms_;
};

// Adapts an image transform to the DataLoader's per-example Transform: the example's input goes
// through `transform`, drawing from thread_generator(); the target is kept.
inline Transform input_transform(ImageTransform transform) {
  return [transform = std::move(transform)](Example example) {
    example.input = transform(example.input, thread_generator());
    return example;
  };
}

// Test-time augmentation: the views each image is predicted on.
struct TtaOptions {
  bool flips = true;  // also predict the left-right flipped image
  // Shifts in pixels (each > 0 and smaller than H and W): for each base view (the image and, with
  // flips, its flip) and each shift s, the view moved s pixels down, up, right and left, with zero
  // fill.
  std::vector<int64_t> shifts{};
};

// The class probabilities of `model` averaged over the views of each image: the original, its
// horizontal flip (flips) and, for each shift, the four shifted copies of each of those; that is
// (1 + flips) * (1 + 4 * shifts.size()) views. Runs the model in eval mode under no_grad and
// restores its training mode afterwards.
// images: [N, C, H, W]; the model maps [N, C, H, W] to logits [N, classes] -> [N, classes]
// probabilities (softmax over dim 1 of each view's logits, then the mean over views).
Tensor tta_predict(nn::Module& model, const Tensor& images, const TtaOptions& options = {});

}  // namespace cajal::data
