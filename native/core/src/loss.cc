// The fused FSP loss. Per pair, every sample runs the whole chain (align → G_S, G_T → D → loss, dG →
// backward → un-align) on one thread, so a sample's maps are still in cache for the backward.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "alignment.h"
#include "checks.h"
#include "gemm.h"
#include "maps.h"
#include "pool.h"

namespace fspd {
namespace {

// One sample of a map as a matrix, pooled into `buffer` when `pool` says so.
ConstMatrix aligned_sample(const MapView& m, int64_t b, const Alignment& a, bool pool, Pooling pooling,
                           std::vector<float>& buffer) {
  const Geometry g = geometry(m);
  const float* p = m.data + b * g.size();
  if (!pool) return as_matrix(p, g);
  const Geometry pooled{a.height, a.width, m.channels, m.layout};
  buffer.resize(static_cast<size_t>(pooled.size()));
  pool_sample(p, g, a.height, a.width, pooling, buffer.data());
  return as_matrix(static_cast<const float*>(buffer.data()), pooled);
}

// Where the gradient of one (possibly pooled) map goes: straight into the output when the map was not
// pooled, else into `buffer`, to be routed back through the pooling afterwards.
Matrix gradient_target(float* out, const MapView& m, int64_t b, const Alignment& a, bool pool,
                       std::vector<float>& buffer) {
  if (out == nullptr) return Matrix{nullptr, 0, 0};
  const Geometry g = geometry(m);
  if (!pool) return gradient_matrix(out + b * g.size(), g, m.size());
  const Geometry pooled{a.height, a.width, m.channels, m.layout};
  buffer.resize(static_cast<size_t>(pooled.size()));
  return as_matrix(buffer.data(), pooled);
}

void unpool_gradient(float* out, const MapView& m, int64_t b, const Alignment& a, bool pool, Pooling pooling,
                     const std::vector<float>& buffer) {
  if (out == nullptr || !pool) return;
  const Geometry g = geometry(m);
  pool_backward_sample(m.data + b * g.size(), g, a.height, a.width, pooling, buffer.data(), out + b * g.size());
}

template <class T>
T entry(const std::vector<T>& v, size_t i) {
  return v.empty() ? T{} : v[i];
}

double pair_loss(size_t i, const std::vector<PairView>& student, const std::vector<PairView>& teacher_pairs,
                 const std::vector<const float*>& teacher_matrices, const LossOptions& options,
                 const LossOutputs& outputs, int threads) {
  const PairView& s = student[i];
  const PairView* t = teacher_pairs.empty() ? nullptr : &teacher_pairs[i];
  const int64_t batch = s.first.batch, c1 = s.first.channels, c2 = s.second.channels, cc = c1 * c2;
  const Alignment sa = alignment(s), ta = t ? alignment(*t) : Alignment{};
  const int64_t hw = sa.height * sa.width, teacher_hw = ta.height * ta.width;
  float* const grad_first = entry(outputs.grad_first, i);
  float* const grad_second = entry(outputs.grad_second, i);
  float* const teacher_out = entry(outputs.teacher_matrices, i);
  const bool gradients = grad_first || grad_second;
  const double weight = options.weights.empty() ? 1.0 : options.weights[i];
  const double scale = options.reduction == Reduction::Paper ? 1.0 / batch : 1.0 / (static_cast<double>(batch) * cc);
  const double grad_scale = 2.0 * weight * scale;  // dL/dG_S = 2·λ·D·scale
  const Pooling pooling = options.pooling;

  const double flops = 2.0 * batch * cc * (hw * (gradients ? 3 : 1) + teacher_hw);
  threads = threads_for_work(flops, threads);
  const auto distance = simd_kernels().squared_distance;
  std::vector<double> squares(static_cast<size_t>(batch));  // per sample, summed in order: thread-count independent
  for_each_sample(batch, threads, [&](int64_t b, int inner, int64_t next) {
    std::vector<float> x_buf, y_buf, tx_buf, ty_buf, dx_buf, dy_buf, gt_buf;
    // Written whole before they are read (fsp_sample, the loop below): no zero-fill.
    const std::unique_ptr<float[]> gs(new float[static_cast<size_t>(cc)]), dg(gradients ? new float[static_cast<size_t>(cc)] : nullptr);
    const ConstMatrix x = aligned_sample(s.first, b, sa, sa.pool_first, pooling, x_buf);
    const ConstMatrix y = aligned_sample(s.second, b, sa, sa.pool_second, pooling, y_buf);
    // The next sample's maps: with gradients, a third fetched by each GEMM when they are small enough to share
    // (share_prefetch), so the memory traffic spreads over the arithmetic; else all by the last GEMM.
    const Prefetch next_maps = sample_prefetch(s.first, s.second, next);
    const bool share = gradients && share_prefetch(next_maps);
    fsp_sample(x, y, hw, c1, c2, gs.get(), inner, !gradients ? next_maps : share ? next_maps.part(0, 3) : Prefetch{});

    const float* gt;
    if (t) {
      float* dst = teacher_out ? teacher_out + b * cc : (gt_buf.resize(static_cast<size_t>(cc)), gt_buf.data());
      fsp_sample(aligned_sample(t->first, b, ta, ta.pool_first, pooling, tx_buf),
                 aligned_sample(t->second, b, ta, ta.pool_second, pooling, ty_buf), teacher_hw, c1, c2, dst, inner,
                 sample_prefetch(t->first, t->second, next));
      gt = dst;
    } else {
      gt = teacher_matrices[i] + b * cc;
      if (teacher_out) std::memmove(teacher_out + b * cc, gt, static_cast<size_t>(cc) * sizeof(float));
    }

    squares[b] = distance(gs.get(), gt, cc, grad_scale, dg.get());
    if (!gradients) return;

    const Matrix dx = gradient_target(grad_first, s.first, b, sa, sa.pool_first, dx_buf);
    const Matrix dy = gradient_target(grad_second, s.second, b, sa, sa.pool_second, dy_buf);
    fsp_backward_sample(x, y, hw, c1, c2, dg.get(), dx, dy, inner, share ? next_maps.shares(1, 3, 3) : next_maps, share);
    unpool_gradient(grad_first, s.first, b, sa, sa.pool_first, pooling, dx_buf);
    unpool_gradient(grad_second, s.second, b, sa, sa.pool_second, pooling, dy_buf);
  });
  double total = 0;
  for (double sq : squares) total += sq;
  return weight * scale * total;
}

}  // namespace

LossResult fsp_loss(const std::vector<PairView>& student, const std::vector<PairView>& teacher_pairs,
                    const std::vector<const float*>& teacher_matrices, const LossOptions& options,
                    const LossOutputs& outputs, const Context& ctx) {
  check_loss_arguments(student, teacher_pairs, teacher_matrices, options, outputs);
  const int threads = resolve_threads(ctx.threads);
  LossResult result;
  for (size_t i = 0; i < student.size(); ++i) {
    result.pair_losses.push_back(pair_loss(i, student, teacher_pairs, teacher_matrices, options, outputs, threads));
    result.loss += result.pair_losses.back();
  }
  return result;
}

}  // namespace fspd
