// src/training/distillation.ts and the trainer's KD stage 2: the loss and its gradient with respect to the
// student logits against an independent float64 computation (the formula written out, and central
// differences of it); in the trainer, α = 0 is plain cross-entropy exactly, α > 0 moves the student toward
// the teacher and leaves the teacher bit-exactly unchanged; clear errors.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { datasetFromArrays } from '../src/data/index.js';
import { buildResNet, type TappedModel } from '../src/models/index.js';
import { distillationLoss } from '../src/training/distillation.js';
import { Trainer } from '../src/training/trainer.js';

before(async () => {
  await tf.setBackend('cpu');
});

/** (1 − α)·CE + α·T²·KL(softmax(t/T) ‖ softmax(s/T)), mean over rows, in float64. */
function kdLoss64(s: number[][], t: number[][], labels: number[], T: number, alpha: number): number {
  const logSoftmax = (z: number[]) => {
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    return z.map((v) => v - lse);
  };
  let total = 0;
  s.forEach((row, b) => {
    const ce = -logSoftmax(row)[labels[b]!]!;
    const ls = logSoftmax(row.map((v) => v / T));
    const lt = logSoftmax(t[b]!.map((v) => v / T));
    const kl = lt.reduce((a, l, k) => a + Math.exp(l) * (l - ls[k]!), 0);
    total += (1 - alpha) * ce + alpha * T * T * kl;
  });
  return total / s.length;
}

const B = 4;
const K = 5;
const seeded = (seed: number) => () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 6 - 3;
const matrix = (rng: () => number) => Array.from({ length: B }, () => Array.from({ length: K }, rng));

describe('distillationLoss', () => {
  const rng = seeded(7);
  const s = matrix(rng);
  const t = matrix(rng);
  const labels = [0, 3, 1, 4];
  const run = (T: number, alpha: number) =>
    tf.tidy(() => {
      const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), K) as tf.Tensor2D;
      const tt = tf.tensor2d(t);
      const f = (x: tf.Tensor) => distillationLoss(x as tf.Tensor2D, tt, onehot, { temperature: T, alpha }).loss;
      const { value, grad } = tf.valueAndGrad(f)(tf.tensor2d(s));
      return { value: value.dataSync()[0]!, grad: Array.from(grad.dataSync()) };
    });

  for (const [T, alpha] of [
    [1, 0],
    [4, 0.9],
    [2, 0.5],
    [8, 1],
  ] as const) {
    it(`T = ${T}, α = ${alpha}: value and gradient match float64`, () => {
      const { value, grad } = run(T, alpha);
      const ref = kdLoss64(s, t, labels, T, alpha);
      assert.ok(Math.abs(value - ref) <= 1e-5 * Math.max(1, Math.abs(ref)), `loss ${value} vs ${ref}`);
      const h = 1e-5;
      for (let b = 0; b < B; b++)
        for (let k = 0; k < K; k++) {
          const plus = s.map((r) => [...r]);
          const minus = s.map((r) => [...r]);
          plus[b]![k]! += h;
          minus[b]![k]! -= h;
          const numeric = (kdLoss64(plus, t, labels, T, alpha) - kdLoss64(minus, t, labels, T, alpha)) / (2 * h);
          assert.ok(Math.abs(grad[b * K + k]! - numeric) < 1e-5, `∂/∂s[${b}][${k}]: ${grad[b * K + k]} vs ${numeric}`);
        }
    });
  }

  it('reports the unweighted parts', () => {
    tf.tidy(() => {
      const terms = distillationLoss(tf.tensor2d(s), tf.tensor2d(t), tf.oneHot(tf.tensor1d(labels, 'int32'), K) as tf.Tensor2D, { temperature: 3, alpha: 0.25 });
      const ce = terms.crossEntropy.dataSync()[0]!;
      const soft = terms.softTarget.dataSync()[0]!;
      assert.ok(Math.abs(ce - kdLoss64(s, t, labels, 3, 0)) < 1e-5);
      assert.ok(Math.abs(soft - kdLoss64(s, t, labels, 3, 1)) < 1e-5);
      assert.ok(Math.abs(terms.loss.dataSync()[0]! - (0.75 * ce + 0.25 * soft)) < 1e-5);
    });
  });
});

describe('Trainer stage 2 with distillation', () => {
  const SIDE = 4;
  const n = 8;
  const images = new Float32Array(n * SIDE * SIDE).map((_, i) => Math.sin(i * 0.37));
  const ds = datasetFromArrays({ name: 'kd', images, shape: [n, SIDE, SIDE, 1], labels: Array.from({ length: n }, (_, i) => i % 3), numClasses: 3 });
  const net = (seed: number): TappedModel => buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed });
  const weights = (m: TappedModel) => m.model.weights.map((w) => Array.from(w.read().dataSync()));
  const batch = () => ds.gather(Array.from({ length: n }, (_, i) => i));

  it('α = 0 is plain cross-entropy; α > 0 changes the update and reports both parts; the teacher stays as it was', () => {
    const teacher = net(1);
    const teacherBefore = weights(teacher);
    const step = (options: { distillation?: { temperature: number; alpha: number } }) => {
      const student = net(2);
      const trainer = new Trainer({ teacher, student, stage: 'cross_entropy', ...options });
      const b = batch();
      const r = trainer.step(b);
      b.images.dispose();
      trainer.dispose();
      const w = weights(student);
      student.model.dispose();
      return { r, w };
    };
    const plain = step({});
    const zero = step({ distillation: { temperature: 4, alpha: 0 } });
    const kd = step({ distillation: { temperature: 4, alpha: 0.9 } });
    assert.deepEqual(zero.w, plain.w);
    assert.equal(zero.r.loss, plain.r.loss);
    assert.notDeepEqual(kd.w, plain.w);
    assert.ok(kd.r.crossEntropy !== undefined && kd.r.softTargetLoss !== undefined);
    assert.ok(Math.abs(kd.r.loss - (0.1 * kd.r.crossEntropy! + 0.9 * kd.r.softTargetLoss!)) < 1e-5);
    assert.equal(plain.r.crossEntropy, undefined);
    assert.deepEqual(weights(teacher), teacherBefore);
    teacher.model.dispose();
  });

  it('checks its options and checkpoints', () => {
    const teacher = net(1);
    const student = net(2);
    assert.throws(() => new Trainer({ student, distillation: { temperature: 2, alpha: 0.5 } }), /distillation: knowledge distillation needs a teacher/);
    assert.throws(() => new Trainer({ teacher, student, distillation: { temperature: 0, alpha: 0.5 } }), /distillation\.temperature/);
    assert.throws(() => new Trainer({ teacher, student, distillation: { temperature: 2, alpha: 1.5 } }), /distillation\.alpha/);
    const fiveClasses = buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 5, seed: 3 });
    assert.throws(
      () => new Trainer({ teacher, student: fiveClasses, stage: 'cross_entropy', distillation: { temperature: 2, alpha: 0.5 } }),
      (err: Error) => err instanceof RangeError && /^distillation: the teacher has 3 classes, the student 5; knowledge distillation needs the same classes$/.test(err.message),
    );
    fiveClasses.model.dispose();
    const a = new Trainer({ teacher, student, stage: 'cross_entropy', distillation: { temperature: 2, alpha: 0.5 } });
    const b = new Trainer({ teacher, student, stage: 'cross_entropy' });
    assert.throws(() => b.importState(a.exportState()), /checkpoint: distillation \{"temperature":2,"alpha":0.5\} differs/);
    a.dispose();
    b.dispose();
    teacher.model.dispose();
    student.model.dispose();
  });
});
