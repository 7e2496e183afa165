// TrainingService and TeacherFsp over real loopback gRPC (through src/client): every RPC including the
// streams, one test per error path, cancellation and deadlines of a Run (tensors back to the baseline),
// checkpoints, and `fspd serve` stopped by SIGTERM during a Run, restarted, resuming the session.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import { pino } from 'pino';
import { FspdClient, FspdError, fromFloatTensor, toBatch, toTensor, type Batch, type RunResponse } from '../src/client/index.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../src/server/config.js';
import type { SessionSpec__Output } from '../src/generated/fspd/v1/SessionSpec.js';
import { toBfloat16, toFloat16 } from '../src/server/half-precision.js';
import { MemoryBudget } from '../src/server/memory-budget.js';
import { ModelRegistry } from '../src/server/registry.js';
import { startServer, type FspdServer } from '../src/server/server.js';
import type { DecodedBatch } from '../src/server/sessions-data.js';
import { SessionManager } from '../src/server/sessions.js';
import { normalizeSpec } from '../src/server/training-messages.js';
import { serveChild } from './helpers/child-server.js';
import { scalarsOf } from './helpers/tfevents.js';

const TINY = { depth: 8, inputShape: [8, 8, 1] };
const DIGITS = { depth: 8, inputShape: [28, 28, 1] };
const MNIST = { name: 'DATASET_NAME_MNIST' as const, limit: 64 };
const MNIST_TEST = { name: 'DATASET_NAME_MNIST' as const, split: 'SPLIT_TEST' as const, limit: 32 };

async function start(overrides: Partial<ServerConfig> = {}): Promise<{ server: FspdServer; client: FspdClient; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-training-'));
  const server = await startServer(
    { ...DEFAULT_CONFIG, addresses: ['127.0.0.1:0'], metricsAddress: '127.0.0.1:0', shutdownGraceMs: 2000, checkpointDir: dir, ...overrides },
    pino({ level: 'silent' }),
  );
  return { server, client: new FspdClient({ address: server.addresses[0]!, deadlineMs: 60_000 }), dir };
}

async function expectStatus(promise: Promise<unknown>, code: grpc.status, details: RegExp): Promise<void> {
  await assert.rejects(promise, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `expected ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.details}`);
    assert.match(err.details, details, `details of ${grpc.status[code]}`);
    return true;
  });
}

/** A batch for the 8×8×1 models: seeded images, labels 0..9, optional sample ids. */
function batchOf(n: number, seed: number, { labels = true, ids }: { labels?: boolean; ids?: string[] } = {}): Batch {
  let s = seed;
  const data = Float32Array.from({ length: n * 64 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
  return toBatch({ data, shape: [n, 8, 8, 1] }, labels ? Array.from({ length: n }, (_, i) => i % 10) : null, ids);
}

/** Collects a Run's events; stops (cancelling it) after `until` returns true. */
async function collect(events: AsyncIterable<RunResponse>, until: (e: RunResponse, all: RunResponse[]) => boolean = () => false): Promise<RunResponse[]> {
  const all: RunResponse[] = [];
  for await (const e of events) {
    all.push(e);
    if (until(e, all)) break;
  }
  return all;
}

/** Polls until the session is idle (a stopped Run releases it at its next step boundary). */
async function idle(client: FspdClient, id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await client.getSession(id)).state === 'SESSION_STATE_IDLE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`session ${id} did not become idle`);
}

let server: FspdServer;
let client: FspdClient;
let dir: string;

before(async () => {
  ({ server, client, dir } = await start({ maxSessions: 6 }));
  await client.createModel({ modelId: 'teacher', resnet: { ...TINY, seed: 1 } });
  await client.createModel({ modelId: 'digits-teacher', resnet: { ...DIGITS, seed: 1 } });
});

after(async () => {
  client.close();
  await server.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

let nextModel = 0;
/** A fresh 8×8 student and a session on it (stage 1 with the 8×8 teacher unless `teacher` is false). */
async function session(opts: { teacher?: boolean; digits?: boolean; spec?: object; stage?: 'STAGE_FSP' | 'STAGE_CROSS_ENTROPY' } = {}): Promise<string> {
  const id = `s${++nextModel}`;
  await client.createModel({ modelId: `${id}-model`, resnet: { ...(opts.digits ? DIGITS : TINY), seed: 2 } });
  const teacher = opts.teacher === false ? '' : opts.digits ? 'digits-teacher' : 'teacher';
  await client.createSession({ sessionId: id, spec: { studentModelId: `${id}-model`, teacherModelId: teacher, seed: 3, ...opts.spec }, ...(opts.stage ? { stage: opts.stage } : {}) });
  return id;
}

async function drop(id: string): Promise<void> {
  await client.deleteSession(id);
  await client.deleteModel(`${id}-model`);
}

describe('CreateSession, GetSession, ListSessions, DeleteSession', () => {
  it('fills in the defaults: stage 1 with a teacher, the models pairs, the paper schedules', async () => {
    const id = await session();
    const s = await client.getSession(id);
    assert.equal(s.stage, 'STAGE_FSP');
    assert.equal(s.state, 'SESSION_STATE_IDLE');
    assert.equal(s.step, 0);
    assert.ok(Math.abs(s.learningRate - 1e-3) < 1e-9, `lr ${s.learningRate}`);
    const spec = s.spec!;
    assert.deepEqual(spec.pairs.map((p) => [p.student!.first, p.student!.second, p.teacher!.first, p.teacher!.second]), [[0, 1, 0, 1], [1, 2, 1, 2], [2, 3, 2, 3]]);
    assert.deepEqual(spec.weights, [1, 1, 1]);
    assert.equal(spec.reduction, 'REDUCTION_PAPER');
    assert.equal(spec.pooling, 'POOLING_MAX');
    assert.equal(spec.optimizer!.kind, 'OPTIMIZER_KIND_SGD');
    assert.deepEqual(spec.fspSchedule!.untilSteps, [11000, 16000, 21000]);
    assert.deepEqual(spec.crossEntropySchedule!.untilSteps, [11000, 16000, 21000]);
    assert.equal(spec.cacheTeacherFsp, true);
    assert.equal(spec.seed, 3);
    assert.ok((await client.listSessions()).some((x) => x.sessionId === id), 'listed');
    assert.deepEqual((await client.getModel('teacher')).sessionIds.includes(id), true, 'the teacher knows its session');

    const plain = await session({ teacher: false });
    assert.equal((await client.getSession(plain)).stage, 'STAGE_CROSS_ENTROPY', 'no teacher: stage 2');
    assert.ok(Math.abs((await client.getSession(plain)).learningRate - 0.1) < 1e-7);
    await drop(id);
    await drop(plain);
  });

  it('ALREADY_EXISTS for a taken id', async () => {
    const id = await session({ teacher: false });
    await client.createModel({ modelId: 'other-student', resnet: TINY });
    await expectStatus(client.createSession({ sessionId: id, spec: { studentModelId: 'other-student' } }), grpc.status.ALREADY_EXISTS, /^session_id: session 's\d+' already exists/);
    await client.deleteModel('other-student');
    await drop(id);
  });

  it('NOT_FOUND for unknown sessions and models', async () => {
    await expectStatus(client.getSession('nope'), grpc.status.NOT_FOUND, /^session_id: no session 'nope'/);
    await expectStatus(client.deleteSession('nope'), grpc.status.NOT_FOUND, /no session 'nope'/);
    await expectStatus(client.createSession({ spec: { studentModelId: 'ghost' } }), grpc.status.NOT_FOUND, /^spec\.student_model_id: no model 'ghost'/);
    await client.createModel({ modelId: 'nf-student', resnet: TINY });
    await expectStatus(client.createSession({ spec: { studentModelId: 'nf-student', teacherModelId: 'ghost' } }), grpc.status.NOT_FOUND, /^spec\.teacher_model_id: no model 'ghost'/);
    await client.deleteModel('nf-student');
  });

  it('INVALID_ARGUMENT names the field', async () => {
    await client.createModel({ modelId: 'ia-student', resnet: TINY });
    const bad = (spec: object, details: RegExp, extra: object = {}) =>
      expectStatus(client.createSession({ spec: { studentModelId: 'ia-student', teacherModelId: 'teacher', ...spec }, ...extra }), grpc.status.INVALID_ARGUMENT, details);
    await expectStatus(client.createSession({}), grpc.status.INVALID_ARGUMENT, /^spec: missing/);
    await bad({ studentModelId: '' }, /^spec\.student_model_id: missing/);
    await bad({ teacherModelId: 'ia-student' }, /^spec\.teacher_model_id: the teacher must be another model/);
    await bad({ pairs: [{ student: { first: 0, second: 9 }, teacher: { first: 0, second: 1 } }] }, /^spec\.pairs\[0\]\.student\.second: 9 is not a tap index of model 'ia-student' \(0\.\.3\)/);
    await bad({ pairs: [{ student: { first: 0, second: 1 }, teacher: { first: 2, second: 3 } }] }, /^spec\.pairs\[0\] gives 16×16 FSP matrices in the student and 32×64 in the teacher/);
    await bad({ weights: [1, -1, 1] }, /^spec\.weights\[1\]: expected a finite number >= 0/);
    await bad({ weights: [1] }, /^spec\.weights: 1 weights for 3 pairs/);
    await bad({ fspSchedule: { learningRates: [0.1, 0.01], untilSteps: [10, 5] } }, /^spec\.fsp_schedule\.until_steps\[1\]: expected strictly increasing/);
    await bad({ crossEntropySchedule: { learningRates: [0.1], untilSteps: [] } }, /^spec\.cross_entropy_schedule\.until_steps: 0 steps for 1 learning rates/);
    await bad({ optimizer: { kind: 'OPTIMIZER_KIND_ADAM' } }, /^spec\.optimizer\.kind: OPTIMIZER_KIND_ADAM is not supported/);
    await bad({ optimizer: { momentum: 1.5 } }, /^spec\.optimizer\.momentum/);
    await bad({}, /^session_id: 'Not OK' is not an id/, { sessionId: 'Not OK' });
    await client.createModel({ modelId: 'ia-wide', resnet: { ...TINY, widthMultiplier: 2 } });
    await bad({ teacherModelId: 'ia-wide' }, /^spec\.pairs: the models' pair 0 gives 16×16 FSP matrices in the student and 32×32 in the teacher/);
    await client.createModel({ modelId: 'ia-big', resnet: { depth: 8, inputShape: [16, 16, 1] } });
    await bad({ teacherModelId: 'ia-big' }, /^spec\.teacher_model_id: the teacher takes \[16, 16, 1\], the student \[8, 8, 1\]/);
    for (const m of ['ia-student', 'ia-wide', 'ia-big']) await client.deleteModel(m);
  });

  it('FAILED_PRECONDITION: stage 1 without a teacher; a model that is already a student', async () => {
    await client.createModel({ modelId: 'fp-student', resnet: TINY });
    await expectStatus(client.createSession({ spec: { studentModelId: 'fp-student' }, stage: 'STAGE_FSP' }), grpc.status.FAILED_PRECONDITION, /^stage: STAGE_FSP needs a teacher/);
    await client.createSession({ sessionId: 'fp', spec: { studentModelId: 'fp-student' } });
    await expectStatus(client.createSession({ spec: { studentModelId: 'fp-student' } }), grpc.status.FAILED_PRECONDITION, /already the student of session 'fp'/);
    await client.deleteSession('fp');
    await client.deleteModel('fp-student');
  });

  it('RESOURCE_EXHAUSTED past the session limit', async () => {
    const small = await start({ maxSessions: 1 });
    try {
      await small.client.createModel({ modelId: 'a', resnet: TINY });
      await small.client.createModel({ modelId: 'b', resnet: TINY });
      await small.client.createSession({ spec: { studentModelId: 'a' } });
      await expectStatus(small.client.createSession({ spec: { studentModelId: 'b' } }), grpc.status.RESOURCE_EXHAUSTED, /limit of 1 sessions \(--max-sessions\)/);
    } finally {
      small.client.close();
      await small.server.shutdown();
      fs.rmSync(small.dir, { recursive: true, force: true });
    }
  });

  it('DeleteSession frees the optimiser state and removes the checkpoints; the models stay', async () => {
    const id = await session();
    const before = tf.memory().numTensors;
    await client.trainStep(id, batchOf(4, 1));
    await client.saveCheckpoint(id);
    assert.ok(tf.memory().numTensors > before, 'momentum buffers exist');
    assert.ok(fs.existsSync(path.join(dir, 'sessions', id, 'step-1.ckpt')), 'checkpoint file');
    await client.deleteSession(id);
    assert.equal(tf.memory().numTensors, before, 'back to the count before the first step');
    assert.equal(fs.existsSync(path.join(dir, 'sessions', id)), false, 'files removed');
    assert.deepEqual((await client.getModel(`${id}-model`)).sessionIds, [], 'the model stays, unused');
    await client.deleteModel(`${id}-model`);
  });
});

describe('TrainStep and Train', () => {
  it('TrainStep in stage 1: the FSP loss, and cache hits for repeated sample ids', async () => {
    const id = await session();
    const ids = ['a', 'b', 'c', 'd'];
    const first = await client.trainStep(id, batchOf(4, 1, { labels: false, ids }));
    assert.equal(first.stage, 'STAGE_FSP');
    assert.equal(first.step, 1);
    assert.equal(first.stageStep, 1);
    assert.ok(first.loss > 0 && Number.isFinite(first.loss), `loss ${first.loss}`);
    const pairSum = first.pairLosses.reduce((a, b) => a + b, 0);
    assert.ok(first.pairLosses.length >= 1 && Math.abs(pairSum - first.loss) <= 1e-6 * first.loss, `pair_losses ${first.pairLosses} sum to loss ${first.loss}`);
    assert.equal(first.cacheHits, 0);
    const second = await client.trainStep(id, batchOf(4, 1, { labels: false, ids }));
    assert.equal(second.cacheHits, 4, 'all four from the cache');
    const s = await client.getSession(id);
    assert.deepEqual([s.teacherCache!.hits, s.teacherCache!.misses, s.teacherCache!.entries], [4, 4, 4]);
    assert.equal(s.lastStep!.step, 2);
    await drop(id);
  });

  it('INVALID_ARGUMENT for bad batches, naming the field', async () => {
    const id = await session({ teacher: false });
    await expectStatus(client.trainStep(id, batchOf(4, 1, { labels: false })), grpc.status.INVALID_ARGUMENT, /^batch\.labels: missing; stage STAGE_CROSS_ENTROPY needs labels/);
    const wrong = toBatch({ data: new Float32Array(2 * 9 * 9), shape: [2, 9, 9, 1] }, [0, 1]);
    await expectStatus(client.trainStep(id, wrong), grpc.status.INVALID_ARGUMENT, /^batch\.images\.shape: \[2, 9, 9, 1\] does not fit model 's\d+-model'/);
    const b = batchOf(2, 1);
    await expectStatus(client.trainStep(id, { ...b, labels: toTensor(Int32Array.from([0, 10]), [2]) }), grpc.status.INVALID_ARGUMENT, /^batch\.labels\[1\]: 10 is not a class/);
    await expectStatus(client.trainStep(id, { ...b, labels: toTensor(new Float32Array([0, 1]), [2]) }), grpc.status.INVALID_ARGUMENT, /^batch\.labels\.dtype: expected DATA_TYPE_INT32 or DATA_TYPE_UINT8/);
    await expectStatus(client.trainStep(id, { ...b, sampleIds: ['x'] }), grpc.status.INVALID_ARGUMENT, /^batch\.sample_ids: 1 ids for 2 images/);
    await expectStatus(client.trainStep(id, { images: { ...b.images!, data: Buffer.alloc(3) }, labels: b.labels! }), grpc.status.INVALID_ARGUMENT, /^batch\.images\.data: 3 bytes/);
    await expectStatus(client.trainStep('nope', b), grpc.status.NOT_FOUND, /no session 'nope'/);
    await drop(id);
  });

  it('Train: one result per batch, in order; uint8 labels too', async () => {
    const id = await session({ teacher: false });
    const stream = client.train(id);
    const b = batchOf(4, 2);
    const results = await Promise.all([stream.step(b), stream.step(b), stream.step({ ...b, labels: toTensor(Uint8Array.from([0, 1, 2, 3]), [4]) })]);
    await stream.end();
    assert.deepEqual(results.map((r) => r.step), [1, 2, 3]);
    assert.ok(results.every((r) => r.stage === 'STAGE_CROSS_ENTROPY' && r.loss > 0 && r.accuracy >= 0 && r.accuracy <= 1));
    assert.equal((await client.getSession(id)).state, 'SESSION_STATE_IDLE', 'released at the end of the stream');
    await drop(id);
  });

  it('Train: a bad batch ends the stream with INVALID_ARGUMENT naming the message; the steps before stay', async () => {
    const id = await session({ teacher: false });
    const stream = client.train(id);
    await stream.step(batchOf(2, 1));
    await expectStatus(stream.step(batchOf(2, 1, { labels: false })), grpc.status.INVALID_ARGUMENT, /^batch\.labels: missing; .* \(in message 1 of the stream\)$/);
    await assert.rejects(stream.end());
    assert.equal((await client.getSession(id)).step, 1);
    await idle(client, id);
    await drop(id);
  });

  it('Train: the first message must name the session', async () => {
    const raw = new FspdClient({ address: server.addresses[0]! });
    const stream = raw.train('');
    await expectStatus(stream.step(batchOf(2, 1)), grpc.status.INVALID_ARGUMENT, /^session_id: required in the first message/);
    raw.close();
  });
});

describe('SetStage', () => {
  it('moves to stage 2 with its own schedule; stage_step positions it', async () => {
    const id = await session({ spec: { crossEntropySchedule: { learningRates: [0.5, 0.05], untilSteps: [2, 4] } } });
    await client.trainStep(id, batchOf(2, 1, { labels: false }));
    let s = await client.setStage(id, 'STAGE_CROSS_ENTROPY');
    assert.deepEqual([s.stage, s.step, s.stageStep], ['STAGE_CROSS_ENTROPY', 1, 0]);
    assert.ok(Math.abs(s.learningRate - 0.5) < 1e-7);
    await client.trainStep(id, batchOf(2, 1));
    s = await client.setStage(id, 'STAGE_CROSS_ENTROPY', 3);
    assert.deepEqual([s.stageStep, s.step], [3, 2]);
    assert.ok(Math.abs(s.learningRate - 0.05) < 1e-8, 'second phase');
    s = await client.setStage(id, 'STAGE_FSP');
    assert.equal(s.stage, 'STAGE_FSP');
    await drop(id);
  });

  it('stage 2 with distillation: the spec keeps it, α = 0 is the plain loss, α > 0 another; INVALID_ARGUMENT names the field', async () => {
    const stage2 = 'STAGE_CROSS_ENTROPY' as const;
    const plain = await session({ stage: stage2 });
    const zero = await session({ stage: stage2, spec: { distillation: { temperature: 4, alpha: 0 } } });
    const kd = await session({ stage: stage2, spec: { distillation: { temperature: 4, alpha: 0.5 } } });
    assert.deepEqual((await client.getSession(kd)).spec!.distillation, { temperature: 4, alpha: 0.5 });
    assert.equal((await client.getSession(plain)).spec!.distillation, null);
    const loss = async (id: string) => (await client.trainStep(id, batchOf(4, 9))).loss;
    const [l0, lz, lk] = [await loss(plain), await loss(zero), await loss(kd)];
    assert.equal(lz, l0);
    assert.notEqual(lk, l0);
    for (const id of [plain, zero, kd]) await drop(id);
    await client.createModel({ modelId: 'kd-student', resnet: TINY });
    await expectStatus(client.createSession({ spec: { studentModelId: 'kd-student', distillation: { temperature: 4, alpha: 0.5 } } }), grpc.status.INVALID_ARGUMENT, /^spec\.distillation: knowledge distillation needs a teacher/);
    await expectStatus(client.createSession({ spec: { studentModelId: 'kd-student', teacherModelId: 'teacher', distillation: { temperature: 4, alpha: 2 } } }), grpc.status.INVALID_ARGUMENT, /^spec\.distillation\.alpha: expected a weight in \[0, 1\], got 2/);
    await expectStatus(client.createSession({ spec: { studentModelId: 'kd-student', teacherModelId: 'teacher', distillation: { temperature: 0, alpha: 0.5 } } }), grpc.status.INVALID_ARGUMENT, /^spec\.distillation\.temperature/);
    // KD against a teacher of other classes: refused at creation (its steps could never run).
    await client.createModel({ modelId: 'kd-student-5', resnet: { ...TINY, numClasses: 5 } });
    await expectStatus(
      client.createSession({ sessionId: 'kd-classes', stage: stage2, spec: { studentModelId: 'kd-student-5', teacherModelId: 'teacher', distillation: { temperature: 4, alpha: 0.5 } } }),
      grpc.status.INVALID_ARGUMENT,
      /^spec\.distillation: .*same classes; teacher 'teacher' has 10, student 'kd-student-5' 5$/,
    );
    assert.equal((await client.listSessions()).some((s) => s.sessionId === 'kd-classes'), false);
    await client.deleteModel('kd-student-5');
    await client.deleteModel('kd-student');
  });

  it('TensorBoard: a server with --logdir writes every step and evaluation of a session; without one, tensorboard: true is FAILED_PRECONDITION', async () => {
    await client.createModel({ modelId: 'tb-student', resnet: TINY });
    await expectStatus(client.createSession({ spec: { studentModelId: 'tb-student', tensorboard: true } }), grpc.status.FAILED_PRECONDITION, /^spec\.tensorboard: this server writes no TensorBoard files \(start it with --logdir\)/);
    assert.equal((await client.createSession({ sessionId: 'tb-off', spec: { studentModelId: 'tb-student' } })).spec!.tensorboard, false);
    await client.deleteSession('tb-off');
    await client.deleteModel('tb-student');

    const logdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-tb-'));
    const other = await start({ logdir });
    try {
      await other.client.createModel({ modelId: 'teacher', resnet: { ...TINY, seed: 1 } });
      await other.client.createModel({ modelId: 'student', resnet: { ...TINY, seed: 2 } });
      const created = await other.client.createSession({ sessionId: 'tb', spec: { studentModelId: 'student', teacherModelId: 'teacher', seed: 3 } });
      assert.equal(created.spec!.tensorboard, true, 'on by default with --logdir');
      const r1 = await other.client.trainStep('tb', batchOf(2, 1, { ids: ['a', 'b'] }));
      const r2 = await other.client.trainStep('tb', batchOf(2, 1, { ids: ['a', 'b'] }));
      await other.client.setStage('tb', 'STAGE_CROSS_ENTROPY');
      const r3 = await other.client.trainStep('tb', batchOf(2, 2));
      const evaluation = await other.client.evaluate({ sessionId: 'tb', batch: batchOf(4, 5) });
      const scalars = scalarsOf(path.join(logdir, 'tb'));
      const of = (tag: string) => scalars.filter((x) => x.tag === tag).map((x) => [x.step, x.value]);
      assert.deepEqual(of('stage1/loss'), [[1, Math.fround(r1.loss)], [2, Math.fround(r2.loss)]]);
      assert.deepEqual(of('stage1/fsp_loss/pair2'), [[1, Math.fround(r1.pairLosses[2]!)], [2, Math.fround(r2.pairLosses[2]!)]]);
      assert.deepEqual(of('stage1/teacher_cache/hits'), [[1, 0], [2, 2]]);
      assert.deepEqual(of('stage1/learning_rate'), [[1, Math.fround(r1.learningRate)], [2, Math.fround(r2.learningRate)]]);
      assert.deepEqual(of('stage2/accuracy/batch'), [[3, Math.fround(r3.accuracy)]]);
      assert.deepEqual(of('evaluation/accuracy'), [[3, Math.fround(evaluation.accuracy)]]);
    } finally {
      other.client.close();
      await other.server.shutdown();
      fs.rmSync(other.dir, { recursive: true, force: true });
      fs.rmSync(logdir, { recursive: true, force: true });
    }
  });

  it('FAILED_PRECONDITION for stage 1 without a teacher; INVALID_ARGUMENT for no stage', async () => {
    const id = await session({ teacher: false });
    await expectStatus(client.setStage(id, 'STAGE_FSP'), grpc.status.FAILED_PRECONDITION, /has no teacher; STAGE_FSP needs one/);
    await expectStatus(client.setStage(id, 'STAGE_UNSPECIFIED'), grpc.status.INVALID_ARGUMENT, /^stage: missing/);
    await drop(id);
  });
});

describe('Evaluate', () => {
  it('a batch, for a model and for a session (with the FSP loss against its teacher)', async () => {
    const id = await session();
    const b = batchOf(6, 4);
    const m = await client.evaluate({ modelId: `${id}-model`, batch: b });
    assert.equal(m.samples, 6);
    assert.equal(m.stage, 'STAGE_UNSPECIFIED');
    assert.equal(m.fspLoss, 0);
    const s = await client.evaluate({ sessionId: id, batch: b });
    assert.equal(s.crossEntropy, m.crossEntropy, 'same model, same batch');
    assert.ok(s.fspLoss > 0, `fsp loss ${s.fspLoss}`);
    assert.equal(s.stage, 'STAGE_FSP');
    await drop(id);
  });

  it('a dataset on the server (the embedded MNIST digits)', async () => {
    const e = await client.evaluate({ modelId: 'digits-teacher', dataset: { name: 'DATASET_NAME_MNIST', limit: 40 }, batchSize: 16 });
    assert.equal(e.samples, 40);
    assert.ok(e.accuracy >= 0 && e.accuracy <= 1 && e.crossEntropy > 0);
  });

  it('INVALID_ARGUMENT and NOT_FOUND name the field', async () => {
    await expectStatus(client.evaluate({ batch: batchOf(2, 1) }), grpc.status.INVALID_ARGUMENT, /^target: missing/);
    await expectStatus(client.evaluate({ modelId: 'teacher' }), grpc.status.INVALID_ARGUMENT, /^data: missing/);
    await expectStatus(client.evaluate({ modelId: 'teacher', batch: batchOf(2, 1, { labels: false }) }), grpc.status.INVALID_ARGUMENT, /^batch\.labels: missing; Evaluate needs labels/);
    await expectStatus(client.evaluate({ modelId: 'teacher', dataset: { name: 'DATASET_NAME_MNIST' } }), grpc.status.INVALID_ARGUMENT, /^dataset: mnist:test samples are \[28, 28, 1\], but model 'teacher' takes \[8, 8, 1\]/);
    await expectStatus(client.evaluate({ modelId: 'teacher', dataset: {} }), grpc.status.INVALID_ARGUMENT, /^dataset\.name: expected DATASET_NAME_MNIST/);
    await expectStatus(client.evaluate({ modelId: 'teacher', dataset: { name: 'DATASET_NAME_CIFAR10', path: '../etc' } }), grpc.status.INVALID_ARGUMENT, /^dataset\.path: '\.\.\/etc' leaves the server's data directory/);
    await expectStatus(client.evaluate({ modelId: 'teacher', dataset: { name: 'DATASET_NAME_CIFAR10', path: 'no-such-dir' } }), grpc.status.NOT_FOUND, /^dataset\.path: /);
    await expectStatus(client.evaluate({ modelId: 'ghost', batch: batchOf(2, 1) }), grpc.status.NOT_FOUND, /^model_id: no model 'ghost'/);
  });
});

describe('Run', () => {
  it('streams progress, evaluations and checkpoints, and leaves the session at the last step', async () => {
    const id = await session({ digits: true, teacher: false });
    const events = await collect(
      client.run({ sessionId: id, dataset: MNIST, batchSize: 16, steps: 6, progressEvery: 2, evaluateEvery: 3, checkpointEvery: 4, evaluateDataset: MNIST_TEST }),
    );
    const kinds = events.map((e) => e.event);
    assert.deepEqual(kinds, ['progress', 'evaluation', 'progress', 'checkpoint', 'progress', 'evaluation'], kinds.join());
    const progress = events.filter((e) => e.progress).map((e) => e.progress!);
    assert.deepEqual(progress.map((p) => [p.stepsDone, p.stepsTotal, p.lastStep!.step]), [[2, 6, 2], [4, 6, 4], [6, 6, 6]]);
    assert.deepEqual(progress.map((p) => p.epoch), [0, 0, 1], '64 samples = 4 steps of 16 per epoch');
    assert.ok(progress.every((p) => p.meanLoss > 0 && p.samplesPerSecond > 0));
    const evaluations = events.filter((e) => e.evaluation).map((e) => e.evaluation!);
    assert.deepEqual(evaluations.map((e) => [e.step, e.samples, e.stage]), [[3, 32, 'STAGE_CROSS_ENTROPY'], [6, 32, 'STAGE_CROSS_ENTROPY']]);
    assert.equal(events.find((e) => e.checkpoint)!.checkpoint!.checkpointId, 'step-4');
    const s = await client.getSession(id);
    assert.deepEqual([s.step, s.state, s.checkpoints.map((c) => c.checkpointId)], [6, 'SESSION_STATE_IDLE', ['step-4']]);
    await drop(id);
  });

  it('stage 1 over the dataset draws un-augmented batches: the teacher cache hits from the second epoch', async () => {
    const id = await session({ digits: true });
    const events = await collect(client.run({ sessionId: id, dataset: { ...MNIST, limit: 16 }, batchSize: 8, steps: 4, progressEvery: 1, evaluateDataset: MNIST_TEST }));
    const hits = events.filter((e) => e.progress).map((e) => e.progress!.lastStep!.cacheHits);
    assert.deepEqual(hits, [0, 0, 8, 8]);
    const final = events.at(-1)!.evaluation!;
    assert.ok(final.fspLoss > 0, 'the evaluation reports the FSP loss');
    await drop(id);
  });

  it('other calls are answered between steps; a second trainer gets FAILED_PRECONDITION', async () => {
    const id = await session({ digits: true, teacher: false });
    const controller = new AbortController();
    const running = collect(client.run({ sessionId: id, dataset: MNIST, batchSize: 16, steps: 40, progressEvery: 1, evaluateDataset: MNIST_TEST }, { signal: controller.signal })).catch((e: unknown) => e);
    for (let i = 0; i < 50 && (await client.getSession(id)).state !== 'SESSION_STATE_TRAINING'; i++) await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    const during = await client.getSession(id);
    const latency = performance.now() - t0;
    assert.equal(during.state, 'SESSION_STATE_TRAINING');
    assert.ok(latency < 3000, `GetSession answered during the Run in ${latency.toFixed(0)} ms`);
    await expectStatus(client.trainStep(id, toBatch({ data: new Float32Array(784), shape: [1, 28, 28, 1] }, [0])), grpc.status.FAILED_PRECONDITION, /is busy: a Run stream holds it/);
    controller.abort();
    const err = (await running) as grpc.ServiceError;
    assert.equal(err.code, grpc.status.CANCELLED);
    await idle(client, id);
    await drop(id);
  });

  it('cancelling a Run stops it and frees its tensors', async () => {
    const id = await session({ digits: true, teacher: false });
    await client.run({ sessionId: id, dataset: MNIST, batchSize: 16, steps: 1, evaluateDataset: MNIST_TEST }).next(); // creates the optimiser state
    await idle(client, id);
    const baseline = tf.memory().numTensors;
    const events = await collect(client.run({ sessionId: id, dataset: MNIST, batchSize: 16, steps: 1000, progressEvery: 1, evaluateEvery: 2, evaluateDataset: MNIST_TEST }), (_, all) => all.length >= 3);
    assert.ok(events.length >= 3);
    await idle(client, id);
    assert.equal(tf.memory().numTensors, baseline, 'no tensors left behind');
    const s = await client.getSession(id);
    assert.ok(s.step > 1 && s.step < 50, `stopped early at step ${s.step}`);
    await drop(id);
  });

  it('a deadline stops a Run with DEADLINE_EXCEEDED and frees its tensors', async () => {
    const id = await session({ digits: true, teacher: false });
    await client.trainStep(id, toBatch({ data: new Float32Array(784), shape: [1, 28, 28, 1] }, [0]));
    const baseline = tf.memory().numTensors;
    await assert.rejects(collect(client.run({ sessionId: id, dataset: MNIST, batchSize: 16, steps: 1000, progressEvery: 1, evaluateDataset: MNIST_TEST }, { deadlineMs: 1500 })), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED, `${grpc.status[err.code]} ${err.details}`);
      return true;
    });
    await idle(client, id);
    assert.equal(tf.memory().numTensors, baseline, 'no tensors left behind');
    await drop(id);
  });

  it('DeleteSession during a Run ends it with CANCELLED', async () => {
    const id = await session({ digits: true, teacher: false });
    const run = client.run({ sessionId: id, dataset: MNIST, batchSize: 16, steps: 1000, progressEvery: 1, evaluateDataset: MNIST_TEST });
    const first = await run.next();
    assert.equal(first.done, false);
    await client.deleteSession(id);
    await assert.rejects(collect(run), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.CANCELLED);
      assert.match(err.details, /was deleted/);
      return true;
    });
    await client.deleteModel(`${id}-model`);
  });

  it('errors: FAILED_PRECONDITION when the schedule has ended, INVALID_ARGUMENT for the dataset, NOT_FOUND for the session', async () => {
    const id = await session({ digits: true, teacher: false, spec: { crossEntropySchedule: { learningRates: [0.1], untilSteps: [2] } } });
    const done = await collect(client.run({ sessionId: id, dataset: MNIST, batchSize: 8, evaluateDataset: MNIST_TEST }));
    assert.equal(done.filter((e) => e.progress).at(-1)!.progress!.stepsTotal, 2, 'steps 0 = until the schedule ends');
    await expectStatus(collect(client.run({ sessionId: id, dataset: MNIST })), grpc.status.FAILED_PRECONDITION, /ended at step 2; pass steps, or SetStage/);
    await expectStatus(collect(client.run({ sessionId: id })), grpc.status.INVALID_ARGUMENT, /^dataset: missing/);
    await expectStatus(collect(client.run({ sessionId: id, dataset: { name: 'DATASET_NAME_MNIST', split: 'SPLIT_TEST' }, evaluateDataset: { name: 'DATASET_NAME_CIFAR100', path: '/abs' } })), grpc.status.INVALID_ARGUMENT, /^evaluate_dataset\.path: '\/abs' leaves/);
    await expectStatus(collect(client.run({ sessionId: 'ghost', dataset: MNIST })), grpc.status.NOT_FOUND, /no session 'ghost'/);
    await drop(id);
  });
});

describe('SaveCheckpoint and RestoreCheckpoint', () => {
  it('a restore returns the weights, the optimiser and the counters to the checkpoint', async () => {
    const id = await session({ teacher: false });
    await client.trainStep(id, batchOf(4, 1));
    const saved = await client.saveCheckpoint(id);
    assert.deepEqual([saved.checkpointId, saved.step, saved.stage, saved.stageStep], ['step-1', 1, 'STAGE_CROSS_ENTROPY', 1]);
    assert.ok(saved.sizeBytes > 0);
    const probe = batchOf(8, 9);
    const at1 = await client.evaluate({ sessionId: id, batch: probe });
    const next1 = await client.trainStep(id, batchOf(4, 2));
    await client.trainStep(id, batchOf(4, 3));
    assert.notEqual((await client.evaluate({ sessionId: id, batch: probe })).crossEntropy, at1.crossEntropy, 'training changed the model');
    await client.saveCheckpoint(id, 'named');
    const restored = await client.restoreCheckpoint(id, 'step-1');
    assert.deepEqual([restored.step, restored.stageStep], [1, 1]);
    assert.equal((await client.evaluate({ sessionId: id, batch: probe })).crossEntropy, at1.crossEntropy, 'same weights as at the checkpoint');
    assert.equal((await client.trainStep(id, batchOf(4, 2))).loss, next1.loss, 'the same next step (weights and momentum restored)');
    assert.deepEqual((await client.getSession(id)).checkpoints.map((c) => c.checkpointId), ['step-1', 'named']);
    assert.equal((await client.restoreCheckpoint(id)).step, 3, 'empty id: the latest');
    await drop(id);
  });

  it('NOT_FOUND for an unknown checkpoint or none; INVALID_ARGUMENT for a bad id', async () => {
    const id = await session({ teacher: false });
    await expectStatus(client.restoreCheckpoint(id), grpc.status.NOT_FOUND, /has no checkpoints/);
    await expectStatus(client.restoreCheckpoint(id, 'nope'), grpc.status.NOT_FOUND, /^checkpoint_id: session 's\d+' has no checkpoint 'nope'/);
    await expectStatus(client.saveCheckpoint(id, '../x'), grpc.status.INVALID_ARGUMENT, /^checkpoint_id: '\.\.\/x' is not an id/);
    await drop(id);
  });
});

describe('TeacherFsp', () => {
  const images = (n: number) => batchOf(n, 5).images!;

  it('the teacher matrices per pair, cached by sample id', async () => {
    const first = await client.teacherFsp({ modelId: 'teacher', images: images(3), sampleIds: ['x', 'y', 'z'] });
    assert.equal(first.cacheHits, 0);
    assert.deepEqual(first.matrices.map((m) => m.shape), [[3, 16, 16], [3, 16, 32], [3, 32, 64]]);
    const again = await client.teacherFsp({ modelId: 'teacher', images: images(3), sampleIds: ['x', 'y', 'z'] });
    assert.equal(again.cacheHits, 3, 'all from the cache');
    first.matrices.forEach((m, i) => assert.deepEqual(fromFloatTensor(again.matrices[i]).data, fromFloatTensor(m).data, `pair ${i} equal`));
    const partial = await client.teacherFsp({ modelId: 'teacher', images: images(3), sampleIds: ['x', 'new', 'z'] });
    assert.equal(partial.cacheHits, 2);
    const uncached = await client.teacherFsp({ modelId: 'teacher', images: images(3) });
    assert.equal(uncached.cacheHits, 0, 'no ids, no cache');
    const custom = await client.teacherFsp({ modelId: 'teacher', images: images(3), pairs: [{ first: 0, second: 3 }], pooling: 'POOLING_AVG', sampleIds: ['x', 'y', 'z'] });
    assert.deepEqual(custom.matrices.map((m) => m.shape), [[3, 16, 64]]);
    assert.equal(custom.cacheHits, 0, 'other pairs and pooling, other cache entries');
  });

  // The matrices are assembled into arrays the server keeps and takes back once a response is encoded
  // (kept-arrays.ts): calls in flight together must each get their own batch's matrices.
  it('concurrent calls: each answer holds its own batch', async () => {
    const groups = Array.from({ length: 6 }, (_, g) => Array.from({ length: 4 }, (_, k) => `kept-${g}-${k}`));
    const expected: Awaited<ReturnType<typeof client.teacherFsp>>[] = [];
    for (const [g, ids] of groups.entries()) expected.push(await client.teacherFsp({ modelId: 'teacher', images: batchOf(4, 40 + g).images!, sampleIds: ids }));
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(groups.map((ids) => client.teacherFsp({ modelId: 'teacher', sampleIds: ids })));
      answers.forEach((a, g) => {
        assert.equal(a.cacheHits, 4);
        a.matrices.forEach((m, i) => assert.deepEqual(fromFloatTensor(m).data, fromFloatTensor(expected[g]!.matrices[i]).data, `round ${round} group ${g} pair ${i}`));
      });
    }
  });

  it('matrices_dtype float16 / bfloat16: the float32 matrices rounded to nearest even', async () => {
    const ids = ['h0', 'h1', 'h2'];
    const f32 = await client.teacherFsp({ modelId: 'teacher', images: images(3), sampleIds: ids });
    for (const dtype of ['DATA_TYPE_FLOAT16', 'DATA_TYPE_BFLOAT16'] as const) {
      const r = await client.teacherFsp({ modelId: 'teacher', images: images(3), sampleIds: ids, matricesDtype: dtype });
      assert.equal(r.cacheHits, 3);
      r.matrices.forEach((m, i) => {
        assert.equal(m.dtype, dtype);
        assert.deepEqual(m.shape, f32.matrices[i]!.shape);
        assert.equal(m.data.byteLength, f32.matrices[i]!.data.byteLength / 2, 'two bytes per element');
        const x = fromFloatTensor(f32.matrices[i]).data;
        const want = dtype === 'DATA_TYPE_FLOAT16' ? toFloat16(x) : toBfloat16(x);
        assert.deepEqual(new Uint16Array(new Uint8Array(m.data).buffer), want, `pair ${i}: the rounded float32 matrices`);
        // and the values are the float32 ones to within half an ulp of the format
        const got = fromFloatTensor(m).data;
        const eps = dtype === 'DATA_TYPE_FLOAT16' ? 2 ** -11 : 2 ** -8;
        x.forEach((v, k) => assert.ok(Math.abs(got[k]! - v) <= eps * Math.abs(v) + 2 ** -25, `pair ${i} [${k}]: ${got[k]} vs ${v}`));
      });
    }
    await expectStatus(client.teacherFsp({ modelId: 'teacher', images: images(1), matricesDtype: 'DATA_TYPE_INT32' }), grpc.status.INVALID_ARGUMENT, /^matrices_dtype: expected DATA_TYPE_FLOAT32, DATA_TYPE_FLOAT16 or DATA_TYPE_BFLOAT16, got DATA_TYPE_INT32/);
  });

  it('without images: served from the cache when every id is cached, else FAILED_PRECONDITION naming images', async () => {
    const ids = ['w0', 'w1', 'w2'];
    const warm = await client.teacherFsp({ modelId: 'teacher', images: images(3), sampleIds: ids });
    const idsOnly = await client.teacherFsp({ modelId: 'teacher', sampleIds: ids, matricesDtype: 'DATA_TYPE_FLOAT32' });
    assert.equal(idsOnly.cacheHits, 3);
    warm.matrices.forEach((m, i) => {
      assert.deepEqual(idsOnly.matrices[i]!.shape, m.shape);
      assert.deepEqual(fromFloatTensor(idsOnly.matrices[i]).data, fromFloatTensor(m).data, `pair ${i} equal`);
    });
    const reordered = await client.teacherFsp({ modelId: 'teacher', sampleIds: ['w2', 'w0'] });
    const per = (m: Float32Array, n: number, s: number) => m.subarray((s * m.length) / n, ((s + 1) * m.length) / n);
    warm.matrices.forEach((m, i) => {
      const all = fromFloatTensor(m).data;
      const got = fromFloatTensor(reordered.matrices[i]).data;
      assert.deepEqual(per(got, 2, 0), per(all, 3, 2), `pair ${i}: w2 first`);
      assert.deepEqual(per(got, 2, 1), per(all, 3, 0), `pair ${i}: then w0`);
    });
    await expectStatus(client.teacherFsp({ modelId: 'teacher', sampleIds: ['w0', 'cold', 'w1', 'colder'] }), grpc.status.FAILED_PRECONDITION, /^images: missing, and 2 of 4 samples are not cached: send the images/);
    await expectStatus(client.teacherFsp({ modelId: 'teacher', sampleIds: ['w0'], pairs: [{ first: 0, second: 3 }] }), grpc.status.FAILED_PRECONDITION, /^images: missing, and 1 of 1 samples/); // other pairs: other cache entries
    const after = await client.teacherFsp({ modelId: 'teacher', images: images(4), sampleIds: ['w0', 'cold', 'w1', 'colder'] });
    assert.equal(after.cacheHits, 2, 'the refused call counted and stored nothing; the resent one computes the two misses');
  });

  it('a model trained since is not served from stale cache entries, and reports another fingerprint', async () => {
    const id = await session({ teacher: false });
    const before = await client.teacherFsp({ modelId: `${id}-model`, images: images(2), sampleIds: ['p', 'q'] });
    await client.trainStep(id, batchOf(2, 1));
    const after = await client.teacherFsp({ modelId: `${id}-model`, images: images(2), sampleIds: ['p', 'q'] });
    assert.equal(after.cacheHits, 0);
    assert.match(before.modelFingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(after.modelFingerprint, before.modelFingerprint, 'new weights, new fingerprint');
    await drop(id);
  });

  it('model_fingerprint: the same for the same model content, another for a model made again with other weights', async () => {
    const ask = (modelId: string) => client.teacherFsp({ modelId, images: images(2), sampleIds: ['f0', 'f1'] });
    const first = await ask('teacher');
    assert.equal((await client.teacherFsp({ modelId: 'teacher', sampleIds: ['f0', 'f1'] })).modelFingerprint, first.modelFingerprint, 'from the cache: the same');
    // Another id holding the same architecture and weights (same seed): the same content, the same fingerprint.
    await client.createModel({ modelId: 'fp-twin', resnet: { ...TINY, seed: 1 } });
    assert.equal((await ask('fp-twin')).modelFingerprint, first.modelFingerprint);
    // The id deleted and made again with other weights: neither the server's cache nor the fingerprint carry over.
    await client.deleteModel('fp-twin');
    await client.createModel({ modelId: 'fp-twin', resnet: { ...TINY, seed: 9 } });
    const other = await ask('fp-twin');
    assert.equal(other.cacheHits, 0);
    assert.notEqual(other.modelFingerprint, first.modelFingerprint);
    assert.notDeepEqual(fromFloatTensor(other.matrices[0]).data, fromFloatTensor(first.matrices[0]).data, 'other weights, other matrices');
    await client.deleteModel('fp-twin');
  });

  it('NOT_FOUND and INVALID_ARGUMENT name the field', async () => {
    await expectStatus(client.teacherFsp({ modelId: 'ghost', images: images(1) }), grpc.status.NOT_FOUND, /^model_id: no model 'ghost'/);
    await expectStatus(client.teacherFsp({ modelId: 'teacher', images: toTensor(new Float32Array(4), [1, 2, 2, 1]) }), grpc.status.INVALID_ARGUMENT, /^images\.shape: \[1, 2, 2, 1\] does not fit model 'teacher'/);
    await expectStatus(client.teacherFsp({ modelId: 'teacher', images: images(2), sampleIds: ['a'] }), grpc.status.INVALID_ARGUMENT, /^sample_ids: 1 ids for 2 images/);
    await expectStatus(client.teacherFsp({ modelId: 'teacher', images: images(1), pairs: [{ first: 4, second: 0 }] }), grpc.status.INVALID_ARGUMENT, /^pairs\[0\]\.first: 4 is not a tap index/);
    await expectStatus(client.teacherFsp({ modelId: 'teacher' }), grpc.status.INVALID_ARGUMENT, /^images: missing/);
  });
});

describe('shutdown', () => {
  it('a call that reaches a session after shutdown began trains nothing (UNAVAILABLE, SHUTTING_DOWN); the session is still checkpointed', async () => {
    const own = await start({ shutdownGraceMs: 5000 });
    let closing: Promise<void> | undefined;
    try {
      const c = own.client;
      await c.createModel({ modelId: 'late-model', resnet: { ...TINY, seed: 2 } });
      await c.createSession({ sessionId: 'late', spec: { studentModelId: 'late-model', teacherModelId: '', seed: 3 } });
      await c.trainStep('late', batchOf(4, 1));
      // A Train stream the server has accepted (a later call's round trip on the same connection) is in flight
      // when shutdown begins; its first batch, where it acquires the session, comes after.
      const stream = c.train('late');
      await c.getSession('late');
      closing = own.server.shutdown();
      const late = await stream.step(batchOf(4, 2)).then(
        (r) => `trained: step ${r.step}`,
        (err: FspdError) => `${grpc.status[err.code]} ${err.reason}: ${err.details}`,
      );
      assert.match(late, /^UNAVAILABLE SHUTTING_DOWN: the server is shutting down/);
      await closing;
    } finally {
      own.client.close();
      await (closing ?? own.server.shutdown());
    }
    // Restarted over the same directory: the session as shutdown checkpointed it, at the step before shutdown.
    const again = await start({ checkpointDir: own.dir });
    try {
      const s = await again.client.getSession('late');
      assert.equal(s.step, 1, 'no step after shutdown began');
      assert.deepEqual(s.checkpoints.map((ck) => ck.checkpointId), ['step-1'], 'checkpointed at shutdown');
    } finally {
      again.client.close();
      await again.server.shutdown();
      fs.rmSync(own.dir, { recursive: true, force: true });
      fs.rmSync(again.dir, { recursive: true, force: true });
    }
  });
});

describe('restart', () => {
  /** `fspd serve` on free ports with a checkpoint directory; resolves once serving. */
  const serve = (checkpointDir: string) => serveChild(['--checkpoint-dir', checkpointDir], { env: { FSPD_SHUTDOWN_GRACE: '10' } });

  it('SIGTERM during a Run checkpoints the session; after a restart it is at the same step and training resumes', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-restart-'));
    const first = await serve(state);
    let c = new FspdClient({ address: first.address, deadlineMs: 60_000 });
    let lastStep = 0;
    try {
      await c.createModel({ modelId: 'teacher', resnet: { ...DIGITS, seed: 1 } });
      await c.createModel({ modelId: 'student', resnet: { ...DIGITS, seed: 2 } });
      await c.createSession({ sessionId: 'kept', spec: { studentModelId: 'student', teacherModelId: 'teacher', seed: 4 } });
      const run = c.run({ sessionId: 'kept', dataset: MNIST, batchSize: 16, steps: 10_000, progressEvery: 1, evaluateDataset: MNIST_TEST });
      let signalled = false;
      await assert.rejects(
        (async () => {
          for await (const e of run) {
            if (e.progress) lastStep = e.progress.lastStep!.step;
            if (lastStep >= 3 && !signalled) {
              signalled = true;
              first.child.kill('SIGTERM');
            }
          }
        })(),
        (err: grpc.ServiceError) => {
          assert.equal(err.code, grpc.status.UNAVAILABLE, `${grpc.status[err.code]} ${err.details}`);
          assert.match(err.details, /shutting down; the session is checkpointed/);
          return true;
        },
      );
      assert.equal((await first.exited).code, 0, 'exit code 0');
      assert.ok(first.lines.some((l) => l.includes('"session checkpointed"')), 'logged the checkpoint');
    } finally {
      c.close();
    }

    const second = await serve(state);
    c = new FspdClient({ address: second.address, deadlineMs: 60_000 });
    try {
      const s = await c.getSession('kept');
      assert.equal(s.step, lastStep, 'the step of the last progress report');
      assert.equal(s.stage, 'STAGE_FSP');
      assert.deepEqual((await c.listModels()).map((m) => m.modelId), ['teacher', 'student']);
      const resumed = await collect(c.run({ sessionId: 'kept', dataset: MNIST, batchSize: 16, steps: 2, progressEvery: 1, evaluateDataset: MNIST_TEST }));
      assert.deepEqual(resumed.filter((e) => e.progress).map((e) => e.progress!.lastStep!.step), [lastStep + 1, lastStep + 2], 'training continues');
      second.child.kill('SIGTERM');
      assert.equal((await second.exited).code, 0);
    } finally {
      c.close();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});

/** A registry and a session manager over `state`, as startServer makes them (without gRPC), restored from what is there. */
async function managers(state: string): Promise<{ registry: ModelRegistry; sessions: SessionManager; close: () => Promise<void> }> {
  const log = pino({ level: 'silent' });
  const memory = new MemoryBudget(2 ** 40);
  const registry = new ModelRegistry({ maxModels: 10, dir: path.join(state, 'models'), memory, log });
  const sessions = new SessionManager({ registry, memory, maxSessions: 10, cacheBytes: 0, dir: path.join(state, 'sessions'), log });
  await registry.loadAll();
  await sessions.start();
  return {
    registry,
    sessions,
    close: async () => {
      await sessions.closeAll(false);
      registry.disposeAll();
    },
  };
}

const plainSpec = (registry: ModelRegistry, studentModelId: string, seed: number) =>
  normalizeSpec({ studentModelId, teacherModelId: '', pairs: [], weights: [], reduction: 'REDUCTION_PAPER', pooling: 'POOLING_MAX', seed, cacheTeacherFsp: false } as unknown as SessionSpec__Output, registry);

/** A decoded batch of the 8×8×1 models for SessionManager.step: seeded images, labels 0..9. */
function decoded(n: number, seed: number): DecodedBatch {
  let s = seed;
  const images = Float32Array.from({ length: n * 64 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
  return { images, shape: [n, 8, 8, 1], labels: Int32Array.from({ length: n }, (_, i) => i % 10) };
}

describe('session ids and files', () => {
  it('an id stays taken while DeleteSession removes its directory: a create with it meanwhile is ALREADY_EXISTS and leaves the files alone', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-redelete-'));
    const m = await managers(state);
    try {
      await m.registry.create('s', { depth: 8, widthMultiplier: 1, numClasses: 10, inputShape: [8, 8, 1], seed: 2 });
      const spec = plainSpec(m.registry, 's', 1);
      await m.sessions.create('x', spec, undefined);
      for (const c of ['a', 'b', 'c']) await m.sessions.saveCheckpoint(m.sessions.get('x'), c);
      const deleting = m.sessions.delete('x');
      // Microtasks only: the session is disposed, and its directory (an fs call away) is not removed yet.
      for (let i = 0; i < 100 && m.sessions.list().length > 0; i++) await Promise.resolve();
      assert.equal(m.sessions.list().length, 0, 'disposed');
      await assert.rejects(m.sessions.create('x', spec, undefined), (err: { code: number; message: string }) => {
        assert.equal(err.code, grpc.status.ALREADY_EXISTS);
        assert.match(err.message, /^session_id: session 'x' is being deleted; its id is free once DeleteSession returns$/);
        return true;
      });
      await deleting;
      assert.equal(fs.existsSync(path.join(state, 'sessions', 'x')), false, 'the directory is gone');
      await m.sessions.create('x', spec, undefined);
      assert.deepEqual(fs.readdirSync(path.join(state, 'sessions', 'x')), ['session.json'], 'the new session is on disk');
    } finally {
      await m.close();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  it('a saved session the restart could not restore keeps its directory and its id: ALREADY_EXISTS for it, new ids skip it', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-kept-session-'));
    let m = await managers(state);
    const dirOf = (id: string) => path.join(state, 'sessions', id);
    const snapshot = (id: string) => fs.readdirSync(dirOf(id)).sort().map((f) => [f, fs.readFileSync(path.join(dirOf(id), f)).toString('base64')]);
    try {
      await m.registry.create('s', { depth: 8, widthMultiplier: 1, numClasses: 10, inputShape: [8, 8, 1], seed: 2 });
      const first = await m.sessions.create('', plainSpec(m.registry, 's', 1), undefined);
      assert.equal(first.id, 'session-1');
      await m.sessions.saveCheckpoint(first, 'precious');
      await m.registry.persistAll();
      await m.close();
      fs.truncateSync(path.join(dirOf('session-1'), 'precious.ckpt'), 100); // its resume point is damaged: start() skips it
      const before = snapshot('session-1');

      m = await managers(state);
      assert.deepEqual(m.sessions.list(), [], 'not restored');
      const spec = plainSpec(m.registry, 's', 9);
      await assert.rejects(m.sessions.create('session-1', spec, undefined), (err: { code: number; message: string }) => {
        assert.equal(err.code, grpc.status.ALREADY_EXISTS);
        assert.match(err.message, /^session_id: 'session-1' is taken by the directory of a saved session the server could not restore at startup .*the directory 'session-1' is kept/);
        return true;
      });
      const second = await m.sessions.create('', spec, undefined);
      assert.equal(second.id, 'session-2', 'a new id skips the kept one');
      assert.deepEqual(snapshot('session-1'), before, 'the kept files are untouched');
    } finally {
      await m.close();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  it('after a crash, a session resumes from the checkpoint it last restored, not a later one it rolled back from; older files resume from the last', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-resume-'));
    const live = await managers(state);
    const opened: Awaited<ReturnType<typeof managers>>[] = [];
    try {
      await live.registry.create('s', { depth: 8, widthMultiplier: 1, numClasses: 10, inputShape: [8, 8, 1], seed: 2 });
      const x = await live.sessions.create('x', plainSpec(live.registry, 's', 1), undefined);
      const step = (seed: number) => live.sessions.step(x, decoded(2, seed));
      for (const seed of [1, 2]) await step(seed);
      await live.sessions.saveCheckpoint(x, 'good');
      for (const seed of [3, 4, 5]) await step(seed);
      await live.sessions.saveCheckpoint(x, 'bad');
      await live.sessions.restoreCheckpoint(x, 'good');
      assert.equal(x.trainer.stepsTaken, 2);

      // A crash now: another process reads the directory while this one never shut down.
      const after = await managers(state);
      opened.push(after);
      assert.equal(after.sessions.get('x').trainer.stepsTaken, 2, 'resumed from good');
      assert.deepEqual(after.sessions.get('x').checkpoints.map((c) => [c.checkpointId, c.step]), [['good', 2], ['bad', 5]]);

      // A session.json written before the field existed: the last checkpoint, as before.
      const file = path.join(state, 'sessions', 'x', 'session.json');
      assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).resumeCheckpointId, 'good');
      const record = JSON.parse(fs.readFileSync(file, 'utf8'));
      delete record.resumeCheckpointId;
      fs.writeFileSync(file, JSON.stringify(record));
      const old = await managers(state);
      opened.push(old);
      assert.equal(old.sessions.get('x').trainer.stepsTaken, 5, 'resumed from bad, the last');
    } finally {
      for (const m of opened) await m.close();
      await live.close();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});
