// The fork-join loop every kernel runs on (core/src/parallel.h): each index exactly once, with any thread
// count, from several callers at once, after an exception, and in a forked child; helpers are reused.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(__unix__)
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "harness.h"
#include "parallel.h"

namespace test {
namespace {

// True when fspd::parallel_for(n, threads) calls fn(i) exactly once for every i < n.
bool each_index_once(int64_t n, int threads) {
  std::vector<std::atomic<int>> calls(static_cast<size_t>(n));
  fspd::parallel_for(n, threads, [&](int64_t i) { calls[static_cast<size_t>(i)].fetch_add(1); });
  for (const auto& c : calls)
    if (c.load() != 1) return false;
  return true;
}

void every_index_once() {
  for (int threads : {1, 2, 3, 8})
    for (int64_t n : {0, 1, 3, 1000}) CHECK(each_index_once(n, threads));
}

// Back-to-back calls wake the same parked helpers instead of starting threads.
void helpers_reused() {
  CHECK(each_index_once(64, 3));  // at most 2 helpers started here
  const int64_t before = fspd::helper_threads_started();
  bool all = true;
  for (int repeat = 0; repeat < 500; ++repeat) all = all && each_index_once(64, 3);
  CHECK(all);
  CHECK(fspd::helper_threads_started() == before);
}

// Threads spin briefly before sleeping (parallel.cc, kSpin): past it, a helper parks and a caller sleeps
// until its helpers finish. Both must still be woken: calls spaced wider than the spin, and a helper that
// runs longer than it while the caller waits.
void sleeping_paths() {
  CHECK(each_index_once(64, 3));
  const int64_t before = fspd::helper_threads_started();
  bool all = true;
  for (int repeat = 0; repeat < 5; ++repeat) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the helpers park
    all = all && each_index_once(64, 3);
  }
  CHECK(all);
  CHECK(fspd::helper_threads_started() == before);
  // The caller holds its index until the helper has taken the other, which then outlasts the caller's spin.
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> helper_took{false};
  std::atomic<int> done{0};
  fspd::parallel_for(2, 2, [&](int64_t) {
    if (std::this_thread::get_id() != caller) {
      helper_took.store(true);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } else {
      const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!helper_took.load() && std::chrono::steady_clock::now() < end) std::this_thread::yield();
    }
    done.fetch_add(1);
  });
  CHECK(helper_took.load());
  CHECK(done.load() == 2);
}

void concurrent_callers() {
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      for (int repeat = 0; repeat < 200; ++repeat)
        if (!each_index_once(257, 3)) wrong.fetch_add(1);
    });
  for (std::thread& t : callers) t.join();
  CHECK(wrong.load() == 0);
}

void exception_rethrown() {
  bool thrown = false;
  try {
    fspd::parallel_for(1000, 4, [](int64_t i) {
      if (i == 5) throw std::runtime_error("index 5");
    });
  } catch (const std::runtime_error& e) {
    thrown = std::string(e.what()) == "index 5";
  }
  CHECK(thrown);
  CHECK(each_index_once(1000, 4));  // the helpers of the failed call are parked again
}

#if defined(__unix__)
// A child forked after helpers exist has none of them: it starts its own instead of waiting forever.
void forked_child() {
  CHECK(each_index_once(100, 3));
  const pid_t pid = fork();
  if (pid == 0) {
    alarm(20);  // a hang shows as a failure, not a stuck test
    _exit(each_index_once(100, 3) ? 0 : 1);
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
#endif

}  // namespace

void test_parallel() {
  run("parallel_for: each index once, 1/2/3/8 threads", every_index_once);
  run("parallel_for: back-to-back calls reuse helpers", helpers_reused);
  run("parallel_for: parked helpers and a sleeping caller are woken", sleeping_paths);
  run("parallel_for: 4 callers at once", concurrent_callers);
  run("parallel_for: first exception rethrown, helpers parked again", exception_rethrown);
#if defined(__unix__)
  run("parallel_for: in a forked child", forked_child);
#endif
}

}  // namespace test
