// Spatial alignment of a pair (docs/PAPER.md#pooling), defined once for every path: when the two
// maps differ in h×w, each map larger than (min h)×(min w) is pooled down to it before the product, and the
// gradients go back through the same pooling. The kernels are parameters: the TS kernels pass their own
// pooling, src/fsp the chosen backend's.
import type { FeatureMap, FeaturePair, PairGradients, Pooling } from './types.js';
import { dimsOf } from './types.js';

export type PoolTo = (map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling) => FeatureMap;
export type PoolBackward = (map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling, gradOut: Float32Array) => Float32Array;

/** (min h, min w) of the pair's two maps: the size both are multiplied at. */
export function alignedSize(pair: FeaturePair): [number, number] {
  const a = dimsOf(pair.first);
  const b = dimsOf(pair.second);
  return [Math.min(a.height, b.height), Math.min(a.width, b.width)];
}

/** Whether `map` already has the aligned size (then it is used as it is, the same object). */
export function fitsSize(map: FeatureMap, [height, width]: [number, number]): boolean {
  const d = dimsOf(map);
  return d.height === height && d.width === width;
}

/** The pair as multiplied; maps already of the aligned size are kept (same objects). */
export function alignPairWith(pair: FeaturePair, pooling: Pooling, poolTo: PoolTo): FeaturePair {
  const size = alignedSize(pair);
  const fit = (m: FeatureMap) => (fitsSize(m, size) ? m : poolTo(m, size[0], size[1], pooling));
  return { first: fit(pair.first), second: fit(pair.second) };
}

/** Gradients w.r.t. the original maps from those w.r.t. the aligned pair (through poolBackward where pooled). */
export function unalignGradientsWith(
  pair: FeaturePair,
  aligned: FeaturePair,
  grads: PairGradients,
  pooling: Pooling,
  poolBackward: PoolBackward,
): PairGradients {
  const back = (m: FeatureMap, am: FeatureMap, g: Float32Array) => {
    if (m === am) return g;
    const { height, width } = dimsOf(am);
    return poolBackward(m, height, width, pooling, g);
  };
  return { first: back(pair.first, aligned.first, grads.first), second: back(pair.second, aligned.second, grads.second) };
}
