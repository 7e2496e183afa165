// fsp_forward, fsp_backward, pool_to and pool_backward against the float64 reference; thread-count
// independence; NaN propagation; concurrent callers; build facts.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <thread>

#include "harness.h"
#include "reference.h"

namespace test {
namespace {

struct FspShape {
  int64_t b, h, w, c1, c2;
};

// Channel counts 1, 3, 17, 33, 129 (edge tiles everywhere), h·w = 1, odd sizes, h·w above the K block
// (667, 2304), large enough single samples that the GEMM is split over threads, and whole tiles of
// 16..128 channels (operands used in place, or packed by plain copies).
const FspShape kFspShapes[] = {
    {1, 1, 1, 1, 1},    {3, 1, 1, 3, 17},   {2, 5, 7, 17, 3},  {1, 5, 7, 33, 129}, {3, 4, 4, 129, 33},
    {2, 32, 32, 16, 32}, {1, 23, 29, 33, 17}, {2, 8, 8, 64, 64}, {1, 48, 48, 3, 129}, {4, 3, 5, 1, 129},
    {1, 1, 1, 129, 129}, {5, 2, 3, 17, 1},   {1, 32, 32, 64, 129}, {2, 6, 6, 128, 96}, {3, 4, 4, 16, 16}};

// Seeded random shapes: channel counts 1..80, half of them multiples of 4 (the residues mod 6 and 4 pick the
// tile shapes; multiples of 16 use operands in place), h·w up to 1600 (past the K block; NCHW gradients with
// rows ≥ 256 floats apart go through the staging scratch), at combinations the list above does not name.
std::vector<FspShape> random_shapes(int count, uint64_t seed) {
  Rng rng(seed);
  const auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  std::vector<FspShape> out;
  for (int i = 0; i < count; ++i) {
    const auto channels = [&] { return pick(0, 1) ? 4 * pick(1, 20) : pick(1, 80); };
    const int64_t b = pick(1, 3), h = pick(1, 40), w = pick(1, 40), c1 = channels(), c2 = channels();
    out.push_back({b, h, w, c1, c2});
  }
  return out;
}

std::string describe(const FspShape& s, Layout layout) {
  return std::string(name(layout)) + " B=" + std::to_string(s.b) + " " + std::to_string(s.h) + "x" +
         std::to_string(s.w) + " C1=" + std::to_string(s.c1) + " C2=" + std::to_string(s.c2);
}

void forward_case(const FspShape& s, Layout layout, Rng& rng) {
  const Map x = random_map(rng, s.b, s.h, s.w, s.c1, layout), y = random_map(rng, s.b, s.h, s.w, s.c2, layout);
  std::vector<float> g = poisoned(static_cast<size_t>(s.b * s.c1 * s.c2));
  fspd::fsp_forward(x.view(), y.view(), g.data());
  check_close(g, ref_fsp(to_double(x), to_double(y)), "G");
}

void backward_case(const FspShape& s, Layout layout, Rng& rng) {
  const Map x = random_map(rng, s.b, s.h, s.w, s.c1, layout), y = random_map(rng, s.b, s.h, s.w, s.c2, layout);
  const std::vector<float> dg = random_vector(rng, static_cast<size_t>(s.b * s.c1 * s.c2));
  std::vector<float> dx = poisoned(x.v.size()), dy = poisoned(y.v.size());
  fspd::fsp_backward(x.view(), y.view(), dg.data(), dx.data(), dy.data());
  RefMap rdx, rdy;
  ref_fsp_backward(to_double(x), to_double(y), std::vector<double>(dg.begin(), dg.end()), rdx, rdy);
  check_close(dx, rdx.v, "dX");
  check_close(dy, rdy.v, "dY");
  // Either output alone; the other pointer is null and nothing is written there.
  std::vector<float> only = poisoned(y.v.size());
  fspd::fsp_backward(x.view(), y.view(), dg.data(), nullptr, only.data());
  check_close(only, rdy.v, "dY alone");
  only = poisoned(x.v.size());
  fspd::fsp_backward(x.view(), y.view(), dg.data(), only.data(), nullptr);
  check_close(only, rdx.v, "dX alone");
}

// `offset` floats past the first 64-byte boundary in buf (which has 16 + offset floats to spare).
float* past_boundary(std::vector<float>& buf, int64_t offset) {
  return buf.data() + (16 - reinterpret_cast<uintptr_t>(buf.data()) / 4 % 16) % 16 + offset;
}

// Gradients of 256 KiB and more are written with streaming stores (when their rows are 64-byte aligned):
// they must equal, bit for bit, the same samples computed one at a time (small outputs, plain stores), and
// an output that is not aligned must be right too (plain stores again). dY is streamed (360–384 KiB), dX not
// (180–192 KiB); over 32×32 maps NCHW rows are 4 KiB apart (staged, then streamed), over 16×16 and 12×12
// 1 KiB and 576 B (streamed by the tiles).
const FspShape kStreamedShapes[] = {{3, 32, 32, 16, 32}, {12, 16, 16, 16, 32}, {20, 12, 12, 16, 32}};

void streamed_gradients_case(const FspShape& s, Layout layout, Rng& rng) {
  const int64_t b = s.b, h = s.h, w = s.w, c1 = s.c1, c2 = s.c2;
  const Map x = random_map(rng, b, h, w, c1, layout), y = random_map(rng, b, h, w, c2, layout);
  const std::vector<float> dg = random_vector(rng, static_cast<size_t>(b * c1 * c2));
  const int64_t nx = h * w * c1, ny = h * w * c2;
  for (int64_t offset : {0, 1}) {  // floats past a 64-byte boundary
    std::vector<float> dx_buf = poisoned(static_cast<size_t>(b * nx + 32));
    std::vector<float> dy_buf = poisoned(static_cast<size_t>(b * ny + 32));
    float* dx = past_boundary(dx_buf, offset);
    float* dy = past_boundary(dy_buf, offset);
    fspd::fsp_backward(x.view(), y.view(), dg.data(), dx, dy);
    for (int64_t n = 0; n < b; ++n) {
      const fspd::MapView xs{x.v.data() + n * nx, 1, h, w, c1, layout}, ys{y.v.data() + n * ny, 1, h, w, c2, layout};
      std::vector<float> sx(static_cast<size_t>(nx)), sy(static_cast<size_t>(ny));
      fspd::fsp_backward(xs, ys, dg.data() + n * c1 * c2, sx.data(), sy.data());
      CHECK(std::memcmp(sx.data(), dx + n * nx, sx.size() * sizeof(float)) == 0);
      CHECK(std::memcmp(sy.data(), dy + n * ny, sy.size() * sizeof(float)) == 0);
    }
  }
}

// Forwards with 256 KiB of matrices and more write them with streaming stores (when a sample's rows are 64-byte
// aligned and h·w fits one K block): G must equal, bit for bit, the same samples computed one at a time (16 KiB
// at most, plain stores), and the float64 reference; an output that is not aligned must be right too. 256–320 KiB
// of matrices: whole 6×16 tiles (64 rows), and 6×16 beside 4×16 tiles (32 and 20 rows).
const FspShape kStreamedMatrixShapes[] = {{16, 8, 8, 64, 64}, {48, 16, 16, 32, 48}, {64, 12, 12, 20, 64}};

void streamed_matrices_case(const FspShape& s, Layout layout, Rng& rng) {
  const int64_t b = s.b, h = s.h, w = s.w, c1 = s.c1, c2 = s.c2, nm = c1 * c2;
  const Map x = random_map(rng, b, h, w, c1, layout), y = random_map(rng, b, h, w, c2, layout);
  const std::vector<double> ref = ref_fsp(to_double(x), to_double(y));
  for (int64_t offset : {0, 1}) {  // floats past a 64-byte boundary
    std::vector<float> g_buf = poisoned(static_cast<size_t>(b * nm + 32));
    float* g = past_boundary(g_buf, offset);
    fspd::fsp_forward(x.view(), y.view(), g);
    check_close(std::vector<float>(g, g + b * nm), ref, "G");
    const int64_t nx = h * w * c1, ny = h * w * c2;
    for (int64_t n = 0; n < b; ++n) {
      const fspd::MapView xs{x.v.data() + n * nx, 1, h, w, c1, layout}, ys{y.v.data() + n * ny, 1, h, w, c2, layout};
      std::vector<float> gs(static_cast<size_t>(nm));
      fspd::fsp_forward(xs, ys, gs.data());
      CHECK(std::memcmp(gs.data(), g + n * nm, gs.size() * sizeof(float)) == 0);
    }
  }
}

struct PoolShape {
  int64_t b, h, w, c, oh, ow;
};

// Divisible, non-divisible (overlapping windows), identity and global pooling.
const PoolShape kPoolShapes[] = {{2, 7, 5, 3, 3, 2},  {1, 8, 8, 17, 4, 4},  {3, 5, 7, 1, 5, 7}, {1, 10, 9, 33, 4, 3},
                                 {2, 6, 6, 3, 1, 1},  {1, 1, 1, 2, 1, 1},   {1, 9, 4, 5, 2, 3}, {2, 13, 11, 4, 5, 4}};

void pool_case(const PoolShape& s, Layout layout, Pooling pooling, Rng& rng) {
  // Few distinct values, so max windows hold ties and the first-maximum rule is exercised.
  const Map in = random_map(rng, s.b, s.h, s.w, s.c, layout, pooling == Pooling::Max ? 3 : 0);
  std::vector<float> out = poisoned(static_cast<size_t>(s.b * s.oh * s.ow * s.c));
  fspd::pool_to(in.view(), s.oh, s.ow, pooling, out.data());
  const RefMap ref = ref_pool(to_double(in), s.oh, s.ow, pooling);
  check_close(out, ref.v, "pooled");

  const Map grad_out = random_map(rng, s.b, s.oh, s.ow, s.c, layout);
  std::vector<float> grad_in = poisoned(in.v.size());
  fspd::pool_backward(in.view(), s.oh, s.ow, pooling, grad_out.v.data(), grad_in.data());
  check_close(grad_in, ref_pool_backward(to_double(in), s.oh, s.ow, pooling, to_double(grad_out)).v, "grad_in");
}

void pool_nan_case(Layout layout) {
  // One window of a 4×4 → 2×2 pooling holds NaN at its second element: max and avg give NaN there,
  // max routes that window's gradient to the NaN, the other windows are untouched.
  Map in(1, 4, 4, 2, layout);
  for (int64_t y = 0; y < 4; ++y)
    for (int64_t x = 0; x < 4; ++x)
      for (int64_t c = 0; c < 2; ++c) in.at(0, y, x, c) = static_cast<float>(y * 4 + x);
  in.at(0, 0, 1, 1) = std::numeric_limits<float>::quiet_NaN();
  for (Pooling pooling : {Pooling::Max, Pooling::Avg}) {
    Map out(1, 2, 2, 2, layout);
    fspd::pool_to(in.view(), 2, 2, pooling, out.v.data());
    CHECK(std::isnan(out.at(0, 0, 0, 1)));
    CHECK(!std::isnan(out.at(0, 0, 0, 0)) && !std::isnan(out.at(0, 1, 1, 1)));
    check_close(out.v, ref_pool(to_double(in), 2, 2, pooling).v, name(pooling));
  }
  Map grad_out(1, 2, 2, 2, layout, 1.0f);
  Map grad_in(1, 4, 4, 2, layout);
  fspd::pool_backward(in.view(), 2, 2, Pooling::Max, grad_out.v.data(), grad_in.v.data());
  CHECK(grad_in.at(0, 0, 1, 1) == 1.0f && grad_in.at(0, 1, 1, 1) == 0.0f);
}

void nan_propagates(Layout layout) {
  Rng rng(7);
  Map x = random_map(rng, 2, 5, 7, 17, layout);
  const Map y = random_map(rng, 2, 5, 7, 33, layout);
  x.at(1, 2, 3, 4) = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> g = poisoned(static_cast<size_t>(2 * 17 * 33));
  fspd::fsp_forward(x.view(), y.view(), g.data());
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t i = 0; i < 17; ++i)
      for (int64_t j = 0; j < 33; ++j)
        CHECK(std::isnan(g[static_cast<size_t>((n * 17 + i) * 33 + j)]) == (n == 1 && i == 4));
}

// The same call with 1, 2, 3 and all hardware threads gives bit-identical results. 40 and 72 channels at 24×24;
// 16 and 32 channels at 64×64 and 64 channels at 16×16 (enough work to split one sample), where a level may
// pick other tile shapes for the whole GEMM than for the blocks of it that threads get.
struct ThreadsShape {
  int64_t hw_side, c1, c2;
};

void threads_case(int64_t batch, const ThreadsShape& s, Rng& rng) {
  const int64_t h = s.hw_side, w = s.hw_side, c1 = s.c1, c2 = s.c2;
  const Map x = random_map(rng, batch, h, w, c1, Layout::NHWC), y = random_map(rng, batch, h, w, c2, Layout::NHWC);
  const Map xc = random_map(rng, batch, h, w, c1, Layout::NCHW);
  const Map yc = random_map(rng, batch, h, w, c2, Layout::NCHW);
  const std::vector<float> dg = random_vector(rng, static_cast<size_t>(batch * c1 * c2));
  auto compute = [&](int threads) {
    const fspd::Context ctx{threads};
    std::vector<float> out(static_cast<size_t>(batch * c1 * c2) * 2), dx(x.v.size()), dy(y.v.size());
    fspd::fsp_forward(x.view(), y.view(), out.data(), ctx);
    fspd::fsp_forward(xc.view(), yc.view(), out.data() + batch * c1 * c2, ctx);
    fspd::fsp_backward(xc.view(), yc.view(), dg.data(), dx.data(), dy.data(), ctx);
    out.insert(out.end(), dx.begin(), dx.end());
    out.insert(out.end(), dy.begin(), dy.end());
    fspd::fsp_backward(x.view(), y.view(), dg.data(), dx.data(), dy.data(), ctx);
    out.insert(out.end(), dx.begin(), dx.end());
    out.insert(out.end(), dy.begin(), dy.end());
    return out;
  };
  const std::vector<float> one = compute(1);
  for (int threads : {2, 3, 0}) CHECK(compute(threads) == one);
}

// Several threads calling at once (as the Node binding's workers do) get what a lone caller gets.
void concurrent_callers() {
  Rng rng(11);
  const Map x = random_map(rng, 3, 16, 16, 33, Layout::NHWC), y = random_map(rng, 3, 16, 16, 64, Layout::NHWC);
  std::vector<float> expected(static_cast<size_t>(3 * 33 * 64));
  fspd::fsp_forward(x.view(), y.view(), expected.data());
  std::vector<std::vector<float>> results(4, std::vector<float>(expected.size()));
  std::vector<std::thread> callers;
  for (auto& r : results)
    callers.emplace_back([&] {
      for (int repeat = 0; repeat < 20; ++repeat) fspd::fsp_forward(x.view(), y.view(), r.data(), fspd::Context{2});
    });
  for (auto& t : callers) t.join();
  for (const auto& r : results) CHECK(r == expected);
}

int level_rank(const std::string& level) {
  return level == "avx512" ? 2 : level == "avx2" ? 1 : level == "portable" ? 0 : -1;
}

void build_facts() {
  const fspd::BuildInfo info = fspd::build_info();
  std::printf("      version %s, %s, simd %s, %d threads, cuda %s\n", info.version.c_str(), info.compiler.c_str(),
              info.simd.c_str(), info.threads, info.cuda_compiled ? "yes" : "no");
  CHECK(!info.version.empty());
  CHECK(info.compiler.rfind("GCC ", 0) == 0 || info.compiler.rfind("Clang ", 0) == 0);
  CHECK(level_rank(info.simd) >= 0);
  CHECK(info.threads >= 1);
  // FSPD_SIMD caps the level (ctest runs this binary once per level).
  if (const char* cap = std::getenv("FSPD_SIMD")) CHECK(level_rank(info.simd) <= level_rank(cap));
  const double peak = fspd::measure_fma_peak_gflops(1, 0.02);
  CHECK(std::isfinite(peak) && peak > 0);
  const double bandwidth = fspd::measure_memory_bandwidth_gbps(0, 0.02);
  CHECK(std::isfinite(bandwidth) && bandwidth > 0);
}

}  // namespace

void test_kernels() {
  run("build info, FMA peak and memory bandwidth", build_facts);
  Rng rng(1);
  for (Layout layout : {Layout::NHWC, Layout::NCHW})
    for (const FspShape& s : kFspShapes)
      run("fsp_forward " + describe(s, layout), [&] { forward_case(s, layout, rng); });
  for (Layout layout : {Layout::NHWC, Layout::NCHW})
    for (const FspShape& s : kFspShapes)
      run("fsp_backward " + describe(s, layout), [&] { backward_case(s, layout, rng); });
  for (Layout layout : {Layout::NHWC, Layout::NCHW})
    for (const FspShape& s : random_shapes(24, 17 + static_cast<int>(layout)))
      run("random shape: fsp_forward and fsp_backward " + describe(s, layout), [&] {
        forward_case(s, layout, rng);
        backward_case(s, layout, rng);
      });
  for (Layout layout : {Layout::NHWC, Layout::NCHW})
    for (Pooling pooling : {Pooling::Max, Pooling::Avg})
      for (const PoolShape& s : kPoolShapes)
        run(std::string("pool ") + name(pooling) + " " + name(layout) + " " + std::to_string(s.h) + "x" +
                std::to_string(s.w) + " -> " + std::to_string(s.oh) + "x" + std::to_string(s.ow) +
                " C=" + std::to_string(s.c),
            [&] { pool_case(s, layout, pooling, rng); });
  for (Layout layout : {Layout::NHWC, Layout::NCHW}) {
    run(std::string("pool NaN ") + name(layout), [&] { pool_nan_case(layout); });
    run(std::string("fsp_forward NaN propagates ") + name(layout), [&] { nan_propagates(layout); });
  }
  for (Layout layout : {Layout::NHWC, Layout::NCHW})
    for (const FspShape& s : kStreamedShapes)
      run("fsp_backward streamed gradients " + describe(s, layout), [&] { streamed_gradients_case(s, layout, rng); });
  for (Layout layout : {Layout::NHWC, Layout::NCHW})
    for (const FspShape& s : kStreamedMatrixShapes)
      run("fsp_forward streamed matrices " + describe(s, layout), [&] { streamed_matrices_case(s, layout, rng); });
  for (const ThreadsShape& s : {ThreadsShape{24, 40, 72}, ThreadsShape{64, 16, 32}, ThreadsShape{16, 64, 64}})
    for (int64_t batch : {1, 2, 3})
      run("threads 1/2/3/all identical, B=" + std::to_string(batch) + " C1=" + std::to_string(s.c1) +
              " C2=" + std::to_string(s.c2),
          [&] { threads_case(batch, s, rng); });
  run("concurrent callers", concurrent_callers);
}

}  // namespace test
