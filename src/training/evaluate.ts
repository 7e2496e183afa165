// One evaluation batch in inference mode — the step both evaluation loops share (Trainer.evaluate, and the
// server's SessionManager.evaluate, which adds event-loop yields, stop checks and the FSP loss).
import * as tf from '@tensorflow/tfjs';
import { forwardWithTaps, type TappedModel } from '../models/index.js';

export interface BatchEvaluation {
  /** Samples whose largest logit (first on ties) is the label. */
  correct: number;
  /** Cross-entropy summed over the batch's samples. */
  crossEntropy: number;
}

/**
 * Top-1 hits and summed cross-entropy of `model` on one batch (images not disposed). `withFeatures`, when
 * given, sees the tapped feature maps before they are disposed (an evaluation's FSP loss).
 */
export function evaluateBatch(
  model: TappedModel,
  images: tf.Tensor4D,
  labels: ArrayLike<number>,
  withFeatures?: (features: tf.Tensor4D[]) => void,
): BatchEvaluation {
  const { logits, features } = forwardWithTaps(model, images, { training: false });
  try {
    withFeatures?.(features);
    const correct = countCorrect(logits, labels);
    return tf.tidy(() => {
      const onehot = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), numClasses(model));
      const crossEntropy = tf.sum(tf.losses.softmaxCrossEntropy(onehot, logits, undefined, undefined, tf.Reduction.NONE)).dataSync()[0]!;
      return { correct, crossEntropy };
    });
  } finally {
    tf.dispose([logits, ...features]);
  }
}

/** Samples whose largest logit (first on ties) is the label. */
export function countCorrect(logits: tf.Tensor2D, labels: ArrayLike<number>): number {
  const pred = tf.tidy(() => tf.argMax(logits, 1).dataSync());
  let n = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) n++;
  return n;
}

/** The model's class count (its logits' static width). */
export function numClasses(model: TappedModel): number {
  const c = model.model.outputs[0]!.shape[1];
  if (typeof c !== 'number') throw new RangeError(`model '${model.model.name}': its logits have no static class count`);
  return c;
}
