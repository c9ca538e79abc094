#pragma once
// DataLoader: iterates over a dataset in batches, as torch.utils.data.DataLoader.
//
//   data::TensorDataset train(images, labels);          // images [N, 1, 28, 28], labels [N]
//   data::DataLoader loader(train, {.batch_size = 128, .shuffle = true, .seed = 42});
//   for (int epoch = 0; epoch < 5; ++epoch) {
//     for (const data::Example& batch : loader) {       // a new shuffle order every epoch
//       // batch.input [128, 1, 28, 28], batch.target [128] (int64)
//     }
//   }
//
// Defaults are PyTorch's: batch_size 1 (Keras' fit uses 32), no shuffling, the last short batch
// kept. Collation stacks the examples' inputs on a new dimension 0 and likewise their targets, so
// scalar int64 class targets become a [B] int64 tensor.
//
// Randomness and threads. With `prefetch` (the default) a background thread reads and collates
// the next batch while the caller's training step runs. Dataset::get and the transform therefore
// run on that thread, and must not draw from the global generator (cajal::rand, randn, bernoulli,
// default_generator()): it is not thread-safe. Random transforms (augmentation) draw from
// data::thread_generator() instead. The loader installs there, for each example, a generator
// seeded from (epoch seed, position of the example in the epoch), so the batches are the same bit
// for bit with and without prefetch, and the same on every run with the same seed.
//
// The epoch seed: with `seed` set, epoch e (the e-th call to begin(), counted from 0 or from
// set_epoch) uses a seed derived from (seed, e), so epoch e's order and augmentation do not depend
// on what ran before. Without `seed`, begin() draws the epoch seed from the global generator (on
// the calling thread; one draw per epoch, as PyTorch draws its base seed), so
// cajal::manual_seed(s) before training reproduces the run.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <vector>

#include "cajal/core/random.h"
#include "cajal/data/dataset.h"

namespace cajal::data {

// The generator that random transforms draw from. Inside a DataLoader it is the per-example
// generator described above (on whichever thread runs the transform); elsewhere (a transform
// called directly, test-time augmentation) it is the global generator, unless a
// ScopedGenerator is active on this thread.
Generator& thread_generator();

// Makes `generator` this thread's thread_generator() until destruction (scopes nest).
class ScopedGenerator {
 public:
  explicit ScopedGenerator(Generator& generator);
  ~ScopedGenerator();
  ScopedGenerator(const ScopedGenerator&) = delete;
  ScopedGenerator& operator=(const ScopedGenerator&) = delete;

 private:
  Generator* previous_;
};

// Per-example transform, e.g. augmentation; random ones draw from thread_generator().
using Transform = std::function<Example(Example)>;

struct DataLoaderOptions {
  int64_t batch_size = 1;  // >= 1
  bool shuffle = false;    // a new permutation every epoch
  // Unset: epoch seeds come from the global generator.
  std::optional<uint64_t> seed = std::nullopt;
  bool drop_last = false;         // drop the last batch when it is smaller than batch_size
  bool prefetch = true;           // prepare the next batch on a background thread
  Transform transform = nullptr;  // applied to every example before collation (may be empty)
};

class DataLoader {
 public:
  // Borrows `dataset`: it must outlive the loader and every iterator over it.
  // ValueError when batch_size < 1.
  DataLoader(const Dataset& dataset, DataLoaderOptions options = {});
  // Shares ownership of `dataset`. ValueError when it is null or batch_size < 1.
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});

  class Iterator;
  struct Sentinel {};

  // Starts a new epoch (a new shuffle order) and returns an iterator at its first batch. Reading
  // the first batch happens here, so an error in get or the transform may throw from begin().
  // The epoch keeps its own copy of the options and a reference to the dataset, so changing the
  // loader afterwards does not affect an epoch in flight.
  Iterator begin();
  Sentinel end() const { return {}; }

  // Number of batches per epoch: ceil(N / batch_size), or floor with drop_last.
  int64_t size() const;
  const Dataset& dataset() const { return *dataset_; }
  const DataLoaderOptions& options() const { return options_; }

  // The index of the epoch the next begin() starts. set_epoch lets a resumed run replay epoch e's
  // order exactly (with `seed` set).
  int64_t epoch() const { return epoch_; }
  void set_epoch(int64_t epoch);

  // The batch at positions [first, first + count) of an epoch's index order, collated: the
  // fast path gathers TensorDataset rows with index_select. Used by the iterator; public so a
  // caller can build a batch from chosen indices.
  Example collate(const std::vector<int64_t>& order, int64_t first, int64_t count,
                  uint64_t epoch_seed) const;

  // One epoch in flight: its order and, with prefetch, the background thread.
  class Epoch;

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  int64_t epoch_ = 0;
};

// An input iterator over one epoch's batches. Copies share the epoch; destroying the last copy
// (e.g. by breaking out of the loop) stops and joins the prefetch thread.
class DataLoader::Iterator {
 public:
  using value_type = Example;
  using difference_type = std::ptrdiff_t;
  using reference = const Example&;
  using pointer = const Example*;
  using iterator_category = std::input_iterator_tag;

  Iterator() = default;
  explicit Iterator(std::shared_ptr<Epoch> epoch);
  const Example& operator*() const;
  const Example* operator->() const { return &**this; }
  // Rethrows an exception raised while preparing the next batch.
  Iterator& operator++();
  void operator++(int) { ++*this; }
  bool operator==(Sentinel) const;
  // The index of the current batch in the epoch.
  int64_t index() const;

 private:
  std::shared_ptr<Epoch> epoch_;
};

}  // namespace cajal::data
