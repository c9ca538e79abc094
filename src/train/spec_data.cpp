// prepare_data: the "data" section of a model spec. The section is read and validated whole
// (unknown keys included) before any file is opened, so a misspelt key costs no loading time;
// then the source is loaded, limited, split, and preprocessing is fitted on the training part only.
// prepare_inputs and the preprocessing state's reader live in spec_data_inputs.cpp.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/data/augmentation.h"
#include "cajal/data/csv.h"
#include "cajal/data/fashion_mnist.h"
#include "cajal/data/idx.h"
#include "cajal/data/image_folder.h"
#include "cajal/data/npy.h"
#include "cajal/data/preprocessing.h"
#include "cajal/data/split.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/reduction.h"
#include "cajal/train/spec_data.h"
#include "spec_data_internal.h"

namespace cajal::train {
namespace {

using detail::AugmentationBuilder;
using detail::read_augmentation;
using detail::shape_text;

using DatasetPtr = std::shared_ptr<const data::Dataset>;

const std::vector<std::string> kSources = {"dataset", "idx", "csv", "image_folder", "npy"};

struct NormalizeConfig {
  bool fit = false;  // true: mean and std of the training inputs
  std::vector<double> mean;
  std::vector<double> std;
};

struct DataConfig {
  std::string source;
  // dataset
  std::string dataset;
  std::string dataset_path;
  // idx / npy: key -> resolved path ("" when absent)
  std::map<std::string, std::string> files;
  // csv
  std::string csv_path, test_csv_path;
  data::CsvOptions csv;
  // image_folder
  std::string folder, test_folder;
  data::ImageOptions image;
  // shared
  std::optional<bool> classification;  // from "task"; unset: from the loss
  std::vector<std::string> class_names;
  std::optional<double> test_fraction;
  std::optional<NormalizeConfig> normalize;
  std::vector<AugmentationBuilder> augmentation;
  double validation_fraction = 0;
  bool validate_on_test = false;
  int64_t limit = 0;
};

std::string resolve(const Spec& spec, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute() || spec.base_dir.empty()) return p.string();
  return (spec.base_dir / p).lexically_normal().string();
}

// ---------------------------------------------------------------------------------------------
// Reading the section.

std::optional<NormalizeConfig> read_normalize(SpecReader& data) {
  const Json* value = data.optional_value("normalize");
  if (value == nullptr) return std::nullopt;
  const std::string pointer = data.child_pointer("normalize");
  if (value->is_boolean()) {
    if (!value->get<bool>()) return std::nullopt;
    NormalizeConfig config;
    config.fit = true;
    return config;
  }
  if (!value->is_object()) {
    throw SpecError(pointer + ": expected true, false or {\"mean\": [...], \"std\": [...]}, got " +
                    describe_json(*value));
  }
  SpecReader reader(*value, pointer);
  NormalizeConfig config;
  config.mean = reader.numbers("mean", {});
  config.std = reader.numbers("std", {}, {.min = 0, .min_exclusive = true});
  if (config.mean.empty()) reader.fail("mean", "missing (expected one number per channel)");
  if (config.std.empty()) reader.fail("std", "missing (expected one number per channel)");
  reader.finish();
  return config;
}

std::string required_path(const Spec& spec, SpecReader& reader, const std::string& key) {
  return resolve(spec, reader.string(key));
}
std::string optional_path(const Spec& spec, SpecReader& reader, const std::string& key) {
  std::string path = reader.string(key, "");
  return path.empty() ? "" : resolve(spec, path);
}

DataConfig read_config(const Spec& spec, const PrepareOptions& options) {
  if (!spec.document.is_object() || !spec.document.contains("data") ||
      spec.document["data"].is_null()) {
    throw SpecError(
        "/data: missing (expected an object with one of dataset, idx, csv, "
        "image_folder, npy)");
  }
  SpecReader data(spec.document["data"], "/data");
  DataConfig config;
  int sources = 0;
  for (const std::string& key : kSources) {
    if (data.has(key)) {
      config.source = key;
      ++sources;
    }
  }
  if (sources != 1) {
    throw SpecError("/data: expected exactly one of dataset, idx, csv, image_folder, npy" +
                    std::string(sources ? " (got " + std::to_string(sources) + ")" : ""));
  }

  bool has_test_source = false;
  if (config.source == "dataset") {
    config.dataset = data.choice("dataset", {"fashion_mnist", "mnist"});
    config.dataset_path =
        config.dataset == "mnist"
            ? required_path(spec, data, "path")
            : resolve(spec, data.string("path", "/usr/share/datasets/fashion-mnist"));
    config.class_names = data.strings("class_names", {});
    has_test_source = true;
  } else if (config.source == "idx" || config.source == "npy") {
    const bool idx = config.source == "idx";
    SpecReader files(data.value(config.source), data.child_pointer(config.source));
    const std::string inputs = idx ? "images" : "inputs";
    const std::string targets = idx ? "labels" : "targets";
    for (const std::string part : {"train_", "test_"}) {
      for (const std::string& key : {part + inputs, part + targets}) {
        config.files[key] =
            part == "train_" ? required_path(spec, files, key) : optional_path(spec, files, key);
      }
      if (config.files[part + inputs].empty() != config.files[part + targets].empty()) {
        throw SpecError(files.pointer() + ": " + part + inputs + " and " + part + targets +
                        " go together (got only one)");
      }
    }
    files.finish();
    has_test_source = !config.files["test_" + inputs].empty();
    config.class_names = data.strings("class_names", {});
    if (!idx) {
      if (data.has("task")) {
        config.classification =
            data.choice("task", {"classification", "regression"}) == "classification";
      }
    }
  } else if (config.source == "csv") {
    config.csv_path = required_path(spec, data, "csv");
    config.test_csv_path = optional_path(spec, data, "test_csv");
    has_test_source = !config.test_csv_path.empty();
    if (data.has("target")) config.csv.target = data.string("target");
    if (data.has("task")) {
      config.classification =
          data.choice("task", {"classification", "regression"}) == "classification";
    }
    config.csv.categorical = data.strings("categorical", {});
    config.csv.numeric = data.strings("numeric", {});
    const std::string impute = data.choice("impute", {"mean", "median", "most_frequent"}, "mean");
    config.csv.impute = impute == "mean"     ? data::Impute::mean
                        : impute == "median" ? data::Impute::median
                                             : data::Impute::most_frequent;
    const std::string scale = data.choice("scale", {"standard", "minmax", "none"}, "none");
    config.csv.scale = scale == "standard" ? data::Scale::standard
                       : scale == "minmax" ? data::Scale::minmax
                                           : data::Scale::none;
    const std::string delimiter = data.string("delimiter", ",");
    if (delimiter.size() != 1) {
      data.fail("delimiter", "expected one character, got \"" + delimiter + "\"");
    }
    config.csv.delimiter = delimiter[0];
  } else {  // image_folder
    config.folder = required_path(spec, data, "image_folder");
    config.test_folder = optional_path(spec, data, "test_image_folder");
    has_test_source = !config.test_folder.empty();
    std::vector<int64_t> size = data.sizes("size", 2, {});
    if (!size.empty()) config.image.size = std::make_pair(size[0], size[size.size() > 1 ? 1 : 0]);
    config.image.grayscale = data.boolean("grayscale", false);
  }

  if (config.source != "dataset" && config.source != "idx") {
    config.test_fraction = data.optional_number(
        "test_fraction", {.min = 0, .max = 1, .min_exclusive = true, .max_exclusive = true});
    if (config.test_fraction && has_test_source) {
      data.fail("test_fraction", "the data already has a test part; give one or the other");
    }
  }
  if (config.source == "csv") {
    for (const char* key : {"normalize", "augmentation"}) {
      if (data.has(key)) {
        data.fail(key, "only for image data (CSV features are scaled with \"scale\")");
      }
    }
  } else {
    config.normalize = read_normalize(data);
    if (const Json* list = data.optional_value("augmentation")) {
      const std::string pointer = data.child_pointer("augmentation");
      if (!list->is_array()) {
        throw SpecError(pointer + ": expected an array, got " + describe_json(*list));
      }
      for (size_t i = 0; i < list->size(); ++i) {
        config.augmentation.push_back(
            read_augmentation((*list)[i], pointer + "/" + std::to_string(i)));
      }
    }
  }
  const std::optional<double> fraction = data.optional_number(
      "validation_fraction", {.min = 0, .max = 1, .min_exclusive = true, .max_exclusive = true});
  config.validate_on_test = data.choice("validation", {"test", "none"}, "none") == "test";
  if (fraction && config.validate_on_test) {
    data.fail("validation", "give either \"validation\": \"test\" or validation_fraction");
  }
  config.validation_fraction = fraction.value_or(0);
  if (config.validate_on_test && !has_test_source && !config.test_fraction) {
    data.fail("validation", "\"test\" needs a test part (a test file, folder or test_fraction)");
  }
  config.limit = data.integer("limit", 0, 0);
  if (options.limit > 0) config.limit = options.limit;
  data.finish();
  return config;
}

// ---------------------------------------------------------------------------------------------
// Loading.

// Keeps the first `limit` examples (all when limit is 0 or not smaller than the size).
DatasetPtr first(DatasetPtr dataset, int64_t limit) {
  if (!dataset || limit <= 0 || dataset->size() <= limit) return dataset;
  std::vector<int64_t> indices(static_cast<size_t>(limit));
  for (int64_t i = 0; i < limit; ++i) indices[static_cast<size_t>(i)] = i;
  return std::make_shared<data::Subset>(std::move(dataset), std::move(indices));
}

// uint8 pixels -> float32 / 255; [N, H, W] -> [N, 1, H, W].
Tensor image_inputs(Tensor images, const std::string& file) {
  if (images.dim() == 3) images = images.unsqueeze(1);
  if (images.dim() != 4) {
    throw ValueError(file + ": expected images [N, H, W] or [N, C, H, W], got " +
                     shape_text(images.shape()));
  }
  return images.dtype() == Dtype::uint8 ? images.to(Dtype::float32) / 255.0
                                        : images.to(Dtype::float32);
}

// Integer class labels [N] (or [N, 1]) -> int64 [N]; ValueError naming the file otherwise.
Tensor class_labels(Tensor labels, const std::string& file) {
  if (labels.dim() == 2 && labels.shape()[1] == 1) labels = labels.flatten();
  if (labels.dim() != 1) {
    throw ValueError(file + ": class labels must be [N], got " + shape_text(labels.shape()));
  }
  std::vector<double> values = to_vector<double>(labels.to(Dtype::float64));
  for (size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] >= 0) || values[i] != std::floor(values[i])) {
      throw ValueError(file + ": label " + std::to_string(i) + " is " + std::to_string(values[i]) +
                       ", not a class index (an integer >= 0)");
    }
  }
  return labels.to(Dtype::int64);
}

// "0", "1", ... up to the largest label, or the spec's names (which must cover every label).
std::vector<std::string> numbered_classes(const std::vector<Tensor>& labels,
                                          std::vector<std::string> names) {
  int64_t count = 0;
  for (const Tensor& part : labels) {
    for (int64_t label : to_vector<int64_t>(part)) count = std::max(count, label + 1);
  }
  if (names.empty()) {
    for (int64_t i = 0; i < count; ++i) names.push_back(std::to_string(i));
  } else if (static_cast<int64_t>(names.size()) < count) {
    throw SpecError("/data/class_names: " + std::to_string(names.size()) +
                    " names, but the labels go up to " + std::to_string(count - 1));
  }
  return names;
}

// Splits off a test part: stratified for classification, seeded.
std::pair<DatasetPtr, DatasetPtr> split_test(DatasetPtr dataset, double test_fraction,
                                             bool classification, uint64_t seed) {
  if (classification) {
    auto [train, test] = data::stratified_split(dataset, 1 - test_fraction, seed);
    return {std::make_shared<data::Subset>(train), std::make_shared<data::Subset>(test)};
  }
  std::vector<data::Subset> parts =
      data::random_split(dataset, {1 - test_fraction, test_fraction}, seed);
  return {std::make_shared<data::Subset>(parts[0]), std::make_shared<data::Subset>(parts[1])};
}

// A dataset whose inputs pass through a deterministic transform (normalization of lazily decoded
// images).
class MappedDataset : public data::Dataset {
 public:
  MappedDataset(DatasetPtr base, std::function<Tensor(const Tensor&)> map)
      : base_(std::move(base)), map_(std::move(map)) {}
  int64_t size() const override { return base_->size(); }
  data::Example get(int64_t index) const override {
    data::Example example = base_->get(index);
    example.input = map_(example.input);
    return example;
  }
  Tensor targets() const override { return base_->targets(); }

 private:
  DatasetPtr base_;
  std::function<Tensor(const Tensor&)> map_;
};

// Per-channel mean and population standard deviation of the inputs [C, H, W] of `dataset`.
std::pair<std::vector<double>, std::vector<double>> channel_statistics(const data::Dataset& dataset,
                                                                       int64_t channels) {
  std::vector<double> sums(static_cast<size_t>(channels)), squares(sums.size());
  double count = 0;
  auto add = [&](const Tensor& images) {  // [N, C, H, W]
    Tensor x = images.to(Dtype::float64);
    std::vector<double> s = to_vector<double>(sum(x, Dims{0, 2, 3}));
    std::vector<double> q = to_vector<double>(sum(x * x, Dims{0, 2, 3}));
    for (size_t c = 0; c < sums.size(); ++c) {
      sums[c] += s[c];
      squares[c] += q[c];
    }
    count += static_cast<double>(x.numel() / channels);
  };
  if (auto* tensors = dynamic_cast<const data::TensorDataset*>(&dataset)) {
    add(tensors->inputs());
  } else {
    for (int64_t i = 0; i < dataset.size(); ++i) add(dataset.get(i).input.unsqueeze(0));
  }
  std::vector<double> mean(sums.size()), deviation(sums.size());
  for (size_t c = 0; c < sums.size(); ++c) {
    mean[c] = sums[c] / count;
    double variance = std::max(0.0, squares[c] / count - mean[c] * mean[c]);
    // A constant channel keeps scale 1 instead of dividing by zero (as StandardScaler).
    deviation[c] = variance > 0 ? std::sqrt(variance) : 1.0;
  }
  return {mean, deviation};
}

DatasetPtr normalized(DatasetPtr dataset, const data::Normalize& normalize) {
  if (!dataset) return dataset;
  if (auto* tensors = dynamic_cast<const data::TensorDataset*>(dataset.get())) {
    return std::make_shared<data::TensorDataset>(normalize(tensors->inputs()), tensors->targets());
  }
  return std::make_shared<MappedDataset>(std::move(dataset),
                                         [normalize](const Tensor& x) { return normalize(x); });
}

struct Loaded {
  DatasetPtr train, test;
  std::vector<std::string> class_names;
  Json tabular;  // the fitted TabularPreprocessor (CSV only)
};

Loaded load_tensors(const DataConfig& config, bool classification) {
  const bool idx = config.source == "idx";
  const std::string inputs = idx ? "images" : "inputs";
  const std::string targets = idx ? "labels" : "targets";
  Loaded loaded;
  std::vector<Tensor> labels;
  auto load = [&](const std::string& part) -> DatasetPtr {
    const std::string& input_file = config.files.at(part + inputs);
    const std::string& target_file = config.files.at(part + targets);
    if (input_file.empty()) return nullptr;
    Tensor x = idx ? data::read_idx(input_file) : data::read_npy(input_file);
    Tensor y = idx ? data::read_idx(target_file) : data::read_npy(target_file);
    if (idx || x.dim() == 4) {
      x = image_inputs(x, input_file);
    } else {
      if (x.dim() < 2) {
        throw ValueError(input_file + ": expected inputs [N, ...], got " + shape_text(x.shape()));
      }
      x = x.to(Dtype::float32);
    }
    if (y.dim() == 0 || y.shape()[0] != x.shape()[0]) {
      throw ValueError(target_file + ": " + shape_text(y.shape()) + " does not match the " +
                       std::to_string(x.shape()[0]) + " inputs of " + input_file);
    }
    if (classification || idx) {
      y = class_labels(y, target_file);
      labels.push_back(y);
    } else {
      y = y.to(Dtype::float32);
      if (y.dim() == 1) y = y.unsqueeze(1);
    }
    return first(std::make_shared<data::TensorDataset>(x, y), config.limit);
  };
  loaded.train = load("train_");
  loaded.test = load("test_");
  if (classification || idx) loaded.class_names = numbered_classes(labels, config.class_names);
  return loaded;
}

Loaded load_csv(const DataConfig& config, bool classification, uint64_t seed) {
  data::CsvOptions options = config.csv;
  options.task = classification ? data::Task::classification : data::Task::regression;
  auto limited = [&](data::Table table) {
    if (config.limit <= 0 || table.num_rows() <= config.limit) return table;
    std::vector<int64_t> rows(static_cast<size_t>(config.limit));
    for (int64_t i = 0; i < config.limit; ++i) rows[static_cast<size_t>(i)] = i;
    return table.subset(rows);
  };
  // read_csv shortens long paths in its messages; name the whole file.
  for (const std::string& path : {config.csv_path, config.test_csv_path}) {
    if (!path.empty() && !std::filesystem::is_regular_file(path)) {
      throw IOError("prepare_data: cannot open " + path + ": no such file");
    }
  }
  data::Table train = limited(data::read_csv(config.csv_path, options));
  std::optional<data::Table> test;
  if (!config.test_csv_path.empty()) test = limited(data::read_csv(config.test_csv_path, options));
  if (config.test_fraction) {
    if (classification) {
      // Stratified by the label text, through stratified_split over the row indices.
      const int64_t target = train.target_column();
      std::map<std::string, int64_t> ids;
      std::vector<int64_t> codes;
      for (int64_t r = 0; r < train.num_rows(); ++r) {
        const auto& cell = train.cell(r, target);
        codes.push_back(ids.emplace(cell.value_or(""), int64_t(ids.size())).first->second);
      }
      const int64_t n = train.num_rows();
      data::TensorDataset rows(zeros({n, 1}), from_vector(codes, Shape{n}));
      auto [train_rows, test_rows] = data::stratified_split(rows, 1 - *config.test_fraction, seed);
      test = train.subset(test_rows.indices());
      train = train.subset(train_rows.indices());
    } else {
      auto [train_part, test_part] = train.split(*config.test_fraction, seed);
      train = std::move(train_part);
      test = std::move(test_part);
    }
  }
  data::TabularPreprocessor preprocessor = train.preprocessor();
  Loaded loaded;
  loaded.train = std::make_shared<data::TensorDataset>(preprocessor.fit_transform(train));
  if (test) loaded.test = std::make_shared<data::TensorDataset>(preprocessor.transform(*test));
  loaded.class_names = preprocessor.class_names();
  loaded.tabular = preprocessor.to_json();
  return loaded;
}

Loaded load_images(const DataConfig& config) {
  Loaded loaded;
  if (config.source == "dataset") {
    data::MnistOptions options;
    if (config.limit > 0) options.train_limit = options.test_limit = config.limit;
    data::MnistData mnist = config.dataset == "fashion_mnist"
                                ? data::fashion_mnist(config.dataset_path, options)
                                : data::mnist(config.dataset_path, options, config.class_names);
    if (config.dataset == "fashion_mnist" && !config.class_names.empty()) {
      if (config.class_names.size() != mnist.class_names.size()) {
        throw SpecError("/data/class_names: expected " + std::to_string(mnist.class_names.size()) +
                        " names, got " + std::to_string(config.class_names.size()));
      }
      mnist.class_names = config.class_names;
    }
    loaded.train = std::make_shared<data::TensorDataset>(mnist.train);
    loaded.test = std::make_shared<data::TensorDataset>(mnist.test);
    loaded.class_names = mnist.class_names;
    return loaded;
  }
  auto train = std::make_shared<data::ImageFolder>(config.folder, config.image);
  loaded.class_names = train->classes();
  loaded.train = first(train, config.limit);
  if (!config.test_folder.empty()) {
    auto test = std::make_shared<data::ImageFolder>(config.test_folder, config.image);
    if (test->classes() != train->classes()) {
      throw ValueError(config.test_folder + ": its class folders differ from those of " +
                       config.folder);
    }
    if (test->image_shape() != train->image_shape()) {
      throw ValueError(config.test_folder + ": images are " + shape_text(test->image_shape()) +
                       ", those of " + config.folder + " " + shape_text(train->image_shape()) +
                       " (set \"size\" to resize both)");
    }
    loaded.test = first(test, config.limit);
  }
  return loaded;
}

}  // namespace

PreparedData prepare_data(const Spec& spec, const PrepareOptions& options) {
  DataConfig config = read_config(spec, options);
  const uint64_t seed = spec.seed.value_or(0);
  bool classification = true;
  if (config.source == "csv" || config.source == "npy") {
    classification = config.classification ? *config.classification : is_classification(spec);
  }

  Loaded loaded = config.source == "csv" ? load_csv(config, classification, seed)
                  : config.source == "idx" || config.source == "npy"
                      ? load_tensors(config, classification)
                      : load_images(config);
  if (config.test_fraction && config.source != "csv") {
    std::tie(loaded.train, loaded.test) =
        split_test(loaded.train, *config.test_fraction, classification, seed);
  }

  PreparedData prepared;
  prepared.classification = classification;
  prepared.class_names = classification ? loaded.class_names : std::vector<std::string>{};
  if (loaded.train->size() == 0) throw ValueError("prepare_data: the training data is empty");
  prepared.input_shape = loaded.train->get(0).input.shape();
  prepared.num_outputs = classification ? static_cast<int64_t>(prepared.class_names.size())
                                        : loaded.train->get(0).target.numel();
  const bool image = prepared.input_shape.size() == 3;
  prepared.kind = config.source == "csv" || !image ? "tabular" : "image";

  Json state{{"format", "cajal.preprocessing"},
             {"version", 1},
             {"kind", prepared.kind},
             {"input_shape", prepared.input_shape},
             {"task", classification ? "classification" : "regression"},
             {"class_names", prepared.class_names},
             {"num_outputs", prepared.num_outputs}};
  if (config.source == "csv") state["tabular"] = loaded.tabular;

  if (!image && (config.normalize || !config.augmentation.empty())) {
    const std::string key = config.normalize ? "normalize" : "augmentation";
    throw SpecError("/data/" + key + ": only for image data [C, H, W]; the inputs are " +
                    shape_text(prepared.input_shape));
  }
  if (image) {
    const int64_t channels = prepared.input_shape[0];
    Json image_state{{"channels", channels},
                     {"size", {prepared.input_shape[1], prepared.input_shape[2]}}};
    if (config.normalize) {
      NormalizeConfig& normalize = *config.normalize;
      if (normalize.fit) {
        std::tie(normalize.mean, normalize.std) = channel_statistics(*loaded.train, channels);
      }
      for (const auto& [key, values] :
           {std::pair{"mean", &normalize.mean}, {"std", &normalize.std}}) {
        if (values->size() != 1 && static_cast<int64_t>(values->size()) != channels) {
          throw SpecError(std::string("/data/normalize/") + key + ": expected 1 or " +
                          std::to_string(channels) + " values (one per channel), got " +
                          std::to_string(values->size()));
        }
      }
      data::Normalize normalizer({.mean = normalize.mean, .std = normalize.std});
      loaded.train = normalized(loaded.train, normalizer);
      loaded.test = normalized(loaded.test, normalizer);
      image_state["normalize"] = {{"mean", normalize.mean}, {"std", normalize.std}};
    }
    state["image"] = image_state;
    if (!config.augmentation.empty()) {
      data::Compose compose;
      for (const AugmentationBuilder& build : config.augmentation) {
        compose.push_back(build(prepared.input_shape));
      }
      prepared.augmentation = data::input_transform(compose);
    }
  }

  prepared.train = loaded.train;
  prepared.test = loaded.test;
  if (config.validate_on_test) prepared.validation = loaded.test;
  prepared.validation_fraction = config.validation_fraction;
  prepared.preprocessing = state.dump();
  return prepared;
}

}  // namespace cajal::train
