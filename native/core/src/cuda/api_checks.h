// Internal: the argument checks of the CUDA entry points, shared by the CUDA build (api.cc) and the
// CPU-only build (stub.cc), so both reject bad arguments exactly as the CPU functions do, before any
// device work.
#pragma once

#include <string>
#include <vector>

#include "../checks.h"
#include "fspd/cuda.h"

namespace fspd::cuda::detail {

inline void check_fsp_maps(const MapView& first, const MapView& second, const std::string& matrices_name) {
  check_map(first, "first");
  check_map(second, "second");
  check_compatible(first, "first", second, "second", true);
  check_matrices_size(first.batch, first.channels, second.channels, matrices_name);
}

inline void check_forward(const MapView& first, const MapView& second, const float* out) {
  check_fsp_maps(first, second, "out");
  check_pointer(out, "out");
}

inline void check_backward(const MapView& first, const MapView& second, const float* grad_matrices) {
  check_fsp_maps(first, second, "grad_matrices");
  check_pointer(grad_matrices, "grad_matrices");
}

inline void check_pool(const MapView& in, int64_t out_height, int64_t out_width, Pooling pooling) {
  check_map(in, "in");
  check_pool_target(in, out_height, out_width);
  check_pooling(pooling, "pooling");
}

inline void check_upload(const std::vector<const float*>& matrices, const std::vector<MatrixShape>& shapes) {
  if (matrices.empty()) throw ArgumentError(ArgumentError::Kind::Range, "matrices: no pairs");
  if (matrices.size() != shapes.size())
    throw ArgumentError(ArgumentError::Kind::Range, "shapes: " + std::to_string(shapes.size()) + " shapes for " +
                                                        std::to_string(matrices.size()) + " matrices");
  for (size_t i = 0; i < matrices.size(); ++i) {
    const std::string name = "matrices[" + std::to_string(i) + "]";
    check_pointer(matrices[i], name);
    for (int64_t d : {shapes[i].batch, shapes[i].c1, shapes[i].c2})
      if (d <= 0)
        throw ArgumentError(ArgumentError::Kind::Range,
                            "shapes[" + std::to_string(i) + "]: dimensions must be positive, got " + std::to_string(d));
    check_matrices_size(shapes[i].batch, shapes[i].c1, shapes[i].c2, name);
  }
}

// The handle's pair i must match what student pair i gives; reuses check_loss_arguments with the
// handle's (non-null) device pointers standing in for teacher_matrices.
inline void check_loss_with_shapes(const std::vector<PairView>& student, const std::vector<const float*>& stand_ins,
                                   const std::vector<MatrixShape>& shapes, const LossOptions& options,
                                   const LossOutputs& outputs) {
  check_loss_arguments(student, {}, stand_ins, options, outputs);
  for (size_t i = 0; i < student.size(); ++i) {
    const MatrixShape want{student[i].first.batch, student[i].first.channels, student[i].second.channels};
    const MatrixShape& got = shapes[i];
    if (got.batch != want.batch || got.c1 != want.c1 || got.c2 != want.c2)
      throw ArgumentError(ArgumentError::Kind::Range,
                          "teacher[" + std::to_string(i) + "]: uploaded matrices " + std::to_string(got.batch) + "x" +
                              std::to_string(got.c1) + "x" + std::to_string(got.c2) + " do not match student[" +
                              std::to_string(i) + "] " + std::to_string(want.batch) + "x" + std::to_string(want.c1) +
                              "x" + std::to_string(want.c2));
  }
}

}  // namespace fspd::cuda::detail
