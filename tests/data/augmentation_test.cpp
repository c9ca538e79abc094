// Image augmentation transforms and test-time augmentation.
#include "cajal/data/augmentation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <set>

#include "cajal/core/creation.h"
#include "cajal/nn/container.h"
#include "cajal/nn/dropout.h"
#include "cajal/nn/flatten.h"
#include "cajal/nn/linear.h"
#include "cajal/ops/activation.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/manipulation.h"
#include "support/expect_error.h"
#include "support/golden.h"

namespace cajal {
namespace {

using testing::expect_error;

// A [C, H, W] image whose pixels are all distinct: value = 100 c + 10 h + w + 1.
Tensor distinct_image(int64_t channels, int64_t height, int64_t width,
                      Dtype dtype = Dtype::float32) {
  Tensor image = empty({channels, height, width}, dtype);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t h = 0; h < height; ++h) {
      for (int64_t w = 0; w < width; ++w) {
        if (dtype == Dtype::float64) {
          image.at<double>({c, h, w}) = static_cast<double>(100 * c + 10 * h + w + 1);
        } else {
          image.at<float>({c, h, w}) = static_cast<float>(100 * c + 10 * h + w + 1);
        }
      }
    }
  }
  return image;
}

// ---- RandomHorizontalFlip ----

TEST(RandomHorizontalFlip, AlwaysAndNever) {
  Tensor image = distinct_image(2, 3, 4);
  Generator generator(1);
  Tensor flipped = data::RandomHorizontalFlip({.p = 1})(image, generator);
  ASSERT_EQ(flipped.shape(), image.shape());
  for (int64_t c = 0; c < 2; ++c) {
    for (int64_t h = 0; h < 3; ++h) {
      for (int64_t w = 0; w < 4; ++w) {
        EXPECT_EQ(flipped.at<float>({c, h, w}), image.at<float>({c, h, 3 - w}));
      }
    }
  }
  EXPECT_TRUE(equal(data::RandomHorizontalFlip({.p = 0})(image, generator), image));
}

TEST(RandomHorizontalFlip, BatchDrawsPerImage) {
  Tensor image = distinct_image(1, 2, 3);
  Tensor batch = stack(std::vector<Tensor>(200, image));
  Generator generator(7);
  Tensor out = data::RandomHorizontalFlip()(batch, generator);
  ASSERT_EQ(out.shape(), batch.shape());
  Tensor flipped = flip(image, {2});
  int64_t flips = 0;
  for (int64_t i = 0; i < 200; ++i) {
    const bool is_flipped = equal(out[i], flipped);
    EXPECT_TRUE(is_flipped || equal(out[i], image)) << "image " << i;
    flips += is_flipped;
  }
  // Binomial(200, 0.5): 60..140 is more than 5 standard deviations wide.
  EXPECT_GT(flips, 60);
  EXPECT_LT(flips, 140);
}

// ---- RandomCrop ----

// The offset (i, j) at which `window` occurs in `padded` ([C, H, W]), or {-1, -1}.
std::pair<int64_t, int64_t> find_window(const Tensor& padded, const Tensor& window) {
  const int64_t h = window.size(1), w = window.size(2);
  for (int64_t i = 0; i + h <= padded.size(1); ++i) {
    for (int64_t j = 0; j + w <= padded.size(2); ++j) {
      if (equal(padded.narrow(1, i, h).narrow(2, j, w).contiguous(), window)) return {i, j};
    }
  }
  return {-1, -1};
}

TEST(RandomCrop, OutputIsAWindowOfThePaddedImage) {
  Tensor image = distinct_image(2, 5, 6);
  data::RandomCrop crop({.size = {5, 6}, .padding = {2}, .fill = -1});
  Tensor padded = pad(image, {2, 2, 2, 2}, "constant", -1);
  Generator generator(3);
  std::set<std::pair<int64_t, int64_t>> offsets;
  for (int trial = 0; trial < 100; ++trial) {
    Tensor out = crop(image, generator);
    ASSERT_EQ(out.shape(), (Shape{2, 5, 6}));
    auto offset = find_window(padded, out);
    ASSERT_GE(offset.first, 0) << "crop is not a window of the padded image";
    offsets.insert(offset);
  }
  // 25 possible offsets, 100 uniform draws: most are seen, including the corners' neighbourhood.
  EXPECT_GT(offsets.size(), 15u);
}

TEST(RandomCrop, PaddingModesAndShapes) {
  Tensor image = distinct_image(1, 4, 5);
  Generator generator(4);
  // {left/right, top/bottom} padding, reflect mode, rectangular crop.
  Tensor out = data::RandomCrop({.size = {3, 4}, .padding = {2, 1}, .padding_mode = "reflect"})(
      image, generator);
  ASSERT_EQ(out.shape(), (Shape{1, 3, 4}));
  EXPECT_GE(find_window(pad(image, {2, 2, 1, 1}, "reflect"), out).first, 0);
  // {left, top, right, bottom}, edge mode.
  out = data::RandomCrop({.size = {4}, .padding = {1, 0, 3, 2}, .padding_mode = "edge"})(image,
                                                                                         generator);
  ASSERT_EQ(out.shape(), (Shape{1, 4, 4}));
  EXPECT_GE(find_window(pad(image, {1, 3, 0, 2}, "replicate"), out).first, 0);
  // No padding and the full size: the identity.
  EXPECT_TRUE(equal(data::RandomCrop({.size = {4, 5}})(image, generator), image));
  // pad_if_needed grows a too-small image by the shortfall on both sides.
  out = data::RandomCrop({.size = {6, 5}, .pad_if_needed = true})(image, generator);
  ASSERT_EQ(out.shape(), (Shape{1, 6, 5}));
  EXPECT_GE(find_window(pad(image, {0, 0, 2, 2}), out).first, 0);
  // A batch.
  out = data::RandomCrop({.size = {3}})(stack({image, image, image}), generator);
  EXPECT_EQ(out.shape(), (Shape{3, 1, 3, 3}));
}

TEST(RandomCrop, Errors) {
  Generator generator;
  expect_error<ValueError>([] { data::RandomCrop({.size = {0}}); }, {"RandomCrop", "size", "{0}"});
  expect_error<ValueError>([] { data::RandomCrop({}); }, {"RandomCrop", "size", "{}"});
  expect_error<ValueError>(
      [] {
        data::RandomCrop({.size = {2}, .padding = {1, 2, 3}});
      },
      {"RandomCrop", "padding", "{1, 2, 3}"});
  expect_error<ValueError>([] { data::RandomCrop({.size = {2}, .padding = {-1}}); },
                           {"padding", "{-1}"});
  expect_error<ValueError>([] { data::RandomCrop({.size = {2}, .padding_mode = "wrap"}); },
                           {"RandomCrop", "padding_mode", "wrap"});
  expect_error<ShapeError>(
      [&] {
        data::RandomCrop({.size = {8}, .padding = {1}})(zeros({1, 5, 5}), generator);
      },
      {"RandomCrop", "[8, 8]", "[7, 7]", "[1, 5, 5]"});
  expect_error<ValueError>(
      [&] {
        data::RandomCrop({.size = {4}, .padding = {5}, .padding_mode = "reflect"})(zeros({1, 5, 5}),
                                                                                   generator);
      },
      {"RandomCrop", "reflect", "[1, 5, 5]"});
  expect_error<ShapeError>(
      [&] {
        data::RandomCrop({.size = {2}})(zeros({5, 5}), generator);
      },
      {"RandomCrop", "[C, H, W]", "[5, 5]"});
}

// ---- translation ----

TEST(Translate, KnownShift) {
  Tensor image = distinct_image(2, 4, 5);
  Tensor out = data::translate(image, 1, -2, -7);
  for (int64_t c = 0; c < 2; ++c) {
    for (int64_t h = 0; h < 4; ++h) {
      for (int64_t w = 0; w < 5; ++w) {
        const int64_t source_h = h - 1, source_w = w + 2;
        const bool inside = source_h >= 0 && source_w < 5;
        EXPECT_EQ(out.at<float>({c, h, w}),
                  inside ? image.at<float>({c, source_h, source_w}) : -7.0f)
            << c << " " << h << " " << w;
      }
    }
  }
  EXPECT_TRUE(equal(data::translate(image, 0, 0), image));
  EXPECT_TRUE(equal(data::translate(image, 4, 0), zeros_like(image)));
  // A batch moves every image alike.
  Tensor batch = data::translate(stack({image, image}), 1, -2, -7);
  EXPECT_TRUE(equal(batch[1], out));
}

TEST(RandomTranslation, ShiftsWithinTheFactor) {
  Tensor image = distinct_image(1, 10, 10);
  data::RandomTranslation translation({.height_factor = 0.2, .width_factor = 0.1});
  Generator generator(5);
  std::set<std::pair<int64_t, int64_t>> shifts;
  for (int trial = 0; trial < 200; ++trial) {
    Tensor out = translation(image, generator);
    bool found = false;
    for (int64_t down = -2; down <= 2 && !found; ++down) {
      for (int64_t right = -1; right <= 1 && !found; ++right) {
        if (equal(out, data::translate(image, down, right))) {
          shifts.insert({down, right});
          found = true;
        }
      }
    }
    ASSERT_TRUE(found) << "not a shift by at most (2, 1) pixels";
  }
  EXPECT_EQ(shifts.size(), 15u);  // every shift in the range occurs
  EXPECT_TRUE(equal(data::RandomTranslation({})(image, generator), image));
  expect_error<ValueError>([] { data::RandomTranslation({.height_factor = 1.5}); },
                           {"RandomTranslation", "height_factor", "1.5"});
  expect_error<ValueError>([] { data::RandomTranslation({.width_factor = -0.1}); },
                           {"RandomTranslation", "width_factor", "-0.1"});
}

// ---- rotation ----

TEST(Rotate, ZeroDegreesIsTheIdentity) {
  Tensor image = distinct_image(2, 5, 7, Dtype::float64);
  EXPECT_TRUE(equal(data::rotate(image, 0), image));
  EXPECT_TRUE(equal(data::rotate(image, 0, "nearest"), image));
  Generator generator;
  EXPECT_TRUE(equal(data::RandomRotation(0.0)(image, generator), image));
}

TEST(Rotate, QuarterTurnsAreTransposesAndFlips) {
  for (int64_t side : {4, 5}) {
    Tensor image = distinct_image(2, side, side, Dtype::float64);
    // Counter-clockwise: out[y][x] = in[x][side - 1 - y] (torch.rot90 over dims (H, W)).
    Tensor counter_clockwise = flip(image.transpose(1, 2), {1}).contiguous();
    Tensor clockwise = flip(image.transpose(1, 2), {2}).contiguous();
    // cos(90 degrees) is not exactly 0 in floating point: the neighbours get weights ~1e-16.
    EXPECT_TRUE(allclose(data::rotate(image, 90), counter_clockwise, 1e-12, 1e-10));
    EXPECT_TRUE(allclose(data::rotate(image, -90), clockwise, 1e-12, 1e-10));
    EXPECT_TRUE(allclose(data::rotate(image, 180), flip(image, {1, 2}), 1e-12, 1e-10));
    EXPECT_TRUE(equal(data::rotate(image, 90, "nearest"), counter_clockwise));
    Generator generator;
    Tensor random = data::RandomRotation({.degrees = {90, 90}})(image, generator);
    EXPECT_TRUE(allclose(random, counter_clockwise, 1e-12, 1e-10));
  }
  // float32 goes through the float32 kernel.
  Tensor image = distinct_image(1, 6, 6);
  EXPECT_TRUE(allclose(data::rotate(image, 90), flip(image.transpose(1, 2), {1}), 1e-5, 1e-4));
}

TEST(Rotate, BilinearInterpolationWithZeroFill) {
  // A 45-degree turn of a constant image keeps the centre and fills the corners with 0.
  Tensor image = ones({1, 9, 9}, {.dtype = Dtype::float64});
  Tensor out = data::rotate(image, 45);
  EXPECT_NEAR(out.at<double>({0, 4, 4}), 1.0, 1e-12);
  EXPECT_NEAR(out.at<double>({0, 0, 0}), 0.0, 1e-12);
  // A point at distance 4 along the diagonal rotates to (4 sqrt 2, 0) off centre: outside.
  EXPECT_NEAR(out.at<double>({0, 8, 8}), 0.0, 1e-12);
  // Mid-edge pixels map inside the image (at distance 4 from the centre).
  EXPECT_NEAR(out.at<double>({0, 4, 0}), 1.0, 1e-12);
  // Half a pixel: bilinear weights. The value at (4, 3) after a small rotation of a ramp in x is
  // the ramp at the source x = 4 + cos(a) * (-1) (y offset 0).
  Tensor ramp = arange(0, 9, 1, {.dtype = Dtype::float64}).reshape({1, 1, 9}).expand({1, 9, 9});
  out = data::rotate(ramp.contiguous(), 10);
  const double a = 10 * std::numbers::pi / 180;
  EXPECT_NEAR(out.at<double>({0, 4, 3}), 4 - std::cos(a), 1e-12);
}

// Against PyTorch: the affine grid + grid_sample that torchvision's rotate uses (see
// tools/golden/augmentation.py), on non-square images and a batch, float64.
TEST(Rotate, MatchesTorchvisionGridSample) {
  auto cases = testing::load_golden("augmentation");
  ASSERT_EQ(cases.size(), 5u);
  for (const auto& [name, golden_case] : cases) {
    SCOPED_TRACE(name);
    const double degrees = golden_case.param("degrees");
    const std::string interpolation = golden_case.text("interpolation");
    testing::check_golden(
        golden_case,
        [&](const std::vector<Tensor>& inputs) {
          return data::rotate(inputs[0], degrees, interpolation);
        },
        1e-10, 1e-12);
  }
}

TEST(RandomRotation, AnglesWithinTheRange) {
  // Every draw equals a rotation by some angle in [20, 30]: check through a ramp, whose centre
  // row's pixel right of the centre holds 4 + cos(angle).
  Tensor ramp =
      arange(0, 9, 1, {.dtype = Dtype::float64}).reshape({1, 1, 9}).expand({1, 9, 9}).contiguous();
  data::RandomRotation rotation({.degrees = {20, 30}});
  Generator generator(11);
  for (int trial = 0; trial < 20; ++trial) {
    const double value = rotation(ramp, generator).at<double>({0, 4, 5});
    EXPECT_GE(value, 4 + std::cos(30 * std::numbers::pi / 180) - 1e-12);
    EXPECT_LE(value, 4 + std::cos(20 * std::numbers::pi / 180) + 1e-12);
  }
}

TEST(RandomRotation, Errors) {
  expect_error<ValueError>([] { data::RandomRotation(-5.0); }, {"RandomRotation", "degrees", "-5"});
  expect_error<ValueError>(
      [] {
        data::RandomRotation({.degrees = {10, -10}});
      },
      {"RandomRotation", "degrees", "{10, -10}"});
  expect_error<ValueError>(
      [] {
        data::RandomRotation({.degrees = {0, 1}, .interpolation = "cubic"});
      },
      {"RandomRotation", "interpolation", "cubic"});
  Generator generator;
  expect_error<ValueError>(
      [&] {
        data::RandomRotation(10.0)(zeros({1, 3, 3}, {.dtype = Dtype::int64}), generator);
      },
      {"RandomRotation", "int64"});
  expect_error<ShapeError>([&] { data::RandomRotation(10.0)(zeros({3}), generator); },
                           {"RandomRotation", "[3]"});
}

// ---- RandomErasing ----

TEST(RandomErasing, ErasesOneRectangleWithinTheBounds) {
  const int64_t height = 20, width = 30;
  Tensor image = ones({3, height, width});
  data::RandomErasing erasing({.p = 1});
  Generator generator(2017);
  int64_t erased_images = 0;
  for (int trial = 0; trial < 100; ++trial) {
    Tensor out = erasing(image, generator);
    // The bounding box of the zeros, which must be the same in every channel and filled.
    int64_t top = height, bottom = -1, left = width, right = -1, zeros_count = 0;
    for (int64_t h = 0; h < height; ++h) {
      for (int64_t w = 0; w < width; ++w) {
        if (out.at<float>({0, h, w}) == 0) {
          ++zeros_count;
          top = std::min(top, h), bottom = std::max(bottom, h);
          left = std::min(left, w), right = std::max(right, w);
        }
        EXPECT_EQ(out.at<float>({1, h, w}), out.at<float>({0, h, w}));
        EXPECT_EQ(out.at<float>({2, h, w}), out.at<float>({0, h, w}));
      }
    }
    if (zeros_count == 0) continue;  // 10 draws without a fitting rectangle: unchanged
    ++erased_images;
    const int64_t h = bottom - top + 1, w = right - left + 1;
    EXPECT_EQ(zeros_count, h * w) << "the erased pixels are not a rectangle";
    EXPECT_LT(h, height);
    EXPECT_LT(w, width);
    // h and w are rounded from sqrt(area * ratio) and sqrt(area / ratio): allow half a pixel each.
    const double area = static_cast<double>(height * width);
    EXPECT_GE((h + 0.5) * (w + 0.5), 0.02 * area);
    EXPECT_LE((h - 0.5) * (w - 0.5), 0.33 * area);
    EXPECT_GE((h + 0.5) / (w - 0.5), 0.3);
    EXPECT_LE((h - 0.5) / (w + 0.5), 3.3);
  }
  EXPECT_GT(erased_images, 90);
  EXPECT_TRUE(equal(data::RandomErasing({.p = 0})(image, generator), image));
}

TEST(RandomErasing, DeterministicForASeed) {
  Tensor batch = rand({8, 3, 16, 16});
  data::RandomErasing erasing({.value = -1});
  Generator first(99), second(99), other(100);
  Tensor a = erasing(batch, first);
  Tensor b = erasing(batch, second);
  EXPECT_TRUE(equal(a, b));
  EXPECT_FALSE(equal(a, erasing(batch, other)));
  EXPECT_FALSE(equal(a, batch));  // with p = 0.5, some of 8 images are erased
  // The input is not modified.
  Tensor noisy = data::RandomErasing({.p = 1, .random_value = true})(batch, first);
  EXPECT_EQ(noisy.shape(), batch.shape());
  Generator third(99);
  EXPECT_TRUE(equal(erasing(batch, third), a));
}

TEST(RandomErasing, Errors) {
  expect_error<ValueError>([] { data::RandomErasing({.p = 2}); }, {"RandomErasing", "p", "2"});
  expect_error<ValueError>(
      [] {
        data::RandomErasing({.scale = {0.5, 0.1}});
      },
      {"RandomErasing", "scale", "{0.5, 0.1}"});
  expect_error<ValueError>([] { data::RandomErasing({.scale = {0.1, 1.5}}); }, {"scale", "1.5"});
  expect_error<ValueError>(
      [] {
        data::RandomErasing({.ratio = {0, 3}});
      },
      {"RandomErasing", "ratio", "{0, 3}"});
  expect_error<ValueError>([] { data::RandomHorizontalFlip({.p = -0.5}); },
                           {"RandomHorizontalFlip", "p", "-0.5"});
}

// ---- Normalize ----

TEST(Normalize, PerChannel) {
  Tensor image = distinct_image(2, 2, 2, Dtype::float64);
  Tensor out = data::Normalize({.mean = {1, 100}, .std = {2, 4}})(image);
  EXPECT_DOUBLE_EQ(out.at<double>({0, 1, 1}), (12 - 1) / 2.0);
  EXPECT_DOUBLE_EQ(out.at<double>({1, 0, 1}), (102 - 100) / 4.0);
  // One value for all channels, and a batch.
  Tensor batch = data::Normalize({.mean = {1}, .std = {2}})(stack({image, image}));
  EXPECT_TRUE(equal(batch[1], (image - 1) / 2));
  expect_error<ValueError>(
      [] {
        data::Normalize({.mean = {0}, .std = {1, 0}});
      },
      {"Normalize", "std[1]", "0"});
  expect_error<ValueError>(
      [] {
        data::Normalize({.mean = {0, 0, 0}, .std = {1, 1}});
      },
      {"Normalize", "mean", "3", "std", "2"});
  expect_error<ValueError>([] { data::Normalize({.mean = {}, .std = {1}}); }, {"mean"});
  expect_error<ShapeError>(
      [&] {
        data::Normalize({.mean = {0, 0, 0}, .std = {1, 1, 1}})(image);
      },
      {"Normalize", "3", "[2, 2, 2]"});
}

// ---- Compose and the loader adapter ----

TEST(Compose, AppliesInOrderAndIsReproducible) {
  data::Compose augment{data::RandomCrop({.size = {8}, .padding = {2}}),
                        data::RandomHorizontalFlip(), data::RandomErasing(),
                        data::Normalize({.mean = {0.5}, .std = {0.25}})};
  EXPECT_EQ(augment.size(), 4u);
  Tensor batch = rand({16, 1, 8, 8});
  Generator first(1), second(1);
  Tensor a = augment(batch, first);
  EXPECT_EQ(a.shape(), batch.shape());
  EXPECT_TRUE(equal(a, augment(batch, second)));
  // Order: a flip then a normalization equals the normalization of the flip.
  data::Compose flip_then_normalize{data::RandomHorizontalFlip({.p = 1}),
                                    data::Normalize({.mean = {1}, .std = {2}})};
  EXPECT_TRUE(equal(flip_then_normalize(batch, first), (flip(batch, {3}) - 1) / 2));
  // Outputs are detached, even from an input that requires grad.
  Tensor leaf = rand({1, 4, 4}).requires_grad_();
  for (const data::ImageTransform& transform :
       std::vector<data::ImageTransform>{augment, data::RandomHorizontalFlip(),
                                         data::RandomTranslation({.height_factor = 0.5})}) {
    EXPECT_FALSE(transform(leaf, first).requires_grad());
  }
  EXPECT_FALSE(data::translate(leaf, 1, 1).requires_grad());
}

TEST(Compose, InputTransformDrawsFromTheThreadGenerator) {
  data::Transform transform = data::input_transform(data::RandomHorizontalFlip());
  Tensor image = distinct_image(1, 3, 3);
  Tensor label = tensor({4}).to(Dtype::int64);
  Generator expected_generator(8);
  Tensor expected = data::RandomHorizontalFlip()(image, expected_generator);
  Generator generator(8);
  data::ScopedGenerator scope(generator);
  data::Example out = transform({image, label});
  EXPECT_TRUE(equal(out.input, expected));
  EXPECT_TRUE(out.target.is_same(label));
}

TEST(Compose, ReproducibleInADataLoader) {
  Tensor images = rand({12, 1, 6, 6});
  data::TensorDataset dataset(images, arange(0, 12, 1, {.dtype = Dtype::int64}));
  data::Compose augment{data::RandomCrop({.size = {6}, .padding = {1}}),
                        data::RandomHorizontalFlip(), data::RandomRotation(15.0)};
  auto epoch_inputs = [&](bool prefetch, uint64_t seed) {
    data::DataLoader loader(dataset, {.batch_size = 5,
                                      .shuffle = true,
                                      .seed = seed,
                                      .prefetch = prefetch,
                                      .transform = data::input_transform(augment)});
    std::vector<Tensor> inputs;
    for (const data::Example& batch : loader) inputs.push_back(batch.input);
    return cat(inputs);
  };
  Tensor with_prefetch = epoch_inputs(true, 3);
  ASSERT_EQ(with_prefetch.shape(), (Shape{12, 1, 6, 6}));
  EXPECT_TRUE(equal(with_prefetch, epoch_inputs(false, 3)));
  EXPECT_FALSE(equal(with_prefetch, epoch_inputs(true, 4)));
}

// ---- test-time augmentation ----

TEST(TtaPredict, EqualsTheManualAverage) {
  manual_seed(0);
  nn::Sequential model{nn::Flatten(), nn::Dropout({.p = 0.5}),
                       nn::Linear({.in_features = 2 * 5 * 6, .out_features = 4})};
  Tensor images = randn({3, 2, 5, 6});
  Tensor out = data::tta_predict(model, images, {.flips = true, .shifts = {1, 2}});
  EXPECT_TRUE(model.is_training());  // restored
  EXPECT_FALSE(out.requires_grad());
  ASSERT_EQ(out.shape(), (Shape{3, 4}));

  model.eval();
  std::vector<Tensor> views;
  for (const Tensor& base : {images, flip(images, {3})}) {
    views.push_back(base);
    for (int64_t s : {1, 2}) {
      views.push_back(data::translate(base, s, 0));
      views.push_back(data::translate(base, -s, 0));
      views.push_back(data::translate(base, 0, s));
      views.push_back(data::translate(base, 0, -s));
    }
  }
  ASSERT_EQ(views.size(), 18u);
  Tensor total = zeros({3, 4});
  for (const Tensor& view : views) total = total + softmax(model(view), 1);
  Tensor expected = total / 18.0;
  EXPECT_TRUE(allclose(out, expected, 1e-6, 1e-7));
  EXPECT_TRUE(allclose(out.sum({1}), ones({3}), 1e-6, 1e-6));
  // Without augmentation: the plain softmax.
  Tensor plain = data::tta_predict(model, images, {.flips = false});
  EXPECT_TRUE(allclose(plain, softmax(model(images), 1), 1e-6, 1e-7));
  EXPECT_FALSE(model.is_training());  // an eval-mode model stays in eval mode
}

TEST(TtaPredict, Errors) {
  nn::Sequential model{nn::Flatten(), nn::Linear({.in_features = 16, .out_features = 2})};
  expect_error<ShapeError>(
      [&] {
        data::tta_predict(model, zeros({4, 4, 1}));
      },
      {"tta_predict", "[4, 4, 1]"});
  expect_error<ValueError>(
      [&] {
        data::tta_predict(model, zeros({1, 1, 4, 4}), {.shifts = {4}});
      },
      {"tta_predict", "shifts[0]", "4"});
  expect_error<ValueError>(
      [&] {
        data::tta_predict(model, zeros({1, 1, 4, 4}), {.shifts = {1, 0}});
      },
      {"shifts[1]", "0"});
  nn::Flatten not_a_classifier_head({.start_dim = 0});
  expect_error<ShapeError>(
      [&] {
        data::tta_predict(not_a_classifier_head, zeros({2, 1, 2, 2}));
      },
      {"tta_predict", "logits"});
  EXPECT_TRUE(not_a_classifier_head.is_training());
}

}  // namespace
}  // namespace cajal
