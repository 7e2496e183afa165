// Build facts, and the FMA peak and memory bandwidth the benchmarks compare kernels against (a roofline).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "fspd/fsp.h"
#include "gemm.h"
#include "parallel.h"

#ifndef FSPD_VERSION
#error "FSPD_VERSION must be defined by the build (native/core/CMakeLists.txt)"
#endif

namespace fspd {
namespace {

std::string compiler() {
#if defined(__clang__)
  return "Clang " + std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__) + "." +
         std::to_string(__clang_patchlevel__);
#elif defined(__GNUC__)
  return "GCC " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#elif defined(_MSC_VER)
  return "MSVC " + std::to_string(_MSC_VER);
#else
  return "unknown";
#endif
}

}  // namespace

BuildInfo build_info() {
#if defined(FSPD_WITH_CUDA)
  constexpr bool cuda = true;
#else
  constexpr bool cuda = false;
#endif
  return BuildInfo{FSPD_VERSION, compiler(), simd_kernels().name, resolve_threads(0), cuda};
}

double measure_fma_peak_gflops(int threads, double seconds) {
  if (!(seconds > 0 && seconds <= 60))
    throw ArgumentError(ArgumentError::Kind::Range, "seconds: must be in (0, 60], got " + std::to_string(seconds));
  using Clock = std::chrono::steady_clock;
  const SimdKernels& kernels = simd_kernels();
  threads = resolve_threads(threads);
  // Rounds between clock reads: ~10^5 cycles, so reading the clock costs nothing measurable.
  const int64_t chunk = static_cast<int64_t>(std::ceil(2e6 / kernels.flops_per_iteration));
  std::vector<double> rates(static_cast<size_t>(threads));
  std::vector<float> sinks(static_cast<size_t>(threads));
  parallel_for(threads, threads, [&](int64_t t) {
    float sink = kernels.fma_chains(chunk);  // warm-up: wide units powered up, frequency settled
    int64_t rounds = 0;
    const Clock::time_point start = Clock::now();
    double elapsed = 0;
    do {
      sink += kernels.fma_chains(chunk);
      ++rounds;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < seconds);
    rates[t] = static_cast<double>(rounds) * chunk * kernels.flops_per_iteration / elapsed;
    sinks[t] = sink;
  });
  volatile float keep = 0;  // the chains' results are observable, so they cannot be optimised away
  double total = 0;
  for (int t = 0; t < threads; ++t) {
    keep = keep + sinks[t];
    total += rates[t];
  }
  return total / 1e9;
}

double measure_memory_bandwidth_gbps(int threads, double seconds) {
  if (!(seconds > 0 && seconds <= 60))
    throw ArgumentError(ArgumentError::Kind::Range, "seconds: must be in (0, 60], got " + std::to_string(seconds));
  using Clock = std::chrono::steady_clock;
  threads = resolve_threads(threads);
  // STREAM's triad a = b + s·c over three arrays of 64 MiB each, several times any last-level cache here.
  // Each thread touches its own slice first, so the pages sit where that thread runs.
  constexpr int64_t n = int64_t{1} << 24;
  std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n)), c(static_cast<size_t>(n));
  const int64_t slice = (n + threads - 1) / threads;
  std::vector<double> best(static_cast<size_t>(threads), 0.0);
  std::atomic<int> ready{0};
  parallel_for(threads, threads, [&](int64_t t) {
    const int64_t begin = t * slice, end = std::min(n, begin + slice);
    for (int64_t i = begin; i < end; ++i) b[i] = 1.0f, c[i] = 2.0f, a[i] = 0.0f;
    // Start together: a thread that runs alone would see the whole memory bus.
    ready.fetch_add(1);
    while (ready.load() < threads) std::this_thread::yield();
    const Clock::time_point start = Clock::now();
    const float s = 3.0f;
    do {
      const Clock::time_point t0 = Clock::now();
      for (int64_t i = begin; i < end; ++i) a[i] = b[i] + s * c[i];
      const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
      best[t] = std::max(best[t], 3.0 * sizeof(float) * static_cast<double>(end - begin) / elapsed);
    } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds);
  });
  volatile float keep = a[static_cast<size_t>(n / 2)];  // the stores are observable
  (void)keep;
  double total = 0;  // bytes as STREAM counts them: two reads and one write per element, no write-allocate
  for (double r : best) total += r;
  return total / 1e9;
}

}  // namespace fspd
