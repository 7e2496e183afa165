// fspd native core: batched FSP matrices, their gradients, spatial alignment and the fused FSP loss.
// Plain C++17, no Node headers. Every function checks its arguments before doing any work and throws
// fspd::ArgumentError (naming the argument and the expected shape) instead of reading out of bounds.
// NaN and Inf in the inputs propagate to the outputs; they are never an error.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace fspd {

enum class Layout { NHWC, NCHW };   // NHWC: tfjs; NCHW: PyTorch
enum class Pooling { Max, Avg };    // Max is the paper's choice
enum class Reduction { Paper, Mean };
// Paper: per pair ‖G_T − G_S‖² summed over the matrix entries, averaged over samples.
// Mean:  the same squared differences averaged over entries and samples.

// Bad arguments. `kind` tells the binding which JS error to throw (TypeError vs RangeError).
class ArgumentError : public std::invalid_argument {
 public:
  enum class Kind { Type, Range };
  ArgumentError(Kind kind, const std::string& message) : std::invalid_argument(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// A batch of feature maps: `batch` samples of height × width × channels floats in `layout`.
// `data` holds exactly batch·height·width·channels floats; the core never writes through it.
struct MapView {
  const float* data = nullptr;
  int64_t batch = 0, height = 0, width = 0, channels = 0;
  Layout layout = Layout::NHWC;

  int64_t spatial() const { return height * width; }
  int64_t size() const { return batch * height * width * channels; }
};

// A writable map with the same geometry (gradients, pooled maps).
struct MutableMapView {
  float* data = nullptr;
  int64_t batch = 0, height = 0, width = 0, channels = 0;
  Layout layout = Layout::NHWC;

  MapView view() const { return MapView{data, batch, height, width, channels, layout}; }
  int64_t size() const { return batch * height * width * channels; }
};

// How the kernels may run. threads <= 0: all hardware threads.
struct Context {
  int threads = 0;
};

// ---- FSP matrices -------------------------------------------------------------------------------
// G[b] = F1[b]ᵀ·F2[b] / (h·w): out holds batch × first.channels × second.channels floats (row-major).
// Both maps must have the same batch, height, width and layout.
void fsp_forward(const MapView& first, const MapView& second, float* out, const Context& ctx = {});

// Gradients of a scalar through G for both maps, from dL/dG (batch × C1 × C2):
//   dF1 = F2·dGᵀ/(h·w),  dF2 = F1·dG/(h·w).
// grad_first / grad_second have the geometry of first / second and are overwritten; either may be null.
void fsp_backward(const MapView& first, const MapView& second, const float* grad_matrices,
                  float* grad_first, float* grad_second, const Context& ctx = {});

// ---- Spatial alignment --------------------------------------------------------------------------
// Adaptive pooling of `in` to out_height × out_width (each <= the input's), windows as PyTorch's
// adaptive pooling: rows [floor(i·H/oh), ceil((i+1)·H/oh)). Output keeps batch, channels and layout.
// Max pooling propagates NaN (a window holding NaN yields NaN).
void pool_to(const MapView& in, int64_t out_height, int64_t out_width, Pooling pooling, float* out,
             const Context& ctx = {});

// Backward of pool_to: grad_in (geometry of `in`) is overwritten with the gradient routed from
// grad_out (out_height × out_width). Max routes each window's gradient to one element: the first
// maximum in row-major window order (the first NaN if the window holds one). Avg spreads it evenly.
void pool_backward(const MapView& in, int64_t out_height, int64_t out_width, Pooling pooling,
                   const float* grad_out, float* grad_in, const Context& ctx = {});

// ---- Fused FSP loss -----------------------------------------------------------------------------
// One pair of maps whose FSP matrix is taken. When the two maps differ in height or width, both are
// pooled (LossOptions::pooling) to (min of the heights) × (min of the widths) before the product.
struct PairView {
  MapView first, second;
};

struct LossOptions {
  std::vector<float> weights;             // λ per pair; empty means all 1. Must be finite.
  Reduction reduction = Reduction::Paper;
  Pooling pooling = Pooling::Max;
};

// Where the fused loss writes. Every pointer may be null to skip that output; vectors are either
// empty (skip all) or hold one entry per pair.
struct LossOutputs {
  std::vector<float*> grad_first, grad_second;  // dL/d(student maps), geometry of each student map
  std::vector<float*> teacher_matrices;         // the teacher's G (batch × C1 × C2), for caching
};

struct LossResult {
  double loss = 0;                   // Σ_i pair_losses[i]
  std::vector<double> pair_losses;   // λ_i · (reduced squared distance of pair i)
};

// Student pairs against teacher pairs (teacher_pairs non-empty) or against the teacher's FSP matrices
// (teacher_matrices: one pointer per pair to batch × C1 × C2 floats; teacher_pairs empty).
// Pair i of the student and of the teacher must give matrices of the same shape.
// At least one student pair; all pairs (student and teacher) hold the same batch of samples.
LossResult fsp_loss(const std::vector<PairView>& student, const std::vector<PairView>& teacher_pairs,
                    const std::vector<const float*>& teacher_matrices, const LossOptions& options,
                    const LossOutputs& outputs, const Context& ctx = {});

// ---- Half precision ----------------------------------------------------------------------------
// float32 → IEEE binary16 / bfloat16 bit patterns (for tensors sent as float16 or bfloat16): the nearest
// representable value, ties to even (as PyTorch's .half() and .bfloat16()); float16 overflow → ±Inf;
// subnormal results kept (no flush to zero); a NaN stays NaN with its sign, as the canonical quiet NaN
// (float16 0x7e00, bfloat16 its own top half with the quiet bit set). n elements, any alignment.
void to_float16(const float* src, uint16_t* dst, int64_t n);
void to_bfloat16(const float* src, uint16_t* dst, int64_t n);

// ---- Build and machine facts --------------------------------------------------------------------
struct BuildInfo {
  std::string version;   // fspd core version
  std::string compiler;  // e.g. "GCC 12.2.0"
  std::string simd;      // best kernel level this CPU runs: "avx512", "avx2", "portable"
                         // (the level in use: FSPD_SIMD=avx512|avx2|portable can lower it, for testing)
  int threads;           // default thread count (hardware threads)
  bool cuda_compiled;
};
BuildInfo build_info();

// Measures this machine's float32 FMA throughput (GFLOP/s) with the widest SIMD level the kernels use,
// on `threads` threads (<= 0: all), for about `seconds`. Used to report kernels as a fraction of peak.
double measure_fma_peak_gflops(int threads = 0, double seconds = 0.2);

// Measures this machine's memory bandwidth (GB/s) on `threads` threads for about `seconds`: the best
// pass of a STREAM triad (a = b + s·c) over 3 × 64 MiB, counting 12 bytes per element as STREAM does.
// With the FMA peak it makes the roofline: a kernel's floor is max(flops / peak, bytes / bandwidth).
double measure_memory_bandwidth_gbps(int threads = 0, double seconds = 0.3);

}  // namespace fspd
