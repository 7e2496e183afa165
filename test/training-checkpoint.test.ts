// src/training/checkpoint.ts: a run of N+k steps equals a run of N steps, a checkpoint, a restore into
// freshly built objects (other initial weights, a cold cache) and k more steps, bit for bit: losses,
// learning rates, weights of both models (BatchNorm statistics included) and optimizer buffers, across a
// stage switch, with augmentation and Student*† shuffling (pure-JS cpu backend). Also: the atomic write,
// damaged files, and restoring into something that does not fit.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { datasetFromArrays } from '../src/data/index.js';
import { buildResNet, type TappedModel } from '../src/models/index.js';
import { encodeCheckpoint, readCheckpointFile, restoreCheckpoint, saveCheckpoint } from '../src/training/checkpoint.js';
import { Trainer, type StepResult } from '../src/training/trainer.js';
import { stateWithOldStageName } from './helpers/old-stage-name.js';

const SIDE = 4;
let tmp: string;
before(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'fspd-ckpt-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const N = 10;
const images = Float32Array.from({ length: N * SIDE * SIDE }, (_, i) => Math.sin(0.41 * i) + 0.2 * Math.cos(0.07 * i * i));
const dataset = datasetFromArrays({ name: 'ck', images, shape: [N, SIDE, SIDE, 1], labels: Array.from({ length: N }, (_, i) => (i * 7) % 3), numClasses: 3 });

/** A trainer as a session would build it; `seeds` only change the initial weights (a restore must overwrite them). */
function makeTrainer(seeds: [number, number]): { trainer: Trainer; teacher: TappedModel; student: TappedModel } {
  const teacher = buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: seeds[0] });
  const student = buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: seeds[1] });
  const trainer = new Trainer({
    teacher,
    student,
    shuffle: { seed: 3 },
    schedules: { fsp: { values: [1e-3, 1e-4], boundaries: [3], total: 5 }, cross_entropy: { values: [0.1, 0.01], boundaries: [2], total: 4 } },
    data: { dataset, batchSize: 4, seed: 21, augment: { cross_entropy: { pad: 1, flip: true } } },
  });
  return { trainer, teacher, student };
}

/** The plan: 5 fsp steps, then stage 2 for 4 steps. Runs steps [from, to) of it. */
function run(trainer: Trainer, from: number, to: number): StepResult[] {
  const out: StepResult[] = [];
  for (let i = from; i < to; i++) {
    if (i === 5) trainer.setStage('cross_entropy');
    out.push(trainer.nextStep());
  }
  return out;
}

const snapshot = (m: TappedModel) => m.model.weights.map((w) => Array.from(w.read().dataSync() as Float32Array));
const comparable = (r: StepResult) => ({ stage: r.stage, step: r.step, stageStep: r.stageStep, lr: r.lr, loss: r.loss, accuracy: r.accuracy });

describe('checkpoint resume', () => {
  let reference: { results: StepResult[]; teacher: number[][]; student: number[][]; optimizer: unknown };
  before(() => {
    const { trainer, teacher, student } = makeTrainer([1, 2]);
    const results = run(trainer, 0, 9);
    reference = { results, teacher: snapshot(teacher), student: snapshot(student), optimizer: trainer.exportState().arrays };
    trainer.dispose();
  });

  for (const cut of [3, 5, 7]) {
    it(`N=${cut}, save, restore into fresh objects, ${9 - cut} more steps = the uninterrupted run, bit for bit`, async () => {
      const a = makeTrainer([1, 2]);
      const first = run(a.trainer, 0, cut);
      first.forEach((r, i) => assert.deepEqual(comparable(r), comparable(reference.results[i]!), `step ${i + 1} before the cut`));
      const file = path.join(tmp, `cut${cut}.fspckpt`);
      const info = await saveCheckpoint(a.trainer, file);
      assert.equal(info.meta.step, cut);
      a.trainer.dispose();

      const b = makeTrainer([101, 102]); // other initial weights
      assert.notDeepEqual(snapshot(b.student), snapshot(a.student), 'the fresh student starts elsewhere');
      await restoreCheckpoint(b.trainer, file);
      assert.deepEqual([b.trainer.stepsTaken, b.trainer.stage], [cut, cut <= 5 ? 'fsp' : 'cross_entropy'], 'counters and stage restored');
      const rest = run(b.trainer, cut, 9);
      rest.forEach((r, i) => assert.deepEqual(comparable(r), comparable(reference.results[cut + i]!), `step ${cut + i + 1} after the restore`));
      assert.deepEqual(snapshot(b.teacher), reference.teacher, 'teacher weights bit-identical');
      assert.deepEqual(snapshot(b.student), reference.student, 'student weights and BatchNorm statistics bit-identical');
      assert.deepEqual(b.trainer.exportState().arrays, reference.optimizer, 'every saved array (weights, momentum buffers) bit-identical');
      b.trainer.dispose();
    });
  }

  it('a restored trainer recomputes the teacher matrices (cold cache) and they equal the cached ones', async () => {
    const a = makeTrainer([1, 2]);
    run(a.trainer, 0, 3);
    const file = path.join(tmp, 'cold.fspckpt');
    await saveCheckpoint(a.trainer, file);
    const warm = run(a.trainer, 3, 5);
    const b = makeTrainer([1, 2]);
    await restoreCheckpoint(b.trainer, file);
    const cold = run(b.trainer, 3, 5);
    assert.deepEqual(warm.map((r) => r.teacherHits), [4, 4], 'the uninterrupted run hits its cache (epoch 2)');
    assert.deepEqual(cold.map((r) => r.teacherMisses), [4, 4], 'the restored one computes');
    assert.deepEqual(cold.map((r) => r.loss), warm.map((r) => r.loss), 'same losses');
    a.trainer.dispose();
    b.trainer.dispose();
  });
});

describe('checkpoint files', () => {
  it('are replaced atomically: no temporary file is left, the old checkpoint is whole until the rename', async () => {
    const dir = await fs.mkdtemp(path.join(tmp, 'atomic-'));
    const file = path.join(dir, 'run.fspckpt');
    const { trainer } = makeTrainer([1, 2]);
    await saveCheckpoint(trainer, file);
    const first = await fs.readFile(file);
    run(trainer, 0, 1);
    await saveCheckpoint(trainer, file);
    assert.deepEqual(await fs.readdir(dir), ['run.fspckpt'], 'only the checkpoint');
    const second = await readCheckpointFile(file);
    assert.equal(second.info.meta.step, 1, 'the new one replaced the old');
    assert.notDeepEqual(await fs.readFile(file), first);

    // A save that fails (the target is a directory) leaves no temporary file and the old checkpoint intact.
    const blocked = path.join(dir, 'blocked');
    await fs.mkdir(path.join(blocked, 'x'), { recursive: true });
    await assert.rejects(saveCheckpoint(trainer, blocked), /EISDIR|ENOTEMPTY|EEXIST|EPERM/);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['blocked', 'run.fspckpt'], 'no temporary file left behind');
    assert.equal((await readCheckpointFile(file)).info.meta.step, 1);
    trainer.dispose();
  });

  it('detect damage and truncation, and files that are not checkpoints', async () => {
    const file = path.join(tmp, 'damage.fspckpt');
    const { trainer } = makeTrainer([1, 2]);
    await saveCheckpoint(trainer, file);
    const bytes = await fs.readFile(file);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3]! ^= 0x40;
    await fs.writeFile(path.join(tmp, 'flipped'), flipped);
    await assert.rejects(readCheckpointFile(path.join(tmp, 'flipped')), /damaged \(SHA-256 of the data does not match the header\)/);
    await fs.writeFile(path.join(tmp, 'short'), bytes.subarray(0, bytes.length - 8));
    await assert.rejects(readCheckpointFile(path.join(tmp, 'short')), /truncated or padded/);
    await fs.writeFile(path.join(tmp, 'other'), 'hello');
    await assert.rejects(readCheckpointFile(path.join(tmp, 'other')), /not an fspd checkpoint/);
    await assert.rejects(readCheckpointFile(path.join(tmp, 'missing')), /cannot read checkpoint \(ENOENT\)/);
    trainer.dispose();
  });

  it("written before stage 2 was renamed ('task', not 'cross_entropy') restore to the same state", async () => {
    const a = makeTrainer([1, 2]);
    run(a.trainer, 0, 7); // in stage 2, with momentum buffers of both stages
    const state = a.trainer.exportState();
    const old = stateWithOldStageName(state);
    assert.ok([...old.arrays.keys()].some((k) => k.startsWith('opt.task#')), 'the old file has stage-2 momentum buffers');
    const file = path.join(tmp, 'old-stage-name.fspckpt');
    await fs.writeFile(file, encodeCheckpoint(old));
    const header = (await fs.readFile(file)).toString('latin1');
    assert.ok(header.includes('"stage":"task"') && !header.includes('cross_entropy'), 'the file carries the old name only');

    const b = makeTrainer([101, 102]);
    await restoreCheckpoint(b.trainer, file);
    assert.equal(b.trainer.stage, 'cross_entropy');
    assert.deepEqual(b.trainer.exportState(), state, 'the same meta and arrays as the trainer that was saved');
    assert.deepEqual(run(b.trainer, 7, 9).map(comparable), run(a.trainer, 7, 9).map(comparable), 'and the same next steps');
    a.trainer.dispose();
    b.trainer.dispose();
  });

  it('refuse to restore into a trainer that does not fit, changing nothing', async () => {
    const file = path.join(tmp, 'fit.fspckpt');
    const { trainer } = makeTrainer([1, 2]);
    run(trainer, 0, 2);
    await saveCheckpoint(trainer, file);
    trainer.dispose();

    const deeper = new Trainer({
      teacher: buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 1 }),
      student: buildResNet({ depth: 14, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 2 }),
      shuffle: { seed: 3 },
    });
    await assert.rejects(restoreCheckpoint(deeper, file), /checkpoint: student has \d+ weights, this student has \d+/);
    assert.equal(deeper.stepsTaken, 0, 'nothing changed');

    const noStudent = new Trainer({ teacher: buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 1 }) });
    await assert.rejects(restoreCheckpoint(noStudent, file), /checkpoint: it has student, this trainer has no student/);

    const otherPooling = makeTrainer([1, 2]).trainer;
    const { state } = await readCheckpointFile(file);
    assert.throws(() => otherPooling.importState({ ...state, meta: { ...state.meta, pooling: 'avg' } }), /checkpoint: FSP settings .* differ from this trainer's/);
    const otherData = new Trainer({
      teacher: buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 1 }),
      student: buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 2 }),
      shuffle: { seed: 3 },
      data: { dataset, batchSize: 5, seed: 21 },
    });
    const before = otherData.exportState();
    await assert.rejects(restoreCheckpoint(otherData, file), /data state: batchSize is 4 in the checkpoint, 5 here/);
    assert.deepEqual(otherData.exportState().arrays, before.arrays, 'weights untouched by the failed restore');
    [deeper, noStudent, otherPooling, otherData].forEach((t) => t.dispose());
  });
});
