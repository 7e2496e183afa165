// The AVX2-level float32 → float16 / bfloat16 conversions, 8 elements at a time; the tails by the scalar ones.
// float16: F16C's vcvtps2ph (every AVX2 CPU has F16C; dispatch.cc checks), NaNs first replaced by the
// canonical quiet NaN of their sign as the scalar version returns. bfloat16: the scalar version's integer
// arithmetic on 8 lanes.
#include <immintrin.h>

#include "half.h"

namespace fspd {

void to_float16_avx2(const float* src, uint16_t* dst, int64_t n) {
  const __m256 quiet_nan = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000));
  const __m256 sign_mask = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(0x80000000u)));
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(src + i);
    const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
    v = _mm256_blendv_ps(v, _mm256_or_ps(_mm256_and_ps(v, sign_mask), quiet_nan), nan);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  to_float16_scalar(src + i, dst + i, n - i);
}

void to_bfloat16_avx2(const float* src, uint16_t* dst, int64_t n) {
  const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000);
  const __m256i round = _mm256_set1_epi32(0x7fff), one = _mm256_set1_epi32(1), quiet = _mm256_set1_epi32(0x40);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i b = _mm256_castps_si256(_mm256_loadu_ps(src + i));
    const __m256i top = _mm256_srli_epi32(b, 16);
    const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(b, abs_mask), inf);
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(b, round), _mm256_and_si256(top, one)), 16);
    r = _mm256_blendv_epi8(r, _mm256_or_si256(top, quiet), nan);
    // Every lane is below 2^16, so the unsigned-saturating pack keeps it; the pack works within 128-bit
    // halves, so the two halves' four results are then brought together.
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm256_castsi256_si128(packed));
  }
  to_bfloat16_scalar(src + i, dst + i, n - i);
}

}  // namespace fspd
