#pragma once
// SequenceLoader: batches a SequenceDataset, padding each batch to its longest sequence.
//
//   data::text::SequenceLoader loader(dataset, {.batch_size = 32, .seed = 1,
//                                               .bucket_by_length = true,
//                                               .padding = {.padding_value = *vocab.pad_id()}});
//   for (const data::text::SequenceBatch& batch : loader) {
//     // batch.tokens int64 [B, T], batch.lengths int64 [B], batch.target [B] (if labelled)
//   }
//
// Order. With shuffle, each epoch visits the examples in a new random order; every example
// appears exactly once per epoch (the last batch is short unless drop_last). Bucketing (as
// torchtext's BucketIterator): the epoch's order is cut into chunks of
// batch_size * bucket_size_multiplier examples, each chunk is sorted by length (stable) and cut
// into batches, and then the batches are shuffled. Batches then hold similar lengths, so far less
// padding is computed, while the order stays random from epoch to epoch.
//
// Seeds, as data::DataLoader: with `seed`, epoch e (counted from 0 or from set_epoch) draws from
// a generator seeded by (seed, e), so its order does not depend on what ran before. Without it,
// each epoch draws one seed from the global generator (cajal::manual_seed reproduces the run).
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <vector>

#include "cajal/data/text/padding.h"
#include "cajal/data/text/sequence_dataset.h"

namespace cajal::data::text {

struct SequenceLoaderOptions {
  int64_t batch_size = 32;  // >= 1
  bool shuffle = true;
  std::optional<uint64_t> seed = std::nullopt;
  bool bucket_by_length = false;
  int64_t bucket_size_multiplier = 100;  // >= 1; chunk = batch_size * this many examples
  PadOptions padding{};
  bool drop_last = false;  // drop the one batch smaller than batch_size
};

struct SequenceBatch {
  Tensor tokens;   // int64 [B, T]
  Tensor lengths;  // int64 [B]
  Tensor target;   // the examples' targets stacked ([B] class ids), undefined when unlabelled
  Tensor indices;  // int64 [B]: the dataset index of each row
};

class SequenceLoader {
 public:
  // Borrows `dataset`: it must outlive the loader and its iterators. ValueError for
  // batch_size < 1, bucket_size_multiplier < 1 or bad padding options.
  SequenceLoader(const SequenceDataset& dataset, SequenceLoaderOptions options = {});

  class Iterator;
  struct Sentinel {};
  // Starts a new epoch (a new order).
  Iterator begin();
  Sentinel end() const { return {}; }

  // Batches per epoch: ceil(N / batch_size), or floor with drop_last.
  int64_t size() const;
  int64_t epoch() const { return epoch_; }
  void set_epoch(int64_t epoch);
  const SequenceLoaderOptions& options() const { return options_; }
  const SequenceDataset& dataset() const { return *dataset_; }

  // The dataset indices of each batch of epoch `epoch` (what begin() would produce for it).
  std::vector<std::vector<int64_t>> batch_indices(int64_t epoch) const;
  // Pads and stacks the examples at `indices` into one batch.
  SequenceBatch collate(const std::vector<int64_t>& indices) const;

 private:
  std::vector<std::vector<int64_t>> plan(uint64_t epoch_seed) const;

  const SequenceDataset* dataset_;
  SequenceLoaderOptions options_;
  int64_t epoch_ = 0;
};

class SequenceLoader::Iterator {
 public:
  using value_type = SequenceBatch;
  using difference_type = std::ptrdiff_t;
  using reference = const SequenceBatch&;
  using pointer = const SequenceBatch*;
  using iterator_category = std::input_iterator_tag;

  Iterator() = default;
  Iterator(const SequenceLoader* loader, std::vector<std::vector<int64_t>> batches);
  const SequenceBatch& operator*() const { return state_->batch; }
  const SequenceBatch* operator->() const { return &state_->batch; }
  Iterator& operator++();
  void operator++(int) { ++*this; }
  bool operator==(Sentinel) const;
  int64_t index() const { return state_ ? state_->position : 0; }

 private:
  struct State {
    const SequenceLoader* loader = nullptr;
    std::vector<std::vector<int64_t>> batches;
    int64_t position = 0;
    SequenceBatch batch;
  };
  void load();
  std::shared_ptr<State> state_;
};

}  // namespace cajal::data::text
