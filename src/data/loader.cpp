#include "cajal/data/loader.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/data/split.h"
#include "cajal/ops/indexing.h"
#include "cajal/ops/manipulation.h"

namespace cajal::data {

namespace {

thread_local Generator* current_generator = nullptr;

// Salts keep the permutation stream apart from the per-example streams (positions 0..N-1).
constexpr uint64_t kPermutationSalt = 0xa5a5a5a5a5a5a5a5ULL;

void validate(const DataLoaderOptions& options) {
  if (options.batch_size < 1) {
    throw ValueError("DataLoader: batch_size must be at least 1, got " +
                     std::to_string(options.batch_size));
  }
}

}  // namespace

Generator& thread_generator() {
  return current_generator != nullptr ? *current_generator : default_generator();
}

ScopedGenerator::ScopedGenerator(Generator& generator) : previous_(current_generator) {
  current_generator = &generator;
}

ScopedGenerator::~ScopedGenerator() { current_generator = previous_; }

DataLoader::DataLoader(const Dataset& dataset, DataLoaderOptions options)
    : dataset_(std::shared_ptr<const Dataset>(), &dataset), options_(std::move(options)) {
  validate(options_);
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  if (dataset_ == nullptr) throw ValueError("DataLoader: dataset is null");
  validate(options_);
}

int64_t DataLoader::size() const {
  const int64_t n = dataset_->size();
  const int64_t b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void DataLoader::set_epoch(int64_t epoch) {
  if (epoch < 0) {
    throw ValueError("DataLoader: epoch must be non-negative, got " + std::to_string(epoch));
  }
  epoch_ = epoch;
}

Example DataLoader::collate(const std::vector<int64_t>& order, int64_t first, int64_t count,
                            uint64_t epoch_seed) const {
  const auto begin = order.begin() + first;
  std::vector<int64_t> indices(begin, begin + count);

  // Fast path: one gather per tensor instead of `count` views and a stack.
  if (!options_.transform) {
    if (const auto* tensors = dynamic_cast<const TensorDataset*>(dataset_.get())) {
      for (int64_t index : indices) check_index("DataLoader", index, tensors->size());
      Tensor index_tensor = from_vector(indices);
      Tensor targets = tensors->targets();
      return {index_select(tensors->inputs(), 0, index_tensor),
              targets.defined() ? index_select(targets, 0, index_tensor) : Tensor()};
    }
  }

  std::vector<Tensor> inputs;
  std::vector<Tensor> targets;
  inputs.reserve(indices.size());
  targets.reserve(indices.size());
  for (int64_t i = 0; i < count; ++i) {
    Generator generator(derive_seed(epoch_seed, static_cast<uint64_t>(first + i)));
    ScopedGenerator scope(generator);
    Example example = dataset_->get(indices[static_cast<size_t>(i)]);
    if (options_.transform) example = options_.transform(std::move(example));
    if (!example.input.defined()) {
      throw ValueError("DataLoader: example " + std::to_string(indices[static_cast<size_t>(i)]) +
                       " has an undefined input");
    }
    if (i > 0 && example.target.defined() != targets.front().defined()) {
      throw ValueError("DataLoader: example " + std::to_string(indices[static_cast<size_t>(i)]) +
                       (example.target.defined() ? " has a target but example "
                                                 : " has no target but example ") +
                       std::to_string(indices[0]) + " in the same batch " +
                       (example.target.defined() ? "has none" : "has one"));
    }
    inputs.push_back(std::move(example.input));
    targets.push_back(std::move(example.target));
  }
  try {
    Tensor input = stack(inputs);
    Tensor target = targets.front().defined() ? stack(targets) : Tensor();
    return {std::move(input), std::move(target)};
  } catch (const ShapeError& error) {
    throw ShapeError(std::string("DataLoader: cannot collate the examples of a batch (they must "
                                 "have equal shapes): ") +
                     error.what());
  }
}

// One epoch: its index order and, with prefetch, a worker thread that prepares batch k + 1 while
// the consumer holds batch k. The handoff is a single slot guarded by `mutex_`.
class DataLoader::Epoch {
 public:
  Epoch(const DataLoader& loader, uint64_t epoch_seed)
      : loader_(loader), epoch_seed_(epoch_seed), batches_(loader.size()) {
    const int64_t n = loader_.dataset_->size();
    if (loader_.options_.shuffle) {
      Generator generator(derive_seed(epoch_seed_, kPermutationSalt));
      order_ = random_permutation(n, generator);
    } else {
      order_.resize(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) order_[static_cast<size_t>(i)] = i;
    }
    if (loader_.options_.prefetch && batches_ > 0) {
      worker_ = std::thread([this] { produce(); });
    }
  }

  ~Epoch() {
    if (worker_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
      }
      ready_.notify_all();
      worker_.join();
    }
  }

  Epoch(const Epoch&) = delete;
  Epoch& operator=(const Epoch&) = delete;

  // Moves to batch `index_ + 1` (or the first batch when called first).
  void advance() {
    ++index_;
    if (index_ >= batches_) {
      current_ = Example();
      return;
    }
    if (!worker_.joinable()) {
      try {
        current_ = make(index_);
      } catch (...) {
        index_ = batches_;
        throw;
      }
      return;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [this] { return full_; });
    full_ = false;
    current_ = std::move(slot_);
    slot_ = Example();
    std::exception_ptr error = std::exchange(error_, nullptr);
    lock.unlock();
    ready_.notify_all();
    if (error) {
      index_ = batches_;  // the worker has stopped: the epoch ends here
      current_ = Example();
      std::rethrow_exception(error);
    }
  }

  bool done() const { return index_ >= batches_; }
  int64_t index() const { return index_; }
  const Example& current() const { return current_; }

 private:
  Example make(int64_t batch) const {
    const int64_t batch_size = loader_.options_.batch_size;
    const int64_t first = batch * batch_size;
    const int64_t count = std::min(batch_size, static_cast<int64_t>(order_.size()) - first);
    return loader_.collate(order_, first, count, epoch_seed_);
  }

  void produce() {
    for (int64_t batch = 0; batch < batches_; ++batch) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return stop_ || !full_; });
        if (stop_) return;
      }
      Example example;
      std::exception_ptr error;
      try {
        example = make(batch);
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        slot_ = std::move(example);
        error_ = error;
        full_ = true;
      }
      ready_.notify_all();
      if (error) return;
    }
  }

  const DataLoader loader_;  // a copy: the epoch does not depend on the loader's lifetime
  const uint64_t epoch_seed_;
  const int64_t batches_;
  std::vector<int64_t> order_;
  int64_t index_ = -1;
  Example current_;

  std::mutex mutex_;
  std::condition_variable ready_;
  Example slot_;
  std::exception_ptr error_;
  bool full_ = false;
  bool stop_ = false;
  std::thread worker_;  // last: started after every member above is constructed
};

DataLoader::Iterator DataLoader::begin() {
  uint64_t epoch_seed = 0;
  if (options_.seed.has_value()) {
    epoch_seed = derive_seed(*options_.seed, static_cast<uint64_t>(epoch_));
  } else {
    epoch_seed = default_generator().next_u64();
  }
  ++epoch_;
  auto epoch = std::make_shared<Epoch>(*this, epoch_seed);
  epoch->advance();
  return Iterator(std::move(epoch));
}

DataLoader::Iterator::Iterator(std::shared_ptr<Epoch> epoch) : epoch_(std::move(epoch)) {}

const Example& DataLoader::Iterator::operator*() const {
  if (epoch_ == nullptr || epoch_->done()) {
    throw IndexError("DataLoader: dereferencing an iterator past the last batch");
  }
  return epoch_->current();
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  if (epoch_ != nullptr && !epoch_->done()) epoch_->advance();
  return *this;
}

bool DataLoader::Iterator::operator==(Sentinel) const {
  return epoch_ == nullptr || epoch_->done();
}

int64_t DataLoader::Iterator::index() const { return epoch_ == nullptr ? 0 : epoch_->index(); }

}  // namespace cajal::data
