// The CUDA entry points of fspd/cuda.h (CUDA build): argument checks first (api_checks.h, the CPU's
// checks), then uploads through the lane's pinned staging, the kernels (kernels.cu), and downloads.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

#include "alignment.h"
#include "api_checks.h"
#include "kernels.h"
#include "runtime.h"

namespace fspd::cuda {

class TeacherMatrices {
 public:
  int device = 0;
  std::vector<MatrixShape> shapes;
  std::vector<detail::DeviceBuffer> buffers;
};

namespace detail {
namespace {

// Sample matrix (s, c) of a map: element at s·spatial + c·channel.
struct SampleStrides {
  int64_t sample, spatial, channel;
};
SampleStrides strides_of(Layout layout, int64_t hw, int64_t channels) {
  return layout == Layout::NHWC ? SampleStrides{hw * channels, channels, 1} : SampleStrides{hw * channels, 1, hw};
}

// G = Xᵀ·Y / hw, batched: x is hw×c1, y is hw×c2 per sample (layout `layout`).
void forward(const float* x, const float* y, Layout layout, int64_t batch, int64_t hw, int64_t c1, int64_t c2,
             float* g, Call& call) {
  const SampleStrides sx = strides_of(layout, hw, c1), sy = strides_of(layout, hw, c2);
  gemm(Strided{x, sx.sample, sx.channel, sx.spatial}, Strided{y, sy.sample, sy.spatial, sy.channel},
       MutableStrided{g, c1 * c2, c2, 1}, batch, c1, c2, hw, 1.0f / static_cast<float>(hw), call.stream());
  call.launched("fsp forward kernel");
}

// dX = Y·dGᵀ / hw and dY = X·dG / hw; a null dx or dy skips that product.
void backward(const float* x, const float* y, Layout layout, int64_t batch, int64_t hw, int64_t c1, int64_t c2,
              const float* dg, float* dx, float* dy, Call& call) {
  const SampleStrides sx = strides_of(layout, hw, c1), sy = strides_of(layout, hw, c2);
  const float alpha = 1.0f / static_cast<float>(hw);
  if (dx != nullptr) {
    gemm(Strided{y, sy.sample, sy.spatial, sy.channel}, Strided{dg, c1 * c2, 1, c2},
         MutableStrided{dx, sx.sample, sx.spatial, sx.channel}, batch, hw, c1, c2, alpha, call.stream());
    call.launched("fsp backward kernel (first)");
  }
  if (dy != nullptr) {
    gemm(Strided{x, sx.sample, sx.spatial, sx.channel}, Strided{dg, c1 * c2, c2, 1},
         MutableStrided{dy, sy.sample, sy.spatial, sy.channel}, batch, hw, c2, c1, alpha, call.stream());
    call.launched("fsp backward kernel (second)");
  }
}

PoolGeometry pool_geometry(const MapView& m, int64_t oh, int64_t ow) {
  return {m.batch, m.height, m.width, m.channels, oh, ow, m.layout};
}

// A map on the device, pooled to the alignment when it says so.
const float* aligned(const MapView& m, const float* device, bool pool, const Alignment& a, Pooling pooling,
                     Call& call) {
  if (!pool) return device;
  float* out = call.alloc_floats(m.batch * a.height * a.width * m.channels);
  pool_forward(device, pool_geometry(m, a.height, a.width), pooling, out, call.stream());
  call.launched("pool kernel");
  return out;
}

// G of a pair whose maps are on the host: upload, align, multiply.
float* pair_matrices(const PairView& p, Pooling pooling, Call& call) {
  const Alignment a = alignment(p);
  const float* x = aligned(p.first, call.upload(p.first.data, p.first.size()), a.pool_first, a, pooling, call);
  const float* y = aligned(p.second, call.upload(p.second.data, p.second.size()), a.pool_second, a, pooling, call);
  float* g = call.alloc_floats(p.first.batch * p.first.channels * p.second.channels);
  forward(x, y, p.first.layout, p.first.batch, a.height * a.width, p.first.channels, p.second.channels, g, call);
  return g;
}

template <class T>
T entry(const std::vector<T>& v, size_t i) {
  return v.empty() ? T{} : v[i];
}

// The fused loss; the teacher of pair i is teacher_pairs[i], else the device matrices resident[i],
// else the host matrices host_matrices[i].
LossResult loss(const std::vector<PairView>& student, const std::vector<PairView>& teacher_pairs,
                const std::vector<const float*>& host_matrices, const TeacherMatrices* resident,
                const LossOptions& options, const LossOutputs& outputs, const DeviceContext& ctx) {
  Call call(ctx);
  LossResult result;
  for (size_t i = 0; i < student.size(); ++i) {
    const PairView& s = student[i];
    const int64_t batch = s.first.batch, c1 = s.first.channels, c2 = s.second.channels, cc = c1 * c2;
    const Alignment sa = alignment(s);
    const int64_t hw = sa.height * sa.width;
    float* const grad_first = entry(outputs.grad_first, i);
    float* const grad_second = entry(outputs.grad_second, i);
    float* const teacher_out = entry(outputs.teacher_matrices, i);
    const bool gradients = grad_first || grad_second;
    const double weight = options.weights.empty() ? 1.0 : options.weights[i];
    const double scale =
        options.reduction == Reduction::Paper ? 1.0 / batch : 1.0 / (static_cast<double>(batch) * cc);

    const float* x_full = call.upload(s.first.data, s.first.size());
    const float* y_full = call.upload(s.second.data, s.second.size());
    const float* x = aligned(s.first, x_full, sa.pool_first, sa, options.pooling, call);
    const float* y = aligned(s.second, y_full, sa.pool_second, sa, options.pooling, call);
    float* gs = call.alloc_floats(batch * cc);
    forward(x, y, s.first.layout, batch, hw, c1, c2, gs, call);

    const float* gt;
    if (!teacher_pairs.empty())
      gt = pair_matrices(teacher_pairs[i], options.pooling, call);
    else if (resident != nullptr)
      gt = resident->buffers[i].floats();
    else
      gt = call.upload(host_matrices[i], batch * cc);
    if (teacher_out) call.download(teacher_out, gt, batch * cc);

    float* dg = gradients ? call.alloc_floats(batch * cc) : nullptr;
    double* squares = call.alloc_doubles(batch);
    loss_difference(gs, gt, batch, cc, 2.0 * weight * scale, dg, squares, call.stream());
    call.launched("loss difference kernel");
    std::vector<double> host_squares(static_cast<size_t>(batch));
    call.download(host_squares.data(), squares, batch);
    double total = 0;
    for (double sq : host_squares) total += sq;  // in sample order, as the CPU
    result.pair_losses.push_back(weight * scale * total);
    result.loss += result.pair_losses.back();
    if (!gradients) continue;

    // Gradients of the aligned maps, then routed back through the pooling when a map was pooled.
    const MapView& f = s.first;
    const MapView& g2 = s.second;
    float* dx = nullptr;
    float* dy = nullptr;
    if (grad_first) dx = call.alloc_floats(batch * hw * c1);
    if (grad_second) dy = call.alloc_floats(batch * hw * c2);
    backward(x, y, f.layout, batch, hw, c1, c2, dg, dx, dy, call);
    auto finish_gradient = [&](float* host, float* aligned_grad, const MapView& m, const float* full, bool pooled) {
      if (host == nullptr) return;
      const float* out = aligned_grad;
      if (pooled) {
        float* routed = call.alloc_floats(m.size());
        pool_backward(full, pool_geometry(m, sa.height, sa.width), options.pooling, aligned_grad, routed,
                      call.stream());
        call.launched("pool backward kernel");
        out = routed;
      }
      call.download(host, out, m.size());
    };
    finish_gradient(grad_first, dx, f, x_full, sa.pool_first);
    finish_gradient(grad_second, dy, g2, y_full, sa.pool_second);
  }
  call.finish();
  return result;
}

}  // namespace
}  // namespace detail

// ---- Device status ----------------------------------------------------------------------------
const DeviceStatus& device_status() {
  static const DeviceStatus status = [] {
    DeviceStatus s;
    s.compiled = true;
    cudaRuntimeGetVersion(&s.runtime_version);
    if (cudaDriverGetVersion(&s.driver_version) != cudaSuccess) s.driver_version = 0;
    cudaGetLastError();
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      s.reason = std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
      if (s.driver_version == 0) s.reason += " (no NVIDIA driver / libcuda found)";
      cudaGetLastError();
      return s;
    }
    if (count == 0) {
      s.reason = "no CUDA device found";
      return s;
    }
    for (int d = 0; d < count; ++d) {
      cudaDeviceProp prop{};
      if (cudaGetDeviceProperties(&prop, d) != cudaSuccess) {
        cudaGetLastError();
        continue;
      }
      s.devices.push_back(DeviceInfo{d, prop.name, prop.major, prop.minor, prop.totalGlobalMem, prop.multiProcessorCount});
    }
    s.count = static_cast<int>(s.devices.size());
    if (s.count == 0) s.reason = "cudaGetDeviceProperties failed for every device";
    return s;
  }();
  return status;
}

// ---- Public functions ---------------------------------------------------------------------------
void fsp_forward(const MapView& first, const MapView& second, float* out, const DeviceContext& ctx) {
  detail::check_forward(first, second, out);
  detail::Call call(ctx);
  const int64_t batch = first.batch, c1 = first.channels, c2 = second.channels;
  const float* x = call.upload(first.data, first.size());
  const float* y = call.upload(second.data, second.size());
  float* g = call.alloc_floats(batch * c1 * c2);
  detail::forward(x, y, first.layout, batch, first.spatial(), c1, c2, g, call);
  call.download(out, g, batch * c1 * c2);
  call.finish();
}

void fsp_backward(const MapView& first, const MapView& second, const float* grad_matrices, float* grad_first,
                  float* grad_second, const DeviceContext& ctx) {
  detail::check_backward(first, second, grad_matrices);
  if (grad_first == nullptr && grad_second == nullptr) return;  // as the CPU: nothing to write
  detail::Call call(ctx);
  const int64_t batch = first.batch, c1 = first.channels, c2 = second.channels;
  const float* x = call.upload(first.data, first.size());
  const float* y = call.upload(second.data, second.size());
  const float* dg = call.upload(grad_matrices, batch * c1 * c2);
  float* dx = grad_first ? call.alloc_floats(first.size()) : nullptr;
  float* dy = grad_second ? call.alloc_floats(second.size()) : nullptr;
  detail::backward(x, y, first.layout, batch, first.spatial(), c1, c2, dg, dx, dy, call);
  if (dx) call.download(grad_first, dx, first.size());
  if (dy) call.download(grad_second, dy, second.size());
  call.finish();
}

void pool_to(const MapView& in, int64_t out_height, int64_t out_width, Pooling pooling, float* out,
             const DeviceContext& ctx) {
  detail::check_pool(in, out_height, out_width, pooling);
  check_pointer(out, "out");
  detail::Call call(ctx);
  const float* x = call.upload(in.data, in.size());
  const int64_t n = in.batch * out_height * out_width * in.channels;
  float* o = call.alloc_floats(n);
  detail::pool_forward(x, detail::pool_geometry(in, out_height, out_width), pooling, o, call.stream());
  call.launched("pool kernel");
  call.download(out, o, n);
  call.finish();
}

void pool_backward(const MapView& in, int64_t out_height, int64_t out_width, Pooling pooling, const float* grad_out,
                   float* grad_in, const DeviceContext& ctx) {
  detail::check_pool(in, out_height, out_width, pooling);
  check_pointer(grad_out, "grad_out");
  check_pointer(grad_in, "grad_in");
  detail::Call call(ctx);
  const float* x = call.upload(in.data, in.size());
  const float* go = call.upload(grad_out, in.batch * out_height * out_width * in.channels);
  float* gi = call.alloc_floats(in.size());
  detail::pool_backward(x, detail::pool_geometry(in, out_height, out_width), pooling, go, gi, call.stream());
  call.launched("pool backward kernel");
  call.download(grad_in, gi, in.size());
  call.finish();
}

LossResult fsp_loss(const std::vector<PairView>& student, const std::vector<PairView>& teacher_pairs,
                    const std::vector<const float*>& teacher_matrices, const LossOptions& options,
                    const LossOutputs& outputs, const DeviceContext& ctx) {
  check_loss_arguments(student, teacher_pairs, teacher_matrices, options, outputs);
  return detail::loss(student, teacher_pairs, teacher_matrices, nullptr, options, outputs, ctx);
}

TeacherHandle upload_teacher_matrices(const std::vector<const float*>& matrices, const std::vector<MatrixShape>& shapes,
                                      const DeviceContext& ctx) {
  detail::check_upload(matrices, shapes);
  auto teacher = std::make_shared<TeacherMatrices>();
  teacher->device = ctx.device;
  teacher->shapes = shapes;
  detail::Call call(ctx);
  for (size_t i = 0; i < matrices.size(); ++i) {
    teacher->buffers.emplace_back(ctx.device, static_cast<size_t>(shapes[i].size()) * sizeof(float));
    call.upload_to(teacher->buffers.back().floats(), matrices[i], shapes[i].size());
  }
  call.finish();
  return teacher;
}

std::vector<MatrixShape> teacher_shapes(const TeacherHandle& teacher) {
  return teacher ? teacher->shapes : std::vector<MatrixShape>{};
}
int teacher_device(const TeacherHandle& teacher) { return teacher ? teacher->device : -1; }

LossResult fsp_loss(const std::vector<PairView>& student, const TeacherHandle& teacher, const LossOptions& options,
                    const LossOutputs& outputs, const DeviceContext& ctx) {
  if (!teacher) throw ArgumentError(ArgumentError::Kind::Type, "teacher: null handle");
  std::vector<const float*> stand_ins;
  for (const detail::DeviceBuffer& b : teacher->buffers) stand_ins.push_back(b.floats());
  detail::check_loss_with_shapes(student, stand_ins, teacher->shapes, options, outputs);
  if (teacher->device != ctx.device)
    throw ArgumentError(ArgumentError::Kind::Range, "teacher: uploaded to device " + std::to_string(teacher->device) +
                                                        ", the call runs on device " + std::to_string(ctx.device));
  return detail::loss(student, {}, {}, teacher.get(), options, outputs, ctx);
}

// ---- Machine facts ------------------------------------------------------------------------------
namespace {

struct Events {
  cudaEvent_t start = nullptr, stop = nullptr;
  Events() {
    FSPD_CUDA_CHECK(cudaEventCreate(&start));
    FSPD_CUDA_CHECK(cudaEventCreate(&stop));
  }
  ~Events() {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
  }
  template <class Fn>
  double ms(cudaStream_t stream, const Fn& fn) {
    FSPD_CUDA_CHECK(cudaEventRecord(start, stream));
    fn();
    FSPD_CUDA_CHECK(cudaEventRecord(stop, stream));
    FSPD_CUDA_CHECK(cudaEventSynchronize(stop));
    float t = 0;
    FSPD_CUDA_CHECK(cudaEventElapsedTime(&t, start, stop));
    return t;
  }
};

struct PinnedHost {
  void* p = nullptr;
  explicit PinnedHost(size_t bytes) { FSPD_CUDA_CHECK(cudaHostAlloc(&p, bytes, cudaHostAllocDefault)); }
  ~PinnedHost() { cudaFreeHost(p); }
};

}  // namespace

double measure_fma_peak_tflops(const DeviceContext& ctx) {
  detail::Call call(ctx);
  const int sms = device_status().devices[ctx.device].multiprocessors;
  const int blocks = std::max(1, sms) * 8;
  float* sink = call.alloc_floats(blocks);
  Events ev;
  detail::fma_probe(blocks, 1024, 1.0f, sink, call.stream());  // warm-up, clocks up
  call.launched("fma probe");
  int iterations = 4096;
  double ms = ev.ms(call.stream(), [&] { detail::fma_probe(blocks, iterations, 1.0f, sink, call.stream()); });
  // Scale to about 50 ms so launch overhead is negligible, then keep the best of three.
  iterations = static_cast<int>(std::min(1e8, std::max(4096.0, iterations * 50.0 / std::max(ms, 1e-3))));
  double best = 1e30;
  for (int r = 0; r < 3; ++r) {
    best = std::min(best, ev.ms(call.stream(), [&] { detail::fma_probe(blocks, iterations, 1.0f, sink, call.stream()); }));
    call.launched("fma probe");
  }
  call.finish();
  const double flops = 2.0 * 8 * 256.0 * blocks * static_cast<double>(iterations);
  return flops / (best * 1e-3) / 1e12;
}

CopyBandwidth measure_copy_bandwidth(size_t bytes, const DeviceContext& ctx) {
  if (bytes == 0 || bytes > (size_t(8) << 30))
    throw ArgumentError(ArgumentError::Kind::Range, "bytes: must be in (0, 8 GiB], got " + std::to_string(bytes));
  detail::Call call(ctx);
  float* a = call.alloc_floats(static_cast<int64_t>(bytes / sizeof(float)));
  float* b = call.alloc_floats(static_cast<int64_t>(bytes / sizeof(float)));
  PinnedHost host(bytes);
  std::memset(host.p, 0, bytes);
  FSPD_CUDA_CHECK(cudaMemsetAsync(a, 0, bytes, call.stream()));
  Events ev;
  const cudaStream_t s = call.stream();
  auto best_ms = [&](auto&& fn) {
    fn();  // warm-up
    double best = 1e30;
    for (int r = 0; r < 5; ++r) best = std::min(best, ev.ms(s, fn));
    return best;
  };
  CopyBandwidth bw;
  const double d2d = best_ms([&] { FSPD_CUDA_CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s)); });
  const double h2d = best_ms([&] { FSPD_CUDA_CHECK(cudaMemcpyAsync(a, host.p, bytes, cudaMemcpyHostToDevice, s)); });
  const double d2h = best_ms([&] { FSPD_CUDA_CHECK(cudaMemcpyAsync(host.p, a, bytes, cudaMemcpyDeviceToHost, s)); });
  call.finish();
  bw.device_to_device_gbs = 2.0 * bytes / (d2d * 1e-3) / 1e9;
  bw.host_to_device_gbs = bytes / (h2d * 1e-3) / 1e9;
  bw.device_to_host_gbs = bytes / (d2h * 1e-3) / 1e9;
  return bw;
}

}  // namespace fspd::cuda
