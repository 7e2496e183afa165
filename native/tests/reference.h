// The float64 reference: the definitions of docs/PAPER.md written as plainly as possible, by logical index
// (sample, row, column, channel), sharing no code with the kernels.
#pragma once

#include <vector>

#include "harness.h"

namespace test {

// G[n][i][j] = Σ_{y,x} X[n,y,x,i]·Y[n,y,x,j] / (h·w), as batch × C1 × C2.
std::vector<double> ref_fsp(const RefMap& x, const RefMap& y);

// dX[n,y,x,i] = Σ_j Y[n,y,x,j]·dG[n][i][j] / (h·w) and dY[n,y,x,j] = Σ_i X[n,y,x,i]·dG[n][i][j] / (h·w).
void ref_fsp_backward(const RefMap& x, const RefMap& y, const std::vector<double>& dg, RefMap& dx, RefMap& dy);

// Adaptive pooling with windows [floor(i·H/oh), ceil((i+1)·H/oh)); max takes the first NaN, else the max.
RefMap ref_pool(const RefMap& in, int64_t oh, int64_t ow, Pooling pooling);
// Its gradient: max to the first maximum (or first NaN) of each window in row-major order, avg evenly.
RefMap ref_pool_backward(const RefMap& in, int64_t oh, int64_t ow, Pooling pooling, const RefMap& grad_out);

struct RefPair {
  RefMap first, second;
};

struct RefLoss {
  double loss = 0;
  std::vector<double> pairs;
  std::vector<RefMap> grad_first, grad_second;
  std::vector<std::vector<double>> teacher;  // G_T per pair
};

// The FSP loss of docs/PAPER.md with its gradients. Maps of a pair differing in h×w are pooled to
// (min h)×(min w). teacher pairs, or (when empty) teacher matrices.
RefLoss ref_loss(const std::vector<RefPair>& student, const std::vector<RefPair>& teacher,
                 const std::vector<std::vector<double>>& teacher_matrices, const std::vector<double>& weights,
                 Reduction reduction, Pooling pooling);

}  // namespace test
