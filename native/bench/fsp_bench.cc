// fsp_bench: FSP forward and fused loss+gradients throughput on typical CIFAR-ResNet shapes, as GFLOP/s
// and as a fraction of this machine's FMA peak. Median of several runs after warm-up. The peak is
// measured again right before each shape, so a machine shared with other work skews both alike.
//   fsp_bench [--json] [--threads N] [--runs N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "fspd/fsp.h"

namespace {

struct Shape {
  int64_t b, c1, c2, h, w;
};
const Shape kShapes[] = {{128, 16, 16, 32, 32}, {128, 32, 32, 16, 16}, {128, 64, 64, 8, 8}, {64, 64, 64, 32, 32},
                         {256, 16, 32, 32, 32}};

struct Options {
  bool json = false;
  int threads = 0;
  int runs = 11;
};

std::vector<float> random_floats(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

template <class Fn>
double median_ms(int runs, const Fn& fn) {
  for (int i = 0; i < 2; ++i) fn();  // warm-up: pages touched, caches and frequency settled
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

struct Result {
  Shape shape;
  fspd::Layout layout;
  double peak_gflops, forward_ms, loss_ms;
  double forward_gflops() const { return 2.0 * shape.b * shape.c1 * shape.c2 * shape.h * shape.w / forward_ms / 1e6; }
  // Forward G_S plus the two backward GEMMs; the teacher's matrices are given (cached, as in the paper).
  double loss_gflops() const { return 6.0 * shape.b * shape.c1 * shape.c2 * shape.h * shape.w / loss_ms / 1e6; }
};

Result measure(const Shape& s, fspd::Layout layout, int threads, const Options& o, std::mt19937& rng) {
  const size_t n1 = static_cast<size_t>(s.b * s.h * s.w * s.c1), n2 = static_cast<size_t>(s.b * s.h * s.w * s.c2);
  const size_t nm = static_cast<size_t>(s.b * s.c1 * s.c2);
  const std::vector<float> x = random_floats(n1, rng), y = random_floats(n2, rng), teacher = random_floats(nm, rng);
  std::vector<float> g(nm), dx(n1), dy(n2);
  const fspd::MapView first{x.data(), s.b, s.h, s.w, s.c1, layout}, second{y.data(), s.b, s.h, s.w, s.c2, layout};
  const fspd::Context ctx{o.threads};
  Result r{s, layout, fspd::measure_fma_peak_gflops(threads, 0.2), 0, 0};
  r.forward_ms = median_ms(o.runs, [&] { fspd::fsp_forward(first, second, g.data(), ctx); });
  fspd::LossOutputs outputs;
  outputs.grad_first = {dx.data()};
  outputs.grad_second = {dy.data()};
  r.loss_ms = median_ms(o.runs, [&] {
    fspd::fsp_loss({{first, second}}, {}, {teacher.data()}, fspd::LossOptions{}, outputs, ctx);
  });
  return r;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") {
      o.json = true;
    } else if ((a == "--threads" || a == "--runs") && i + 1 < argc) {
      (a == "--threads" ? o.threads : o.runs) = std::max(a == "--threads" ? 0 : 1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: fsp_bench [--json] [--threads N] [--runs N]\n");
      std::exit(2);
    }
  }
  return o;
}

const char* name(fspd::Layout layout) { return layout == fspd::Layout::NHWC ? "NHWC" : "NCHW"; }

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const fspd::BuildInfo info = fspd::build_info();
  const int threads = o.threads > 0 ? o.threads : info.threads;
  std::mt19937 rng(1);
  std::vector<Result> results;
  for (const Shape& s : kShapes)
    for (fspd::Layout layout : {fspd::Layout::NHWC, fspd::Layout::NCHW})
      results.push_back(measure(s, layout, threads, o, rng));
  std::vector<double> peaks;
  for (const Result& r : results) peaks.push_back(r.peak_gflops);
  std::sort(peaks.begin(), peaks.end());
  const double peak = peaks[peaks.size() / 2];

  if (o.json) {
    std::printf("{\"version\": \"%s\", \"compiler\": \"%s\", \"simd\": \"%s\", \"threads\": %d, "
                "\"median_peak_gflops\": %.1f,\n \"results\": [\n",
                info.version.c_str(), info.compiler.c_str(), info.simd.c_str(), threads, peak);
    for (size_t i = 0; i < results.size(); ++i) {
      const Result& r = results[i];
      std::printf("  {\"batch\": %lld, \"c1\": %lld, \"c2\": %lld, \"height\": %lld, \"width\": %lld, "
                  "\"layout\": \"%s\", \"peak_gflops\": %.1f, \"forward_ms\": %.4f, \"forward_gflops\": %.1f, "
                  "\"loss_grad_ms\": %.4f, \"loss_grad_gflops\": %.1f}%s\n",
                  static_cast<long long>(r.shape.b), static_cast<long long>(r.shape.c1),
                  static_cast<long long>(r.shape.c2), static_cast<long long>(r.shape.h),
                  static_cast<long long>(r.shape.w), name(r.layout), r.peak_gflops, r.forward_ms, r.forward_gflops(),
                  r.loss_ms, r.loss_gflops(), i + 1 < results.size() ? "," : "");
    }
    std::printf("]}\n");
    return 0;
  }
  std::printf("fspd %s, %s, simd %s, %d threads; FMA peak %.1f GFLOP/s (median; each row uses its own)\n",
              info.version.c_str(), info.compiler.c_str(), info.simd.c_str(), threads, peak);
  std::printf("%-20s %-6s %8s %11s %9s %6s %13s %9s %6s\n", "B,C1,C2,hxw", "layout", "peak", "forward ms", "GFLOP/s",
              "peak", "loss+grad ms", "GFLOP/s", "peak");
  for (const Result& r : results) {
    const std::string shape = std::to_string(r.shape.b) + "," + std::to_string(r.shape.c1) + "," +
                              std::to_string(r.shape.c2) + "," + std::to_string(r.shape.h) + "x" +
                              std::to_string(r.shape.w);
    std::printf("%-20s %-6s %8.1f %11.3f %9.1f %5.0f%% %13.3f %9.1f %5.0f%%\n", shape.c_str(), name(r.layout),
                r.peak_gflops, r.forward_ms, r.forward_gflops(), 100 * r.forward_gflops() / r.peak_gflops, r.loss_ms,
                r.loss_gflops(), 100 * r.loss_gflops() / r.peak_gflops);
  }
  return 0;
}
