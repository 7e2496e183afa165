// FspService messages ⇄ the plain-array arguments of src/fsp. Everything is validated here, at the edge,
// with errors naming request fields (`student[1].second.shape`).
import type { FeatureMap, FeaturePair, Layout, LossOptions, PairGradients, Pooling, Reduction, Teacher } from '../fsp/index.js';
import type { FeaturePair as PairMessage, FeaturePair__Output } from '../generated/fspd/v1/FeaturePair.js';
import type { FspLossRequest__Output } from '../generated/fspd/v1/FspLossRequest.js';
import { checkLoss, checkPair } from '../native/validate.js';
import { dimsOf } from '../native/types.js';
import { decodeFloatTensor, encodeFloat32 } from './codec.js';
import { invalid, list, validate } from './status.js';

const LAYOUTS: Record<string, Layout> = { LAYOUT_UNSPECIFIED: 'NHWC', LAYOUT_NHWC: 'NHWC', LAYOUT_NCHW: 'NCHW' };
const POOLINGS: Record<string, Pooling> = { POOLING_UNSPECIFIED: 'max', POOLING_MAX: 'max', POOLING_AVG: 'avg' };
const REDUCTIONS: Record<string, Reduction> = { REDUCTION_UNSPECIFIED: 'paper', REDUCTION_PAPER: 'paper', REDUCTION_MEAN: 'mean' };

/** An enum value by name; a number is a value this server's proto does not know. */
function enumValue<T>(table: Record<string, T>, value: unknown, field: string): T {
  const v = table[String(value)];
  if (v === undefined) throw invalid(`${field}: unknown value ${String(value)}`);
  return v;
}

export const poolingOf = (value: unknown, field = 'pooling') => enumValue(POOLINGS, value, field);
export const reductionOf = (value: unknown, field = 'reduction') => enumValue(REDUCTIONS, value, field);

/** A FeaturePair message as maps; shapes are checked by checkPair / checkLoss afterwards. */
export function decodePair(message: FeaturePair__Output | null | undefined, field: string): FeaturePair {
  if (!message) throw invalid(`${field}: missing`);
  const layout = enumValue(LAYOUTS, message.layout, `${field}.layout`);
  const map = (tensor: typeof message.first, name: string): FeatureMap => {
    const { data, shape } = decodeFloatTensor(tensor, `${field}.${name}`);
    return { data, shape: shape as unknown as FeatureMap['shape'], layout };
  };
  return { first: map(message.first, 'first'), second: map(message.second, 'second') };
}

/** Checks a decoded pair as ComputeFsp's `pairs[i]`. */
export function checkComputePair(pair: FeaturePair, field: string): void {
  validate(() => checkPair(pair, field));
}

/** [B, C1, C2] of a valid pair's FSP matrix. */
export function matrixShape(pair: FeaturePair): [number, number, number] {
  const first = dimsOf(pair.first);
  return [first.batch, first.channels, dimsOf(pair.second).channels];
}

export interface LossCall {
  student: FeaturePair[];
  teacher: Teacher;
  options: LossOptions;
}

// checkLoss names the matrices after the TypeScript API; the request calls them teacher_matrices.
const toFieldNames = (message: string) => message.replace(/\bteacherMatrices\b/g, 'teacher_matrices');

export function decodeLossRequest(request: FspLossRequest__Output): LossCall {
  const student = request.student.map((p, i) => decodePair(p, `student[${i}]`));
  const byPairs = request.teacher.length > 0;
  if (byPairs === request.teacherMatrices.length > 0) {
    throw invalid(byPairs ? 'teacher, teacher_matrices: set one of them, not both' : 'teacher: missing; set teacher (feature pairs) or teacher_matrices');
  }
  const matrices = request.teacherMatrices.map((t, i) => decodeFloatTensor(t, `teacher_matrices[${i}]`));
  const teacher: Teacher = byPairs ? { pairs: request.teacher.map((p, i) => decodePair(p, `teacher[${i}]`)) } : { matrices: matrices.map((m) => m.data) };
  const options: LossOptions = {
    weights: request.weights,
    reduction: reductionOf(request.reduction),
    pooling: poolingOf(request.pooling),
    returnGradients: request.returnGradients,
    returnTeacherMatrices: request.returnTeacherMatrices && byPairs,
  };
  validate(() => checkLoss(student, teacher, options), toFieldNames);
  // checkLoss sees only the flat arrays; a transposed [B, C2, C1] would pass it.
  matrices.forEach((m, i) => {
    const expected = matrixShape(student[i]!);
    if (m.shape.join() !== expected.join()) {
      throw invalid(`teacher_matrices[${i}].shape: ${list(m.shape)} does not match student[${i}]'s FSP matrix [${expected.join(', ')}]`);
    }
  });
  return { student, teacher, options };
}

/** Gradients of a student pair as a FeaturePair message with the pair's shapes and layout. */
export function encodeGradients(gradients: PairGradients, like: FeaturePair): PairMessage {
  return {
    first: encodeFloat32(gradients.first, like.first.shape),
    second: encodeFloat32(gradients.second, like.second.shape),
    layout: layoutEnum(like.first.layout),
  };
}

/** A map layout as the proto's enum name. */
export const layoutEnum = (layout: Layout) => (layout === 'NCHW' ? ('LAYOUT_NCHW' as const) : ('LAYOUT_NHWC' as const));
