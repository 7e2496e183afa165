// The AVX2-level float32 → float16 conversion, 8 elements at a time with F16C's vcvtps2ph (every AVX2 CPU
// has F16C; dispatch.cc checks), NaNs first replaced by the canonical quiet NaN of their sign as the scalar
// version returns; the tail by the scalar one. bfloat16 uses the scalar version at this level.
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

}  // namespace fspd
