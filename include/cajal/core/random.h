#pragma once
// The global random generator. One seed reproduces every random tensor, initializer and shuffle.
#include <cstdint>

namespace cajal {

// Seeds the global generator: the same seed gives the same numbers.
void manual_seed(uint64_t seed);

// A fast, seedable generator (xoshiro256**); draws used by every random op.
class Generator {
 public:
  explicit Generator(uint64_t seed = 0x5eed) { seed_with(seed); }
  void seed_with(uint64_t seed);
  uint64_t next_u64();
  double uniform();       // [0, 1)
  float uniform_float();  // [0, 1)
  double normal();        // standard normal (Box-Muller, caching the second value)
  int64_t integer(int64_t low, int64_t high);  // [low, high)

 private:
  uint64_t state_[4];
  bool has_spare_ = false;
  double spare_ = 0;
};

Generator& default_generator();

// A seed for an independent stream derived from (seed, value), e.g. (run seed, epoch): SplitMix64's
// finalizer mixes both, so consecutive values give unrelated seeds.
uint64_t derive_seed(uint64_t seed, uint64_t value);

}  // namespace cajal
