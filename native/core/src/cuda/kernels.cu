// The CUDA kernels. Each mirrors a CPU function (named in its comment) and is checked against it and
// against the float64 reference in native/tests/cuda_test.cc.
#include <algorithm>

#include "kernels.h"

namespace fspd::cuda::detail {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxGridY = 65535;

// ---- GEMM (CPU: sgemm in gemm_driver.h, through fsp_sample / fsp_backward_sample) ----------------
// 64×64 output tile per block, K in steps of 16 through shared memory, 16×16 threads with 4×4
// outputs each (rows ty + 16·i, columns tx + 16·j), plain float FMA accumulation in k order.
constexpr int BM = 64, BN = 64, BK = 16;

__global__ void __launch_bounds__(kThreads) gemm_kernel(Strided a, Strided b, MutableStrided c, int64_t batch,
                                                       int64_t m, int64_t n, int64_t k, float alpha) {
  __shared__ float as[BK][BM + 1];
  __shared__ float bs[BK][BN + 1];
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16, tid = threadIdx.x;
  const int64_t tiles_m = (m + BM - 1) / BM, tiles_n = (n + BN - 1) / BN;
  // Load order: walk the contiguous dimension fastest so a warp's loads coalesce.
  const bool a_k_fast = a.col == 1, b_n_fast = b.col == 1;
  for (int64_t s = blockIdx.y; s < batch; s += gridDim.y) {
    const float* ap = a.p + s * a.batch;
    const float* bp = b.p + s * b.batch;
    float* cp = c.p + s * c.batch;
    for (int64_t tile = blockIdx.x; tile < tiles_m * tiles_n; tile += gridDim.x) {
      const int64_t m0 = (tile / tiles_n) * BM, n0 = (tile % tiles_n) * BN;
      float acc[4][4];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = 0.0f;
      for (int64_t k0 = 0; k0 < k; k0 += BK) {
        for (int e = tid; e < BK * BM; e += kThreads) {
          const int kk = a_k_fast ? e % BK : e / BM, mm = a_k_fast ? e / BK : e % BM;
          const int64_t r = m0 + mm, q = k0 + kk;
          as[kk][mm] = (r < m && q < k) ? ap[r * a.row + q * a.col] : 0.0f;
        }
        for (int e = tid; e < BK * BN; e += kThreads) {
          const int kk = b_n_fast ? e / BN : e % BK, nn = b_n_fast ? e % BN : e / BK;
          const int64_t q = k0 + kk, col = n0 + nn;
          bs[kk][nn] = (q < k && col < n) ? bp[q * b.row + col * b.col] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
          float av[4], bv[4];
#pragma unroll
          for (int i = 0; i < 4; ++i) av[i] = as[kk][ty + 16 * i];
#pragma unroll
          for (int j = 0; j < 4; ++j) bv[j] = bs[kk][tx + 16 * j];
#pragma unroll
          for (int i = 0; i < 4; ++i)
#pragma unroll
            for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        __syncthreads();
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          const int64_t r = m0 + ty + 16 * i, col = n0 + tx + 16 * j;
          if (r < m && col < n) cp[r * c.row + col * c.col] = alpha * acc[i][j];
        }
    }
  }
}

// ---- Pooling (CPU: pool.cc, same windows and the same order of operations) ----------------------
struct Window {
  int64_t y0, y1, x0, x1;
};

__device__ inline Window window(const PoolGeometry& g, int64_t oy, int64_t ox) {
  return {oy * g.height / g.out_height, ((oy + 1) * g.height + g.out_height - 1) / g.out_height,
          ox * g.width / g.out_width, ((ox + 1) * g.width + g.out_width - 1) / g.out_width};
}

// Max that propagates NaN: the first NaN of a window wins, then the first maximum.
__device__ inline bool replaces(float v, float best) { return v > best || (v != v && best == best); }

// Offset of (y, x, c) inside one sample of h×w×channels in `layout`.
__device__ inline int64_t offset(Layout layout, int64_t h, int64_t w, int64_t channels, int64_t y, int64_t x,
                                 int64_t ch) {
  return layout == Layout::NHWC ? (y * w + x) * channels + ch : (ch * h + y) * w + x;
}

// Splits a flat element index of a batch of h×w×channels maps in `layout` into (b, y, x, c).
__device__ inline void split(Layout layout, int64_t h, int64_t w, int64_t channels, int64_t e, int64_t& b,
                             int64_t& y, int64_t& x, int64_t& ch) {
  if (layout == Layout::NHWC) {
    ch = e % channels; e /= channels;
    x = e % w; e /= w;
    y = e % h; b = e / h;
  } else {
    x = e % w; e /= w;
    y = e % h; e /= h;
    ch = e % channels; b = e / channels;
  }
}

// Index (within the sample) of the element a max window routes its gradient to.
__device__ inline int64_t window_argmax(const float* sample, const PoolGeometry& g, const Window& win, int64_t ch) {
  int64_t best = offset(g.layout, g.height, g.width, g.channels, win.y0, win.x0, ch);
  for (int64_t y = win.y0; y < win.y1; ++y)
    for (int64_t x = win.x0; x < win.x1; ++x) {
      const int64_t at = offset(g.layout, g.height, g.width, g.channels, y, x, ch);
      if (replaces(sample[at], sample[best])) best = at;
    }
  return best;
}

__global__ void pool_forward_kernel(const float* in, PoolGeometry g, Pooling pooling, float* out) {
  const int64_t total = g.batch * g.out_height * g.out_width * g.channels;
  const int64_t in_sample = g.height * g.width * g.channels;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    int64_t b, oy, ox, ch;
    split(g.layout, g.out_height, g.out_width, g.channels, e, b, oy, ox, ch);
    const float* sample = in + b * in_sample;
    const Window win = window(g, oy, ox);
    float acc = pooling == Pooling::Max ? sample[offset(g.layout, g.height, g.width, g.channels, win.y0, win.x0, ch)]
                                        : 0.0f;
    for (int64_t y = win.y0; y < win.y1; ++y)
      for (int64_t x = win.x0; x < win.x1; ++x) {
        const float v = sample[offset(g.layout, g.height, g.width, g.channels, y, x, ch)];
        if (pooling == Pooling::Max)
          acc = replaces(v, acc) ? v : acc;
        else
          acc += v;
      }
    if (pooling == Pooling::Avg) acc /= static_cast<float>((win.y1 - win.y0) * (win.x1 - win.x0));
    out[e] = acc;
  }
}

// One thread per input element: sums, in the CPU's order (oy, then ox ascending), the gradient of
// every output window that contains the element (avg) or routes to it (max). No atomics, deterministic.
__global__ void pool_backward_kernel(const float* in, PoolGeometry g, Pooling pooling, const float* grad_out,
                                     float* grad_in) {
  const int64_t total = g.batch * g.height * g.width * g.channels;
  const int64_t in_sample = g.height * g.width * g.channels, out_sample = g.out_height * g.out_width * g.channels;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    int64_t b, y, x, ch;
    split(g.layout, g.height, g.width, g.channels, e, b, y, x, ch);
    const float* sample = in + b * in_sample;
    const int64_t self = offset(g.layout, g.height, g.width, g.channels, y, x, ch);
    // Candidate windows: a superset, each checked for containment.
    const int64_t oy0 = max(int64_t(0), y * g.out_height / g.height - 1);
    const int64_t oy1 = min(g.out_height - 1, ((y + 1) * g.out_height + g.height - 1) / g.height);
    const int64_t ox0 = max(int64_t(0), x * g.out_width / g.width - 1);
    const int64_t ox1 = min(g.out_width - 1, ((x + 1) * g.out_width + g.width - 1) / g.width);
    float acc = 0.0f;
    for (int64_t oy = oy0; oy <= oy1; ++oy)
      for (int64_t ox = ox0; ox <= ox1; ++ox) {
        const Window win = window(g, oy, ox);
        if (y < win.y0 || y >= win.y1 || x < win.x0 || x >= win.x1) continue;
        const float go =
            grad_out[b * out_sample + offset(g.layout, g.out_height, g.out_width, g.channels, oy, ox, ch)];
        if (pooling == Pooling::Avg)
          acc += go / static_cast<float>((win.y1 - win.y0) * (win.x1 - win.x0));
        else if (window_argmax(sample, g, win, ch) == self)
          acc += go;
      }
    grad_in[e] = acc;
  }
}

// ---- Loss difference (CPU: the D loop of pair_loss in loss.cc) -----------------------------------
__global__ void __launch_bounds__(kThreads) loss_difference_kernel(const float* gs, const float* gt, int64_t batch,
                                                                  int64_t cc, double grad_scale, float* dg,
                                                                  double* squares) {
  __shared__ double partial[kThreads];
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    double sum = 0;
    for (int64_t e = threadIdx.x; e < cc; e += kThreads) {
      const double d = static_cast<double>(gs[b * cc + e]) - gt[b * cc + e];
      sum += d * d;
      if (dg != nullptr) dg[b * cc + e] = static_cast<float>(grad_scale * d);
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) squares[b] = partial[0];
    __syncthreads();
  }
}

// ---- FMA probe (CPU: measure_fma_peak_gflops) -------------------------------------------------------
__global__ void __launch_bounds__(kThreads) fma_probe_kernel(int iterations, float seed, float* sink) {
  float v[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) v[i] = seed + 1e-3f * (threadIdx.x + i);
  const float mul = 0.999999f, add = 1e-7f;
  for (int it = 0; it < iterations; ++it) {
#pragma unroll
    for (int i = 0; i < 8; ++i) v[i] = fmaf(v[i], mul, add);
  }
  float s = 0;
#pragma unroll
  for (int i = 0; i < 8; ++i) s += v[i];
  if (s == -12345.0f) sink[blockIdx.x] = s;  // never true; keeps the chains live
}

unsigned grid_for(int64_t elements) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>((elements + kThreads - 1) / kThreads, 1 << 20)));
}

}  // namespace

void gemm(Strided a, Strided b, MutableStrided c, int64_t batch, int64_t m, int64_t n, int64_t k, float alpha,
          cudaStream_t stream) {
  const int64_t tiles = ((m + BM - 1) / BM) * ((n + BN - 1) / BN);
  const dim3 grid(static_cast<unsigned>(std::min<int64_t>(tiles, 1 << 30)),
                  static_cast<unsigned>(std::min<int64_t>(batch, kMaxGridY)));
  gemm_kernel<<<grid, kThreads, 0, stream>>>(a, b, c, batch, m, n, k, alpha);
}

void pool_forward(const float* in, const PoolGeometry& g, Pooling pooling, float* out, cudaStream_t stream) {
  pool_forward_kernel<<<grid_for(g.batch * g.out_height * g.out_width * g.channels), kThreads, 0, stream>>>(
      in, g, pooling, out);
}

void pool_backward(const float* in, const PoolGeometry& g, Pooling pooling, const float* grad_out, float* grad_in,
                   cudaStream_t stream) {
  pool_backward_kernel<<<grid_for(g.batch * g.height * g.width * g.channels), kThreads, 0, stream>>>(
      in, g, pooling, grad_out, grad_in);
}

void loss_difference(const float* gs, const float* gt, int64_t batch, int64_t cc, double grad_scale, float* dg,
                     double* squares, cudaStream_t stream) {
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(batch, 1 << 20));
  loss_difference_kernel<<<blocks, kThreads, 0, stream>>>(gs, gt, batch, cc, grad_scale, dg, squares);
}

void fma_probe(int blocks, int iterations, float seed, float* sink, cudaStream_t stream) {
  fma_probe_kernel<<<blocks, kThreads, 0, stream>>>(iterations, seed, sink);
}

}  // namespace fspd::cuda::detail
