#pragma once
// Images on disk: decoding (PNG, JPEG, BMP, GIF, TGA via stb_image), writing PNG, and a data set
// of class sub-folders, as torchvision's ImageFolder:
//   root/cat/1.png  root/cat/2.jpg  root/dog/a.png  ...   -> classes {"cat", "dog"}, sorted
//
//   data::ImageFolder train("pets/train", {.grayscale = true, .size = {{28, 28}}});
//   data::Example e = train.get(0);   // e.input float32 [1, 28, 28] in [0, 1], e.target [] int64
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/data/dataset.h"

namespace cajal::data {

struct ImageOptions {
  // One channel (luma, as stb_image computes it) instead of three (RGB; alpha is dropped).
  bool grayscale = false;
  // Resize every image to {height, width} (stb_image_resize, its default filters: Catmull-Rom
  // when enlarging, Mitchell when shrinking; results clamped to [0, 1]).
  std::optional<std::pair<int64_t, int64_t>> size{};
};

// Decodes an image file's bytes to float32 [C, H, W] in [0, 1] (8-bit data / 255, 16-bit PNG
// data / 65535), C = 1 or 3. IOError naming `name` when the bytes are not a decodable image or the
// image exceeds 2^26 pixels; ValueError for a non-positive size.
Tensor decode_image(const uint8_t* bytes, size_t size, const std::string& name = "<memory>",
                    const ImageOptions& options = {});
Tensor read_image(const std::string& path, const ImageOptions& options = {});

// Writes a PNG. image: [H, W] or [C, H, W] with C in {1, 3, 4} (gray, RGB, RGBA); float values
// are clamped to [0, 1] and scaled by 255 (rounded), uint8 values are written as they are.
// ValueError for another shape or dtype, IOError when the file cannot be written.
void write_png(const std::string& path, const Tensor& image);

class ImageFolder : public Dataset {
 public:
  // Scans root's sub-folders (sorted by name; each is a class) for files with a known image
  // extension (.png .jpg .jpeg .bmp .gif .tga, any case), sorted by name, and reads each image's
  // header. IOError when root is missing, has no class folders or no images; ValueError naming the
  // file when images differ in size and no options.size is given.
  ImageFolder(std::string root, ImageOptions options = {});

  int64_t size() const override { return int64_t(samples_.size()); }
  // Decodes the image: input float32 [C, H, W], target int64 [] (the class index).
  Example get(int64_t index) const override;
  Tensor targets() const override;  // int64 [N]

  const std::vector<std::string>& classes() const { return classes_; }
  // (path, class index) of every image, in the order get() uses.
  const std::vector<std::pair<std::string, int64_t>>& samples() const { return samples_; }
  // The shape every input has: [C, H, W].
  const Shape& image_shape() const { return image_shape_; }

 private:
  std::string root_;
  ImageOptions options_;
  std::vector<std::string> classes_;
  std::vector<std::pair<std::string, int64_t>> samples_;
  Shape image_shape_;
};

}  // namespace cajal::data
