// Output arrays whose memory is recycled. A fresh Float32Array per kernel call pays for its memory's first
// touch (page faults and zeroing: 16-20 ms for 32 MiB on the development VMs, more than the kernels' own
// time on most bench shapes). Outputs are instead external ArrayBuffers over blocks that go back to a
// per-process pool when the garbage collector frees the array, and the next output of the same byte size
// takes a warm block. Blocks are never zeroed: every kernel overwrites its whole output.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace fspd::binding {

// A Float32Array of n elements over a pooled block (or a plain new one when the runtime refuses external
// buffers). Call on the JS thread.
Napi::Float32Array NewPooledFloat32Array(Napi::Env env, size_t n);

struct OutputPoolStats {
  uint64_t hits = 0, misses = 0;  // outputs served from an idle block / from a new allocation
  uint64_t idle_bytes = 0, idle_blocks = 0;
  uint64_t limit_bytes = 0;       // most idle bytes kept (FSPD_OUTPUT_POOL_MB); 0 turns the pool off
  uint64_t live_bytes = 0;        // pooled outputs handed out and not yet finalised (at most 2 × limit_bytes)
  uint64_t bypassed = 0;          // outputs made as plain arrays because live_bytes was at its limit
};
OutputPoolStats output_pool_stats();

// outputPoolStats() -> {hits, misses, idleBytes, idleBlocks, limitBytes, liveBytes, bypassed};
// outputPoolTrim() frees the idle blocks.
Napi::Value OutputPoolStatsValue(const Napi::CallbackInfo& info);
Napi::Value OutputPoolTrim(const Napi::CallbackInfo& info);

}  // namespace fspd::binding
