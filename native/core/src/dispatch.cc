// Picks the SIMD level once per process: the best the CPU (and OS) supports, capped by FSPD_SIMD.
#include <cstdlib>
#include <cstring>

#include "gemm.h"

namespace fspd {
namespace {

const SimdKernels& best_supported() {
#if defined(FSPD_HAVE_X86_LEVELS)
  // __builtin_cpu_supports also checks that the OS saves the wider registers (XCR0).
  // The AVX-512 level also runs AVX2 code (its squared_distance), which every AVX-512 CPU has.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("avx2"))
    return avx512_kernels();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) return avx2_kernels();
#endif
  return portable_kernels();
}

// FSPD_SIMD=avx512|avx2|portable lowers the level (tests and benchmarks use it to exercise each one on
// one machine); it never raises it above what the CPU runs. Other values are ignored.
const SimdKernels& choose() {
  const SimdKernels& best = best_supported();
  const char* cap = std::getenv("FSPD_SIMD");
  if (cap == nullptr) return best;
  const SimdKernels* levels[] = {
#if defined(FSPD_HAVE_X86_LEVELS)
      &avx512_kernels(), &avx2_kernels(),
#endif
      &portable_kernels()};
  for (const SimdKernels* level : levels)
    if (std::strcmp(cap, level->name) == 0) return level->level < best.level ? *level : best;
  return best;
}

}  // namespace

const SimdKernels& simd_kernels() {
  static const SimdKernels& chosen = choose();  // thread-safe one-time initialisation
  return chosen;
}

}  // namespace fspd
