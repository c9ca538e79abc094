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

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  int64_t version_ = 0;
};

}  // namespace cajal
