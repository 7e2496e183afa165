// The paper's Student*†: the student learns the FSP matrices of an equivalent teacher whose tapped layers
// have their channels permuted. One random permutation p_t per tapped teacher layer t (seeded); permuting
// the channels of map t as F'[…, i] = F[…, p_t[i]] turns the FSP matrix of a pair (a, b) into
//   G'[i][j] = G[p_a[i]][p_b[j]]
// (rows by the first map's layer permutation, columns by the second's). A layer used by two pairs (e.g.
// the output of section 1, the input of section 2) gets the same permutation in both, so the shuffled
// matrices are those of one consistent teacher. It is applied to the teacher's matrices, never to the
// teacher's features, so cached (unshuffled) matrices serve every ensemble member.
import type { TapPair, TappedModel } from '../models/index.js';

/** Mulberry32 with its state in the open (the same generator as src/data/rng.ts). */
export function nextRandom(state: { s: number }): number {
  state.s = (state.s + 0x6d2b79f5) >>> 0;
  let t = state.s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Fisher–Yates permutation of 0..n-1 drawn from `state`. */
export function drawPermutation(state: { s: number }, n: number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(nextRandom(state) * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Channels of each tapped map (the last dimension of its NHWC output). */
export function tapChannels(tapped: TappedModel): number[] {
  return tapped.model.outputs.slice(1).map((o, i) => {
    const c = o.shape[3];
    if (typeof c !== 'number') throw new RangeError(`tap ${i} ('${tapped.taps[i]}') has no static channel count`);
    return c;
  });
}

/** One seeded permutation per tapped layer, in tap order. */
export function channelPermutations(channels: readonly number[], seed: number): Int32Array[] {
  if (!Number.isInteger(seed)) throw new RangeError(`shuffle seed: expected an integer, got ${seed}`);
  const state = { s: seed >>> 0 };
  return channels.map((c) => drawPermutation(state, c));
}

/** Checks permutations against the tap channel counts (one per tap, each a permutation of 0..C-1). */
export function checkPermutations(perms: readonly ArrayLike<number>[], channels: readonly number[]): Int32Array[] {
  if (perms.length !== channels.length) throw new RangeError(`permutations: expected one per teacher tap (${channels.length}), got ${perms.length}`);
  return perms.map((p, t) => {
    const c = channels[t]!;
    const seen = new Uint8Array(c);
    if (p.length !== c) throw new RangeError(`permutations[${t}]: expected ${c} entries (the tap's channels), got ${p.length}`);
    for (let i = 0; i < c; i++) {
      const v = p[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= c || seen[v]) throw new RangeError(`permutations[${t}]: not a permutation of 0..${c - 1} (entry ${i} is ${v})`);
      seen[v] = 1;
    }
    return Int32Array.from(p);
  });
}

/** out[b][i][j] = m[b][rows[i]][cols[j]] for [batch, rows.length, cols.length] matrices. */
export function permuteMatrices(m: Float32Array, batch: number, rows: Int32Array, cols: Int32Array): Float32Array {
  const r = rows.length;
  const c = cols.length;
  if (m.length !== batch * r * c) throw new RangeError(`matrices: expected ${batch}×${r}×${c} values, got ${m.length}`);
  const out = new Float32Array(m.length);
  for (let b = 0; b < batch; b++) {
    const base = b * r * c;
    for (let i = 0; i < r; i++) {
      const src = base + rows[i]! * c;
      const dst = base + i * c;
      for (let j = 0; j < c; j++) out[dst + j] = m[src + cols[j]!]!;
    }
  }
  return out;
}

/** The shuffled matrices of every pair: pair (a, b) permuted by perms[a] (rows) and perms[b] (columns). */
export function shuffleTeacherMatrices(matrices: readonly Float32Array[], pairs: readonly TapPair[], perms: readonly Int32Array[], batch: number): Float32Array[] {
  return matrices.map((m, i) => {
    const [a, b] = pairs[i]!;
    return permuteMatrices(m, batch, perms[a]!, perms[b]!);
  });
}
