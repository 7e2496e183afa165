// Seeded random data for tests: the same seed gives the same maps on every run and machine.
import type { FeatureMap, Layout, MapDims } from '../../src/native/types.js';
import { shapeOf } from '../../src/native/types.js';

export { seededRandom } from '../../src/data/rng.js';

/** A seed derived from a test case's name parts (FNV-1a), so every case draws different data. */
export function seedOf(...parts: string[]): number {
  let h = 2166136261;
  for (const ch of parts.join('/')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

/** n floats uniform in [-1, 1). */
export function randomArray(rng: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng() * 2 - 1;
  return out;
}

export function randomMap(rng: () => number, dims: MapDims, layout: Layout): FeatureMap {
  const shape = shapeOf(dims, layout);
  return { data: randomArray(rng, shape.reduce((a, b) => a * b, 1)), shape, layout };
}

/** Shorthand for dims: (batch, height, width, channels). */
export const dims = (batch: number, height: number, width: number, channels: number): MapDims => ({ batch, height, width, channels });
