// fspd::to_float16 / to_bfloat16 (at the SIMD level this run is capped to, FSPD_SIMD) against references
// that do not share their bit arithmetic: the compiler's own float → _Float16 conversion, and for bfloat16
// the nearer of the two neighbouring patterns by distance in double (ties to the even pattern). Patterns:
// every sign/exponent/top-mantissa prefix with the low bits around both formats' rounding points, every
// length's tail, unaligned pointers.
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "harness.h"

namespace test {
namespace {

float float_of(uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

uint16_t ref_float16(uint32_t b) {
  const float x = float_of(b);
  if (std::isnan(x)) return static_cast<uint16_t>(((b >> 16) & 0x8000) | 0x7e00);
  const _Float16 h = static_cast<_Float16>(x);  // IEEE conversion, round to nearest even (GCC: libgcc or F16C)
  uint16_t out;
  std::memcpy(&out, &h, sizeof out);
  return out;
}

uint16_t ref_bfloat16(uint32_t b) {
  if ((b & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((b >> 16) | 0x40);
  const double x = std::fabs(static_cast<double>(float_of(b)));
  const uint32_t sign = b & 0x80000000u, lo = (b & 0x7fffffff) >> 16;  // truncated magnitude; lo + 1 the next up
  if ((b & 0xffff) == 0) return static_cast<uint16_t>((sign >> 16) | lo);
  // As if the exponent were unbounded: the pattern past the largest finite one (Inf's) stands for 2^128.
  const double below = std::fabs(static_cast<double>(float_of(lo << 16)));
  const double above = lo + 1 == 0x7f80 ? std::ldexp(1.0, 128) : std::fabs(static_cast<double>(float_of((lo + 1) << 16)));
  const double d_lo = x - below, d_hi = above - x;
  const uint32_t pick = d_lo < d_hi ? lo : d_hi < d_lo ? lo + 1 : (lo % 2 == 0 ? lo : lo + 1);
  return static_cast<uint16_t>((sign >> 16) | pick);
}

// Every 16-bit prefix (sign, exponent, top 7 mantissa bits) with low halves at and around float16's rounding
// point (bit 12) and bfloat16's (bit 15), and a few random ones.
std::vector<uint32_t> patterns() {
  const uint32_t lows[] = {0x0000, 0x0001, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x3000, 0x3001,
                           0x7fff, 0x8000, 0x8001, 0x9000, 0xffff};
  std::mt19937 rng(7);
  std::vector<uint32_t> out;
  for (uint32_t hi = 0; hi < 0x10000; ++hi) {
    for (uint32_t lo : lows) out.push_back(hi << 16 | lo);
    out.push_back(hi << 16 | (rng() & 0xffff));
  }
  return out;
}

template <class Convert, class Reference>
void matches_reference(Convert convert, Reference reference, const char* what) {
  const std::vector<uint32_t> bits = patterns();
  std::vector<float> src(bits.size() + 1);
  for (size_t i = 0; i < bits.size(); ++i) src[i + 1] = float_of(bits[i]);
  std::vector<uint16_t> dst(bits.size() + 1, 0xdead);
  convert(src.data() + 1, dst.data() + 1, static_cast<int64_t>(bits.size()));  // unaligned, odd tail
  int64_t wrong = 0;
  for (size_t i = 0; i < bits.size(); ++i) {
    if (dst[i + 1] == reference(bits[i])) continue;
    if (++wrong <= 5)
      fail(std::string(what) + ": pattern " + std::to_string(bits[i]) + " gave " + std::to_string(dst[i + 1]) +
           ", expected " + std::to_string(reference(bits[i])));
  }
  CHECK(wrong == 0);
  CHECK(dst[0] == 0xdead);
}

template <class Convert, class Reference>
void every_tail(Convert convert, Reference reference) {
  std::mt19937 rng(11);
  for (int64_t n = 0; n <= 40; ++n) {
    std::vector<float> src(static_cast<size_t>(n));
    std::vector<uint32_t> bits(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) src[i] = float_of(bits[i] = rng());
    std::vector<uint16_t> dst(static_cast<size_t>(n) + 1, 0xdead);
    convert(src.data(), dst.data(), n);
    for (int64_t i = 0; i < n; ++i) CHECK(dst[i] == reference(bits[i]));
    CHECK(dst[n] == 0xdead);  // nothing written past the end
  }
}

}  // namespace

void test_half() {
  run("to_float16: the compiler's conversion on 983040 patterns", [] { matches_reference(fspd::to_float16, ref_float16, "float16"); });
  run("to_bfloat16: the nearer bfloat16 in double on 983040 patterns", [] { matches_reference(fspd::to_bfloat16, ref_bfloat16, "bfloat16"); });
  run("to_float16 / to_bfloat16: lengths 0..40, nothing past the end", [] {
    every_tail(fspd::to_float16, ref_float16);
    every_tail(fspd::to_bfloat16, ref_bfloat16);
  });
}

}  // namespace test
