// The "augmentation" entries of a spec's data section: each becomes a data:: image transform.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "cajal/core/error.h"
#include "spec_data_internal.h"

namespace cajal::train::detail {

std::string shape_text(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

namespace {

// "padding": 2, [2, 3] or [1, 2, 3, 4], each >= 0.
std::vector<int64_t> read_padding(SpecReader& reader) {
  const Json* value = reader.optional_value("padding");
  if (value == nullptr) return {};
  const std::string pointer = reader.child_pointer("padding");
  if (!value->is_array()) return {json_integer(*value, pointer, 0)};
  if (value->size() != 1 && value->size() != 2 && value->size() != 4) {
    throw SpecError(pointer + ": expected an integer or an array of 1, 2 or 4 integers, got " +
                    describe_json(*value));
  }
  std::vector<int64_t> padding;
  for (size_t i = 0; i < value->size(); ++i) {
    padding.push_back(json_integer((*value)[i], pointer + "/" + std::to_string(i), 0));
  }
  return padding;
}

// Two numbers [low, high] with low <= high.
std::array<double, 2> read_pair(SpecReader& reader, const std::string& key,
                                std::array<double, 2> fallback, const NumberRange& range) {
  std::vector<double> values = reader.numbers(key, {fallback[0], fallback[1]}, range);
  if (values.size() != 2 || values[0] > values[1]) {
    reader.fail(key, "expected two numbers [low, high] with low <= high, got " +
                         describe_json(reader.json()[key]));
  }
  return {values[0], values[1]};
}

// Wraps a constructor's ValueError (an option combination the reader could not check) as a
// SpecError at the augmentation's pointer.
template <typename T, typename Options>
data::ImageTransform construct(const std::string& pointer, Options options) {
  try {
    return T(std::move(options));
  } catch (const ValueError& error) {
    throw SpecError(pointer + ": " + error.what());
  }
}

}  // namespace

AugmentationBuilder read_augmentation(const Json& value, const std::string& pointer) {
  SpecReader reader(value, pointer);
  const std::string type =
      reader.choice("type", {"random_horizontal_flip", "random_crop", "random_translation",
                             "random_rotation", "random_erasing"});
  AugmentationBuilder builder;
  if (type == "random_horizontal_flip") {
    data::RandomHorizontalFlipOptions options{.p = reader.number("p", 0.5, {.min = 0, .max = 1})};
    builder = [pointer, options](const Shape&) {
      return construct<data::RandomHorizontalFlip>(pointer, options);
    };
  } else if (type == "random_crop") {
    data::RandomCropOptions options;
    options.size = reader.sizes("size", 2, {});
    options.padding = read_padding(reader);
    options.pad_if_needed = reader.boolean("pad_if_needed", false);
    options.fill = reader.number("fill", 0.0);
    options.padding_mode =
        reader.choice("padding_mode", {"constant", "edge", "reflect"}, "constant");
    builder = [pointer, options](const Shape& input_shape) mutable {
      const Shape image_size{input_shape[1], input_shape[2]};
      if (options.size.empty()) options.size = image_size;
      if (options.size.size() == 1) options.size = {options.size[0], options.size[0]};
      // Validation and test inputs are not cropped, so a crop must keep the input shape the
      // network is built for.
      if (options.size != image_size) {
        throw SpecError(pointer + "/size: the crop must keep the image size " +
                        shape_text(image_size) + " (pad, then crop), got " +
                        shape_text(options.size));
      }
      return construct<data::RandomCrop>(pointer, options);
    };
  } else if (type == "random_translation") {
    data::RandomTranslationOptions options{
        .height_factor = reader.number("height_factor", 0.0, {.min = 0, .max = 1}),
        .width_factor = reader.number("width_factor", 0.0, {.min = 0, .max = 1}),
        .fill_value = reader.number("fill_value", 0.0)};
    builder = [pointer, options](const Shape&) {
      return construct<data::RandomTranslation>(pointer, options);
    };
  } else if (type == "random_rotation") {
    data::RandomRotationOptions options;
    const Json& degrees = reader.value("degrees");
    if (degrees.is_array()) {
      options.degrees = read_pair(reader, "degrees", {0, 0}, {});
    } else {
      double d = json_number(degrees, reader.child_pointer("degrees"), {.min = 0});
      options.degrees = {-d, d};
    }
    options.interpolation = reader.choice("interpolation", {"bilinear", "nearest"}, "bilinear");
    options.fill = reader.number("fill", 0.0);
    builder = [pointer, options](const Shape&) {
      return construct<data::RandomRotation>(pointer, options);
    };
  } else {  // random_erasing
    data::RandomErasingOptions options;
    options.p = reader.number("p", 0.5, {.min = 0, .max = 1});
    options.scale = read_pair(reader, "scale", {0.02, 0.33}, {.min = 0, .max = 1});
    options.ratio = read_pair(reader, "ratio", {0.3, 3.3}, {.min = 0, .min_exclusive = true});
    if (const Json* value = reader.optional_value("value")) {
      if (value->is_string()) {
        if (*value != "random") {
          reader.fail("value", "expected a number or \"random\", got " + describe_json(*value));
        }
        options.random_value = true;
      } else {
        options.value = json_number(*value, reader.child_pointer("value"));
      }
    }
    builder = [pointer, options](const Shape&) {
      return construct<data::RandomErasing>(pointer, options);
    };
  }
  reader.finish();
  return builder;
}

}  // namespace cajal::train::detail
