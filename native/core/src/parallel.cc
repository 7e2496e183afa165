#include "parallel.h"

#include <condition_variable>
#include <exception>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#endif

namespace fspd {

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned hardware = std::thread::hardware_concurrency();  // 0 when unknown
  return hardware == 0 ? 1 : static_cast<int>(hardware);
}

namespace {

// One call's helpers still running; lives on the caller's stack.
struct Call {
  std::mutex mutex;
  std::condition_variable done;
  int running = 0;
};

// A parked thread and the work it is handed.
struct Helper {
  std::mutex mutex;
  std::condition_variable wake;
  void (*body)(void*) = nullptr;
  void* context = nullptr;
  Call* call = nullptr;
};

struct Helpers {
  std::mutex mutex;
  std::vector<Helper*> idle;  // last parked first: its caches are the warmest
  int64_t started = 0;
};

// Never destroyed (helpers may be parked at exit). A forked child has none of its parent's threads: it
// starts with an empty set instead of waiting on helpers that do not exist there.
Helpers* helpers = nullptr;

Helpers& GetHelpers() {
  static const bool made = [] {
    helpers = new Helpers;
#if defined(__unix__) || defined(__APPLE__)
    pthread_atfork(nullptr, nullptr, [] { helpers = new Helpers; });
#endif
    return true;
  }();
  (void)made;
  return *helpers;
}

void Serve(Helper* self) {
  for (;;) {
    void (*body)(void*);
    void* context;
    Call* call;
    {
      std::unique_lock<std::mutex> lock(self->mutex);
      self->wake.wait(lock, [&] { return self->body != nullptr; });
      body = self->body;
      context = self->context;
      call = self->call;
      self->body = nullptr;
    }
    body(context);
    {
      // Parked again before the caller hears of it, so the caller's next call finds this helper idle.
      Helpers& all = GetHelpers();
      std::lock_guard<std::mutex> lock(all.mutex);
      all.idle.push_back(self);
    }
    std::lock_guard<std::mutex> lock(call->mutex);  // notified under the lock: the caller's Call outlives it
    if (--call->running == 0) call->done.notify_one();
  }
}

}  // namespace

void run_on_helpers(int count, void (*body)(void*), void* context) {
  std::vector<Helper*> woken;
  woken.reserve(static_cast<size_t>(count));
  {
    Helpers& all = GetHelpers();
    std::lock_guard<std::mutex> lock(all.mutex);
    while (static_cast<int>(woken.size()) < count && !all.idle.empty()) {
      woken.push_back(all.idle.back());
      all.idle.pop_back();
    }
  }
  while (static_cast<int>(woken.size()) < count) {
    Helper* helper = nullptr;
    try {
      helper = new Helper;
      std::thread(Serve, helper).detach();
    } catch (const std::exception&) {  // no memory or no more threads: the ones woken (and this one) share the work
      delete helper;
      break;
    }
    woken.push_back(helper);
    Helpers& all = GetHelpers();
    std::lock_guard<std::mutex> lock(all.mutex);
    all.started += 1;
  }
  Call call;
  call.running = static_cast<int>(woken.size());
  for (Helper* helper : woken) {
    std::lock_guard<std::mutex> lock(helper->mutex);
    helper->body = body;
    helper->context = context;
    helper->call = &call;
    helper->wake.notify_one();
  }
  body(context);
  std::unique_lock<std::mutex> lock(call.mutex);
  call.done.wait(lock, [&] { return call.running == 0; });
}

int64_t helper_threads_started() {
  Helpers& all = GetHelpers();
  std::lock_guard<std::mutex> lock(all.mutex);
  return all.started;
}

}  // namespace fspd
