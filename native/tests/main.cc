// fsp_core tests: every kernel against a float64 reference, every argument error, the threading loop.
// ctest runs this once per SIMD level (FSPD_SIMD=avx512|avx2|portable).
#include <cstdio>

#include "harness.h"

namespace test {
void test_kernels();
void test_loss();
void test_errors();
void test_parallel();
void test_half();
void test_distance();
}  // namespace test

int main() {
  test::test_kernels();
  test::test_loss();
  test::test_errors();
  test::test_parallel();
  test::test_half();
  test::test_distance();
  std::printf("fsp_core: %d passed, %d failed\n", test::passed(), test::failed());
  return test::failed() == 0 ? 0 : 1;
}
