// Internal: 8×8 float transpose for the packing of AVX2 and AVX-512 levels. Included inside each level's
// translation unit only (anonymous namespace), never from portable code.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace fspd {
namespace {

// dst[t·ldd + r] = src[r·lds + t] for r, t < 8. The first stage pairs rows r and r+4 with 128-bit
// inserts from memory, which use the load ports, so only 16 shuffles are left for the shuffle port.
inline void transpose8x8_avx(const float* src, int64_t lds, float* dst, int64_t ldd) {
  auto pair = [&](int r, int half) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(src + r * lds + 4 * half)),
                                _mm_loadu_ps(src + (r + 4) * lds + 4 * half), 1);
  };
  for (int half = 0; half < 2; ++half) {  // columns 4·half .. 4·half+3 of src become rows of dst
    const __m256 t0 = pair(0, half), t1 = pair(1, half), t2 = pair(2, half), t3 = pair(3, half);
    const __m256 u0 = _mm256_unpacklo_ps(t0, t1), u1 = _mm256_unpackhi_ps(t0, t1);
    const __m256 u2 = _mm256_unpacklo_ps(t2, t3), u3 = _mm256_unpackhi_ps(t2, t3);
    float* d = dst + 4 * half * ldd;
    _mm256_storeu_ps(d + 0 * ldd, _mm256_shuffle_ps(u0, u2, 0x44));
    _mm256_storeu_ps(d + 1 * ldd, _mm256_shuffle_ps(u0, u2, 0xEE));
    _mm256_storeu_ps(d + 2 * ldd, _mm256_shuffle_ps(u1, u3, 0x44));
    _mm256_storeu_ps(d + 3 * ldd, _mm256_shuffle_ps(u1, u3, 0xEE));
  }
}

}  // namespace
}  // namespace fspd
