// fsp_cuda_bench: the CUDA kernels on device-resident data, timed with CUDA events (median of
// --runs >= 20 after warm-up), against this device's floor measured in the same run:
//   floor = max(bytes / measured device-to-device bandwidth, FLOPs / measured fp32 FMA peak)
// plus end-to-end (host arrays in, host arrays out, through fspd/cuda.h) against the CPU path.
//   fsp_cuda_bench [--runs N] [--quick]
// Prints "SKIP: no CUDA device (<reason>)" and exits 77 without a device.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdarg>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cuda/kernels.h"
#include "cuda/runtime.h"
#include "fspd/cuda.h"
#include "fspd/fsp.h"
#include "timing.h"

namespace {

namespace cu = fspd::cuda;
namespace dt = fspd::cuda::detail;
using fspd::Layout;

struct Shape {
  int64_t b, c1, c2, h, w;
};
// The target shape first, then the bench:fsp shapes (bench/fsp.ts).
const Shape kShapes[] = {{256, 64, 64, 32, 32}, {128, 16, 16, 32, 32}, {128, 32, 32, 16, 16},
                         {128, 64, 64, 8, 8},   {64, 64, 64, 32, 32},  {256, 16, 32, 32, 32}};

std::vector<float> random_floats(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

template <class Fn>
double median_event_ms(int runs, cudaStream_t s, const Fn& fn) {
  cudaEvent_t a, b;
  FSPD_CUDA_CHECK(cudaEventCreate(&a));
  FSPD_CUDA_CHECK(cudaEventCreate(&b));
  for (int i = 0; i < 3; ++i) fn();  // warm-up
  FSPD_CUDA_CHECK(cudaStreamSynchronize(s));
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    FSPD_CUDA_CHECK(cudaEventRecord(a, s));
    fn();
    FSPD_CUDA_CHECK(cudaEventRecord(b, s));
    FSPD_CUDA_CHECK(cudaEventSynchronize(b));
    float t = 0;
    FSPD_CUDA_CHECK(cudaEventElapsedTime(&t, a, b));
    ms.push_back(t);
  }
  FSPD_CUDA_CHECK(cudaGetLastError());
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

struct Device {
  double peak_tflops, bw_gbs;
};

std::string g_table;  // everything printed, for --out
void out(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void out(const char* fmt, ...) {
  char buf[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  std::fputs(buf, stdout);
  std::fflush(stdout);
  g_table += buf;
}

void row(const std::string& shape, const char* layout, const char* kernel, double ms, double bytes, double flops,
         const Device& d) {
  const double floor_ms = std::max(bytes / (d.bw_gbs * 1e9), flops / (d.peak_tflops * 1e12)) * 1e3;
  out("%-18s %-5s %-22s %9.3f %9.1f %8.2f %9.3f %7.2fx\n", shape.c_str(), layout, kernel, ms, bytes / (ms * 1e6),
      flops / (ms * 1e9), floor_ms, ms / floor_ms);
}

// Device-resident timings of one shape and layout.
void device_rows(const Shape& s, Layout layout, int runs, const Device& d, std::mt19937& rng) {
  const int64_t hw = s.h * s.w, n1 = s.b * hw * s.c1, n2 = s.b * hw * s.c2, nm = s.b * s.c1 * s.c2;
  dt::Call call(cu::DeviceContext{});
  float* x = call.upload(random_floats(static_cast<size_t>(n1), rng).data(), n1);
  float* y = call.upload(random_floats(static_cast<size_t>(n2), rng).data(), n2);
  float* gt = call.upload(random_floats(static_cast<size_t>(nm), rng).data(), nm);
  float* gs = call.alloc_floats(nm);
  float* dg = call.alloc_floats(nm);
  float* dx = call.alloc_floats(n1);
  float* dy = call.alloc_floats(n2);
  double* squares = call.alloc_doubles(s.b);
  const int64_t ph = std::max<int64_t>(1, s.h / 2), pw = std::max<int64_t>(1, s.w / 2), np = s.b * ph * pw * s.c1;
  float* pooled = call.alloc_floats(np);
  float* pooled_grad = call.upload(random_floats(static_cast<size_t>(np), rng).data(), np);
  const cudaStream_t st = call.stream();
  const bool nhwc = layout == Layout::NHWC;
  const dt::Strided X{x, hw * s.c1, nhwc ? s.c1 : 1, nhwc ? 1 : hw}, Y{y, hw * s.c2, nhwc ? s.c2 : 1, nhwc ? 1 : hw};
  const dt::Strided Xt{x, X.batch, X.col, X.row};
  const float alpha = 1.0f / static_cast<float>(hw);
  auto fwd = [&] { dt::gemm(Xt, Y, {gs, s.c1 * s.c2, s.c2, 1}, s.b, s.c1, s.c2, hw, alpha, st); };
  auto bwd = [&] {
    dt::gemm(Y, {dg, s.c1 * s.c2, 1, s.c2}, {dx, X.batch, X.row, X.col}, s.b, hw, s.c1, s.c2, alpha, st);
    dt::gemm(X, {dg, s.c1 * s.c2, s.c2, 1}, {dy, Y.batch, Y.row, Y.col}, s.b, hw, s.c2, s.c1, alpha, st);
  };
  auto fused = [&] {
    fwd();
    dt::loss_difference(gs, gt, s.b, s.c1 * s.c2, 2.0 / s.b, dg, squares, st);
    bwd();
  };
  const dt::PoolGeometry pg{s.b, s.h, s.w, s.c1, ph, pw, layout};
  const std::string shape = std::to_string(s.b) + "," + std::to_string(s.c1) + "," + std::to_string(s.c2) + "," +
                            std::to_string(s.h) + "x" + std::to_string(s.w);
  const char* ln = nhwc ? "NHWC" : "NCHW";
  const double fb = 4.0, mf = 2.0 * s.b * s.c1 * s.c2 * hw;
  row(shape, ln, "forward", median_event_ms(runs, st, fwd), fb * (n1 + n2 + nm), mf, d);
  row(shape, ln, "backward (dX+dY)", median_event_ms(runs, st, bwd), fb * (2 * n1 + 2 * n2 + nm), 2 * mf, d);
  row(shape, ln, "fused loss+grad", median_event_ms(runs, st, fused), fb * (2 * n1 + 2 * n2 + nm), 3 * mf, d);
  row(shape, ln, "pool_to max /2", median_event_ms(runs, st, [&] { dt::pool_forward(x, pg, fspd::Pooling::Max, pooled, st); }),
      fb * (n1 + np), 0, d);
  row(shape, ln, "pool_backward max /2",
      median_event_ms(runs, st, [&] { dt::pool_backward(x, pg, fspd::Pooling::Max, pooled_grad, dx, st); }),
      fb * (2 * n1 + np), 0, d);
  call.finish();
}

// Host arrays in, host arrays out: CUDA (teacher resident, as a stage-1 step) vs the CPU path.
void end_to_end(const Shape& s, Layout layout, int runs, std::mt19937& rng) {
  const int64_t hw = s.h * s.w, n1 = s.b * hw * s.c1, n2 = s.b * hw * s.c2, nm = s.b * s.c1 * s.c2;
  const std::vector<float> x = random_floats(static_cast<size_t>(n1), rng), y = random_floats(static_cast<size_t>(n2), rng),
                           t = random_floats(static_cast<size_t>(nm), rng);
  std::vector<float> dx(static_cast<size_t>(n1)), dy(static_cast<size_t>(n2)), g(static_cast<size_t>(nm));
  const fspd::MapView a{x.data(), s.b, s.h, s.w, s.c1, layout}, b{y.data(), s.b, s.h, s.w, s.c2, layout};
  fspd::LossOutputs o;
  o.grad_first = {dx.data()};
  o.grad_second = {dy.data()};
  const cu::TeacherHandle handle = cu::upload_teacher_matrices({t.data()}, {{s.b, s.c1, s.c2}});
  const double gpu_loss = median_ms(runs, 1, [&] { cu::fsp_loss({{a, b}}, handle, {}, o); });
  const double gpu_loss_host_t = median_ms(runs, 1, [&] { cu::fsp_loss({{a, b}}, {}, {t.data()}, {}, o); });
  const double gpu_fwd = median_ms(runs, 1, [&] { cu::fsp_forward(a, b, g.data()); });
  const int cpu_runs = std::max(3, runs / 4);
  const double cpu_loss = median_ms(cpu_runs, 1, [&] { fspd::fsp_loss({{a, b}}, {}, {t.data()}, {}, o); });
  const double cpu_fwd = median_ms(cpu_runs, 1, [&] { fspd::fsp_forward(a, b, g.data()); });
  const double mb = 4.0 * (n1 + n2 + n1 + n2) / 1e6;
  out("%-18s %-5s %12.3f %12.3f %10.3f %8.2fx %9.3f %9.3f %7.2fx %8.1f\n",
      (std::to_string(s.b) + "," + std::to_string(s.c1) + "," + std::to_string(s.c2) + "," + std::to_string(s.h) + "x" +
       std::to_string(s.w)).c_str(),
      layout == Layout::NHWC ? "NHWC" : "NCHW", gpu_loss, gpu_loss_host_t, cpu_loss, cpu_loss / gpu_loss, gpu_fwd,
      cpu_fwd, cpu_fwd / gpu_fwd, mb);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 25;
  bool quick = false;
  const char* out_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::max(20, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--out") && i + 1 < argc) out_path = argv[++i];
    else {
      std::fprintf(stderr, "usage: fsp_cuda_bench [--runs N>=20] [--quick] [--out FILE]\n");
      return 2;
    }
  }
  const cu::DeviceStatus& status = cu::device_status();
  if (status.count == 0) {
    std::printf("SKIP: no CUDA device (%s)\n", status.reason.c_str());
    return 77;
  }
  try {
    const cu::DeviceInfo& dev = status.devices[0];
    const fspd::BuildInfo info = fspd::build_info();
    const cu::CopyBandwidth bw = cu::measure_copy_bandwidth();
    const Device d{cu::measure_fma_peak_tflops(), bw.device_to_device_gbs};
    out("fspd %s CUDA bench on %s (sm_%d%d, %d SMs, %.0f GiB), cudart %d, driver %d; host %s, %d threads\n",
        info.version.c_str(), dev.name.c_str(), dev.major, dev.minor, dev.multiprocessors, dev.memory_bytes / 1073741824.0,
        status.runtime_version, status.driver_version, info.simd.c_str(), info.threads);
    out("measured: fp32 FMA peak %.1f TFLOP/s; copy D2D %.0f GB/s (read+write), H2D pinned %.1f GB/s, D2H pinned %.1f GB/s\n",
        d.peak_tflops, bw.device_to_device_gbs, bw.host_to_device_gbs, bw.device_to_host_gbs);
    out("kernels on device-resident data, CUDA events, median of %d after 3 warm-ups;\n"
        "floor = max(bytes / D2D bandwidth, FLOPs / fp32 peak); 'x floor' = ms / floor (1.00x = at the floor)\n",
        runs);
    out("%-18s %-5s %-22s %9s %9s %8s %9s %8s\n", "B,C1,C2,hxw", "lay", "kernel", "ms", "GB/s", "TFLOP/s", "floor ms",
        "x floor");
    std::mt19937 rng(1);
    for (const Shape& s : kShapes) {
      for (Layout layout : {Layout::NHWC, Layout::NCHW}) device_rows(s, layout, runs, d, rng);
      if (quick) break;
    }
    out("\nend to end, host arrays in and out (wall clock, median of %d; CPU: fspd CPU kernels, all threads):\n", runs);
    out("%-18s %-5s %12s %12s %10s %9s %9s %9s %8s %8s\n", "B,C1,C2,hxw", "lay", "loss cuda ms", "(host T) ms",
        "loss cpu", "speedup", "fwd cuda", "fwd cpu", "speedup", "MB moved");
    for (const Shape& s : kShapes) {
      for (Layout layout : {Layout::NHWC, Layout::NCHW}) end_to_end(s, layout, runs, rng);
      if (quick) break;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fsp_cuda_bench: %s\n", e.what());
    return 1;
  }
  if (out_path) {
    FILE* f = std::fopen(out_path, "w");
    if (!f) {
      std::perror(out_path);
      return 1;
    }
    std::fputs(g_table.c_str(), f);
    std::fclose(f);
  }
  return 0;
}
