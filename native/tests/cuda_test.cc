// fsp_cuda_tests: the CUDA kernels (fspd/cuda.h) against the float64 reference AND the CPU kernels,
// on random shapes (channels 1, 3, 17, 33, 129, h·w = 1, odd sizes), both layouts, both poolings,
// outputs poisoned with NaN first so every unwritten element fails.
//
// Host-side cases run everywhere (also in builds without CUDA and on machines without a GPU): the
// device status is reported without crashing, every bad argument is rejected exactly as the CPU
// rejects it (before any device work), and a valid call without a device throws CudaError with the
// runtime's reason. Then, without a usable device, the program prints
//   SKIP: no CUDA device (<reason>)
// and exits 77, which ctest reports as "Skipped" (SKIP_RETURN_CODE 77); a host-side failure exits 1.
//   fsp_cuda_tests [--big] [--seed N]   --big adds the benchmark shape (256, 64, 64, 32x32) against the
//   CPU; --seed draws other random inputs (the default seed is fixed, so ctest runs are reproducible)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tuple>
#include <string>
#include <thread>

#include "fspd/cuda.h"
#include "harness.h"
#include "reference.h"

namespace test {
namespace {

namespace cu = fspd::cuda;
using Kind = fspd::ArgumentError::Kind;

// ---- Host side --------------------------------------------------------------------------------

// The CUDA function throws the same ArgumentError (kind and message) as the CPU function.
void same_error(const std::function<void()>& cpu, const std::function<void()>& gpu, const std::string& what) {
  std::string cpu_message, gpu_message;
  Kind cpu_kind = Kind::Type, gpu_kind = Kind::Range;
  try {
    cpu();
    fail(what + ": the CPU function did not throw");
  } catch (const fspd::ArgumentError& e) {
    cpu_message = e.what();
    cpu_kind = e.kind();
  }
  try {
    gpu();
    fail(what + ": the CUDA function did not throw");
  } catch (const fspd::ArgumentError& e) {
    gpu_message = e.what();
    gpu_kind = e.kind();
  } catch (const std::exception& e) {
    fail(what + ": the CUDA function threw a non-argument error first: " + e.what());
  }
  if (cpu_message != gpu_message || cpu_kind != gpu_kind)
    fail(what + ": CPU '" + cpu_message + "' vs CUDA '" + gpu_message + "'");
}

void status_case() {
  const cu::DeviceStatus& s = cu::device_status();
  CHECK(&s == &cu::device_status());  // cached
  CHECK(s.compiled == fspd::build_info().cuda_compiled);
  CHECK(s.count == static_cast<int>(s.devices.size()));
  CHECK(s.count >= 0);
  if (s.count == 0) CHECK(!s.reason.empty());
  std::printf("      cuda: compiled=%d devices=%d runtime=%d driver=%d%s%s\n", s.compiled, s.count, s.runtime_version,
              s.driver_version, s.reason.empty() ? "" : " reason: ", s.reason.c_str());
  for (const cu::DeviceInfo& d : s.devices)
    std::printf("      device %d: %s, sm_%d%d, %d SMs, %.1f GiB\n", d.index, d.name.c_str(), d.major, d.minor,
                d.multiprocessors, d.memory_bytes / 1073741824.0);
}

void argument_errors_case() {
  const Map x(2, 4, 4, 3, Layout::NHWC, 1.0f), y(2, 4, 4, 5, Layout::NHWC, 1.0f), z(2, 3, 4, 5, Layout::NHWC, 1.0f);
  const Map n(2, 4, 4, 5, Layout::NCHW, 1.0f), b3(3, 4, 4, 5, Layout::NHWC, 1.0f);
  std::vector<float> out(2 * 4 * 4 * 5), g(2 * 3 * 5);
  fspd::MapView null_data = x.view();
  null_data.data = nullptr;
  fspd::MapView zero_h = x.view();
  zero_h.height = 0;
  fspd::MapView huge = x.view();
  huge.width = int64_t(1) << 40;
  // Forward / backward.
  for (auto [a, bb, label] : {std::tuple{null_data, y.view(), "null first"}, {x.view(), null_data, "null second"},
                              {zero_h, y.view(), "zero height"}, {huge, y.view(), "huge width"},
                              {x.view(), z.view(), "spatial mismatch"}, {x.view(), n.view(), "layout mismatch"},
                              {x.view(), b3.view(), "batch mismatch"}}) {
    same_error([&] { fspd::fsp_forward(a, bb, g.data()); }, [&] { cu::fsp_forward(a, bb, g.data()); },
               std::string("fsp_forward ") + label);
    same_error([&] { fspd::fsp_backward(a, bb, g.data(), out.data(), nullptr); },
               [&] { cu::fsp_backward(a, bb, g.data(), out.data(), nullptr); }, std::string("fsp_backward ") + label);
  }
  same_error([&] { fspd::fsp_forward(x.view(), y.view(), nullptr); },
             [&] { cu::fsp_forward(x.view(), y.view(), nullptr); }, "fsp_forward null out");
  same_error([&] { fspd::fsp_backward(x.view(), y.view(), nullptr, out.data(), out.data()); },
             [&] { cu::fsp_backward(x.view(), y.view(), nullptr, out.data(), out.data()); }, "fsp_backward null dG");
  // Pooling.
  for (auto [oh, ow, pooling, label] :
       {std::tuple{int64_t(5), int64_t(2), Pooling::Max, "too tall"}, {2, 0, Pooling::Max, "zero width"},
        {2, 2, static_cast<Pooling>(7), "bad pooling"}}) {
    same_error([&] { fspd::pool_to(x.view(), oh, ow, pooling, out.data()); },
               [&] { cu::pool_to(x.view(), oh, ow, pooling, out.data()); }, std::string("pool_to ") + label);
    same_error([&] { fspd::pool_backward(x.view(), oh, ow, pooling, out.data(), out.data()); },
               [&] { cu::pool_backward(x.view(), oh, ow, pooling, out.data(), out.data()); },
               std::string("pool_backward ") + label);
  }
  same_error([&] { fspd::pool_to(x.view(), 2, 2, Pooling::Max, nullptr); },
             [&] { cu::pool_to(x.view(), 2, 2, Pooling::Max, nullptr); }, "pool_to null out");
  same_error([&] { fspd::pool_backward(x.view(), 2, 2, Pooling::Avg, nullptr, out.data()); },
             [&] { cu::pool_backward(x.view(), 2, 2, Pooling::Avg, nullptr, out.data()); }, "pool_backward null grad");
  // Loss.
  const std::vector<fspd::PairView> pair = {{x.view(), y.view()}}, bad_pair = {{x.view(), n.view()}};
  const std::vector<const float*> matrices = {g.data()};
  fspd::LossOptions infinite;
  infinite.weights = {INFINITY};
  fspd::LossOptions two_weights;
  two_weights.weights = {1, 2};
  for (auto [student, teacher, mats, options, label] :
       {std::tuple{std::vector<fspd::PairView>{}, pair, std::vector<const float*>{}, fspd::LossOptions{}, "no student"},
        {pair, pair, matrices, fspd::LossOptions{}, "both teachers"},
        {pair, std::vector<fspd::PairView>{}, std::vector<const float*>{}, fspd::LossOptions{}, "no teacher"},
        {bad_pair, pair, std::vector<const float*>{}, fspd::LossOptions{}, "layout mismatch"},
        {pair, std::vector<fspd::PairView>{}, std::vector<const float*>{nullptr}, fspd::LossOptions{}, "null matrix"},
        {pair, pair, std::vector<const float*>{}, infinite, "infinite weight"},
        {pair, pair, std::vector<const float*>{}, two_weights, "weights count"}}) {
    same_error([&] { fspd::fsp_loss(student, teacher, mats, options, {}); },
               [&] { cu::fsp_loss(student, teacher, mats, options, {}); }, std::string("fsp_loss ") + label);
  }
  // Teacher upload.
  expect_error(Kind::Range, "matrices: no pairs", [&] { cu::upload_teacher_matrices({}, {}); });
  expect_error(Kind::Range, "shapes: 0 shapes for 1 matrices", [&] { cu::upload_teacher_matrices(matrices, {}); });
  expect_error(Kind::Type, "matrices[0]: null", [&] { cu::upload_teacher_matrices({nullptr}, {{2, 3, 5}}); });
  expect_error(Kind::Range, "shapes[0]: dimensions must be positive",
               [&] { cu::upload_teacher_matrices(matrices, {{2, 0, 5}}); });
  expect_error(Kind::Type, "teacher: null handle", [&] { cu::fsp_loss(pair, cu::TeacherHandle{}, {}, {}); });
}

// Valid arguments and no usable device: CudaError with the reason, nothing written, no crash.
void no_device_case() {
  const Map x(1, 2, 2, 3, Layout::NHWC, 1.0f), y(1, 2, 2, 4, Layout::NHWC, 1.0f);
  std::vector<float> g(12, 7.0f);
  const std::string reason = cu::device_status().reason;
  try {
    cu::fsp_forward(x.view(), y.view(), g.data());
    fail("fsp_forward without a device did not throw");
  } catch (const cu::CudaError& e) {
    const std::string m = e.what();
    if (m.find(cu::device_status().compiled ? reason : std::string("no CUDA kernels")) == std::string::npos)
      fail("message '" + m + "' lacks the reason '" + reason + "'");
  }
  for (float v : g) CHECK(v == 7.0f);
  const std::vector<float> t(12, 0.0f);
  try {
    cu::upload_teacher_matrices({t.data()}, {{1, 3, 4}});
    fail("upload without a device did not throw");
  } catch (const cu::CudaError&) {
  }
  try {
    cu::measure_copy_bandwidth(1024);
    fail("measure_copy_bandwidth without a device did not throw");
  } catch (const cu::CudaError&) {
  }
}

// ---- Device ---------------------------------------------------------------------------------------

struct FspShape {
  int64_t b, h, w, c1, c2;
};
const FspShape kFspShapes[] = {{1, 1, 1, 1, 1},      {3, 1, 1, 3, 17},    {2, 5, 7, 17, 3},   {1, 5, 7, 33, 129},
                               {3, 4, 4, 129, 33},   {2, 32, 32, 16, 32}, {1, 23, 29, 33, 17}, {2, 8, 8, 64, 64},
                               {1, 48, 48, 3, 129},  {4, 3, 5, 1, 129},   {1, 1, 1, 129, 129}, {5, 2, 3, 17, 1},
                               {1, 32, 32, 64, 129}, {2, 6, 6, 128, 96},  {3, 4, 4, 16, 16},   {7, 11, 13, 65, 63}};

std::string describe(const FspShape& s, Layout layout) {
  return std::string(name(layout)) + " B=" + std::to_string(s.b) + " " + std::to_string(s.h) + "x" +
         std::to_string(s.w) + " C1=" + std::to_string(s.c1) + " C2=" + std::to_string(s.c2);
}

// got against the float64 reference and against the CPU kernel's result.
void check_both(const std::vector<float>& got, const std::vector<double>& ref, const std::vector<float>& cpu,
                const std::string& what) {
  check_close(got, ref, what + " vs float64");
  check_close(got, std::vector<double>(cpu.begin(), cpu.end()), what + " vs CPU");
}

void fsp_case(const FspShape& s, Layout layout, Rng& rng) {
  const Map x = random_map(rng, s.b, s.h, s.w, s.c1, layout), y = random_map(rng, s.b, s.h, s.w, s.c2, layout);
  const size_t nm = static_cast<size_t>(s.b * s.c1 * s.c2);
  std::vector<float> g = poisoned(nm), cpu_g = poisoned(nm);
  cu::fsp_forward(x.view(), y.view(), g.data());
  fspd::fsp_forward(x.view(), y.view(), cpu_g.data());
  check_both(g, ref_fsp(to_double(x), to_double(y)), cpu_g, "G");

  const std::vector<float> dg = random_vector(rng, nm);
  std::vector<float> dx = poisoned(x.v.size()), dy = poisoned(y.v.size());
  std::vector<float> cdx = poisoned(x.v.size()), cdy = poisoned(y.v.size());
  cu::fsp_backward(x.view(), y.view(), dg.data(), dx.data(), dy.data());
  fspd::fsp_backward(x.view(), y.view(), dg.data(), cdx.data(), cdy.data());
  RefMap rdx, rdy;
  ref_fsp_backward(to_double(x), to_double(y), std::vector<double>(dg.begin(), dg.end()), rdx, rdy);
  check_both(dx, rdx.v, cdx, "dX");
  check_both(dy, rdy.v, cdy, "dY");
  std::vector<float> only = poisoned(y.v.size());
  cu::fsp_backward(x.view(), y.view(), dg.data(), nullptr, only.data());
  check_close(only, rdy.v, "dY alone");
}

struct PoolShape {
  int64_t b, h, w, c, oh, ow;
};
const PoolShape kPoolShapes[] = {{2, 7, 5, 3, 3, 2},   {1, 8, 8, 17, 4, 4}, {3, 5, 7, 1, 5, 7},  {1, 10, 9, 33, 4, 3},
                                 {2, 6, 6, 3, 1, 1},   {1, 1, 1, 2, 1, 1},  {1, 9, 4, 5, 2, 3},  {2, 13, 11, 4, 5, 4},
                                 {3, 33, 17, 129, 7, 5}, {1, 64, 64, 3, 17, 33}};

void pool_case(const PoolShape& s, Layout layout, Pooling pooling, Rng& rng) {
  const Map in = random_map(rng, s.b, s.h, s.w, s.c, layout, pooling == Pooling::Max ? 3 : 0);  // ties
  const size_t n = static_cast<size_t>(s.b * s.oh * s.ow * s.c);
  std::vector<float> out = poisoned(n), cpu = poisoned(n);
  cu::pool_to(in.view(), s.oh, s.ow, pooling, out.data());
  fspd::pool_to(in.view(), s.oh, s.ow, pooling, cpu.data());
  check_both(out, ref_pool(to_double(in), s.oh, s.ow, pooling).v, cpu, "pooled");
  CHECK(std::memcmp(out.data(), cpu.data(), n * sizeof(float)) == 0);  // same operations, same order

  const Map grad_out = random_map(rng, s.b, s.oh, s.ow, s.c, layout);
  std::vector<float> gi = poisoned(in.v.size()), cgi = poisoned(in.v.size());
  cu::pool_backward(in.view(), s.oh, s.ow, pooling, grad_out.v.data(), gi.data());
  fspd::pool_backward(in.view(), s.oh, s.ow, pooling, grad_out.v.data(), cgi.data());
  check_both(gi, ref_pool_backward(to_double(in), s.oh, s.ow, pooling, to_double(grad_out)).v, cgi, "grad_in");
  CHECK(std::memcmp(gi.data(), cgi.data(), gi.size() * sizeof(float)) == 0);
}

void nan_case(Layout layout) {
  Map in(1, 4, 4, 2, layout, 1.0f);
  in.at(0, 0, 1, 1) = NAN;
  std::vector<float> out = poisoned(8), cpu = poisoned(8);
  for (Pooling p : {Pooling::Max, Pooling::Avg}) {
    cu::pool_to(in.view(), 2, 2, p, out.data());
    fspd::pool_to(in.view(), 2, 2, p, cpu.data());
    for (size_t i = 0; i < 8; ++i) CHECK(std::isnan(out[i]) == std::isnan(cpu[i]) && (std::isnan(out[i]) || out[i] == cpu[i]));
  }
  const Map y(1, 4, 4, 3, layout, 0.5f);
  std::vector<float> g = poisoned(6);
  cu::fsp_forward(in.view(), y.view(), g.data());
  CHECK(std::isnan(g[3]) && !std::isnan(g[0]));  // row 1 of G (channel 1 of the first map) is NaN
}

struct PairShape {
  int64_t h1, w1, c1, h2, w2, c2;
};
struct LossCase {
  std::vector<PairShape> student, teacher;
  int64_t batch;
  std::vector<float> weights;
  Reduction reduction;
  bool teacher_as_matrices;
};
const LossCase kLossCases[] = {
    {{{8, 8, 3, 8, 8, 17}}, {{8, 8, 3, 8, 8, 17}}, 3, {}, Reduction::Paper, false},
    {{{8, 8, 16, 4, 4, 32}}, {{6, 6, 16, 6, 6, 32}}, 2, {}, Reduction::Paper, false},
    {{{7, 9, 5, 4, 5, 3}}, {{4, 5, 5, 9, 7, 3}}, 2, {}, Reduction::Mean, false},
    {{{5, 8, 4, 8, 5, 6}}, {{1, 1, 4, 1, 1, 6}}, 1, {}, Reduction::Paper, false},
    {{{8, 8, 16, 8, 8, 16}, {8, 8, 16, 4, 4, 33}, {4, 4, 33, 2, 2, 1}},
     {{8, 8, 16, 8, 8, 16}, {8, 8, 16, 8, 8, 33}, {4, 4, 33, 4, 4, 1}}, 4, {0.5f, 2.0f, 1.25f}, Reduction::Mean, false},
    {{{8, 8, 16, 4, 4, 32}, {5, 7, 3, 5, 7, 129}}, {}, 3, {1.5f, -0.25f}, Reduction::Paper, true},
    {{{16, 16, 32, 16, 16, 64}}, {{16, 16, 32, 8, 8, 64}}, 9, {}, Reduction::Paper, false},
    {{{32, 32, 64, 32, 32, 64}}, {}, 2, {}, Reduction::Mean, true},
};

struct Pair {
  Map first, second;
};

void loss_case(const LossCase& lc, Layout layout, Pooling pooling, Rng& rng) {
  std::vector<Pair> student, teacher;
  std::vector<std::vector<float>> matrices;
  std::vector<const float*> mp;
  std::vector<cu::MatrixShape> shapes;
  std::vector<std::vector<double>> rm;
  for (size_t i = 0; i < lc.student.size(); ++i) {
    const PairShape& s = lc.student[i];
    student.push_back({random_map(rng, lc.batch, s.h1, s.w1, s.c1, layout), random_map(rng, lc.batch, s.h2, s.w2, s.c2, layout)});
    if (lc.teacher_as_matrices) {
      matrices.push_back(random_vector(rng, static_cast<size_t>(lc.batch * s.c1 * s.c2)));
      mp.push_back(matrices.back().data());
      shapes.push_back({lc.batch, s.c1, s.c2});
      rm.emplace_back(matrices.back().begin(), matrices.back().end());
    } else {
      const PairShape& t = lc.teacher[i];
      teacher.push_back({random_map(rng, lc.batch, t.h1, t.w1, t.c1, layout), random_map(rng, lc.batch, t.h2, t.w2, t.c2, layout)});
    }
  }
  std::vector<fspd::PairView> sv, tv;
  std::vector<RefPair> sr, tr;
  for (const Pair& p : student) sv.push_back({p.first.view(), p.second.view()}), sr.push_back({to_double(p.first), to_double(p.second)});
  for (const Pair& p : teacher) tv.push_back({p.first.view(), p.second.view()}), tr.push_back({to_double(p.first), to_double(p.second)});
  const fspd::LossOptions options{lc.weights, lc.reduction, pooling};
  const RefLoss ref = ref_loss(sr, tr, rm, std::vector<double>(lc.weights.begin(), lc.weights.end()), lc.reduction, pooling);

  struct Out {
    std::vector<std::vector<float>> gf, gs, t;
    fspd::LossOutputs p;
  };
  auto outputs = [&] {
    auto o = std::make_unique<Out>();
    for (const Pair& p : student) {
      o->gf.push_back(poisoned(p.first.v.size()));
      o->gs.push_back(poisoned(p.second.v.size()));
      o->t.push_back(poisoned(static_cast<size_t>(p.first.b * p.first.c * p.second.c)));
    }
    for (size_t i = 0; i < student.size(); ++i) {
      o->p.grad_first.push_back(o->gf[i].data());
      o->p.grad_second.push_back(o->gs[i].data());
      o->p.teacher_matrices.push_back(o->t[i].data());
    }
    return o;
  };
  auto gpu = outputs(), cpu = outputs();
  const fspd::LossResult got = cu::fsp_loss(sv, tv, mp, options, gpu->p);
  const fspd::LossResult want = fspd::fsp_loss(sv, tv, mp, options, cpu->p);
  check_close(got.loss, ref.loss, "loss vs float64");
  check_close(got.loss, want.loss, "loss vs CPU");
  CHECK(got.pair_losses.size() == student.size());
  for (size_t i = 0; i < student.size() && i < got.pair_losses.size(); ++i) {
    const std::string k = "[" + std::to_string(i) + "]";
    check_close(got.pair_losses[i], ref.pairs[i], "pair_losses" + k);
    check_both(gpu->gf[i], ref.grad_first[i].v, cpu->gf[i], "grad_first" + k);
    check_both(gpu->gs[i], ref.grad_second[i].v, cpu->gs[i], "grad_second" + k);
    check_both(gpu->t[i], ref.teacher[i], cpu->t[i], "teacher_matrices" + k);
  }
  // Loss alone, and grad_second alone (grad_first untouched).
  CHECK(std::abs(cu::fsp_loss(sv, tv, mp, options, {}).loss - got.loss) <= 1e-12 * std::abs(got.loss) + 1e-300);
  auto partial = outputs();
  partial->p.grad_first.assign(student.size(), nullptr);
  partial->p.teacher_matrices.clear();
  cu::fsp_loss(sv, tv, mp, options, partial->p);
  for (size_t i = 0; i < student.size(); ++i) {
    CHECK(partial->gs[i] == gpu->gs[i]);
    CHECK(std::isnan(partial->gf[i][0]));
  }
  // Device-resident teacher matrices: the same numbers as the host matrices, over several calls.
  if (lc.teacher_as_matrices) {
    const cu::TeacherHandle handle = cu::upload_teacher_matrices(mp, shapes);
    CHECK(cu::teacher_shapes(handle).size() == shapes.size());
    for (int call = 0; call < 3; ++call) {
      auto resident = outputs();
      const fspd::LossResult r = cu::fsp_loss(sv, handle, options, resident->p);
      CHECK(r.loss == got.loss);
      for (size_t i = 0; i < student.size(); ++i) {
        CHECK(resident->gf[i] == gpu->gf[i]);
        CHECK(resident->gs[i] == gpu->gs[i]);
        CHECK(resident->t[i] == matrices[i]);
      }
    }
    // A handle whose shapes do not match the student pairs.
    std::vector<cu::MatrixShape> wrong = shapes;
    wrong[0].c2 += 1;
    std::vector<float> bigger(static_cast<size_t>(wrong[0].size()));
    std::vector<const float*> wp = mp;
    wp[0] = bigger.data();
    expect_error(Kind::Range, "teacher[0]: uploaded matrices", [&] {
      cu::fsp_loss(sv, cu::upload_teacher_matrices(wp, wrong), options, {});
    });
  }
}

// Several threads at once (each call takes its own stream and buffers): identical results.
void concurrency_case() {
  Rng rng(11);
  const Map x = random_map(rng, 8, 16, 16, 32, Layout::NCHW), y = random_map(rng, 8, 16, 16, 48, Layout::NCHW);
  std::vector<float> want(8 * 32 * 48);
  cu::fsp_forward(x.view(), y.view(), want.data());
  std::vector<std::vector<float>> got(6, poisoned(want.size()));
  std::vector<int> bad(6, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      try {
        for (int r = 0; r < 10; ++r) {
          std::vector<float> g = poisoned(want.size());
          cu::fsp_forward(x.view(), y.view(), g.data());
          if (g != want) bad[t] = 1;
          got[t] = g;
        }
      } catch (...) {
        bad[t] = 2;
      }
    });
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 6; ++t) CHECK(bad[t] == 0);
}

void big_case() {
  Rng rng(3);
  for (Layout layout : {Layout::NHWC, Layout::NCHW}) {
    const Map x = random_map(rng, 256, 32, 32, 64, layout), y = random_map(rng, 256, 32, 32, 64, layout);
    const std::vector<float> teacher = random_vector(rng, 256 * 64 * 64);
    std::vector<float> dx = poisoned(x.v.size()), dy = poisoned(y.v.size()), cdx(x.v.size()), cdy(y.v.size());
    fspd::LossOutputs o, co;
    o.grad_first = {dx.data()};
    o.grad_second = {dy.data()};
    co.grad_first = {cdx.data()};
    co.grad_second = {cdy.data()};
    const double l = cu::fsp_loss({{x.view(), y.view()}}, {}, {teacher.data()}, {}, o).loss;
    const double cl = fspd::fsp_loss({{x.view(), y.view()}}, {}, {teacher.data()}, {}, co).loss;
    check_close(l, cl, std::string(name(layout)) + " loss vs CPU");
    check_close(dx, std::vector<double>(cdx.begin(), cdx.end()), "dX vs CPU");
    check_close(dy, std::vector<double>(cdy.begin(), cdy.end()), "dY vs CPU");
  }
}

}  // namespace
}  // namespace test

int main(int argc, char** argv) {
  using namespace test;
  bool big = false;
  unsigned long long seed = 2024;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--big") == 0) {
      big = true;
    } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: fsp_cuda_tests [--big] [--seed N]\n");
      return 2;
    }
  }
  run("cuda device status", status_case);
  run("cuda argument errors match the CPU, before device work", argument_errors_case);
  const cu::DeviceStatus& status = cu::device_status();
  if (status.count == 0) {
    run("cuda without a device: CudaError with the reason", no_device_case);
    std::printf("fsp_cuda host side: %d passed, %d failed\n", passed(), failed());
    if (failed() != 0) return 1;
    std::printf("SKIP: no CUDA device (%s)\n", status.reason.c_str());
    return 77;
  }
  std::printf("      random seed %llu\n", seed);
  Rng rng(seed);
  for (Layout layout : {Layout::NHWC, Layout::NCHW})
    for (const FspShape& s : kFspShapes) run("cuda fsp " + describe(s, layout), [&] { fsp_case(s, layout, rng); });
  for (Layout layout : {Layout::NHWC, Layout::NCHW})
    for (Pooling p : {Pooling::Max, Pooling::Avg})
      for (const PoolShape& s : kPoolShapes)
        run(std::string("cuda pool ") + name(layout) + " " + name(p) + " " + std::to_string(s.h) + "x" +
                std::to_string(s.w) + "->" + std::to_string(s.oh) + "x" + std::to_string(s.ow) + " C=" + std::to_string(s.c),
            [&] { pool_case(s, layout, p, rng); });
  for (Layout layout : {Layout::NHWC, Layout::NCHW}) run(std::string("cuda NaN ") + name(layout), [&] { nan_case(layout); });
  for (Layout layout : {Layout::NHWC, Layout::NCHW})
    for (Pooling p : {Pooling::Max, Pooling::Avg})
      for (size_t i = 0; i < std::size(kLossCases); ++i)
        run(std::string("cuda loss ") + std::to_string(i) + " " + name(layout) + " " + name(p),
            [&] { loss_case(kLossCases[i], layout, p, rng); });
  run("cuda concurrent callers", concurrency_case);
  if (big) run("cuda (256, 64, 64, 32x32) fused loss vs CPU", big_case);
  std::printf("fsp_cuda: %d passed, %d failed\n", passed(), failed());
  return failed() == 0 ? 0 : 1;
}
