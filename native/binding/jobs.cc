#include "jobs.h"

#include <new>
#include <string>

#include "fspd/fsp.h"

namespace fspd::binding {
namespace {

// Core argument errors become TypeError/RangeError; anything else is a plain Error.
enum class Failure { None, Type, Range, Other };

struct Outcome {
  Failure failure = Failure::None;
  std::string message;
};

Outcome Run(Job& job) {
  try {
    job.run();
    return {};
  } catch (const ArgumentError& e) {
    return {e.kind() == ArgumentError::Kind::Type ? Failure::Type : Failure::Range, e.what()};
  } catch (const std::bad_alloc&) {
    return {Failure::Range, "fspd: out of memory while computing"};
  } catch (const std::exception& e) {
    return {Failure::Other, e.what()};
  }
}

Napi::Error ToJsError(Napi::Env env, const Outcome& outcome) {
  switch (outcome.failure) {
    case Failure::Type: return Napi::TypeError::New(env, outcome.message);
    case Failure::Range: return Napi::RangeError::New(env, outcome.message);
    default: return Napi::Error::New(env, outcome.message);
  }
}

class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(Napi::Env env, std::unique_ptr<Job> job)
      : Napi::AsyncWorker(env, "fspd.kernel"), job_(std::move(job)), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override { outcome_ = Run(*job_); }

  void OnOK() override {
    // A job that ends while its environment is torn down (a worker terminated, process.exit in a worker)
    // cannot settle its promise: settling throws, and an exception out of OnOK would end the whole process
    // (std::terminate). Nobody can see that promise any more, so the result is dropped.
    try {
      Settle();
    } catch (const Napi::Error&) {
    }
  }

 private:
  void Settle() {
    Napi::Env env = Env();
    if (outcome_.failure != Failure::None) {
      deferred_.Reject(ToJsError(env, outcome_).Value());
      return;
    }
    try {
      deferred_.Resolve(job_->result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  std::unique_ptr<Job> job_;
  Napi::Promise::Deferred deferred_;
  Outcome outcome_;
};

}  // namespace

Napi::Value RunJob(Napi::Env env, std::unique_ptr<Job> job, bool async) {
  if (!async) {
    Outcome outcome = Run(*job);
    if (outcome.failure != Failure::None) throw ToJsError(env, outcome);
    return job->result(env);
  }
  auto* worker = new JobWorker(env, std::move(job));  // deleted by node-addon-api after OnOK
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace fspd::binding
