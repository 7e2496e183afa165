#include "output_pool.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iterator>
#include <mutex>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace fspd::binding {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr uint64_t kDefaultLimitMiB = 256;

struct OutputPoolStats {
  uint64_t hits = 0, misses = 0;  // outputs served from an idle block / from a new allocation
  uint64_t idle_bytes = 0, idle_blocks = 0;
  uint64_t limit_bytes = 0;       // most idle bytes kept (FSPD_OUTPUT_POOL_MB); 0 turns the pool off
  uint64_t live_bytes = 0;        // pooled outputs handed out and not yet finalised (at most 2 × limit_bytes)
  uint64_t bypassed = 0;          // outputs made as plain arrays because live_bytes was at its limit
};

struct Block {
  void* p;
  size_t bytes;
};

// Idle blocks, oldest first. An output takes the newest idle block of exactly its byte size (a training
// loop or a server asks for the same few sizes again and again); past the limit the oldest go, so sizes no
// longer asked for leave room for the ones in use.
struct Pool {
  std::mutex mutex;
  std::deque<Block> idle;
  OutputPoolStats stats;
};

uint64_t LimitFromEnvironment() {
  const char* value = std::getenv("FSPD_OUTPUT_POOL_MB");
  if (value == nullptr || *value == '\0') return kDefaultLimitMiB << 20;
  char* end = nullptr;
  const unsigned long long mib = std::strtoull(value, &end, 10);
  return *end == '\0' ? static_cast<uint64_t>(mib) << 20 : kDefaultLimitMiB << 20;
}

// Never destroyed: finalisers can run while the process tears its environments down.
Pool& GetPool() {
  static Pool* pool = [] {
    auto* p = new Pool;
    p->stats.limit_bytes = LimitFromEnvironment();
    return p;
  }();
  return *pool;
}

// Blocks of 2 MiB or more are huge-page aligned and advised as such: their first touch then takes one fault
// per 2 MiB instead of one per 4 KiB (where transparent huge pages are set to madvise).
void* Allocate(size_t bytes) {
  const size_t alignment = bytes >= kHugePage ? kHugePage : 64;
  const size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  void* p = std::aligned_alloc(alignment, rounded);
  if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (alignment == kHugePage) madvise(p, rounded, MADV_HUGEPAGE);
#endif
  return p;
}

// A pooled output's memory comes back only when Node runs its finaliser, on a later turn of the event loop;
// a synchronous loop that never yields would hold every output it ever made. Past this many bytes of
// pooled outputs not yet returned, outputs are plain V8 memory, which the collector frees by itself.
uint64_t LiveLimit(const OutputPoolStats& s) { return 2 * s.limit_bytes; }

// nullptr when the pool is off or too much of its memory is still out (see LiveLimit).
void* Take(size_t bytes) {
  Pool& pool = GetPool();
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    if (pool.stats.live_bytes + bytes > LiveLimit(pool.stats)) {
      pool.stats.bypassed += 1;
      return nullptr;
    }
    pool.stats.live_bytes += bytes;
    auto it = std::find_if(pool.idle.rbegin(), pool.idle.rend(), [&](const Block& b) { return b.bytes == bytes; });
    if (it != pool.idle.rend()) {
      void* p = it->p;
      pool.idle.erase(std::next(it).base());
      pool.stats.idle_bytes -= bytes;
      pool.stats.idle_blocks -= 1;
      pool.stats.hits += 1;
      return p;
    }
    pool.stats.misses += 1;
  }
  try {
    return Allocate(bytes);
  } catch (...) {
    std::lock_guard<std::mutex> lock(pool.mutex);
    pool.stats.live_bytes -= bytes;
    throw;
  }
}

void Give(void* p, size_t bytes) {
  Pool& pool = GetPool();
  std::vector<void*> evicted;
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    pool.stats.live_bytes -= bytes;
    if (bytes > pool.stats.limit_bytes) {
      evicted.push_back(p);
    } else {
      pool.idle.push_back({p, bytes});
      pool.stats.idle_bytes += bytes;
      pool.stats.idle_blocks += 1;
      while (pool.stats.idle_bytes > pool.stats.limit_bytes) {
        const Block oldest = pool.idle.front();
        pool.idle.pop_front();
        pool.stats.idle_bytes -= oldest.bytes;
        pool.stats.idle_blocks -= 1;
        evicted.push_back(oldest.p);
      }
    }
  }
  for (void* e : evicted) std::free(e);
}

void Trim() {
  Pool& pool = GetPool();
  std::deque<Block> idle;
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    idle.swap(pool.idle);
    pool.stats.idle_bytes = 0;
    pool.stats.idle_blocks = 0;
  }
  for (const Block& b : idle) std::free(b.p);
}

}  // namespace

Napi::Float32Array NewPooledFloat32Array(Napi::Env env, size_t n) {
  const size_t bytes = n * sizeof(float);
  void* block = Take(bytes);
  if (block == nullptr) return Napi::Float32Array::New(env, n);
  Napi::ArrayBuffer buffer;
  try {
    buffer = Napi::ArrayBuffer::New(env, block, bytes, [](Napi::Env, void* data, size_t* size) {
      Give(data, *size);
      delete size;
    }, new size_t(bytes));
  } catch (const Napi::Error&) {  // a runtime without external buffers (e.g. a V8 sandbox): plain memory
    Give(block, bytes);
    return Napi::Float32Array::New(env, n);
  }
  return Napi::Float32Array::New(env, n, buffer, 0);
}

Napi::Value OutputArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double n = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(n >= 1 && n <= 4294967295.0 && n == static_cast<double>(static_cast<uint64_t>(n))))
    throw Napi::RangeError::New(env, "outputArray: length must be an integer in [1, 2^32 - 1]");
  Napi::Float32Array out = NewPooledFloat32Array(env, static_cast<size_t>(n));
  std::memset(out.Data(), 0, out.ByteLength());  // a pooled block holds an earlier output's values
  return out;
}

Napi::Value OutputPoolStatsValue(const Napi::CallbackInfo& info) {
  OutputPoolStats s;
  {
    Pool& pool = GetPool();
    std::lock_guard<std::mutex> lock(pool.mutex);
    s = pool.stats;
  }
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("hits", static_cast<double>(s.hits));
  out.Set("misses", static_cast<double>(s.misses));
  out.Set("idleBytes", static_cast<double>(s.idle_bytes));
  out.Set("idleBlocks", static_cast<double>(s.idle_blocks));
  out.Set("limitBytes", static_cast<double>(s.limit_bytes));
  out.Set("liveBytes", static_cast<double>(s.live_bytes));
  out.Set("bypassed", static_cast<double>(s.bypassed));
  return out;
}

Napi::Value OutputPoolTrim(const Napi::CallbackInfo& info) {
  Trim();
  return info.Env().Undefined();
}

}  // namespace fspd::binding
