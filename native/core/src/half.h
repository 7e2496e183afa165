// float32 → float16 / bfloat16 conversions: the scalar ones every SIMD level can use, and the AVX2 and AVX-512 ones.
#pragma once

#include <cstdint>

namespace fspd {

void to_float16_scalar(const float* src, uint16_t* dst, int64_t n);
void to_bfloat16_scalar(const float* src, uint16_t* dst, int64_t n);

// Built where the AVX2 and AVX-512 levels are (FSPD_HAVE_X86_LEVELS, gemm.h); the AVX2 one needs F16C.
void to_float16_avx2(const float* src, uint16_t* dst, int64_t n);
void to_bfloat16_avx2(const float* src, uint16_t* dst, int64_t n);
void to_float16_avx512(const float* src, uint16_t* dst, int64_t n);
void to_bfloat16_avx512(const float* src, uint16_t* dst, int64_t n);

}  // namespace fspd
