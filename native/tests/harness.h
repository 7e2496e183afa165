// A tiny test harness: named cases, CHECKs that record failures, random maps, and the normwise
// comparison every kernel is judged by: max|got − ref| / max|ref| <= 1e-5.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "fspd/fsp.h"

namespace test {

using fspd::Layout;
using fspd::Pooling;
using fspd::Reduction;

constexpr double kTolerance = 1e-5;

// Runs one named case and prints "ok" or "FAIL" with every failed check.
void run(const std::string& name, const std::function<void()>& body);
void fail(const std::string& message);
#define CHECK(cond) \
  do {              \
    if (!(cond)) ::test::fail(std::string(__FILE__ ":") + std::to_string(__LINE__) + ": " #cond); \
  } while (0)

// Both tallies, for the summary line and the exit code.
int passed();
int failed();

// A batch of maps in either layout: float for kernel inputs and outputs, double for references.
template <class T>
struct Tensor {
  int64_t b = 0, h = 0, w = 0, c = 0;
  Layout layout = Layout::NHWC;
  std::vector<T> v;

  Tensor() = default;
  Tensor(int64_t b_, int64_t h_, int64_t w_, int64_t c_, Layout l, T fill = T(0))
      : b(b_), h(h_), w(w_), c(c_), layout(l), v(static_cast<size_t>(b_ * h_ * w_ * c_), fill) {}

  size_t index(int64_t n, int64_t y, int64_t x, int64_t ch) const {
    return static_cast<size_t>(layout == Layout::NHWC ? ((n * h + y) * w + x) * c + ch
                                                      : ((n * c + ch) * h + y) * w + x);
  }
  T& at(int64_t n, int64_t y, int64_t x, int64_t ch) { return v[index(n, y, x, ch)]; }
  const T& at(int64_t n, int64_t y, int64_t x, int64_t ch) const { return v[index(n, y, x, ch)]; }
  fspd::MapView view() const { return fspd::MapView{v.data(), b, h, w, c, layout}; }
};
using Map = Tensor<float>;
using RefMap = Tensor<double>;

RefMap to_double(const Map& m);
const char* name(Layout layout);
const char* name(Pooling pooling);

using Rng = std::mt19937_64;
// Uniform in [-1, 1); with `levels` > 0 only the values {0, 1, .., levels-1}, so max windows have ties.
Map random_map(Rng& rng, int64_t b, int64_t h, int64_t w, int64_t c, Layout layout, int levels = 0);
std::vector<float> random_vector(Rng& rng, size_t n);
std::vector<float> poisoned(size_t n);  // NaN everywhere, so unwritten outputs fail the comparison

// Normwise relative error; NaN when either side has a NaN the other does not.
double relative_error(const std::vector<float>& got, const std::vector<double>& ref);
// CHECKs relative_error <= kTolerance, naming `what` and the error on failure.
void check_close(const std::vector<float>& got, const std::vector<double>& ref, const std::string& what);
void check_close(double got, double ref, const std::string& what);

// CHECKs that call() throws ArgumentError of `kind` whose message contains `needle`.
void expect_error(fspd::ArgumentError::Kind kind, const std::string& needle, const std::function<void()>& call);

}  // namespace test
