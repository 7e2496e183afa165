// The loss's step between the FSP matrices and the backward: the squared distance of a sample's student and
// teacher matrices, and its gradient. One function per SIMD level (SimdKernels::squared_distance); all of them
// return the same bits.
#pragma once

#include <cstdint>

namespace fspd {

// Σ_e (g[e] − t[e])² over n elements, in double, and with dg (else nullptr) dg[e] = float(scale·(g[e] − t[e])).
// The sum runs in 8 interleaved partial sums (element e of the whole groups of 8 in lane e mod 8, the tail's
// elements in lanes 0, 1, …), added up in lane order at the end: a fixed order, so the loss does not depend on
// the thread count, and the same operations at every level (each difference, square and sum rounded to double;
// no fused multiply-add: distance*.cc are compiled with -ffp-contract=off).
double squared_distance_scalar(const float* g, const float* t, int64_t n, double scale, float* dg);
double squared_distance_avx2(const float* g, const float* t, int64_t n, double scale, float* dg);

// The end both levels share: elements [e, n) into partial[0], partial[1], …, then the lanes' sum in order.
double finish_squared_distance(double partial[8], const float* g, const float* t, int64_t e, int64_t n, double scale,
                               float* dg);

}  // namespace fspd
