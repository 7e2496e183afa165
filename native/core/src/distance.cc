// The portable squared distance (distance.h), and the tail and lane sum every level ends with.
#include "distance.h"

namespace fspd {
namespace {

constexpr int kLanes = 8;

// Interleaved partial sums, which the compiler keeps in vector registers: with one running sum every element
// waited for the add before it, and loss+grad of 64×64 matrices over 8×8 maps was 10% slower.
template <bool Gradients>
double lanes(const float* g, const float* t, int64_t n, double scale, float* dg) {
  double partial[kLanes] = {};
  int64_t e = 0;
  for (; e + kLanes <= n; e += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const double d = static_cast<double>(g[e + l]) - t[e + l];
      partial[l] += d * d;
      if constexpr (Gradients) dg[e + l] = static_cast<float>(scale * d);
    }
  return finish_squared_distance(partial, g, t, e, n, scale, dg);
}

}  // namespace

double finish_squared_distance(double partial[8], const float* g, const float* t, int64_t e, int64_t n, double scale,
                               float* dg) {
  for (int l = 0; e < n; ++e, ++l) {
    const double d = static_cast<double>(g[e]) - t[e];
    partial[l] += d * d;
    if (dg) dg[e] = static_cast<float>(scale * d);
  }
  double sum = 0;
  for (int l = 0; l < kLanes; ++l) sum += partial[l];
  return sum;
}

double squared_distance_scalar(const float* g, const float* t, int64_t n, double scale, float* dg) {
  return dg ? lanes<true>(g, t, n, scale, dg) : lanes<false>(g, t, n, scale, nullptr);
}

}  // namespace fspd
