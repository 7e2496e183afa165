// FSP matrices and their backward, both layouts, as strided GEMMs on the maps in place:
// per sample X is the (h·w)×C1 matrix of the first map, Y the (h·w)×C2 matrix of the second.
#include "checks.h"
#include "maps.h"

namespace fspd {

void fsp_sample(ConstMatrix x, ConstMatrix y, int64_t hw, int64_t c1, int64_t c2, float* g, int threads,
                const Prefetch& next, bool stream) {
  sgemm(c1, c2, hw, 1.0f / static_cast<float>(hw), x.t(), y, 0.0f, Matrix{g, c2, 1, stream}, threads, next);
}

void fsp_backward_sample(ConstMatrix x, ConstMatrix y, int64_t hw, int64_t c1, int64_t c2, const float* dg,
                         Matrix dx, Matrix dy, int threads, const Prefetch& next, bool share_next) {
  const ConstMatrix grad{dg, c2, 1};
  const float alpha = 1.0f / static_cast<float>(hw);
  const bool both = dx.p != nullptr && dy.p != nullptr, share = both && share_next;
  const Prefetch for_dx = share ? next.part(0, 2) : both ? Prefetch{} : next, for_dy = share ? next.part(1, 2) : next;
  if (dx.p != nullptr) sgemm(hw, c1, c2, alpha, y, grad.t(), 0.0f, dx, threads, for_dx);  // dX
  if (dy.p != nullptr) sgemm(hw, c2, c1, alpha, x, grad, 0.0f, dy, threads, for_dy);      // dY
}

namespace {

void check_fsp_maps(const MapView& first, const MapView& second, const std::string& matrices_name) {
  check_map(first, "first");
  check_map(second, "second");
  check_compatible(first, "first", second, "second", true);
  check_matrices_size(first.batch, first.channels, second.channels, matrices_name);
}

}  // namespace

void fsp_forward(const MapView& first, const MapView& second, float* out, const Context& ctx) {
  check_fsp_maps(first, second, "out");
  check_pointer(out, "out");
  const int64_t hw = first.spatial(), c1 = first.channels, c2 = second.channels;
  const Geometry g1 = geometry(first), g2 = geometry(second);
  const int threads = threads_for_work(2.0 * first.batch * c1 * c2 * hw, resolve_threads(ctx.threads));
  const bool stream = stream_output(first.batch * c1 * c2);
  for_each_sample(first.batch, threads, [&](int64_t b, int inner, int64_t next) {
    fsp_sample(as_matrix(first.data + b * g1.size(), g1), as_matrix(second.data + b * g2.size(), g2), hw, c1, c2,
               out + b * c1 * c2, inner, sample_prefetch(first, second, next), stream);
  });
}

void fsp_backward(const MapView& first, const MapView& second, const float* grad_matrices, float* grad_first,
                  float* grad_second, const Context& ctx) {
  check_fsp_maps(first, second, "grad_matrices");
  check_pointer(grad_matrices, "grad_matrices");
  const int64_t hw = first.spatial(), c1 = first.channels, c2 = second.channels;
  const Geometry g1 = geometry(first), g2 = geometry(second);
  const int outputs = (grad_first != nullptr) + (grad_second != nullptr);
  const int threads = threads_for_work(2.0 * outputs * first.batch * c1 * c2 * hw, resolve_threads(ctx.threads));
  for_each_sample(first.batch, threads, [&](int64_t b, int inner, int64_t next) {
    const Matrix dx = grad_first ? gradient_matrix(grad_first + b * g1.size(), g1, first.size()) : Matrix{nullptr, 0, 0};
    const Matrix dy =
        grad_second ? gradient_matrix(grad_second + b * g2.size(), g2, second.size()) : Matrix{nullptr, 0, 0};
    fsp_backward_sample(as_matrix(first.data + b * g1.size(), g1), as_matrix(second.data + b * g2.size(), g2), hw,
                        c1, c2, grad_matrices + b * c1 * c2, dx, dy, inner, sample_prefetch(first, second, next), false);
  });
}

}  // namespace fspd
