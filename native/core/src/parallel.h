// Internal: a minimal fork-join loop on reused helper threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>

namespace fspd {

// threads <= 0 means all hardware threads; the result is at least 1.
int resolve_threads(int requested);

// Threads worth using for `flops` of work: waking a helper costs microseconds, so small work runs inline.
inline int threads_for_work(double flops, int threads) { return flops < 2e6 ? 1 : threads; }

// Runs body(context) on the calling thread and on `helpers` other threads at once, and returns when all of
// them have returned. The other threads are parked helpers, woken for the call (a new one is started when
// none is idle, so concurrent callers each get their own). A woken thread goes to an idle CPU; a thread
// started per call was often queued behind its parent on a busy one while the other CPU idled (2-vCPU VM,
// Node's async calls on the libuv pool: 1.07 CPUs busy on average for a 2-thread kernel). body must not throw.
void run_on_helpers(int helpers, void (*body)(void*), void* context);

// Helper threads started so far in this process (tests check that calls reuse them).
int64_t helper_threads_started();

// Runs fn(i) for every i in [0, n) on up to `threads` threads (the caller's included), handing out
// indices one at a time. The first exception thrown by fn is rethrown after all threads have finished.
template <class Fn>
void parallel_for(int64_t n, int threads, const Fn& fn) {
  const int64_t workers = std::min<int64_t>(threads, n);
  if (workers <= 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  struct Shared {
    Shared(const Fn& f, int64_t count) : fn(f), n(count) {}
    const Fn& fn;
    const int64_t n;
    std::atomic<int64_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
  } shared(fn, n);
  run_on_helpers(static_cast<int>(workers - 1), [](void* context) {
    Shared& s = *static_cast<Shared*>(context);
    try {
      for (int64_t i; (i = s.next.fetch_add(1)) < s.n;) s.fn(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(s.error_mutex);
      if (!s.error) s.error = std::current_exception();
      s.next.store(s.n);  // the others stop at their next index
    }
  }, &shared);
  if (shared.error) std::rethrow_exception(shared.error);
}

}  // namespace fspd
