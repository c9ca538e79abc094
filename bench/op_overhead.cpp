// Per-op overhead: the fixed cost of one op on a tiny tensor, with and without graph recording,
// and of backward per recorded op. This bounds small-network speed (the playground's 2-8-8-1 net).
#include <benchmark/benchmark.h>

#include "cajal/cajal.h"

using namespace cajal;

static void untracked_add(benchmark::State& state) {
  Tensor a = ones({8}), b = ones({8});
  for (auto _ : state) benchmark::DoNotOptimize(a + b);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(untracked_add);

static void recorded_add(benchmark::State& state) {
  Tensor a = ones({8}, {.requires_grad = true}), b = ones({8});
  for (auto _ : state) benchmark::DoNotOptimize(a + b);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(recorded_add);

// Forward and backward through a chain of 1000 recorded adds; items = ops.
static void chain_forward_backward(benchmark::State& state) {
  Tensor x = zeros({}, {.requires_grad = true});
  for (auto _ : state) {
    Tensor y = x;
    for (int i = 0; i < 1000; ++i) y = y + 1.0;
    y.backward();
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(chain_forward_backward);

BENCHMARK_MAIN();
