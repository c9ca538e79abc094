// The ceilings every other bench/ program is measured against, on this machine and in this run:
// compute (dnnl_sgemm at 1024^3) and bandwidth (STREAM-like copy, scale, triad and a read-only
// sum on working sets that fit L2, L3 and only DRAM), each on 1 and 2 threads. Each row reports
// the mean rate and the best call; the best call is the ceiling (see common.h).
//   ./bench_ceiling                                  # ~25 s
//   ./bench_ceiling --write_ceilings=/tmp/ceilings.sh && . /tmp/ceilings.sh   # then the others
#include <cstring>
#include <fstream>

#include "common.h"

namespace {

using cajal_bench::Clock;
using cajal_bench::Level;
using cajal_bench::Stream;

// Best rate per environment variable and thread count, for --write_ceilings.
std::map<std::string, std::map<int, double>>& best_rates() {
  static std::map<std::string, std::map<int, double>> rates;
  return rates;
}

void keep_best(const std::string& name, int threads, double rate) {
  double& best = best_rates()[name][threads];
  best = std::max(best, rate);
}

// Args: threads.
void BM_Sgemm(benchmark::State& state) {
  const int threads = cajal_bench::use_threads(state, 0);
  const int64_t n = 1024;
  cajal::manual_seed(0);
  cajal::Tensor a = cajal::randn({n, n}), b = cajal::randn({n, n});
  std::vector<float> c(static_cast<size_t>(n * n));
  double best = 1e30;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    dnnl_sgemm('N', 'N', n, n, n, 1.0f, a.data_ptr<float>(), n, b.data_ptr<float>(), n, 0.0f,
               c.data(), n);
    benchmark::DoNotOptimize(c.data());
    best = std::min(best, cajal_bench::seconds_since(t0));
  }
  const double gflop = 2.0 * n * n * n * 1e-9;
  state.counters["GFLOP/s"] = benchmark::Counter(gflop * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
  state.counters["best_GFLOP/s"] = gflop / best;
  keep_best(cajal_bench::sgemm_env_name(), threads, gflop / best);
}

// Args: kind, level, threads.
void BM_Stream(benchmark::State& state) {
  const auto kind = static_cast<Stream>(state.range(0));
  const auto level = static_cast<Level>(state.range(1));
  const int threads = static_cast<int>(state.range(2));
  cajal_bench::StreamArrays arrays(kind, cajal_bench::level_bytes(level), threads);
  const int passes = cajal_bench::stream_passes(arrays.bytes_per_pass());
  arrays.run(passes);
  double best = 1e30;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    arrays.run(passes);
    best = std::min(best, cajal_bench::seconds_since(t0));
  }
  const double gb = static_cast<double>(arrays.bytes_per_pass()) * passes * 1e-9;
  state.SetBytesProcessed(static_cast<int64_t>(gb * 1e9) * state.iterations());
  state.counters["GB/s"] =
      benchmark::Counter(gb * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["best_GB/s"] = gb / best;
  keep_best(cajal_bench::stream_env_name(kind, level), threads, gb / best);
}

// `export NAME=rate_at_1_thread,rate_at_2_threads` per ceiling measured, each the best at that
// thread count or fewer (as common.h's cached_ceiling); 0 marks a thread count not measured (the
// programs then measure it themselves).
void write_ceilings(const std::string& path) {
  std::ofstream out(path);
  for (const auto& [name, by_threads] : best_rates()) {
    out << "export " << name << "=";
    const int max_threads = by_threads.rbegin()->first;
    double best = 0.0;
    for (int t = 1; t <= max_threads; ++t) {
      auto it = by_threads.find(t);
      if (it != by_threads.end()) best = std::max(best, it->second);
      out << (t > 1 ? "," : "") << (it == by_threads.end() ? 0.0 : best);
    }
    out << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string ceilings_path;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    constexpr const char* kFlag = "--write_ceilings=";
    if (std::strncmp(argv[i], kFlag, std::strlen(kFlag)) == 0) {
      ceilings_path = argv[i] + std::strlen(kFlag);
    } else {
      args.push_back(argv[i]);
    }
  }
  for (int64_t threads : {1, 2}) {
    benchmark::RegisterBenchmark("dnnl_sgemm_1024", BM_Sgemm)
        ->ArgNames({"threads"})
        ->Args({threads})
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  for (Level level : {Level::l2, Level::l3, Level::dram}) {
    for (Stream kind : {Stream::copy, Stream::scale, Stream::triad, Stream::read}) {
      for (int64_t threads : {1, 2}) {
        const std::string name = std::string("stream_") + cajal_bench::stream_name(kind) + "_" +
                                 cajal_bench::level_name(level) + "_" +
                                 std::to_string(cajal_bench::level_bytes(level) >> 10) + "KiB";
        benchmark::RegisterBenchmark(name.c_str(), BM_Stream)
            ->ArgNames({"kind", "level", "threads"})
            ->Args({static_cast<int64_t>(kind), static_cast<int64_t>(level), threads})
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  const int status = cajal_bench::run_benchmarks(static_cast<int>(args.size()), args.data(), 0.5);
  if (status == 0 && !ceilings_path.empty()) write_ceilings(ceilings_path);
  return status;
}
