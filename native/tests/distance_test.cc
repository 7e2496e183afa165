// The loss's squared distance (distance.h) at the SIMD level this run is capped to (FSPD_SIMD), bit for bit
// against this file's own loop over the order distance.h defines: 8 lanes (element e of the whole groups of 8
// in lane e mod 8, the tail's in lanes 0, 1, …), each difference, square and sum rounded to double, the lanes
// added in order; gradients float(scale·(g − t)). Every length 0..40 and a long one, unaligned pointers.
#include <cstring>
#include <random>
#include <vector>

#include "gemm.h"
#include "harness.h"

namespace test {
namespace {

double reference(const std::vector<float>& g, const std::vector<float>& t, size_t first, size_t n, double scale,
                 std::vector<float>* dg) {
  double lane[8] = {};
  const size_t whole = n / 8 * 8;
  for (size_t e = 0; e < n; ++e) {
    const volatile double d = static_cast<double>(g[first + e]) - static_cast<double>(t[first + e]);
    const volatile double square = d * d;  // rounded on its own: no fused multiply-add here either
    double& sum = lane[e < whole ? e % 8 : e - whole];
    sum = sum + square;
    if (dg) (*dg)[first + e] = static_cast<float>(scale * d);
  }
  double total = 0;
  for (double l : lane) total = total + l;
  return total;
}

uint64_t bits_of(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

void matches_reference(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-3, 3);
  const size_t first = 1;  // unaligned
  std::vector<float> g(n + 2), t(n + 2);
  for (float& x : g) x = u(rng);
  for (float& x : t) x = u(rng);
  const double scale = 2.0 / 7.0;
  std::vector<float> want(n + 2, -1.0f), got(n + 2, -1.0f);
  const double sum_want = reference(g, t, first, n, scale, &want);
  const auto distance = fspd::simd_kernels().squared_distance;
  const int64_t count = static_cast<int64_t>(n);
  const double sum_got = distance(g.data() + first, t.data() + first, count, scale, got.data() + first);
  CHECK(bits_of(sum_got) == bits_of(sum_want));
  // The gradients, and nothing written outside [first, first + n).
  CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
  const double sum_only = distance(g.data() + first, t.data() + first, count, scale, nullptr);
  CHECK(bits_of(sum_only) == bits_of(sum_want));
}

}  // namespace

void test_distance() {
  run("squared_distance: the lanes' order bit for bit, lengths 0..40 and 4099, gradients", [] {
    std::mt19937 rng(5);
    for (size_t n = 0; n <= 40; ++n) matches_reference(n, rng);
    matches_reference(4099, rng);
  });
}

}  // namespace test
