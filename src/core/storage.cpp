#include "cajal/core/storage.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "cajal/core/error.h"

namespace cajal {
namespace {

std::atomic<int64_t> live{0};
std::atomic<int64_t> peak{0};

void count_allocation(int64_t bytes) {
  int64_t now = live.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  int64_t seen = peak.load(std::memory_order_relaxed);
  while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
}

// Small blocks are reused instead of returned to glibc: its aligned_alloc takes the slow path
// (no per-thread cache for aligned requests in Debian 12's glibc 2.36), and small networks
// allocate and free a few dozen tiny tensors per training step (docs/performance.md). Each thread
// keeps freed blocks of up to kLargestCached bytes, by size in cache lines, at most
// kBlocksPerClass of each; a block freed on another thread simply joins that thread's cache.
// Under AddressSanitizer nothing is cached, so a use after free is still caught.
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kLargestCached = 0;
#else
constexpr size_t kLargestCached = 4096;
#endif
constexpr size_t kClasses = kLargestCached / Storage::alignment + 1;
constexpr size_t kBlocksPerClass = 64;

thread_local bool cache_destroyed = false;  // trivially destructible: readable at thread exit

struct SmallBlockCache {
  std::array<std::vector<void*>, kClasses> blocks;
  ~SmallBlockCache() {
    cache_destroyed = true;
    for (auto& list : blocks) {
      for (void* block : list) std::free(block);
    }
  }
};

// This thread's cache, or null once the thread is tearing it down.
SmallBlockCache* small_block_cache() {
  if (cache_destroyed) return nullptr;
  thread_local SmallBlockCache cache;
  return &cache;
}

size_t rounded_size(size_t bytes) {
  // aligned_alloc needs a size that is a multiple of the alignment, and non-zero.
  size_t rounded = (bytes + Storage::alignment - 1) / Storage::alignment * Storage::alignment;
  return rounded == 0 ? Storage::alignment : rounded;
}

void* allocate(size_t rounded) {
  if (rounded <= kLargestCached) {
    if (SmallBlockCache* cache = small_block_cache()) {
      std::vector<void*>& list = cache->blocks[rounded / Storage::alignment - 1];
      if (!list.empty()) {
        void* block = list.back();
        list.pop_back();
        return block;
      }
    }
  }
  return std::aligned_alloc(Storage::alignment, rounded);
}

void release(void* block, size_t rounded) {
  if (rounded <= kLargestCached) {
    if (SmallBlockCache* cache = small_block_cache()) {
      std::vector<void*>& list = cache->blocks[rounded / Storage::alignment - 1];
      if (list.size() < kBlocksPerClass) {
        if (list.capacity() == 0) list.reserve(kBlocksPerClass);
        list.push_back(block);
        return;
      }
    }
  }
  std::free(block);
}

}  // namespace

Storage::Storage(size_t bytes) : bytes_(bytes) {
  data_ = allocate(rounded_size(bytes));
  if (data_ == nullptr) {
    throw Error("out of memory: could not allocate " + std::to_string(bytes) + " bytes");
  }
  count_allocation(static_cast<int64_t>(bytes_));
}

Storage::~Storage() {
  release(data_, rounded_size(bytes_));
  live.fetch_sub(static_cast<int64_t>(bytes_), std::memory_order_relaxed);
}

int64_t Storage::live_bytes() { return live.load(std::memory_order_relaxed); }
int64_t Storage::peak_bytes() { return peak.load(std::memory_order_relaxed); }
void Storage::reset_peak_bytes() { peak.store(live.load(std::memory_order_relaxed)); }

}  // namespace cajal
