#include "cajal/data/fashion_mnist.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "cajal/data/idx.h"

namespace cajal::data {
namespace {

namespace fs = std::filesystem;

// The file for `stem` in `directory`: raw or .gz, with MNIST's two spellings (train-images-idx3-
// ubyte on Yann LeCun's site and Debian; train-images.idx3-ubyte in some archives).
std::string find_file(const std::string& directory, const std::string& stem,
                      const std::string& kind) {
  std::string dotted = stem + "." + kind;
  std::string dashed = stem + "-" + kind;
  for (const std::string& name : {dashed, dashed + ".gz", dotted, dotted + ".gz"}) {
    fs::path candidate = fs::path(directory) / name;
    std::error_code error;
    if (fs::is_regular_file(candidate, error)) return candidate.string();
  }
  throw IOError("mnist: '" + directory + "' has no " + dashed + " (nor " + dashed +
                ".gz); expected an MNIST-format directory");
}

TensorDataset load_split(const std::string& directory, const std::string& prefix,
                         std::optional<int64_t> limit, bool flatten, int64_t classes) {
  std::string images_path = find_file(directory, prefix + "-images", "idx3-ubyte");
  std::string labels_path = find_file(directory, prefix + "-labels", "idx1-ubyte");
  Tensor images = read_idx(images_path);
  Tensor labels = read_idx(labels_path);
  if (images.dtype() != Dtype::uint8 || images.dim() != 3) {
    throw IOError(images_path + ": expected uint8 images [N, H, W], got " +
                  std::string(dtype_name(images.dtype())) + " " + shape_string(images.shape()));
  }
  if (labels.dtype() != Dtype::uint8 || labels.dim() != 1) {
    throw IOError(labels_path + ": expected uint8 labels [N], got " +
                  std::string(dtype_name(labels.dtype())) + " " + shape_string(labels.shape()));
  }
  if (labels.size(0) != images.size(0)) {
    throw IOError(directory + ": " + std::to_string(images.size(0)) + " images in " + images_path +
                  " but " + std::to_string(labels.size(0)) + " labels in " + labels_path);
  }
  int64_t count = images.size(0);
  if (limit) count = std::min(count, *limit);
  int64_t height = images.size(1), width = images.size(2);
  Shape shape = flatten ? Shape{count, height * width} : Shape{count, 1, height, width};
  Tensor inputs = empty(shape, Dtype::float32);
  const uint8_t* pixels = images.data_ptr<uint8_t>();
  float* out = inputs.data_ptr<float>();
  // Division (not multiplication by 1/255) matches torchvision's ToTensor bit for bit.
  for (int64_t i = 0; i < count * height * width; ++i) out[i] = float(pixels[i]) / 255.0f;

  Tensor targets = empty({count}, Dtype::int64);
  const uint8_t* raw_labels = labels.data_ptr<uint8_t>();
  int64_t* target = targets.data_ptr<int64_t>();
  for (int64_t i = 0; i < count; ++i) {
    if (raw_labels[i] >= classes) {
      throw IOError(labels_path + ": label " + std::to_string(raw_labels[i]) + " at index " +
                    std::to_string(i) + " is outside [0, " + std::to_string(classes) + ")");
    }
    target[i] = raw_labels[i];
  }
  return TensorDataset(inputs, targets);
}

}  // namespace

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

MnistData mnist(const std::string& path, const MnistOptions& options,
                std::vector<std::string> class_names) {
  for (const auto& [name, limit] : {std::pair{"train_limit", options.train_limit},
                                    std::pair{"test_limit", options.test_limit}}) {
    if (limit && *limit < 0) {
      throw ValueError(std::string("mnist: ") + name + " must be >= 0, got " +
                       std::to_string(*limit));
    }
  }
  std::error_code error;
  if (!fs::is_directory(path, error)) {
    throw IOError("mnist: data directory '" + path + "' does not exist");
  }
  if (class_names.empty()) {
    for (int digit = 0; digit < 10; ++digit) class_names.push_back(std::to_string(digit));
  }
  int64_t classes = int64_t(class_names.size());
  TensorDataset train = load_split(path, "train", options.train_limit, options.flatten, classes);
  TensorDataset test = load_split(path, "t10k", options.test_limit, options.flatten, classes);
  return MnistData{std::move(train), std::move(test), std::move(class_names)};
}

MnistData fashion_mnist(const std::string& path, const MnistOptions& options) {
  std::error_code error;
  if (!fs::is_directory(path, error)) {
    throw IOError("fashion_mnist: data directory '" + path +
                  "' does not exist (install Debian's dataset-fashion-mnist package, e.g. "
                  "scripts/install-deps.sh, or pass the path of an MNIST-format directory)");
  }
  return mnist(path, options, fashion_mnist_class_names());
}

}  // namespace cajal::data
