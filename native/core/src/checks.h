// Internal: argument checks shared by the public functions. Each throws ArgumentError naming the
// argument: Kind::Type for null or missing data, Kind::Range for shapes and values.
#pragma once

#include <cstdint>
#include <string>

#include "fspd/fsp.h"

namespace fspd {

void check_pointer(const void* p, const std::string& name);  // "name: null"

// Data present, layout valid, every dimension positive and at most 2^31-1, size fits in int64 bytes.
void check_map(const MapView& m, const std::string& name);

// `second` has the batch and layout of `first` (and its height and width when `same_spatial`).
void check_compatible(const MapView& first, const std::string& first_name, const MapView& second,
                      const std::string& second_name, bool same_spatial);

// batch·c1·c2 floats (FSP matrices) fit in int64 bytes.
void check_matrices_size(int64_t batch, int64_t c1, int64_t c2, const std::string& name);

void check_pooling(Pooling pooling, const std::string& name);

// out_height/out_width positive and no larger than the input's.
void check_pool_target(const MapView& in, int64_t out_height, int64_t out_width);

void check_loss_arguments(const std::vector<PairView>& student, const std::vector<PairView>& teacher_pairs,
                          const std::vector<const float*>& teacher_matrices, const LossOptions& options,
                          const LossOutputs& outputs);

}  // namespace fspd
