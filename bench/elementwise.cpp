// Elementwise ops on contiguous float32, forward only (no graph): add, mul, relu, tanh, sigmoid
// and exp on 4 Ki, 256 Ki and 16 Mi elements, and a broadcast add of a bias [C] onto [N, C].
// GB/s counts the bytes the op must move (inputs read + output written, once each); of_ceiling
// divides by the STREAM triad ceiling of the memory level that working set lands in (common.h).
// Every call allocates its output, as a training step does; that cost is part of the number.
//   ./bench_elementwise                       # ~30 s
//   ./bench_elementwise --benchmark_filter=tanh
#include <functional>

#include "common.h"

namespace {

using cajal::Tensor;

struct Op {
  const char* name;
  int inputs;
  std::function<Tensor(const Tensor&, const Tensor&)> fn;
};

const std::vector<Op>& ops() {
  static const std::vector<Op> list = {
      {"add", 2, [](const Tensor& a, const Tensor& b) { return cajal::add(a, b); }},
      {"mul", 2, [](const Tensor& a, const Tensor& b) { return cajal::mul(a, b); }},
      {"relu", 1, [](const Tensor& a, const Tensor&) { return cajal::relu(a); }},
      {"tanh", 1, [](const Tensor& a, const Tensor&) { return cajal::tanh(a); }},
      {"sigmoid", 1, [](const Tensor& a, const Tensor&) { return cajal::sigmoid(a); }},
      {"exp", 1, [](const Tensor& a, const Tensor&) { return cajal::exp(a); }},
  };
  return list;
}

// Args: op index, elements, threads.
void BM_Elementwise(benchmark::State& state) {
  const Op& op = ops()[static_cast<size_t>(state.range(0))];
  const int64_t n = state.range(1);
  const int threads = cajal_bench::use_threads(state, 2);
  const double bytes = 4.0 * n * (op.inputs + 1);
  const double ceiling = cajal_bench::bandwidth_ceiling(cajal_bench::Stream::triad, bytes, threads);
  cajal::manual_seed(0);
  Tensor a = cajal::randn({n}), b = cajal::randn({n});
  const cajal_bench::Laps laps = cajal_bench::run_steps(state, [&] {
    Tensor y = op.fn(a, b);
    benchmark::DoNotOptimize(y.data_ptr<float>());
    benchmark::ClobberMemory();
  });
  state.SetItemsProcessed(state.iterations() * n);
  cajal_bench::report_bytes(state, laps, bytes, ceiling);
}

// Args: rows, columns, threads. x [N, C] + bias [C].
void BM_BroadcastAdd(benchmark::State& state) {
  const int64_t rows = state.range(0), columns = state.range(1);
  const int threads = cajal_bench::use_threads(state, 2);
  const double bytes = 4.0 * (2.0 * rows * columns + columns);
  const double ceiling = cajal_bench::bandwidth_ceiling(cajal_bench::Stream::triad, bytes, threads);
  cajal::manual_seed(0);
  Tensor x = cajal::randn({rows, columns}), bias = cajal::randn({columns});
  const cajal_bench::Laps laps = cajal_bench::run_steps(state, [&] {
    Tensor y = x + bias;
    benchmark::DoNotOptimize(y.data_ptr<float>());
    benchmark::ClobberMemory();
  });
  state.SetItemsProcessed(state.iterations() * rows * columns);
  cajal_bench::report_bytes(state, laps, bytes, ceiling);
}

}  // namespace

int main(int argc, char** argv) {
  for (int64_t threads : {1, 2}) {
    for (size_t i = 0; i < ops().size(); ++i) {
      for (int64_t n : {int64_t{4} << 10, int64_t{256} << 10, int64_t{16} << 20}) {
        benchmark::RegisterBenchmark((std::string("elementwise_") + ops()[i].name).c_str(),
                                     BM_Elementwise)
            ->ArgNames({"op", "n", "threads"})
            ->Args({static_cast<int64_t>(i), n, threads})
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
    // Working sets of 0.5 MiB (L2), 8 MiB (L3) and 32 MiB (DRAM).
    for (auto [rows, columns] :
         {std::pair<int64_t, int64_t>{128, 512}, {1024, 1024}, {4096, 2048}}) {
      benchmark::RegisterBenchmark("broadcast_add_bias", BM_BroadcastAdd)
          ->ArgNames({"n", "c", "threads"})
          ->Args({rows, columns, threads})
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return cajal_bench::run_benchmarks(argc, argv, 0.1);
}
