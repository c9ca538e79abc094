#include "cajal/core/storage.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

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

}  // namespace

Storage::Storage(size_t bytes) : bytes_(bytes) {
  // aligned_alloc needs a size that is a multiple of the alignment, and non-zero.
  size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  if (rounded == 0) rounded = alignment;
  data_ = std::aligned_alloc(alignment, rounded);
  if (data_ == nullptr) {
    throw Error("out of memory: could not allocate " + std::to_string(bytes) + " bytes");
  }
  count_allocation(static_cast<int64_t>(bytes_));
}

Storage::~Storage() {
  std::free(data_);
  live.fetch_sub(static_cast<int64_t>(bytes_), std::memory_order_relaxed);
}

int64_t Storage::live_bytes() { return live.load(std::memory_order_relaxed); }
int64_t Storage::peak_bytes() { return peak.load(std::memory_order_relaxed); }
void Storage::reset_peak_bytes() { peak.store(live.load(std::memory_order_relaxed)); }

}  // namespace cajal
