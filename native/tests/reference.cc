#include "reference.h"

#include <algorithm>
#include <cmath>

namespace test {
namespace {

struct Range {
  int64_t begin, end;
};
Range window(int64_t i, int64_t in, int64_t out) {
  return {static_cast<int64_t>(std::floor(static_cast<double>(i) * in / out)),
          static_cast<int64_t>(std::ceil(static_cast<double>(i + 1) * in / out))};
}

RefMap aligned(const RefMap& m, int64_t h, int64_t w, Pooling pooling) {
  return m.h == h && m.w == w ? m : ref_pool(m, h, w, pooling);
}

}  // namespace

std::vector<double> ref_fsp(const RefMap& x, const RefMap& y) {
  std::vector<double> g(static_cast<size_t>(x.b * x.c * y.c));
  for (int64_t n = 0; n < x.b; ++n)
    for (int64_t i = 0; i < x.c; ++i)
      for (int64_t j = 0; j < y.c; ++j) {
        double s = 0;
        for (int64_t r = 0; r < x.h; ++r)
          for (int64_t col = 0; col < x.w; ++col) s += x.at(n, r, col, i) * y.at(n, r, col, j);
        g[static_cast<size_t>((n * x.c + i) * y.c + j)] = s / static_cast<double>(x.h * x.w);
      }
  return g;
}

void ref_fsp_backward(const RefMap& x, const RefMap& y, const std::vector<double>& dg, RefMap& dx, RefMap& dy) {
  dx = RefMap(x.b, x.h, x.w, x.c, x.layout);
  dy = RefMap(y.b, y.h, y.w, y.c, y.layout);
  const double hw = static_cast<double>(x.h * x.w);
  for (int64_t n = 0; n < x.b; ++n)
    for (int64_t r = 0; r < x.h; ++r)
      for (int64_t col = 0; col < x.w; ++col)
        for (int64_t i = 0; i < x.c; ++i)
          for (int64_t j = 0; j < y.c; ++j) {
            const double g = dg[static_cast<size_t>((n * x.c + i) * y.c + j)] / hw;
            dx.at(n, r, col, i) += y.at(n, r, col, j) * g;
            dy.at(n, r, col, j) += x.at(n, r, col, i) * g;
          }
}

RefMap ref_pool(const RefMap& in, int64_t oh, int64_t ow, Pooling pooling) {
  RefMap out(in.b, oh, ow, in.c, in.layout);
  for (int64_t n = 0; n < in.b; ++n)
    for (int64_t ch = 0; ch < in.c; ++ch)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          const Range ry = window(oy, in.h, oh), rx = window(ox, in.w, ow);
          double best = in.at(n, ry.begin, rx.begin, ch), sum = 0;
          for (int64_t y = ry.begin; y < ry.end; ++y)
            for (int64_t x = rx.begin; x < rx.end; ++x) {
              const double v = in.at(n, y, x, ch);
              sum += v;
              if (std::isnan(best)) continue;
              if (std::isnan(v) || v > best) best = v;
            }
          const double count = static_cast<double>((ry.end - ry.begin) * (rx.end - rx.begin));
          out.at(n, oy, ox, ch) = pooling == Pooling::Max ? best : sum / count;
        }
  return out;
}

RefMap ref_pool_backward(const RefMap& in, int64_t oh, int64_t ow, Pooling pooling, const RefMap& grad_out) {
  RefMap grad(in.b, in.h, in.w, in.c, in.layout);
  for (int64_t n = 0; n < in.b; ++n)
    for (int64_t ch = 0; ch < in.c; ++ch)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          const Range ry = window(oy, in.h, oh), rx = window(ox, in.w, ow);
          const double g = grad_out.at(n, oy, ox, ch);
          if (pooling == Pooling::Avg) {
            const double count = static_cast<double>((ry.end - ry.begin) * (rx.end - rx.begin));
            for (int64_t y = ry.begin; y < ry.end; ++y)
              for (int64_t x = rx.begin; x < rx.end; ++x) grad.at(n, y, x, ch) += g / count;
            continue;
          }
          int64_t by = ry.begin, bx = rx.begin;
          for (int64_t y = ry.begin; y < ry.end; ++y)
            for (int64_t x = rx.begin; x < rx.end; ++x) {
              const double v = in.at(n, y, x, ch), best = in.at(n, by, bx, ch);
              if (!std::isnan(best) && (std::isnan(v) || v > best)) by = y, bx = x;
            }
          grad.at(n, by, bx, ch) += g;
        }
  return grad;
}

RefLoss ref_loss(const std::vector<RefPair>& student, const std::vector<RefPair>& teacher,
                 const std::vector<std::vector<double>>& teacher_matrices, const std::vector<double>& weights,
                 Reduction reduction, Pooling pooling) {
  RefLoss result;
  for (size_t p = 0; p < student.size(); ++p) {
    const RefPair& s = student[p];
    const int64_t h = std::min(s.first.h, s.second.h), w = std::min(s.first.w, s.second.w);
    const RefMap x = aligned(s.first, h, w, pooling), y = aligned(s.second, h, w, pooling);
    const std::vector<double> gs = ref_fsp(x, y);
    std::vector<double> gt = teacher_matrices.empty() ? std::vector<double>() : teacher_matrices[p];
    if (!teacher.empty()) {
      const RefPair& t = teacher[p];
      const int64_t th = std::min(t.first.h, t.second.h), tw = std::min(t.first.w, t.second.w);
      gt = ref_fsp(aligned(t.first, th, tw, pooling), aligned(t.second, th, tw, pooling));
    }
    const double batch = static_cast<double>(s.first.b), entries = static_cast<double>(s.first.c * s.second.c);
    const double scale = reduction == Reduction::Paper ? 1 / batch : 1 / (batch * entries);
    const double weight = weights.empty() ? 1.0 : weights[p];
    double squares = 0;
    std::vector<double> dg(gs.size());
    for (size_t e = 0; e < gs.size(); ++e) {
      squares += (gs[e] - gt[e]) * (gs[e] - gt[e]);
      dg[e] = 2 * weight * scale * (gs[e] - gt[e]);
    }
    result.pairs.push_back(weight * scale * squares);
    result.loss += result.pairs.back();
    result.teacher.push_back(gt);
    RefMap dx, dy;
    ref_fsp_backward(x, y, dg, dx, dy);
    const bool pooled_first = x.h != s.first.h || x.w != s.first.w;
    const bool pooled_second = y.h != s.second.h || y.w != s.second.w;
    result.grad_first.push_back(pooled_first ? ref_pool_backward(s.first, h, w, pooling, dx) : dx);
    result.grad_second.push_back(pooled_second ? ref_pool_backward(s.second, h, w, pooling, dy) : dy);
  }
  return result;
}

}  // namespace test
