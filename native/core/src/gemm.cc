// The threaded SGEMM: splits C into independent tile-aligned blocks, one sub-GEMM per thread.
#include <algorithm>

#include "gemm.h"
#include "parallel.h"

namespace fspd {

Prefetch Prefetch::shares(int64_t first, int64_t last, int64_t parts) const {
  Prefetch share = *this;
  for (Range& r : share.ranges) {
    const int64_t begin = r.floats * first / parts, end = r.floats * last / parts;
    r.p = r.p ? r.p + begin : nullptr;
    r.floats = end - begin;
  }
  return share;
}

void sgemm(int64_t m, int64_t n, int64_t k, float alpha, ConstMatrix a, ConstMatrix b, float beta, Matrix c,
           int threads, const Prefetch& next) {
  const SimdKernels& kernels = simd_kernels();
  // The microkernel stores along C's rows; for a C stored by columns compute Cᵀ = Bᵀ·Aᵀ instead.
  if (c.cs != 1 && c.rs == 1) {
    std::swap(m, n);
    std::swap(a, b);
    a = a.t();
    b = b.t();
    c = Matrix{c.p, c.cs, c.rs, c.stream};
  }
  threads = threads_for_work(2.0 * m * n * k, threads);
  // Split the dimension with more tiles; blocks are whole tiles so no thread gets extra edge tiles.
  const bool by_rows = (m + kernels.mr - 1) / kernels.mr >= (n + kernels.nr - 1) / kernels.nr;
  const int64_t extent = by_rows ? m : n, tile = by_rows ? kernels.mr : kernels.nr;
  const int64_t tiles = (extent + tile - 1) / tile;
  const int64_t parts = std::min<int64_t>(threads, tiles);
  if (parts <= 1) return kernels.sgemm(m, n, k, alpha, a, b, beta, c, next);
  parallel_for(parts, static_cast<int>(parts), [&](int64_t part) {
    const Prefetch share = next.part(part, parts);
    const int64_t begin = tiles * part / parts * tile, end = std::min(extent, tiles * (part + 1) / parts * tile);
    if (by_rows)
      kernels.sgemm(end - begin, n, k, alpha, {a.p + begin * a.rs, a.rs, a.cs}, b, beta,
                    {c.p + begin * c.rs, c.rs, c.cs}, share);
    else
      kernels.sgemm(m, end - begin, k, alpha, a, {b.p + begin * b.cs, b.rs, b.cs}, beta,
                    {c.p + begin * c.cs, c.rs, c.cs}, share);
  });
}

}  // namespace fspd
