// Build facts and the FMA peak the benchmarks compare kernels against.
#include <chrono>
#include <cmath>
#include <string>
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

}  // namespace fspd
