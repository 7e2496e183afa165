// Hinton knowledge distillation (Hinton, Vinyals & Dean 2015) for stage 2, beyond the FSP paper: the student
// also matches the teacher's soft targets at temperature T,
//   loss = (1 − α)·CE(y, softmax(s)) + α·T²·KL(softmax(t/T) ‖ softmax(s/T)),   mean over the batch.
// The T² keeps the soft term's gradient the same size as the hard term's when T changes (its gradient with
// respect to the logits is α·T·(softmax(s/T) − softmax(t/T)), i.e. O(1/T) before the factor).
import * as tf from '@tensorflow/tfjs';

export interface Distillation {
  /** Softmax temperature T > 0 of both models' soft targets. */
  temperature: number;
  /** Weight α in [0, 1] of the soft-target term. */
  alpha: number;
}

/** Throws a RangeError naming the field; returns a copy. */
export function checkDistillation(d: Distillation, name = 'distillation'): Distillation {
  if (!(typeof d?.temperature === 'number' && d.temperature > 0 && Number.isFinite(d.temperature))) {
    throw new RangeError(`${name}.temperature: expected a finite number > 0, got ${JSON.stringify(d?.temperature)}`);
  }
  if (!(typeof d.alpha === 'number' && d.alpha >= 0 && d.alpha <= 1)) throw new RangeError(`${name}.alpha: expected a weight in [0, 1], got ${JSON.stringify(d.alpha)}`);
  return { temperature: d.temperature, alpha: d.alpha };
}

export interface DistillationTerms {
  /** The combined loss (what is minimised). */
  loss: tf.Scalar;
  /** Its parts, unweighted: mean cross-entropy with the labels, and mean T²·KL to the teacher. */
  crossEntropy: tf.Scalar;
  softTarget: tf.Scalar;
}

/** The KD loss of student logits [B, K] against teacher logits [B, K] (a constant: computed outside the gradient) and one-hot labels [B, K]. */
export function distillationLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, onehot: tf.Tensor2D, d: Distillation): DistillationTerms {
  const { temperature: T, alpha } = d;
  return tf.tidy(() => {
    const crossEntropy = tf.losses.softmaxCrossEntropy(onehot, studentLogits) as tf.Scalar;
    const pTeacher = tf.softmax(tf.div(teacherLogits, T));
    const logPStudent = tf.logSoftmax(tf.div(studentLogits, T));
    // KL(p_t ‖ p_s) = Σ p_t (log p_t − log p_s); the p_t log p_t part has no student gradient but keeps the value a KL.
    const logPTeacher = tf.logSoftmax(tf.div(teacherLogits, T));
    const kl = tf.mean(tf.sum(tf.mul(pTeacher, tf.sub(logPTeacher, logPStudent)), 1));
    const softTarget = tf.mul(kl, T * T) as tf.Scalar;
    const loss = tf.add(tf.mul(crossEntropy, 1 - alpha), tf.mul(softTarget, alpha)) as tf.Scalar;
    return { loss, crossEntropy, softTarget };
  });
}
