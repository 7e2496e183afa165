// The AVX2-level squared distance (distance.h): the portable version's 8 lanes as two vectors of 4 doubles.
// Compiled with -mavx2 -ffp-contract=off: a square added to its lane must round twice, as the portable code
// does, not fuse into one FMA.
#include <immintrin.h>

#include "distance.h"

namespace fspd {
namespace {

template <bool Gradients>
double lanes(const float* g, const float* t, int64_t n, double scale, float* dg) {
  __m256d low = _mm256_setzero_pd(), high = _mm256_setzero_pd();  // lanes 0–3, 4–7
  const __m256d s = _mm256_set1_pd(scale);
  int64_t e = 0;
  for (; e + 8 <= n; e += 8) {
    const __m256 gv = _mm256_loadu_ps(g + e), tv = _mm256_loadu_ps(t + e);
    const __m256d d_low =
        _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(gv)), _mm256_cvtps_pd(_mm256_castps256_ps128(tv)));
    const __m256d d_high =
        _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(gv, 1)), _mm256_cvtps_pd(_mm256_extractf128_ps(tv, 1)));
    low = _mm256_add_pd(low, _mm256_mul_pd(d_low, d_low));
    high = _mm256_add_pd(high, _mm256_mul_pd(d_high, d_high));
    if constexpr (Gradients) {
      const __m128 dg_low = _mm256_cvtpd_ps(_mm256_mul_pd(s, d_low));
      const __m128 dg_high = _mm256_cvtpd_ps(_mm256_mul_pd(s, d_high));
      _mm256_storeu_ps(dg + e, _mm256_set_m128(dg_high, dg_low));
    }
  }
  alignas(32) double partial[8];
  _mm256_store_pd(partial, low);
  _mm256_store_pd(partial + 4, high);
  return finish_squared_distance(partial, g, t, e, n, scale, dg);
}

}  // namespace

double squared_distance_avx2(const float* g, const float* t, int64_t n, double scale, float* dg) {
  return dg ? lanes<true>(g, t, n, scale, dg) : lanes<false>(g, t, n, scale, nullptr);
}

}  // namespace fspd
