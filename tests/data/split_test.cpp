#include "cajal/data/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "support/expect_error.h"

namespace cajal::data {
namespace {

using testing::expect_error;

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> values(static_cast<size_t>(n));
  std::iota(values.begin(), values.end(), int64_t{0});
  return values;
}

// inputs [n, 2], targets [n] = labels (int64).
TensorDataset labelled(const std::vector<int64_t>& labels) {
  const auto n = static_cast<int64_t>(labels.size());
  return TensorDataset(arange(0, 2 * n).reshape({n, 2}), from_vector(labels));
}

// Imbalanced classes: 0 x 50, 1 x 30, 2 x 13, 7 x 4, 3 x 1, interleaved.
std::vector<int64_t> imbalanced_labels() {
  std::vector<int64_t> labels;
  const std::pair<int64_t, int> counts[] = {{0, 50}, {1, 30}, {2, 13}, {7, 4}, {3, 1}};
  for (const auto& [label, count] : counts) labels.insert(labels.end(), count, label);
  Generator generator(123);
  std::vector<int64_t> order = random_permutation(static_cast<int64_t>(labels.size()), generator);
  std::vector<int64_t> shuffled;
  for (int64_t i : order) shuffled.push_back(labels[static_cast<size_t>(i)]);
  return shuffled;
}

std::map<int64_t, int64_t> count_classes(const Subset& subset, const std::vector<int64_t>& labels) {
  std::map<int64_t, int64_t> counts;
  for (int64_t index : subset.indices()) ++counts[labels[static_cast<size_t>(index)]];
  return counts;
}

void expect_partition(const std::vector<std::vector<int64_t>>& parts, int64_t n) {
  std::vector<int64_t> all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, iota(n));
}

TEST(RandomPermutation, IsAPermutationAndDependsOnTheSeed) {
  Generator a(1);
  Generator b(1);
  Generator c(2);
  std::vector<int64_t> p = random_permutation(100, a);
  EXPECT_EQ(p, random_permutation(100, b));
  EXPECT_NE(p, random_permutation(100, c));
  EXPECT_NE(p, iota(100));
  std::sort(p.begin(), p.end());
  EXPECT_EQ(p, iota(100));
  EXPECT_TRUE(random_permutation(0, a).empty());
  expect_error<ValueError>([&] { random_permutation(-1, a); }, {"random_permutation", "-1"});
}

TEST(Subset, SelectsExamplesAndTargets) {
  TensorDataset dataset = labelled({5, 6, 7, 8, 9});
  Subset subset(dataset, {4, 1, 1});
  EXPECT_EQ(subset.size(), 3);
  EXPECT_EQ(subset.get(0).target.item<int64_t>(), 9);
  EXPECT_EQ(to_vector<double>(subset.get(1).input), (std::vector<double>{2, 3}));
  EXPECT_EQ(to_vector<int64_t>(subset.targets()), (std::vector<int64_t>{9, 6, 6}));
  expect_error<IndexError>([&] { subset.get(3); }, {"Subset", "index 3", "3 examples"});
  expect_error<IndexError>([&] { Subset(dataset, {0, 5}); }, {"Subset", "index 5", "5 examples"});
  expect_error<IndexError>([&] { Subset(dataset, {-1}); }, {"Subset", "index -1"});
  expect_error<ValueError>([&] { Subset(std::shared_ptr<const Dataset>(), {}); },
                           {"Subset", "null"});
  // Subsets of subsets, and a subset sharing ownership of its dataset.
  Subset nested(std::make_shared<Subset>(subset), {2, 0});
  EXPECT_EQ(to_vector<int64_t>(nested.targets()), (std::vector<int64_t>{6, 9}));
  TensorDataset unlabelled(zeros({3, 2}));
  EXPECT_FALSE(Subset(unlabelled, {0, 1}).targets().defined());
}

TEST(RandomSplit, CountsPartitionTheIndices) {
  TensorDataset dataset = labelled(iota(10));
  std::vector<Subset> parts = random_split(dataset, {3, 7}, 42);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].size(), 3);
  EXPECT_EQ(parts[1].size(), 7);
  expect_partition({parts[0].indices(), parts[1].indices()}, 10);
  // The same seed gives the same split; another seed another one.
  EXPECT_EQ(random_split(dataset, {3, 7}, 42)[0].indices(), parts[0].indices());
  EXPECT_NE(random_split(dataset, {3, 7}, 43)[0].indices(), parts[0].indices());
  // Without a seed the global generator decides (manual_seed reproduces).
  manual_seed(5);
  std::vector<int64_t> first = random_split(dataset, {3, 7})[0].indices();
  manual_seed(5);
  EXPECT_EQ(random_split(dataset, {3, 7})[0].indices(), first);
}

TEST(RandomSplit, FractionsFollowPyTorchsRounding) {
  TensorDataset dataset = labelled(iota(11));
  // floor(11 * 0.5) = 5, floor(11 * 0.3) = 3, floor(11 * 0.2) = 2; the remaining 1 goes to the
  // first part (torch.utils.data.random_split gives [6, 3, 2]).
  std::vector<Subset> parts = random_split(dataset, {0.5, 0.3, 0.2}, 0);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].size(), 6);
  EXPECT_EQ(parts[1].size(), 3);
  EXPECT_EQ(parts[2].size(), 2);
  expect_partition({parts[0].indices(), parts[1].indices(), parts[2].indices()}, 11);
  // torch gives [4, 3, 3] for 10 examples and thirds.
  TensorDataset ten = labelled(iota(10));
  parts = random_split(ten, {1.0 / 3, 1.0 / 3, 1.0 / 3}, 0);
  EXPECT_EQ(parts[0].size(), 4);
  EXPECT_EQ(parts[1].size(), 3);
  EXPECT_EQ(parts[2].size(), 3);
  // Empty parts are allowed.
  parts = random_split(ten, {1.0, 0.0}, 0);
  EXPECT_EQ(parts[0].size(), 10);
  EXPECT_EQ(parts[1].size(), 0);
}

TEST(RandomSplit, Errors) {
  TensorDataset dataset = labelled(iota(10));
  expect_error<ValueError>(
      [&] {
        random_split(dataset, {3, 6});
      },
      {"random_split", "sum to 9", "dataset size 10"});
  expect_error<ValueError>(
      [&] {
        random_split(dataset, {0.5, 0.4});
      },
      {"random_split", "sum to 0.9"});
  expect_error<ValueError>(
      [&] {
        random_split(dataset, {12, -2});
      },
      {"random_split", "sizes[1]", "-2"});
  expect_error<ValueError>(
      [&] {
        random_split(dataset, {2.5, 7.5});
      },
      {"random_split", "sizes[0]", "2.5"});
  expect_error<ValueError>([&] { random_split(dataset, {}); }, {"random_split", "empty"});
}

TEST(StratifiedSplit, KeepsClassProportions) {
  std::vector<int64_t> labels = imbalanced_labels();
  const auto n = static_cast<int64_t>(labels.size());  // 98
  TensorDataset dataset = labelled(labels);
  std::map<int64_t, int64_t> totals;
  for (int64_t label : labels) ++totals[label];
  for (double fraction : {0.8, 0.5, 0.25, 0.9}) {
    auto [first, second] = stratified_split(dataset, fraction, 7);
    // Part sizes as random_split({fraction, 1 - fraction}).
    std::vector<Subset> reference = random_split(dataset, {fraction, 1 - fraction}, 7);
    EXPECT_EQ(first.size(), reference[0].size()) << fraction;
    EXPECT_EQ(second.size(), reference[1].size()) << fraction;
    expect_partition({first.indices(), second.indices()}, n);
    std::map<int64_t, int64_t> counts = count_classes(first, labels);
    for (const auto& [label, total] : totals) {
      const double exact =
          static_cast<double>(total) * static_cast<double>(first.size()) / static_cast<double>(n);
      EXPECT_LT(std::abs(static_cast<double>(counts[label]) - exact), 1.0)
          << "class " << label << " fraction " << fraction;
    }
    // The parts are shuffled, not sorted by class.
    EXPECT_FALSE(std::is_sorted(first.indices().begin(), first.indices().end()));
    // The targets come along (the subsets index the dataset).
    EXPECT_EQ(first.targets().size(0), first.size());
  }
  auto [a, b] = stratified_split(dataset, 0.8, 7);
  auto [c, d] = stratified_split(dataset, 0.8, 7);
  auto [e, f] = stratified_split(dataset, 0.8, 8);
  EXPECT_EQ(a.indices(), c.indices());
  EXPECT_EQ(b.indices(), d.indices());
  EXPECT_NE(a.indices(), e.indices());
}

TEST(StratifiedSplit, Errors) {
  TensorDataset dataset = labelled({0, 1, 0, 1});
  expect_error<ValueError>([&] { stratified_split(dataset, 1.0); },
                           {"stratified_split", "fraction", "1"});
  expect_error<ValueError>([&] { stratified_split(dataset, 0.0); }, {"fraction", "0"});
  expect_error<ValueError>([&] { stratified_split(dataset, -0.5); }, {"fraction", "-0.5"});
  TensorDataset unlabelled(zeros({4, 2}));
  expect_error<ValueError>([&] { stratified_split(unlabelled, 0.5); },
                           {"stratified_split", "no targets"});
  TensorDataset regression(zeros({4, 2}), tensor({0.5, 1.0, 2.0, 3.0}));
  expect_error<ValueError>([&] { stratified_split(regression, 0.5); },
                           {"stratified_split", "0.5", "example 0", "class label"});
  TensorDataset matrix(zeros({4, 2}), zeros({4, 3}));
  expect_error<ValueError>([&] { stratified_split(matrix, 0.5); }, {"stratified_split", "[4, 3]"});
}

TEST(KFold, EachIndexValidatesExactlyOnce) {
  for (bool shuffle : {false, true}) {
    KFold kfold({.folds = 3, .shuffle = shuffle, .seed = 1});
    std::vector<Fold> folds = kfold.split(10);
    ASSERT_EQ(folds.size(), 3u);
    std::vector<std::vector<int64_t>> validations;
    const size_t sizes[] = {4, 3, 3};  // scikit-learn: the first 10 % 3 folds get one more
    for (size_t f = 0; f < 3; ++f) {
      EXPECT_EQ(folds[f].validation.size(), sizes[f]);
      EXPECT_EQ(folds[f].train.size(), 10 - sizes[f]);
      EXPECT_TRUE(std::is_sorted(folds[f].train.begin(), folds[f].train.end()));
      expect_partition({folds[f].train, folds[f].validation}, 10);
      validations.push_back(folds[f].validation);
    }
    expect_partition(validations, 10);
    if (!shuffle) {
      EXPECT_EQ(folds[0].validation, (std::vector<int64_t>{0, 1, 2, 3}));
      EXPECT_EQ(folds[2].validation, (std::vector<int64_t>{7, 8, 9}));
    } else {
      EXPECT_NE(folds[0].validation, (std::vector<int64_t>{0, 1, 2, 3}));
      EXPECT_EQ(kfold.split(10)[1].validation, folds[1].validation);  // seeded: repeatable
    }
  }
  KFold defaults;
  EXPECT_EQ(defaults.options().folds, 5);
  EXPECT_FALSE(defaults.options().shuffle);
  TensorDataset dataset = labelled(iota(7));
  EXPECT_EQ(defaults.split(dataset).size(), 5u);
}

TEST(KFold, Errors) {
  expect_error<ValueError>([] { KFold({.folds = 1}); }, {"KFold", "folds", "1"});
  expect_error<ValueError>([] { KFold({.folds = -2}); }, {"KFold", "folds", "-2"});
  expect_error<ValueError>([] { KFold({.folds = 5}).split(3); },
                           {"KFold", "folds 5", "number of examples 3"});
}

TEST(StratifiedKFold, BalancesClassesAcrossFolds) {
  std::vector<int64_t> labels = imbalanced_labels();
  const auto n = static_cast<int64_t>(labels.size());
  TensorDataset dataset = labelled(labels);
  for (bool shuffle : {false, true}) {
    StratifiedKFold kfold({.folds = 4, .shuffle = shuffle, .seed = 3});
    std::vector<Fold> folds = kfold.split(dataset);
    ASSERT_EQ(folds.size(), 4u);
    std::vector<std::vector<int64_t>> validations;
    std::map<int64_t, std::vector<int64_t>> per_class;  // class -> count in each fold
    size_t smallest = folds[0].validation.size();
    size_t largest = smallest;
    for (const Fold& fold : folds) {
      expect_partition({fold.train, fold.validation}, n);
      EXPECT_TRUE(std::is_sorted(fold.validation.begin(), fold.validation.end()));
      validations.push_back(fold.validation);
      smallest = std::min(smallest, fold.validation.size());
      largest = std::max(largest, fold.validation.size());
      std::map<int64_t, int64_t> counts;
      for (int64_t index : fold.validation) ++counts[labels[static_cast<size_t>(index)]];
      for (int64_t label : {0, 1, 2, 3, 7}) per_class[label].push_back(counts[label]);
    }
    expect_partition(validations, n);
    EXPECT_LE(largest - smallest, 1u);
    for (const auto& [label, counts] : per_class) {
      auto [low, high] = std::minmax_element(counts.begin(), counts.end());
      EXPECT_LE(*high - *low, 1) << "class " << label;
    }
  }
  // Seeded shuffles repeat; different seeds differ.
  StratifiedKFold a({.folds = 4, .shuffle = true, .seed = 3});
  StratifiedKFold b({.folds = 4, .shuffle = true, .seed = 4});
  EXPECT_EQ(a.split(dataset)[0].validation, a.split(dataset)[0].validation);
  EXPECT_NE(a.split(dataset)[0].validation, b.split(dataset)[0].validation);
}

TEST(StratifiedKFold, MatchesScikitLearnWithoutShuffle) {
  // scikit-learn's StratifiedKFold(3) algorithm, worked by hand for y = [0,0,0,0,1,1,1,1,1,0]:
  // test folds [0, 1, 4, 5], [2, 3, 6], [7, 8, 9] (class 0 takes fold labels 0, 0, 1, 1, 2 and
  // class 1 labels 0, 0, 1, 2, 2, from dealing the sorted labels to the folds in turn).
  std::vector<Fold> folds =
      StratifiedKFold({.folds = 3})
          .split(from_vector(std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1, 1, 0}));
  EXPECT_EQ(folds[0].validation, (std::vector<int64_t>{0, 1, 4, 5}));
  EXPECT_EQ(folds[1].validation, (std::vector<int64_t>{2, 3, 6}));
  EXPECT_EQ(folds[2].validation, (std::vector<int64_t>{7, 8, 9}));
}

TEST(StratifiedKFold, Errors) {
  expect_error<ValueError>([] { StratifiedKFold({.folds = 1}); },
                           {"StratifiedKFold", "folds", "1"});
  Tensor labels = from_vector(std::vector<int64_t>{0, 0, 1, 1, 2, 2});
  expect_error<ValueError>([&] { StratifiedKFold({.folds = 7}).split(labels); },
                           {"StratifiedKFold", "folds 7", "number of examples 6"});
  expect_error<ValueError>([&] { StratifiedKFold({.folds = 3}).split(labels); },
                           {"StratifiedKFold", "folds 3", "every class", "at most 2"});
  TensorDataset unlabelled(zeros({6, 2}));
  expect_error<ValueError>([&] { StratifiedKFold({.folds = 2}).split(unlabelled); },
                           {"StratifiedKFold", "no targets"});
}

}  // namespace
}  // namespace cajal::data
