// Memory-mapped files for shared-memory tensors (src/server/shared-memory.ts).
#pragma once

#include <napi.h>

namespace fspd::binding {

// mapFile(path: string, byteSize: number): ArrayBuffer — see mapped_file.cc.
Napi::Value MapFile(const Napi::CallbackInfo& info);

}  // namespace fspd::binding
