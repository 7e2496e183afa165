#include "harness.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace test {
namespace {

int g_passed = 0, g_failed = 0;
std::vector<std::string> g_failures;  // of the running case

}  // namespace

void fail(const std::string& message) { g_failures.push_back(message); }

void run(const std::string& name, const std::function<void()>& body) {
  g_failures.clear();
  try {
    body();
  } catch (const std::exception& e) {
    fail(std::string("unexpected exception: ") + e.what());
  }
  if (g_failures.empty()) {
    ++g_passed;
    std::printf("ok    %s\n", name.c_str());
  } else {
    ++g_failed;
    std::printf("FAIL  %s\n", name.c_str());
    for (const std::string& f : g_failures) std::printf("        %s\n", f.c_str());
  }
  std::fflush(stdout);
}

int passed() { return g_passed; }
int failed() { return g_failed; }

RefMap to_double(const Map& m) {
  RefMap r(m.b, m.h, m.w, m.c, m.layout);
  for (size_t i = 0; i < m.v.size(); ++i) r.v[i] = m.v[i];
  return r;
}

const char* name(Layout layout) { return layout == Layout::NHWC ? "NHWC" : "NCHW"; }
const char* name(Pooling pooling) { return pooling == Pooling::Max ? "max" : "avg"; }

Map random_map(Rng& rng, int64_t b, int64_t h, int64_t w, int64_t c, Layout layout, int levels) {
  Map m(b, h, w, c, layout);
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  std::uniform_int_distribution<int> level(0, levels > 0 ? levels - 1 : 0);
  for (float& x : m.v) x = levels > 0 ? static_cast<float>(level(rng)) : real(rng);
  return m;
}

std::vector<float> random_vector(Rng& rng, size_t n) {
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = real(rng);
  return v;
}

std::vector<float> poisoned(size_t n) { return std::vector<float>(n, std::numeric_limits<float>::quiet_NaN()); }

double relative_error(const std::vector<float>& got, const std::vector<double>& ref) {
  if (got.size() != ref.size()) return std::numeric_limits<double>::quiet_NaN();
  double diff = 0, scale = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(got[i]) != std::isnan(ref[i])) return std::numeric_limits<double>::quiet_NaN();
    if (std::isnan(ref[i])) continue;
    diff = std::max(diff, std::abs(got[i] - ref[i]));
    scale = std::max(scale, std::abs(ref[i]));
  }
  return scale == 0 ? diff : diff / scale;
}

void check_close(const std::vector<float>& got, const std::vector<double>& ref, const std::string& what) {
  const double err = relative_error(got, ref);
  if (!(err <= kTolerance)) fail(what + ": relative error " + std::to_string(err));
}

void check_close(double got, double ref, const std::string& what) {
  const double err = std::abs(got - ref) / std::max(std::abs(ref), std::numeric_limits<double>::min());
  if (!(err <= kTolerance)) fail(what + ": " + std::to_string(got) + " vs " + std::to_string(ref));
}

void expect_error(fspd::ArgumentError::Kind kind, const std::string& needle, const std::function<void()>& call) {
  try {
    call();
    fail("no ArgumentError, expected one containing '" + needle + "'");
  } catch (const fspd::ArgumentError& e) {
    const std::string message = e.what();
    if (e.kind() != kind) fail("'" + message + "': wrong kind");
    if (message.find(needle) == std::string::npos) fail("'" + message + "' does not contain '" + needle + "'");
  } catch (const std::exception& e) {
    fail(std::string("wrong exception type: ") + e.what());
  }
}

}  // namespace test
