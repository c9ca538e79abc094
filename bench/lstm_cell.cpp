// nn::LSTMCell, one step, and nn::LSTM over a sequence: forward, and forward + backward through
// autograd. Shapes: the lstm workload's step (batch 128, input 28, hidden 128) and a larger cell
// (batch 64, 512 -> 512); the layer runs the workload's 28 steps of LSTM(28, 128), batch_first.
// Parameters require gradients, so forward records the graph as a training step does.
// GFLOP/s counts the gates' matmuls only (elementwise gate math is O(NH), not O(NH(I+H))):
//   cell forward            2 N 4H (I + H)
//   cell forward+backward   3x that: x, h and c require gradients (a step inside a sequence or a
//                           stack), so backward computes dW_ih, dW_hh, dx and dh
//   layer forward           T x cell forward
//   layer forward+backward  T x (forward + dW_ih + dW_hh + dh) = T 2 N 4H (2I + 3H); the data
//                           needs no gradient
// of_ceiling divides by dnnl_sgemm at 1024^3 on the same threads (common.h). These matmuls are
// small (M = N = 128 rows): the sgemm ceiling is the bound for large products, not for these.
//   ./bench_lstm_cell                         # ~20 s
#include "common.h"

namespace {

using cajal::Tensor;

double cell_flops(double n, double input, double hidden) {
  return 2.0 * n * 4.0 * hidden * (input + hidden);
}

// Args: batch, input, hidden, backward (0/1), threads.
void BM_LSTMCell(benchmark::State& state) {
  const int64_t n = state.range(0), input = state.range(1), hidden = state.range(2);
  const bool backward = state.range(3) != 0;
  const int threads = cajal_bench::use_threads(state, 4);
  const double ceiling = cajal_bench::sgemm_ceiling(threads);
  cajal::manual_seed(0);
  cajal::nn::LSTMCell cell({.input_size = input, .hidden_size = hidden});
  Tensor x = cajal::randn({n, input}).requires_grad_(backward);
  Tensor h = cajal::randn({n, hidden}).requires_grad_(backward);
  Tensor c = cajal::randn({n, hidden}).requires_grad_(backward);
  Tensor dh = cajal::randn({n, hidden});
  const cajal_bench::Laps laps = cajal_bench::run_steps(state, [&] {
    cajal::nn::LSTMState next = cell.forward(x, {h, c});
    if (backward) {
      next.h.backward(dh);
      benchmark::DoNotOptimize(cell.weight_hh.grad().data_ptr<float>());
      cell.zero_grad();
      for (const Tensor& t : {x, h, c}) t.set_grad(Tensor());
    } else {
      benchmark::DoNotOptimize(next.h.data_ptr<float>());
    }
    benchmark::ClobberMemory();
  });
  state.SetItemsProcessed(state.iterations() * n);
  const double flops = (backward ? 3.0 : 1.0) * cell_flops(n, input, hidden);
  cajal_bench::report_flops(state, laps, flops, ceiling);
}

// Args: batch, steps, input, hidden, backward (0/1), threads.
void BM_LSTMLayer(benchmark::State& state) {
  const int64_t n = state.range(0), steps = state.range(1), input = state.range(2),
                hidden = state.range(3);
  const bool backward = state.range(4) != 0;
  const int threads = cajal_bench::use_threads(state, 5);
  const double ceiling = cajal_bench::sgemm_ceiling(threads);
  cajal::manual_seed(0);
  cajal::nn::LSTM lstm({.input_size = input, .hidden_size = hidden, .batch_first = true});
  Tensor x = cajal::randn({n, steps, input});
  Tensor dy = cajal::randn({n, steps, hidden});
  const cajal_bench::Laps laps = cajal_bench::run_steps(state, [&] {
    Tensor y = lstm.forward(x);
    if (backward) {
      y.backward(dy);
      benchmark::DoNotOptimize(lstm.parameters()[0].grad().data_ptr<float>());
      lstm.zero_grad();
    } else {
      benchmark::DoNotOptimize(y.data_ptr<float>());
    }
    benchmark::ClobberMemory();
  });
  state.SetItemsProcessed(state.iterations() * n);
  const double flops = backward ? steps * 2.0 * n * 4.0 * hidden * (2.0 * input + 3.0 * hidden)
                                : steps * cell_flops(n, input, hidden);
  cajal_bench::report_flops(state, laps, flops, ceiling);
}

}  // namespace

int main(int argc, char** argv) {
  for (int64_t threads : {1, 2}) {
    for (int64_t backward : {0, 1}) {
      const char* name = backward ? "lstm_cell_forward_backward" : "lstm_cell_forward";
      for (const auto& s : std::vector<std::vector<int64_t>>{{128, 28, 128}, {64, 512, 512}}) {
        benchmark::RegisterBenchmark(name, BM_LSTMCell)
            ->ArgNames({"n", "in", "hidden", "bwd", "threads"})
            ->Args({s[0], s[1], s[2], backward, threads})
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
    for (int64_t backward : {0, 1}) {
      benchmark::RegisterBenchmark(
          backward ? "lstm_28_steps_forward_backward" : "lstm_28_steps_forward", BM_LSTMLayer)
          ->ArgNames({"n", "steps", "in", "hidden", "bwd", "threads"})
          ->Args({128, 28, 28, 128, backward, threads})
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  return cajal_bench::run_benchmarks(argc, argv, 0.3);
}
