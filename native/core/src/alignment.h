// Internal: how a pair's two maps are brought to one spatial size before their FSP product, shared by
// the CPU loss (loss.cc) and the CUDA one (cuda/api.cc) so both align pairs the same way.
#pragma once

#include <algorithm>
#include <cstdint>

#include "fspd/fsp.h"

namespace fspd {

// The common spatial size of a pair's maps, and which of the two must be pooled to it.
struct Alignment {
  int64_t height, width;
  bool pool_first, pool_second;
};

inline Alignment alignment(const PairView& p) {
  const int64_t h = std::min(p.first.height, p.second.height), w = std::min(p.first.width, p.second.width);
  return {h, w, p.first.height != h || p.first.width != w, p.second.height != h || p.second.width != w};
}

}  // namespace fspd
