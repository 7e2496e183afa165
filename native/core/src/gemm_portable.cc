// Portable level: no extra compiler flags. 4-float vectors (GCC/Clang vector extensions: SSE on x86-64,
// NEON on ARM, scalar code elsewhere); written as plain loops, GCC vectorised the tile across k with
// shuffles and ran 5× slower.
#include <cstring>

#include "distance.h"
#include "gemm.h"
#include "half.h"
#include "gemm_driver.h"

namespace fspd {
namespace {

using V4 = float __attribute__((vector_size(16)));

V4 load4(const float* p) {
  V4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
void store4(float* p, V4 v) { std::memcpy(p, &v, sizeof v); }

struct Portable {
  // 4×8 accumulators: 8 of the 16 SSE registers of baseline x86-64, leaving room for B and the
  // broadcast A value.
  static constexpr int MR = 4, NV = 2, NR = 4 * NV;
  static constexpr int64_t KC = 256, MC = 128, NC = 2048;

  static void tile(int64_t kc, const float* a, int64_t a_rs, int64_t a_step, const float* b, int64_t b_step,
                   float* c, int64_t ldc, float alpha, float beta, bool stream, const float* pf,
                   int64_t pf_lines) {
    (void)stream;  // plain stores: baseline x86-64 and other CPUs
    V4 acc[MR][NV] = {};
    for (int64_t k = 0; k < kc; ++k, a += a_step, b += b_step) {
      if (k < pf_lines) __builtin_prefetch(pf + 16 * k, 0, 2);
      V4 bv[NV];
      for (int v = 0; v < NV; ++v) bv[v] = load4(b + 4 * v);
      for (int i = 0; i < MR; ++i) {
        const float ai = a[i * a_rs];
        for (int v = 0; v < NV; ++v) acc[i][v] += ai * bv[v];
      }
    }
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < NV; ++v) {
        float* p = c + i * ldc + 4 * v;
        const V4 r = alpha * acc[i][v];
        store4(p, beta == 0 ? r : beta * load4(p) + r);
      }
  }

  static void transpose8x8(const float* src, int64_t lds, float* dst, int64_t ldd) {
    for (int r = 0; r < 8; ++r)
      for (int t = 0; t < 8; ++t) dst[t * ldd + r] = src[r * lds + t];
  }
};

void sgemm_portable(int64_t m, int64_t n, int64_t k, float alpha, ConstMatrix a, ConstMatrix b, float beta,
                    Matrix c, const Prefetch& next) {
  sgemm_blocked<Portable>(m, n, k, alpha, a, b, beta, c, next);
}

constexpr int kLanes = 64;  // independent multiply-add chains, vectorised by the compiler

float fma_chains(int64_t iterations) {
  float acc[kLanes];
  for (int i = 0; i < kLanes; ++i) acc[i] = static_cast<float>(i);
  for (int64_t it = 0; it < iterations; ++it)
    for (int i = 0; i < kLanes; ++i) acc[i] = acc[i] * 0.999999f + 1e-6f;  // converges to 1, stays finite
  float total = 0;
  for (float x : acc) total += x;
  return total;
}

}  // namespace

const SimdKernels& portable_kernels() {
  static const SimdKernels kernels{SimdLevel::Portable, "portable", Portable::MR, Portable::NR, sgemm_portable,
                                   fma_chains,          kLanes * 2.0,
                                   to_float16_scalar,   to_bfloat16_scalar,
                                   squared_distance_scalar};
  return kernels;
}

}  // namespace fspd
