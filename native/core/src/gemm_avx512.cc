// AVX-512 level: compiled with -mavx512f -mavx512vl -mfma, called only when the CPU has them.
#if defined(__x86_64__)

#include <immintrin.h>

#include "distance.h"
#include "gemm.h"
#include "half.h"
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
                   float* c, int64_t ldc, float alpha, float beta, bool stream, const float* pf,
                   int64_t pf_lines) {
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
        if (stream)
          _mm512_stream_ps(p, r);
        else
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

// Dot-product form, for A rows and B columns that are both contiguous along k (the FSP forward of NCHW maps:
// G = X·Yᵀ with X, Y the C×hw rows of the maps). Each element of C is a dot product of two contiguous
// vectors: a DR×DS block keeps DR·DS accumulators of 16 lanes, streams its DR + DS rows along k with
// plain vector loads (no packing, no transposes), and reduces each accumulator once at the end. Every
// element goes through the same lane sums and the same reduction tree whichever block holds it.
constexpr int DR = 4, DS = 4;
// Long k only: a block's 16 reductions cost about as much as 8 of its k steps; measured (one thread, 64 and
// 32 channels) at k = 64 five times slower than the blocked kernel, at k = 256 no faster, at k = 1024 as fast.
constexpr int64_t kDotMinK = 512;

// Sum of the 16 lanes in a fixed order (halves, then quarters, ...). Through memory: GCC 12's shuffle and
// extract intrinsics warn about their undefined pass-through operand.
inline float reduce16(__m512 v) {
  alignas(64) float l[16];
  _mm512_store_ps(l, v);
  for (int w = 8; w >= 1; w /= 2)
    for (int i = 0; i < w; ++i) l[i] += l[i + w];
  return l[0];
}

// The 16 lane sums of a full 4×4 block at once: four levels of shuffles and adds, each level pairing the lanes
// reduce16 pairs at that level (i with i+8, then i+4, i+2, i+1), so every sum is bit-equal to reduce16's and
// an element's value does not depend on whether a full or an edge block computed it. Lane 4·j + i of the
// result is the sum of acc[i][j]. About 30 instructions for 16 sums instead of 16 trips through memory.
// (GCC 12's plain _mm512_shuffle_f32x4 warns about its undefined pass-through operand; the masked form with
// every lane selected is the same instruction.)
template <int Imm>
inline __m512 shuffle_blocks(__m512 a, __m512 b) {
  return _mm512_mask_shuffle_f32x4(a, 0xFFFF, a, b, Imm);
}

inline __m512 reduce4x4(const __m512 (&acc)[4][4]) {
  __m512 l1[8], l2[4], l3[2];
  for (int e = 0; e < 8; ++e) {  // lanes i + (i+8): 256-bit halves
    const __m512 a = acc[(2 * e) / 4][(2 * e) % 4], b = acc[(2 * e + 1) / 4][(2 * e + 1) % 4];
    l1[e] = _mm512_add_ps(shuffle_blocks<0x44>(a, b), shuffle_blocks<0xEE>(a, b));
  }
  for (int e = 0; e < 4; ++e)  // lanes i + (i+4): 128-bit blocks
    l2[e] = _mm512_add_ps(shuffle_blocks<0x88>(l1[2 * e], l1[2 * e + 1]), shuffle_blocks<0xDD>(l1[2 * e], l1[2 * e + 1]));
  for (int e = 0; e < 2; ++e)  // lanes i + (i+2) within each block
    l3[e] = _mm512_add_ps(_mm512_shuffle_ps(l2[2 * e], l2[2 * e + 1], 0x44),
                          _mm512_shuffle_ps(l2[2 * e], l2[2 * e + 1], 0xEE));
  return _mm512_add_ps(_mm512_shuffle_ps(l3[0], l3[1], 0x88), _mm512_shuffle_ps(l3[0], l3[1], 0xDD));  // i + (i+1)
}

template <int R, int S>
void dot_block(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t rs, int64_t cs,
               float alpha, float beta, const float* pf, int64_t pf_lines) {
  __m512 acc[R][S];
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < S; ++j) acc[i][j] = _mm512_setzero_ps();
  int64_t kk = 0, step = 0;
  for (; kk + 16 <= k; kk += 16, ++step) {
    if (step < pf_lines) __builtin_prefetch(pf + 16 * step, 0, 2);
    __m512 av[R], bv[S];
    for (int i = 0; i < R; ++i) av[i] = _mm512_loadu_ps(a + i * lda + kk);
    for (int j = 0; j < S; ++j) bv[j] = _mm512_loadu_ps(b + j * ldb + kk);
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < S; ++j) acc[i][j] = _mm512_fmadd_ps(av[i], bv[j], acc[i][j]);
  }
  if (kk < k) {  // the tail: masked loads read nothing past the rows' ends
    const __mmask16 mask = static_cast<__mmask16>((1u << (k - kk)) - 1);
    __m512 av[R], bv[S];
    for (int i = 0; i < R; ++i) av[i] = _mm512_maskz_loadu_ps(mask, a + i * lda + kk);
    for (int j = 0; j < S; ++j) bv[j] = _mm512_maskz_loadu_ps(mask, b + j * ldb + kk);
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < S; ++j) acc[i][j] = _mm512_fmadd_ps(av[i], bv[j], acc[i][j]);
  }
  if constexpr (R == 4 && S == 4) {
    alignas(64) float sums[16];
    _mm512_store_ps(sums, reduce4x4(acc));
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < S; ++j) {
        float* p = c + i * rs + j * cs;
        const float r = alpha * sums[4 * j + i];
        *p = beta == 0 ? r : beta * *p + r;
      }
    return;
  }
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < S; ++j) {
      float* p = c + i * rs + j * cs;
      const float r = alpha * reduce16(acc[i][j]);
      *p = beta == 0 ? r : beta * *p + r;
    }
}

// Blocks of DR×DS, edge blocks by the narrower instances of the same code.
template <int R>
void dot_row(int64_t n, int64_t k, const float* a, int64_t lda, ConstMatrix b, float* c, int64_t rs, int64_t cs,
             float alpha, float beta, Prefetcher& prefetcher) {
  for (int64_t j = 0; j < n; j += DS) {
    int64_t pf_lines;
    const float* pf = prefetcher.share(k / 16, &pf_lines);
    const float* bj = b.p + j * b.cs;
    float* cj = c + j * cs;
    switch (imin(DS, n - j)) {
      case 4: dot_block<R, 4>(k, a, lda, bj, b.cs, cj, rs, cs, alpha, beta, pf, pf_lines); break;
      case 3: dot_block<R, 3>(k, a, lda, bj, b.cs, cj, rs, cs, alpha, beta, pf, pf_lines); break;
      case 2: dot_block<R, 2>(k, a, lda, bj, b.cs, cj, rs, cs, alpha, beta, pf, pf_lines); break;
      default: dot_block<R, 1>(k, a, lda, bj, b.cs, cj, rs, cs, alpha, beta, pf, pf_lines); break;
    }
  }
}

void sgemm_dot(int64_t m, int64_t n, int64_t k, float alpha, ConstMatrix a, ConstMatrix b, float beta, Matrix c,
               const Prefetch& next) {
  Prefetcher prefetcher(next, (m + DR - 1) / DR * ((n + DS - 1) / DS));
  for (int64_t i = 0; i < m; i += DR) {
    const float* ai = a.p + i * a.rs;
    float* ci = c.p + i * c.rs;
    switch (imin(DR, m - i)) {
      case 4: dot_row<4>(n, k, ai, a.rs, b, ci, c.rs, c.cs, alpha, beta, prefetcher); break;
      case 3: dot_row<3>(n, k, ai, a.rs, b, ci, c.rs, c.cs, alpha, beta, prefetcher); break;
      case 2: dot_row<2>(n, k, ai, a.rs, b, ci, c.rs, c.cs, alpha, beta, prefetcher); break;
      default: dot_row<1>(n, k, ai, a.rs, b, ci, c.rs, c.cs, alpha, beta, prefetcher); break;
    }
  }
}

void sgemm_avx512(int64_t m, int64_t n, int64_t k, float alpha, ConstMatrix a, ConstMatrix b, float beta,
                  Matrix c, const Prefetch& next) {
  if (a.cs == 1 && b.rs == 1 && k >= kDotMinK) return sgemm_dot(m, n, k, alpha, a, b, beta, c, next);
  if (n <= Narrow::NR)
    sgemm_blocked<Narrow>(m, n, k, alpha, a, b, beta, c, next);
  else
    sgemm_blocked<Wide>(m, n, k, alpha, a, b, beta, c, next);
  if (c.stream) _mm_sfence();  // streamed stores are weakly ordered: publish them before returning
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
                                   fma_chains,        kChains * 16 * 2.0,
                                   to_float16_avx512, to_bfloat16_avx512,
                                   squared_distance_avx2};  // 8 lanes: AVX2's two vectors (every AVX-512 CPU has AVX2)
  return kernels;
}

}  // namespace fspd

#endif  // __x86_64__
