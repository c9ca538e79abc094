#include "cajal/core/storage.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "cajal/cajal.h"

namespace cajal {
namespace {

// The cache is off under AddressSanitizer, so that use-after-free is still caught there.
bool cache_enabled() { return Storage::max_cached_bytes() > 0; }

class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override { Storage::set_max_cached_bytes(int64_t{1} << 30); }
  void TearDown() override { Storage::set_max_cached_bytes(0); }
};

TEST(StorageCacheTest, OffByDefault) {
  if (std::getenv("CAJAL_STORAGE_CACHE_BYTES") != nullptr)
    GTEST_SKIP() << "bound set by the environment";
  EXPECT_EQ(Storage::max_cached_bytes(), 0);
  { Storage storage(100000); }
  EXPECT_EQ(Storage::cached_bytes(), 0);
}

TEST(StorageCacheTest, NegativeBoundIsRejected) {
  EXPECT_THROW(Storage::set_max_cached_bytes(-1), ValueError);
}

TEST_F(StorageTest, LoweringTheBoundReleasesCachedBlocks) {
  if (!cache_enabled()) GTEST_SKIP() << "cache off under AddressSanitizer";
  { Storage storage(100000); }
  EXPECT_GT(Storage::cached_bytes(), 0);
  Storage::set_max_cached_bytes(1000);
  EXPECT_EQ(Storage::cached_bytes(), 0);
}

TEST_F(StorageTest, LiveBytesCountRequestedBytesNotCachedOnes) {
  Storage::empty_cache();
  const int64_t before = Storage::live_bytes();
  {
    Storage storage(100000);
    EXPECT_EQ(Storage::live_bytes(), before + 100000);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(storage.data()) % Storage::alignment, 0u);
  }
  EXPECT_EQ(Storage::live_bytes(), before);
  if (cache_enabled()) {
    EXPECT_GE(Storage::cached_bytes(), 100000);
  }
  Storage::empty_cache();
  EXPECT_EQ(Storage::cached_bytes(), 0);
}

TEST_F(StorageTest, FreedLargeBlockIsReusedForASimilarSize) {
  if (!cache_enabled()) GTEST_SKIP() << "cache off under AddressSanitizer";
  Storage::empty_cache();
  void* first = nullptr;
  {
    Storage storage(1 << 20);
    first = storage.data();
  }
  const int64_t hits = Storage::cache_hits();
  {
    // Sizes are kept in 64-byte steps.
    Storage storage((1 << 20) - 10);
    EXPECT_EQ(storage.data(), first);
  }
  EXPECT_EQ(Storage::cache_hits(), hits + 1);
  Storage::empty_cache();
}

TEST_F(StorageTest, AnotherSizeIsNotReused) {
  if (!cache_enabled()) GTEST_SKIP() << "cache off under AddressSanitizer";
  Storage::empty_cache();
  { Storage storage(1 << 20); }
  const int64_t hits = Storage::cache_hits();
  { Storage storage((1 << 20) + 64); }
  EXPECT_EQ(Storage::cache_hits(), hits);
  Storage::empty_cache();
}

TEST_F(StorageTest, AMissReturnsCachedBlocksOfOtherSizes) {
  if (!cache_enabled()) GTEST_SKIP() << "cache off under AddressSanitizer";
  Storage::empty_cache();
  { Storage storage(1 << 20); }
  EXPECT_GT(Storage::cached_bytes(), 0);
  // A new size: the 1 MiB block goes back to glibc rather than staying resident beside it.
  Storage other(3 << 20);
  EXPECT_EQ(Storage::cached_bytes(), 0);
}

TEST_F(StorageTest, BlocksFreedOnOneThreadServeAnother) {
  if (!cache_enabled()) GTEST_SKIP() << "cache off under AddressSanitizer";
  Storage::empty_cache();
  void* freed = nullptr;
  std::thread([&] {
    Storage storage(300000);
    freed = storage.data();
  }).join();
  Storage storage(300000);
  EXPECT_EQ(storage.data(), freed);
  Storage::empty_cache();
}

TEST_F(StorageTest, CachedBytesStayWithinTheBound) {
  if (!cache_enabled()) GTEST_SKIP() << "cache off under AddressSanitizer";
  Storage::empty_cache();
  const int64_t block = Storage::max_cached_bytes() / 3 + 4096;
  {
    // Virtual memory only: the blocks are never touched.
    std::vector<std::unique_ptr<Storage>> storages;
    for (int i = 0; i < 4; ++i) storages.push_back(std::make_unique<Storage>(block));
  }
  EXPECT_GT(Storage::cached_bytes(), 0);
  EXPECT_LE(Storage::cached_bytes(), Storage::max_cached_bytes());
  Storage::empty_cache();
  EXPECT_EQ(Storage::cached_bytes(), 0);
}

TEST_F(StorageTest, ManySizesRoundTrip) {
  Storage::empty_cache();
  // Odd sizes around the small/large boundary and class boundaries; each block is fully writable.
  for (size_t bytes :
       {size_t{1}, size_t{4095}, size_t{4096}, size_t{4097}, size_t{5119}, size_t{5120},
        size_t{5121}, size_t{8191}, size_t{8192}, size_t{8193}, size_t{65537}, size_t{999983}}) {
    for (int round = 0; round < 3; ++round) {
      Storage storage(bytes);
      std::memset(storage.data(), 0xAB, bytes);
      EXPECT_EQ(storage.bytes(), bytes);
    }
  }
  Storage::empty_cache();
}

TEST_F(StorageTest, ZerosStillZeroARecycledBlock) {
  Storage::empty_cache();
  const int64_t n = 100003;
  {
    Tensor dirty = full({n}, 7.0);
    ASSERT_EQ(dirty.data_ptr<float>()[n - 1], 7.0f);
  }
  Tensor zero = zeros({n});
  Tensor flat = zero.contiguous();
  const float* data = flat.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(data[i], 0.0f) << i;
  Storage::empty_cache();
}

}  // namespace
}  // namespace cajal
