// JS values -> core views, with TypeError/RangeError naming the argument. Who checks what:
//   src/native/validate.ts  every input rule, with the messages users see (the one authority);
//   this binding            only what converting needs and memory safety: value types, enum strings, positive
//                           integer dimensions, thread counts, and array lengths against the declared shapes
//                           (sizes overflow-checked; a kernel reads and writes exactly what the shapes say, so
//                           these keep it inside the arrays);
//   the core (checks.cc)    the rules again on the views, before any kernel runs: the last line of defence.
#pragma once

#include <napi.h>

#include <initializer_list>
#include <string>

#include "fspd/fsp.h"
#include "jobs.h"

namespace fspd::binding {

// {data: Float32Array, shape: [4 positive ints], layout: 'NHWC'|'NCHW'}; shape per layout.
// The job keeps `data` alive; data.length must equal the product of the shape.
MapView ReadMap(const Napi::Value& value, const std::string& name, Job& job);

// {first, second} of two maps.
PairView ReadPair(const Napi::Value& value, const std::string& name, Job& job);

// A Float32Array of exactly `length` elements, kept alive by the job.
const float* ReadFloats(const Napi::Value& value, const std::string& name, int64_t length, Job& job);

// A caller-given output: a Float32Array of exactly `length` elements, kept alive for the job.
Napi::Float32Array ReadOutput(const Napi::Value& value, const std::string& name, int64_t length, Job& job);

int64_t ReadPositiveInt(const Napi::Value& value, const std::string& name);
Pooling ReadPooling(const Napi::Value& value, const std::string& name);
Reduction ReadReduction(const Napi::Value& value, const std::string& name);

// The most threads a call may ask for (src/native/addon.ts: MAX_THREADS): far above any machine's hardware
// threads. A call may start that many (parked for reuse afterwards), so a larger count is refused.
constexpr int kMaxThreads = 4096;

// threads: undefined or an integer in [0, kMaxThreads]; 0 (the default) is every hardware thread.
Context ReadContext(const Napi::Value& threads);

// The product of positive dimensions (an element count), or a RangeError naming `name` when it overflows
// int64: a wrapped product would let a short array pass the length checks.
int64_t CheckedProduct(Napi::Env env, std::initializer_list<int64_t> factors, const std::string& name);

// A new Float32Array of n elements whose storage the job may write from a worker thread; its memory comes
// from the output pool (output_pool.h) and holds stale values until the kernel overwrites all of it.
Napi::Float32Array NewOutput(Napi::Env env, int64_t n, Job& job);

}  // namespace fspd::binding
