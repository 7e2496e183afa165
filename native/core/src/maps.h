// Internal: one sample of a feature map as a matrix, and the per-sample FSP products every public
// function is built from.
#pragma once

#include <atomic>
#include <cstdint>

#include "fspd/fsp.h"
#include "gemm.h"
#include "parallel.h"

namespace fspd {

// The geometry of one sample of a map.
struct Geometry {
  int64_t height, width, channels;
  Layout layout;
  int64_t spatial() const { return height * width; }
  int64_t size() const { return height * width * channels; }
};

inline Geometry geometry(const MapView& m) { return {m.height, m.width, m.channels, m.layout}; }

// A sample as an (h·w)×C matrix, element (s, c) = spatial position s, channel c, in either layout.
inline ConstMatrix as_matrix(const float* p, const Geometry& g) {
  return g.layout == Layout::NHWC ? ConstMatrix{p, g.channels, 1} : ConstMatrix{p, 1, g.spatial()};
}
inline Matrix as_matrix(float* p, const Geometry& g) {
  return g.layout == Layout::NHWC ? Matrix{p, g.channels, 1} : Matrix{p, 1, g.spatial()};
}

// Whether the kernels write an output of `total_floats` floats in all for the caller (a forward's FSP matrices, a
// gradient) with streaming stores (Matrix::stream), from 256 KiB. A plain store first reads its line
// (read-for-ownership) from wherever the output last was: memory, or the other core's cache when samples went to
// either thread. Measured (AVX2, Zen 3; blocks of 20 calls alternating plain and streamed, median of 9–11 block
// pairs), two threads: forwards with 256 KiB – 2 MiB of matrices took 0.77–0.98× the time (64×64 channels over
// 8×8 maps, 32×32 over 16×16), 0.84–1.00× with a scalar pass over the matrices after each call; fused losses with
// 256 KiB – 2 MiB gradients 0.80–1.01×, 0.86–1.01× with a pass over the gradients; one thread 0.92–1.04×. Below,
// no gain: at 32–128 KiB 0.92–1.06× with the pass. (Before: gradients from 4 MiB, matrices never.) Forwards with
// more than one K block (h·w > 256) read their matrices back between blocks and keep plain stores (sgemm_blocked).
inline bool stream_output(int64_t total_floats) {
  return total_floats * static_cast<int64_t>(sizeof(float)) >= (int64_t{256} << 10);
}

// A sample of a gradient output of `total_floats` floats in all (stream_output).
inline Matrix gradient_matrix(float* p, const Geometry& g, int64_t total_floats) {
  Matrix m = as_matrix(p, g);
  m.stream = stream_output(total_floats);
  return m;
}

// Runs fn(b, inner_threads, next) for every sample b; next is the sample the same thread runs after b
// (-1 if none), for fn to prefetch. With at least as many samples as threads, each thread takes samples
// one at a time from a shared counter, claiming its next one before running the current one; with
// fewer, samples run one after another with all threads inside their GEMMs.
template <class Fn>
void for_each_sample(int64_t batch, int threads, const Fn& fn) {
  if (batch < threads || threads == 1) {
    for (int64_t b = 0; b < batch; ++b) fn(b, threads, b + 1 < batch ? b + 1 : -1);
    return;
  }
  std::atomic<int64_t> counter{0};
  parallel_for(threads, threads, [&](int64_t) {
    for (int64_t b = counter.fetch_add(1); b < batch;) {
      const int64_t next = counter.fetch_add(1);
      fn(b, 1, next < batch ? next : -1);
      b = next;
    }
  });
}

// G (c1×c2, row-major) = Xᵀ·Y/hw for one sample; x is hw×c1, y is hw×c2. stream: G may be written with streaming
// stores (stream_output).
void fsp_sample(ConstMatrix x, ConstMatrix y, int64_t hw, int64_t c1, int64_t c2, float* g, int threads,
                const Prefetch& next = {}, bool stream = false);

// dX = Y·dGᵀ/hw and dY = X·dG/hw for one sample; a null dx.p or dy.p skips that output. The GEMMs
// prefetch `next`: half each when both run and share_next is set, else the last one alone.
void fsp_backward_sample(ConstMatrix x, ConstMatrix y, int64_t hw, int64_t c1, int64_t c2, const float* dg,
                         Matrix dx, Matrix dy, int threads, const Prefetch& next, bool share_next);

// Whether the GEMMs of a fused loss's sample share the prefetch of the next sample's maps, or the last GEMM
// takes it all. Shared when the next maps are small (at most a quarter of a 1 MiB L2, so they fit beside this
// sample's): the reads then spread over all the arithmetic. Larger ones would evict this sample's maps before
// its last GEMM reads them (measured, fused loss+grad: (128,16,16,32×32) 8-15% faster shared in two A/B
// runs; (64,64,64,32×32), 512 KiB a sample, 1.5% slower shared). The standalone backward does not share: its
// A/B runs disagreed ((128,16,16,32×32) NHWC 10% faster in one, 18% slower in another).
inline bool share_prefetch(const Prefetch& next) {
  int64_t floats = 0;
  for (const Prefetch::Range& r : next.ranges) floats += r.floats;
  return floats * static_cast<int64_t>(sizeof(float)) <= (int64_t{256} << 10);
}

// Sample b of both maps as a prefetch hint; nothing when b < 0 (no next sample).
inline Prefetch sample_prefetch(const MapView& first, const MapView& second, int64_t b) {
  if (b < 0) return {};
  const int64_t n1 = first.spatial() * first.channels, n2 = second.spatial() * second.channels;
  return Prefetch{{{first.data + b * n1, n1}, {second.data + b * n2, n2}}};
}

}  // namespace fspd
