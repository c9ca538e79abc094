#pragma once
// A block of memory holding tensor elements, 64-byte aligned (one cache line, one AVX-512
// register), shared by every view of it.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace cajal {

class Storage {
 public:
  // Allocates `bytes` bytes, 64-byte aligned, uninitialized.
  explicit Storage(size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t bytes() const { return bytes_; }

  // Counts in-place writes through any view of this storage, so autograd can tell when a tensor
  // it saved for backward was modified afterwards.
  int64_t version() const { return version_; }
  void bump_version() { ++version_; }

  static constexpr size_t alignment = 64;

  // Bytes held by all live storages of the process, and the most held at once since the last
  // reset_peak_bytes(). What gradient checkpointing saves, and what benchmarks report as memory.
  static int64_t live_bytes();
  static int64_t peak_bytes();
  static void reset_peak_bytes();

  // Freed storages over 4 KiB can be kept in a process-wide cache, up to max_cached_bytes() in
  // all, and handed out again for requests of the same size, so that training steps after the
  // first allocate nothing from the system. Off (bound 0) by default, unless the environment
  // variable CAJAL_STORAGE_CACHE_BYTES gives a bound, and always off under AddressSanitizer. A
  // request that misses the cache returns all cached blocks to the system first, so that a change
  // of sizes (evaluation, a short last batch) does not hold two sets resident. Cached blocks do not
  // count in live_bytes(). empty_cache() returns them all (like torch.cuda.empty_cache);
  // cache_hits() counts reuses.
  static int64_t cached_bytes();
  static int64_t max_cached_bytes();
  static void set_max_cached_bytes(int64_t bytes);
  static int64_t cache_hits();
  static void empty_cache();

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  int64_t version_ = 0;
};

}  // namespace cajal
