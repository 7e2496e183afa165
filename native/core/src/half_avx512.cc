// The AVX-512 float32 → float16 / bfloat16 conversions, 16 elements at a time; the tail by the scalar ones.
// float16: vcvtps2ph with round-to-nearest-even in the instruction (MXCSR's rounding is not consulted),
// NaNs first replaced by the canonical quiet NaN of their sign, which the scalar version returns.
// bfloat16: the scalar version's integer arithmetic on 16 lanes.
// (GCC 12's plain _mm512_cvtps_ph, _mm512_srli_epi32 and _mm512_cvtepi32_epi16 warn about their undefined
// pass-through operand; the masked forms with every lane selected are the same instructions.)
#include <immintrin.h>

#include "half.h"

namespace fspd {
namespace {

constexpr __mmask16 kAll = 0xFFFF;

inline __m512i shift_right16(__m512i v) { return _mm512_mask_srli_epi32(_mm512_setzero_si512(), kAll, v, 16); }

}  // namespace

void to_float16_avx512(const float* src, uint16_t* dst, int64_t n) {
  const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
  const __m512i quiet_nan = _mm512_set1_epi32(0x7fc00000), sign_mask = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i b = _mm512_castps_si512(_mm512_loadu_ps(src + i));
    const __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(b, abs_mask), inf);
    b = _mm512_mask_or_epi32(b, nan, _mm512_and_si512(b, sign_mask), quiet_nan);
    const __m256i h = _mm512_mask_cvtps_ph(_mm256_setzero_si256(), kAll, _mm512_castsi512_ps(b), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), h);
  }
  to_float16_scalar(src + i, dst + i, n - i);
}

void to_bfloat16_avx512(const float* src, uint16_t* dst, int64_t n) {
  const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
  const __m512i round = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), quiet = _mm512_set1_epi32(0x40);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i b = _mm512_castps_si512(_mm512_loadu_ps(src + i));
    const __m512i top = shift_right16(b);
    const __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(b, abs_mask), inf);
    __m512i r = shift_right16(_mm512_add_epi32(_mm512_add_epi32(b, round), _mm512_and_si512(top, one)));
    r = _mm512_mask_or_epi32(r, nan, top, quiet);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm512_mask_cvtepi32_epi16(_mm256_setzero_si256(), kAll, r));
  }
  to_bfloat16_scalar(src + i, dst + i, n - i);
}

}  // namespace fspd
