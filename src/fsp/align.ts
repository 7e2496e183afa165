// Spatial alignment of a pair (docs/PAPER.md#pooling): when the two maps differ in h×w, each map larger
// than (min h)×(min w) is pooled down to it before the product. The fused kernel loss does this itself;
// these helpers serve the single-matrix paths (fspMatrix, computeFsp).
import { getKernels } from '../native/index.js';
import type { FeatureMap, FeaturePair, PairGradients, Pooling } from '../native/types.js';
import { dimsOf } from '../native/types.js';

/** (min h, min w) of the pair's two maps. */
function alignedSize(pair: FeaturePair): [number, number] {
  const a = dimsOf(pair.first);
  const b = dimsOf(pair.second);
  return [Math.min(a.height, b.height), Math.min(a.width, b.width)];
}

const fits = (m: FeatureMap, [h, w]: [number, number]) => {
  const d = dimsOf(m);
  return d.height === h && d.width === w;
};

/** The pair as multiplied; maps already of the aligned size are returned as they are (same object). */
export function alignPair(pair: FeaturePair, pooling: Pooling): FeaturePair {
  const size = alignedSize(pair);
  const fit = (m: FeatureMap) => (fits(m, size) ? m : getKernels().poolTo(m, size[0], size[1], pooling));
  return { first: fit(pair.first), second: fit(pair.second) };
}

export async function alignPairAsync(pair: FeaturePair, pooling: Pooling): Promise<FeaturePair> {
  const size = alignedSize(pair);
  const fit = async (m: FeatureMap) => (fits(m, size) ? m : getKernels().poolToAsync(m, size[0], size[1], pooling));
  const [first, second] = await Promise.all([fit(pair.first), fit(pair.second)]);
  return { first, second };
}

/** Gradients w.r.t. the original maps from those w.r.t. the aligned pair (through poolBackward where pooled). */
export function alignGradients(pair: FeaturePair, aligned: FeaturePair, grads: PairGradients, pooling: Pooling): PairGradients {
  const back = (m: FeatureMap, am: FeatureMap, g: Float32Array) => {
    if (m === am) return g;
    const { height, width } = dimsOf(am);
    return getKernels().poolBackward(m, height, width, pooling, g);
  };
  return { first: back(pair.first, aligned.first, grads.first), second: back(pair.second, aligned.second, grads.second) };
}
