// No tensor leaks in src/training: tf.memory().numTensors stays flat over 500 trainer steps in every stage
// (cache hits, misses and evictions, Student*† shuffling, external and own batches), evaluations and state
// export/import. A tiny tapped conv net with BatchNorm and a residual add keeps it fast; it runs on the backend
// FSPD_BACKEND (default auto) picks (tensorflow where tfjs-node is set up, else cpu). A short ResNet-8 run follows,
// then steps made to fail part way (a test-only layer that throws in a forward pass or in its gradient).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { datasetFromArrays } from '../src/data/index.js';
import { initBackend } from '../src/models/backend.js';
import { buildResNet, tapModel, type TappedModel } from '../src/models/index.js';
import { Trainer } from '../src/training/trainer.js';
import type { Stage } from '../src/training/stage.js';

let backend = '';
before(async () => {
  backend = (await initBackend({ logger: () => {} })).backend ?? 'none'; // FSPD_BACKEND, default auto
});

const SIDE = 4;

type FailAt = 'forward' | 'backward' | 'inference' | null;

/**
 * Test-only: passes its input through; while `failure.at` is set, a training-mode forward throws ('forward'),
 * or its gradient does ('backward'), or an inference-mode forward throws ('inference').
 */
class Failing extends tf.layers.Layer {
  static readonly className = 'Failing';
  constructor(private readonly failure: { at: FailAt }) {
    super({ name: 'failing' });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const { at } = this.failure;
    if (at === (kwargs.training ? 'forward' : 'inference')) throw new Error(`injected: ${at}`);
    if (at !== 'backward' || !kwargs.training) return tf.clone(x);
    return tf.customGrad((t) => ({
      value: tf.clone(t as tf.Tensor),
      gradFunc: () => {
        throw new Error('injected: backward');
      },
    }))(x);
  }
}

/** `failure`: a Failing layer after the last conv (the taps before it and their tape entries are there when it throws). */
function tiny(seed: number, failure?: { at: FailAt }): TappedModel {
  const init = (k: number) => tf.initializers.heNormal({ seed: seed * 10 + k });
  const conv = (name: string, filters: number, strides = 1) => tf.layers.conv2d({ name, filters, kernelSize: 3, strides, padding: 'same', kernelInitializer: init(filters + strides) });
  const input = tf.input({ shape: [SIDE, SIDE, 1], name: 'input' });
  const a = tf.layers.reLU({ name: 'a' }).apply(tf.layers.batchNormalization({ name: 'bn1' }).apply(conv('c1', 4).apply(input))) as tf.SymbolicTensor;
  const b = tf.layers.reLU({ name: 'b' }).apply(tf.layers.add({ name: 'add' }).apply([conv('c2', 4).apply(a) as tf.SymbolicTensor, a])) as tf.SymbolicTensor;
  const c3 = conv('c3', 8, 2).apply(b) as tf.SymbolicTensor;
  const c = tf.layers.reLU({ name: 'c' }).apply(failure ? new Failing(failure).apply(c3) : c3) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ name: 'logits', units: 3, kernelInitializer: init(99) }).apply(tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(c)) as tf.SymbolicTensor;
  return tapModel(tf.model({ inputs: input, outputs: logits, name: `tiny${seed}` }), ['a', 'b', 'c'], [[0, 1], [1, 2]]);
}

const n = 12;
const dataset = datasetFromArrays({
  name: 'leak',
  images: Float32Array.from({ length: n * SIDE * SIDE }, (_, i) => Math.sin(0.37 * i)),
  shape: [n, SIDE, SIDE, 1],
  labels: Array.from({ length: n }, (_, i) => i % 3),
  numClasses: 3,
  augment: { pad: 1, flip: true },
});

describe('no tensor leaks', () => {
  it('numTensors is flat over 500 steps in all stages, with evaluations and state round trips', () => {
    // Per sample: 4×4 + 4×8 floats = 192 bytes; 1500 bytes hold 7 of the 12 samples, so entries are evicted.
    const [teacher, student] = [tiny(1), tiny(2)];
    const start = tf.memory().numTensors; // the models' weights
    const trainer = new Trainer({ teacher, student, shuffle: { seed: 1 }, cacheBytes: 1500, data: { dataset, batchSize: 4, seed: 5, augment: { fsp: false } } });
    const external = dataset.gather([0, 1, 2, 3]);
    // Warm-up: one step per stage creates each stage's momentum buffers (kept for the trainer's life).
    for (const s of ['teacher', 'cross_entropy', 'fsp'] as Stage[]) {
      trainer.setStage(s);
      trainer.nextStep();
    }
    const baseline = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const plan: Stage[] = [...Array(200).fill('fsp'), ...Array(100).fill('cross_entropy'), ...Array(100).fill('teacher'), ...Array(100).fill('fsp')];
    const drift: string[] = [];
    let hits = 0;
    plan.forEach((stage, i) => {
      if (trainer.stage !== stage) trainer.setStage(stage);
      const r = i % 7 === 3 ? trainer.step({ ...external, labels: external.labels }) : trainer.nextStep();
      hits += r.teacherHits ?? 0;
      if (i % 100 === 50) {
        trainer.evaluate(dataset, { batchSize: 5 });
        trainer.importState(trainer.exportState());
      }
      const now = tf.memory().numTensors;
      if (now !== baseline && drift.length < 5) drift.push(`step ${i + 1} (${stage}): ${now} tensors, baseline ${baseline}`);
    });
    assert.deepEqual(drift, [], `tensor count drifted on ${backend}`);
    assert.equal(tf.memory().numBytes, bytes, 'bytes flat too');
    const stats = trainer.cache!.stats();
    assert.ok(hits > 0 && stats.evictions > 0, `the run exercised cache hits (${hits}) and evictions (${stats.evictions})`);
    assert.equal(trainer.stepsTaken, 503);
    trainer.dispose();
    external.images.dispose();
    assert.equal(tf.memory().numTensors, start, 'dispose frees the momentum buffers: only the models remain');
  });

  it('a tiny ResNet-8: flat over steps in every stage', () => {
    const trainer = new Trainer({
      teacher: buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 1 }),
      student: buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 2 }),
      data: { dataset, batchSize: 4, seed: 5 },
    });
    const counts: number[] = [];
    for (const s of ['teacher', 'cross_entropy', 'fsp'] as Stage[]) {
      trainer.setStage(s);
      trainer.nextStep(); // creates this stage's buffers
      const c = tf.memory().numTensors;
      for (let i = 0; i < 4; i++) trainer.nextStep();
      counts.push(tf.memory().numTensors - c);
    }
    trainer.evaluate(dataset);
    assert.deepEqual(counts, [0, 0, 0], `tensors gained per stage over 4 steps on ${backend}`);
    trainer.dispose();
  });

  it('a step that fails part way (forward pass, gradient, teacher pass) leaves numTensors and the counters unchanged; the next step trains', () => {
    const failure: { at: FailAt } = { at: null };
    const trainer = new Trainer({ teacher: tiny(1, failure), student: tiny(2, failure), distillation: { temperature: 2, alpha: 0.5 } });
    const batch = dataset.gather([0, 1, 2, 3]);
    // Stage 1's teacher pass runs only for samples the cache misses: two cached ids and two new ones.
    const halfCached = { ...dataset.gather([2, 3, 4, 5]), ids: ['2', '3', '4', '5'] };
    const leaks: string[] = [];
    const cases: [Stage, FailAt][] = [
      ['teacher', 'forward'],
      ['teacher', 'backward'],
      ['fsp', 'forward'],
      ['fsp', 'backward'],
      ['fsp', 'inference'],
      ['cross_entropy', 'forward'],
      ['cross_entropy', 'backward'],
      ['cross_entropy', 'inference'],
    ];
    for (const [stage, at] of cases) {
      trainer.setStage(stage);
      const ids = stage === 'fsp' ? { ids: ['0', '1', '2', '3'] } : {};
      trainer.step({ ...batch, ...ids }); // momentum buffers and (fsp) cache entries
      const tensors = tf.memory().numTensors;
      const steps = trainer.stepsTaken;
      failure.at = at;
      assert.throws(() => trainer.step(at === 'inference' && stage === 'fsp' ? halfCached : { ...batch, ...ids }), new RegExp(`injected: ${at}`), `${stage} ${at}`);
      failure.at = null;
      if (tf.memory().numTensors !== tensors) leaks.push(`${stage} ${at}: ${tf.memory().numTensors - tensors} tensors`);
      assert.equal(trainer.stepsTaken, steps, 'a failed step is not counted');
      const r = trainer.step({ ...batch, ...ids });
      assert.ok(Number.isFinite(r.loss) && r.step === steps + 1, `${stage}: the next step trains`);
      if (tf.memory().numTensors !== tensors) leaks.push(`${stage} ${at}, then a step: ${tf.memory().numTensors - tensors} tensors`);
    }
    assert.deepEqual(leaks, [], `tensors left by failed steps on ${backend}`);
    trainer.dispose();
    batch.images.dispose();
    halfCached.images.dispose();
  });
});
