// Internal: the strided SGEMM every FSP computation maps onto, and the per-SIMD-level kernels behind it.
#pragma once

#include <cstdint>

namespace fspd {

// A strided matrix view: element (i, j) lives at p[i*rs + j*cs]. Transposing a view swaps rs and cs,
// which is how the FSP ops express Xᵀ·Y and friends without copying whole maps.
struct ConstMatrix {
  const float* p;
  int64_t rs, cs;
  ConstMatrix t() const { return {p, cs, rs}; }
};
struct Matrix {
  float* p;
  int64_t rs, cs;
  // Write with non-temporal (streaming) stores where whole aligned vectors allow: for outputs written
  // once and read by nobody soon, e.g. gradients larger than the caches. Spares the read-for-ownership
  // of every line, a third of a big fused loss's memory traffic.
  bool stream = false;
};

// Memory the caller reads next: the next sample's maps. A sample's GEMMs prefetch them into L2 (the forward
// alone, or each GEMM of a fused loss a share), a few lines per step of their microkernels' k loops, so the
// transfer overlaps arithmetic instead of stalling the next sample's first GEMM (measured: 10-25% faster
// forwards at the bench shapes). A GEMM of several contiguous K blocks fetches its own next block instead, and the
// next sample's first during its last (k_block_prefetch in gemm_driver.h).
struct Prefetch {
  struct Range {
    const float* p = nullptr;
    int64_t floats = 0;
  };
  Range ranges[2];
  Prefetch part(int64_t i, int64_t parts) const { return shares(i, i + 1, parts); }  // the i-th of `parts` equal shares
  Prefetch shares(int64_t first, int64_t last, int64_t parts) const;  // shares [first, last) of `parts`, of both ranges
};

enum class SimdLevel { Portable = 0, Avx2 = 1, Avx512 = 2 };

// One SIMD level's single-threaded kernels. Each level lives in its own translation unit, compiled
// with that level's flags, so nothing here may be called unless the CPU supports the level.
struct SimdKernels {
  SimdLevel level;
  const char* name;  // "portable", "avx2", "avx512"
  int mr, nr;        // microkernel tile: callers split work on these boundaries
  // C = alpha·A·B + beta·C with A m×k, B k×n. beta == 0: C is only written (it may hold NaN).
  void (*sgemm)(int64_t m, int64_t n, int64_t k, float alpha, ConstMatrix a, ConstMatrix b, float beta,
                Matrix c, const Prefetch& next);
  // Runs `iterations` rounds of independent FMA chains (the timing is done by the portable caller);
  // returns a value depending on all of them so the work cannot be optimised away.
  float (*fma_chains)(int64_t iterations);
  double flops_per_iteration;
  // float32 → float16 / bfloat16 bit patterns (fspd::to_float16, to_bfloat16; half.h has the scalar ones).
  void (*to_float16)(const float* src, uint16_t* dst, int64_t n);
  void (*to_bfloat16)(const float* src, uint16_t* dst, int64_t n);
  // The loss's Σ (g − t)² and dg = scale·(g − t) (distance.h; the same bits at every level).
  double (*squared_distance)(const float* g, const float* t, int64_t n, double scale, float* dg);
};

// The AVX2 and AVX-512 levels exist when the build compiled them (x86-64 with GCC or Clang).
#if defined(__x86_64__) && defined(FSPD_X86_LEVELS)
#define FSPD_HAVE_X86_LEVELS 1
#endif

const SimdKernels& portable_kernels();
#if defined(FSPD_HAVE_X86_LEVELS)
const SimdKernels& avx2_kernels();
const SimdKernels& avx512_kernels();
#endif

// The level in use: the best one this CPU runs, capped by FSPD_SIMD=avx512|avx2|portable (dispatch.cc).
const SimdKernels& simd_kernels();

// sgemm of the active level on up to `threads` threads, splitting C into tile-aligned blocks.
// Every element is computed by the same instruction sequence whatever the split, so the result does
// not depend on the thread count.
void sgemm(int64_t m, int64_t n, int64_t k, float alpha, ConstMatrix a, ConstMatrix b, float beta, Matrix c,
           int threads, const Prefetch& next = {});

}  // namespace fspd
