#include "cajal/data/text/sequence_loader.h"

#include <algorithm>
#include <numeric>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/core/random.h"
#include "cajal/data/split.h"
#include "cajal/ops/indexing.h"

namespace cajal::data::text {
namespace {

// Keeps the order stream apart from the batch-shuffle stream of the same epoch.
constexpr uint64_t kOrderSalt = 0x0bde5eed0bde5eedULL;
constexpr uint64_t kBatchSalt = 0xba7c4ba7c4ba7c4bULL;

}  // namespace

SequenceLoader::SequenceLoader(const SequenceDataset& dataset, SequenceLoaderOptions options)
    : dataset_(&dataset), options_(std::move(options)) {
  if (options_.batch_size < 1) {
    throw ValueError("SequenceLoader: batch_size must be >= 1, got " +
                     std::to_string(options_.batch_size));
  }
  if (options_.bucket_size_multiplier < 1) {
    throw ValueError("SequenceLoader: bucket_size_multiplier must be >= 1, got " +
                     std::to_string(options_.bucket_size_multiplier));
  }
  if (options_.padding.max_length && *options_.padding.max_length < 1) {
    throw ValueError("SequenceLoader: padding.max_length must be >= 1, got " +
                     std::to_string(*options_.padding.max_length));
  }
}

int64_t SequenceLoader::size() const {
  const int64_t n = dataset_->size();
  return options_.drop_last ? n / options_.batch_size
                            : (n + options_.batch_size - 1) / options_.batch_size;
}

void SequenceLoader::set_epoch(int64_t epoch) {
  if (epoch < 0)
    throw ValueError("SequenceLoader: epoch must be >= 0, got " + std::to_string(epoch));
  epoch_ = epoch;
}

std::vector<std::vector<int64_t>> SequenceLoader::plan(uint64_t epoch_seed) const {
  const int64_t n = dataset_->size();
  const int64_t batch = options_.batch_size;
  std::vector<int64_t> order(static_cast<size_t>(n));
  if (options_.shuffle) {
    Generator generator(derive_seed(epoch_seed, kOrderSalt));
    order = random_permutation(n, generator);
  } else {
    std::iota(order.begin(), order.end(), 0);
  }
  if (options_.bucket_by_length) {
    const int64_t chunk = batch * options_.bucket_size_multiplier;
    for (int64_t start = 0; start < n; start += chunk) {
      const auto first = order.begin() + start;
      const auto last = order.begin() + std::min(n, start + chunk);
      std::stable_sort(first, last, [&](int64_t a, int64_t b) {
        return dataset_->length(a) < dataset_->length(b);
      });
    }
  }
  std::vector<std::vector<int64_t>> batches;
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t count = std::min(batch, n - start);
    if (count < batch && options_.drop_last) continue;
    batches.emplace_back(order.begin() + start, order.begin() + start + count);
  }
  if (options_.bucket_by_length && options_.shuffle) {
    Generator generator(derive_seed(epoch_seed, kBatchSalt));
    std::vector<std::vector<int64_t>> shuffled;
    shuffled.reserve(batches.size());
    for (int64_t b : random_permutation(static_cast<int64_t>(batches.size()), generator)) {
      shuffled.push_back(std::move(batches[static_cast<size_t>(b)]));
    }
    return shuffled;
  }
  return batches;
}

std::vector<std::vector<int64_t>> SequenceLoader::batch_indices(int64_t epoch) const {
  if (!options_.seed) {
    throw ValueError("SequenceLoader: batch_indices(epoch) needs options.seed to be set");
  }
  return plan(derive_seed(*options_.seed, static_cast<uint64_t>(epoch)));
}

SequenceBatch SequenceLoader::collate(const std::vector<int64_t>& indices) const {
  std::vector<std::vector<int64_t>> sequences;
  sequences.reserve(indices.size());
  for (int64_t index : indices) sequences.push_back(dataset_->sequence(index));
  PaddedBatch padded = pad_sequences(sequences, options_.padding);
  SequenceBatch batch{padded.tokens, padded.lengths, Tensor(), from_vector(indices)};
  if (dataset_->targets().defined())
    batch.target = index_select(dataset_->targets(), 0, batch.indices);
  return batch;
}

SequenceLoader::Iterator SequenceLoader::begin() {
  const uint64_t epoch_seed = options_.seed
                                  ? derive_seed(*options_.seed, static_cast<uint64_t>(epoch_))
                                  : default_generator().next_u64();
  ++epoch_;
  return Iterator(this, plan(epoch_seed));
}

SequenceLoader::Iterator::Iterator(const SequenceLoader* loader,
                                   std::vector<std::vector<int64_t>> batches)
    : state_(std::make_shared<State>()) {
  state_->loader = loader;
  state_->batches = std::move(batches);
  load();
}

void SequenceLoader::Iterator::load() {
  const auto position = static_cast<size_t>(state_->position);
  if (position < state_->batches.size()) {
    state_->batch = state_->loader->collate(state_->batches[position]);
  } else {
    state_->batch = SequenceBatch{};
  }
}

SequenceLoader::Iterator& SequenceLoader::Iterator::operator++() {
  ++state_->position;
  load();
  return *this;
}

bool SequenceLoader::Iterator::operator==(Sentinel) const {
  return !state_ || state_->position >= static_cast<int64_t>(state_->batches.size());
}

}  // namespace cajal::data::text
