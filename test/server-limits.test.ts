// Admission control: every limit refuses with RESOURCE_EXHAUSTED naming its flag before anything is
// allocated, and the same request passes once the flag is raised; the memory budget's reservations come
// back to where they started after errors, cancellations and deletes; concurrent creates past the budget:
// exactly the ones that fit succeed; the kernel queue bounds waiting calls and lets cancelled and expired
// ones go. The kernel queue and the budget are also checked on their own, without gRPC.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import { FspdClient, FspdError, toBatch } from '../src/client/index.js';
import { SharedMemoryFile } from '../src/client/shared-memory.js';
import { loadConfig, type ServerConfig } from '../src/server/config.js';
import { KernelQueue } from '../src/server/kernel-queue.js';
import { RpcError } from '../src/server/status.js';
import { MemoryBudget } from '../src/server/memory-budget.js';
import { fileMapper } from '../src/native/index.js';
import { fspdGrpcObject } from '../src/proto/index.js';
import { resnetParameterCount } from '../src/server/registry.js';
import { SharedMemoryRegions } from '../src/server/shared-memory.js';
import type { FspdServer } from '../src/server/server.js';
import { expectStatus, float32Tensor, gauge, startTestServer, until, values } from './helpers/server.js';

const TINY = { depth: 8, inputShape: [8, 8, 1] };
const TINY_BYTES = 4 * resnetParameterCount({ depth: 8, widthMultiplier: 1, numClasses: 10, inputShape: [8, 8, 1] });
const DIGITS = { depth: 8, inputShape: [28, 28, 1] };

/** The limits the strict server runs with; `raised` is the same server with every limit raised through its flags. */
const STRICT: Partial<ServerConfig> = { maxOutputElements: 4096, maxBatch: 4, maxModelSize: 500_000, maxInflightKernels: 1, maxQueued: 1 };
const RAISED = loadConfig({ maxOutputElements: '1000000', maxBatch: '64', maxModelSize: '1MiB' }, {});

interface Running {
  server: FspdServer;
  client: FspdClient;
  close(): Promise<void>;
}

async function start(config: Partial<ServerConfig>): Promise<Running> {
  const server = await startTestServer(config);
  const client = new FspdClient({ address: server.addresses[0]!, deadlineMs: 60_000 });
  return {
    server,
    client,
    close: async () => {
      client.close();
      await server.shutdown();
    },
  };
}

const reserved = (server: FspdServer) => gauge(server, 'fspd_memory_reserved_bytes');

/** A call refused by a limit: ErrorInfo says LIMIT_EXCEEDED, the limit and its flag (what clients read instead of the message). */
async function expectLimit(promise: Promise<unknown>, limit: string, flag: string, retryDelayMs?: number): Promise<void> {
  await assert.rejects(promise, (err: FspdError) => {
    assert.ok(err instanceof FspdError, String(err));
    assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED, err.details);
    assert.equal(err.reason, 'LIMIT_EXCEEDED');
    assert.deepEqual(err.errorMetadata, { limit, flag });
    assert.equal(err.retryDelayMs, retryDelayMs, 'RetryInfo');
    return true;
  });
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

/** A pair of NHWC maps [b, h, w, c1] and [b, h, w, c2]. */
function pair(b: number, h: number, w: number, c1: number, c2: number, seed = 1) {
  const first = seeded(b * h * w * c1, seed);
  const second = seeded(b * h * w * c2, seed + 1);
  return {
    first,
    second,
    message: { first: float32Tensor(first, [b, h, w, c1]), second: float32Tensor(second, [b, h, w, c2]), layout: 'LAYOUT_NHWC' as const },
  };
}

/** G[b, i, j] = Σ_hw first[b, hw, i] · second[b, hw, j] / (h·w), in float64. */
function fspReference(first: Float32Array, second: Float32Array, b: number, hw: number, c1: number, c2: number): Float64Array {
  const g = new Float64Array(b * c1 * c2);
  for (let n = 0; n < b; n++)
    for (let p = 0; p < hw; p++)
      for (let i = 0; i < c1; i++)
        for (let j = 0; j < c2; j++) g[(n * c1 + i) * c2 + j]! += (first[(n * hw + p) * c1 + i]! * second[(n * hw + p) * c2 + j]!) / hw;
  return g;
}

const images = (n: number, side: number) => toBatch({ data: seeded(n * side * side, n), shape: [n, side, side, 1] }, Array.from({ length: n }, (_, i) => i % 10));

/** A fake server call for the kernel queue: cancellable, with a deadline. */
function fakeCall(deadline: number = Infinity) {
  const call = Object.assign(new EventEmitter(), { cancelled: false, getDeadline: () => deadline });
  return { call, cancel: () => ((call.cancelled = true), call.emit('cancelled')) };
}

describe('KernelQueue', () => {
  it('runs maxRunning at once, queues maxQueued first come first served, refuses one more naming --max-queued', async () => {
    const queue = new KernelQueue(1, 2);
    const first = await queue.acquire();
    const order: string[] = [];
    const a = queue.acquire().then((release) => (order.push('a'), release));
    const b = queue.acquire().then((release) => (order.push('b'), release));
    await assert.rejects(queue.acquire(), (err: RpcError) => {
      assert.ok(err instanceof RpcError);
      assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal(err.reason, 'LIMIT_EXCEEDED');
      assert.deepEqual(err.metadata, { limit: 'queued_calls', flag: '--max-queued' });
      assert.equal(err.retryDelayMs, 100, 'RetryInfo');
      assert.match(err.message, /1 compute calls run .* 2 wait.*--max-queued or FSPD_MAX_QUEUED.*retry/);
      return true;
    });
    assert.deepEqual(queue.stats(), { running: 1, queued: 2 });
    first();
    first(); // a second release does nothing
    (await a)();
    (await b)();
    assert.deepEqual(order, ['a', 'b']);
    assert.deepEqual(queue.stats(), { running: 0, queued: 0 });
  });

  it('a queued call leaves on cancellation and on its deadline', async () => {
    const queue = new KernelQueue(1, 4);
    const release = await queue.acquire();
    const cancelled = fakeCall();
    const waiting = queue.acquire(cancelled.call);
    const expiring = queue.acquire(fakeCall(Date.now() + 50).call);
    const last = queue.acquire();
    assert.equal(queue.stats().queued, 3);
    cancelled.cancel();
    await assert.rejects(waiting, (err: grpc.ServiceError) => err.code === grpc.status.CANCELLED);
    await assert.rejects(expiring, (err: grpc.ServiceError) => err.code === grpc.status.DEADLINE_EXCEEDED);
    assert.deepEqual(queue.stats(), { running: 1, queued: 1 });
    release();
    (await last)();
    assert.deepEqual(queue.stats(), { running: 0, queued: 0 });
    await assert.rejects(queue.acquire(cancelled.call), (err: grpc.ServiceError) => err.code === grpc.status.CANCELLED, 'an already cancelled call is not queued');
  });
});

describe('MemoryBudget', () => {
  it('reserves and releases; refuses past the budget naming --max-memory; counts tensors no reservation covers', () => {
    let tensors = 0;
    const budget = new MemoryBudget(1000, () => tensors);
    const a = budget.reserve(600, 'a', 'tensors');
    assert.throws(() => budget.reserve(500, 'b'), (err: RpcError) => err instanceof RpcError && err.reason === 'LIMIT_EXCEEDED' && err.metadata.flag === '--max-memory' && err.metadata.limit === 'memory' && /^b needs .* of its .* memory budget \(raise it with --max-memory/.test(err.message));
    const b = budget.reserve(400, 'b');
    assert.equal(budget.used(), 1000);
    b.release();
    b.release();
    assert.equal(budget.used(), 600, 'a second release gives nothing back twice');
    tensors = 500;
    assert.equal(budget.used(), 600, 'tensors within the tensor reservations are not counted twice');
    tensors = 900;
    assert.deepEqual(budget.stats(), { max: 1000, reserved: 600, reservedTensors: 600, untracked: 300, used: 900 });
    assert.throws(() => budget.reserve(101, 'c'), /--max-memory/, 'untracked tensors count');
    a.resize(100);
    assert.equal(budget.stats().reserved, 100);
    a.release();
    tensors = 0;
    assert.equal(budget.used(), 0);
  });
});

describe('SharedMemoryRegions with a budget', () => {
  it('a region reserves its size while registered; its mapped views are its own, not a call\'s', { skip: fileMapper() ? false : 'needs the native addon (it maps the file)' }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-limits-regions-'));
    try {
      fs.writeFileSync(path.join(dir, 'f'), Buffer.alloc(4096));
      fs.writeFileSync(path.join(dir, 'g'), Buffer.alloc(8192));
      const budget = new MemoryBudget(10_000, () => 0);
      const regions = new SharedMemoryRegions(dir, { memory: budget });
      regions.register('a', 'f', 4096);
      assert.equal(budget.stats().reserved, 4096);
      assert.throws(() => regions.register('b', 'g', 8192), /shared-memory region 'b' needs .*--max-memory/);
      const view = regions.read({ region: 'a', offset: 16 }, 64, 'x');
      assert.equal(regions.holds(new Float32Array(view.buffer, view.byteOffset, 16)), true, 'a view into the mapping');
      assert.equal(regions.holds(new Float32Array(16)), false, 'any other array');
      regions.unregister('a');
      assert.equal(budget.stats().reserved, 0);
      regions.register('b', 'g', 8192);
      assert.equal(budget.stats().reserved, 8192, 'the refused registration held nothing');
      regions.closeAll();
      assert.equal(budget.stats().reserved, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('limits over gRPC', () => {
  let strict: Running;
  let raised: Running;
  let shmDir: string;

  before(async () => {
    shmDir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'fspd-limits-'));
    strict = await start({ ...STRICT, sharedMemoryDir: shmDir });
    raised = await start({ ...RAISED, addresses: ['127.0.0.1:0'], metricsAddress: '127.0.0.1:0' });
    for (const { client } of [strict, raised]) {
      await client.createModel({ modelId: 'teacher', resnet: { ...TINY, seed: 1 } });
      await client.createModel({ modelId: 'digits', resnet: { ...DIGITS, seed: 1 } });
    }
  });

  after(async () => {
    await strict.close();
    await raised.close();
    fs.rmSync(shmDir, { recursive: true, force: true });
  });

  it('two [1, 1, 1, 40000] maps asking for a 40000 × 40000 output (6.4 GB from a 640 KB request): RESOURCE_EXHAUSTED at the default limit too', async () => {
    const { message } = pair(1, 1, 1, 40000, 40000);
    const defaults = await start({});
    try {
      for (const { client } of [strict, raised, defaults]) {
        await expectStatus(client.computeFsp({ pairs: [message] }), grpc.status.RESOURCE_EXHAUSTED, /^pairs: FSP matrices of 1600000000 elements in all, over the limit of \d+ per call \(raise it with --max-output-elements or FSPD_MAX_OUTPUT_ELEMENTS\)$/);
        await expectStatus(client.fspLoss({ student: [message], teacher: [message] }), grpc.status.RESOURCE_EXHAUSTED, /^student, teacher: FSP matrices of 3200000000 elements .*--max-output-elements/);
      }
    } finally {
      await defaults.close();
    }
  });

  it('output elements: refused over --max-output-elements, computed once it is raised', async () => {
    const p = pair(2, 2, 2, 64, 64, 7); // 2 × 64 × 64 = 8192 elements
    await expectStatus(strict.client.computeFsp({ pairs: [p.message] }), grpc.status.RESOURCE_EXHAUSTED, /8192 elements .*over the limit of 4096.*--max-output-elements/);
    await expectStatus(strict.client.fspLoss({ student: [p.message], teacherMatrices: [float32Tensor(new Float32Array(8192), [2, 64, 64])] }), grpc.status.RESOURCE_EXHAUSTED, /^student: FSP matrices of 8192 elements/);
    await expectLimit(strict.client.computeFsp({ pairs: [p.message] }), 'output_elements', '--max-output-elements');
    const r = await raised.client.computeFsp({ pairs: [p.message] });
    const got = values(r.matrices[0]);
    const want = fspReference(p.first, p.second, 2, 4, 64, 64);
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 + 1e-4 * Math.abs(want[i]!), `G[${i}]: ${got[i]} vs ${want[i]}`);
  });

  it('batch: TeacherFsp, TrainStep, Evaluate and Run refused over --max-batch, accepted once it is raised', async () => {
    const batch = images(5, 8);
    for (const { client } of [strict, raised]) {
      await client.createModel({ modelId: 'student', resnet: { ...TINY, seed: 2 } });
      await client.createSession({ sessionId: 'train', spec: { studentModelId: 'student' }, stage: 'STAGE_CROSS_ENTROPY' });
    }
    const over = /a batch of 5 samples, over the limit of 4 \(raise it with --max-batch or FSPD_MAX_BATCH\)/;
    await expectStatus(strict.client.teacherFsp({ modelId: 'teacher', images: batch.images }), grpc.status.RESOURCE_EXHAUSTED, new RegExp(`^images: ${over.source}`));
    await expectStatus(strict.client.trainStep('train', batch), grpc.status.RESOURCE_EXHAUSTED, new RegExp(`^batch.images: ${over.source}`));
    await expectStatus(strict.client.evaluate({ sessionId: 'train', batch }), grpc.status.RESOURCE_EXHAUSTED, over);
    await expectStatus(strict.client.evaluate({ modelId: 'digits', dataset: { name: 'DATASET_NAME_MNIST', limit: 10 }, batchSize: 5 }), grpc.status.RESOURCE_EXHAUSTED, /^batch_size: a batch of 5/);
    await expectStatus(
      (async () => {
        for await (const _ of strict.client.run({ sessionId: 'train', dataset: { name: 'DATASET_NAME_MNIST' }, batchSize: 5, steps: 1 })) break;
      })(),
      grpc.status.RESOURCE_EXHAUSTED,
      /^batch_size: a batch of 5.*--max-batch/,
    );
    await expectLimit(strict.client.trainStep('train', batch), 'batch', '--max-batch');
    const t = await raised.client.teacherFsp({ modelId: 'teacher', images: batch.images });
    assert.equal(t.matrices.length, 3, 'one matrix per pair of the teacher');
    assert.deepEqual(t.matrices[0]!.shape, [5, 16, 16]);
    const step = await raised.client.trainStep('train', batch);
    assert.ok(Number.isFinite(step.loss) && step.step === 1, `a step was taken: ${JSON.stringify(step)}`);
    assert.equal((await raised.client.evaluate({ sessionId: 'train', batch })).samples, 5);
    for (const { client } of [strict, raised]) {
      await client.deleteSession('train');
      await client.deleteModel('student');
    }
  });

  it('model size: CreateModel and UploadModel (at the header, before the weights) refused over --max-model-size, accepted once it is raised', async () => {
    const big = { depth: 14, inputShape: [8, 8, 1] }; // 690 KB of weights
    await raised.client.createModel({ modelId: 'big', resnet: big });
    const exported = await raised.client.exportModel('big');
    await expectStatus(strict.client.createModel({ modelId: 'big', resnet: big }), grpc.status.RESOURCE_EXHAUSTED, /^resnet: 0\.\d+ MiB of weights, over the limit of 0\.477 MiB per model \(raise it with --max-model-size or FSPD_MAX_MODEL_SIZE\)$/);
    await expectStatus(strict.client.uploadModel(exported, 'big'), grpc.status.RESOURCE_EXHAUSTED, /^header.weights_size: .*--max-model-size/);
    await expectLimit(strict.client.createModel({ modelId: 'big', resnet: big }), 'model_size', '--max-model-size');
    const uploaded = await raised.client.uploadModel(exported, 'big-again');
    assert.equal(uploaded.weightsSize, exported.weights.byteLength);
    await raised.client.deleteModel('big');
    await raised.client.deleteModel('big-again');
  });

  it('reservations: back to where they started after a session, a region, a rejected upload and a cancelled one', async () => {
    const { client, server } = strict;
    const start = await reserved(server);

    await client.createModel({ modelId: 'r-student', resnet: TINY });
    await client.createSession({ sessionId: 'r', spec: { studentModelId: 'r-student', teacherModelId: 'teacher' } });
    assert.ok((await reserved(server)) > start + TINY_BYTES, 'the model and the session hold reservations');
    await client.deleteSession('r');
    await client.deleteModel('r-student');
    assert.equal(await reserved(server), start, 'after deleting the session and the model');

    const region = SharedMemoryFile.create(shmDir, 'region', 1 << 20);
    await client.registerSharedMemory('region', 'region', 1 << 20);
    assert.equal(await reserved(server), start + (1 << 20), 'a region reserves its size');
    await client.unregisterSharedMemory('region');
    region.remove();
    assert.equal(await reserved(server), start, 'after unregistering');

    const artifacts = await client.exportModel('teacher');
    await expectStatus(client.uploadModel({ ...artifacts, taps: ['no-such-layer'], pairs: [{ first: 0, second: 0 }] }, 'bad'), grpc.status.INVALID_ARGUMENT, /^header.taps\[0\]/);
    assert.equal(await reserved(server), start, 'after an upload refused for its taps');

    // An upload whose client goes away after the header and one chunk.
    const models = new (fspdGrpcObject().fspd.v1.ModelService)(server.addresses[0]!, grpc.credentials.createInsecure());
    const done = new Promise<grpc.ServiceError | null>((resolve) => {
      const call = models.UploadModel((err) => resolve(err));
      call.write({ header: { modelId: 'half', modelJson: JSON.stringify(artifacts.modelJson), taps: [], pairs: [], weightsSize: artifacts.weights.byteLength } });
      call.write({ weightsChunk: Buffer.from(artifacts.weights.subarray(0, 1024)) });
      void until('the upload reserved its weights', async () => (await reserved(server)) >= start + 2 * artifacts.weights.byteLength).then(() => call.cancel());
    });
    assert.equal((await done)?.code, grpc.status.CANCELLED);
    await until('the cancelled upload gave its reservation back', async () => (await reserved(server)) === start);
    models.close();
  });

  it('kernel queue: a full queue refuses naming --max-queued; queued calls leave on deadline and cancellation; all given back', async () => {
    const { client, server } = strict;
    const start = await reserved(server);
    // An evaluation of 1,996 digits in batches of 4 holds the one compute slot for a while.
    const stop = new AbortController();
    const evaluation = client.evaluate({ modelId: 'digits', dataset: { name: 'DATASET_NAME_MNIST' }, batchSize: 4 }, { signal: stop.signal });
    await until('the evaluation runs', async () => (await gauge(server, 'fspd_kernel_calls_running')) === 1);
    const small = pair(1, 2, 2, 4, 4).message;

    await expectStatus(client.computeFsp({ pairs: [small] }, { deadlineMs: 200 }), grpc.status.DEADLINE_EXCEEDED, /./);
    await until('the expired call left the queue', async () => (await gauge(server, 'fspd_kernel_calls_queued')) === 0);

    const cancel = new AbortController();
    const queued = client.computeFsp({ pairs: [small] }, { signal: cancel.signal });
    await until('one call queued', async () => (await gauge(server, 'fspd_kernel_calls_queued')) === 1);
    await expectStatus(client.fspLoss({ student: [small], teacher: [small] }), grpc.status.RESOURCE_EXHAUSTED, /^the server is busy: 1 compute calls run .*--max-queued or FSPD_MAX_QUEUED\); retry after a backoff/);
    await expectLimit(client.computeFsp({ pairs: [small] }), 'queued_calls', '--max-queued', 100);
    cancel.abort();
    await expectStatus(queued, grpc.status.CANCELLED, /./);
    await until('the cancelled call left the queue', async () => (await gauge(server, 'fspd_kernel_calls_queued')) === 0);

    stop.abort();
    await expectStatus(evaluation, grpc.status.CANCELLED, /./);
    await until('the slot and every reservation are back', async () => (await gauge(server, 'fspd_kernel_calls_running')) === 0 && (await reserved(server)) === start);
    const after = await client.computeFsp({ pairs: [small] });
    assert.equal(after.matrices.length, 1, 'the queue serves again');
  });
});

describe('memory budget under concurrent creates', () => {
  it('room for exactly two ResNets: of five concurrent CreateModel calls, exactly two succeed', async () => {
    // Everything this process holds now counts (untracked tensors), plus room for two models and a half.
    const running = await start({ teacherCacheSize: 0, maxMemory: tf.memory().numBytes + Math.floor(2.5 * TINY_BYTES) });
    try {
      const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => running.client.createModel({ modelId: `m${i}`, resnet: TINY })));
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(ok.length, 2, `two created: ${refused.map((r) => (r.reason as Error).message).join('; ')}`);
      for (const r of refused) {
        await expectLimit(Promise.reject(r.reason), 'memory', '--max-memory');
        assert.match((r.reason as grpc.ServiceError).details, /memory budget \(raise it with --max-memory or FSPD_MAX_MEMORY\)/);
      }
      assert.equal((await running.client.listModels()).length, 2);
    } finally {
      await running.close();
    }
  });
});
