#pragma once
// Internal to src/train/spec_data*.cpp: the "augmentation" entries of a spec's data section.
#include <functional>
#include <string>

#include "cajal/core/shape.h"
#include "cajal/data/augmentation.h"
#include "cajal/train/spec_reader.h"

namespace cajal::train::detail {

// Augmentations are validated while the section is read but built once the input shape is known
// (random_crop's size defaults to the image size). The builder takes one example's input shape
// [C, H, W] and throws SpecError naming the entry's pointer for options that do not fit it.
using AugmentationBuilder = std::function<data::ImageTransform(const Shape& input_shape)>;

// Reads /data/augmentation/<i> ({"type": ..., options}); SpecError naming the pointer.
AugmentationBuilder read_augmentation(const Json& value, const std::string& pointer);

// "[1, 28, 28]".
std::string shape_text(const Shape& shape);

}  // namespace cajal::train::detail
