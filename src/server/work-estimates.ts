// Working memory of in-flight calls, estimated from shapes before anything is allocated (the memory budget
// reserves these bytes while a call runs). Estimates, not measurements; they err on the high side:
//
// - A forward pass holds every layer's output at once in the worst case: 4 bytes × the elements of all
//   layer outputs of one sample, × the batch (activationBytesPerSample).
// - A training step keeps the student's activations for the backward pass, the gradients and every
//   intermediate of the backward ops until the step ends: TRAIN_FACTOR × the student's forward, plus the
//   teacher's forward (stage 1 without a cache hit). Measured with tf.profile on the tensorflow backend
//   (ResNet-8, -20, -32 at batch 16 to 64, 32×32×3): a step's peak is 6.7-7 × that forward estimate.
// - An FSP call makes its matrices (4 bytes × batch × C1 × C2 per pair, student and teacher), the same
//   again for the loss's difference and the response's serialised copy, pooled copies of the maps (at most
//   the input's bytes) and, with gradients, a gradient per student map plus its serialised copy.
import type * as tf from '@tensorflow/tfjs';
import type { TappedModel } from '../models/index.js';

export const TRAIN_FACTOR = 8;

const perSample = new WeakMap<tf.LayersModel, number>();

/** 4 bytes × the elements of every layer's output(s), for one sample. */
export function activationBytesPerSample(model: tf.LayersModel): number {
  let bytes = perSample.get(model);
  if (bytes !== undefined) return bytes;
  bytes = 0;
  for (const layer of model.layers) {
    const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as (number | null)[][];
    for (const shape of shapes) bytes += 4 * shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1);
  }
  perSample.set(model, bytes);
  return bytes;
}

/** A forward pass of each model over `batch` samples. */
export function forwardBytes(models: readonly (TappedModel | undefined)[], batch: number): number {
  return batch * models.reduce((sum, m) => sum + (m ? activationBytesPerSample(m.model) : 0), 0);
}

/** One training step of `student` (with `teacher` in stage 1) on `batch` samples. */
export function trainStepBytes(student: TappedModel, teacher: TappedModel | undefined, batch: number): number {
  return TRAIN_FACTOR * forwardBytes([student], batch) + forwardBytes([teacher], batch);
}

/** An FSP call making `matrixElements` matrix elements from `inputBytes` of maps, returning `gradientBytes` of gradients. */
export function fspCallBytes({ matrixElements, inputBytes, gradientBytes = 0 }: { matrixElements: number; inputBytes: number; gradientBytes?: number }): number {
  return 4 * matrixElements * 2 + inputBytes + 2 * gradientBytes;
}
