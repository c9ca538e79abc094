#include "cajal/core/storage.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
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

// Large blocks can be cached process-wide, so that steady-state training allocates nothing from
// glibc: each step frees and reallocates the same activation and gradient sizes. Blocks are kept
// by exact size and shared by all threads, because data-loader threads allocate batches that
// the training thread frees. The cache holds at most max_cached_bytes; a block that would
// overflow it goes back to glibc. It is off by default: measured on the CNN bench, where the
// cajal CLI already keeps glibc from returning freed memory to the kernel (mallopt in main.cpp),
// caching raised peak resident memory by 70-270 MiB and page faults by 20-60%
// (docs/performance.md).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheAllowed = false;
#else
constexpr bool kCacheAllowed = true;
#endif
// CAJAL_STORAGE_CACHE_BYTES sets the initial bound, so that whole programs and test suites can
// be run with the cache on.
size_t initial_max_cached() {
  if (!kCacheAllowed) return 0;
  const char* text = std::getenv("CAJAL_STORAGE_CACHE_BYTES");
  if (text == nullptr) return 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  return end != text && *end == '\0' ? static_cast<size_t>(value) : 0;
}
std::atomic<size_t> max_cached{initial_max_cached()};

struct LargeBlockCache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> blocks;
  size_t cached_bytes = 0;
  int64_t hits = 0;
};

// Never destroyed: storages in static tensors may be freed after static destructors have run.
LargeBlockCache& large_block_cache() {
  static LargeBlockCache* cache = new LargeBlockCache;
  return *cache;
}

void* take_large(size_t class_size) {
  if (class_size > max_cached.load(std::memory_order_relaxed)) return nullptr;
  LargeBlockCache& cache = large_block_cache();
  std::lock_guard lock(cache.mutex);
  auto found = cache.blocks.find(class_size);
  // A miss: the caller then releases the whole cache (see allocate).
  if (found == cache.blocks.end() || found->second.empty()) return nullptr;
  std::vector<void*>& list = found->second;
  void* block = list.back();
  list.pop_back();
  cache.cached_bytes -= class_size;
  ++cache.hits;
  return block;
}

bool keep_large(void* block, size_t class_size) {
  const size_t bound = max_cached.load(std::memory_order_relaxed);
  if (class_size > bound) return false;
  LargeBlockCache& cache = large_block_cache();
  std::lock_guard lock(cache.mutex);
  if (cache.cached_bytes + class_size > bound) return false;
  cache.blocks[class_size].push_back(block);
  cache.cached_bytes += class_size;
  return true;
}

size_t release_large_blocks() {
  LargeBlockCache& cache = large_block_cache();
  std::vector<void*> blocks;
  size_t released = 0;
  {
    std::lock_guard lock(cache.mutex);
    if (cache.cached_bytes == 0) return 0;
    for (auto& [size, list] : cache.blocks) {
      blocks.insert(blocks.end(), list.begin(), list.end());
      list.clear();
    }
    released = cache.cached_bytes;
    cache.cached_bytes = 0;
  }
  for (void* block : blocks) std::free(block);
  return released;
}

void* allocate(size_t size) {
  if (size <= kLargestCached) {
    if (SmallBlockCache* cache = small_block_cache()) {
      std::vector<void*>& list = cache->blocks[size / Storage::alignment - 1];
      if (!list.empty()) {
        void* block = list.back();
        list.pop_back();
        return block;
      }
    }
  } else if (void* block = take_large(size)) {
    return block;
  } else if (size <= max_cached.load(std::memory_order_relaxed)) {
    // A miss means the sizes in use changed (first step, last short batch, evaluation): cached
    // blocks of other sizes go back to glibc, which can merge and split them for the new sizes,
    // instead of holding both sets resident (measured: +200 MiB peak on the CNN bench without).
    release_large_blocks();
  }
  return std::aligned_alloc(Storage::alignment, size);
}

void release(void* block, size_t size) {
  if (size <= kLargestCached) {
    if (SmallBlockCache* cache = small_block_cache()) {
      std::vector<void*>& list = cache->blocks[size / Storage::alignment - 1];
      if (list.size() < kBlocksPerClass) {
        if (list.capacity() == 0) list.reserve(kBlocksPerClass);
        list.push_back(block);
        return;
      }
    }
  } else if (keep_large(block, size)) {
    return;
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

int64_t Storage::cached_bytes() {
  LargeBlockCache& cache = large_block_cache();
  std::lock_guard lock(cache.mutex);
  return static_cast<int64_t>(cache.cached_bytes);
}

int64_t Storage::cache_hits() {
  LargeBlockCache& cache = large_block_cache();
  std::lock_guard lock(cache.mutex);
  return cache.hits;
}

int64_t Storage::max_cached_bytes() {
  return static_cast<int64_t>(max_cached.load(std::memory_order_relaxed));
}

void Storage::set_max_cached_bytes(int64_t bytes) {
  if (bytes < 0) {
    throw ValueError("Storage::set_max_cached_bytes: bound must be >= 0, got " +
                     std::to_string(bytes));
  }
  if (!kCacheAllowed) return;
  max_cached.store(static_cast<size_t>(bytes), std::memory_order_relaxed);
  // Blocks over a lowered bound are not kept.
  if (Storage::cached_bytes() > bytes) release_large_blocks();
}

void Storage::empty_cache() { release_large_blocks(); }

}  // namespace cajal
