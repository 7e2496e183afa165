// Every invalid argument throws ArgumentError naming the argument, before any output is written.
#include <cstdint>
#include <limits>

#include "harness.h"

namespace test {
namespace {

using Kind = fspd::ArgumentError::Kind;
constexpr float kSentinel = 12345.0f;

// Valid maps to break one field at a time.
struct Fixture {
  Map x = Map(2, 4, 4, 3, Layout::NHWC, 1.0f), y = Map(2, 4, 4, 5, Layout::NHWC, 1.0f);
  std::vector<float> out = std::vector<float>(2 * 3 * 5 * 4, kSentinel);  // room for any output below
  fspd::MapView mx() const { return x.view(); }
  fspd::MapView my() const { return y.view(); }
  bool untouched() const {
    for (float v : out)
      if (v != kSentinel) return false;
    return true;
  }
};

fspd::MapView with(fspd::MapView m, int64_t fspd::MapView::*field, int64_t value) {
  m.*field = value;
  return m;
}

void forward_errors() {
  Fixture f;
  auto forward = [&](fspd::MapView a, fspd::MapView b, float* out) { fspd::fsp_forward(a, b, out); };
  fspd::MapView null_data = f.mx();
  null_data.data = nullptr;
  expect_error(Kind::Type, "first: data is null", [&] { forward(null_data, f.my(), f.out.data()); });
  expect_error(Kind::Type, "second: data is null", [&] { forward(f.mx(), null_data, f.out.data()); });
  expect_error(Kind::Type, "out: null", [&] { forward(f.mx(), f.my(), nullptr); });
  expect_error(Kind::Range, "first.height: must be positive, got 0",
               [&] { forward(with(f.mx(), &fspd::MapView::height, 0), f.my(), f.out.data()); });
  expect_error(Kind::Range, "second.channels: must be positive, got -3",
               [&] { forward(f.mx(), with(f.my(), &fspd::MapView::channels, -3), f.out.data()); });
  expect_error(Kind::Range, "first.batch",
               [&] { forward(with(f.mx(), &fspd::MapView::batch, int64_t(1) << 40), f.my(), f.out.data()); });
  const int64_t big = std::numeric_limits<int32_t>::max();
  fspd::MapView huge = f.mx();
  huge.batch = huge.height = huge.width = big;
  expect_error(Kind::Range, "first: 2147483647x2147483647x2147483647x3 floats overflow int64",
               [&] { forward(huge, f.my(), f.out.data()); });
  expect_error(Kind::Range, "second: batch 1 does not match first batch 2",
               [&] { forward(f.mx(), with(f.my(), &fspd::MapView::batch, 1), f.out.data()); });
  expect_error(Kind::Range, "second: height x width 4x3 does not match first 4x4",
               [&] { forward(f.mx(), with(f.my(), &fspd::MapView::width, 3), f.out.data()); });
  fspd::MapView nchw = f.my();
  nchw.layout = Layout::NCHW;
  expect_error(Kind::Range, "second: layout NCHW does not match first layout NHWC",
               [&] { forward(f.mx(), nchw, f.out.data()); });
  fspd::MapView bad_layout = f.mx();
  bad_layout.layout = static_cast<Layout>(7);
  expect_error(Kind::Range, "first.layout: invalid value 7", [&] { forward(bad_layout, f.my(), f.out.data()); });
  CHECK(f.untouched());
}

void backward_errors() {
  Fixture f;
  expect_error(Kind::Type, "grad_matrices: null",
               [&] { fspd::fsp_backward(f.mx(), f.my(), nullptr, f.out.data(), nullptr); });
  expect_error(Kind::Range, "second: batch 3 does not match first batch 2", [&] {
    fspd::fsp_backward(f.mx(), with(f.my(), &fspd::MapView::batch, 3), f.out.data(), f.out.data(), nullptr);
  });
  CHECK(f.untouched());
}

void pool_errors() {
  Fixture f;
  expect_error(Kind::Range, "out_height: 5 exceeds input height 4",
               [&] { fspd::pool_to(f.mx(), 5, 2, Pooling::Max, f.out.data()); });
  expect_error(Kind::Range, "out_width: 9 exceeds input width 4",
               [&] { fspd::pool_to(f.mx(), 2, 9, Pooling::Max, f.out.data()); });
  expect_error(Kind::Range, "out_width: must be positive, got 0",
               [&] { fspd::pool_to(f.mx(), 2, 0, Pooling::Avg, f.out.data()); });
  expect_error(Kind::Range, "pooling: invalid value 4",
               [&] { fspd::pool_to(f.mx(), 2, 2, static_cast<Pooling>(4), f.out.data()); });
  expect_error(Kind::Type, "out: null", [&] { fspd::pool_to(f.mx(), 2, 2, Pooling::Max, nullptr); });
  fspd::MapView null_in = f.mx();
  null_in.data = nullptr;
  expect_error(Kind::Type, "in: data is null", [&] { fspd::pool_to(null_in, 2, 2, Pooling::Max, f.out.data()); });
  expect_error(Kind::Type, "grad_out: null",
               [&] { fspd::pool_backward(f.mx(), 2, 2, Pooling::Max, nullptr, f.out.data()); });
  expect_error(Kind::Type, "grad_in: null",
               [&] { fspd::pool_backward(f.mx(), 2, 2, Pooling::Max, f.y.v.data(), nullptr); });
  expect_error(Kind::Range, "out_height: 6 exceeds input height 4",
               [&] { fspd::pool_backward(f.mx(), 6, 2, Pooling::Avg, f.y.v.data(), f.out.data()); });
  CHECK(f.untouched());
}

// A valid two-pair loss call; each check breaks one thing. Pair 1 is broken where possible, so a
// check that ran after pair 0's work would be caught writing pair 0's gradient.
struct LossFixture {
  Map s0a = Map(4, 4, 4, 16, Layout::NHWC, 1.0f), s0b = Map(4, 4, 4, 32, Layout::NHWC, 1.0f);
  Map s1a = Map(4, 8, 8, 3, Layout::NHWC, 1.0f), s1b = Map(4, 4, 4, 5, Layout::NHWC, 1.0f);
  std::vector<fspd::PairView> student = {{s0a.view(), s0b.view()}, {s1a.view(), s1b.view()}};
  std::vector<fspd::PairView> teacher = student;
  std::vector<float> g0 = std::vector<float>(s0a.v.size(), kSentinel), g1 = std::vector<float>(s1a.v.size(), kSentinel);
  std::vector<float> m0 = std::vector<float>(4 * 16 * 32, 0.5f), m1 = std::vector<float>(4 * 3 * 5, 0.5f);
  std::vector<const float*> matrices = {m0.data(), m1.data()};
  fspd::LossOptions options;
  fspd::LossOutputs outputs;

  LossFixture() { outputs.grad_first = {g0.data(), g1.data()}; }
  void call(const std::vector<const float*>& teacher_matrices = {}) {
    fspd::fsp_loss(student, teacher_matrices.empty() ? teacher : std::vector<fspd::PairView>{}, teacher_matrices,
                   options, outputs);
  }
  bool untouched() const {
    for (const auto* g : {&g0, &g1})
      for (float v : *g)
        if (v != kSentinel) return false;
    return true;
  }
};

void loss_errors() {
  auto expect = [](Kind kind, const std::string& needle, const std::function<void(LossFixture&)>& breaks,
                   bool use_matrices = false) {
    LossFixture f;
    breaks(f);
    expect_error(kind, needle, [&] { use_matrices ? f.call(f.matrices) : f.call(); });
    CHECK(f.untouched());
  };
  // The fixture itself is valid.
  {
    LossFixture f;
    f.call();
    f.call(f.matrices);
  }
  expect(Kind::Range, "student: no pairs", [](LossFixture& f) { f.student.clear(); });
  expect(Kind::Type, "teacher: give teacher pairs or teacher_matrices", [](LossFixture& f) { f.teacher.clear(); });
  {
    LossFixture f;
    expect_error(Kind::Type, "not both",
                 [&] { fspd::fsp_loss(f.student, f.teacher, f.matrices, f.options, f.outputs); });
  }
  expect(Kind::Range, "teacher: 1 pairs for 2 student pairs", [](LossFixture& f) { f.teacher.pop_back(); });
  expect(Kind::Range, "teacher_matrices: 1 entries for 2 student pairs", [](LossFixture& f) { f.matrices.pop_back(); },
         true);
  expect(Kind::Type, "teacher_matrices[1]: null", [](LossFixture& f) { f.matrices[1] = nullptr; }, true);
  expect(Kind::Range, "weights: 1 entries for 2 student pairs", [](LossFixture& f) { f.options.weights = {1.0f}; });
  expect(Kind::Range, "weights[1]: must be finite, got nan",
         [](LossFixture& f) { f.options.weights = {1.0f, std::numeric_limits<float>::quiet_NaN()}; });
  expect(Kind::Range, "weights[0]: must be finite, got inf",
         [](LossFixture& f) { f.options.weights = {std::numeric_limits<float>::infinity(), 1.0f}; });
  expect(Kind::Range, "student[1].second: batch 8 does not match student[1].first batch 4",
         [](LossFixture& f) { f.student[1].second.batch = 8; });
  expect(Kind::Range, "student[1].first: batch 2 does not match student[0].first batch 4", [](LossFixture& f) {
    f.student[1].first.batch = 2;
    f.student[1].second.batch = 2;
  });
  expect(Kind::Range, "student[1].second: layout NCHW does not match student[1].first layout NHWC",
         [](LossFixture& f) { f.student[1].second.layout = Layout::NCHW; });
  expect(Kind::Type, "student[1].first: data is null", [](LossFixture& f) { f.student[1].first.data = nullptr; });
  expect(Kind::Type, "teacher[1].second: data is null", [](LossFixture& f) { f.teacher[1].second.data = nullptr; });
  expect(Kind::Range, "teacher[1].first.width: must be positive, got 0",
         [](LossFixture& f) { f.teacher[1].first.width = 0; });
  expect(Kind::Range, "teacher[1].first: batch 3 does not match student[1].first batch 4", [](LossFixture& f) {
    f.teacher[1].first.batch = 3;
    f.teacher[1].second.batch = 3;
  });
  expect(Kind::Range, "student[1]: FSP matrix 3x5 does not match teacher[1] 3x4",
         [](LossFixture& f) { f.teacher[1].second.channels = 4; });
  expect(Kind::Range, "outputs.grad_first: 1 entries for 2 student pairs",
         [](LossFixture& f) { f.outputs.grad_first.pop_back(); });
  expect(Kind::Range, "outputs.grad_second: 3 entries for 2 student pairs",
         [](LossFixture& f) { f.outputs.grad_second = {nullptr, nullptr, nullptr}; });
  expect(Kind::Range, "outputs.teacher_matrices: 1 entries for 2 student pairs",
         [](LossFixture& f) { f.outputs.teacher_matrices = {nullptr}; });
  expect(Kind::Range, "options.reduction: invalid value 9",
         [](LossFixture& f) { f.options.reduction = static_cast<Reduction>(9); });
  expect(Kind::Range, "options.pooling: invalid value -1",
         [](LossFixture& f) { f.options.pooling = static_cast<Pooling>(-1); });
}

void peak_errors() {
  expect_error(Kind::Range, "seconds: must be in (0, 60]", [] { fspd::measure_fma_peak_gflops(1, -1.0); });
  expect_error(Kind::Range, "seconds",
               [] { fspd::measure_fma_peak_gflops(1, std::numeric_limits<double>::quiet_NaN()); });
  expect_error(Kind::Range, "seconds: must be in (0, 60]", [] { fspd::measure_memory_bandwidth_gbps(1, 0.0); });
  expect_error(Kind::Range, "seconds", [] { fspd::measure_memory_bandwidth_gbps(1, 61.0); });
}

}  // namespace

void test_errors() {
  run("errors: fsp_forward", forward_errors);
  run("errors: fsp_backward", backward_errors);
  run("errors: pool_to, pool_backward", pool_errors);
  run("errors: fsp_loss", loss_errors);
  run("errors: measure_fma_peak_gflops, measure_memory_bandwidth_gbps", peak_errors);
}

}  // namespace test
