// Argument checks: everything is validated before any work starts.
#include "checks.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace fspd {
namespace {

[[noreturn]] void fail(ArgumentError::Kind kind, const std::string& message) { throw ArgumentError(kind, message); }
[[noreturn]] void range(const std::string& message) { fail(ArgumentError::Kind::Range, message); }

const char* layout_name(Layout layout) { return layout == Layout::NHWC ? "NHWC" : "NCHW"; }

// Product of positive factors, or -1 when it exceeds the floats addressable with int64 byte offsets.
int64_t checked_size(std::initializer_list<int64_t> factors) {
  int64_t size = 1;
  for (int64_t f : factors)
    if (__builtin_mul_overflow(size, f, &size)) return -1;
  return size > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(sizeof(float)) ? -1 : size;
}

void check_dimension(int64_t value, const std::string& name) {
  if (value <= 0) range(name + ": must be positive, got " + std::to_string(value));
  if (value > std::numeric_limits<int32_t>::max())
    range(name + ": " + std::to_string(value) + " exceeds the limit " +
          std::to_string(std::numeric_limits<int32_t>::max()));
}

std::string format(double value) {
  std::ostringstream s;
  s << value;
  return s.str();
}

std::string indexed(const std::string& name, size_t i) { return name + "[" + std::to_string(i) + "]"; }

void check_count(size_t count, size_t pairs, const std::string& name, bool may_be_empty) {
  if (count == pairs || (may_be_empty && count == 0)) return;
  range(name + ": " + std::to_string(count) + " entries for " + std::to_string(pairs) + " student pairs" +
        (may_be_empty ? " (give one per pair or none)" : ""));
}

// A student or teacher pair of the loss: both maps valid, same batch and layout (h×w may differ).
void check_loss_pair(const PairView& pair, const std::string& name) {
  check_map(pair.first, name + ".first");
  check_map(pair.second, name + ".second");
  check_compatible(pair.first, name + ".first", pair.second, name + ".second", false);
  check_matrices_size(pair.first.batch, pair.first.channels, pair.second.channels, name);
}

void check_batch(const MapView& m, const std::string& name, const MapView& ref, const std::string& ref_name) {
  if (m.batch != ref.batch)
    range(name + ": batch " + std::to_string(m.batch) + " does not match " + ref_name + " batch " +
          std::to_string(ref.batch));
}

}  // namespace

void check_pointer(const void* p, const std::string& name) {
  if (p == nullptr) fail(ArgumentError::Kind::Type, name + ": null");
}

void check_map(const MapView& m, const std::string& name) {
  if (m.data == nullptr) fail(ArgumentError::Kind::Type, name + ": data is null");
  if (m.layout != Layout::NHWC && m.layout != Layout::NCHW)
    range(name + ".layout: invalid value " + std::to_string(static_cast<int>(m.layout)));
  check_dimension(m.batch, name + ".batch");
  check_dimension(m.height, name + ".height");
  check_dimension(m.width, name + ".width");
  check_dimension(m.channels, name + ".channels");
  if (checked_size({m.batch, m.height, m.width, m.channels}) < 0)
    range(name + ": " + std::to_string(m.batch) + "x" + std::to_string(m.height) + "x" + std::to_string(m.width) +
          "x" + std::to_string(m.channels) + " floats overflow int64");
}

void check_compatible(const MapView& first, const std::string& first_name, const MapView& second,
                      const std::string& second_name, bool same_spatial) {
  check_batch(second, second_name, first, first_name);
  if (second.layout != first.layout)
    range(second_name + ": layout " + layout_name(second.layout) + " does not match " + first_name + " layout " +
          layout_name(first.layout));
  if (same_spatial && (second.height != first.height || second.width != first.width))
    range(second_name + ": height x width " + std::to_string(second.height) + "x" + std::to_string(second.width) +
          " does not match " + first_name + " " + std::to_string(first.height) + "x" + std::to_string(first.width));
}

void check_matrices_size(int64_t batch, int64_t c1, int64_t c2, const std::string& name) {
  if (checked_size({batch, c1, c2}) < 0)
    range(name + ": FSP matrices " + std::to_string(batch) + "x" + std::to_string(c1) + "x" + std::to_string(c2) +
          " overflow int64");
}

void check_pooling(Pooling pooling, const std::string& name) {
  if (pooling != Pooling::Max && pooling != Pooling::Avg)
    range(name + ": invalid value " + std::to_string(static_cast<int>(pooling)));
}

void check_pool_target(const MapView& in, int64_t out_height, int64_t out_width) {
  check_dimension(out_height, "out_height");
  check_dimension(out_width, "out_width");
  if (out_height > in.height)
    range("out_height: " + std::to_string(out_height) + " exceeds input height " + std::to_string(in.height));
  if (out_width > in.width)
    range("out_width: " + std::to_string(out_width) + " exceeds input width " + std::to_string(in.width));
}

void check_loss_arguments(const std::vector<PairView>& student, const std::vector<PairView>& teacher_pairs,
                          const std::vector<const float*>& teacher_matrices, const LossOptions& options,
                          const LossOutputs& outputs) {
  if (student.empty()) range("student: no pairs");
  const size_t pairs = student.size();
  if (teacher_pairs.empty() == teacher_matrices.empty())
    fail(ArgumentError::Kind::Type, teacher_pairs.empty()
                                        ? "teacher: give teacher pairs or teacher_matrices"
                                        : "teacher: give teacher pairs or teacher_matrices, not both");
  if (!teacher_pairs.empty() && teacher_pairs.size() != pairs)
    range("teacher: " + std::to_string(teacher_pairs.size()) + " pairs for " + std::to_string(pairs) +
          " student pairs");
  if (!teacher_matrices.empty()) check_count(teacher_matrices.size(), pairs, "teacher_matrices", false);
  check_count(options.weights.size(), pairs, "weights", true);
  check_count(outputs.grad_first.size(), pairs, "outputs.grad_first", true);
  check_count(outputs.grad_second.size(), pairs, "outputs.grad_second", true);
  check_count(outputs.teacher_matrices.size(), pairs, "outputs.teacher_matrices", true);
  if (options.reduction != Reduction::Paper && options.reduction != Reduction::Mean)
    range("options.reduction: invalid value " + std::to_string(static_cast<int>(options.reduction)));
  check_pooling(options.pooling, "options.pooling");

  for (size_t i = 0; i < pairs; ++i) {
    const std::string s = indexed("student", i);
    check_loss_pair(student[i], s);
    // Pairs are taken from one batch of samples: the loss averages over that batch.
    check_batch(student[i].first, s + ".first", student[0].first, "student[0].first");
    if (!options.weights.empty() && !std::isfinite(options.weights[i]))
      range(indexed("weights", i) + ": must be finite, got " + format(options.weights[i]));
    if (teacher_pairs.empty()) {
      check_pointer(teacher_matrices[i], indexed("teacher_matrices", i));
      continue;
    }
    const std::string t = indexed("teacher", i);
    const PairView& tp = teacher_pairs[i];
    check_loss_pair(tp, t);
    check_batch(tp.first, t + ".first", student[i].first, s + ".first");
    if (tp.first.channels != student[i].first.channels || tp.second.channels != student[i].second.channels)
      range(s + ": FSP matrix " + std::to_string(student[i].first.channels) + "x" +
            std::to_string(student[i].second.channels) + " does not match " + t + " " +
            std::to_string(tp.first.channels) + "x" + std::to_string(tp.second.channels));
  }
}

}  // namespace fspd
