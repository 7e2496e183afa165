// Session state under concurrency and crashes: concurrent SaveCheckpoint calls on one session (and steps
// between them) all succeed; RestoreCheckpoint returns the student and leaves the shared teacher alone;
// `fspd serve` SIGKILLed during a Run with checkpoint_every comes back at its last checkpoint with weights
// bit-equal to an uninterrupted run of as many steps, and SIGTERM during a Run loses no completed step.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { FspdClient, toBatch, type Batch, type RunResponse } from '../src/client/index.js';
import { DEFAULT_CONFIG } from '../src/server/config.js';
import { startServer, type FspdServer } from '../src/server/server.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/training/checkpoint.js';
import { serveChild } from './helpers/child-server.js';
import { stateWithOldStageName, withOldStageName } from './helpers/old-stage-name.js';

const TINY = { depth: 8, inputShape: [8, 8, 1] };
const DIGITS = { depth: 8, inputShape: [28, 28, 1] };
const MNIST = { name: 'DATASET_NAME_MNIST' as const, limit: 64 };
const MNIST_TEST = { name: 'DATASET_NAME_MNIST' as const, split: 'SPLIT_TEST' as const, limit: 16 };

let server: FspdServer;
let client: FspdClient;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-state-'));
  server = await startServer(
    { ...DEFAULT_CONFIG, addresses: ['127.0.0.1:0'], metricsAddress: '127.0.0.1:0', shutdownGraceMs: 2000, checkpointDir: dir },
    pino({ level: 'silent' }),
  );
  client = new FspdClient({ address: server.addresses[0]!, deadlineMs: 60_000 });
});

after(async () => {
  client.close();
  await server.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A batch for the 8×8×1 models: seeded images, labels 0..9. */
function batchOf(n: number, seed: number): Batch {
  let s = seed;
  const data = Float32Array.from({ length: n * 64 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
  return toBatch({ data, shape: [n, 8, 8, 1] }, Array.from({ length: n }, (_, i) => i % 10));
}

const weightsOf = async (c: FspdClient, modelId: string) => Buffer.from((await c.exportModel(modelId)).weights);

describe('SaveCheckpoint and RestoreCheckpoint', () => {
  it('eight concurrent saves on one session, with steps queued between them, all succeed and are all listed', async () => {
    await client.createModel({ modelId: 'conc-teacher', resnet: { ...TINY, seed: 1 } });
    await client.createModel({ modelId: 'conc-student', resnet: { ...TINY, seed: 2 } });
    await client.createSession({ sessionId: 'conc', spec: { studentModelId: 'conc-student', teacherModelId: 'conc-teacher', seed: 3 } });
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const saves = ids.map((id) => client.saveCheckpoint('conc', id));
    const unnamed = [client.saveCheckpoint('conc'), client.saveCheckpoint('conc')];
    const results = await Promise.allSettled([...saves, ...unnamed]);
    const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failed, [], 'every save succeeds');
    const session = await client.getSession('conc');
    assert.deepEqual(session.checkpoints.map((c) => c.checkpointId).sort(), [...ids, 'step-0'].sort(), 'each id listed once');
    const files = fs.readdirSync(path.join(dir, 'sessions', 'conc')).sort();
    assert.deepEqual(files, [...ids.map((id) => `${id}.ckpt`), 'session.json', 'step-0.ckpt'].sort(), 'no temporary files left');

    // Saves and steps interleaved: each save holds the weights of a step boundary.
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      ops.push(client.saveCheckpoint('conc', `x${i}`));
      ops.push(client.trainStep('conc', batchOf(2, i)).catch((err: Error) => err)); // may find the session busy (another TrainStep)
    }
    await Promise.all(ops);
    const after = await client.getSession('conc');
    for (const c of after.checkpoints.filter((c) => c.checkpointId.startsWith('x'))) assert.ok(c.step >= 0 && c.step <= after.step, `${c.checkpointId} at step ${c.step}`);
  });

  it('restores the student (weights, step) and leaves the teacher, a registry model, as it is', async () => {
    await client.createModel({ modelId: 'rs-teacher', resnet: { ...TINY, seed: 5 } });
    await client.createModel({ modelId: 'rs-student', resnet: { ...TINY, seed: 6 } });
    await client.createSession({ sessionId: 'rs', spec: { studentModelId: 'rs-student', teacherModelId: 'rs-teacher', seed: 7 } });
    await client.trainStep('rs', batchOf(4, 1));
    const saved = await client.saveCheckpoint('rs', 'one');
    const studentAtSave = await weightsOf(client, 'rs-student');
    await client.trainStep('rs', batchOf(4, 2));
    // Another session trains the teacher (it is that session's student): the teacher changes for everyone.
    await client.createSession({ sessionId: 'rs-teacher-trainer', spec: { studentModelId: 'rs-teacher', seed: 8 } });
    await client.trainStep('rs-teacher-trainer', batchOf(4, 3));
    const teacherNow = await weightsOf(client, 'rs-teacher');
    assert.notDeepEqual(studentAtSave, await weightsOf(client, 'rs-student'), 'the student moved on');

    const restored = await client.restoreCheckpoint('rs', 'one');
    assert.equal(restored.step, saved.step);
    assert.ok((await weightsOf(client, 'rs-student')).equals(studentAtSave), 'student weights as saved');
    assert.ok((await weightsOf(client, 'rs-teacher')).equals(teacherNow), 'teacher weights untouched');
    await client.deleteSession('rs-teacher-trainer');
  });
});

describe('state written before stage 2 was renamed', () => {
  it("a session whose session.json and checkpoints say 'task' comes back in STAGE_CROSS_ENTROPY, and restores", async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-old-stage-'));
    const config = { ...DEFAULT_CONFIG, addresses: ['127.0.0.1:0'], metricsAddress: '127.0.0.1:0', shutdownGraceMs: 2000, checkpointDir: state };
    let old = await startServer(config, pino({ level: 'silent' }));
    let c = new FspdClient({ address: old.addresses[0]!, deadlineMs: 60_000 });
    try {
      await c.createModel({ modelId: 'old-student', resnet: { ...TINY, seed: 9 } });
      await c.createSession({ sessionId: 'old', spec: { studentModelId: 'old-student', seed: 10 } });
      await c.trainStep('old', batchOf(4, 1));
      await c.saveCheckpoint('old', 'one');
      const weightsAtOne = await weightsOf(c, 'old-student');
      await c.trainStep('old', batchOf(4, 2));
      const weightsAtShutdown = await weightsOf(c, 'old-student');
      c.close();
      await old.shutdown(); // checkpoints the session (step-2)

      // Rewrite the session's files as the fspd before the rename wrote them.
      const sessionDir = path.join(state, 'sessions', 'old');
      const record = path.join(sessionDir, 'session.json');
      fs.writeFileSync(record, JSON.stringify(withOldStageName(JSON.parse(fs.readFileSync(record, 'utf8'))), null, 2));
      assert.match(fs.readFileSync(record, 'utf8'), /"stage": "task"/);
      const checkpoints = fs.readdirSync(sessionDir).filter((f) => f.endsWith('.ckpt'));
      assert.deepEqual(checkpoints.sort(), ['one.ckpt', 'step-2.ckpt']);
      for (const f of checkpoints) {
        const file = path.join(sessionDir, f);
        fs.writeFileSync(file, encodeCheckpoint(stateWithOldStageName(decodeCheckpoint(fs.readFileSync(file)).state)));
        assert.ok(!fs.readFileSync(file).includes('cross_entropy'), `${f} carries the old name only`);
      }

      old = await startServer(config, pino({ level: 'silent' }));
      c = new FspdClient({ address: old.addresses[0]!, deadlineMs: 60_000 });
      const s = await c.getSession('old');
      assert.deepEqual([s.stage, s.step], ['STAGE_CROSS_ENTROPY', 2]);
      assert.deepEqual(s.checkpoints.map((k) => [k.checkpointId, k.stage]), [['one', 'STAGE_CROSS_ENTROPY'], ['step-2', 'STAGE_CROSS_ENTROPY']]);
      assert.ok((await weightsOf(c, 'old-student')).equals(weightsAtShutdown), 'resumed from the last checkpoint');
      await c.restoreCheckpoint('old', 'one');
      assert.ok((await weightsOf(c, 'old-student')).equals(weightsAtOne), 'an older checkpoint restores too');
      assert.equal((await c.trainStep('old', batchOf(4, 2))).stage, 'STAGE_CROSS_ENTROPY');
    } finally {
      c.close();
      await old.shutdown();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});

describe('crash and shutdown during a Run', () => {
  const spec = { studentModelId: 'student', teacherModelId: 'teacher', seed: 4 };
  const runRequest = { sessionId: 'kept', dataset: MNIST, batchSize: 8, progressEvery: 1, evaluateDataset: MNIST_TEST };

  /** The student's weights after an uninterrupted Run of `steps` steps from the same start (in-process server). */
  async function reference(steps: number): Promise<Buffer> {
    const id = `ref-${steps}`;
    if (!(await client.listModels()).some((m) => m.modelId === 'ref-teacher')) await client.createModel({ modelId: 'ref-teacher', resnet: { ...DIGITS, seed: 1 } });
    await client.createModel({ modelId: id, resnet: { ...DIGITS, seed: 2 } });
    await client.createSession({ sessionId: id, spec: { ...spec, studentModelId: id, teacherModelId: 'ref-teacher' } });
    for await (const _ of client.run({ ...runRequest, sessionId: id, steps }));
    assert.equal((await client.getSession(id)).step, steps);
    return weightsOf(client, id);
  }

  /** Reads a Run until `stop` says so; returns the last step reported (the stream's error is the caller's). */
  async function runUntil(events: AsyncIterable<RunResponse>, stop: (e: RunResponse) => boolean): Promise<{ step: number; error?: unknown }> {
    let step = 0;
    try {
      for await (const e of events) {
        if (e.progress) step = e.progress.lastStep!.step;
        if (stop(e)) break;
      }
    } catch (error) {
      return { step, error };
    }
    return { step };
  }

  it('SIGKILL: a restart finds the session at its last checkpoint, bit-equal to an uninterrupted run; SIGTERM loses no completed step', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-crash-'));
    try {
      // 1. Train with a checkpoint every 2 steps; SIGKILL once the checkpoint of step 4 is reported.
      const first = await serveChild(['--checkpoint-dir', state]);
      let c = new FspdClient({ address: first.address, deadlineMs: 60_000 });
      await c.createModel({ modelId: 'teacher', resnet: { ...DIGITS, seed: 1 } });
      await c.createModel({ modelId: 'student', resnet: { ...DIGITS, seed: 2 } });
      await c.createSession({ sessionId: 'kept', spec });
      let killedAfter = 0;
      await runUntil(c.run({ ...runRequest, steps: 10_000, checkpointEvery: 2 }), (e) => {
        if (e.checkpoint && e.checkpoint.step >= 4) {
          first.child.kill('SIGKILL');
          killedAfter = e.checkpoint.step;
          return true;
        }
        return false;
      });
      assert.deepEqual(await first.exited, { code: null, signal: 'SIGKILL' });
      c.close();

      // 2. Restart: the session is at its last checkpoint (4, or a later one written before the kill landed).
      const second = await serveChild(['--checkpoint-dir', state]);
      c = new FspdClient({ address: second.address, deadlineMs: 60_000 });
      const s = await c.getSession('kept');
      const last = s.checkpoints.at(-1)!;
      assert.ok(last.step >= killedAfter && last.step % 2 === 0, `last checkpoint at step ${last.step}`);
      assert.equal(s.step, last.step, 'the session resumes at its last checkpoint');
      const atCheckpoint = await weightsOf(c, 'student');
      assert.ok(atCheckpoint.equals(await reference(last.step)), `student weights bit-equal to an uninterrupted run of ${last.step} steps`);

      // 3. SIGTERM in the middle of a Run (between checkpoints): every step the Run reported survives.
      const { step: reported, error } = await runUntil(c.run({ ...runRequest, steps: 10_000, checkpointEvery: 100 }), (e) => {
        if (e.progress && e.progress.lastStep!.step === last.step + 3) second.child.kill('SIGTERM');
        return false;
      });
      assert.match(String((error as Error)?.message), /UNAVAILABLE: the server is shutting down/);
      assert.deepEqual(await second.exited, { code: 0, signal: null });
      c.close();
      const third = await serveChild(['--checkpoint-dir', state]);
      c = new FspdClient({ address: third.address, deadlineMs: 60_000 });
      const resumed = await c.getSession('kept');
      assert.ok(reported >= last.step + 3, `reported up to step ${reported}`);
      assert.equal(resumed.step, reported, 'no completed step lost');
      assert.ok((await weightsOf(c, 'student')).equals(await reference(reported)), `student weights bit-equal to an uninterrupted run of ${reported} steps`);
      third.child.kill('SIGTERM');
      assert.equal((await third.exited).code, 0);
      c.close();
    } finally {
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});
