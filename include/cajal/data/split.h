#pragma once
// Splitting a dataset: subsets, random and stratified splits, k-fold cross-validation.
//
//   auto parts = data::random_split(full, {0.8, 0.2}, 42);            // or {48000, 12000}
//   auto [train, validation] = data::stratified_split(full, 0.8, 42);  // class proportions kept
//   for (const data::Fold& fold : data::KFold({.folds = 5, .shuffle = true, .seed = 1}).split(n))
//     data::Subset fold_train(full, fold.train), fold_validation(full, fold.validation);
//
// Names follow torch.utils.data (Subset, random_split) and scikit-learn (KFold, StratifiedKFold;
// `folds` is scikit-learn's n_splits). Every `seed` is optional: unset, the draws come from the
// global generator (cajal::manual_seed reproduces them), set, the result depends on it alone.
//
// Subsets borrow the dataset when given a reference (it must outlive them) and share it when
// given a std::shared_ptr.
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "cajal/core/random.h"
#include "cajal/data/dataset.h"

namespace cajal::data {

// A uniformly random permutation of 0..n-1 (Fisher-Yates), drawn from `generator`.
std::vector<int64_t> random_permutation(int64_t n, Generator& generator);

// The examples of `dataset` at `indices`, in that order (repeats allowed).
// IndexError naming the index and the size when one is out of range.
class Subset : public Dataset {
 public:
  Subset(const Dataset& dataset, std::vector<int64_t> indices);
  Subset(std::shared_ptr<const Dataset> dataset, std::vector<int64_t> indices);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Example get(int64_t index) const override;
  // The parent's targets at `indices` (undefined when the parent has none).
  Tensor targets() const override;
  const std::vector<int64_t>& indices() const { return indices_; }
  const Dataset& dataset() const { return *dataset_; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  std::vector<int64_t> indices_;
};

// Splits a random permutation of the dataset into consecutive parts, as torch's random_split.
// `sizes` are either example counts summing to the dataset size, or fractions summing to 1 (the
// rule PyTorch uses: fractions when they sum to 1 and the size is not 1). Fractions give
// floor(fraction * N) examples each, and the remaining examples go one each to the parts in
// order. ValueError when a size is negative or not a whole count, or the sizes sum to neither.
std::vector<Subset> random_split(const Dataset& dataset, const std::vector<double>& sizes,
                                 std::optional<uint64_t> seed = std::nullopt);
std::vector<Subset> random_split(std::shared_ptr<const Dataset> dataset,
                                 const std::vector<double>& sizes,
                                 std::optional<uint64_t> seed = std::nullopt);

// Splits into two parts holding `fraction` and 1 - fraction of the examples (part sizes as
// random_split({fraction, 1 - fraction})) so that each class's share of every part differs from
// its exact share by less than one example. Each part's order is shuffled.
// Requires: targets() are [N] (or [N, 1]) integer class labels.
// ValueError when fraction is not in (0, 1) or the dataset has no integer class targets.
std::pair<Subset, Subset> stratified_split(const Dataset& dataset, double fraction,
                                           std::optional<uint64_t> seed = std::nullopt);
std::pair<Subset, Subset> stratified_split(std::shared_ptr<const Dataset> dataset, double fraction,
                                           std::optional<uint64_t> seed = std::nullopt);

// One cross-validation fold: indices into the dataset.
struct Fold {
  std::vector<int64_t> train;
  std::vector<int64_t> validation;
};

struct KFoldOptions {
  int64_t folds = 5;     // >= 2
  bool shuffle = false;  // shuffle the indices before cutting the folds
  // Used when shuffle is set; unset: the global generator.
  std::optional<uint64_t> seed = std::nullopt;
};

// K-fold cross-validation, as sklearn.model_selection.KFold: the (optionally shuffled) indices
// are cut into `folds` consecutive blocks, the first N % folds of them one example larger; fold i
// validates on block i and trains on the rest (train indices ascending). Every index is in
// exactly one validation block. ValueError when folds < 2 (constructor) or folds > N (split).
class KFold {
 public:
  explicit KFold(KFoldOptions options = {});
  std::vector<Fold> split(int64_t size) const;
  std::vector<Fold> split(const Dataset& dataset) const { return split(dataset.size()); }
  const KFoldOptions& options() const { return options_; }

 private:
  KFoldOptions options_;
};

// Stratified k-fold, as sklearn.model_selection.StratifiedKFold: every fold's count of each class
// is within one of the others', and fold sizes are within one of each other. Examples are sorted
// by class (in shuffled order within a class when `shuffle`) and dealt to the folds in turn.
// Train and validation indices are ascending.
// ValueError when folds < 2, folds > N, every class has fewer than `folds` members, or the
// targets are not [N] integer class labels.
class StratifiedKFold {
 public:
  explicit StratifiedKFold(KFoldOptions options = {});
  // targets: [N] integer class labels.
  std::vector<Fold> split(const Tensor& targets) const;
  std::vector<Fold> split(const Dataset& dataset) const;
  const KFoldOptions& options() const { return options_; }

 private:
  KFoldOptions options_;
};

}  // namespace cajal::data
