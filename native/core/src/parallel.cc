#include "parallel.h"

namespace fspd {

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned hardware = std::thread::hardware_concurrency();  // 0 when unknown
  return hardware == 0 ? 1 : static_cast<int>(hardware);
}

}  // namespace fspd
