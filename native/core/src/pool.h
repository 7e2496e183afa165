// Internal: adaptive pooling of one sample, used by pool_to/pool_backward and by the fused loss.
#pragma once

#include <cstdint>

#include "fspd/fsp.h"
#include "maps.h"

namespace fspd {

// Pools one sample `in` (geometry g) to out_height × out_width; out keeps channels and layout.
void pool_sample(const float* in, const Geometry& g, int64_t out_height, int64_t out_width, Pooling pooling,
                 float* out);

// Overwrites grad_in (geometry g) with the gradient of pool_sample routed from grad_out.
void pool_backward_sample(const float* in, const Geometry& g, int64_t out_height, int64_t out_width,
                          Pooling pooling, const float* grad_out, float* grad_in);

}  // namespace fspd
