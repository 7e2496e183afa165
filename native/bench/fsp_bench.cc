// fsp_bench: FSP forward and fused loss+gradients on typical CIFAR-ResNet shapes, timed in C++ with output
// buffers reused between calls, against this machine's roofline: max(flops / FMA peak, bytes / bandwidth),
// both measured in the same run (FMA chains; a STREAM triad). Median of several runs after warm-up. Both
// probes run again before each shape; the highest reading of each is the denominator (on a shared machine a
// probe can only read low, so the highest is the most demanding).
//   fsp_bench [--json] [--threads N] [--runs N] [--shape B,C1,C2,H,W]... [--layout NHWC|NCHW]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "fspd/fsp.h"
#include "timing.h"

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
  std::vector<Shape> shapes;           // empty: kShapes
  std::vector<fspd::Layout> layouts;   // empty: both
};

std::vector<float> random_floats(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Outputs allocated as the addon's output pool allocates the arrays it returns: 64-byte aligned, and 2 MiB
// aligned and advised as huge pages from 2 MiB up. The kernels write aligned gradients with streaming stores,
// so outputs from std::vector (glibc puts large blocks 16 bytes past a page start) would time a slower path
// than users get.
struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Output = std::unique_ptr<float[], FreeDeleter>;

Output output_floats(size_t n) {
  constexpr size_t kHugePage = size_t{2} << 20;
  const size_t bytes = n * sizeof(float), alignment = bytes >= kHugePage ? kHugePage : 64;
  void* p = std::aligned_alloc(alignment, (bytes + alignment - 1) / alignment * alignment);
  if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (alignment == kHugePage) madvise(p, bytes, MADV_HUGEPAGE);
#endif
  return Output(static_cast<float*>(p));
}

struct Result {
  Shape shape;
  fspd::Layout layout;
  double forward_ms, loss_ms;
  double gemm_flops() const { return 2.0 * shape.b * shape.c1 * shape.c2 * shape.h * shape.w; }
  double map_bytes() const { return 4.0 * shape.b * shape.h * shape.w * (shape.c1 + shape.c2); }
  double matrix_bytes() const { return 4.0 * shape.b * shape.c1 * shape.c2; }
  // Forward: one GEMM; reads both maps, writes G.
  double forward_flops() const { return gemm_flops(); }
  double forward_bytes() const { return map_bytes() + matrix_bytes(); }
  // Fused loss+gradients against given teacher matrices (cached, as in the paper): G_S plus the two
  // backward GEMMs; reads both maps and the teacher's matrices, writes both gradients.
  double loss_flops() const { return 3.0 * gemm_flops(); }
  double loss_bytes() const { return 2.0 * map_bytes() + matrix_bytes(); }
};

// The roofline's time for `flops` and `bytes` (ms), and which bound sets it.
struct Floor {
  double ms;
  const char* bound;
};
Floor roofline(double flops, double bytes, double peak_gflops, double bandwidth_gbps) {
  const double compute = flops / peak_gflops / 1e6, memory = bytes / bandwidth_gbps / 1e6;
  return compute >= memory ? Floor{compute, "compute"} : Floor{memory, "memory"};
}

Result measure(const Shape& s, fspd::Layout layout, const Options& o, std::mt19937& rng) {
  const size_t n1 = static_cast<size_t>(s.b * s.h * s.w * s.c1), n2 = static_cast<size_t>(s.b * s.h * s.w * s.c2);
  const size_t nm = static_cast<size_t>(s.b * s.c1 * s.c2);
  const std::vector<float> x = random_floats(n1, rng), y = random_floats(n2, rng), teacher = random_floats(nm, rng);
  const Output g = output_floats(nm), dx = output_floats(n1), dy = output_floats(n2);
  const fspd::MapView first{x.data(), s.b, s.h, s.w, s.c1, layout}, second{y.data(), s.b, s.h, s.w, s.c2, layout};
  const fspd::Context ctx{o.threads};
  Result r{s, layout, 0, 0};
  r.forward_ms = median_ms(o.runs, 2, [&] { fspd::fsp_forward(first, second, g.get(), ctx); });
  fspd::LossOutputs outputs;
  outputs.grad_first = {dx.get()};
  outputs.grad_second = {dy.get()};
  r.loss_ms = median_ms(o.runs, 2, [&] {
    fspd::fsp_loss({{first, second}}, {}, {teacher.data()}, fspd::LossOptions{}, outputs, ctx);
  });
  return r;
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: fsp_bench [--json] [--threads N] [--runs N] [--shape B,C1,C2,H,W]... [--layout NHWC|NCHW]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") {
      o.json = true;
    } else if ((a == "--threads" || a == "--runs") && i + 1 < argc) {
      (a == "--threads" ? o.threads : o.runs) = std::max(a == "--threads" ? 0 : 1, std::atoi(argv[++i]));
    } else if (a == "--shape" && i + 1 < argc) {
      long long b, c1, c2, h, w;
      char end;
      if (std::sscanf(argv[++i], "%lld,%lld,%lld,%lld,%lld%c", &b, &c1, &c2, &h, &w, &end) != 5 || b < 1 || c1 < 1 ||
          c2 < 1 || h < 1 || w < 1)
        usage();
      o.shapes.push_back({b, c1, c2, h, w});
    } else if (a == "--layout" && i + 1 < argc) {
      const std::string l = argv[++i];
      if (l != "NHWC" && l != "NCHW") usage();
      o.layouts.push_back(l == "NHWC" ? fspd::Layout::NHWC : fspd::Layout::NCHW);
    } else {
      usage();
    }
  }
  return o;
}

const char* name(fspd::Layout layout) { return layout == fspd::Layout::NHWC ? "NHWC" : "NCHW"; }

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (o.shapes.empty()) o.shapes.assign(std::begin(kShapes), std::end(kShapes));
  if (o.layouts.empty()) o.layouts = {fspd::Layout::NHWC, fspd::Layout::NCHW};
  const fspd::BuildInfo info = fspd::build_info();
  const int threads = o.threads > 0 ? o.threads : info.threads;
  std::mt19937 rng(1);
  std::vector<Result> results;
  double peak = 0, bandwidth = 0;
  for (const Shape& s : o.shapes) {
    peak = std::max(peak, fspd::measure_fma_peak_gflops(threads, 0.2));
    bandwidth = std::max(bandwidth, fspd::measure_memory_bandwidth_gbps(threads, 0.2));
    for (fspd::Layout layout : o.layouts) results.push_back(measure(s, layout, o, rng));
  }

  if (o.json) {
    std::printf("{\"version\": \"%s\", \"compiler\": \"%s\", \"simd\": \"%s\", \"threads\": %d, "
                "\"peak_gflops\": %.1f, \"bandwidth_gbps\": %.2f,\n \"results\": [\n",
                info.version.c_str(), info.compiler.c_str(), info.simd.c_str(), threads, peak, bandwidth);
    // Flops and bytes, not roofline times: a caller running this once per shape takes the highest probe
    // readings over all its runs as the roofline's denominators (one 0.2 s probe can read low).
    for (size_t i = 0; i < results.size(); ++i) {
      const Result& r = results[i];
      std::printf("  {\"batch\": %lld, \"c1\": %lld, \"c2\": %lld, \"height\": %lld, \"width\": %lld, "
                  "\"layout\": \"%s\", \"forward_ms\": %.4f, \"forward_flops\": %.0f, \"forward_bytes\": %.0f, "
                  "\"loss_grad_ms\": %.4f, \"loss_grad_flops\": %.0f, \"loss_grad_bytes\": %.0f}%s\n",
                  static_cast<long long>(r.shape.b), static_cast<long long>(r.shape.c1),
                  static_cast<long long>(r.shape.c2), static_cast<long long>(r.shape.h),
                  static_cast<long long>(r.shape.w), name(r.layout), r.forward_ms, r.forward_flops(), r.forward_bytes(),
                  r.loss_ms, r.loss_flops(), r.loss_bytes(), i + 1 < results.size() ? "," : "");
    }
    std::printf("]}\n");
    return 0;
  }
  std::printf("fspd %s, %s, simd %s, %d threads; FMA peak %.1f GFLOP/s, bandwidth %.1f GB/s (STREAM triad)\n",
              info.version.c_str(), info.compiler.c_str(), info.simd.c_str(), threads, peak, bandwidth);
  std::printf("%-20s %-6s %11s %9s %-8s %13s %9s %-8s\n", "B,C1,C2,hxw", "layout", "forward ms", "roofline", "bound",
              "loss+grad ms", "roofline", "bound");
  for (const Result& r : results) {
    const std::string shape = std::to_string(r.shape.b) + "," + std::to_string(r.shape.c1) + "," +
                              std::to_string(r.shape.c2) + "," + std::to_string(r.shape.h) + "x" +
                              std::to_string(r.shape.w);
    const Floor f = roofline(r.forward_flops(), r.forward_bytes(), peak, bandwidth);
    const Floor l = roofline(r.loss_flops(), r.loss_bytes(), peak, bandwidth);
    std::printf("%-20s %-6s %11.3f %8.0f%% %-8s %13.3f %8.0f%% %-8s\n", shape.c_str(), name(r.layout), r.forward_ms,
                100 * f.ms / r.forward_ms, f.bound, r.loss_ms, 100 * l.ms / r.loss_ms, l.bound);
  }
  return 0;
}
