// Image decoding, write_png and ImageFolder, on PNGs the tests write themselves.
#include "cajal/data/image_folder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cajal/core/creation.h"
#include "cajal/data/idx.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;
namespace fs = std::filesystem;

class ImageFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("cajal_image_folder_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string path(const std::string& relative) {
    fs::path p = root_ / relative;
    fs::create_directories(p.parent_path());
    return p.string();
  }
  fs::path root_;
};

// A [3, 2, 4] image with distinct values that survive 8-bit quantization.
Tensor test_image(int offset) {
  std::vector<float> values;
  for (int i = 0; i < 24; ++i) values.push_back(float((i * 10 + offset) % 256) / 255.0f);
  return from_vector(values, {3, 2, 4});
}

TEST_F(ImageFolderTest, WritePngThenReadGivesTheSamePixels) {
  Tensor image = test_image(3);
  data::write_png(path("a.png"), image);
  Tensor back = data::read_image(path("a.png"));
  EXPECT_EQ(back.shape(), (Shape{3, 2, 4}));
  EXPECT_EQ(to_vector<float>(back), to_vector<float>(image));

  // Gray [H, W], uint8 and RGBA inputs.
  data::write_png(path("g.png"), from_vector<uint8_t>({0, 128, 255, 7}, {2, 2}));
  Tensor gray = data::read_image(path("g.png"), {.grayscale = true});
  EXPECT_EQ(gray.shape(), (Shape{1, 2, 2}));
  EXPECT_EQ(to_vector<float>(gray), (std::vector<float>{0, 128 / 255.0f, 1, 7 / 255.0f}));
  data::write_png(path("rgba.png"), ones({4, 3, 3}));
  EXPECT_EQ(data::read_image(path("rgba.png")).shape(), (Shape{3, 3, 3}));
}

TEST_F(ImageFolderTest, ResizeAndClamp) {
  data::write_png(path("big.png"), full({1, 8, 8}, 0.5));
  Tensor small = data::read_image(path("big.png"), {.grayscale = true, .size = {{4, 2}}});
  EXPECT_EQ(small.shape(), (Shape{1, 4, 2}));
  for (float v : to_vector<float>(small)) EXPECT_NEAR(v, 128 / 255.0f, 1e-5);
  // Out-of-range floats are clamped when written.
  data::write_png(path("clamp.png"), from_vector<float>({-1.0f, 2.0f}, {1, 2}));
  EXPECT_EQ(to_vector<float>(data::read_image(path("clamp.png"), {.grayscale = true})),
            (std::vector<float>{0, 1}));
}

TEST_F(ImageFolderTest, ClassesAreSortedSubFolders) {
  data::write_png(path("train/dog/b.png"), test_image(1));
  data::write_png(path("train/dog/a.png"), test_image(2));
  data::write_png(path("train/cat/x.PNG"), test_image(3));
  std::ofstream(path("train/cat/notes.txt")) << "not an image";
  data::ImageFolder folder((root_ / "train").string());
  EXPECT_EQ(folder.classes(), (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(folder.size(), 3);
  EXPECT_EQ(folder.image_shape(), (Shape{3, 2, 4}));
  EXPECT_EQ(to_vector<int64_t>(folder.targets()), (std::vector<int64_t>{0, 1, 1}));
  data::Example e = folder.get(1);  // dog/a.png
  EXPECT_EQ(e.target.item<int64_t>(), 1);
  EXPECT_EQ(e.target.dtype(), Dtype::int64);
  EXPECT_EQ(to_vector<float>(e.input), to_vector<float>(test_image(2)));
  expect_error<IndexError>([&] { folder.get(3); }, {"ImageFolder", "3"});

  data::ImageFolder gray((root_ / "train").string(), {.grayscale = true, .size = {{5, 6}}});
  EXPECT_EQ(gray.get(0).input.shape(), (Shape{1, 5, 6}));
}

TEST_F(ImageFolderTest, ErrorsNameTheFile) {
  data::write_png(path("mixed/a/one.png"), test_image(0));
  data::write_png(path("mixed/b/two.png"), zeros({3, 5, 5}));
  expect_error<ValueError>([&] { data::ImageFolder((root_ / "mixed").string()); },
                           {"ImageFolder", "two.png", "5 x 5", "2 x 4", "size"});
  // With a size, mixed sizes are fine.
  EXPECT_EQ(data::ImageFolder((root_ / "mixed").string(), {.size = {{3, 3}}}).size(), 2);

  std::ofstream(path("broken/a/bad.png")) << "definitely not a png";
  expect_error<IOError>([&] { data::ImageFolder((root_ / "broken").string()); },
                        {"ImageFolder", "bad.png", "not a readable image"});
  expect_error<IOError>([&] { data::ImageFolder((root_ / "nothing").string()); },
                        {"ImageFolder", "nothing", "not a directory"});
  fs::create_directories(root_ / "empty/a");
  expect_error<IOError>([&] { data::ImageFolder((root_ / "empty").string()); },
                        {"ImageFolder", "no images"});
  expect_error<ValueError>(
      [&] {
        data::ImageFolder((root_ / "mixed").string(), {.size = {{0, 3}}});
      },
      {"ImageFolder", "size", "[0, 3]"});

  std::vector<uint8_t> png = data::detail::read_file(path("mixed/a/one.png"));
  png.resize(png.size() / 2);
  expect_error<IOError>([&] { data::decode_image(png.data(), png.size(), "half.png"); },
                        {"half.png"});
  expect_error<ValueError>(
      [&] {
        data::write_png(path("x.png"), zeros({2, 3, 3}));
      },
      {"write_png", "[2, 3, 3]"});
  expect_error<ValueError>(
      [&] {
        data::write_png(path("x.png"), zeros({3, 3}, {.dtype = Dtype::int64}));
      },
      {"write_png", "int64"});
  expect_error<IOError>(
      [&] {
        data::write_png("/nonexistent-dir/x.png", zeros({3, 3}));
      },
      {"write_png", "/nonexistent-dir/x.png"});
}

}  // namespace
}  // namespace cajal
