// prepare_inputs and class_names_of: new inputs prepared with the preprocessing state that
// prepare_data wrote (spec_data.cpp), as `cajal eval` and `cajal predict` need them:
//   {"format": "cajal.preprocessing", "version": 1, "kind": "image" | "tabular",
//    "input_shape": [1, 28, 28], "task": "classification", "class_names": [...], "num_outputs": 10,
//    "image": {"channels": 1, "size": [28, 28], "normalize": {"mean": [...], "std": [...]}},
//    "tabular": <data::TabularPreprocessor::to_json()>}          ("image" / "tabular" as the kind)
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "cajal/core/error.h"
#include "cajal/data/augmentation.h"
#include "cajal/data/csv.h"
#include "cajal/data/image_folder.h"
#include "cajal/data/npy.h"
#include "cajal/data/preprocessing.h"
#include "cajal/ops/manipulation.h"
#include "cajal/train/spec_data.h"

namespace cajal::train {
namespace {

const char* const kWhat = "prepare_inputs";

Json parse_state(const std::string& preprocessing, const char* what) {
  Json state = Json::parse(preprocessing, nullptr, /*allow_exceptions=*/false);
  if (!state.is_object() || state.value("format", "") != "cajal.preprocessing") {
    throw ValueError(std::string(what) +
                     ": the preprocessing state is not cajal.preprocessing JSON");
  }
  return state;
}

// Reads a field of the state, turning nlohmann's type errors into a ValueError naming it.
template <typename T>
T field(const Json& state, const char* key) {
  try {
    return state.at(key).get<T>();
  } catch (const Json::exception&) {
    throw ValueError(std::string(kWhat) + ": the preprocessing state lacks a valid \"" + key +
                     "\"");
  }
}

std::string lowercase_extension(const std::string& file) {
  std::string extension = std::filesystem::path(file).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

bool is_image_file(const std::string& extension) {
  for (const char* known : {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga"}) {
    if (extension == known) return true;
  }
  return false;
}

std::string shape_text(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// An image file decoded, resized and normalized as the training images were: [1, C, H, W].
Tensor image_input(const Json& state, const std::string& file) {
  if (field<std::string>(state, "kind") != "image") {
    throw ValueError(std::string(kWhat) + ": " + file +
                     ": the model was trained on tabular data; give .csv or .npy inputs");
  }
  const Json& image = state.at("image");
  const auto size = field<std::vector<int64_t>>(image, "size");
  const auto channels = field<int64_t>(image, "channels");
  if (size.size() != 2 || (channels != 1 && channels != 3)) {
    throw ValueError(std::string(kWhat) + ": the preprocessing state has a bad image size");
  }
  data::ImageOptions options{.grayscale = channels == 1, .size = std::make_pair(size[0], size[1])};
  Tensor x = data::read_image(file, options);
  if (image.contains("normalize")) {
    const Json& normalize = image.at("normalize");
    x = data::Normalize({.mean = field<std::vector<double>>(normalize, "mean"),
                         .std = field<std::vector<double>>(normalize, "std")})(x);
  }
  return x.unsqueeze(0);
}

// A CSV file's rows through the fitted TabularPreprocessor: [rows, features].
Tensor csv_input(const Json& state, const std::string& file, std::vector<std::string>* names) {
  if (!state.contains("tabular")) {
    throw ValueError(
        std::string(kWhat) + ": " + file + ": the model was not trained on CSV data; give " +
        (field<std::string>(state, "kind") == "image" ? "image or .npy" : ".npy") + " inputs");
  }
  data::TabularPreprocessor preprocessor = data::TabularPreprocessor::from_json(state["tabular"]);
  // No target column: a file for prediction may lack it; when present it is ignored, since
  // features are looked up by name.
  // read_csv shortens long paths in its messages; name the whole file.
  if (!std::filesystem::is_regular_file(file)) {
    throw IOError(std::string(kWhat) + ": cannot open " + file + ": no such file");
  }
  data::Table table = data::read_csv(file, {.target = data::no_target});
  if (table.num_rows() == 0) throw ValueError(std::string(kWhat) + ": " + file + " has no rows");
  if (names != nullptr) {
    for (int64_t r = 0; r < table.num_rows(); ++r) {
      names->push_back(file + ":" + std::to_string(table.line(r)));
    }
  }
  return preprocessor.transform_features(table);
}

// Already-prepared inputs: [N, ...input_shape] or one example of input_shape.
Tensor npy_input(const Json& state, const std::string& file, int64_t* count) {
  const auto input_shape = field<Shape>(state, "input_shape");
  Tensor x = data::read_npy(file).to(Dtype::float32);
  if (x.shape() == input_shape) {
    x = x.unsqueeze(0);
  } else if (x.dim() != static_cast<int64_t>(input_shape.size()) + 1 ||
             !std::equal(input_shape.begin(), input_shape.end(), x.shape().begin() + 1)) {
    throw ValueError(std::string(kWhat) + ": " + file + ": expected inputs of shape " +
                     shape_text(input_shape) + " or [N, " + shape_text(input_shape).substr(1) +
                     ", got " + shape_text(x.shape()));
  }
  *count = x.shape()[0];
  return x;
}

}  // namespace

Tensor prepare_inputs(const std::string& preprocessing, const std::vector<std::string>& files,
                      std::vector<std::string>* names) {
  Json state = parse_state(preprocessing, kWhat);
  if (files.empty()) throw ValueError(std::string(kWhat) + ": no input files");
  if (names != nullptr) names->clear();
  std::vector<Tensor> parts;
  for (const std::string& file : files) {
    const std::string extension = lowercase_extension(file);
    if (is_image_file(extension)) {
      parts.push_back(image_input(state, file));
      if (names != nullptr) names->push_back(file);
    } else if (extension == ".csv") {
      parts.push_back(csv_input(state, file, names));
    } else if (extension == ".npy") {
      int64_t count = 0;
      parts.push_back(npy_input(state, file, &count));
      if (names != nullptr) {
        if (count == 1) {
          names->push_back(file);
        } else {
          for (int64_t i = 0; i < count; ++i) names->push_back(file + ":" + std::to_string(i));
        }
      }
    } else {
      throw ValueError(std::string(kWhat) + ": " + file +
                       ": unsupported file type (expected .png, .jpg, .jpeg, .bmp, .gif, .tga, "
                       ".csv or .npy)");
    }
  }
  return parts.size() == 1 ? parts[0] : cat(parts, 0);
}

std::vector<std::string> class_names_of(const std::string& preprocessing) {
  Json state = parse_state(preprocessing, "class_names_of");
  if (!state.contains("class_names")) return {};
  return field<std::vector<std::string>>(state, "class_names");
}

}  // namespace cajal::train
