// Float64 reference of the FSP math, written plainly and independently of the kernels: maps are first
// turned into nested arrays grid[b][y][x][c], every formula is the textbook one from docs/PAPER.md.
import type { Layout, Pooling, Reduction } from '../../src/native/types.js';

/** A map with any numeric data (Float32Array from the kernels, Float64Array for finite differences). */
export interface RefMap {
  data: ArrayLike<number>;
  shape: readonly number[];
  layout: Layout;
}
export interface RefPair {
  first: RefMap;
  second: RefMap;
}
type Grid = number[][][][]; // [b][y][x][c]

export function toGrid(m: RefMap): Grid {
  const [b, d1, d2, d3] = m.shape as [number, number, number, number];
  const [H, W, C] = m.layout === 'NHWC' ? [d1, d2, d3] : [d2, d3, d1];
  const g: Grid = [];
  for (let n = 0; n < b; n++) {
    g.push([]);
    for (let y = 0; y < H; y++) {
      g[n]!.push([]);
      for (let x = 0; x < W; x++) {
        g[n]![y]!.push([]);
        for (let c = 0; c < C; c++) {
          const k = m.layout === 'NHWC' ? ((n * H + y) * W + x) * C + c : ((n * C + c) * H + y) * W + x;
          g[n]![y]![x]!.push(m.data[k]!);
        }
      }
    }
  }
  return g;
}

export function fromGrid(g: Grid, layout: Layout): RefMap {
  const [B, H, W, C] = [g.length, g[0]!.length, g[0]![0]!.length, g[0]![0]![0]!.length];
  const data = new Float64Array(B * H * W * C);
  for (let n = 0; n < B; n++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (let c = 0; c < C; c++) {
          const k = layout === 'NHWC' ? ((n * H + y) * W + x) * C + c : ((n * C + c) * H + y) * W + x;
          data[k] = g[n]![y]![x]![c]!;
        }
  return { data, shape: layout === 'NHWC' ? [B, H, W, C] : [B, C, H, W], layout };
}

/** The same values in another layout. */
export function relayout(m: RefMap, layout: Layout): RefMap {
  return fromGrid(toGrid(m), layout);
}

const hwc = (g: Grid) => [g[0]!.length, g[0]![0]!.length, g[0]![0]![0]!.length] as const;

/** G[b][i][j] = Σ_y Σ_x F1[b,y,x,i]·F2[b,y,x,j] / (h·w), flattened [B, C1, C2]. */
export function refFsp(first: RefMap, second: RefMap): Float64Array {
  const f = toGrid(first);
  const s = toGrid(second);
  const [H, W, C1] = hwc(f);
  const C2 = hwc(s)[2];
  const out = new Float64Array(f.length * C1 * C2);
  for (let b = 0; b < f.length; b++)
    for (let i = 0; i < C1; i++)
      for (let j = 0; j < C2; j++) {
        let sum = 0;
        for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) sum += f[b]![y]![x]![i]! * s[b]![y]![x]![j]!;
        out[(b * C1 + i) * C2 + j] = sum / (H * W);
      }
  return out;
}

/** dF1[b,y,x,i] = Σ_j F2[b,y,x,j]·dG[b,i,j]/(h·w); dF2[b,y,x,j] = Σ_i F1[b,y,x,i]·dG[b,i,j]/(h·w). In each map's layout. */
export function refFspBackward(first: RefMap, second: RefMap, dG: ArrayLike<number>): { first: Float64Array; second: Float64Array } {
  const f = toGrid(first);
  const s = toGrid(second);
  const [H, W, C1] = hwc(f);
  const C2 = hwc(s)[2];
  const df = f.map((plane) => plane.map((r) => r.map((v) => v.map(() => 0))));
  const ds = s.map((plane) => plane.map((r) => r.map((v) => v.map(() => 0))));
  for (let b = 0; b < f.length; b++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (let i = 0; i < C1; i++)
          for (let j = 0; j < C2; j++) {
            const g = dG[(b * C1 + i) * C2 + j]! / (H * W);
            df[b]![y]![x]![i]! += s[b]![y]![x]![j]! * g;
            ds[b]![y]![x]![j]! += f[b]![y]![x]![i]! * g;
          }
  return { first: fromGrid(df, first.layout).data as Float64Array, second: fromGrid(ds, second.layout).data as Float64Array };
}

/** Adaptive pooling windows as in PyTorch: [floor(i·n/out), ceil((i+1)·n/out)). */
function windows(n: number, out: number): Array<[number, number]> {
  const w: Array<[number, number]> = [];
  for (let i = 0; i < out; i++) w.push([Math.floor((i * n) / out), Math.ceil(((i + 1) * n) / out)]);
  return w;
}

/** The cells of each window in row-major order, and which cell receives the max gradient (first NaN, else first maximum). */
function windowCells(g: Grid, b: number, c: number, [y0, y1]: [number, number], [x0, x1]: [number, number]) {
  const cells: Array<{ y: number; x: number; v: number }> = [];
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) cells.push({ y, x, v: g[b]![y]![x]![c]! });
  const nan = cells.find((cell) => Number.isNaN(cell.v));
  const max = nan ?? cells.reduce((best, cell) => (cell.v > best.v ? cell : best));
  return { cells, max };
}

export function refPool(m: RefMap, oh: number, ow: number, pooling: Pooling): RefMap {
  const g = toGrid(m);
  const [H, W, C] = hwc(g);
  const out: Grid = g.map((_, b) =>
    windows(H, oh).map((wy) =>
      windows(W, ow).map((wx) =>
        Array.from({ length: C }, (_, c) => {
          const { cells, max } = windowCells(g, b, c, wy, wx);
          return pooling === 'max' ? max.v : cells.reduce((a, cell) => a + cell.v, 0) / cells.length;
        }),
      ),
    ),
  );
  return fromGrid(out, m.layout);
}

export function refPoolBackward(m: RefMap, oh: number, ow: number, pooling: Pooling, gradOut: ArrayLike<number>): Float64Array {
  const g = toGrid(m);
  const [H, W, C] = hwc(g);
  const go = toGrid({ data: gradOut, shape: m.layout === 'NHWC' ? [g.length, oh, ow, C] : [g.length, C, oh, ow], layout: m.layout });
  const gi = g.map((plane) => plane.map((r) => r.map((v) => v.map(() => 0))));
  windows(H, oh).forEach((wy, oy) =>
    windows(W, ow).forEach((wx, ox) => {
      for (let b = 0; b < g.length; b++)
        for (let c = 0; c < C; c++) {
          const d = go[b]![oy]![ox]![c]!;
          const { cells, max } = windowCells(g, b, c, wy, wx);
          if (pooling === 'max') gi[b]![max.y]![max.x]![c]! += d;
          else for (const cell of cells) gi[b]![cell.y]![cell.x]![c]! += d / cells.length;
        }
    }),
  );
  return fromGrid(gi, m.layout).data as Float64Array;
}

/** FSP matrix of a pair; maps that differ in h×w are both brought to (min h)×(min w) by pooling. */
export function refPairFsp(pair: RefPair, pooling: Pooling): Float64Array {
  const [h1, w1] = hwc(toGrid(pair.first));
  const [h2, w2] = hwc(toGrid(pair.second));
  if (h1 === h2 && w1 === w2) return refFsp(pair.first, pair.second);
  const h = Math.min(h1, h2);
  const w = Math.min(w1, w2);
  return refFsp(refPool(pair.first, h, w, pooling), refPool(pair.second, h, w, pooling));
}

export interface RefLossOptions {
  weights?: readonly number[];
  reduction?: Reduction;
  pooling?: Pooling;
}

/** L = Σ_i λ_i · Σ_entries (G_S − G_T)² / B (paper) or / (B·C1·C2) (mean). */
export function refLoss(
  student: readonly RefPair[],
  teacher: { pairs: readonly RefPair[] } | { matrices: ReadonlyArray<ArrayLike<number>> },
  options: RefLossOptions = {},
): { loss: number; pairLosses: number[] } {
  const pooling = options.pooling ?? 'max';
  const pairLosses = student.map((pair, i) => {
    const gs = refPairFsp(pair, pooling);
    const gt = 'pairs' in teacher ? refPairFsp(teacher.pairs[i]!, pooling) : teacher.matrices[i]!;
    let sq = 0;
    for (let k = 0; k < gs.length; k++) sq += (gs[k]! - gt[k]!) * (gs[k]! - gt[k]!);
    const batch = pair.first.shape[0]!;
    const denominator = options.reduction === 'mean' ? gs.length : batch;
    return ((options.weights?.[i] ?? 1) * sq) / denominator;
  });
  return { loss: pairLosses.reduce((a, b) => a + b, 0), pairLosses };
}
