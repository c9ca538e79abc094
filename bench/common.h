#pragma once
// Shared by the bench/ programs: this machine's ceilings and the counters every benchmark reports
// against them.
//
// Ceilings: dnnl_sgemm at 1024^3 (compute) and STREAM-like kernels (bandwidth) on working sets
// sized for L2, L3 and DRAM, each at the benchmark's thread count. A program measures a ceiling
// the first time a benchmark needs it (the best call over ~0.3 s, so the ceiling is what the
// hardware gave at its best in this run), unless the environment supplies it:
//   CAJAL_CEILING_SGEMM_GFLOPS=110,210         GFLOP/s at 1 thread, 2 threads, ...
//   CAJAL_CEILING_TRIAD_GBS_L2=...,...        likewise COPY, SCALE, READ; levels L2, L3, DRAM
// bench_ceiling measures all of them and writes these lines with --write_ceilings=FILE;
// bench/run.sh sources that file so every program of one run divides by the same ceilings.
//
// Counters: GFLOP/s or GB/s (benchmark::Counter::kIsRate, 1e9 based) over the timed loop,
// of_ceiling (a plain fraction: that rate over the ceiling), best_GFLOP/s or best_GB/s and
// best_of_ceiling (the fastest single call, over the same best-call ceiling) and the ceiling.
#include <benchmark/benchmark.h>
#include <dnnl.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cajal/cajal.h"

namespace cajal_bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---------------------------------------------------------------------------------------------
// Memory levels. This machine: L2 1 MiB per core, L3 32 MiB shared. A kernel's working set (bytes
// read + written per call) picks the level whose ceiling it is compared to; the ceilings use
// working sets well inside each level so they measure that level and not the next.

enum class Level { l2, l3, dram };

inline Level level_of(double working_set_bytes) {
  if (working_set_bytes <= 512.0 * 1024) return Level::l2;
  if (working_set_bytes <= 16.0 * 1024 * 1024) return Level::l3;
  return Level::dram;
}

inline const char* level_name(Level level) {
  switch (level) {
    case Level::l2:
      return "L2";
    case Level::l3:
      return "L3";
    default:
      return "DRAM";
  }
}

inline int64_t level_bytes(Level level) {
  switch (level) {
    case Level::l2:
      return 256 << 10;
    case Level::l3:
      return 8 << 20;
    default:
      return int64_t{256} << 20;
  }
}

// ---------------------------------------------------------------------------------------------
// STREAM-like kernels on float32: copy a = b, scale a = s b, triad a = b + s c, read sum(b).
// Bytes counted are those the kernel names (no write-allocate traffic), as STREAM counts them and
// as the cajal benchmarks count theirs.

enum class Stream { copy, scale, triad, read };

inline const char* stream_name(Stream kind) {
  switch (kind) {
    case Stream::copy:
      return "COPY";
    case Stream::scale:
      return "SCALE";
    case Stream::triad:
      return "TRIAD";
    default:
      return "READ";
  }
}

inline int stream_arrays(Stream kind) {
  switch (kind) {
    case Stream::triad:
      return 3;
    case Stream::read:
      return 1;
    default:
      return 2;
  }
}

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using AlignedFloats = std::unique_ptr<float[], FreeDeleter>;

inline AlignedFloats aligned_floats(int64_t n) {
  const size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
  return AlignedFloats(static_cast<float*>(std::aligned_alloc(64, bytes)));
}

// Arrays for one kernel at one working set; each thread first-touches and then streams the same
// contiguous chunk, so pages live on its side and its chunk stays in its own L2.
class StreamArrays {
 public:
  StreamArrays(Stream kind, int64_t working_set_bytes, int threads)
      : kind_(kind),
        threads_(threads),
        n_(working_set_bytes / (4 * stream_arrays(kind)) / 64 * 64),
        a_(aligned_floats(n_)),
        b_(aligned_floats(n_)),
        c_(aligned_floats(n_)) {
#pragma omp parallel num_threads(threads_)
    {
      auto [begin, end] = chunk(omp_get_thread_num());
      for (int64_t i = begin; i < end; ++i) {
        a_[i] = 0.0f;
        b_[i] = 1.0f;
        c_[i] = 2.0f;
      }
    }
  }

  int64_t bytes_per_pass() const { return n_ * 4 * stream_arrays(kind_); }

  // `passes` sweeps inside one parallel region: a cache-sized sweep takes microseconds, so one
  // fork/join per sweep would measure OpenMP rather than the cache.
  void run(int passes) {
    float* __restrict a = a_.get();
    const float* __restrict b = b_.get();
    const float* __restrict c = c_.get();
    const float s = 3.0f;
    float total = 0.0f;
#pragma omp parallel num_threads(threads_) reduction(+ : total)
    {
      auto [begin, end] = chunk(omp_get_thread_num());
      for (int pass = 0; pass < passes; ++pass) {
        switch (kind_) {
          case Stream::copy:
            for (int64_t i = begin; i < end; ++i) a[i] = b[i];
            break;
          case Stream::scale:
            for (int64_t i = begin; i < end; ++i) a[i] = s * b[i];
            break;
          case Stream::triad:
            for (int64_t i = begin; i < end; ++i) a[i] = b[i] + s * c[i];
            break;
          case Stream::read: {
            // 64 independent partial sums: one accumulator would be bound by the add latency.
            float partial[64] = {};
            for (int64_t i = begin; i < end; i += 64) {
              for (int j = 0; j < 64; ++j) partial[j] += b[i + j];
            }
            for (float p : partial) total += p;
            break;
          }
        }
        benchmark::ClobberMemory();
      }
    }
    benchmark::DoNotOptimize(total);
    benchmark::DoNotOptimize(a);
  }

 private:
  // Chunks are multiples of 64 floats (n_ is one too), so every chunk is 64-byte aligned.
  std::pair<int64_t, int64_t> chunk(int thread) const {
    const int64_t blocks = n_ / 64;
    return {blocks * thread / threads_ * 64, blocks * (thread + 1) / threads_ * 64};
  }

  Stream kind_;
  int threads_;
  int64_t n_;
  AlignedFloats a_, b_, c_;
};

// Sweeps per call so that one call moves at least 32 MiB: long enough to time, short enough to
// repeat.
inline int stream_passes(int64_t bytes_per_pass) {
  return static_cast<int>(std::max<int64_t>(1, (int64_t{32} << 20) / bytes_per_pass));
}

// ---------------------------------------------------------------------------------------------
// Ceilings: measured once per program (best call over `seconds`) or read from the environment.

inline std::map<std::string, double>& ceiling_cache() {
  static std::map<std::string, double> cache;
  return cache;
}

inline std::string sgemm_env_name() { return "CAJAL_CEILING_SGEMM_GFLOPS"; }
inline std::string stream_env_name(Stream kind, Level level) {
  return std::string("CAJAL_CEILING_") + stream_name(kind) + "_GBS_" + level_name(level);
}

// The threads-th entry (1-based) of a comma-separated list in the environment; 0 if absent.
inline double env_ceiling(const std::string& name, int threads) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return 0.0;
  std::string list = value;
  size_t start = 0;
  for (int i = 1; start <= list.size(); ++i) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    if (i == threads) return std::atof(list.substr(start, end - start).c_str());
    start = end + 1;
  }
  return 0.0;
}

// Best GFLOP/s of dnnl_sgemm at 1024^3 over ~`seconds`, calls timed one by one.
inline double measure_sgemm_gflops(int threads, double seconds = 0.3) {
  const int previous = cajal::get_num_threads();
  cajal::set_num_threads(threads);
  const int64_t n = 1024;
  cajal::manual_seed(0);
  cajal::Tensor a = cajal::randn({n, n}), b = cajal::randn({n, n});
  std::vector<float> c(static_cast<size_t>(n * n));
  auto call = [&] {
    dnnl_sgemm('N', 'N', n, n, n, 1.0f, a.data_ptr<float>(), n, b.data_ptr<float>(), n, 0.0f,
               c.data(), n);
    benchmark::DoNotOptimize(c.data());
  };
  call();  // JIT and page faults
  double best = 1e30;
  const auto start = Clock::now();
  do {
    const auto t0 = Clock::now();
    call();
    best = std::min(best, seconds_since(t0));
  } while (seconds_since(start) < seconds);
  cajal::set_num_threads(previous);
  return 2.0 * n * n * n * 1e-9 / best;
}

// Best GB/s of a STREAM kernel at `level`'s working set over ~`seconds`.
inline double measure_stream_gbs(Stream kind, Level level, int threads, double seconds = 0.3) {
  StreamArrays arrays(kind, level_bytes(level), threads);
  const int passes = stream_passes(arrays.bytes_per_pass());
  arrays.run(passes);  // warm the caches
  double best = 1e30;
  const auto start = Clock::now();
  do {
    const auto t0 = Clock::now();
    arrays.run(passes);
    best = std::min(best, seconds_since(t0));
  } while (seconds_since(start) < seconds);
  return static_cast<double>(arrays.bytes_per_pass()) * passes * 1e-9 / best;
}

// The ceiling at t threads is the best measured at any count <= t: a t-thread kernel may always
// leave threads idle, and on a loaded machine a 2-thread measurement that lost its second core to
// another job would otherwise set a ceiling below the 1-thread one.
inline double cached_ceiling(const std::string& env_name, int threads,
                             double (*measure)(void*, int), void* context, const char* what) {
  const std::string key = env_name + "/" + std::to_string(threads);
  auto& cache = ceiling_cache();
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  double value = env_ceiling(env_name, threads);
  if (value > 0.0) {
    std::fprintf(stderr, "ceiling %s, %d thread(s): %.1f (from %s)\n", what, threads, value,
                 env_name.c_str());
  } else {
    value = measure(context, threads);
    std::fprintf(stderr, "ceiling %s, %d thread(s): %.1f (measured; %s overrides)\n", what, threads,
                 value, env_name.c_str());
    if (threads > 1) {
      const double fewer = cached_ceiling(env_name, threads - 1, measure, context, what);
      if (fewer > value) {
        std::fprintf(stderr, "  using the %d-thread ceiling %.1f instead\n", threads - 1, fewer);
        value = fewer;
      }
    }
  }
  cache[key] = value;
  return value;
}

// dnnl_sgemm GFLOP/s at 1024^3 on `threads` threads.
inline double sgemm_ceiling(int threads) {
  return cached_ceiling(
      sgemm_env_name(), threads, [](void*, int t) { return measure_sgemm_gflops(t); }, nullptr,
      "dnnl_sgemm 1024^3 GFLOP/s");
}

// GB/s of a STREAM kernel at the level a working set of `working_set_bytes` lands in.
inline double bandwidth_ceiling(Stream kind, double working_set_bytes, int threads) {
  struct Context {
    Stream kind;
    Level level;
  } context{kind, level_of(working_set_bytes)};
  const std::string what = std::string(stream_name(kind)) + " " + level_name(context.level) + " (" +
                           std::to_string(level_bytes(context.level) >> 10) + " KiB) GB/s";
  return cached_ceiling(
      stream_env_name(kind, context.level), threads,
      [](void* p, int t) {
        auto* c = static_cast<Context*>(p);
        return measure_stream_gbs(c->kind, c->level, t);
      },
      &context, what.c_str());
}

// ---------------------------------------------------------------------------------------------
// Counters.

// Sets cajal's thread count from the benchmark's last argument and returns it.
inline int use_threads(const benchmark::State& state, int arg_index) {
  const int threads = static_cast<int>(state.range(arg_index));
  cajal::set_num_threads(threads);
  return threads;
}

// Times the benchmark loop as a whole and call by call: on a shared machine the mean absorbs
// other jobs' bursts, while the best call, like the best-call ceilings, shows what the kernel does
// when it has the cores. Call lap() once at the end of every iteration.
class Laps {
 public:
  Laps() : start_(Clock::now()), last_(start_) {}
  void lap() {
    const auto now = Clock::now();
    best_ = std::min(best_, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }
  double total_seconds() const { return seconds_since(start_); }
  double best_seconds() const { return best_; }

 private:
  Clock::time_point start_, last_;
  double best_ = 1e30;
};

// Runs `step` once untimed (first-call costs: oneDNN JIT and primitive creation, first-touch
// page faults), then once per benchmark iteration, timing each call.
template <typename Step>
Laps run_steps(benchmark::State& state, Step&& step) {
  step();
  Laps laps;
  for (auto _ : state) {
    step();
    laps.lap();
  }
  return laps;
}

// A compute-bound kernel: GFLOP/s over the loop (mean) and of its best call, and their fractions
// of the sgemm ceiling at the same thread count.
inline void report_flops(benchmark::State& state, const Laps& laps, double flops_per_iteration,
                         double ceiling_gflops) {
  const double gflop = flops_per_iteration * 1e-9;
  const double iterations = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(gflop * iterations, benchmark::Counter::kIsRate);
  state.counters["of_ceiling"] = gflop * iterations / laps.total_seconds() / ceiling_gflops;
  state.counters["best_GFLOP/s"] = gflop / laps.best_seconds();
  state.counters["best_of_ceiling"] = gflop / laps.best_seconds() / ceiling_gflops;
  state.counters["ceiling_GFLOP/s"] = ceiling_gflops;
}

// A bandwidth-bound kernel: GB/s (bytes read + written per iteration, as counted by the caller),
// mean and best call, and their fractions of the bandwidth ceiling.
inline void report_bytes(benchmark::State& state, const Laps& laps, double bytes_per_iteration,
                         double ceiling_gbs) {
  const double gb = bytes_per_iteration * 1e-9;
  const double iterations = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes_per_iteration * iterations));
  state.counters["GB/s"] = benchmark::Counter(gb * iterations, benchmark::Counter::kIsRate);
  state.counters["of_ceiling"] = gb * iterations / laps.total_seconds() / ceiling_gbs;
  state.counters["best_GB/s"] = gb / laps.best_seconds();
  state.counters["best_of_ceiling"] = gb / laps.best_seconds() / ceiling_gbs;
  state.counters["ceiling_GB/s"] = ceiling_gbs;
}

// Runs the registered benchmarks. `default_min_time` keeps the program's whole run near a minute;
// a --benchmark_min_time on the command line wins.
inline int run_benchmarks(int argc, char** argv, double default_min_time) {
  std::vector<char*> args(argv, argv + argc);
  std::string min_time = "--benchmark_min_time=" + std::to_string(default_min_time);
  const bool given = std::any_of(args.begin(), args.end(), [](const char* arg) {
    return std::string(arg).rfind("--benchmark_min_time", 0) == 0;
  });
  if (!given) args.insert(args.begin() + 1, min_time.data());
  int count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace cajal_bench
