// fspd CUDA core: the functions of fsp.h computed on an NVIDIA GPU, from and to host memory.
// Same contract as the CPU functions (same argument checks, run BEFORE any device work, same
// ArgumentError messages), float32 with float accumulation (relative error <= 1e-5 against float64).
//
// Always declared. In a build without CUDA (FSPD_CUDA=OFF or no nvcc) device_status() reports
// "not compiled" and every computing function throws CudaError after its argument checks.
// Without a usable device (no GPU, no driver, driver too old) device_status().count is 0 with the
// runtime's reason; nothing aborts. CUDA failures become CudaError carrying the CUDA error string.
// Every function is safe to call from several threads at once (each call gets its own stream).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fspd/fsp.h"

namespace fspd::cuda {

// A CUDA runtime failure or "no usable device"; what() names the call and the CUDA error.
class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DeviceInfo {
  int index = 0;
  std::string name;           // e.g. "NVIDIA H200"
  int major = 0, minor = 0;   // compute capability
  size_t memory_bytes = 0;
  int multiprocessors = 0;
};

struct DeviceStatus {
  bool compiled = false;         // this build has the CUDA kernels
  int count = 0;                 // usable devices (0 when not compiled or none found)
  std::string reason;            // why count is 0 ("cudaErrorNoDevice: no CUDA-capable device is detected", ...)
  int runtime_version = 0;       // cudart linked in (e.g. 13000), 0 when not compiled
  int driver_version = 0;        // 0 when no driver
  std::vector<DeviceInfo> devices;
};

// Queried once per process (cached); never throws.
const DeviceStatus& device_status();
inline int device_count() { return device_status().count; }
inline bool available() { return device_status().count > 0; }

// Which device a call runs on. Host pointers in, host pointers out; the call returns when the
// results are in host memory.
struct DeviceContext {
  int device = 0;
};

void fsp_forward(const MapView& first, const MapView& second, float* out, const DeviceContext& ctx = {});
void fsp_backward(const MapView& first, const MapView& second, const float* grad_matrices, float* grad_first,
                  float* grad_second, const DeviceContext& ctx = {});
void pool_to(const MapView& in, int64_t out_height, int64_t out_width, Pooling pooling, float* out,
             const DeviceContext& ctx = {});
void pool_backward(const MapView& in, int64_t out_height, int64_t out_width, Pooling pooling, const float* grad_out,
                   float* grad_in, const DeviceContext& ctx = {});
LossResult fsp_loss(const std::vector<PairView>& student, const std::vector<PairView>& teacher_pairs,
                    const std::vector<const float*>& teacher_matrices, const LossOptions& options,
                    const LossOutputs& outputs, const DeviceContext& ctx = {});

// ---- Device-resident teacher matrices ----------------------------------------------------------
// The teacher's FSP matrices, uploaded once and kept on the device across calls, so a stage-1 step
// uploads only the student's features. The handle is shared: copies refer to the same device memory,
// freed (returned to the allocator) when the last copy goes. Immutable after upload, so concurrent
// loss calls may share one.
struct MatrixShape {
  int64_t batch = 0, c1 = 0, c2 = 0;
  int64_t size() const { return batch * c1 * c2; }
};

class TeacherMatrices;  // defined by the implementation
using TeacherHandle = std::shared_ptr<const TeacherMatrices>;

// One host pointer (batch·c1·c2 floats) and one shape per pair.
TeacherHandle upload_teacher_matrices(const std::vector<const float*>& matrices, const std::vector<MatrixShape>& shapes,
                                      const DeviceContext& ctx = {});
std::vector<MatrixShape> teacher_shapes(const TeacherHandle& teacher);
int teacher_device(const TeacherHandle& teacher);

// fsp_loss against uploaded teacher matrices: pair i of the student must give teacher->shape(i), and
// the handle must live on ctx.device. outputs.teacher_matrices, when given, receive copies.
LossResult fsp_loss(const std::vector<PairView>& student, const TeacherHandle& teacher, const LossOptions& options,
                    const LossOutputs& outputs, const DeviceContext& ctx = {});

// ---- Machine facts for the benchmarks ----------------------------------------------------------
// Float32 FMA throughput of the device (TFLOP/s), from a probe kernel of independent FMA chains.
double measure_fma_peak_tflops(const DeviceContext& ctx = {});
struct CopyBandwidth {
  double device_to_device_gbs = 0;  // cudaMemcpy D2D, counted as bytes read + bytes written
  double host_to_device_gbs = 0;    // pinned
  double device_to_host_gbs = 0;    // pinned
};
CopyBandwidth measure_copy_bandwidth(size_t bytes = size_t(256) << 20, const DeviceContext& ctx = {});

}  // namespace fspd::cuda
