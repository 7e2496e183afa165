#!/usr/bin/env bash
# The CUDA check for a machine with a GPU (CMake + nvcc, no Node needed). Run from anywhere:
#   bash native/scripts/gpu-check.sh            (OUT=/some/dir to also write $OUT/gpu-check.txt)
# 1. configures and builds Release with FSPD_CUDA=ON for sm_90 only (H100/H200; override with
#    FSPD_CUDA_ARCHS=...), in native/build-gpu-check;
# 2. runs the CPU tests and the CUDA tests: every CUDA kernel on fresh random inputs, outputs poisoned
#    with NaN, every element compared with the CPU kernels and the float64 reference, plus the
#    benchmark shape (256, 64, 64, 32x32) against the CPU (--big);
# 3. runs the CUDA bench: each kernel timed with CUDA events (median of >= 20 after warm-up), the copy
#    bandwidth and fp32 peak measured in the same run, ms / GB/s / TFLOP/s / fraction of the floor,
#    and end-to-end host->device->host time against the CPU path.
# Meant to finish well within 5 minutes on an H200 (the build is the longest part, ~1-2 min).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${FSPD_GPU_BUILD_DIR:-$root/native/build-gpu-check}"
archs="${FSPD_CUDA_ARCHS:-90}"
jobs="$(nproc 2>/dev/null || echo 4)"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT

log() { echo "$@" | tee -a "$report"; }
section() { log ""; log "== $* =="; }

section "fspd gpu-check $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
log "host: $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
log "git: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet 2>/dev/null || echo ' (with local changes)')"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi -L 2>&1 | tee -a "$report"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | tee -a "$report" || true
else
  log "nvidia-smi: not found"
fi
nvcc_bin="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
"$nvcc_bin" --version 2>&1 | tail -2 | tee -a "$report"
log "cmake: $(cmake --version | head -1)"

section "configure + build (Release, FSPD_CUDA=ON, CMAKE_CUDA_ARCHITECTURES=$archs)"
start=$SECONDS
cmake -S "$root/native" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFSPD_CUDA=ON -DFSPD_BUILD_TESTS=ON \
  -DCMAKE_CUDA_COMPILER="$nvcc_bin" -DCMAKE_CUDA_ARCHITECTURES="$archs" >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
grep 'fspd:' "$build.configure.log" | tee -a "$report"
cmake --build "$build" --parallel "$jobs" >"$build.build.log" 2>&1 || { tail -50 "$build.build.log"; exit 1; }
log "built in $((SECONDS - start)) s"

section "CPU tests (fsp_core_tests, best SIMD level)"
(cd "$build" && ./tests/fsp_core_tests >"$build.cpu-tests.log" 2>&1) || log "CPU tests FAILED; see $build.cpu-tests.log"
tail -1 "$build.cpu-tests.log" | tee -a "$report"

section "CUDA tests: every kernel vs CPU and float64, poisoned outputs, fresh random inputs"
set +e
seed="${FSPD_TEST_SEED:-$(date +%s)}"
log "random seed $seed (FSPD_TEST_SEED=$seed reproduces this run)"
(cd "$build" && ./tests/fsp_cuda_tests --big --seed "$seed") >"$build.cuda-tests.log" 2>&1
cuda_rc=$?
set -e
grep -E '^(FAIL|SKIP)|^ {8}|cuda:|device [0-9]|seed' "$build.cuda-tests.log" | tee -a "$report" || true
tail -1 "$build.cuda-tests.log" | tee -a "$report"
if [ "$cuda_rc" -eq 77 ]; then
  log "no usable CUDA device: nothing was checked on a GPU and nothing is measured (exit 77)"
elif [ "$cuda_rc" -ne 0 ]; then
  log "CUDA tests FAILED (exit $cuda_rc); full log: $build.cuda-tests.log"
fi

section "CUDA bench"
bench_rc=0
if [ "$cuda_rc" -eq 0 ]; then
  set +e
  (cd "$build" && timeout 180 ./bench/fsp_cuda_bench --runs 25) 2>&1 | tee -a "$report"
  bench_rc=${PIPESTATUS[0]}
  set -e
else
  log "skipped: the CUDA tests did not pass"
fi

section "done in $SECONDS s: tests exit $cuda_rc, bench exit $bench_rc"
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  cp "$report" "$OUT/gpu-check.txt"
  cp "$build.cuda-tests.log" "$OUT/cuda-tests.log" 2>/dev/null || true
  echo "report written to $OUT/gpu-check.txt"
fi
[ "$cuda_rc" -eq 77 ] && exit 77
[ "$cuda_rc" -eq 0 ] && [ "$bench_rc" -eq 0 ]
