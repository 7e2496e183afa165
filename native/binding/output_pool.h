// Output arrays whose memory is recycled. A fresh Float32Array per kernel call pays for its memory's first
// touch (page faults and zeroing: 16-20 ms for 32 MiB on the development VMs, more than the kernels' own
// time on most bench shapes). Outputs are instead external ArrayBuffers over blocks that go back to a
// per-process pool when the garbage collector frees the array, and the next output of the same byte size
// takes a warm block. Blocks are never zeroed: every kernel overwrites its whole output.
#pragma once

#include <napi.h>

#include <cstddef>

namespace fspd::binding {

// A Float32Array of n elements over a pooled block (or a plain new one when the runtime refuses external
// buffers). Call on the JS thread.
Napi::Float32Array NewPooledFloat32Array(Napi::Env env, size_t n);

// outputArray(length) -> a zero-filled pooled Float32Array, for callers to pass as an output (fspForward's
// `into`, fspLoss's gradientsInto) and keep: the kernels stream into its aligned memory. Length 1 .. 2^32-1.
Napi::Value OutputArray(const Napi::CallbackInfo& info);

// outputPoolStats() -> {hits, misses, idleBytes, idleBlocks, limitBytes, liveBytes, bypassed};
// outputPoolTrim() frees the idle blocks.
Napi::Value OutputPoolStatsValue(const Napi::CallbackInfo& info);
Napi::Value OutputPoolTrim(const Napi::CallbackInfo& info);

}  // namespace fspd::binding
