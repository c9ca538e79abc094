// Fashion-MNIST from Debian's dataset-fashion-mnist, and MNIST-format directories in general.
// Reference statistics computed with numpy from the same files (a = the uint8 pixels):
//   a.sum(): train 3431114169, test 573469082;
//   (a.astype(np.float32) / np.float32(255)).astype(np.float64).sum(): train 13455349.927203527,
//   test 2248898.4019832574; 6000 train and 1000 test examples per class.
#include "cajal/data/fashion_mnist.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cajal/core/creation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/math.h"
#include "cajal/ops/reduction.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;
namespace fs = std::filesystem;

TEST(FashionMnist, LoadsDebiansFiles) {
  data::MnistData data = data::fashion_mnist();
  ASSERT_EQ(data.train.size(), 60000);
  ASSERT_EQ(data.test.size(), 10000);
  const Tensor& images = data.train.inputs();
  EXPECT_EQ(images.dtype(), Dtype::float32);
  EXPECT_EQ(images.shape(), (Shape{60000, 1, 28, 28}));
  EXPECT_EQ(data.test.inputs().shape(), (Shape{10000, 1, 28, 28}));
  EXPECT_EQ(data.train.targets().dtype(), Dtype::int64);

  // The float pixels are exactly numpy's float32(byte) / 255; only summation order differs.
  EXPECT_NEAR(images.to(Dtype::float64).sum().item(), 13455349.927203527, 1e-6);
  EXPECT_NEAR(data.test.inputs().to(Dtype::float64).sum().item(), 2248898.4019832574, 1e-7);
  // And scaling back recovers the bytes exactly.
  Tensor bytes = round(images * 255.0f).to(Dtype::float64);
  EXPECT_EQ(bytes.sum().item(), 3431114169.0);
  EXPECT_EQ(images.min().item(), 0.0);
  EXPECT_EQ(images.max().item(), 1.0);

  std::vector<int64_t> counts(10, 0);
  for (int64_t label : to_vector<int64_t>(data.train.targets())) {
    ASSERT_GE(label, 0);
    ASSERT_LT(label, 10);
    ++counts[size_t(label)];
  }
  EXPECT_EQ(counts, std::vector<int64_t>(10, 6000));
  EXPECT_EQ(data.train.get(0).target.item<int64_t>(), 9);
  EXPECT_EQ(data.class_names.size(), 10u);
  EXPECT_EQ(data.class_names[9], "Ankle boot");
  EXPECT_EQ(data.class_names[0], "T-shirt/top");
}

TEST(FashionMnist, OptionsFlattenAndLimit) {
  data::MnistData data = data::fashion_mnist(
      "/usr/share/datasets/fashion-mnist", {.flatten = true, .train_limit = 100, .test_limit = 7});
  EXPECT_EQ(data.train.inputs().shape(), (Shape{100, 784}));
  EXPECT_EQ(data.test.size(), 7);
  EXPECT_EQ(data.test.targets().shape(), (Shape{7}));
  expect_error<ValueError>(
      [] { data::fashion_mnist("/usr/share/datasets/fashion-mnist", {.train_limit = -1}); },
      {"train_limit", "-1"});
}

// A tiny MNIST-format directory: raw (uncompressed) files, 2 train and 1 test example of 2x3.
// Each test uses its own directory: CTest may run them in parallel.
std::string write_tiny_mnist(const std::string& name, uint8_t bad_label = 0) {
  fs::path dir = fs::temp_directory_path() / ("cajal_tiny_mnist_" + name);
  fs::create_directories(dir);
  auto write = [&](const std::string& name, std::vector<uint8_t> bytes) {
    std::ofstream(dir / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  };
  write("train-images-idx3-ubyte", {0, 0,  8,   3,   0,   0,   0, 2, 0, 0, 0, 2, 0, 0, 0, 3,  //
                                    0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6});
  write("train-labels-idx1-ubyte", {0, 0, 8, 1, 0, 0, 0, 2, 3, bad_label});
  write("t10k-images-idx3-ubyte", {0,   0,   8,   3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,  //
                                   255, 255, 255, 0, 0, 0});
  write("t10k-labels-idx1-ubyte", {0, 0, 8, 1, 0, 0, 0, 1, 7});
  return dir.string();
}

TEST(Mnist, AnyMnistFormatDirectory) {
  std::string dir = write_tiny_mnist("any");
  data::MnistData data = data::mnist(dir);
  EXPECT_EQ(data.train.inputs().shape(), (Shape{2, 1, 2, 3}));
  std::vector<float> first = to_vector<float>(data.train.inputs()[0].contiguous());
  EXPECT_EQ(first, (std::vector<float>{0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f}));
  EXPECT_EQ(to_vector<int64_t>(data.train.targets()), (std::vector<int64_t>{3, 0}));
  EXPECT_EQ(data.class_names[7], "7");
  fs::remove_all(dir);
}

TEST(Mnist, ErrorsNameThePathAndHint) {
  expect_error<IOError>([] { data::fashion_mnist("/nonexistent/fmnist"); },
                        {"/nonexistent/fmnist", "dataset-fashion-mnist"});
  std::string dir = write_tiny_mnist("errors", /*bad_label=*/12);
  expect_error<IOError>([&] { data::mnist(dir); },
                        {"train-labels-idx1-ubyte", "label 12", "index 1"});
  fs::remove(fs::path(dir) / "t10k-labels-idx1-ubyte");
  write_tiny_mnist("errors");
  fs::remove(fs::path(dir) / "t10k-labels-idx1-ubyte");
  expect_error<IOError>([&] { data::mnist(dir); }, {dir, "t10k-labels-idx1-ubyte"});
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cajal
