// The benches' one timing rule: warm up, then the median wall time of `runs` calls, in ms.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

template <class Fn>
double median_ms(int runs, int warmups, const Fn& fn) {
  for (int i = 0; i < warmups; ++i) fn();  // pages touched, caches and clocks settled
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}
