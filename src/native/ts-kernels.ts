// Pure-TypeScript kernels: the fallback when the addon cannot load (no compiler, FSPD_NATIVE=0).
// Same semantics as native/core/include/fspd/fsp.h. Inputs are trusted (validated in src/native/validate.ts).
// Sums run in float64 (JS numbers); outputs are rounded to float32 once, at the end.
import type { FeatureMap, FeaturePair, KernelBackend, LossOptions, LossResult, MapDims, PairGradients, Pooling, Teacher } from './types.js';
import { dimsOf, shapeOf } from './types.js';
import { alignPairWith, unalignGradientsWith } from './align.js';

// ---- FSP matrices -------------------------------------------------------------------------------
// Both passes are products of matrices that are contiguous along the summed index, so each sample's maps
// are first packed into float64 scratch (planes [C][h·w] or rows [h·w][C], whichever the product needs)
// and every output entry is one dot product. A 2×2 register block shares each load between two products;
// every entry still sums in index order, so results do not depend on layout or blocking.

/** C[i·n + j] = Σ_t A[i·k + t]·B[j·k + t] for i < m, j < n. */
function dotProducts(A: Float64Array, B: Float64Array, m: number, n: number, k: number, C: Float64Array): void {
  const dot = (a: number, b: number) => {
    let sum = 0;
    for (let t = 0; t < k; t++) sum += A[a + t]! * B[b + t]!;
    return sum;
  };
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0 = i * k;
    const a1 = a0 + k;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const b0 = j * k;
      const b1 = b0 + k;
      let c00 = 0;
      let c01 = 0;
      let c10 = 0;
      let c11 = 0;
      for (let t = 0; t < k; t++) {
        const x0 = A[a0 + t]!;
        const x1 = A[a1 + t]!;
        const y0 = B[b0 + t]!;
        const y1 = B[b1 + t]!;
        c00 += x0 * y0;
        c01 += x0 * y1;
        c10 += x1 * y0;
        c11 += x1 * y1;
      }
      C[i * n + j] = c00;
      C[i * n + j + 1] = c01;
      C[(i + 1) * n + j] = c10;
      C[(i + 1) * n + j + 1] = c11;
    }
    if (j < n) {
      C[i * n + j] = dot(a0, j * k);
      C[(i + 1) * n + j] = dot(a1, j * k);
    }
  }
  if (i < m) for (let j = 0; j < n; j++) C[i * n + j] = dot(i * k, j * k);
}

/**
 * Copies sample b of a map into out as planes (out[c·hw + s]) or, with rows = true, as rows (out[s·C + c]).
 * NCHW data already is planes and NHWC already is rows: then it is a straight copy.
 */
function pack(map: FeatureMap, b: number, hw: number, channels: number, rows: boolean, out: Float64Array): void {
  const src = map.data;
  const base = b * hw * channels;
  if ((map.layout === 'NHWC') === rows) {
    for (let k = 0; k < hw * channels; k++) out[k] = src[base + k]!;
    return;
  }
  // Transpose: [n1][n2] → [n2][n1] where the source is n1 × n2.
  const [n1, n2] = rows ? [channels, hw] : [hw, channels];
  for (let p = 0; p < n1; p++) for (let q = 0; q < n2; q++) out[q * n1 + p] = src[base + p * n2 + q]!;
}

/** Writes rows (rows[s·C + c]) divided by hw into sample b of a map in the given layout. */
function unpackRows(rows: Float64Array, b: number, hw: number, channels: number, layout: FeatureMap['layout'], out: Float32Array): void {
  const base = b * hw * channels;
  if (layout === 'NHWC') {
    for (let k = 0; k < hw * channels; k++) out[base + k] = rows[k]! / hw;
    return;
  }
  for (let s = 0; s < hw; s++) for (let c = 0; c < channels; c++) out[base + c * hw + s] = rows[s * channels + c]! / hw;
}

/** G[b] = F1[b]ᵀ·F2[b] / (h·w), [B, C1, C2]: entry (i, j) is the dot product of planes i and j. */
function fspForward(first: FeatureMap, second: FeatureMap, into?: Float32Array): Float32Array {
  const { batch, height, width, channels: c1 } = dimsOf(first);
  const c2 = dimsOf(second).channels;
  const hw = height * width;
  const xp = new Float64Array(c1 * hw);
  const yp = new Float64Array(c2 * hw);
  const acc = new Float64Array(c1 * c2);
  const out = into ?? new Float32Array(batch * c1 * c2);
  for (let b = 0; b < batch; b++) {
    pack(first, b, hw, c1, false, xp);
    pack(second, b, hw, c2, false, yp);
    dotProducts(xp, yp, c1, c2, hw, acc);
    for (let k = 0; k < c1 * c2; k++) out[b * c1 * c2 + k] = acc[k]! / hw;
  }
  return out;
}

/** dF1 = F2·dGᵀ/(h·w), dF2 = F1·dG/(h·w): row s of each is dot products of row s of the other map with dG. */
function fspBackward(first: FeatureMap, second: FeatureMap, gradMatrices: Float32Array): PairGradients {
  const { batch, height, width, channels: c1 } = dimsOf(first);
  const c2 = dimsOf(second).channels;
  const hw = height * width;
  const xr = new Float64Array(hw * c1);
  const yr = new Float64Array(hw * c2);
  const g = new Float64Array(c1 * c2); // dG[b] rows i (length c2)
  const gt = new Float64Array(c2 * c1); // dG[b]ᵀ rows j (length c1)
  const dxr = new Float64Array(hw * c1);
  const dyr = new Float64Array(hw * c2);
  const dx = new Float32Array(first.data.length);
  const dy = new Float32Array(second.data.length);
  for (let b = 0; b < batch; b++) {
    pack(first, b, hw, c1, true, xr);
    pack(second, b, hw, c2, true, yr);
    for (let i = 0; i < c1; i++) {
      for (let j = 0; j < c2; j++) {
        const v = gradMatrices[b * c1 * c2 + i * c2 + j]!;
        g[i * c2 + j] = v;
        gt[j * c1 + i] = v;
      }
    }
    dotProducts(yr, g, hw, c1, c2, dxr); // dx[s,i] = Σ_j y[s,j]·dG[i,j]
    dotProducts(xr, gt, hw, c2, c1, dyr); // dy[s,j] = Σ_i x[s,i]·dG[i,j]
    unpackRows(dxr, b, hw, c1, first.layout, dx);
    unpackRows(dyr, b, hw, c2, second.layout, dy);
  }
  return { first: dx, second: dy };
}

// ---- Adaptive pooling ---------------------------------------------------------------------------

// PyTorch's adaptive windows: [floor(i·n/out), ceil((i+1)·n/out)), in integer arithmetic.
const windowStart = (i: number, n: number, out: number) => Math.floor((i * n) / out);
const windowEnd = (i: number, n: number, out: number) => Math.floor(((i + 1) * n + out - 1) / out);

interface Strides {
  b: number;
  y: number;
  x: number;
  c: number;
}

function stridesOf(d: MapDims, layout: FeatureMap['layout']): Strides {
  return layout === 'NHWC'
    ? { b: d.height * d.width * d.channels, y: d.width * d.channels, x: d.channels, c: 1 }
    : { b: d.channels * d.height * d.width, c: d.height * d.width, y: d.width, x: 1 };
}

/**
 * Calls visit(o, base, y0, y1, x0, x1) for every batch entry and output position (oy, ox): o is the output
 * offset of channel 0, base the input offset of (b, 0, 0, 0), rows [y0, y1) and columns [x0, x1) the window.
 * Channels are left to the caller's innermost loop (contiguous in NHWC).
 */
function forEachWindow(
  d: MapDims,
  layout: FeatureMap['layout'],
  oh: number,
  ow: number,
  visit: (o: number, base: number, y0: number, y1: number, x0: number, x1: number) => void,
): void {
  const st = stridesOf(d, layout);
  const so = stridesOf({ ...d, height: oh, width: ow }, layout);
  for (let b = 0; b < d.batch; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = windowStart(oy, d.height, oh);
      const y1 = windowEnd(oy, d.height, oh);
      for (let ox = 0; ox < ow; ox++) {
        visit(b * so.b + oy * so.y + ox * so.x, b * st.b, y0, y1, windowStart(ox, d.width, ow), windowEnd(ox, d.width, ow));
      }
    }
  }
}

/**
 * For every output element of max pooling, the input offset it takes its value from (and sends its gradient
 * to): the window's first maximum in row-major order, or its first NaN, so NaN propagates.
 */
function maxArgs(map: FeatureMap, oh: number, ow: number): Uint32Array {
  const d = dimsOf(map);
  const st = stridesOf(d, map.layout);
  const so = stridesOf({ ...d, height: oh, width: ow }, map.layout);
  const data = map.data;
  const args = new Uint32Array(d.batch * d.channels * oh * ow);
  const best = new Float64Array(d.channels); // value at the current argmax, per channel
  const arg = new Uint32Array(d.channels);
  forEachWindow(d, map.layout, oh, ow, (o, base, y0, y1, x0, x1) => {
    const first = base + y0 * st.y + x0 * st.x;
    for (let c = 0; c < d.channels; c++) {
      arg[c] = first + c * st.c;
      best[c] = data[arg[c]!]!;
    }
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const cell = base + yy * st.y + xx * st.x;
        for (let c = 0; c < d.channels; c++) {
          const v = data[cell + c * st.c]!;
          const cur = best[c]!;
          // v > cur is false once cur is NaN, so the first NaN stays.
          if (v > cur || (Number.isNaN(v) && !Number.isNaN(cur))) {
            best[c] = v;
            arg[c] = cell + c * st.c;
          }
        }
      }
    }
    for (let c = 0; c < d.channels; c++) args[o + c * so.c] = arg[c]!;
  });
  return args;
}

function poolTo(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling): FeatureMap {
  const d = dimsOf(map);
  const shape = shapeOf({ ...d, height: outHeight, width: outWidth }, map.layout);
  const src = map.data;
  if (pooling === 'max') {
    const args = maxArgs(map, outHeight, outWidth);
    const out = new Float32Array(args.length);
    for (let o = 0; o < args.length; o++) out[o] = src[args[o]!]!;
    return { data: out, shape, layout: map.layout };
  }
  const st = stridesOf(d, map.layout);
  const so = stridesOf({ ...d, height: outHeight, width: outWidth }, map.layout);
  const out = new Float32Array(d.batch * d.channels * outHeight * outWidth);
  const sums = new Float64Array(d.channels);
  forEachWindow(d, map.layout, outHeight, outWidth, (o, base, y0, y1, x0, x1) => {
    sums.fill(0);
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const cell = base + yy * st.y + xx * st.x;
        for (let c = 0; c < d.channels; c++) sums[c]! += src[cell + c * st.c]!;
      }
    }
    const count = (y1 - y0) * (x1 - x0);
    for (let c = 0; c < d.channels; c++) out[o + c * so.c] = sums[c]! / count;
  });
  return { data: out, shape, layout: map.layout };
}

/** Windows overlap when sizes do not divide, so contributions are summed (in float64). */
function poolBackward(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling, gradOut: Float32Array): Float32Array {
  const acc = new Float64Array(map.data.length);
  if (pooling === 'max') {
    const args = maxArgs(map, outHeight, outWidth);
    for (let o = 0; o < args.length; o++) acc[args[o]!]! += gradOut[o]!;
    return Float32Array.from(acc);
  }
  const d = dimsOf(map);
  const st = stridesOf(d, map.layout);
  const so = stridesOf({ ...d, height: outHeight, width: outWidth }, map.layout);
  forEachWindow(d, map.layout, outHeight, outWidth, (o, base, y0, y1, x0, x1) => {
    const count = (y1 - y0) * (x1 - x0);
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const cell = base + yy * st.y + xx * st.x;
        for (let c = 0; c < d.channels; c++) acc[cell + c * st.c]! += gradOut[o + c * so.c]! / count;
      }
    }
  });
  return Float32Array.from(acc);
}

// ---- Fused loss ---------------------------------------------------------------------------------

function fspLoss(student: readonly FeaturePair[], teacher: Teacher, options: LossOptions): LossResult {
  const pooling = options.pooling ?? 'max';
  const reduction = options.reduction ?? 'paper';
  const gradients: PairGradients[] = [];
  const teacherMatrices: Float32Array[] = [];
  const pairLosses = student.map((pair, i) => {
    const s = alignPairWith(pair, pooling, poolTo);
    const gs = fspForward(s.first, s.second);
    let gt: Float32Array;
    if ('matrices' in teacher) {
      gt = teacher.matrices[i]!;
    } else {
      const t = alignPairWith(teacher.pairs[i]!, pooling, poolTo);
      gt = fspForward(t.first, t.second);
      if (options.returnTeacherMatrices) teacherMatrices.push(gt);
    }
    // paper: sum over entries, mean over samples; mean: mean over entries and samples.
    const scale = reduction === 'paper' ? 1 / dimsOf(pair.first).batch : 1 / gs.length;
    const lambda = options.weights?.[i] ?? 1;
    let sum = 0;
    for (let k = 0; k < gs.length; k++) sum += (gs[k]! - gt[k]!) ** 2;
    if (options.returnGradients) {
      const dG = new Float32Array(gs.length);
      const factor = 2 * lambda * scale;
      for (let k = 0; k < gs.length; k++) dG[k] = factor * (gs[k]! - gt[k]!);
      const g = unalignGradientsWith(pair, s, fspBackward(s.first, s.second, dG), pooling, poolBackward);
      const into = options.gradientsInto?.[i];
      if (into) {
        into.first.set(g.first);
        into.second.set(g.second);
      }
      gradients.push(into ?? g);
    }
    return lambda * sum * scale;
  });
  const result: LossResult = { loss: pairLosses.reduce((a, b) => a + b, 0), pairLosses };
  if (options.returnGradients) result.gradients = gradients;
  if (options.returnTeacherMatrices && 'pairs' in teacher) result.teacherMatrices = teacherMatrices;
  return result;
}

/** The *Async variants run synchronously on the calling thread (no worker); they only wrap the result in a Promise. */
export const tsKernels: KernelBackend = {
  variant: 'ts',
  fspForward,
  fspBackward,
  poolTo,
  poolBackward,
  fspLoss,
  fspForwardAsync: async (first, second, into) => fspForward(first, second, into),
  fspBackwardAsync: async (first, second, gradMatrices) => fspBackward(first, second, gradMatrices),
  poolToAsync: async (map, outHeight, outWidth, pooling) => poolTo(map, outHeight, outWidth, pooling),
  poolBackwardAsync: async (map, outHeight, outWidth, pooling, gradOut) => poolBackward(map, outHeight, outWidth, pooling, gradOut),
  fspLossAsync: async (student, teacher, options) => fspLoss(student, teacher, options),
  outputArray: (length) => new Float32Array(length),
};
