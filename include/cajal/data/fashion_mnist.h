#pragma once
// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017) and any data set in MNIST's file layout:
// a directory holding
//   train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte t10k-labels-idx1-ubyte
// each optionally gzip-compressed (.gz), as Debian's dataset-fashion-mnist installs them.
//
//   auto data = data::fashion_mnist();         // data.train: 60000 examples, data.test: 10000
//   data::Example e = data.train.get(0);       // e.input float32 [1, 28, 28] in [0, 1], e.target
//   [] std::cout << data.class_names[e.target.item<int64_t>()];   // "Ankle boot"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cajal/data/dataset.h"

namespace cajal::data {

struct MnistOptions {
  // Images as [N, H * W] instead of [N, 1, H, W] (for multilayer perceptrons).
  bool flatten = false;
  // Keep only the first this many examples of each split (quick experiments and tests).
  std::optional<int64_t> train_limit{};
  std::optional<int64_t> test_limit{};
};

struct MnistData {
  // inputs: float32 [N, 1, H, W] (or [N, H * W]) with pixel / 255, in [0, 1];
  // targets: int64 [N] class indices.
  TensorDataset train;
  TensorDataset test;
  std::vector<std::string> class_names;
};

// "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
// "Ankle boot": the names of Fashion-MNIST's labels 0..9.
const std::vector<std::string>& fashion_mnist_class_names();

// Loads Fashion-MNIST from `path` (Debian's package by default). IOError naming the missing or
// corrupt file (and, when the directory is missing, how to install the package); ValueError for
// a negative limit.
MnistData fashion_mnist(const std::string& path = "/usr/share/datasets/fashion-mnist",
                        const MnistOptions& options = {});

// Loads any MNIST-format directory; class names default to "0".."9". Labels must lie in
// [0, class_names.size()).
MnistData mnist(const std::string& path, const MnistOptions& options = {},
                std::vector<std::string> class_names = {});

}  // namespace cajal::data
