// src/training/trainer.ts (+ sampler.ts): the three stages on tiny ResNets (pure-JS cpu backend): stage 1
// lowers the FSP loss and leaves the teacher bit-exactly unchanged, stage 2 lowers the cross-entropy, the
// teacher stage trains the teacher; schedules per stage; the data stream (un-augmented stage 1, so the
// cache hits from the second epoch); evaluation against an independent computation; clear errors.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { NO_AUG, type Dataset } from '../src/data/index.js';
import { buildResNet, forwardWithTaps, type TappedModel } from '../src/models/index.js';
import { BatchSampler } from '../src/training/sampler.js';
import { StageError } from '../src/training/stage.js';
import { Trainer, type TrainBatch } from '../src/training/trainer.js';
import { TOY_CLASSES, TOY_SIDE, toyImages } from './helpers/toy-images.js';

before(async () => {
  await tf.setBackend('cpu');
});

const resnet = (seed: number, widthMultiplier = 1) => buildResNet({ depth: 8, inputShape: [TOY_SIDE, TOY_SIDE, 1], numClasses: TOY_CLASSES, seed, widthMultiplier });

/** n samples whose class shows in the image (brighter top / left / bottom), plus noise. */
const toyDataset = (n: number, name = 'toy'): Dataset => toyImages(n, { name, noise: 0.3, flip: true });

const weightsOf = (m: TappedModel) => m.model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
const fixedBatch = (ds: Dataset, n: number): TrainBatch & { images: tf.Tensor4D } => ds.gather(Array.from({ length: n }, (_, i) => i));

describe('stage fsp (stage 1)', () => {
  it('lowers the FSP loss, serves the teacher from the cache after the first step, and leaves the teacher unchanged bit-exactly', () => {
    const teacher = resnet(1);
    const student = resnet(2);
    const teacherBefore = weightsOf(teacher);
    const studentBefore = weightsOf(student);
    const trainer = new Trainer({ teacher, student });
    assert.equal(trainer.stage, 'fsp', 'both models: stage 1 first');
    const batch = fixedBatch(toyDataset(6), 6);
    const results = Array.from({ length: 8 }, () => trainer.step(batch, { expectStage: 'fsp' }));
    const losses = results.map((r) => r.loss);
    assert.ok(losses.at(-1)! < 0.5 * losses[0]!, `FSP loss ${losses.map((l) => l.toFixed(1)).join(' → ')}`);
    assert.deepEqual(results.map((r) => [r.teacherHits, r.teacherMisses]), [[0, 6], ...Array(7).fill([6, 0])], 'misses once, then hits');
    assert.deepEqual(results.map((r) => r.lr), Array(8).fill(1e-3), "the paper's stage-1 rate");
    assert.deepEqual(results.map((r) => [r.step, r.stageStep]), results.map((_, i) => [i + 1, i + 1]));
    assert.equal(results[7]!.cache?.entries, 18, '6 samples × 3 pairs cached');
    weightsOf(teacher).forEach((w, i) => assert.deepEqual(w, teacherBefore[i], `teacher weight ${teacher.model.weights[i]!.originalName} unchanged`));
    const changed = weightsOf(student).filter((w, i) => w.some((v, j) => v !== studentBefore[i]![j]));
    assert.ok(changed.length > 20, `student weights changed (${changed.length} of ${studentBefore.length})`);
    trainer.dispose();
    batch.images.dispose();
  });

  it('weights the pairs (λ) and reduces as asked', () => {
    const teacher = resnet(1);
    const student = resnet(2);
    const batch = fixedBatch(toyDataset(4), 4);
    const stepWith = (opts: { pairWeights?: number[]; reduction?: 'paper' | 'mean' }) => {
      const s = resnet(2);
      const t = new Trainer({ teacher, student: s, ...opts });
      const r = t.step(batch);
      t.dispose();
      return r;
    };
    const lossWith = (opts: { pairWeights?: number[]; reduction?: 'paper' | 'mean' }) => stepWith(opts).loss;
    const { loss: all, pairLosses } = stepWith({});
    const parts = [0, 1, 2].map((p) => lossWith({ pairWeights: [0, 1, 2].map((q) => (q === p ? 1 : 0)) }));
    const sum = parts.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - all) <= 1e-5 * all, `Σ single-pair losses ${sum} = loss ${all}`);
    // The step's own per-pair report matches the single-pair runs (same seeded students, same batch).
    assert.equal(pairLosses?.length, 3, 'one loss per pair');
    pairLosses!.forEach((l, i) => assert.ok(Math.abs(l - parts[i]!) <= 1e-5 * parts[i]!, `pairLosses[${i}] ${l} = single-pair loss ${parts[i]}`));
    const mean = lossWith({ reduction: 'mean' });
    const entries = [16 * 16, 16 * 32, 32 * 64];
    const expectMean = parts.reduce((a, p, i) => a + p / entries[i]!, 0);
    assert.ok(Math.abs(mean - expectMean) <= 1e-5 * expectMean, `mean reduction ${mean} = Σ pair/entries ${expectMean}`);
    assert.throws(() => new Trainer({ teacher, student, pairWeights: [1, 1] }), /pairWeights: expected 3 weights/);
    batch.images.dispose();
  });
});

describe('stage cross_entropy (stage 2)', () => {
  it('lowers the cross-entropy on the student only', () => {
    const teacher = resnet(1);
    const student = resnet(2);
    const teacherBefore = weightsOf(teacher);
    const trainer = new Trainer({ teacher, student, stage: 'cross_entropy', schedules: { cross_entropy: { values: [0.05], boundaries: [], total: 100 } } });
    const batch = fixedBatch(toyDataset(6), 6);
    const results = Array.from({ length: 10 }, () => trainer.step(batch));
    const losses = results.map((r) => r.loss);
    assert.ok(losses.at(-1)! < 0.7 * losses[0]!, `cross-entropy ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
    assert.ok(results.every((r) => r.stage === 'cross_entropy' && r.lr === 0.05 && r.teacherHits === undefined && typeof r.accuracy === 'number'), 'stage 2 results');
    weightsOf(teacher).forEach((w, i) => assert.deepEqual(w, teacherBefore[i], 'teacher untouched'));
    trainer.dispose();
    batch.images.dispose();
  });
});

describe('stage teacher', () => {
  it('trains the teacher with cross-entropy, leaves the student alone, and invalidates cached teacher matrices', () => {
    const teacher = resnet(1);
    const student = resnet(2);
    const trainer = new Trainer({ teacher, student, schedules: { teacher: { values: [0.05], boundaries: [], total: 10 } } });
    const batch = fixedBatch(toyDataset(6), 6);
    assert.deepEqual([trainer.step(batch).teacherMisses, trainer.step(batch).teacherHits], [6, 6], 'cache warm');
    const key = trainer.teacherKey;
    trainer.setStage('teacher');
    const studentBefore = weightsOf(student);
    const teacherBefore = weightsOf(teacher);
    const losses = Array.from({ length: 8 }, () => trainer.step(batch).loss);
    assert.ok(losses.at(-1)! < 0.7 * losses[0]!, `teacher cross-entropy ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
    weightsOf(student).forEach((w, i) => assert.deepEqual(w, studentBefore[i], 'student untouched'));
    assert.ok(weightsOf(teacher).some((w, i) => w.some((v, j) => v !== teacherBefore[i]![j])), 'teacher changed');
    assert.notEqual(trainer.teacherKey, key, 'the cache key names the new teacher');
    trainer.setStage('fsp');
    const r = trainer.step(batch);
    assert.deepEqual([r.teacherHits, r.teacherMisses, r.stageStep, r.step], [0, 6, 3, 11], 'old matrices are not served; counters per stage and overall');
    trainer.dispose();
    batch.images.dispose();
  });
});

describe('schedules and the data stream', () => {
  it('uses each stage’s own schedule, counted in that stage’s steps; switching back continues it', () => {
    const trainer = new Trainer({
      teacher: resnet(1),
      student: resnet(2),
      schedules: { fsp: { values: [1e-3, 1e-4], boundaries: [2], total: 3 }, cross_entropy: { values: [0.1, 0.01], boundaries: [1], total: 2 } },
      data: { dataset: toyDataset(6), batchSize: 3, seed: 1 },
    });
    assert.equal(trainer.remaining, 3);
    const lrs = trainer.train().map((r) => r.lr);
    assert.deepEqual(lrs, [1e-3, 1e-3, 1e-4], 'train() runs the rest of the schedule');
    assert.equal(trainer.remaining, 0);
    trainer.setStage('cross_entropy');
    assert.deepEqual(trainer.train().map((r) => [r.stage, r.lr, r.stageStep, r.step]), [['cross_entropy', 0.1, 1, 4], ['cross_entropy', 0.01, 2, 5]]);
    trainer.setStage('fsp');
    assert.deepEqual([trainer.learningRate(), trainer.stageStep()], [1e-4, 3], 'past the end the last rate holds');
    trainer.dispose();
  });

  it('draws un-augmented batches in stage 1 (cache hits from the second epoch) and augmented ones in stage 2', () => {
    const ds = toyDataset(6);
    const trainer = new Trainer({ teacher: resnet(1), student: resnet(2), data: { dataset: ds, batchSize: 3, seed: 9 } });
    const fsp = trainer.train(4);
    assert.deepEqual(fsp.map((r) => [r.teacherHits, r.teacherMisses]), [[0, 3], [0, 3], [3, 0], [3, 0]], 'epoch 2 is all hits');
    trainer.dispose();

    // The stream itself: the same seed gives the same order; stage 1 takes no augmentation, stage 2 does.
    const a = new BatchSampler(ds, { batchSize: 3, seed: 9 });
    const b = new BatchSampler(ds, { batchSize: 3, seed: 9 });
    const plain = a.next(false);
    const same = b.next(false);
    assert.deepEqual(plain.ids, same.ids, 'same seed, same order');
    assert.deepEqual(plain.aug, [NO_AUG, NO_AUG, NO_AUG]);
    assert.notDeepEqual(plain.ids, ['toy:0', 'toy:1', 'toy:2'], 'shuffled');
    const augmented = a.next(true);
    assert.ok(augmented.aug.some((p) => p.dx !== 0 || p.dy !== 0 || p.flip), `augmented: ${JSON.stringify(augmented.aug)}`);
    const third = a.next(false);
    assert.equal(third.epoch, 1, 'the third batch of 3 from 6 samples starts epoch 1');
    assert.deepEqual(new Set([...plain.ids, ...augmented.ids]).size, 6, 'an epoch covers every sample once');
    tf.dispose([plain.images, same.images, augmented.images, third.images]);
  });
});

describe('evaluate', () => {
  it('returns top-1 accuracy and mean cross-entropy of an inference-mode forward (checked independently)', () => {
    const student = resnet(4);
    const ds = toyDataset(7);
    const trainer = new Trainer({ student });
    // A few steps so BatchNorm statistics and weights are not at their initial values.
    const batch = fixedBatch(ds, 7);
    for (let i = 0; i < 3; i++) trainer.step(batch);
    const r = trainer.evaluate(ds, { batchSize: 3 });

    const { logits, features } = forwardWithTaps(student, batch.images, { training: false });
    const z = logits.arraySync();
    tf.dispose([logits, ...features]);
    let correct = 0;
    let loss = 0;
    z.forEach((row, i) => {
      const label = ds.label(i);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      loss += lse - row[label]!;
      if (row.indexOf(max) === label) correct++;
    });
    assert.equal(r.samples, 7);
    assert.equal(r.accuracy, correct / 7, `accuracy ${r.accuracy} vs ${correct}/7`);
    assert.ok(Math.abs(r.loss - loss / 7) <= 1e-5 * Math.max(1, loss / 7), `loss ${r.loss} vs ${loss / 7}`);

    // From batches: disposed after use unless asked not to.
    const before = tf.memory().numTensors;
    const mine = [fixedBatch(ds, 7)];
    const fromList = trainer.evaluate(mine, { disposeBatches: false });
    assert.deepEqual([fromList.accuracy, fromList.samples], [r.accuracy, r.samples], 'same result from a batch list');
    assert.ok(Math.abs(fromList.loss - r.loss) <= 1e-6 * r.loss, `loss ${fromList.loss} vs ${r.loss} (one batch of 7 vs 3+3+1)`);
    assert.equal(mine[0]!.images.isDisposed, false, 'kept');
    trainer.evaluate(mine);
    assert.equal(mine[0]!.images.isDisposed, true, 'disposed by default');
    assert.equal(tf.memory().numTensors, before, 'no tensors left');
    assert.throws(() => trainer.evaluate([]), /evaluate: no samples/);
    trainer.dispose();
    batch.images.dispose();
  });
});

describe('errors', () => {
  it('wrong-stage calls throw StageError with a clear message', () => {
    const teacher = resnet(1);
    const student = resnet(2);
    const onlyStudent = new Trainer({ student });
    assert.equal(onlyStudent.stage, 'cross_entropy');
    assert.throws(() => onlyStudent.setStage('fsp'), (e: Error) => e instanceof StageError && /^stage 'fsp' needs a teacher, and this trainer has none$/.test(e.message));
    assert.throws(() => onlyStudent.setStage('teacher'), (e: Error) => e instanceof StageError && /stage 'teacher' needs a teacher/.test(e.message));
    assert.throws(() => onlyStudent.evaluate(toyDataset(3), { model: 'teacher' }), (e: Error) => e instanceof StageError && e.message === "evaluate (model 'teacher') needs a teacher, and this trainer has none");
    const onlyTeacher = new Trainer({ teacher });
    assert.equal(onlyTeacher.stage, 'teacher');
    assert.throws(() => onlyTeacher.setStage('cross_entropy'), (e: Error) => e instanceof StageError && /stage 'cross_entropy' needs a student/.test(e.message));
    assert.throws(() => new Trainer({ teacher, stage: 'fsp' }), (e: Error) => e instanceof StageError && /stage 'fsp' needs a student/.test(e.message));

    const both = new Trainer({ teacher, student });
    const batch = fixedBatch(toyDataset(3), 3);
    assert.throws(() => both.step(batch, { expectStage: 'cross_entropy' }), (e: Error) => e instanceof StageError && e.message === "the trainer is in stage 'fsp', not 'cross_entropy'; call setStage('cross_entropy') first");
    assert.equal(both.stepsTaken, 0, 'nothing happened');
    assert.throws(() => both.setStage('stage2' as never), /^RangeError: stage: expected one of teacher, fsp, cross_entropy, got "stage2"$/);
    const flat = { values: [0.1], boundaries: [], total: 10 };
    assert.throws(() => new Trainer({ student, schedules: { task: flat } as never }), /^RangeError: schedules: expected one of teacher, fsp, cross_entropy, got "task"$/);
    assert.throws(() => new Trainer({ student, data: { dataset: toyDataset(3), batchSize: 3, seed: 1, augment: { stage2: true } as never } }), /^RangeError: data\.augment: expected one of .*, got "stage2"$/);

    const wide = resnet(3, 2);
    assert.throws(() => new Trainer({ teacher, student: wide }), (e: Error) => e instanceof StageError && /pair 0 is 16×16 in the teacher but 32×32 in the student/.test(e.message));
    const baseline = new Trainer({ teacher, student: wide, stage: 'cross_entropy' });
    assert.throws(() => baseline.setStage('fsp'), StageError, 'incompatible pairs are checked on every switch to fsp');
    assert.throws(() => both.nextStep(), /nextStep: this trainer has no data stream/);
    assert.throws(() => new Trainer({}), /give a teacher, a student or both/);
    [onlyStudent, onlyTeacher, both, baseline].forEach((t) => t.dispose());
    batch.images.dispose();
  });

  it('checks batches against the model and the stage', () => {
    const trainer = new Trainer({ teacher: resnet(1), student: resnet(2), stage: 'cross_entropy' });
    const good = fixedBatch(toyDataset(3), 3);
    const wrongShape = tf.zeros([3, 5, 5, 1]) as tf.Tensor4D;
    assert.throws(() => trainer.step({ images: wrongShape, labels: [0, 1, 2] }), /^RangeError: images: shape \[3,5,5,1\] does not fit the model input \[batch, 4, 4, 1\]$/);
    assert.throws(() => trainer.step({ images: good.images }), /^RangeError: labels: stage 'cross_entropy' \(cross-entropy\) and evaluation need labels$/);
    assert.throws(() => trainer.step({ images: good.images, labels: [0, 1] }), /labels: 2 labels for 3 images/);
    assert.throws(() => trainer.step({ images: good.images, labels: [0, 1, 3] }), /labels\[2\]: 3 is not a class in 0\.\.2/);
    assert.throws(() => trainer.step({ images: good.images, labels: [0, 1, 2], ids: ['a'] }), /ids: 1 ids for 3 images/);
    assert.equal(trainer.stepsTaken, 0, 'no step was taken');
    trainer.setStage('fsp');
    assert.equal(trainer.step({ images: good.images }).teacherMisses, 3, 'stage 1 needs no labels; without ids it runs the teacher');
    trainer.dispose();
    tf.dispose([good.images, wrongShape]);
  });
});
