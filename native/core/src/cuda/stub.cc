// fspd/cuda.h in a build without CUDA (FSPD_CUDA=OFF, or AUTO without nvcc): the argument checks run
// as in the CUDA build, then every computing function throws CudaError("... not compiled ...").
#include "api_checks.h"

namespace fspd::cuda {

class TeacherMatrices {
 public:
  std::vector<MatrixShape> shapes;
};

namespace {
[[noreturn]] void not_compiled() {
  throw CudaError("fspd cuda: this build has no CUDA kernels (built with FSPD_CUDA=OFF or without nvcc)");
}
}  // namespace

const DeviceStatus& device_status() {
  static const DeviceStatus status = [] {
    DeviceStatus s;
    s.reason = "not compiled with CUDA";
    return s;
  }();
  return status;
}

void fsp_forward(const MapView& first, const MapView& second, float* out, const DeviceContext&) {
  detail::check_forward(first, second, out);
  not_compiled();
}

void fsp_backward(const MapView& first, const MapView& second, const float* grad_matrices, float*, float*,
                  const DeviceContext&) {
  detail::check_backward(first, second, grad_matrices);
  not_compiled();
}

void pool_to(const MapView& in, int64_t out_height, int64_t out_width, Pooling pooling, float* out,
             const DeviceContext&) {
  detail::check_pool(in, out_height, out_width, pooling);
  check_pointer(out, "out");
  not_compiled();
}

void pool_backward(const MapView& in, int64_t out_height, int64_t out_width, Pooling pooling, const float* grad_out,
                   float* grad_in, const DeviceContext&) {
  detail::check_pool(in, out_height, out_width, pooling);
  check_pointer(grad_out, "grad_out");
  check_pointer(grad_in, "grad_in");
  not_compiled();
}

LossResult fsp_loss(const std::vector<PairView>& student, const std::vector<PairView>& teacher_pairs,
                    const std::vector<const float*>& teacher_matrices, const LossOptions& options,
                    const LossOutputs& outputs, const DeviceContext&) {
  check_loss_arguments(student, teacher_pairs, teacher_matrices, options, outputs);
  not_compiled();
}

TeacherHandle upload_teacher_matrices(const std::vector<const float*>& matrices, const std::vector<MatrixShape>& shapes,
                                      const DeviceContext&) {
  detail::check_upload(matrices, shapes);
  not_compiled();
}

std::vector<MatrixShape> teacher_shapes(const TeacherHandle& teacher) {
  return teacher ? teacher->shapes : std::vector<MatrixShape>{};
}
int teacher_device(const TeacherHandle& teacher) { return teacher ? 0 : -1; }

LossResult fsp_loss(const std::vector<PairView>&, const TeacherHandle& teacher, const LossOptions&,
                    const LossOutputs&, const DeviceContext&) {
  if (!teacher) throw ArgumentError(ArgumentError::Kind::Type, "teacher: null handle");
  not_compiled();
}

double measure_fma_peak_tflops(const DeviceContext&) { not_compiled(); }
CopyBandwidth measure_copy_bandwidth(size_t, const DeviceContext&) { not_compiled(); }

}  // namespace fspd::cuda
