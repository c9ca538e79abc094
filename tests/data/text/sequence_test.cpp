// Padding, SequenceDataset, SequenceLoader, LanguageModelStream and sliding_windows.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/core/random.h"
#include "cajal/data/text/language_model_stream.h"
#include "cajal/data/text/padding.h"
#include "cajal/data/text/sequence_dataset.h"
#include "cajal/data/text/sequence_loader.h"
#include "cajal/data/text/sliding_windows.h"
#include "support/expect_error.h"

namespace cajal::data::text {
namespace {

using testing::expect_error;
using Ids = std::vector<int64_t>;

Ids values(const Tensor& tensor) { return to_vector<int64_t>(tensor); }

TEST(PadSequences, RightPaddingByDefault) {
  PaddedBatch batch = pad_sequences({{5, 6, 7}, {8}, {}});
  EXPECT_EQ(batch.tokens.shape(), (Shape{3, 3}));
  EXPECT_EQ(batch.tokens.dtype(), Dtype::int64);
  EXPECT_EQ(values(batch.tokens), (Ids{5, 6, 7, 8, 0, 0, 0, 0, 0}));
  EXPECT_EQ(values(batch.lengths), (Ids{3, 1, 0}));
}

TEST(PadSequences, LeftPaddingAndTruncationOnBothSides) {
  const std::vector<Ids> sequences = {{1, 2, 3, 4, 5}, {6, 7}};
  PaddedBatch keep_start = pad_sequences(sequences, {.padding_value = -1, .max_length = 3});
  EXPECT_EQ(values(keep_start.tokens), (Ids{1, 2, 3, 6, 7, -1}));
  EXPECT_EQ(values(keep_start.lengths), (Ids{3, 2}));
  PaddedBatch keep_end =
      pad_sequences(sequences, {.padding_value = 9, .max_length = 3, .truncate_left = true});
  EXPECT_EQ(values(keep_end.tokens), (Ids{3, 4, 5, 6, 7, 9}));
  PaddedBatch keras = pad_sequences(
      sequences, {.max_length = 4, .truncate_left = true, .pad_left = true});  // Keras defaults
  EXPECT_EQ(values(keras.tokens), (Ids{2, 3, 4, 5, 0, 0, 6, 7}));
  PaddedBatch longer = pad_sequences(sequences, {.max_length = 7, .pad_left = true});
  EXPECT_EQ(longer.tokens.shape(), (Shape{2, 7}));
  EXPECT_EQ(values(longer.tokens), (Ids{0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 6, 7}));
  PaddedBatch none = pad_sequences({});
  EXPECT_EQ(none.tokens.shape(), (Shape{0, 0}));
  expect_error<ValueError>([] { pad_sequences({{1}}, {.max_length = 0}); }, {"max_length", "0"});
}

TEST(SequenceDataset, ExamplesAndTargets) {
  SequenceDataset dataset({{1, 2, 3}, {4}}, Ids{0, 1});
  EXPECT_EQ(dataset.size(), 2);
  Example e = dataset.get(0);
  EXPECT_EQ(values(e.input), (Ids{1, 2, 3}));
  EXPECT_EQ(e.target.dim(), 0);
  EXPECT_EQ(e.target.item<int64_t>(), 0);
  EXPECT_EQ(dataset.length(1), 1);
  EXPECT_FALSE(SequenceDataset(std::vector<Ids>{{1}}).get(0).target.defined());
  SequenceDataset regression({{1}, {2}}, tensor({{0.5, 1.5}, {2.5, 3.5}}));
  EXPECT_DOUBLE_EQ(regression.get(1).target.at<float>({1}), 3.5);
  expect_error<IndexError>([&] { dataset.get(2); }, {"index 2", "2 examples"});
  expect_error<ValueError>(
      [] {
        SequenceDataset({{1}, {2}}, Ids{0});
      },
      {"1 targets", "2 sequences"});
  expect_error<ShapeError>([] { SequenceDataset({{1}, {2}}, zeros({3})); }, {"[3]", "2 sequences"});
}

// 300 sequences whose lengths cycle through 1..37, labelled with their index.
SequenceDataset make_dataset() {
  std::vector<Ids> sequences;
  Ids targets;
  for (int64_t i = 0; i < 300; ++i) {
    sequences.push_back(Ids(static_cast<size_t>(1 + (i * 7) % 37), i + 100));
    targets.push_back(i);
  }
  return SequenceDataset(sequences, targets);
}

int64_t total_padding(SequenceLoader& loader) {
  int64_t padding = 0;
  for (const SequenceBatch& batch : loader) {
    padding += batch.tokens.numel() - batch.lengths.sum().item<int64_t>();
  }
  return padding;
}

TEST(SequenceLoader, EveryExampleOncePerEpochWithRowsMatchingTargets) {
  SequenceDataset dataset = make_dataset();
  for (bool bucket : {false, true}) {
    SequenceLoader loader(
        dataset,
        {.batch_size = 16, .seed = 3, .bucket_by_length = bucket, .bucket_size_multiplier = 4});
    EXPECT_EQ(loader.size(), 19);
    for (int epoch = 0; epoch < 2; ++epoch) {
      std::multiset<int64_t> seen;
      int64_t batches = 0;
      for (const SequenceBatch& batch : loader) {
        ++batches;
        const Ids indices = values(batch.indices);
        const Ids targets = values(batch.target);
        const Ids lengths = values(batch.lengths);
        EXPECT_EQ(indices, targets);
        for (size_t row = 0; row < indices.size(); ++row) {
          seen.insert(indices[row]);
          EXPECT_EQ(lengths[row], dataset.length(indices[row]));
          // The row holds the sequence (value index + 100) and then padding zeros.
          const Ids tokens = values(batch.tokens[static_cast<int64_t>(row)]);
          for (size_t t = 0; t < tokens.size(); ++t) {
            EXPECT_EQ(tokens[t], static_cast<int64_t>(t) < lengths[row] ? indices[row] + 100 : 0);
          }
        }
      }
      EXPECT_EQ(batches, 19);
      EXPECT_EQ(seen.size(), 300u);
      EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 300u);
    }
  }
}

std::vector<Ids> epoch_order(SequenceLoader& loader) {
  std::vector<Ids> order;
  for (const SequenceBatch& batch : loader) order.push_back(values(batch.indices));
  return order;
}

TEST(SequenceLoader, SeededEpochsAreReproducibleAndDiffer) {
  SequenceDataset dataset = make_dataset();
  SequenceLoader first(
      dataset,
      {.batch_size = 32, .seed = 5, .bucket_by_length = true, .bucket_size_multiplier = 2});
  SequenceLoader second(
      dataset,
      {.batch_size = 32, .seed = 5, .bucket_by_length = true, .bucket_size_multiplier = 2});
  const std::vector<Ids> epoch0 = epoch_order(first);
  const std::vector<Ids> epoch1 = epoch_order(first);
  EXPECT_EQ(epoch_order(second), epoch0);
  EXPECT_NE(epoch0, epoch1);
  EXPECT_EQ(first.batch_indices(1), epoch1);
  second.set_epoch(1);
  EXPECT_EQ(epoch_order(second), epoch1);
  // Without a seed, the global generator decides: manual_seed reproduces it.
  SequenceLoader unseeded(dataset, {.batch_size = 32});
  manual_seed(9);
  const std::vector<Ids> a = epoch_order(unseeded);
  manual_seed(9);
  EXPECT_EQ(epoch_order(unseeded), a);
  // No shuffling: dataset order.
  SequenceLoader ordered(dataset, {.batch_size = 100, .shuffle = false});
  EXPECT_EQ(epoch_order(ordered)[1].front(), 100);
}

TEST(SequenceLoader, BucketingReducesPadding) {
  SequenceDataset dataset = make_dataset();
  SequenceLoader plain(dataset, {.batch_size = 16, .seed = 1});
  SequenceLoader bucketed(
      dataset,
      {.batch_size = 16, .seed = 1, .bucket_by_length = true, .bucket_size_multiplier = 8});
  const int64_t plain_padding = total_padding(plain);
  const int64_t bucketed_padding = total_padding(bucketed);
  // Lengths 1..37 at random give ~15 padding tokens per row; sorted chunks of 128 give ~1.
  EXPECT_GT(plain_padding, 3000);
  EXPECT_LT(bucketed_padding, plain_padding / 5);
}

TEST(SequenceLoader, DropLastPaddingOptionsAndErrors) {
  SequenceDataset dataset = make_dataset();
  SequenceLoader loader(dataset, {.batch_size = 32,
                                  .bucket_by_length = true,
                                  .padding = {.padding_value = -1, .max_length = 5},
                                  .drop_last = true});
  EXPECT_EQ(loader.size(), 9);
  int64_t batches = 0;
  for (const SequenceBatch& batch : loader) {
    ++batches;
    EXPECT_EQ(batch.tokens.shape(), (Shape{32, 5}));
    EXPECT_LE(batch.lengths.max().item<int64_t>(), 5);
  }
  EXPECT_EQ(batches, 9);
  expect_error<ValueError>([&] { SequenceLoader(dataset, {.batch_size = 0}); },
                           {"batch_size", "0"});
  expect_error<ValueError>([&] { SequenceLoader(dataset, {.bucket_size_multiplier = -2}); },
                           {"bucket_size_multiplier", "-2"});
  expect_error<ValueError>([&] { SequenceLoader(dataset, {.padding = {.max_length = 0}}); },
                           {"max_length", "0"});
  SequenceLoader unseeded(dataset);
  expect_error<ValueError>([&] { unseeded.batch_indices(0); }, "seed");
  SequenceDataset empty(std::vector<Ids>{});
  SequenceLoader nothing(empty);
  EXPECT_EQ(nothing.size(), 0);
  EXPECT_TRUE(nothing.begin() == nothing.end());
}

TEST(LanguageModelStream, LayoutElementByElement) {
  Ids tokens(23);
  for (int64_t i = 0; i < 23; ++i) tokens[static_cast<size_t>(i)] = 1000 + i;
  // 3 rows of L = 7 (2 trailing tokens dropped); T = 4: chunks cover columns [0, 4) and [4, 6).
  LanguageModelStream stream(tokens, 3, 4);
  EXPECT_EQ(stream.size(), 2);
  EXPECT_EQ(stream.data().shape(), (Shape{3, 7}));
  int64_t index = 0;
  for (const Example& chunk : stream) {
    const int64_t start = index * 4;
    const int64_t length = index == 0 ? 4 : 2;
    ASSERT_EQ(chunk.input.shape(), (Shape{3, length}));
    ASSERT_EQ(chunk.target.shape(), (Shape{3, length}));
    for (int64_t row = 0; row < 3; ++row) {
      for (int64_t t = 0; t < length; ++t) {
        EXPECT_EQ(chunk.input.at<int64_t>({row, t}), 1000 + row * 7 + start + t);
        EXPECT_EQ(chunk.target.at<int64_t>({row, t}), 1000 + row * 7 + start + t + 1);
      }
    }
    ++index;
  }
  EXPECT_EQ(index, 2);
  EXPECT_TRUE(stream.chunk(1).input.is_contiguous());
  // Exact fit: L - 1 = 8 = 2 chunks of 4.
  EXPECT_EQ(LanguageModelStream(Ids(18, 1), 2, 4).size(), 2);
  expect_error<IndexError>([&] { stream.chunk(2); }, "index 2");
  expect_error<ValueError>([&] { LanguageModelStream(tokens, 0, 4); }, {"batch_size", "0"});
  expect_error<ValueError>([&] { LanguageModelStream(tokens, 2, -1); }, {"sequence_length", "-1"});
  expect_error<ValueError>([&] { LanguageModelStream(tokens, 12, 4); },
                           {"23 tokens", "batch_size 12"});
}

TEST(SlidingWindows, OneDimensional) {
  Tensor series = arange(10, {.dtype = Dtype::float64});
  TensorDataset windows = sliding_windows(series, {.window = 3, .horizon = 2, .stride = 2});
  // Starts 0, 2, 4 (6 would need steps up to 10).
  ASSERT_EQ(windows.size(), 3);
  EXPECT_EQ(windows.inputs().shape(), (Shape{3, 3}));
  EXPECT_EQ(windows.targets().shape(), (Shape{3, 2}));
  EXPECT_EQ(windows.inputs().dtype(), Dtype::float64);
  EXPECT_EQ(to_vector<double>(windows.inputs()), (std::vector<double>{0, 1, 2, 2, 3, 4, 4, 5, 6}));
  EXPECT_EQ(to_vector<double>(windows.targets()), (std::vector<double>{3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(sliding_windows(series, {.window = 9}).size(), 1);
}

TEST(SlidingWindows, MultivariateAndErrors) {
  Tensor series = arange(12).reshape({6, 2});  // step t = (2t, 2t + 1)
  TensorDataset windows = sliding_windows(series, {.window = 2});
  ASSERT_EQ(windows.size(), 4);
  Example e = windows.get(3);
  EXPECT_EQ(e.input.shape(), (Shape{2, 2}));
  EXPECT_EQ(e.target.shape(), (Shape{1, 2}));
  EXPECT_EQ(to_vector<float>(e.input), (std::vector<float>{6, 7, 8, 9}));
  EXPECT_EQ(to_vector<float>(e.target), (std::vector<float>{10, 11}));
  expect_error<ValueError>([&] { sliding_windows(series, {}); }, {"window", "0"});
  expect_error<ValueError>([&] { sliding_windows(series, {.window = 2, .horizon = 0}); },
                           {"horizon", "0"});
  expect_error<ValueError>([&] { sliding_windows(series, {.window = 2, .stride = -1}); },
                           {"stride", "-1"});
  expect_error<ValueError>([&] { sliding_windows(series, {.window = 5, .horizon = 2}); },
                           {"window 5 + horizon 2", "6 steps"});
  expect_error<ShapeError>([] { sliding_windows(zeros({2, 2, 2}), {.window = 1}); }, "[2, 2, 2]");
}

}  // namespace
}  // namespace cajal::data::text
