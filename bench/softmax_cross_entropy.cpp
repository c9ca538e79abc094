// Softmax + cross-entropy on logits [N, C] with class-index targets (mean reduction): forward
// alone, forward + backward (the logits' gradient), and log_softmax over dim 1 alone, forward and
// forward + backward. Shapes: the workloads' [128, 10] (microseconds: per-op overhead dominates)
// and [4096, 1000] (16 MB of logits). GB/s counts the bytes a fused kernel must move:
//   cross_entropy forward           read logits + targets                 4NC + 8N
//   cross_entropy forward+backward  read logits + targets, write gradient 8NC + 8N
//   log_softmax forward             read x, write y                       8NC
//   log_softmax forward+backward    + read dy and y, write dx             20NC
// of_ceiling divides by the STREAM triad ceiling of the level that working set lands in.
//   ./bench_softmax_cross_entropy             # ~10 s
#include "common.h"

namespace {

using cajal::Tensor;

enum Mode : int64_t { kCrossEntropy, kCrossEntropyBackward, kLogSoftmax, kLogSoftmaxBackward };

double bytes_moved(Mode mode, double n, double c) {
  switch (mode) {
    case kCrossEntropy:
      return 4 * n * c + 8 * n;
    case kCrossEntropyBackward:
      return 8 * n * c + 8 * n;
    case kLogSoftmax:
      return 8 * n * c;
    default:
      return 20 * n * c;
  }
}

// Args: mode, rows, classes, threads.
void BM_SoftmaxCrossEntropy(benchmark::State& state) {
  const auto mode = static_cast<Mode>(state.range(0));
  const int64_t n = state.range(1), c = state.range(2);
  const int threads = cajal_bench::use_threads(state, 3);
  const double bytes = bytes_moved(mode, static_cast<double>(n), static_cast<double>(c));
  const double ceiling = cajal_bench::bandwidth_ceiling(cajal_bench::Stream::triad, bytes, threads);
  cajal::manual_seed(0);
  const bool backward = mode == kCrossEntropyBackward || mode == kLogSoftmaxBackward;
  Tensor logits = cajal::randn({n, c}).requires_grad_(backward);
  Tensor target = cajal::randint(0, c, {n});
  Tensor dy = cajal::randn({n, c});
  const cajal_bench::Laps laps = cajal_bench::run_steps(state, [&] {
    Tensor y = mode == kCrossEntropy || mode == kCrossEntropyBackward
                   ? cajal::nn::functional::cross_entropy(logits, target)
                   : cajal::log_softmax(logits, 1);
    if (backward) {
      if (mode == kCrossEntropyBackward) {
        y.backward();
      } else {
        y.backward(dy);
      }
      benchmark::DoNotOptimize(logits.grad().data_ptr<float>());
      logits.set_grad(Tensor());
    } else {
      benchmark::DoNotOptimize(y.data_ptr<float>());
    }
    benchmark::ClobberMemory();
  });
  state.SetItemsProcessed(state.iterations() * n);
  cajal_bench::report_bytes(state, laps, bytes, ceiling);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::pair<const char*, Mode>> modes = {
      {"cross_entropy_forward", kCrossEntropy},
      {"cross_entropy_forward_backward", kCrossEntropyBackward},
      {"log_softmax_forward", kLogSoftmax},
      {"log_softmax_forward_backward", kLogSoftmaxBackward},
  };
  for (int64_t threads : {1, 2}) {
    for (const auto& [name, mode] : modes) {
      for (auto [n, c] : {std::pair<int64_t, int64_t>{128, 10}, {4096, 1000}}) {
        benchmark::RegisterBenchmark(name, BM_SoftmaxCrossEntropy)
            ->ArgNames({"mode", "n", "c", "threads"})
            ->Args({mode, n, c, threads})
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  return cajal_bench::run_benchmarks(argc, argv, 0.3);
}
