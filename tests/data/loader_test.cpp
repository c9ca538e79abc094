#include "cajal/data/loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>

#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/ops/arithmetic.h"
#include "support/expect_error.h"

namespace cajal::data {
namespace {

using testing::expect_error;

// inputs [n, 3] with rows (3i, 3i + 1, 3i + 2), targets [n] = i (int64).
TensorDataset make_dataset(int64_t n) {
  return TensorDataset(arange(0, 3 * n).reshape({n, 3}), arange(0, n, 1, {.dtype = int64}));
}

// The same examples through Dataset::get, so the loader takes its general (stacking) path.
class ForwardingDataset : public Dataset {
 public:
  explicit ForwardingDataset(const Dataset& inner) : inner_(inner) {}
  int64_t size() const override { return inner_.size(); }
  Example get(int64_t index) const override { return inner_.get(index); }

 private:
  const Dataset& inner_;
};

// Throws from get(bad_index); counts calls.
class FailingDataset : public Dataset {
 public:
  FailingDataset(int64_t size, int64_t bad_index) : size_(size), bad_index_(bad_index) {}
  int64_t size() const override { return size_; }
  Example get(int64_t index) const override {
    ++calls;
    if (index == bad_index_) throw IOError("FailingDataset: cannot read example 5");
    return {full({2}, static_cast<double>(index)), scalar_tensor(index, int64)};
  }
  mutable std::atomic<int> calls{0};

 private:
  int64_t size_;
  int64_t bad_index_;
};

std::vector<int64_t> targets_of(DataLoader& loader) {
  std::vector<int64_t> seen;
  for (const Example& batch : loader) {
    for (int64_t t : to_vector<int64_t>(batch.target)) seen.push_back(t);
  }
  return seen;
}

std::vector<Example> batches_of(DataLoader& loader) {
  std::vector<Example> batches;
  for (const Example& batch : loader) batches.push_back(batch);
  return batches;
}

void expect_same_batches(const std::vector<Example>& a, const std::vector<Example>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(equal(a[i].input, b[i].input)) << "batch " << i;
    EXPECT_TRUE(equal(a[i].target, b[i].target)) << "batch " << i;
  }
}

TEST(DataLoader, DefaultsFollowPyTorch) {
  DataLoaderOptions options;
  EXPECT_EQ(options.batch_size, 1);
  EXPECT_FALSE(options.shuffle);
  EXPECT_FALSE(options.seed.has_value());
  EXPECT_FALSE(options.drop_last);
  EXPECT_TRUE(options.prefetch);
  EXPECT_FALSE(options.transform);
}

TEST(DataLoader, CollatesBatchesInOrder) {
  TensorDataset dataset = make_dataset(10);
  ForwardingDataset forwarding(dataset);
  for (const Dataset* source :
       {static_cast<const Dataset*>(&dataset), static_cast<const Dataset*>(&forwarding)}) {
    DataLoader loader(*source, {.batch_size = 4});
    EXPECT_EQ(loader.size(), 3);
    std::vector<Example> batches = batches_of(loader);
    ASSERT_EQ(batches.size(), 3u);
    const int64_t sizes[] = {4, 4, 2};
    for (int64_t b = 0; b < 3; ++b) {
      const Example& batch = batches[static_cast<size_t>(b)];
      EXPECT_EQ(batch.input.shape(), (Shape{sizes[b], 3}));
      EXPECT_EQ(batch.target.shape(), (Shape{sizes[b]}));
      EXPECT_EQ(batch.target.dtype(), int64);
      EXPECT_EQ(batch.input.dtype(), dataset.inputs().dtype());
      std::vector<double> expected_input(static_cast<size_t>(3 * sizes[b]));
      std::iota(expected_input.begin(), expected_input.end(), 12.0 * static_cast<double>(b));
      EXPECT_EQ(to_vector<double>(batch.input), expected_input);
      std::vector<int64_t> expected_target(static_cast<size_t>(sizes[b]));
      std::iota(expected_target.begin(), expected_target.end(), 4 * b);
      EXPECT_EQ(to_vector<int64_t>(batch.target), expected_target);
    }
  }
}

TEST(DataLoader, BatchIsACopyNotAViewOfTheDataset) {
  TensorDataset dataset = make_dataset(4);
  DataLoader loader(dataset, {.batch_size = 2});
  for (const Example& batch : loader) Tensor(batch.input).fill_(-1.0);
  EXPECT_EQ(to_vector<double>(dataset.inputs())[0], 0.0);
}

TEST(DataLoader, DropLast) {
  TensorDataset dataset = make_dataset(10);
  DataLoader keep(dataset, {.batch_size = 4});
  DataLoader drop(dataset, {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(keep.size(), 3);
  EXPECT_EQ(drop.size(), 2);
  std::vector<Example> batches = batches_of(drop);
  ASSERT_EQ(batches.size(), 2u);
  for (const Example& batch : batches) EXPECT_EQ(batch.input.size(0), 4);
  DataLoader too_big(dataset, {.batch_size = 11, .drop_last = true});
  EXPECT_EQ(too_big.size(), 0);
  EXPECT_TRUE(batches_of(too_big).empty());
  DataLoader one(dataset, {.batch_size = 11});
  EXPECT_EQ(one.size(), 1);
}

TEST(DataLoader, EmptyDatasetGivesNoBatches) {
  TensorDataset dataset(zeros({0, 3}), zeros({0}, {.dtype = int64}));
  DataLoader loader(dataset, {.batch_size = 4, .shuffle = true});
  EXPECT_EQ(loader.size(), 0);
  EXPECT_TRUE(batches_of(loader).empty());
}

TEST(DataLoader, EveryExampleOncePerEpoch) {
  TensorDataset dataset = make_dataset(23);
  DataLoader loader(dataset, {.batch_size = 5, .shuffle = true, .seed = 7});
  std::vector<int64_t> all(23);
  std::iota(all.begin(), all.end(), 0);
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<int64_t> seen = targets_of(loader);
    EXPECT_NE(seen, all) << "epoch " << epoch << " was not shuffled";
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, all) << "epoch " << epoch;
  }
}

TEST(DataLoader, ShuffleIsDeterministicPerSeedAndEpoch) {
  TensorDataset dataset = make_dataset(50);
  DataLoader a(dataset, {.batch_size = 8, .shuffle = true, .seed = 3});
  DataLoader b(dataset, {.batch_size = 8, .shuffle = true, .seed = 3});
  DataLoader c(dataset, {.batch_size = 8, .shuffle = true, .seed = 4});
  std::vector<int64_t> a0 = targets_of(a);
  std::vector<int64_t> a1 = targets_of(a);
  EXPECT_EQ(a.epoch(), 2);
  EXPECT_EQ(targets_of(b), a0);
  EXPECT_EQ(targets_of(b), a1);
  EXPECT_NE(a0, a1);
  EXPECT_NE(targets_of(c), a0);
  // Epoch e's order depends only on (seed, e): a resumed run replays it.
  DataLoader resumed(dataset, {.batch_size = 8, .shuffle = true, .seed = 3});
  resumed.set_epoch(1);
  EXPECT_EQ(targets_of(resumed), a1);
  // The global generator is not consulted when a seed is set.
  manual_seed(1);
  DataLoader d(dataset, {.batch_size = 8, .shuffle = true, .seed = 3});
  manual_seed(2);
  EXPECT_EQ(targets_of(d), a0);
}

TEST(DataLoader, WithoutSeedTheGlobalGeneratorReproduces) {
  TensorDataset dataset = make_dataset(40);
  DataLoader loader(dataset, {.batch_size = 8, .shuffle = true});
  manual_seed(11);
  std::vector<int64_t> first = targets_of(loader);
  std::vector<int64_t> second = targets_of(loader);
  EXPECT_NE(first, second);
  manual_seed(11);
  EXPECT_EQ(targets_of(loader), first);
  EXPECT_EQ(targets_of(loader), second);
}

// Adds noise drawn from thread_generator(), as a random augmentation does.
Example add_noise(Example example) {
  Generator& generator = thread_generator();
  std::vector<double> noise(static_cast<size_t>(example.input.numel()));
  for (double& value : noise) value = generator.normal();
  example.input = add(example.input, from_vector(noise, example.input.shape()));
  return example;
}

TEST(DataLoader, PrefetchGivesTheSameBatches) {
  TensorDataset dataset = make_dataset(30);
  ForwardingDataset forwarding(dataset);
  for (const Dataset* source :
       {static_cast<const Dataset*>(&dataset), static_cast<const Dataset*>(&forwarding)}) {
    for (bool with_transform : {false, true}) {
      DataLoaderOptions options{.batch_size = 4, .shuffle = true, .seed = 5};
      if (with_transform) options.transform = add_noise;
      DataLoaderOptions without = options;
      without.prefetch = false;
      DataLoader a(*source, options);
      DataLoader b(*source, without);
      for (int epoch = 0; epoch < 2; ++epoch) expect_same_batches(batches_of(a), batches_of(b));
    }
  }
}

TEST(DataLoader, TransformIsAppliedAndRandomPerEpoch) {
  TensorDataset dataset = make_dataset(6);
  DataLoader doubled(dataset, {.batch_size = 3, .transform = [](Example e) {
                                 e.input = e.input * 2.0;
                                 e.target = e.target + 100;
                                 return e;
                               }});
  std::vector<Example> batches = batches_of(doubled);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(to_vector<double>(batches[1].input),
            (std::vector<double>{18, 20, 22, 24, 26, 28, 30, 32, 34}));
  EXPECT_EQ(to_vector<int64_t>(batches[1].target), (std::vector<int64_t>{103, 104, 105}));

  DataLoader noisy(dataset, {.batch_size = 3, .seed = 9, .transform = add_noise});
  std::vector<Example> epoch0 = batches_of(noisy);
  std::vector<Example> epoch1 = batches_of(noisy);
  EXPECT_FALSE(equal(epoch0[0].input, epoch1[0].input));  // new augmentation each epoch
  EXPECT_TRUE(equal(epoch0[0].target, epoch1[0].target));
  DataLoader again(dataset, {.batch_size = 3, .seed = 9, .transform = add_noise});
  expect_same_batches(batches_of(again), epoch0);
  // Examples draw from distinct streams: no two rows get the same noise.
  Tensor noise = sub(epoch0[0].input, dataset.inputs().narrow(0, 0, 3));
  std::vector<double> values = to_vector<double>(noise);
  EXPECT_NE(values[0], values[3]);
  EXPECT_NE(values[3], values[6]);
}

TEST(DataLoader, UnlabelledDatasetGivesUndefinedTargets) {
  TensorDataset dataset(arange(0, 12).reshape({6, 2}));
  ForwardingDataset forwarding(dataset);
  for (const Dataset* source :
       {static_cast<const Dataset*>(&dataset), static_cast<const Dataset*>(&forwarding)}) {
    DataLoader loader(*source, {.batch_size = 4});
    for (const Example& batch : loader) {
      EXPECT_TRUE(batch.input.defined());
      EXPECT_FALSE(batch.target.defined());
    }
  }
}

TEST(DataLoader, ExceptionsReachTheConsumer) {
  for (bool prefetch : {true, false}) {
    FailingDataset dataset(12, 5);
    DataLoader loader(dataset, {.batch_size = 2, .prefetch = prefetch});
    int batches = 0;
    expect_error<IOError>(
        [&] {
          for (const Example& batch : loader) {
            EXPECT_EQ(batch.input.size(0), 2);
            ++batches;
          }
        },
        "cannot read example 5");
    EXPECT_EQ(batches, 2) << "prefetch " << prefetch;  // batches 0 and 1; batch 2 holds index 5
    // The loader is usable again: a later epoch fails at the same place.
    expect_error<IOError>([&] { batches_of(loader); }, "cannot read example 5");
  }
}

TEST(DataLoader, ExceptionInFirstBatchThrowsFromBegin) {
  FailingDataset dataset(4, 0);
  DataLoader loader(dataset, {.batch_size = 2});
  expect_error<IOError>([&] { loader.begin(); }, "cannot read example 5");
}

TEST(DataLoader, TransformExceptionsReachTheConsumer) {
  TensorDataset dataset = make_dataset(8);
  DataLoader loader(dataset, {.batch_size = 2, .transform = [](Example e) -> Example {
                                if (e.target.item<int64_t>() == 6) {
                                  throw ValueError("augment: bad example 6");
                                }
                                return e;
                              }});
  expect_error<ValueError>([&] { batches_of(loader); }, "bad example 6");
}

TEST(DataLoader, BreakingEarlyStopsTheWorker) {
  // Many batches: the worker would run far ahead if it did not wait for the consumer.
  FailingDataset dataset(1000, -1);
  {
    DataLoader loader(dataset, {.batch_size = 1});
    for (const Example& batch : loader) {
      if (batch.target.item<int64_t>() == 3) break;
    }
    // At most the current batch and the one after it were read.
    EXPECT_LE(dataset.calls.load(), 5);
    // Abandon an epoch whose worker is blocked on a full slot, with the loader still alive.
    auto iterator = loader.begin();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // An iterator outliving its loader keeps working (the epoch holds its own copy).
  DataLoader::Iterator iterator;
  {
    DataLoader loader(dataset, {.batch_size = 100});
    iterator = loader.begin();
  }
  ++iterator;
  EXPECT_EQ((*iterator).input.size(0), 100);
  EXPECT_EQ(iterator.index(), 1);
}

TEST(DataLoader, IteratorPastTheEnd) {
  TensorDataset dataset = make_dataset(2);
  DataLoader loader(dataset, {.batch_size = 2});
  auto iterator = loader.begin();
  EXPECT_FALSE(iterator == loader.end());
  ++iterator;
  EXPECT_TRUE(iterator == loader.end());
  ++iterator;  // harmless
  EXPECT_TRUE(iterator == loader.end());
  expect_error<IndexError>([&] { *iterator; }, "past the last batch");
}

TEST(DataLoader, SharedOwnership) {
  std::shared_ptr<const Dataset> dataset = std::make_shared<TensorDataset>(make_dataset(5));
  DataLoader loader(dataset, {.batch_size = 2});
  dataset.reset();
  EXPECT_EQ(loader.dataset().size(), 5);
  EXPECT_EQ(batches_of(loader).size(), 3u);
}

// Inputs of differing shapes cannot be stacked.
class RaggedDataset : public Dataset {
 public:
  int64_t size() const override { return 2; }
  Example get(int64_t index) const override {
    return {zeros({index + 1}), index == 0 ? scalar_tensor(0, int64) : Tensor()};
  }
};

TEST(DataLoader, Errors) {
  TensorDataset dataset = make_dataset(4);
  expect_error<ValueError>([&] { DataLoader(dataset, {.batch_size = 0}); },
                           {"DataLoader", "batch_size", "0"});
  expect_error<ValueError>([&] { DataLoader(dataset, {.batch_size = -3}); }, {"batch_size", "-3"});
  expect_error<ValueError>([&] { DataLoader(std::shared_ptr<const Dataset>(), {}); },
                           {"DataLoader", "null"});
  DataLoader loader(dataset);
  expect_error<ValueError>([&] { loader.set_epoch(-1); }, {"epoch", "-1"});

  RaggedDataset ragged;
  expect_error<ValueError>([&] { DataLoader(ragged, {.batch_size = 2}).begin(); },
                           {"DataLoader", "example 1 has no target", "example 0"});
  DataLoader shapes(ragged, {.batch_size = 2, .transform = [](Example e) {
                               e.target = Tensor();
                               return e;
                             }});
  expect_error<ShapeError>([&] { shapes.begin(); }, {"DataLoader", "collate"});
}

TEST(ThreadGenerator, DefaultsToTheGlobalGeneratorAndScopesNest) {
  EXPECT_EQ(&thread_generator(), &default_generator());
  Generator outer(1);
  Generator inner(2);
  {
    ScopedGenerator outer_scope(outer);
    EXPECT_EQ(&thread_generator(), &outer);
    {
      ScopedGenerator inner_scope(inner);
      EXPECT_EQ(&thread_generator(), &inner);
    }
    EXPECT_EQ(&thread_generator(), &outer);
    // Another thread does not see this thread's scope.
    Generator* seen = nullptr;
    std::thread([&] { seen = &thread_generator(); }).join();
    EXPECT_EQ(seen, &default_generator());
  }
  EXPECT_EQ(&thread_generator(), &default_generator());
}

}  // namespace
}  // namespace cajal::data
