// FspService over real loopback gRPC: values against src/fsp called directly and the float64 reference,
// every accepted dtype, one test per error path, and many concurrent clients.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { computeFsp, computeFspLoss } from '../src/fsp/index.js';
import type { FeatureMap, FeaturePair, Layout, Pooling, Reduction } from '../src/native/types.js';
import { Admission } from '../src/server/admission.js';
import { DEFAULT_CONFIG } from '../src/server/config.js';
import { fspServiceHandlers } from '../src/server/fsp-service.js';
import { KernelQueue } from '../src/server/kernel-queue.js';
import { MemoryBudget } from '../src/server/memory-budget.js';
import { ModelRegistry } from '../src/server/registry.js';
import type { FspdServer } from '../src/server/server.js';
import { TeacherFspCache } from '../src/training/index.js';
import type { FspLossRequest } from '../src/generated/fspd/v1/FspLossRequest.js';
import type { Tensor } from '../src/generated/fspd/v1/Tensor.js';
import { addon, addonSkip } from './helpers/addon.js';
import { assertClose } from './helpers/check.js';
import { dims, randomMap, seededRandom, seedOf } from './helpers/random.js';
import { refLoss, refPairFsp } from './helpers/reference.js';
import { decodedRequest, expectStatus, float32Tensor, fspClient, handlerCall, handlerResult, LAYOUT_ENUM, pairMessage, startTestServer, until, values, type FspClient } from './helpers/server.js';

let server: FspdServer;
let client: FspClient;

before(async () => {
  server = await startTestServer();
  client = fspClient(server.addresses[0]!);
});

after(async () => {
  client.close();
  await server.shutdown();
});

const mapsOf = (pair: FeaturePair) => pairMessage(pair.first, pair.second);

/** A student/teacher pair set: pair 0 has equal h×w, pair 1 halves it (pooled), like a ResNet section. */
function pairs(name: string, layout: Layout, batch = 3): { student: FeaturePair[]; teacher: FeaturePair[] } {
  const rng = seededRandom(seedOf('server-fsp', name, layout));
  const make = (): FeaturePair[] => [
    { first: randomMap(rng, dims(batch, 6, 5, 4), layout), second: randomMap(rng, dims(batch, 6, 5, 3), layout) },
    { first: randomMap(rng, dims(batch, 6, 6, 3), layout), second: randomMap(rng, dims(batch, 3, 3, 5), layout) },
  ];
  return { student: make(), teacher: make() };
}

describe('ComputeFsp', () => {
  for (const layout of ['NHWC', 'NCHW'] as Layout[]) {
    for (const pooling of ['max', 'avg'] as Pooling[]) {
      it(`${layout}, ${pooling} pooling: src/fsp's matrices and the float64 reference`, async () => {
        const { student } = pairs('compute', layout);
        const res = await client.computeFsp({ pairs: student.map(mapsOf), pooling: pooling === 'max' ? 'POOLING_MAX' : 'POOLING_AVG' });
        assert.equal(res.matrices.length, 2, 'one matrix per pair');
        student.forEach((pair, i) => {
          const m = res.matrices[i]!;
          assert.deepEqual(m.shape, [3, pair.first.shape[layout === 'NHWC' ? 3 : 1], pair.second.shape[layout === 'NHWC' ? 3 : 1]], `matrices[${i}].shape`);
          assertClose(values(m), computeFsp(pair, pooling), 1e-6, `matrices[${i}] vs computeFsp`);
          assertClose(values(m), refPairFsp(pair, pooling), 1e-5, `matrices[${i}] vs reference`);
        });
      });
    }
  }
});

describe('FspLoss', () => {
  const cases: Array<{ layout: Layout; reduction: Reduction; weights: number[] }> = [
    { layout: 'NHWC', reduction: 'paper', weights: [] },
    { layout: 'NCHW', reduction: 'mean', weights: [0.5, 2] },
  ];
  for (const { layout, reduction, weights } of cases) {
    it(`${layout}, ${reduction} reduction, weights [${weights.join(', ')}]: loss, gradients and teacher matrices`, async () => {
      const { student, teacher } = pairs('loss', layout);
      const res = await client.fspLoss({
        student: student.map(mapsOf),
        teacher: teacher.map(mapsOf),
        weights,
        reduction: reduction === 'paper' ? 'REDUCTION_PAPER' : 'REDUCTION_MEAN',
        returnGradients: true,
        returnTeacherMatrices: true,
      });
      const direct = computeFspLoss(student, { pairs: teacher }, { weights, reduction, returnGradients: true, returnTeacherMatrices: true });
      const ref = refLoss(student, { pairs: teacher }, { weights, reduction });
      assertClose([res.loss], [direct.loss], 1e-6, 'loss vs computeFspLoss');
      assertClose(res.pairLosses, direct.pairLosses, 1e-6, 'pair losses vs computeFspLoss');
      assertClose([res.loss, ...res.pairLosses], [ref.loss, ...ref.pairLosses], 1e-5, 'losses vs reference');
      assert.equal(res.studentGradients.length, 2, 'gradients per student pair');
      res.studentGradients.forEach((g, i) => {
        assert.equal(g.layout, LAYOUT_ENUM[layout], `student_gradients[${i}].layout`);
        assert.deepEqual(g.first?.shape, [...student[i]!.first.shape], `student_gradients[${i}].first.shape`);
        assert.deepEqual(g.second?.shape, [...student[i]!.second.shape], `student_gradients[${i}].second.shape`);
        assertClose(values(g.first), direct.gradients![i]!.first, 1e-6, `student_gradients[${i}].first`);
        assertClose(values(g.second), direct.gradients![i]!.second, 1e-6, `student_gradients[${i}].second`);
      });
      res.teacherMatrices.forEach((m, i) => assertClose(values(m), direct.teacherMatrices![i]!, 1e-6, `teacher_matrices[${i}]`));

      // The teacher's matrices, sent back instead of its maps, give the same loss.
      const cached = await client.fspLoss({ student: student.map(mapsOf), teacherMatrices: res.teacherMatrices, weights, reduction: reduction === 'paper' ? 'REDUCTION_PAPER' : 'REDUCTION_MEAN' });
      assertClose([cached.loss], [res.loss], 1e-6, 'loss from teacher_matrices');
      assert.equal(cached.studentGradients.length, 0, 'no gradients unless asked');
    });
  }
});

// float16 / bfloat16 encoders (round to nearest even), independent of the server's decoder.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function float16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 112; // rebias 127 → 15
  const mantissa = x & 0x7fffff;
  if (exponent >= 31) return sign | 0x7c00; // overflow → ∞ (inputs here are finite and small)
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - exponent;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    let bits = full >> shift;
    if (rest > half || (rest === half && bits & 1)) bits++;
    return sign | bits;
  }
  let bits = sign | (exponent << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && bits & 1)) bits++;
  return bits;
}

function bfloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  return (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

function encoded(map: FeatureMap, dtype: 'DATA_TYPE_FLOAT16' | 'DATA_TYPE_BFLOAT16' | 'DATA_TYPE_UINT8'): Tensor {
  const n = map.data.length;
  if (dtype === 'DATA_TYPE_UINT8') return { dtype, shape: [...map.shape], data: Buffer.from(Uint8Array.from(map.data)) };
  const bits = new Uint16Array(n);
  for (let i = 0; i < n; i++) bits[i] = dtype === 'DATA_TYPE_FLOAT16' ? float16Bits(map.data[i]!) : bfloat16Bits(map.data[i]!);
  return { dtype, shape: [...map.shape], data: Buffer.from(bits.buffer) };
}

/** A random map of values `step`·k for integers k in [lo, hi]: exact in the dtype under test. */
function gridMap(rng: () => number, shape: [number, number, number, number], step: number, lo: number, hi: number): FeatureMap {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = step * (lo + Math.floor(rng() * (hi - lo + 1)));
  return { data, shape, layout: 'NHWC' };
}

describe('dtypes', () => {
  it('float16, bfloat16 and uint8 maps decode to their exact values', async () => {
    const rng = seededRandom(seedOf('server-fsp', 'dtypes'));
    const half = gridMap(rng, [2, 4, 4, 3], 2 ** -10, -1024, 1024); // exact in float16
    const brain = gridMap(rng, [2, 4, 4, 5], 2 ** -7, -128, 128); // exact in bfloat16
    const bytes = gridMap(rng, [2, 4, 4, 2], 1, 0, 255);
    const plain = gridMap(rng, [2, 4, 4, 3], 2 ** -12, -4096, 4096);
    const res = await client.computeFsp({
      pairs: [
        { first: encoded(half, 'DATA_TYPE_FLOAT16'), second: encoded(brain, 'DATA_TYPE_BFLOAT16') },
        { first: encoded(bytes, 'DATA_TYPE_UINT8'), second: float32Tensor(plain.data, plain.shape) },
      ],
    });
    assertClose(values(res.matrices[0]), computeFsp({ first: half, second: brain }), 1e-6, 'float16 × bfloat16');
    assertClose(values(res.matrices[1]), computeFsp({ first: bytes, second: plain }), 1e-6, 'uint8 × float32');
  });

  it('FspLoss takes float16 maps and float16 teacher matrices and answers in float32', async () => {
    const rng = seededRandom(seedOf('server-fsp', 'dtypes-loss'));
    const student = { first: gridMap(rng, [2, 3, 3, 2], 2 ** -10, -1024, 1024), second: gridMap(rng, [2, 3, 3, 4], 2 ** -10, -1024, 1024) };
    const matrices = gridMap(rng, [2, 2, 4, 1], 2 ** -10, -1024, 1024);
    const res = await client.fspLoss({
      student: [{ first: encoded(student.first, 'DATA_TYPE_FLOAT16'), second: encoded(student.second, 'DATA_TYPE_FLOAT16') }],
      teacherMatrices: [{ ...encoded(matrices, 'DATA_TYPE_FLOAT16'), shape: [2, 2, 4] }],
      returnGradients: true,
    });
    const direct = computeFspLoss([student], { matrices: [matrices.data] }, { returnGradients: true });
    assertClose([res.loss], [direct.loss], 1e-6, 'loss');
    assertClose(values(res.studentGradients[0]!.first), direct.gradients![0]!.first, 1e-6, 'gradient of first');
  });
});

describe('errors: INVALID_ARGUMENT naming the field', () => {
  const INVALID = grpc.status.INVALID_ARGUMENT;
  /** A valid request to break one field of. */
  const base = (): FspLossRequest & { student: NonNullable<FspLossRequest['student']> } => {
    const { student, teacher } = pairs('errors', 'NHWC', 2);
    return { student: student.map(mapsOf), teacher: teacher.map(mapsOf) };
  };
  const tensor = (req: FspLossRequest, side: 'student' | 'teacher', i: number, which: 'first' | 'second') => req[side]![i]![which]!;

  it('a valid base request succeeds', async () => {
    const res = await client.fspLoss(base());
    assert.ok(res.loss > 0, `loss ${res.loss}`);
  });

  it('dtype int32', async () => {
    const req = base();
    tensor(req, 'student', 0, 'first').dtype = 'DATA_TYPE_INT32';
    await expectStatus(client.fspLoss(req), INVALID, /^student\[0\]\.first\.dtype: expected DATA_TYPE_FLOAT32.*got DATA_TYPE_INT32/);
  });

  it('dtype unspecified', async () => {
    const req = base();
    tensor(req, 'teacher', 1, 'second').dtype = 'DATA_TYPE_UNSPECIFIED';
    await expectStatus(client.fspLoss(req), INVALID, /^teacher\[1\]\.second\.dtype: .*got DATA_TYPE_UNSPECIFIED/);
  });

  it('data length does not match shape × dtype size', async () => {
    const req = base();
    const t = tensor(req, 'student', 1, 'second');
    t.data = (t.data as Buffer).subarray(4);
    await expectStatus(client.fspLoss(req), INVALID, /^student\[1\]\.second\.data: \d+ bytes, but shape \[2, 3, 3, 5\] of DATA_TYPE_FLOAT32 needs 360/);
  });

  it('negative dimension', async () => {
    const req = base();
    tensor(req, 'student', 0, 'second').shape = [2, -6, 5, 3];
    await expectStatus(client.fspLoss(req), INVALID, /^student\[0\]\.second\.shape\[1\]: expected an integer >= 0, got -6/);
  });

  it('not 4-D', async () => {
    const req = base();
    tensor(req, 'student', 1, 'first').shape = [2, 6, 18];
    await expectStatus(client.fspLoss(req), INVALID, /^student\[1\]\.first\.shape: expected 4 dimensions/);
  });

  it('zero-sized dimension', async () => {
    const req = base();
    const t = tensor(req, 'student', 0, 'first');
    t.shape = [0, 6, 5, 4];
    t.data = Buffer.alloc(0);
    await expectStatus(client.fspLoss(req), INVALID, /^student\[0\]\.first\.shape\[0\]: expected a positive integer, got 0/);
  });

  it('batch mismatch inside a student pair', async () => {
    const req = base();
    const rng = seededRandom(1);
    req.student[1] = pairMessage(randomMap(rng, dims(2, 6, 6, 3), 'NHWC'), randomMap(rng, dims(3, 3, 3, 5), 'NHWC'));
    await expectStatus(client.fspLoss(req), INVALID, /^student\[1\]\.second\.shape: batch 3 differs from student\[1\]\.first batch 2/);
  });

  it('batch mismatch between teacher and student', async () => {
    const req = base();
    const rng = seededRandom(2);
    req.teacher![0] = pairMessage(randomMap(rng, dims(3, 6, 5, 4), 'NHWC'), randomMap(rng, dims(3, 6, 5, 3), 'NHWC'));
    await expectStatus(client.fspLoss(req), INVALID, /^teacher\[0\]\.first\.shape: batch 3 differs from student\[0\] batch 2/);
  });

  it('teacher FSP matrix size differs from the student\'s', async () => {
    const req = base();
    const rng = seededRandom(3);
    req.teacher![1] = pairMessage(randomMap(rng, dims(2, 6, 6, 3), 'NHWC'), randomMap(rng, dims(2, 3, 3, 7), 'NHWC'));
    await expectStatus(client.fspLoss(req), INVALID, /^teacher\[1\]: FSP matrix 3x7 does not match student\[1\] 3x5/);
  });

  it('missing teacher', async () => {
    const req = base();
    delete req.teacher;
    await expectStatus(client.fspLoss(req), INVALID, /^teacher: missing; set teacher \(feature pairs\) or teacher_matrices/);
  });

  it('both teacher and teacher_matrices', async () => {
    const req = base();
    req.teacherMatrices = [float32Tensor(new Float32Array(24), [2, 4, 3]), float32Tensor(new Float32Array(30), [2, 3, 5])];
    await expectStatus(client.fspLoss(req), INVALID, /^teacher, teacher_matrices: set one of them, not both/);
  });

  it('teacher_matrices with the wrong number of elements', async () => {
    const req = base();
    delete req.teacher;
    req.teacherMatrices = [float32Tensor(new Float32Array(24), [2, 4, 3]), float32Tensor(new Float32Array(20), [2, 2, 5])];
    await expectStatus(client.fspLoss(req), INVALID, /^teacher_matrices\[1\]: length 20, expected 30/);
  });

  it('teacher_matrices transposed', async () => {
    const req = base();
    delete req.teacher;
    req.teacherMatrices = [float32Tensor(new Float32Array(24), [2, 3, 4]), float32Tensor(new Float32Array(30), [2, 3, 5])];
    await expectStatus(client.fspLoss(req), INVALID, /^teacher_matrices\[0\]\.shape: \[2, 3, 4\] does not match student\[0\]'s FSP matrix \[2, 4, 3\]/);
  });

  it('NaN weight', async () => {
    const req = base();
    req.weights = [1, NaN];
    await expectStatus(client.fspLoss(req), INVALID, /^weights\[1\]: expected a finite number >= 0, got NaN/);
  });

  it('negative weight', async () => {
    const req = base();
    req.weights = [-1, 1];
    await expectStatus(client.fspLoss(req), INVALID, /^weights\[0\]: expected a finite number >= 0, got -1/);
  });

  it('wrong number of weights', async () => {
    const req = base();
    req.weights = [1, 1, 1];
    await expectStatus(client.fspLoss(req), INVALID, /^weights: 3 weights for 2 pairs/);
  });

  it('no student pairs', async () => {
    await expectStatus(client.fspLoss({ teacher: base().teacher }), INVALID, /^student: expected a non-empty array/);
  });

  it('a pair without its second map', async () => {
    const req = base();
    delete req.student[0]!.second;
    await expectStatus(client.fspLoss(req), INVALID, /^student\[0\]\.second: missing/);
  });

  it('unknown layout value', async () => {
    const req = base();
    req.student[1]!.layout = 7 as unknown as 'LAYOUT_NHWC';
    await expectStatus(client.fspLoss(req), INVALID, /^student\[1\]\.layout: unknown value 7/);
  });

  it('unknown reduction value', async () => {
    const req = base();
    req.reduction = 9 as unknown as 'REDUCTION_MEAN';
    await expectStatus(client.fspLoss(req), INVALID, /^reduction: unknown value 9/);
  });

  it('ComputeFsp without pairs', async () => {
    await expectStatus(client.computeFsp({}), INVALID, /^pairs: expected at least one feature pair/);
  });

  it('ComputeFsp batch mismatch', async () => {
    const rng = seededRandom(4);
    const pair = pairMessage(randomMap(rng, dims(2, 4, 4, 3), 'NCHW'), randomMap(rng, dims(1, 4, 4, 3), 'NCHW'));
    await expectStatus(client.computeFsp({ pairs: [pair, pair] }), INVALID, /^pairs\[0\]\.second\.shape: batch 1 differs from pairs\[0\]\.first batch 2/);
  });

  it('TeacherFsp with an unknown model is NOT_FOUND naming model_id', async () => {
    await expectStatus(client.teacherFsp({ modelId: 'teacher' }), grpc.status.NOT_FOUND, /^model_id: no model 'teacher'/);
  });

  it('TeacherFsp whose model is deleted while it waits for a compute slot is ABORTED (DELETED), not INTERNAL', async () => {
    const silent = pino({ level: 'silent' });
    const memory = new MemoryBudget(2 ** 40);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-deleted-'));
    const registry = new ModelRegistry({ maxModels: 2, dir, memory, log: silent });
    await registry.create('t', { depth: 8, widthMultiplier: 1, numClasses: 3, inputShape: [4, 4, 1], seed: 1 });
    const queue = new KernelQueue(1, 4);
    const handlers = fspServiceHandlers(silent, new Admission(DEFAULT_CONFIG, memory, queue), { registry, cache: new TeacherFspCache() });
    const request = decodedRequest('TeacherFspRequest', { modelId: 't', images: float32Tensor(new Float32Array(2 * 16).fill(0.5), [2, 4, 4, 1]) });
    const slot = await queue.acquire();
    const call = handlerResult(handlers.TeacherFsp as never, handlerCall(request));
    await until('the call waits for the compute slot', async () => queue.stats().queued === 1);
    await registry.delete('t');
    slot();
    const { err } = await call;
    assert.equal(err?.code, grpc.status.ABORTED, `code, got ${err?.code} ${err?.details}`);
    assert.equal(err?.details, "model_id: model 't' was deleted while this call waited");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('concurrency', () => {
  // Gradients go into arrays the server keeps and takes back once a response is encoded (kept-arrays.ts):
  // after the first call, calls of the same shapes make no new output arrays.
  it('FspLoss gradients reuse the server\'s kept arrays: no new outputs after the first call', { skip: addonSkip }, async () => {
    const rng = seededRandom(seedOf('server-fsp', 'kept'));
    const student = [{ first: randomMap(rng, dims(5, 7, 7, 6), 'NCHW'), second: randomMap(rng, dims(5, 7, 7, 9), 'NCHW') }];
    const matrices = [new Float32Array(5 * 6 * 9).map(() => rng() - 0.5)];
    const message = { student: student.map(mapsOf), teacherMatrices: [float32Tensor(matrices[0]!, [5, 6, 9])], returnGradients: true };
    const expected = computeFspLoss(student, { matrices }, { returnGradients: true });
    await client.fspLoss(message);
    const taken = () => { const s = addon!.outputPoolStats(); return s.hits + s.misses + s.bypassed; };
    const before = taken();
    for (let i = 0; i < 5; i++) {
      const res = await client.fspLoss(message);
      assert.deepEqual(values(res.studentGradients[0]!.first), expected.gradients![0]!.first, `call ${i} gradient (first)`);
      assert.deepEqual(values(res.studentGradients[0]!.second), expected.gradients![0]!.second, `call ${i} gradient (second)`);
    }
    assert.equal(taken() - before, 0, 'output arrays made by five more calls');
  });

  it('16 clients × 50 FspLoss calls, each on its own connection, all correct', async () => {
    const rng = seededRandom(seedOf('server-fsp', 'concurrency'));
    const requests = Array.from({ length: 8 }, () => {
      const student = [{ first: randomMap(rng, dims(4, 8, 8, 8), 'NHWC'), second: randomMap(rng, dims(4, 8, 8, 16), 'NHWC') }];
      const teacher = [{ first: randomMap(rng, dims(4, 8, 8, 8), 'NHWC'), second: randomMap(rng, dims(4, 8, 8, 16), 'NHWC') }];
      const expected = computeFspLoss(student, { pairs: teacher }, { returnGradients: true });
      return { message: { student: student.map(mapsOf), teacher: teacher.map(mapsOf), returnGradients: true }, expected };
    });
    const clients = Array.from({ length: 16 }, () => fspClient(server.addresses[0]!, { ownConnection: true }));
    try {
      await Promise.all(
        clients.map(async (c, k) => {
          for (let i = 0; i < 50; i++) {
            const { message, expected } = requests[(k + i) % requests.length]!;
            const res = await c.fspLoss(message);
            assertClose([res.loss], [expected.loss], 1e-6, `client ${k} call ${i} loss`);
            assertClose(values(res.studentGradients[0]!.first), expected.gradients![0]!.first, 1e-6, `client ${k} call ${i} gradient (first)`);
            assertClose(values(res.studentGradients[0]!.second), expected.gradients![0]!.second, 1e-6, `client ${k} call ${i} gradient (second)`);
          }
        }),
      );
    } finally {
      clients.forEach((c) => c.close());
    }
  });
});
