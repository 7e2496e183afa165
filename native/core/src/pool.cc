// Adaptive max/avg pooling and its backward, with PyTorch's windows:
// rows [floor(i·H/oh), ceil((i+1)·H/oh)), likewise columns. Windows overlap when sizes do not divide.
#include "pool.h"

#include <algorithm>

#include "checks.h"
#include "parallel.h"

namespace fspd {
namespace {

struct Window {
  int64_t y0, y1, x0, x1;
  int64_t count() const { return (y1 - y0) * (x1 - x0); }
};

Window window(const Geometry& g, int64_t oy, int64_t ox, int64_t out_height, int64_t out_width) {
  return {oy * g.height / out_height, ((oy + 1) * g.height + out_height - 1) / out_height,
          ox * g.width / out_width, ((ox + 1) * g.width + out_width - 1) / out_width};
}

// Max that propagates NaN: the first NaN of a window wins, then the first maximum.
inline bool replaces(float v, float best) { return v > best || (v != v && best == best); }

// Strides of one sample: element (y, x, c) sits at (y·w + x)·pixel + c·channel.
struct Strides {
  int64_t pixel, channel;
};
Strides strides(const Geometry& g) {
  return g.layout == Layout::NHWC ? Strides{g.channels, 1} : Strides{1, g.spatial()};
}

// Reduces one window for `channels` channels: input channel c at in + c·s.channel, output at out + c·out_step.
// NHWC calls it once per window for all channels (contiguous inner loop), NCHW once per channel plane.
void reduce_window(const float* in, const Geometry& g, Strides s, int64_t channels, const Window& w,
                   Pooling pooling, float* out, int64_t out_step) {
  const float* first = in + (w.y0 * g.width + w.x0) * s.pixel;
  for (int64_t c = 0; c < channels; ++c) out[c * out_step] = pooling == Pooling::Max ? first[c * s.channel] : 0.0f;
  for (int64_t y = w.y0; y < w.y1; ++y)
    for (int64_t x = w.x0; x < w.x1; ++x) {
      const float* p = in + (y * g.width + x) * s.pixel;
      if (pooling == Pooling::Max) {
        for (int64_t c = 0; c < channels; ++c) {
          const float v = p[c * s.channel], best = out[c * out_step];
          out[c * out_step] = replaces(v, best) ? v : best;
        }
      } else {
        for (int64_t c = 0; c < channels; ++c) out[c * out_step] += p[c * s.channel];
      }
    }
  if (pooling == Pooling::Avg) {
    const float count = static_cast<float>(w.count());
    for (int64_t c = 0; c < channels; ++c) out[c * out_step] /= count;
  }
}

// Adds the gradient `g` of one window's output for channel c (at offset c·s.channel) to grad_in.
void route_window(const float* in, const Geometry& geom, Strides s, int64_t c, const Window& w, Pooling pooling,
                  float g, float* grad_in) {
  const int64_t base = c * s.channel;
  if (pooling == Pooling::Avg) {
    const float share = g / static_cast<float>(w.count());
    for (int64_t y = w.y0; y < w.y1; ++y)
      for (int64_t x = w.x0; x < w.x1; ++x) grad_in[(y * geom.width + x) * s.pixel + base] += share;
    return;
  }
  int64_t best = (w.y0 * geom.width + w.x0) * s.pixel + base;
  for (int64_t y = w.y0; y < w.y1; ++y)
    for (int64_t x = w.x0; x < w.x1; ++x) {
      const int64_t at = (y * geom.width + x) * s.pixel + base;
      if (replaces(in[at], in[best])) best = at;
    }
  grad_in[best] += g;
}

}  // namespace

void pool_sample(const float* in, const Geometry& g, int64_t out_height, int64_t out_width, Pooling pooling,
                 float* out) {
  const Strides s = strides(g);
  const Geometry og{out_height, out_width, g.channels, g.layout};
  const Strides os = strides(og);
  if (g.layout == Layout::NHWC) {
    for (int64_t oy = 0; oy < out_height; ++oy)
      for (int64_t ox = 0; ox < out_width; ++ox)
        reduce_window(in, g, s, g.channels, window(g, oy, ox, out_height, out_width), pooling,
                      out + (oy * out_width + ox) * os.pixel, 1);
    return;
  }
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t oy = 0; oy < out_height; ++oy)
      for (int64_t ox = 0; ox < out_width; ++ox)
        reduce_window(in + c * s.channel, g, s, 1, window(g, oy, ox, out_height, out_width), pooling,
                      out + c * os.channel + oy * out_width + ox, 1);
}

void pool_backward_sample(const float* in, const Geometry& g, int64_t out_height, int64_t out_width,
                          Pooling pooling, const float* grad_out, float* grad_in) {
  std::fill(grad_in, grad_in + g.size(), 0.0f);
  const Strides s = strides(g);
  const Strides os = strides(Geometry{out_height, out_width, g.channels, g.layout});
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t oy = 0; oy < out_height; ++oy)
      for (int64_t ox = 0; ox < out_width; ++ox)
        route_window(in, g, s, c, window(g, oy, ox, out_height, out_width), pooling,
                     grad_out[(oy * out_width + ox) * os.pixel + c * os.channel], grad_in);
}

void pool_to(const MapView& in, int64_t out_height, int64_t out_width, Pooling pooling, float* out,
             const Context& ctx) {
  check_map(in, "in");
  check_pool_target(in, out_height, out_width);
  check_pooling(pooling, "pooling");
  check_pointer(out, "out");
  const Geometry g = geometry(in);
  const int64_t out_size = out_height * out_width * in.channels;
  const int threads = threads_for_work(static_cast<double>(in.size()), resolve_threads(ctx.threads));
  parallel_for(in.batch, threads, [&](int64_t b) {
    pool_sample(in.data + b * g.size(), g, out_height, out_width, pooling, out + b * out_size);
  });
}

void pool_backward(const MapView& in, int64_t out_height, int64_t out_width, Pooling pooling,
                   const float* grad_out, float* grad_in, const Context& ctx) {
  check_map(in, "in");
  check_pool_target(in, out_height, out_width);
  check_pooling(pooling, "pooling");
  check_pointer(grad_out, "grad_out");
  check_pointer(grad_in, "grad_in");
  const Geometry g = geometry(in);
  const int64_t out_size = out_height * out_width * in.channels;
  const int threads = threads_for_work(static_cast<double>(in.size()), resolve_threads(ctx.threads));
  parallel_for(in.batch, threads, [&](int64_t b) {
    pool_backward_sample(in.data + b * g.size(), g, out_height, out_width, pooling, grad_out + b * out_size,
                         grad_in + b * g.size());
  });
}

}  // namespace fspd
