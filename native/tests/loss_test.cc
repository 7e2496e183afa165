// fsp_loss against the float64 reference: pooling of mismatched maps, teacher pairs and teacher
// matrices, weights, both reductions, partial outputs, finite differences, threads, NaN.
#include <cmath>
#include <limits>

#include "harness.h"
#include "reference.h"

namespace test {
namespace {

struct PairShape {
  int64_t h1, w1, c1, h2, w2, c2;
};

struct Pair {
  Map first, second;
};

Pair random_pair(Rng& rng, int64_t batch, const PairShape& s, Layout layout) {
  return {random_map(rng, batch, s.h1, s.w1, s.c1, layout), random_map(rng, batch, s.h2, s.w2, s.c2, layout)};
}

std::vector<fspd::PairView> views(const std::vector<Pair>& pairs) {
  std::vector<fspd::PairView> v;
  for (const Pair& p : pairs) v.push_back({p.first.view(), p.second.view()});
  return v;
}

std::vector<RefPair> refs(const std::vector<Pair>& pairs) {
  std::vector<RefPair> v;
  for (const Pair& p : pairs) v.push_back({to_double(p.first), to_double(p.second)});
  return v;
}

// What a loss call writes besides the result, poisoned before the call.
struct Outputs {
  std::vector<std::vector<float>> grad_first, grad_second, teacher;
  fspd::LossOutputs pointers;

  Outputs(const std::vector<Pair>& student, bool gradients, bool teacher_matrices) {
    for (const Pair& p : student) {
      if (gradients) {
        grad_first.push_back(poisoned(p.first.v.size()));
        grad_second.push_back(poisoned(p.second.v.size()));
        pointers.grad_first.push_back(grad_first.back().data());
        pointers.grad_second.push_back(grad_second.back().data());
      }
      if (teacher_matrices) {
        teacher.push_back(poisoned(static_cast<size_t>(p.first.b * p.first.c * p.second.c)));
        pointers.teacher_matrices.push_back(teacher.back().data());
      }
    }
  }
};

struct LossCase {
  std::vector<PairShape> student, teacher;  // teacher shapes: spatial sizes may differ from the student's
  int64_t batch;
  std::vector<float> weights;
  Reduction reduction;
  bool teacher_as_matrices;
};

// Runs one loss case in `layout` with `pooling` and compares everything with the reference.
void loss_case(const LossCase& lc, Layout layout, Pooling pooling, Rng& rng) {
  std::vector<Pair> student, teacher;
  std::vector<std::vector<float>> matrices;
  std::vector<const float*> matrix_pointers;
  std::vector<std::vector<double>> ref_matrices;
  for (size_t i = 0; i < lc.student.size(); ++i) {
    student.push_back(random_pair(rng, lc.batch, lc.student[i], layout));
    if (lc.teacher_as_matrices) {
      matrices.push_back(random_vector(rng, static_cast<size_t>(lc.batch * lc.student[i].c1 * lc.student[i].c2)));
      matrix_pointers.push_back(matrices.back().data());
      ref_matrices.emplace_back(matrices.back().begin(), matrices.back().end());
    } else {
      teacher.push_back(random_pair(rng, lc.batch, lc.teacher[i], layout));
    }
  }
  fspd::LossOptions options{lc.weights, lc.reduction, pooling};
  Outputs out(student, true, true);
  const fspd::LossResult got = fspd::fsp_loss(views(student), views(teacher), matrix_pointers, options, out.pointers);
  const RefLoss ref = ref_loss(refs(student), refs(teacher), ref_matrices,
                               std::vector<double>(lc.weights.begin(), lc.weights.end()), lc.reduction, pooling);
  check_close(got.loss, ref.loss, "loss");
  CHECK(got.pair_losses.size() == student.size());
  double sum = 0;
  for (size_t i = 0; i < student.size() && i < got.pair_losses.size(); ++i) {
    check_close(got.pair_losses[i], ref.pairs[i], "pair_losses[" + std::to_string(i) + "]");
    check_close(out.grad_first[i], ref.grad_first[i].v, "grad_first[" + std::to_string(i) + "]");
    check_close(out.grad_second[i], ref.grad_second[i].v, "grad_second[" + std::to_string(i) + "]");
    check_close(out.teacher[i], ref.teacher[i], "teacher_matrices[" + std::to_string(i) + "]");
    sum += got.pair_losses[i];
  }
  CHECK(got.loss == sum);

  // Loss only (no outputs at all), and one gradient alone: same loss, the other output untouched.
  const fspd::LossResult bare = fspd::fsp_loss(views(student), views(teacher), matrix_pointers, options, {});
  CHECK(bare.loss == got.loss);
  Outputs partial(student, true, false);
  for (float*& p : partial.pointers.grad_first) p = nullptr;
  fspd::fsp_loss(views(student), views(teacher), matrix_pointers, options, partial.pointers);
  for (size_t i = 0; i < student.size(); ++i) {
    CHECK(partial.grad_second[i] == out.grad_second[i]);
    CHECK(std::isnan(partial.grad_first[i][0]));
  }
}

const LossCase kLossCases[] = {
    // One pair, same spatial size everywhere.
    {{{8, 8, 3, 8, 8, 17}}, {{8, 8, 3, 8, 8, 17}}, 3, {}, Reduction::Paper, false},
    // Student maps of different sizes, teacher at yet another size; non-divisible windows (7x9 -> 4x5).
    {{{8, 8, 16, 4, 4, 32}}, {{6, 6, 16, 6, 6, 32}}, 2, {}, Reduction::Paper, false},
    {{{7, 9, 5, 4, 5, 3}}, {{4, 5, 5, 9, 7, 3}}, 2, {}, Reduction::Mean, false},
    // Both maps pooled (5x8 and 8x5 -> 5x5), h·w = 1 in the teacher.
    {{{5, 8, 4, 8, 5, 6}}, {{1, 1, 4, 1, 1, 6}}, 1, {}, Reduction::Paper, false},
    // Three pairs with weights, teacher pairs, both reductions.
    {{{8, 8, 16, 8, 8, 16}, {8, 8, 16, 4, 4, 33}, {4, 4, 33, 2, 2, 1}},
     {{8, 8, 16, 8, 8, 16}, {8, 8, 16, 8, 8, 33}, {4, 4, 33, 4, 4, 1}},
     4, {0.5f, 2.0f, 1.25f}, Reduction::Paper, false},
    {{{8, 8, 16, 8, 8, 16}, {8, 8, 16, 4, 4, 33}, {4, 4, 33, 2, 2, 1}},
     {{8, 8, 16, 8, 8, 16}, {8, 8, 16, 8, 8, 33}, {4, 4, 33, 4, 4, 1}},
     4, {0.5f, 2.0f, 1.25f}, Reduction::Mean, false},
    // Teacher given as matrices.
    {{{8, 8, 16, 4, 4, 32}, {5, 7, 3, 5, 7, 129}}, {}, 3, {1.5f, -0.25f}, Reduction::Paper, true},
    {{{8, 8, 16, 4, 4, 32}, {5, 7, 3, 5, 7, 129}}, {}, 3, {}, Reduction::Mean, true},
    // A batch large enough to spread samples over threads, and one sample split inside its GEMMs.
    {{{16, 16, 32, 16, 16, 64}}, {{16, 16, 32, 8, 8, 64}}, 9, {}, Reduction::Paper, false},
    {{{32, 32, 64, 32, 32, 64}}, {{32, 32, 64, 32, 32, 64}}, 1, {}, Reduction::Paper, false},
};

// Gradients of the fast kernel against central differences of the float64 reference loss.
void finite_differences(Layout layout, Pooling pooling, bool teacher_as_matrices) {
  Rng rng(5);
  const std::vector<Pair> student = {random_pair(rng, 2, {4, 6, 3, 2, 3, 2}, layout),
                                     random_pair(rng, 2, {3, 3, 2, 3, 3, 4}, layout)};
  std::vector<Pair> teacher;
  std::vector<std::vector<float>> matrices;
  std::vector<const float*> matrix_pointers;
  std::vector<std::vector<double>> ref_matrices;
  for (const Pair& p : student) {
    if (teacher_as_matrices) {
      matrices.push_back(random_vector(rng, static_cast<size_t>(2 * p.first.c * p.second.c)));
      matrix_pointers.push_back(matrices.back().data());
      ref_matrices.emplace_back(matrices.back().begin(), matrices.back().end());
    } else {
      teacher.push_back(random_pair(rng, 2, {5, 5, p.first.c, 3, 4, p.second.c}, layout));
    }
  }
  const std::vector<float> weights = {0.75f, 1.5f};
  const fspd::LossOptions options{weights, Reduction::Paper, pooling};
  Outputs out(student, true, false);
  fspd::fsp_loss(views(student), views(teacher), matrix_pointers, options, out.pointers);

  std::vector<RefPair> s = refs(student);
  const std::vector<RefPair> t = refs(teacher);
  const std::vector<double> w(weights.begin(), weights.end());
  auto loss = [&] { return ref_loss(s, t, ref_matrices, w, Reduction::Paper, pooling).loss; };
  const double eps = 1e-6;
  auto numeric = [&](RefMap& m) {
    std::vector<double> g(m.v.size());
    for (size_t e = 0; e < m.v.size(); ++e) {
      const double keep = m.v[e];
      m.v[e] = keep + eps;
      const double up = loss();
      m.v[e] = keep - eps;
      g[e] = (up - loss()) / (2 * eps);
      m.v[e] = keep;
    }
    return g;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    check_close(out.grad_first[i], numeric(s[i].first), "grad_first[" + std::to_string(i) + "] vs differences");
    check_close(out.grad_second[i], numeric(s[i].second), "grad_second[" + std::to_string(i) + "] vs differences");
  }
}

void loss_threads_identical() {
  Rng rng(3);
  for (int64_t batch : {1, 3, 8}) {
    const std::vector<Pair> student = {random_pair(rng, batch, {16, 16, 32, 8, 8, 64}, Layout::NHWC)};
    const std::vector<Pair> teacher = {random_pair(rng, batch, {16, 16, 32, 16, 16, 64}, Layout::NHWC)};
    auto compute = [&](int threads) {
      Outputs out(student, true, true);
      const fspd::LossResult r =
          fspd::fsp_loss(views(student), views(teacher), {}, {}, out.pointers, fspd::Context{threads});
      std::vector<float> all = out.grad_first[0];
      all.insert(all.end(), out.grad_second[0].begin(), out.grad_second[0].end());
      all.insert(all.end(), out.teacher[0].begin(), out.teacher[0].end());
      return std::make_pair(r.loss, all);
    };
    const auto one = compute(1);
    for (int threads : {2, 3, 0}) CHECK(compute(threads) == one);
  }
}

void loss_nan() {
  Rng rng(9);
  std::vector<Pair> student = {random_pair(rng, 2, {4, 4, 3, 4, 4, 5}, Layout::NCHW)};
  const std::vector<Pair> teacher = {random_pair(rng, 2, {4, 4, 3, 4, 4, 5}, Layout::NCHW)};
  student[0].first.at(1, 0, 0, 0) = std::numeric_limits<float>::quiet_NaN();
  Outputs out(student, true, false);
  const fspd::LossResult r = fspd::fsp_loss(views(student), views(teacher), {}, {}, out.pointers);
  CHECK(std::isnan(r.loss) && std::isnan(r.pair_losses[0]));
  CHECK(std::isnan(out.grad_second[0][student[0].second.index(1, 0, 0, 0)]));
  CHECK(!std::isnan(out.grad_second[0][student[0].second.index(0, 0, 0, 0)]));  // sample 0 is clean
}

}  // namespace

void test_loss() {
  Rng rng(2);
  int n = 0;
  for (const LossCase& lc : kLossCases) {
    ++n;
    for (Layout layout : {Layout::NHWC, Layout::NCHW})
      for (Pooling pooling : {Pooling::Max, Pooling::Avg})
        run("fsp_loss case " + std::to_string(n) + " " + name(layout) + " " + name(pooling),
            [&] { loss_case(lc, layout, pooling, rng); });
  }
  for (Layout layout : {Layout::NHWC, Layout::NCHW})
    for (Pooling pooling : {Pooling::Max, Pooling::Avg})
      for (bool matrices : {false, true})
        run(std::string("fsp_loss gradients vs finite differences ") + name(layout) + " " + name(pooling) +
                (matrices ? " teacher matrices" : " teacher pairs"),
            [&] { finite_differences(layout, pooling, matrices); });
  run("fsp_loss threads 1/2/3/all identical", loss_threads_identical);
  run("fsp_loss NaN propagates", loss_nan);
}

}  // namespace test
