// Internal: the CUDA kernels' launchers, on device pointers and a stream. Launch errors are returned
// by the caller's next CUDA check (runtime.h); these functions only enqueue work.
// Kept plain on purpose (correctness first): one strided batched GEMM for every FSP product, and
// one-thread-per-element pooling that reproduces the CPU order of operations exactly.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "fspd/fsp.h"

namespace fspd::cuda::detail {

// A batch of matrices in device memory: element (r, c) of matrix b at p[b·batch + r·row + c·col].
struct Strided {
  const float* p;
  int64_t batch, row, col;
};
struct MutableStrided {
  float* p;
  int64_t batch, row, col;
};

// C[b] = alpha · A[b]·B[b] for b < batch; A is m×k, B is k×n, C is m×n. Overwrites C.
void gemm(Strided a, Strided b, MutableStrided c, int64_t batch, int64_t m, int64_t n, int64_t k, float alpha,
          cudaStream_t stream);

// One sample's geometry for the pooling kernels (the same rule as pool.cc).
struct PoolGeometry {
  int64_t batch, height, width, channels, out_height, out_width;
  Layout layout;
};
void pool_forward(const float* in, const PoolGeometry& g, Pooling pooling, float* out, cudaStream_t stream);
// Overwrites grad_in (geometry of in) with the gradient routed from grad_out.
void pool_backward(const float* in, const PoolGeometry& g, Pooling pooling, const float* grad_out, float* grad_in,
                   cudaStream_t stream);

// Per sample b: squares[b] = Σ_e (double(gs[e]) − gt[e])², and (when dg is not null)
// dg[e] = float(grad_scale · (gs[e] − gt[e])), e < cc.
void loss_difference(const float* gs, const float* gt, int64_t batch, int64_t cc, double grad_scale, float* dg,
                     double* squares, cudaStream_t stream);

// FMA probe: `blocks` × 256 threads, each running 8 independent chains of `iterations` FMAs.
// Flops = blocks · 256 · 8 · iterations · 2. Writes to sink only when a result is impossible.
void fma_probe(int blocks, int iterations, float seed, float* sink, cudaStream_t stream);

}  // namespace fspd::cuda::detail
