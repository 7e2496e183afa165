// The FSP loss as a differentiable tfjs op: one fused kernel call gives the loss and, when a gradient tape
// is recording, the student gradients too. The teacher is a constant: no gradient flows to it.
import * as tf from '@tensorflow/tfjs';
import { getKernels } from '../native/index.js';
import type { Layout, Pooling, Reduction, Teacher } from '../native/types.js';
import { featureMap, float32Data } from './tensors.js';

export interface FspLossOptions {
  weights?: readonly number[]; // λ per pair; default all 1
  reduction?: Reduction; // default 'paper' (sum over entries, mean over samples)
  pooling?: Pooling; // default 'max'
  layout?: Layout; // of every map, student and teacher; default 'NHWC'
  /** Called with λ_i·reduced distance of each pair (they sum to the loss), e.g. for progress reports. */
  onPairLosses?: (pairLosses: number[]) => void;
}

type MapPair = [tf.Tensor4D, tf.Tensor4D];

/** Σ_i λ_i·‖G_S,i − G_T,i‖² reduced as options.reduction; teacher as feature pairs or as its FSP matrices. */
export function fspLoss(student: MapPair[], teacher: MapPair[] | tf.Tensor3D[], options: FspLossOptions = {}): tf.Scalar {
  const layout = options.layout ?? 'NHWC';
  const pairOf = ([a, b]: MapPair, name: string) => ({
    first: featureMap(a, layout, `${name}.first`),
    second: featureMap(b, layout, `${name}.second`),
  });
  const teacherArg: Teacher = isPairs(teacher)
    ? { pairs: teacher.map((p, i) => pairOf(p, `teacher[${i}]`)) }
    : { matrices: teacher.map((m, i) => float32Data(m, `teacher[${i}]`)) };
  // runKernelFunc records this op on the tape under the same condition, so gradFunc runs only when asked here.
  const returnGradients = tf.engine().isTapeOn();
  const op = tf.customGrad<tf.Scalar>(() => {
    const res = getKernels().fspLoss(
      student.map((p, i) => pairOf(p, `student[${i}]`)),
      teacherArg,
      { weights: options.weights, reduction: options.reduction, pooling: options.pooling, returnGradients },
    );
    options.onPairLosses?.(res.pairLosses);
    return {
      value: tf.scalar(res.loss),
      // res.gradients is present: gradFunc only runs for taped calls (returnGradients above).
      gradFunc: (dy) => {
        const scale = float32Data(dy, 'dy')[0]!;
        return res.gradients!.flatMap((g, i) => [
          scaled(g.first, scale, student[i]![0].shape),
          scaled(g.second, scale, student[i]![1].shape),
        ]);
      },
    };
  });
  return op(...student.flat());
}

const isPairs = (t: MapPair[] | tf.Tensor3D[]): t is MapPair[] => Array.isArray(t[0]);

/** dy·g as a tensor (tfjs may adopt the array as the tensor's storage, so g is never modified). */
const scaled = (g: Float32Array, dy: number, shape: [number, number, number, number]) =>
  tf.tensor4d(dy === 1 ? g : g.map((v) => v * dy), shape);
