#include "parallel.h"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

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

// How long a thread spins before sleeping on a condition variable: a helper after its part of a call (for
// the next call), a caller after its own part (for its helpers'). Waking a sleeping thread took 18–46 µs
// here (p10–p90), against 0.33–0.5 ms for a whole small forward on two threads (docs/BENCHMARKS.md).
constexpr std::chrono::microseconds kSpin{50};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until ready() or kSpin has passed; whether ready() held.
template <class Ready>
bool spin_until(const Ready& ready) {
  const auto end = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; ++i) {
    if (ready()) return true;
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > end) return false;
    cpu_relax();
  }
}

// One call's helpers still running; lives on the caller's stack.
struct Call {
  std::mutex mutex;
  std::condition_variable done;
  std::atomic<int> running{0};  // changed under mutex; read without it while the caller spins
};

// A parked thread and the work it is handed.
struct Helper {
  std::mutex mutex;
  std::condition_variable wake;
  std::atomic<bool> handed{false};  // body is set; read without mutex while the helper spins
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
    spin_until([&] { return self->handed.load(std::memory_order_acquire); });
    {
      std::unique_lock<std::mutex> lock(self->mutex);
      self->wake.wait(lock, [&] { return self->body != nullptr; });
      body = self->body;
      context = self->context;
      call = self->call;
      self->body = nullptr;
      self->handed.store(false, std::memory_order_relaxed);
    }
    body(context);
    {
      // Parked again before the caller hears of it, so the caller's next call finds this helper idle.
      Helpers& all = GetHelpers();
      std::lock_guard<std::mutex> lock(all.mutex);
      all.idle.push_back(self);
    }
    std::lock_guard<std::mutex> lock(call->mutex);  // notified under the lock: the caller's Call outlives it
    if (call->running.fetch_sub(1, std::memory_order_acq_rel) == 1) call->done.notify_one();
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
  call.running.store(static_cast<int>(woken.size()));
  for (Helper* helper : woken) {
    std::lock_guard<std::mutex> lock(helper->mutex);
    helper->body = body;
    helper->context = context;
    helper->call = &call;
    helper->handed.store(true, std::memory_order_release);
    helper->wake.notify_one();
  }
  body(context);
  spin_until([&] { return call.running.load(std::memory_order_acquire) == 0; });
  // Taken even when the spin saw 0: the last helper may still hold it, notifying (Call is on this stack).
  std::unique_lock<std::mutex> lock(call.mutex);
  call.done.wait(lock, [&] { return call.running.load(std::memory_order_relaxed) == 0; });
}

int64_t helper_threads_started() {
  Helpers& all = GetHelpers();
  std::lock_guard<std::mutex> lock(all.mutex);
  return all.started;
}

}  // namespace fspd
