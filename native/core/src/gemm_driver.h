// BLIS-style blocked SGEMM, parameterised by one SIMD level. Each level's translation unit
// (gemm_avx512.cc, gemm_avx2.cc, gemm_portable.cc) includes this, so the driver is compiled with that
// level's flags. Everything sits in an anonymous namespace and uses no standard-library templates:
// an inline function with external linkage compiled with AVX-512 flags could otherwise be picked by the
// linker for the portable path and crash an older CPU.
//
// A level L provides:
//   MR, NR          microkernel tile (NR a multiple of the vector width)
//   KC, MC, NC      cache blocks: a KC×NR packed B micro-panel stays in L1 while the MC×KC packed A
//                   block streams from L2; MC is a multiple of MR and NC of NR
//   tile(kc, a, a_rs, a_step, b, b_step, c, ldc, alpha, beta, stream, pf, pf_lines)  one full MR×NR tile
//                   of C (unit column stride): C = alpha·Σ_k a[i·a_rs + k·a_step]·b[k·b_step + j] + beta·C
//                   (beta == 0: C not read; stream: beta == 0 and C 64-byte aligned rows, may be written with
//                   non-temporal stores), prefetching the pf_lines lines of pf (16 floats each) into L2
//                   during its k loop (at most one a step). Packed panels have a_rs = 1, a_step = MR,
//                   b_step = NR; operands used in place their own strides.
//   transpose8x8(src, lds, dst, ldd)     dst[t·ldd + r] = src[r·lds + t] for r, t < 8
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>

#include "gemm.h"

namespace fspd {
namespace {

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// Packing buffer, 64-byte aligned so packed B rows match vector loads. Nothing is allocated for 0 floats (an
// operand used in place): without that allocation and its free in every GEMM, the cells of four bench shapes
// took 0.91–1.02× the time, median 0.98× (in-process A/B, AVX2, Zen 3, two threads, two runs).
class PackBuffer {
 public:
  explicit PackBuffer(int64_t floats)
      : p_(floats == 0 ? nullptr
                       : static_cast<float*>(
                             ::operator new(static_cast<size_t>(floats) * sizeof(float), std::align_val_t(64)))) {}
  ~PackBuffer() { ::operator delete(p_, std::align_val_t(64)); }
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;
  float* get() const { return p_; }

 private:
  float* p_;
};

// Packs `count` (<= W) lines of a panel into dst[k·W + i] for k < kc: line i starts at src + i·ps and
// its k-th element is at + k·ks. Lines count..W-1 are zero: the microkernel always computes a full tile
// and the padding lanes, discarded later, then never hit NaN or denormal slow paths.
// A panels are lines = rows of A (ps = A.rs, ks = A.cs); B panels are lines = columns of B.
template <class L, int W>
void pack_panel(const float* src, int64_t ps, int64_t ks, int count, int64_t kc, float* dst) {
  if (ps == 1 && count == W) {  // whole panel, lines contiguous at each k (e.g. NHWC maps as the B of a forward)
    for (int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * W, src + k * ks, W * sizeof(float));
    return;
  }
  int full = 0;  // lines [0, full) × k in [0, k8) were packed by 8×8 transposes
  int64_t k8 = 0;
  if (ks == 1) {  // every line is contiguous along k (e.g. NHWC maps as the A of a backward)
    full = count / 8 * 8;
    k8 = kc / 8 * 8;
    // 8 lines at a time along all of k, so a group's cache lines are used up while in L1: lines far apart
    // (the rows of an NCHW map, h·w floats) share few L1 sets. Against taking every group at each k (AVX2,
    // Zen 3, in-process A/B, three runs): NCHW forwards 0.88–0.97× the time at 32×32 maps, 0.97–1.00× at
    // 16×16, NCHW losses 0.96–1.00×; NHWC cells 0.99–1.01×.
    for (int i = 0; i < full; i += 8)
      for (int64_t k = 0; k < k8; k += 8) L::transpose8x8(src + i * ps + k, ps, dst + k * W + i, W);
  }
  // The rest: lines [full, W) for k < k8 (none when the transposes took whole panels), every line after.
  // Skipping the empty part: NCHW forwards 0.88–0.94× the time (AVX2, in-process A/B, two runs), the loop over
  // k < k8 with nothing to do in each step having been a third of the packing's samples in `perf`.
  for (int64_t k = full == W ? k8 : 0; k < kc; ++k) {
    const float* s = src + k * ks;
    float* d = dst + k * W;
    for (int i = k < k8 ? full : 0; i < count; ++i) d[i] = s[i * ps];
    for (int i = count; i < W; ++i) d[i] = 0;
  }
}

// Bytes of packed B per column block when A is used in place: well inside a 32–48 KiB L1.
constexpr int64_t kPackedBL1Bytes = 16384;

// All the panels of an operand whose lines are contiguous at each k, packed k by k into pack_panel's layout:
// src is read front to back, which the hardware prefetcher follows, instead of one W-float piece of every k
// per panel. Used for B with rows contiguous along n but far apart (NCHW maps as the B of a backward) when its
// panels are whole, and for every packed A of that kind (NHWC maps as the A of a forward, NCHW maps as the A of
// a backward). Packing A panel by panel was 12% of the (64,64,64,32×32) NHWC forward's samples (`perf`; its k
// rows are 256 B apart); k by k, that forward took 0.93–0.99× the time (six runs, five under 0.96×) and its
// loss+grad 0.92–1.00× (seven, median 0.98×) (AVX2, Zen 3, in-process A/B, two threads; other cells
// 0.95–1.02×). B's column blocks that end in a part panel keep pack_panel: by k they took 1.04–1.16× the time
// on 24/40-channel NHWC forwards. Lines past `lines` in the last panel are zero.
template <int W>
void pack_by_k(const float* src, int64_t ks, int64_t lines, int64_t kc, float* dst) {
  const int64_t full = lines / W * W;
  for (int64_t k = 0; k < kc; ++k) {
    const float* s = src + k * ks;
    for (int64_t i = 0; i < full; i += W) std::memcpy(dst + i * kc + k * W, s + i, W * sizeof(float));
    if (full == lines) continue;
    float* d = dst + full * kc + k * W;
    int64_t i = 0;
    for (; i < lines - full; ++i) d[i] = s[full + i];
    for (; i < W; ++i) d[i] = 0;
  }
}

// Hands out the lines of a Prefetch in equal shares, one per microkernel call, which issues them
// spread over its k loop (a burst of them would stall the loads of the arithmetic).
class Prefetcher {
 public:
  Prefetcher(const Prefetch& next, int64_t calls) : next_(next) {
    int64_t lines = 0;
    for (const Prefetch::Range& r : next.ranges) lines += (r.floats + 15) / 16;  // 16 floats per 64-byte line
    per_call_ = lines == 0 ? 0 : (lines + calls - 1) / calls + 1;  // +1: a share cut short where a range ends
  }

  // The next share, at most max_lines lines from one range: sets *lines and returns the first line.
  const float* share(int64_t max_lines, int64_t* lines) {
    while (range_ < 2 && at_ >= next_.ranges[range_].floats) {
      ++range_;
      at_ = 0;
    }
    *lines = 0;
    if (range_ == 2) return nullptr;
    const Prefetch::Range& r = next_.ranges[range_];
    const float* first = r.p + at_;
    *lines = imin(imin(per_call_, max_lines), (r.floats - at_ + 15) / 16);
    at_ += *lines * 16;
    return first;
  }

 private:
  const Prefetch& next_;
  int64_t per_call_ = 0, at_ = 0;
  int range_ = 0;
};

// What a GEMM of more than one K block prefetches while its tiles compute block [pc, pc + kc_max): the next K block
// of A and B, and during the last one the next sample's first (next's first share of as many as the GEMM has
// K blocks). Spreading all of the next sample over the GEMM instead overfilled the L2 with large samples: the
// (64,64,64,32×32) NHWC forward reads 512 KiB of maps a sample, as much as a Zen 3 L2, and the next sample's
// lines evicted this one's later K blocks before they were read. Only where both operands' K blocks are
// contiguous (A's m lines contiguous at each k and nothing between them, B's n columns likewise: NHWC maps as a
// forward's operands), in a GEMM of one column block; false otherwise. Measured (AVX2, Zen 3, two threads, blocks
// of 10 calls alternating the two, three to five runs): NHWC forwards (256,16,32,32×32) 0.82–0.85× the time,
// (64,64,64,32×32) 0.92–0.98×, (128,16,16,32×32) 0.94–1.06×, (32,48,24,24×24) 1.00×; NHWC fused losses (their
// first GEMM) 0.93–1.00×, (128,16,16,32×32) 0.98–1.04×; one thread, the three forwards 0.92–0.96×.
inline bool k_block_prefetch(ConstMatrix a, ConstMatrix b, int64_t m, int64_t n, int64_t k, int64_t pc,
                             int64_t kc_max, const Prefetch& next, Prefetch* out) {
  if (k <= kc_max || a.rs != 1 || a.cs != m || b.cs != 1 || b.rs != n) return false;
  const int64_t at = pc + kc_max;
  if (at < k) {
    const int64_t kc = imin(kc_max, k - at);
    *out = Prefetch{{{a.p + at * m, kc * m}, {b.p + at * n, kc * n}}};
  } else {
    *out = next.part(0, (k + kc_max - 1) / kc_max);
  }
  return true;
}

// An operand is used in place, unpacked, when its panels already have the packed layout (the values of
// one k contiguous, e.g. NHWC maps in a forward) and are all full. Only short k strides qualify: rows
// 512 B or more apart fall into few L1 sets and evict each other, which is what packing prevents.
inline bool in_place(int64_t line_stride, int64_t k_stride, int64_t lines, int width) {
  return line_stride == 1 && lines % width == 0 && k_stride <= 64;
}

// B with rows contiguous along n but far apart (NCHW maps as the B of a backward) is used in place too when
// all of k fits one block and rows are at most 1 KiB apart: its lines then come from L2 at a rate the
// microkernel absorbs, which beat packing (copying the whole map) by ~5% at 16×16 maps. Rows 4 KiB apart
// (32×32 maps) all fall into one L1 set and evict each other: those are packed.
inline bool short_rows_in_place(ConstMatrix b, int64_t n, int64_t k, int nr, int64_t kc) {
  return b.cs == 1 && n % nr == 0 && k <= kc && b.rs <= 256;
}

// A with rows contiguous along k (NCHW maps in a forward, NHWC maps in a backward) needs no transposing
// pack either when its panels are full: the microkernel broadcasts each element straight from its row.
inline bool rows_in_place(ConstMatrix a, int64_t m, int mr) { return a.cs == 1 && m % mr == 0; }

// Whether tiles of L use m rows of A in place (unpacked).
template <class L>
bool a_in_place(ConstMatrix a, int64_t m) {
  return in_place(a.rs, a.cs, m, L::MR) || rows_in_place(a, m, L::MR);
}

// Edge tiles and tiles of a C without unit column stride run the same full-tile code on a local copy, so an
// element's value never depends on where tile boundaries fall. Not inlined, and micro always inlined: with
// micro at two call sites (sgemm_blocked<L, Q>) GCC 12 kept it a function whose stack frame (this copy) every
// whole tile paid; inlined, the same binary's A/B read 0.77–0.91× the time at (128,64,64,8×8), 0.89–0.97× at
// 16/32 channels and 0.95–0.99× at (64,64,64,32×32) (AVX2, Zen 3, two runs).
template <class L>
__attribute__((noinline)) void edge_tile(int64_t kc, const float* a, int64_t a_rs, int64_t a_step, const float* b,
                                         int64_t b_step, float* c, int64_t rs, int64_t cs, int64_t m, int64_t n,
                                         float alpha, float beta, const float* pf, int64_t pf_lines) {
  alignas(64) float t[L::MR * L::NR];
  if (beta != 0) {
    std::memset(t, 0, sizeof t);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) t[i * L::NR + j] = c[i * rs + j * cs];
  }
  L::tile(kc, a, a_rs, a_step, b, b_step, t, L::NR, alpha, beta, false, pf, pf_lines);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * rs + j * cs] = t[i * L::NR + j];
}

// Whether tiles may stream into C rows starting at c, rs floats apart: whole vectors of 64-byte aligned rows.
inline bool streamable(const float* c, int64_t rs) { return reinterpret_cast<uintptr_t>(c) % 64 == 0 && rs % 16 == 0; }

// One tile of C, m × n of it in C (an edge tile when less than MR × NR).
template <class L>
__attribute__((always_inline)) inline void micro(int64_t kc, const float* a, int64_t a_rs, int64_t a_step,
                                                 const float* b, int64_t b_step, float* c, int64_t rs, int64_t cs,
                                                 int64_t m, int64_t n, float alpha, float beta, bool stream,
                                                 const float* pf, int64_t pf_lines) {
  if (m == L::MR && n == L::NR && cs == 1) {
    stream = stream && beta == 0 && streamable(c, rs);
    return L::tile(kc, a, a_rs, a_step, b, b_step, c, rs, alpha, beta, stream, pf, pf_lines);
  }
  edge_tile<L>(kc, a, a_rs, a_step, b, b_step, c, rs, cs, m, n, alpha, beta, pf, pf_lines);
}

// C = alpha·A·B + beta·C in tiles of L, or, with Q and top < m, rows [0, top) in L tiles and rows [top, m) in
// Q tiles of the same NR and KC over one packing of B. Q tiles need A in place for both (a_in_place): packed A
// panels have L's width. The shapes give the same values (same K blocks), so without that all rows take L.
template <class L, class Q = L>
void sgemm_blocked(int64_t m, int64_t n, int64_t k, float alpha, ConstMatrix a, ConstMatrix b, float beta,
                   Matrix c, const Prefetch& next, int64_t top = -1) {
  static_assert(L::MC % L::MR == 0 && L::NC % L::NR == 0, "cache blocks must hold whole tiles");
  static_assert(Q::NR == L::NR && Q::KC == L::KC, "both tile shapes read the same packed B");
  if (top < 0 || top > m) top = m;
  if (top < m && !(a_in_place<L>(a, top) && a_in_place<Q>({a.p + top * a.rs, a.rs, a.cs}, m - top))) top = m;
  const int64_t row_tiles = (top + L::MR - 1) / L::MR + (m - top + Q::MR - 1) / Q::MR;
  Prefetcher prefetcher(next, row_tiles * ((n + L::NR - 1) / L::NR) * ((k + L::KC - 1) / L::KC));
  const bool a_direct = top < m || a_in_place<L>(a, m);
  const bool b_direct = in_place(b.cs, b.rs, n, L::NR) || short_rows_in_place(b, n, k, L::NR, L::KC);
  PackBuffer pa(a_direct ? 0 : imin(round_up(m, L::MR), L::MC) * imin(k, L::KC));
  PackBuffer pb(b_direct ? 0 : imin(round_up(n, L::NR), L::NC) * imin(k, L::KC));
  const int64_t a_rs = a_direct ? a.rs : 1, a_step = a_direct ? a.cs : L::MR, b_step = b_direct ? b.rs : L::NR;
  const bool stream = c.stream && k <= L::KC;  // one pass over C: streamed tiles are never read back
  // With A used in place nothing is packed per column block, so a packed B goes in blocks of at most
  // kPackedBL1Bytes, which its tiles then read from L1: an NCHW backward (k = C2 ≤ 128) packs its whole map
  // otherwise, and reads it back from L2 (loss+grad (128,16,16,32×32) and (256,16,32,32×32) NCHW 6–16% faster).
  const int64_t nc_block = a_direct && !b_direct
                               ? std::max<int64_t>(L::NR, imin(L::NC, kPackedBL1Bytes / (4 * imin(k, L::KC)) / L::NR * L::NR))
                               : L::NC;
  for (int64_t jc = 0; jc < n; jc += nc_block) {
    const int64_t nc = imin(nc_block, n - jc);
    for (int64_t pc = 0; pc < k; pc += L::KC) {
      const int64_t kc = imin(L::KC, k - pc);
      Prefetch block_next;
      const bool by_block = nc == n && k_block_prefetch(a, b, m, n, k, pc, L::KC, next, &block_next);
      Prefetcher block_prefetcher(block_next, row_tiles * ((n + L::NR - 1) / L::NR));
      Prefetcher& prefetch_from = by_block ? block_prefetcher : prefetcher;
      const float beta_pc = pc == 0 ? beta : 1.0f;  // later K blocks add to the first
      if (!b_direct && b.cs == 1 && nc % L::NR == 0)
        pack_by_k<L::NR>(b.p + pc * b.rs + jc, b.rs, nc, kc, pb.get());
      else
        for (int64_t jr = 0; jr < nc && !b_direct; jr += L::NR)
          pack_panel<L, L::NR>(b.p + pc * b.rs + (jc + jr) * b.cs, b.cs, b.rs,
                                static_cast<int>(imin(L::NR, nc - jr)), kc, pb.get() + jr * kc);
      for (int64_t ic = 0, mc = 0; ic < m; ic += mc) {
        mc = imin(L::MC, m - ic);
        if (ic + mc > top) mc = m - ic;  // the Q rows (fewer than an MC) stay in the block where they start
        if (!a_direct && a.rs == 1)
          pack_by_k<L::MR>(a.p + ic + pc * a.cs, a.cs, mc, kc, pa.get());
        else
          for (int64_t ir = 0; ir < mc && !a_direct; ir += L::MR)
            pack_panel<L, L::MR>(a.p + (ic + ir) * a.rs + pc * a.cs, a.rs, a.cs,
                                  static_cast<int>(imin(L::MR, mc - ir)), kc, pa.get() + ir * kc);
        for (int64_t jr = 0; jr < nc; jr += L::NR) {
          const float* bp = b_direct ? b.p + pc * b.rs + jc + jr : pb.get() + jr * kc;
          for (int64_t ir = 0; ir < mc;) {
            const int64_t i = ic + ir;
            const float* ap = a_direct ? a.p + i * a.rs + pc * a.cs : pa.get() + ir * kc;
            float* cp = c.p + i * c.rs + (jc + jr) * c.cs;
            int64_t pf_lines;
            const float* pf = prefetch_from.share(kc, &pf_lines);
            if (i < top) {
              micro<L>(kc, ap, a_rs, a_step, bp, b_step, cp, c.rs, c.cs, imin(L::MR, top - i), imin(L::NR, nc - jr),
                       alpha, beta_pc, stream, pf, pf_lines);
              ir += L::MR;
            } else {
              micro<Q>(kc, ap, a_rs, a_step, bp, b_step, cp, c.rs, c.cs, imin(Q::MR, m - i), imin(L::NR, nc - jr),
                       alpha, beta_pc, stream, pf, pf_lines);
              ir += Q::MR;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace fspd
