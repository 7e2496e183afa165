// A kernel call packaged so it can run inline (sync API) or on the libuv pool (async API, a Promise).
// Inputs are read in place: the job keeps a reference to every typed array it reads or writes, so
// the garbage collector cannot free them while a worker thread uses them.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <vector>

namespace fspd::binding {

struct Job {
  std::function<void()> run;                     // the computation; may throw; no JS access
  std::function<Napi::Value(Napi::Env)> result;  // builds the JS result, on the JS thread
  std::vector<Napi::ObjectReference> keep;

  void Keep(const Napi::Value& value) { keep.push_back(Napi::Persistent(value.As<Napi::Object>())); }
};

// Sync: runs now and returns the result (or throws a JS error). Async: returns a Promise.
Napi::Value RunJob(Napi::Env env, std::unique_ptr<Job> job, bool async);

}  // namespace fspd::binding
