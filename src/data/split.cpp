#include "cajal/data/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/ops/indexing.h"

namespace cajal::data {

namespace {

std::shared_ptr<const Dataset> borrow(const Dataset& dataset) {
  // Aliasing constructor with an empty owner: a non-owning pointer.
  return std::shared_ptr<const Dataset>(std::shared_ptr<const Dataset>(), &dataset);
}

std::shared_ptr<const Dataset> require(std::shared_ptr<const Dataset> dataset, const char* what) {
  if (dataset == nullptr) throw ValueError(std::string(what) + ": dataset is null");
  return dataset;
}

// Runs fn with a generator seeded by `seed`, or with the global generator when unset.
template <typename Fn>
auto with_generator(const std::optional<uint64_t>& seed, Fn&& fn) {
  if (seed.has_value()) {
    Generator generator(*seed);
    return fn(generator);
  }
  return fn(default_generator());
}

std::string format_number(double value) {
  std::string text = std::to_string(value);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

// Part sizes for random_split: counts as given, or fractions resolved as PyTorch does.
std::vector<int64_t> part_sizes(const char* what, int64_t n, const std::vector<double>& sizes) {
  if (sizes.empty()) throw ValueError(std::string(what) + ": sizes must not be empty");
  double total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (!std::isfinite(sizes[i]) || sizes[i] < 0) {
      throw ValueError(std::string(what) + ": sizes[" + std::to_string(i) +
                       "] must be non-negative, got " + format_number(sizes[i]));
    }
    total += sizes[i];
  }
  std::vector<int64_t> result;
  if (std::abs(total - 1.0) <= 1e-9 && total <= static_cast<double>(n)) {
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] > 1) {
        throw ValueError(std::string(what) + ": fraction sizes[" + std::to_string(i) +
                         "] must be in [0, 1], got " + format_number(sizes[i]));
      }
      result.push_back(static_cast<int64_t>(std::floor(static_cast<double>(n) * sizes[i])));
    }
    int64_t remainder = n - std::accumulate(result.begin(), result.end(), int64_t{0});
    for (int64_t i = 0; i < remainder; ++i) ++result[static_cast<size_t>(i) % result.size()];
    return result;
  }
  if (total != static_cast<double>(n)) {
    throw ValueError(std::string(what) + ": sizes sum to " + format_number(total) +
                     ", which is neither 1 (fractions) nor the dataset size " + std::to_string(n));
  }
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] != std::floor(sizes[i])) {
      throw ValueError(std::string(what) + ": sizes[" + std::to_string(i) +
                       "] = " + format_number(sizes[i]) + " is not a whole example count");
    }
    result.push_back(static_cast<int64_t>(sizes[i]));
  }
  return result;
}

// Targets as integer class labels, one per example.
std::vector<int64_t> class_labels(const char* what, const Tensor& targets) {
  if (!targets.defined()) {
    throw ValueError(std::string(what) +
                     ": the dataset has no targets; stratifying needs class "
                     "labels");
  }
  if (!(targets.dim() == 1 || (targets.dim() == 2 && targets.size(1) == 1))) {
    throw ValueError(std::string(what) + ": targets must be [N] class labels, got shape " +
                     shape_string(targets.shape()));
  }
  std::vector<double> values = to_vector<double>(targets);
  std::vector<int64_t> labels(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]) || values[i] != std::floor(values[i])) {
      throw ValueError(std::string(what) + ": target " + format_number(values[i]) + " of example " +
                       std::to_string(i) + " is not a whole class label");
    }
    labels[i] = static_cast<int64_t>(values[i]);
  }
  return labels;
}

// Example indices grouped by class, classes in ascending label order.
std::map<int64_t, std::vector<int64_t>> group_by_class(const std::vector<int64_t>& labels) {
  std::map<int64_t, std::vector<int64_t>> classes;
  for (size_t i = 0; i < labels.size(); ++i) classes[labels[i]].push_back(static_cast<int64_t>(i));
  return classes;
}

void shuffle(std::vector<int64_t>& values, Generator& generator) {
  std::vector<int64_t> order = random_permutation(static_cast<int64_t>(values.size()), generator);
  std::vector<int64_t> shuffled(values.size());
  for (size_t i = 0; i < order.size(); ++i) shuffled[i] = values[static_cast<size_t>(order[i])];
  values = std::move(shuffled);
}

void check_folds(const char* what, int64_t folds) {
  if (folds < 2) {
    throw ValueError(std::string(what) + ": folds must be at least 2, got " +
                     std::to_string(folds));
  }
}

void check_folds_fit(const char* what, int64_t folds, int64_t size) {
  if (folds > size) {
    throw ValueError(std::string(what) + ": folds " + std::to_string(folds) +
                     " is larger than the number of examples " + std::to_string(size));
  }
}

// Folds from a fold label per example: validation = the examples labelled i (ascending).
std::vector<Fold> folds_from_labels(const std::vector<int64_t>& fold_of, int64_t folds) {
  std::vector<Fold> result(static_cast<size_t>(folds));
  for (size_t i = 0; i < fold_of.size(); ++i) {
    for (int64_t f = 0; f < folds; ++f) {
      auto& part = (fold_of[i] == f) ? result[static_cast<size_t>(f)].validation
                                     : result[static_cast<size_t>(f)].train;
      part.push_back(static_cast<int64_t>(i));
    }
  }
  return result;
}

}  // namespace

std::vector<int64_t> random_permutation(int64_t n, Generator& generator) {
  if (n < 0)
    throw ValueError("random_permutation: n must be non-negative, got " + std::to_string(n));
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  for (int64_t i = n - 1; i > 0; --i) {
    std::swap(order[static_cast<size_t>(i)],
              order[static_cast<size_t>(generator.integer(0, i + 1))]);
  }
  return order;
}

Subset::Subset(const Dataset& dataset, std::vector<int64_t> indices)
    : Subset(borrow(dataset), std::move(indices)) {}

Subset::Subset(std::shared_ptr<const Dataset> dataset, std::vector<int64_t> indices)
    : dataset_(require(std::move(dataset), "Subset")), indices_(std::move(indices)) {
  const int64_t n = dataset_->size();
  for (int64_t index : indices_) check_index("Subset", index, n);
}

Example Subset::get(int64_t index) const {
  check_index("Subset", index, size());
  return dataset_->get(indices_[static_cast<size_t>(index)]);
}

Tensor Subset::targets() const {
  if (indices_.empty()) return Tensor();
  Tensor all = dataset_->targets();
  if (!all.defined()) return Tensor();
  return index_select(all, 0, from_vector(indices_));
}

std::vector<Subset> random_split(const Dataset& dataset, const std::vector<double>& sizes,
                                 std::optional<uint64_t> seed) {
  return random_split(borrow(dataset), sizes, seed);
}

std::vector<Subset> random_split(std::shared_ptr<const Dataset> dataset,
                                 const std::vector<double>& sizes, std::optional<uint64_t> seed) {
  dataset = require(std::move(dataset), "random_split");
  const int64_t n = dataset->size();
  std::vector<int64_t> lengths = part_sizes("random_split", n, sizes);
  std::vector<int64_t> order =
      with_generator(seed, [n](Generator& generator) { return random_permutation(n, generator); });
  std::vector<Subset> parts;
  parts.reserve(lengths.size());
  auto next = order.begin();
  for (int64_t length : lengths) {
    parts.emplace_back(dataset, std::vector<int64_t>(next, next + length));
    next += length;
  }
  return parts;
}

std::pair<Subset, Subset> stratified_split(const Dataset& dataset, double fraction,
                                           std::optional<uint64_t> seed) {
  return stratified_split(borrow(dataset), fraction, seed);
}

std::pair<Subset, Subset> stratified_split(std::shared_ptr<const Dataset> dataset, double fraction,
                                           std::optional<uint64_t> seed) {
  dataset = require(std::move(dataset), "stratified_split");
  if (!(fraction > 0 && fraction < 1)) {
    throw ValueError("stratified_split: fraction must be in (0, 1), got " +
                     format_number(fraction));
  }
  const int64_t n = dataset->size();
  std::vector<int64_t> labels = class_labels("stratified_split", dataset->targets());
  const int64_t first_size = part_sizes("stratified_split", n, {fraction, 1 - fraction})[0];
  auto classes = group_by_class(labels);

  // Largest-remainder rounding of each class's exact share n_c * first_size / n: every class
  // gets the floor or the ceiling of its share, and the counts add up to first_size exactly.
  struct Share {
    int64_t count;
    int64_t remainder;
    size_t class_position;
  };
  std::vector<Share> shares;
  int64_t assigned = 0;
  for (const auto& [label, members] : classes) {
    const int64_t scaled = static_cast<int64_t>(members.size()) * first_size;
    shares.push_back({scaled / n, scaled % n, shares.size()});
    assigned += scaled / n;
  }
  std::vector<Share> by_remainder = shares;
  std::stable_sort(by_remainder.begin(), by_remainder.end(),
                   [](const Share& a, const Share& b) { return a.remainder > b.remainder; });
  for (int64_t i = 0; i < first_size - assigned; ++i) {
    ++shares[by_remainder[static_cast<size_t>(i)].class_position].count;
  }

  return with_generator(seed, [&](Generator& generator) {
    std::vector<int64_t> first;
    std::vector<int64_t> second;
    size_t position = 0;
    for (auto& [label, members] : classes) {
      shuffle(members, generator);
      const int64_t take = shares[position++].count;
      first.insert(first.end(), members.begin(), members.begin() + take);
      second.insert(second.end(), members.begin() + take, members.end());
    }
    shuffle(first, generator);
    shuffle(second, generator);
    return std::pair<Subset, Subset>(Subset(dataset, std::move(first)),
                                     Subset(dataset, std::move(second)));
  });
}

KFold::KFold(KFoldOptions options) : options_(options) { check_folds("KFold", options_.folds); }

std::vector<Fold> KFold::split(int64_t size) const {
  const int64_t folds = options_.folds;
  check_folds_fit("KFold", folds, size);
  std::vector<int64_t> order(static_cast<size_t>(size));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options_.shuffle) {
    order = with_generator(options_.seed, [size](Generator& generator) {
      return random_permutation(size, generator);
    });
  }
  std::vector<Fold> result;
  int64_t start = 0;
  std::vector<bool> in_validation(static_cast<size_t>(size));
  for (int64_t f = 0; f < folds; ++f) {
    const int64_t length = size / folds + (f < size % folds ? 1 : 0);
    Fold fold;
    fold.validation.assign(order.begin() + start, order.begin() + start + length);
    std::fill(in_validation.begin(), in_validation.end(), false);
    for (int64_t index : fold.validation) in_validation[static_cast<size_t>(index)] = true;
    for (int64_t i = 0; i < size; ++i) {
      if (!in_validation[static_cast<size_t>(i)]) fold.train.push_back(i);
    }
    result.push_back(std::move(fold));
    start += length;
  }
  return result;
}

StratifiedKFold::StratifiedKFold(KFoldOptions options) : options_(options) {
  check_folds("StratifiedKFold", options_.folds);
}

std::vector<Fold> StratifiedKFold::split(const Dataset& dataset) const {
  return split(dataset.targets());
}

std::vector<Fold> StratifiedKFold::split(const Tensor& targets) const {
  const int64_t folds = options_.folds;
  std::vector<int64_t> labels = class_labels("StratifiedKFold", targets);
  const auto size = static_cast<int64_t>(labels.size());
  check_folds_fit("StratifiedKFold", folds, size);
  auto classes = group_by_class(labels);
  int64_t largest = 0;
  for (const auto& [label, members] : classes) {
    largest = std::max(largest, static_cast<int64_t>(members.size()));
  }
  if (largest < folds) {
    throw ValueError("StratifiedKFold: folds " + std::to_string(folds) +
                     " is larger than the number of members of every class (at most " +
                     std::to_string(largest) + ")");
  }

  // Dealing the class-sorted examples to the folds in turn fixes how many of each class every
  // fold gets (scikit-learn's allocation); within a class the members then take their fold
  // labels in ascending order, after shuffling the members when asked.
  std::vector<int64_t> fold_of(static_cast<size_t>(size));
  auto assign = [&](Generator* generator) {
    int64_t offset = 0;
    for (auto& [label, members] : classes) {
      const auto count = static_cast<int64_t>(members.size());
      std::vector<int64_t> fold_labels;
      for (int64_t f = 0; f < folds; ++f) {
        // Positions p in [offset, offset + count) with p % folds == f.
        const int64_t first = offset + ((f - offset % folds) + folds) % folds;
        const int64_t in_fold =
            first < offset + count ? (offset + count - 1 - first) / folds + 1 : 0;
        fold_labels.insert(fold_labels.end(), static_cast<size_t>(in_fold), f);
      }
      if (generator != nullptr) shuffle(members, *generator);
      for (int64_t i = 0; i < count; ++i) {
        fold_of[static_cast<size_t>(members[static_cast<size_t>(i)])] =
            fold_labels[static_cast<size_t>(i)];
      }
      offset += count;
    }
    return 0;
  };
  if (options_.shuffle) {
    with_generator(options_.seed, [&](Generator& generator) { return assign(&generator); });
  } else {
    assign(nullptr);
  }
  return folds_from_labels(fold_of, folds);
}

}  // namespace cajal::data
