#pragma once
// The "data" section of a model spec: where the examples come from, how they are preprocessed
// (fitted on the training data only) and augmented. docs/specs.md documents every key.
//
//   "data": {"dataset": "fashion_mnist", "validation_fraction": 0.1,
//            "augmentation": [{"type": "random_crop", "size": 28, "padding": 2},
//                             {"type": "random_horizontal_flip"}]}
//   "data": {"csv": "wine.csv", "target": "quality", "task": "regression", "scale": "standard",
//            "test_fraction": 0.2}
//   "data": {"image_folder": "photos/train", "test_image_folder": "photos/test", "size": [32, 32]}
//   "data": {"idx": {"train_images": "...", "train_labels": "...", "test_images": "...", ...}}
//   "data": {"npy": {"train_inputs": "x.npy", "train_targets": "y.npy", ...}}
//
// The preprocessing state (scaler means and scales, one-hot categories, class names) is JSON that
// checkpoints store, so `cajal eval` and `cajal predict` prepare new inputs exactly as training
// did, without the training data.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cajal/data/dataset.h"
#include "cajal/data/loader.h"
#include "cajal/train/spec.h"

namespace cajal::train {

struct PreparedData {
  std::shared_ptr<const data::Dataset> train;
  std::shared_ptr<const data::Dataset> validation;  // null: none (or validation_fraction)
  std::shared_ptr<const data::Dataset> test;        // null: the source has no test part
  double validation_fraction = 0;                   // for FitOptions, when validation is null
  Shape input_shape;                                // one example's input, e.g. [1, 28, 28]
  bool classification = true;
  std::vector<std::string> class_names;  // classification: index -> name
  int64_t num_outputs = 0;               // classes, or regression targets
  // "image" (inputs [C, H, W] in [0, 1] before normalization) or "tabular" (inputs [F]).
  std::string kind;
  std::string preprocessing;     // JSON state; see prepare_inputs
  data::Transform augmentation;  // for the training data only; may be empty
};

struct PrepareOptions {
  // Use only the first `limit` training and test examples (tests, quick runs); 0 = all.
  int64_t limit = 0;
};

// Loads and preprocesses the data the spec names. SpecError naming the pointer for a bad key or
// value; IOError naming the file for a missing or corrupt one.
PreparedData prepare_data(const Spec& spec, const PrepareOptions& options = {});

// Prepares inputs for prediction with a checkpoint's preprocessing state: image files (PNG/JPEG,
// resized and normalized as in training), CSV files (rows with the training columns; the target
// column may be absent) or NPY files (already-prepared inputs, [N, ...] or one example). Returns
// [N, ...] and, in `names`, one label per row for printing ("shoe.png", "rows.csv:3"). IOError or
// ValueError naming the file and the problem.
Tensor prepare_inputs(const std::string& preprocessing, const std::vector<std::string>& files,
                      std::vector<std::string>* names = nullptr);

// The class names a checkpoint's preprocessing state holds (empty for regression).
std::vector<std::string> class_names_of(const std::string& preprocessing);

}  // namespace cajal::train
