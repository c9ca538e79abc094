// Reductions of float32 [N, C], forward only: sum of everything, sum over dim 0 (a bias
// gradient) and dim 1 (a row sum), mean and unbiased var over dim 0 (batch statistics) and
// argmax over each row (predictions). GB/s counts the input read once plus the output written;
// of_ceiling divides by the read-only STREAM ceiling (a vectorized sum) of the memory level the
// input lands in (common.h). Working sets: 0.5 MiB (L2), 16 MiB (L3), 64 MiB (DRAM).
//   ./bench_reduction                         # ~20 s
#include <functional>

#include "common.h"

namespace {

using cajal::Tensor;

struct Op {
  const char* name;
  std::function<Tensor(const Tensor&)> fn;
  int64_t output_bytes_per_row;  // plus output_bytes_per_column per column
  int64_t output_bytes_per_column;
};

const std::vector<Op>& ops() {
  static const std::vector<Op> list = {
      {"sum_all", [](const Tensor& x) { return cajal::sum(x); }, 0, 0},
      {"sum_dim0", [](const Tensor& x) { return cajal::sum(x, {0}); }, 0, 4},
      {"sum_dim1", [](const Tensor& x) { return cajal::sum(x, {1}); }, 4, 0},
      {"mean_dim0", [](const Tensor& x) { return cajal::mean(x, {0}); }, 0, 4},
      {"var_dim0", [](const Tensor& x) { return cajal::var(x, {0}); }, 0, 4},
      {"argmax_dim1", [](const Tensor& x) { return cajal::argmax(x, 1); }, 8, 0},
  };
  return list;
}

// Args: op index, rows, columns, threads.
void BM_Reduction(benchmark::State& state) {
  const Op& op = ops()[static_cast<size_t>(state.range(0))];
  const int64_t rows = state.range(1), columns = state.range(2);
  const int threads = cajal_bench::use_threads(state, 3);
  const double input_bytes = 4.0 * rows * columns;
  const double bytes = input_bytes + static_cast<double>(op.output_bytes_per_row) * rows +
                       static_cast<double>(op.output_bytes_per_column) * columns + 4.0;
  const double ceiling =
      cajal_bench::bandwidth_ceiling(cajal_bench::Stream::read, input_bytes, threads);
  cajal::manual_seed(0);
  Tensor x = cajal::randn({rows, columns});
  const cajal_bench::Laps laps = cajal_bench::run_steps(state, [&] {
    Tensor y = op.fn(x);
    benchmark::DoNotOptimize(y);
    benchmark::ClobberMemory();
  });
  state.SetItemsProcessed(state.iterations() * rows * columns);
  cajal_bench::report_bytes(state, laps, bytes, ceiling);
}

}  // namespace

int main(int argc, char** argv) {
  for (int64_t threads : {1, 2}) {
    for (size_t i = 0; i < ops().size(); ++i) {
      for (int64_t rows : {128, 4096, 16384}) {
        benchmark::RegisterBenchmark(ops()[i].name, BM_Reduction)
            ->ArgNames({"op", "n", "c", "threads"})
            ->Args({static_cast<int64_t>(i), rows, 1024, threads})
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  return cajal_bench::run_benchmarks(argc, argv, 0.15);
}
