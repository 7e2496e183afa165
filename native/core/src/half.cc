// float32 → float16 / bfloat16 bit patterns, element by element, with integer operations only (so no
// floating-point mode — flush to zero, rounding — can change a result). The entry points dispatch to the
// SIMD level's version (half_avx2.cc, half_avx512.cc), which must give the same patterns.
#include <cstring>

#include "fspd/fsp.h"
#include "gemm.h"
#include "half.h"

namespace fspd {
namespace {

uint32_t bits_of(float x) {
  uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

uint16_t float16_bits(uint32_t b) {
  const uint32_t sign = (b >> 16) & 0x8000;
  const uint32_t abs = b & 0x7fffffff;
  // The common case first, a normal half (|x| in [2^-14, 65520)): rebias the exponent (-112 << 23) and add
  // the rounding of the normal branch below (0xfff, plus one when the kept mantissa is odd) in one sum.
  if (abs >= 0x38800000 && abs < 0x477ff000) return static_cast<uint16_t>(sign | ((abs - 0x37fff001 + ((abs >> 13) & 1)) >> 13));
  if (abs > 0x7f800000) return static_cast<uint16_t>(sign | 0x7e00);  // NaN: the canonical quiet NaN
  // 65520 = 65504 (the largest half) + half its ulp: from there on the nearest is Inf (65520 itself ties to even = Inf).
  if (abs >= 0x477ff000) return static_cast<uint16_t>(sign | 0x7c00);
  const uint32_t e = abs >> 23, m = abs & 0x7fffff;
  if (e >= 113) {  // a normal half: exponent e - 112, the top 10 of 23 mantissa bits; a carry bumps the exponent
    uint32_t h = ((e - 112) << 10) | (m >> 13);
    const uint32_t rest = m & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  if (abs <= 0x33000000) return static_cast<uint16_t>(sign);  // at most half of the smallest subnormal: ±0
  const uint32_t full = m | 0x800000, shift = 126 - e;         // a subnormal half, in units of 2^-24
  uint32_t h = full >> shift;
  const uint32_t rest = full & ((1u << shift) - 1), half = 1u << (shift - 1);
  if (rest > half || (rest == half && (h & 1))) ++h;  // 0x3ff + 1 is the smallest normal: right
  return static_cast<uint16_t>(sign | h);
}

uint16_t bfloat16_bits(uint32_t b) {
  if ((b & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((b >> 16) | 0x0040);  // NaN: made quiet
  // Just under half an ulp of the kept half, plus one when the kept half is odd: ties go to even; the
  // largest finite values carry into Inf. NaNs are out, so the sum cannot wrap.
  return static_cast<uint16_t>((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}

}  // namespace

void to_float16_scalar(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = float16_bits(bits_of(src[i]));
}

void to_bfloat16_scalar(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bfloat16_bits(bits_of(src[i]));
}

void to_float16(const float* src, uint16_t* dst, int64_t n) { simd_kernels().to_float16(src, dst, n); }

void to_bfloat16(const float* src, uint16_t* dst, int64_t n) { simd_kernels().to_bfloat16(src, dst, n); }

}  // namespace fspd
