// AVX-512 level: compiled with -mavx512f -mavx512vl -mfma, called only when the CPU has them.
#if defined(__x86_64__)

#include <immintrin.h>

#include "gemm.h"
#include "gemm_driver.h"
#include "transpose_avx.h"

namespace fspd {
namespace {

// One tile shape: MR rows × NV vectors of 16 columns. All shapes share the cache blocks (KC above all:
// an element's sum is split into the same K blocks whichever shape computes it, so results do not
// depend on the shape). KC = 128 keeps a 128×32 B micro-panel (16 KiB) well inside the 48 KiB L1
// next to the A panel (256 measured 5-10% slower, 512 40% slower on the forward); the A block is in L2.
template <int MR_, int NV>
struct Avx512 {
  static constexpr int MR = MR_, NR = 16 * NV;
  static constexpr int64_t KC = 128, MC = 192, NC = 2048;

  static void tile(int64_t kc, const float* a, int64_t a_rs, int64_t a_step, const float* b, int64_t b_step,
                   float* c, int64_t ldc, float alpha, float beta, const float* pf, int64_t pf_lines) {
    __m512 acc[MR][NV];
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
    // Rows 8..15 are addressed from a second base with the offsets of rows 0..7, so A read in place
    // from its rows takes 8 offset registers, not 16 (which would spill inside the k loop).
    const float* base[2] = {a, a + 8 * a_rs};
    for (int64_t k = 0; k < kc; ++k, base[0] += a_step, base[1] += a_step, b += b_step) {
      if (k < pf_lines) __builtin_prefetch(pf + 16 * k, 0, 2);
      __m512 bv[NV];
      for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
      for (int i = 0; i < MR; ++i) {
        const __m512 ai = _mm512_set1_ps(base[i / 8][(i % 8) * a_rs]);
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
      }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < NV; ++v) {
        float* p = c + i * ldc + 16 * v;
        const __m512 r = _mm512_mul_ps(va, acc[i][v]);
        _mm512_storeu_ps(p, beta == 0 ? r : _mm512_fmadd_ps(vb, _mm512_loadu_ps(p), r));
      }
  }

  static void transpose8x8(const float* src, int64_t lds, float* dst, int64_t ldd) {
    transpose8x8_avx(src, lds, dst, ldd);
  }
};

// 8×32: 16 zmm accumulators cover FMA latency × 2 ports; a k step is 2 vector loads and 8 broadcasts
// for 16 FMAs, and 8 | 16, 32, 64 channels, so typical FSP matrices have no edge tiles.
using Wide = Avx512<8, 2>;
// 16×16 for C at most 16 wide (16-channel maps), where 8×32 would compute half its tile for nothing.
using Narrow = Avx512<16, 1>;

void sgemm_avx512(int64_t m, int64_t n, int64_t k, float alpha, ConstMatrix a, ConstMatrix b, float beta,
                  Matrix c, const Prefetch& next) {
  if (n <= Narrow::NR)
    sgemm_blocked<Narrow>(m, n, k, alpha, a, b, beta, c, next);
  else
    sgemm_blocked<Wide>(m, n, k, alpha, a, b, beta, c, next);
}

// 24 independent chains: more than FMA latency (4) × ports (2), so throughput, not latency, bounds it.
constexpr int kChains = 24;

float fma_chains(int64_t iterations) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 m = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-6f);  // converges to 1, stays finite
  for (int64_t it = 0; it < iterations; ++it)
#pragma GCC unroll 32  // keeps every chain in a register (else GCC loops over acc[] in memory)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, add);
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  alignas(64) float lanes[16];  // not _mm512_reduce_add_ps: GCC 12's header warns inside it
  _mm512_store_ps(lanes, sum);
  float total = 0;
  for (float x : lanes) total += x;
  return total;
}

}  // namespace

const SimdKernels& avx512_kernels() {
  static const SimdKernels kernels{SimdLevel::Avx512, "avx512", Wide::MR, Wide::NR, sgemm_avx512,
                                   fma_chains,        kChains * 16 * 2.0};
  return kernels;
}

}  // namespace fspd

#endif  // __x86_64__
