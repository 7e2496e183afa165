// Spatial alignment through the chosen kernels (the rule: src/native/align.ts). The fused kernel loss does
// this itself; these helpers serve the single-matrix paths (fspMatrix, computeFsp).
import { alignedSize, alignPairWith, fitsSize, unalignGradientsWith } from '../native/align.js';
import { getKernels } from '../native/index.js';
import type { FeatureMap, FeaturePair, PairGradients, Pooling } from '../native/types.js';

/** The pair as multiplied; maps already of the aligned size are returned as they are (same object). */
export function alignPair(pair: FeaturePair, pooling: Pooling): FeaturePair {
  return alignPairWith(pair, pooling, (m, h, w, p) => getKernels().poolTo(m, h, w, p));
}

export async function alignPairAsync(pair: FeaturePair, pooling: Pooling): Promise<FeaturePair> {
  const size = alignedSize(pair);
  const fit = async (m: FeatureMap) => (fitsSize(m, size) ? m : getKernels().poolToAsync(m, size[0], size[1], pooling));
  const [first, second] = await Promise.all([fit(pair.first), fit(pair.second)]);
  return { first, second };
}

/** Gradients w.r.t. the original maps from those w.r.t. the aligned pair (through poolBackward where pooled). */
export function alignGradients(pair: FeaturePair, aligned: FeaturePair, grads: PairGradients, pooling: Pooling): PairGradients {
  return unalignGradientsWith(pair, aligned, grads, pooling, (m, h, w, p, g) => getKernels().poolBackward(m, h, w, p, g));
}
