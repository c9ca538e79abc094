// cajal::conv2d, 3x3 with padding 1 and a bias: forward alone, and forward + backward through
// autograd (input, weight and bias gradients), on the cnn workload's two layers at batch 128 and
// one larger layer. GFLOP/s counts the analytic multiply-adds (2 N C_out H W C_in 9 per pass;
// forward + backward = 3 passes: output, input gradient, weight gradient) and of_ceiling divides
// by dnnl_sgemm at 1024^3 on the same threads (common.h: measured once, or from the environment).
//   ./bench_conv2d                            # ~40 s
//   ./bench_conv2d --benchmark_filter=forward_backward
#include "common.h"

namespace {

using cajal::Tensor;

double conv_flops(const benchmark::State& state) {
  const double n = state.range(0), c_in = state.range(1), c_out = state.range(2),
               size = state.range(3);
  return 2.0 * n * c_out * size * size * c_in * 9.0;
}

// Args: batch, c_in, c_out, size (H = W), threads.
void BM_Conv2dForward(benchmark::State& state) {
  const int threads = cajal_bench::use_threads(state, 4);
  const double ceiling = cajal_bench::sgemm_ceiling(threads);
  const int64_t n = state.range(0), c_in = state.range(1), c_out = state.range(2),
                size = state.range(3);
  cajal::manual_seed(0);
  Tensor x = cajal::randn({n, c_in, size, size});
  Tensor w = cajal::randn({c_out, c_in, 3, 3}), b = cajal::randn({c_out});
  const cajal_bench::Laps laps = cajal_bench::run_steps(state, [&] {
    Tensor y = cajal::conv2d(x, w, b, {.padding = 1});
    benchmark::DoNotOptimize(y.data_ptr<float>());
    benchmark::ClobberMemory();
  });
  state.SetItemsProcessed(state.iterations() * n);
  cajal_bench::report_flops(state, laps, conv_flops(state), ceiling);
}

// Args: batch, c_in, c_out, size, threads. Every input is a leaf that requires its gradient, as
// inside a network (the cnn's first layer skips the input gradient in training; it is 1 channel,
// so that pass is small).
void BM_Conv2dForwardBackward(benchmark::State& state) {
  const int threads = cajal_bench::use_threads(state, 4);
  const double ceiling = cajal_bench::sgemm_ceiling(threads);
  const int64_t n = state.range(0), c_in = state.range(1), c_out = state.range(2),
                size = state.range(3);
  cajal::manual_seed(0);
  Tensor x = cajal::randn({n, c_in, size, size}).requires_grad_();
  Tensor w = cajal::randn({c_out, c_in, 3, 3}).requires_grad_();
  Tensor b = cajal::randn({c_out}).requires_grad_();
  Tensor dy = cajal::randn({n, c_out, size, size});
  const cajal_bench::Laps laps = cajal_bench::run_steps(state, [&] {
    Tensor y = cajal::conv2d(x, w, b, {.padding = 1});
    y.backward(dy);
    benchmark::DoNotOptimize(x.grad().data_ptr<float>());
    benchmark::DoNotOptimize(w.grad().data_ptr<float>());
    for (const Tensor& t : {x, w, b}) t.set_grad(Tensor());
  });
  state.SetItemsProcessed(state.iterations() * n);
  cajal_bench::report_flops(state, laps, 3.0 * conv_flops(state), ceiling);
}

}  // namespace

int main(int argc, char** argv) {
  // {batch, c_in, c_out, size}: the cnn workload's conv1 and conv2, and a ResNet-like 3x3 layer.
  const std::vector<std::pair<const char*, std::vector<int64_t>>> layers = {
      {"cnn_conv1", {128, 1, 32, 28}},
      {"cnn_conv2", {128, 32, 64, 14}},
      {"large", {16, 64, 128, 28}},
  };
  for (int64_t threads : {1, 2}) {
    for (const auto& [layer, s] : layers) {
      using Function = void (*)(benchmark::State&);
      for (auto [pass, fn] :
           {std::pair<const char*, Function>{"forward", BM_Conv2dForward},
            std::pair<const char*, Function>{"forward_backward", BM_Conv2dForwardBackward}}) {
        const std::string name = std::string("conv2d_") + pass + "/" + layer;
        benchmark::RegisterBenchmark(name.c_str(), fn)
            ->ArgNames({"n", "cin", "cout", "hw", "threads"})
            ->Args({s[0], s[1], s[2], s[3], threads})
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  return cajal_bench::run_benchmarks(argc, argv, 0.5);
}
