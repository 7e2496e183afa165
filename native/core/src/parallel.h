// Internal: a minimal fork-join loop. Each call spawns its own threads and joins them before returning,
// so concurrent callers (the Node binding's worker threads) share nothing.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace fspd {

// threads <= 0 means all hardware threads; the result is at least 1.
int resolve_threads(int requested);

// Threads worth using for `flops` of work: spawning costs tens of microseconds, so small work runs inline.
inline int threads_for_work(double flops, int threads) { return flops < 2e6 ? 1 : threads; }

// Runs fn(i) for every i in [0, n) on up to `threads` threads (the caller's included), handing out
// indices one at a time. The first exception thrown by fn is rethrown after all threads have joined.
template <class Fn>
void parallel_for(int64_t n, int threads, const Fn& fn) {
  const int64_t workers = std::min<int64_t>(threads, n);
  if (workers <= 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    try {
      for (int64_t i; (i = next.fetch_add(1)) < n;) fn(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next.store(n);  // the others stop at their next index
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(workers - 1));
  for (int64_t t = 1; t < workers; ++t) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads available: the ones running (and this one) finish the loop
    }
  }
  work();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace fspd
