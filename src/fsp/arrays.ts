// FSP on plain arrays, for callers that hold no tensors (the gRPC FspService handlers).
import { getKernels } from '../native/index.js';
import type { FeaturePair, LossOptions, LossResult, Pooling, Teacher } from '../native/types.js';
import { alignPair, alignPairAsync } from './align.js';

/** [B, C1, C2] FSP matrices of one pair, aligning mismatched h×w with `pooling` first. */
export function computeFsp(pair: FeaturePair, pooling: Pooling = 'max'): Float32Array {
  const a = alignPair(pair, pooling);
  return getKernels().fspForward(a.first, a.second);
}

export async function computeFspAsync(pair: FeaturePair, pooling: Pooling = 'max'): Promise<Float32Array> {
  const a = await alignPairAsync(pair, pooling);
  return getKernels().fspForwardAsync(a.first, a.second);
}

/** The fused loss (+ student gradients, teacher matrices on request); see LossOptions for defaults. */
export function computeFspLoss(student: readonly FeaturePair[], teacher: Teacher, options: LossOptions = {}): LossResult {
  return getKernels().fspLoss(student, teacher, options);
}

export function computeFspLossAsync(student: readonly FeaturePair[], teacher: Teacher, options: LossOptions = {}): Promise<LossResult> {
  return getKernels().fspLossAsync(student, teacher, options);
}
