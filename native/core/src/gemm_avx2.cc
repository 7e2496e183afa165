// AVX2 level: compiled with -mavx2 -mfma, called only when the CPU has them.
#if defined(__x86_64__)

#include <immintrin.h>

#include "distance.h"
#include "gemm.h"
#include "half.h"
#include "gemm_driver.h"
#include "transpose_avx.h"

namespace fspd {
namespace {

// each<N>(f) calls f(Idx<0>{}), ..., f(Idx<N-1>{}): loops over a tile's registers unrolled at compile time.
// With runtime-indexed loops over the accumulator array, GCC 12 kept the 4×16 tile's accumulators on the stack
// (a load or a store around every FMA of its k loop: 1.7–2.4× the time of the fixed tile on 16- and 32-channel
// NHWC shapes); with constant indices they are registers.
template <int I>
struct Idx {
  static constexpr int value = I;
};
template <int N, class F>
inline void each(F&& f) {
  if constexpr (N > 0) {
    each<N - 1>(f);
    f(Idx<N - 1>{});
  }
}

// One tile shape: MR rows × NV vectors of 8 columns. All shapes share the cache blocks (KC above all: an
// element's sum is split into the same K blocks whichever shape computes it, so results do not depend on
// the shape).
template <int MR_, int NV>
struct Avx2 {
  static constexpr int MR = MR_, NR = 8 * NV;
  static constexpr int64_t KC = 256, MC = 144, NC = 2048;

  // Not inlined: compiled on its own, the tile keeps every accumulator and B vector in registers; inlined
  // at the driver's two call sites (whole and edge tiles) GCC 12 spilled some of either tile's.
  __attribute__((noinline)) static void tile(int64_t kc, const float* a, int64_t a_rs, int64_t a_step,
                                             const float* b, int64_t b_step, float* c, int64_t ldc, float alpha,
                                             float beta, bool stream, const float* pf, int64_t pf_lines) {
    __m256 acc[MR][NV];
    each<MR>([&](auto i) { each<NV>([&](auto v) { acc[i.value][v.value] = _mm256_setzero_ps(); }); });
    // The tile's share of prefetch lines is spread over its k loop, one every floor(kc / pf_lines) steps (all issued
    // by the end; one a step from the start, as before, when pf_lines > kc / 2), instead of always one per step from
    // the start (which the AVX-512 level still does; not measured there). Measured (Zen 3, blocks of 10–12 calls
    // alternating the two in one process, 7–9 rounds, median of the block ratios): NHWC forwards (64,64,64,32×32)
    // 0.91–0.97× the time (four runs, one and two threads), (256,16,32,32×32) 0.94–0.97×; the other forward and loss
    // cells 0.90–1.03×, but for the (128,16,16,32×32) NHWC forward at 1.07, 1.01 and 1.01× and the (32,48,24,24×24)
    // NHWC loss at 1.06× (one thread, one run).
    const int64_t pf_step = pf_lines > 0 && kc / pf_lines > 1 ? kc / pf_lines : 1;
    int64_t pf_due = 0;
    for (int64_t k = 0; k < kc; ++k, a += a_step, b += b_step) {
      if (k == pf_due && pf_lines > 0) {
        __builtin_prefetch(pf, 0, 2);
        pf += 16;
        --pf_lines;
        pf_due += pf_step;
      }
      __m256 bv[NV];
      each<NV>([&](auto v) { bv[v.value] = _mm256_loadu_ps(b + 8 * v.value); });
      each<MR>([&](auto i) {
        const __m256 ai = _mm256_broadcast_ss(a + i.value * a_rs);
        each<NV>([&](auto v) { acc[i.value][v.value] = _mm256_fmadd_ps(ai, bv[v.value], acc[i.value][v.value]); });
      });
    }
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    each<MR>([&](auto i) {
      each<NV>([&](auto v) {
        float* p = c + i.value * ldc + 8 * v.value;
        const __m256 r = _mm256_mul_ps(va, acc[i.value][v.value]);
        if (stream)
          _mm256_stream_ps(p, r);
        else
          _mm256_storeu_ps(p, beta == 0 ? r : _mm256_fmadd_ps(vb, _mm256_loadu_ps(p), r));
      });
    });
  }

  static void transpose8x8(const float* src, int64_t lds, float* dst, int64_t ldd) {
    transpose8x8_avx(src, lds, dst, ldd);
  }
};

// 6×16: 12 ymm accumulators + 2 for B + 1 broadcast fit the 16 registers.
using Wide = Avx2<6, 2>;
// 4×16: for the last 4 or 8 rows of a GEMM whose row count 6 does not divide (16, 32, 64 channels; h·w = 64,
// 256, 1024), beside Wide tiles for the others (sgemm_tiles), and alone for 4 or 8 rows or where A would have
// to be packed. Its 8 accumulators only just cover FMA latency × 2 ports: on packed operands in L1, one
// thread, 45–62 GFLOP/s against Wide's 80–82 (a throw-away loop, Zen 3), so it takes as few rows as it can.
// For NCHW forwards (A's rows and B's columns both along k) 4×16 tiles took 0.47–0.86× the time of a
// dot-product kernel (4×2 blocks of 8-lane sums along k, as at the AVX-512 level), which this level
// therefore does not have.
using Quad = Avx2<4, 2>;

// How C is written where its rows may be far apart (the transposed C of an NCHW backward: rows h·w floats apart).
// A streamed C (Matrix::stream) with aligned rows less than kFarRowFloats (4 KiB) apart: streamed by the tiles.
// Else a C with rows at least kStageMinRowFloats apart is staged (sgemm_staged) when it fits kStageMaxFloats,
// padded (the pad keeps rows 2^j floats apart out of the same few L1 sets); any other C gets plain stores.
// Measured on Zen 3 (in-process A/B of fused loss+grad, a runtime switch in one build): NHWC gradients (rows C ≤ 64
// floats apart) were 1.0–1.4× slower without streaming; NCHW gradients of 12×12 … 24×32 maps (rows 144–768
// floats apart; plain stores or staged before) took 0.62–0.99× the time streamed (one run of one shape 1.08×),
// 16×32 maps (rows 512 apart) 0.88–1.05×; rows 4 KiB apart (32×32 maps) took 1.01–1.37× streamed, not staged.
constexpr int64_t kFarRowFloats = 1024;
constexpr int64_t kStageMinRowFloats = 256, kStagePadFloats = 16, kStageMaxFloats = 128 * 1024;  // 512 KiB

// A thread's scratch: a PackBuffer, replaced by a larger one on demand.
class ThreadScratch {
 public:
  ~ThreadScratch() { delete buffer_; }
  float* get(int64_t floats) {
    if (floats > capacity_) {
      delete buffer_;
      buffer_ = nullptr;  // consistent if the allocation below throws
      capacity_ = 0;
      buffer_ = new PackBuffer(floats);
      capacity_ = floats;
    }
    return buffer_->get();
  }

 private:
  PackBuffer* buffer_ = nullptr;
  int64_t capacity_ = 0;
};

// A small operand for the rule below (k·n of B, m·k of A): G-sized, 64×64 at most.
constexpr int64_t kSmallOperandFloats = 64 * 64;

// The tile shapes for one GEMM. Rows 6 divides: Wide. Rows 6 does not divide but 4 does, with C at most two
// tiles wide or A's rows and B's columns both along k (NCHW forwards); rows 6i + 4 with a small B; and any
// rows 6 does not divide with a small A (NCHW backwards, A = dG): Wide tiles over all rows but the last 4
// (6i + 4) or 8 (6i + 2), Quad tiles for those, in one pass over B (sgemm_blocked<Wide, Quad>) when both use A
// in place; else Quad tiles alone, or the two parts one after the other (each packing B). Other C (a whole
// map as A, packed): Wide, its last tile computing rows for nothing. Measured on Zen 3 (in-process A/B, a
// runtime switch in one build, two runs each) against the rules before (Quad alone; the two parts one after
// the other; Wide with A packed for NCHW backwards): NHWC forwards at 16/32 channels 0.84–0.91× the time and
// their losses 0.86–0.93×, NCHW forwards 0.87–0.98×, (128,64,64,8×8) 0.92–1.00×; then NCHW backwards as well:
// NCHW losses (128,16,16,32×32) 0.83–0.85×, (256,16,32,32×32) 0.88–0.89×, (128,32,32,16×16) 0.91×,
// (64,64,64,32×32) 0.96×. The same for the NHWC forward of (64,64,64,32×32) (A = the whole first map, then in
// place with rows 64 floats apart) took 1.04–1.16×, so it stays Wide with A packed.
void sgemm_tiles(int64_t m, int64_t n, int64_t k, float alpha, ConstMatrix a, ConstMatrix b, float beta,
                 Matrix c, const Prefetch& next) {
  if (c.rs >= kFarRowFloats) c.stream = false;
  const int64_t rest = m % Wide::MR;
  const bool quad_rows = rest != 0 && m % Quad::MR == 0;
  const bool split = rest == Quad::MR && m > rest && n * k <= kSmallOperandFloats;
  const bool quad = quad_rows && (n <= 2 * Wide::NR || (!split && a.cs == 1 && b.rs == 1));
  const int64_t tail = rest == 4 ? 4 : rest == 2 ? 8 : 0, top = m - tail;  // rows for Quad tiles, the first
  const ConstMatrix a_tail{a.p + top * a.rs, a.rs, a.cs};
  const bool mixed = quad || split || m * k <= kSmallOperandFloats;
  if (mixed && tail != 0 && top > 0 && a_in_place<Wide>(a, top) && a_in_place<Quad>(a_tail, tail)) {
    sgemm_blocked<Wide, Quad>(m, n, k, alpha, a, b, beta, c, next, top);
  } else if (quad) {
    sgemm_blocked<Quad>(m, n, k, alpha, a, b, beta, c, next);
  } else if (split) {
    sgemm_blocked<Wide>(top, n, k, alpha, a, b, beta, c, next.shares(0, top, m));
    sgemm_blocked<Quad>(tail, n, k, alpha, a_tail, b, beta, {c.p + top * c.rs, c.rs, c.cs, c.stream},
                        next.shares(top, m, m));
  } else {
    sgemm_blocked<Wide>(m, n, k, alpha, a, b, beta, c, next);
  }
  if (c.stream) _mm_sfence();  // streamed stores are weakly ordered: publish them before returning
}

// C = alpha·A·B for a C whose rows are far apart: the tiles write it into this thread's scratch, rows
// kStagePadFloats longer (not 1–4 KiB apart, in the same few L1 sets), and it is copied into C row by row,
// front to back, streamed when C.stream. Measured on Zen 3 (in-process A/B of fused loss+grad, NCHW, two
// threads, 15–17 pairs a cell, eight runs; median of the runs, range): (128,32,32,16×16) 0.89× (0.69–1.02),
// (256,16,32,32×32) 0.93× (0.72–1.01), (64,64,64,32×32) 0.98× (0.87–1.02), (128,16,16,32×32) 0.94×
// (0.69–1.07); the large gains in the runs where everything ran slower (a busier machine). Same values: the
// tiles are the direct path's.
void sgemm_staged(int64_t m, int64_t n, int64_t k, float alpha, ConstMatrix a, ConstMatrix b, Matrix c,
                  const Prefetch& next) {
  thread_local ThreadScratch scratch;
  const int64_t ld = n + kStagePadFloats, n8 = n / 8 * 8;
  float* const t = scratch.get(m * ld);
  sgemm_tiles(m, n, k, alpha, a, b, 0.0f, {t, ld, 1}, next);
  const bool stream = c.stream && reinterpret_cast<uintptr_t>(c.p) % 32 == 0 && c.rs % 8 == 0;
  for (int64_t i = 0; i < m; ++i) {
    const float* src = t + i * ld;
    float* dst = c.p + i * c.rs;
    int64_t j = 0;
    if (stream)
      for (; j < n8; j += 8) _mm256_stream_ps(dst + j, _mm256_loadu_ps(src + j));
    else
      for (; j < n8; j += 8) _mm256_storeu_ps(dst + j, _mm256_loadu_ps(src + j));
    for (; j < n; ++j) dst[j] = src[j];
  }
  if (stream) _mm_sfence();  // streamed stores are weakly ordered: publish them before returning
}

void sgemm_avx2(int64_t m, int64_t n, int64_t k, float alpha, ConstMatrix a, ConstMatrix b, float beta,
                Matrix c, const Prefetch& next) {
  const bool tiles_stream = c.stream && c.cs == 1 && c.rs < kFarRowFloats && streamable(c.p, c.rs);
  const bool fits_stage = m * (n + kStagePadFloats) <= kStageMaxFloats;
  if (!tiles_stream && c.rs >= kStageMinRowFloats && c.cs == 1 && beta == 0 && fits_stage)
    return sgemm_staged(m, n, k, alpha, a, b, c, next);
  sgemm_tiles(m, n, k, alpha, a, b, beta, c, next);
}

// 12 independent chains cover FMA latency (4-5) × 2 ports and leave registers for the constants.
constexpr int kChains = 12;

float fma_chains(int64_t iterations) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 m = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-6f);  // converges to 1, stays finite
  for (int64_t it = 0; it < iterations; ++it)
#pragma GCC unroll 32  // keeps every chain in a register (else GCC loops over acc[] in memory)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, add);
  __m256 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm256_add_ps(sum, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0;
  for (float x : lanes) total += x;
  return total;
}

}  // namespace

const SimdKernels& avx2_kernels() {
  static const SimdKernels kernels{SimdLevel::Avx2, "avx2", Wide::MR, Wide::NR, sgemm_avx2,
                                   fma_chains,      kChains * 8 * 2.0,
                                   to_float16_avx2,   to_bfloat16_avx2,
                                   squared_distance_avx2};
  return kernels;
}

}  // namespace fspd

#endif  // __x86_64__
