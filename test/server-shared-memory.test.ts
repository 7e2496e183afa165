// Shared-memory tensors over real loopback gRPC: FspLoss and ComputeFsp with tensors in a registered region
// give the same values as the same calls with inline bytes (the float64 reference checks those in
// server-fsp.test.ts), gradients written into the region land packed where the response says, and every
// error path names its field. The file-backed fallback (no addon) is checked against the mapped path.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { FspdClient } from '../src/client/client.js';
import { SharedMemoryFile } from '../src/client/shared-memory.js';
import type { FeaturePair as PairMessage } from '../src/generated/fspd/v1/FeaturePair.js';
import { fileMapper } from '../src/native/index.js';
import type { FeatureMap } from '../src/native/types.js';
import { decodeFloatTensor } from '../src/server/codec.js';
import type { FspLossResponse } from '../src/generated/fspd/v1/FspLossResponse.js';
import { Admission } from '../src/server/admission.js';
import { DEFAULT_CONFIG } from '../src/server/config.js';
import { fspServiceHandlers } from '../src/server/fsp-service.js';
import { KernelQueue } from '../src/server/kernel-queue.js';
import { MemoryBudget } from '../src/server/memory-budget.js';
import type { FspdServer } from '../src/server/server.js';
import { inlineSharedTensors, SharedMemoryRegions } from '../src/server/shared-memory.js';
import { serveChild } from './helpers/child-server.js';
import { dims, randomMap, seededRandom } from './helpers/random.js';
import { decodedRequest, expectStatus, float32Tensor, handlerCall, handlerResult, pairMessage, startTestServer, until, values } from './helpers/server.js';

// /dev/shm is a tmpfs on Linux; elsewhere a temporary directory works the same, only on disk.
const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
let dir: string;
let server: FspdServer;
let client: FspdClient;
let shm: SharedMemoryFile;
const REGION_BYTES = 1 << 20;

before(async () => {
  dir = fs.mkdtempSync(path.join(base, 'fspd-test-'));
  server = await startTestServer({ sharedMemoryDir: dir });
  client = new FspdClient({ address: server.addresses[0]!, deadlineMs: 30_000 });
  shm = SharedMemoryFile.create(dir, 'main', REGION_BYTES);
  await client.registerSharedMemory('main', 'main', REGION_BYTES);
});

after(async () => {
  client.close();
  await server.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

const rng = seededRandom(20261128);
// Odd sizes, so packed gradients need the rounding to multiples of 4 only through the offsets given.
const student = { first: randomMap(rng, dims(3, 5, 7, 6), 'NCHW'), second: randomMap(rng, dims(3, 5, 7, 5), 'NCHW') };
const teacher = { first: randomMap(rng, dims(3, 5, 7, 6), 'NCHW'), second: randomMap(rng, dims(3, 5, 7, 5), 'NCHW') };

/** Writes both maps of a pair into the region from `offset` on; the pair message and the next free offset. */
function putPair(pair: { first: FeatureMap; second: FeatureMap }, offset: number): [PairMessage, number] {
  const first = shm.putFloat32(pair.first.data, pair.first.shape, offset);
  const secondAt = offset + pair.first.data.byteLength;
  const second = shm.putFloat32(pair.second.data, pair.second.shape, secondAt);
  return [{ first, second, layout: 'LAYOUT_NCHW' }, secondAt + pair.second.data.byteLength];
}

describe('shared-memory tensors', () => {
  it('FspLoss with inputs in shared memory and gradients_to equals the inline call; gradients land packed', async () => {
    const inline = await client.fspLoss({ student: [pairMessage(student.first, student.second)], teacher: [pairMessage(teacher.first, teacher.second)], returnGradients: true });
    const [s, next] = putPair(student, 0);
    const [t, end] = putPair(teacher, next);
    const gradientsAt = end + 2; // not a multiple of 4: the server rounds up
    const shared = await client.fspLoss({ student: [s], teacher: [t], returnGradients: true, gradientsTo: shm.ref(gradientsAt) });
    assert.equal(shared.loss, inline.loss, 'same loss as inline bytes');
    const [g] = shared.studentGradients;
    assert.equal(g!.first!.data.byteLength, 0, 'gradients carry no inline bytes');
    const firstAt = Math.ceil(gradientsAt / 4) * 4;
    assert.equal(Number(g!.first!.sharedMemory!.offset), firstAt, 'first gradient at the rounded-up offset');
    assert.equal(Number(g!.second!.sharedMemory!.offset), firstAt + student.first.data.byteLength, 'second packed right after');
    assert.deepEqual([...shm.viewFloat32(g!.first!)], [...values(inline.studentGradients[0]!.first)], 'dL/dfirst in the region');
    assert.deepEqual([...shm.viewFloat32(g!.second!)], [...values(inline.studentGradients[0]!.second)], 'dL/dsecond in the region');
    assert.deepEqual(g!.first!.shape, student.first.shape, 'shape');
  });

  it('gradients_to over the inputs themselves: the gradients replace the features (computed first, then copied)', async () => {
    const inline = await client.fspLoss({ student: [pairMessage(student.first, student.second)], teacher: [pairMessage(teacher.first, teacher.second)], returnGradients: true });
    const [s] = putPair(student, 8192);
    const shared = await client.fspLoss({ student: [s], teacher: [pairMessage(teacher.first, teacher.second)], returnGradients: true, gradientsTo: shm.ref(8192) });
    assert.equal(shared.loss, inline.loss, 'loss from the features before they were overwritten');
    const [g] = shared.studentGradients;
    assert.deepEqual([...shm.viewFloat32(g!.first!)], [...values(inline.studentGradients[0]!.first)], 'dL/dfirst where first was');
    assert.deepEqual([...shm.viewFloat32(g!.second!)], [...values(inline.studentGradients[0]!.second)], 'dL/dsecond where second was');
  });

  it('ComputeFsp and teacher_matrices from shared memory, mixed with inline tensors', async () => {
    const [s] = putPair(student, 4096);
    const inline = await client.computeFsp({ pairs: [pairMessage(student.first, student.second)] });
    const shared = await client.computeFsp({ pairs: [s, pairMessage(student.first, student.second)] });
    assert.deepEqual([...values(shared.matrices[0])], [...values(inline.matrices[0])], 'pair from shared memory');
    assert.deepEqual([...values(shared.matrices[1])], [...values(inline.matrices[0])], 'inline pair beside it');
    const matrices = values(inline.matrices[0]);
    const m = shm.putFloat32(matrices, inline.matrices[0]!.shape, 65536);
    const byMatrices = await client.fspLoss({ student: [s], teacherMatrices: [m] });
    const byInline = await client.fspLoss({ student: [s], teacherMatrices: [float32Tensor(matrices, inline.matrices[0]!.shape)] });
    assert.equal(byMatrices.loss, 0, 'student against its own matrices');
    assert.equal(byMatrices.loss, byInline.loss, 'same as inline matrices');
  });

  it('TeacherFsp with matrices_to: the same bytes as the inline answer, packed in pair order, in every wire dtype', async () => {
    await client.createModel({ modelId: 'shm-teacher', resnet: { depth: 8, inputShape: [8, 8, 1], seed: 3 } });
    const n = 3;
    const pixels = Float32Array.from({ length: n * 64 }, (_, i) => Math.sin(i * 0.37));
    const images = float32Tensor(pixels, [n, 8, 8, 1]);
    const sampleIds = ['a', 'b', 'c'];
    const pairs = [{ first: 0, second: 1 }, { first: 2, second: 2 }, { first: 1, second: 3 }];
    for (const matricesDtype of ['DATA_TYPE_FLOAT32', 'DATA_TYPE_FLOAT16', 'DATA_TYPE_BFLOAT16'] as const) {
      const inline = await client.teacherFsp({ modelId: 'shm-teacher', images, sampleIds, pairs, matricesDtype });
      const at = 200_001; // not a multiple of 4: each slot starts at the running offset rounded up
      shm.bytes.fill(0xee, at, at + 200_000);
      // ids only (every sample cached: rows copied from the cache), then with the images (the teacher runs)
      for (const request of [{ sampleIds }, { images }]) {
        const shared = await client.teacherFsp({ modelId: 'shm-teacher', pairs, matricesDtype, ...request, matricesTo: shm.ref(at) });
        assert.equal(shared.modelFingerprint, inline.modelFingerprint);
        let next = at;
        shared.matrices.forEach((m, i) => {
          const want = inline.matrices[i]!;
          next = Math.ceil(next / 4) * 4;
          assert.equal(m.data.byteLength, 0, 'no inline bytes');
          assert.deepEqual([m.dtype, m.shape.map(Number), m.sharedMemory!.region, Number(m.sharedMemory!.offset)], [matricesDtype, want.shape.map(Number), 'main', next], `pair ${i}'s ref`);
          assert.deepEqual(shm.bytes.subarray(next, next + want.data.byteLength), new Uint8Array(want.data), `pair ${i}'s bytes (${matricesDtype})`);
          next += want.data.byteLength;
        });
      }
    }
    // Refused before any work, naming the field: slots over the images, slots past the region's end.
    const imagesInRegion = shm.putFloat32(pixels, [n, 8, 8, 1], 4096);
    await expectStatus(client.teacherFsp({ modelId: 'shm-teacher', images: imagesInRegion, matricesTo: shm.ref(4096 + 512) }), grpc.status.INVALID_ARGUMENT, /^matrices_to: the slots overlap images/);
    await expectStatus(client.teacherFsp({ modelId: 'shm-teacher', sampleIds, matricesTo: shm.ref(REGION_BYTES - 64) }), grpc.status.INVALID_ARGUMENT, /^matrices_to\.offset: \d+ bytes at offset \d+ do not fit region 'main'/);
    await expectStatus(client.teacherFsp({ modelId: 'shm-teacher', sampleIds, matricesTo: { region: 'nope', offset: 0 } }), grpc.status.INVALID_ARGUMENT, /^matrices_to\.region: no shared-memory region 'nope'/);
    await client.deleteModel('shm-teacher');
  });

  it('lists regions; registering and unregistering validate names, paths and sizes', async () => {
    assert.deepEqual(await client.listSharedMemory(), [{ name: 'main', path: 'main', byteSize: REGION_BYTES, zeroCopy: fileMapper() !== undefined }]);
    const small = SharedMemoryFile.create(dir, 'small', 64);
    await expectStatus(client.registerSharedMemory('main', 'small', 64), grpc.status.ALREADY_EXISTS, /name: region 'main' is already registered/);
    await expectStatus(client.registerSharedMemory('bad name', 'small', 64), grpc.status.INVALID_ARGUMENT, /^name: expected 1\.\.128 characters/);
    for (const bad of ['../etc/passwd', '/etc/passwd', 'sub/file', '..']) {
      await expectStatus(client.registerSharedMemory('bad', bad, 64), grpc.status.INVALID_ARGUMENT, /^path: expected the name of a file directly in the shared-memory directory/);
    }
    await expectStatus(client.registerSharedMemory('none', 'missing', 64), grpc.status.INVALID_ARGUMENT, /^path: 'missing': ENOENT/);
    fs.symlinkSync(path.join(dir, 'small'), path.join(dir, 'link')); // even one to a file inside
    await expectStatus(client.registerSharedMemory('link', 'link', 1), grpc.status.INVALID_ARGUMENT, /^path: 'link' is not a regular file \(symlinks are refused\)/);
    fs.linkSync(path.join(dir, 'small'), path.join(dir, 'hard'));
    await expectStatus(client.registerSharedMemory('hard', 'hard', 1), grpc.status.INVALID_ARGUMENT, /^path: 'hard' has 2 hard links; expected a file with one/);
    fs.rmSync(path.join(dir, 'hard'));
    await expectStatus(client.registerSharedMemory('big', 'small', 65), grpc.status.INVALID_ARGUMENT, /^byte_size: 65, but 'small' holds only 64 bytes/);
    await expectStatus(client.registerSharedMemory('zero', 'small', 0), grpc.status.INVALID_ARGUMENT, /^byte_size: expected an integer >= 1, got 0/);
    await client.registerSharedMemory('small', 'small', 64);
    assert.deepEqual((await client.listSharedMemory()).map((r) => r.name), ['main', 'small'], 'sorted by name');
    const metrics = await (await fetch(`http://${server.metricsAddress}/metrics`)).text();
    assert.match(metrics, /^fspd_shared_memory_regions 2$/m, 'regions gauge');
    assert.match(metrics, new RegExp(`^fspd_shared_memory_bytes ${REGION_BYTES + 64}$`, 'm'), 'bytes gauge');
    await client.unregisterSharedMemory('small');
    await expectStatus(client.unregisterSharedMemory('small'), grpc.status.NOT_FOUND, /name: no shared-memory region 'small'/);
    small.remove();
  });

  it('tensor refs: unknown region, out of bounds, data beside a ref, and services that take bytes only', async () => {
    const inlineTeacher = [pairMessage(teacher.first, teacher.second)];
    const [s] = putPair(student, 0);
    const lost = { ...s, first: { ...s.first!, sharedMemory: { region: 'nope', offset: 0 } } };
    await expectStatus(client.fspLoss({ student: [lost], teacher: inlineTeacher }), grpc.status.INVALID_ARGUMENT, /^student\[0\]\.first\.shared_memory\.region: no shared-memory region 'nope'/);
    const far = { ...s, second: { ...s.second!, sharedMemory: shm.ref(REGION_BYTES - 8) } };
    await expectStatus(client.fspLoss({ student: [far], teacher: inlineTeacher }), grpc.status.INVALID_ARGUMENT, /^student\[0\]\.second\.shared_memory\.offset: 2100 bytes at offset 1048568 do not fit region 'main' of 1048576 bytes/);
    const both = { ...s, first: { ...s.first!, data: Buffer.alloc(4) } };
    await expectStatus(client.fspLoss({ student: [both], teacher: inlineTeacher }), grpc.status.INVALID_ARGUMENT, /^student\[0\]\.first: set data or shared_memory, not both/);
    await expectStatus(client.fspLoss({ student: [s], teacher: inlineTeacher, gradientsTo: shm.ref(0) }), grpc.status.INVALID_ARGUMENT, /^gradients_to: set only with return_gradients/);
    await expectStatus(
      client.fspLoss({ student: [s], teacher: inlineTeacher, returnGradients: true, gradientsTo: shm.ref(REGION_BYTES - 100) }),
      grpc.status.INVALID_ARGUMENT,
      /^gradients_to\.offset: 2520 bytes at offset 1048476 do not fit/,
    );
    // Other services decode tensors without resolving refs first: the codec refuses them by name.
    const images = { dtype: 'DATA_TYPE_FLOAT32' as const, shape: [1, 2, 2, 1], data: Buffer.alloc(0), sharedMemory: { region: 'main', offset: 0 } };
    assert.throws(() => decodeFloatTensor(images, 'batch.images'), /^RpcError: batch\.images\.shared_memory: this RPC takes tensor bytes in data; shared-memory tensors are for FspService/);
    // A ref of an unknown dtype is left unresolved; the error names the dtype, not the ref.
    const unspecified = { ...s, first: { ...s.first!, dtype: 'DATA_TYPE_UNSPECIFIED' as const } };
    await expectStatus(client.fspLoss({ student: [unspecified], teacher: inlineTeacher }), grpc.status.INVALID_ARGUMENT, /^student\[0\]\.first\.dtype: expected DATA_TYPE_FLOAT32, DATA_TYPE_FLOAT16, DATA_TYPE_BFLOAT16 or DATA_TYPE_UINT8, got DATA_TYPE_UNSPECIFIED/);
  });
});

describe('SharedMemoryRegions', () => {
  it('without shared memory configured, registering fails with FAILED_PRECONDITION naming the flag', () => {
    assert.throws(() => new SharedMemoryRegions(undefined).register('a', 'a', 1), (err: Error & { code?: number }) => {
      assert.equal(err.code, grpc.status.FAILED_PRECONDITION, 'code');
      assert.match(err.message, /start fspd with --shared-memory-dir/, 'message');
      return true;
    });
  });

  it("the addon's mapFile refuses a symlink (O_NOFOLLOW), a short file and a bad size, naming the path", {
    // CI builds the addon, so there the test runs (and fails without it).
    skip: fileMapper() || process.env.CI ? false : 'mapFile is part of the native addon, which is not in use here (FSPD_NATIVE=0, or not built: npm run build:native)',
  }, () => {
    const map = fileMapper()!;
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, Buffer.alloc(16));
    fs.symlinkSync(file, path.join(dir, 'plain-link'));
    assert.equal(new Uint8Array(map(file, 16)).length, 16, 'maps a regular file');
    assert.throws(() => map(path.join(dir, 'plain-link'), 16), /plain-link: Too many levels of symbolic links/);
    fs.linkSync(file, path.join(dir, 'plain-hard'));
    assert.throws(() => map(file, 16), /plain: has 2 hard links, expected 1/);
    fs.rmSync(path.join(dir, 'plain-hard'));
    assert.throws(() => map(file, 17), /^RangeError: .*plain: holds 16 bytes, fewer than byteSize 17/);
    assert.throws(() => map(file, 0), /^RangeError: byteSize: expected an integer >= 1/);
    fs.rmSync(path.join(dir, 'plain-link'));
    fs.rmSync(file);
  });

  it("the addon's mapFile backs every page of a sparse file, keeping its bytes (no SIGBUS when a tmpfs fills up later)", {
    skip: fileMapper() || process.env.CI ? false : 'mapFile is part of the native addon, which is not in use here (FSPD_NATIVE=0, or not built: npm run build:native)',
  }, () => {
    const file = path.join(dir, 'sparse');
    const size = 1 << 20;
    fs.writeFileSync(file, Buffer.from([7, 8, 9]));
    fs.truncateSync(file, size); // as the clients make regions: a hole after the first bytes
    assert.ok(fs.statSync(file).blocks * 512 < size / 2, 'sparse before');
    const bytes = new Uint8Array(fileMapper()!(file, size));
    assert.ok(fs.statSync(file).blocks * 512 >= size, `allocated after: ${fs.statSync(file).blocks * 512} bytes`);
    assert.deepEqual([...bytes.subarray(0, 4)], [7, 8, 9, 0], 'bytes already there stay');
    assert.ok(bytes.subarray(4).every((b) => b === 0), 'the hole reads as zeros');
    fs.rmSync(file);
  });

  it('a file swapped between the check and the mapping is INVALID_ARGUMENT naming it, not an internal error', () => {
    const file = SharedMemoryFile.create(dir, 'swapped', 64);
    const racing = new SharedMemoryRegions(dir, {
      mapFile: (p) => {
        throw new Error(`${p}: Too many levels of symbolic links`);
      },
    });
    assert.throws(() => racing.register('swapped', 'swapped', 64), (err: Error & { code?: number }) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT, 'code');
      assert.equal(err.message, "path: swapped: Too many levels of symbolic links", 'message, without the server directory');
      return true;
    });
    file.remove();
  });

  it('the file-backed fallback reads and writes the same bytes as the mapped region; the region limit holds', () => {
    const file = SharedMemoryFile.create(dir, 'fallback', 256);
    const data = Float32Array.from({ length: 8 }, (_, i) => i - 3.5);
    const tensor = file.putFloat32(data, [2, 4], 12);
    const viaFile = new SharedMemoryRegions(dir, { mapFile: null, maxRegions: 1 });
    assert.equal(viaFile.register('fallback', 'fallback', 256).zeroCopy, false, 'not zero-copy');
    const message = { tensor: { ...tensor, data: Buffer.alloc(0) } };
    inlineSharedTensors(message, viaFile);
    assert.deepEqual([...new Float32Array(new Uint8Array(message.tensor.data).buffer)], [...data], 'read through the file');
    const slot = viaFile.floatsForWrite({ region: 'fallback', offset: 200 }, 2, 'out');
    slot.array.set([1.25, -8]);
    assert.deepEqual([...new Float32Array(file.bytes.slice(200, 208).buffer)], [0, 0], 'nothing written before commit');
    slot.commit();
    assert.deepEqual([...new Float32Array(file.bytes.slice(200, 208).buffer)], [1.25, -8], 'committed through the file');
    assert.throws(() => viaFile.register('second', 'fallback', 1), /at most 1 shared-memory regions/);
    viaFile.closeAll();
    file.remove();
  });
});

describe('regions held by calls in flight', () => {
  for (const mapped of [true, false]) {
    // Mapped: the call only reads its maps there (views a truncation would turn into SIGBUS); file-backed: it
    // also writes its gradients there (through the descriptor unregistering closes).
    it(`${mapped ? 'mapped' : 'file-backed'}: unregistering a region a queued FspLoss ${mapped ? 'reads' : 'reads and writes'} is IN_USE until the call ends`, {
      skip: !mapped || fileMapper() || process.env.CI ? false : 'the mapped case needs the native addon (npm run build:native)',
    }, async () => {
      const name = `held-${mapped ? 'mapped' : 'file'}`; // the file's and the region's
      const file = SharedMemoryFile.create(dir, name, 64 * 1024);
      const regions = new SharedMemoryRegions(dir, mapped ? {} : { mapFile: null });
      regions.register(name, name, 64 * 1024);
      const first = file.putFloat32(student.first.data, student.first.shape, 0);
      const second = file.putFloat32(student.second.data, student.second.shape, student.first.data.byteLength);
      const queue = new KernelQueue(1, 4);
      const handlers = fspServiceHandlers(pino({ level: 'silent' }), new Admission(DEFAULT_CONFIG, new MemoryBudget(2 ** 40), queue), undefined, regions);
      const request = decodedRequest('FspLossRequest', { student: [{ first, second, layout: 'LAYOUT_NCHW' }], teacher: [pairMessage(teacher.first, teacher.second)], returnGradients: true, ...(mapped ? {} : { gradientsTo: { region: name, offset: 32 * 1024 } }) });
      const slot = await queue.acquire(); // the call waits for it after reading its maps and checking its slots
      const call = handlerResult<FspLossResponse>(handlers.FspLoss as never, handlerCall(request));
      await until('the call waits for the compute slot', async () => queue.stats().queued === 1);
      assert.throws(() => regions.unregister(name), (err: Error & { code?: number }) => {
        assert.equal(err.code, grpc.status.FAILED_PRECONDITION, 'code');
        assert.equal(err.message, `name: region '${name}' is in use by 1 call in flight; unregister it once they end`);
        return true;
      });
      slot();
      const { err, value } = await call;
      assert.equal(err, null, `the call succeeds: ${err?.message}`);
      const inline = await client.fspLoss({ student: [pairMessage(student.first, student.second)], teacher: [pairMessage(teacher.first, teacher.second)], returnGradients: true });
      const gradient = value!.studentGradients![0]!.first!;
      const at = Number(gradient.sharedMemory?.offset);
      const got = mapped ? values(gradient as never) : new Float32Array(file.bytes.slice(at, at + student.first.data.byteLength).buffer);
      assert.deepEqual([...got], [...values(inline.studentGradients[0]!.first)], `dL/dfirst ${mapped ? 'inline' : 'in the region'}, as the inline call's`);
      regions.unregister(name); // the call has ended
      assert.deepEqual(regions.list(), []);
      file.remove();
    });
  }

  it('a failed call gives its regions back too; closeAll does not wait for calls', () => {
    const file = SharedMemoryFile.create(dir, 'held-failed', 4096);
    const regions = new SharedMemoryRegions(dir);
    regions.register('a', 'held-failed', 4096);
    const scope = regions.forCall();
    scope.read({ region: 'a', offset: 0 }, 16, 'x');
    assert.throws(() => scope.read({ region: 'a', offset: 4090 }, 16, 'y'), /y\.offset: 16 bytes at offset 4090 do not fit/);
    assert.throws(() => regions.unregister('a'), /in use by 1 call in flight/);
    scope.release();
    regions.unregister('a');
    regions.register('a', 'held-failed', 4096);
    regions.forCall().read({ region: 'a', offset: 0 }, 16, 'x'); // never released
    regions.closeAll();
    assert.deepEqual(regions.list(), [], 'closed on shutdown all the same');
    file.remove();
  });
});

describe('registered files that change', () => {
  it('a file is registered once: the same file under another name (renamed) is ALREADY_EXISTS', async () => {
    fs.writeFileSync(path.join(dir, 'alias'), Buffer.alloc(4096));
    await client.registerSharedMemory('alias-a', 'alias', 4096);
    fs.renameSync(path.join(dir, 'alias'), path.join(dir, 'alias-renamed'));
    // Otherwise gradients_to in 'alias-b' could overwrite inputs in 'alias-a' past the overlap check.
    await expectStatus(client.registerSharedMemory('alias-b', 'alias-renamed', 4096), grpc.status.ALREADY_EXISTS, /^path: 'alias-renamed' is the file of region 'alias-a' \(registered as 'alias'\)/);
    await client.unregisterSharedMemory('alias-a');
    await client.registerSharedMemory('alias-b', 'alias-renamed', 4096); // once the first is gone
    await client.unregisterSharedMemory('alias-b');
    fs.rmSync(path.join(dir, 'alias-renamed'));
  });

  it('a registered file truncated under a running server: FAILED_PRECONDITION, and the server lives on', async () => {
    const shmDir = fs.mkdtempSync(path.join(base, 'fspd-truncate-'));
    const child = await serveChild(['--shared-memory-dir', shmDir]);
    const c = new FspdClient({ address: child.address, deadlineMs: 30_000 });
    try {
      const size = 64 * 1024;
      const file = path.join(shmDir, 'region');
      const fd = fs.openSync(file, 'w+', 0o600);
      fs.ftruncateSync(fd, size);
      // The pair written with plain file writes (the server maps the file when it has the addon).
      fs.writeSync(fd, new Uint8Array(student.first.data.buffer), 0, student.first.data.byteLength, 0);
      fs.writeSync(fd, new Uint8Array(student.second.data.buffer), 0, student.second.data.byteLength, 4096);
      const pair: PairMessage = {
        first: { dtype: 'DATA_TYPE_FLOAT32', shape: [...student.first.shape], sharedMemory: { region: 'region', offset: 0 } },
        second: { dtype: 'DATA_TYPE_FLOAT32', shape: [...student.second.shape], sharedMemory: { region: 'region', offset: 4096 } },
        layout: 'LAYOUT_NCHW',
      };
      await c.registerSharedMemory('region', 'region', size);
      const inline = await c.computeFsp({ pairs: [pairMessage(student.first, student.second)] });
      assert.deepEqual([...values((await c.computeFsp({ pairs: [pair] })).matrices[0])], [...values(inline.matrices[0])], 'from the region');

      fs.ftruncateSync(fd, 0);
      await expectStatus(c.computeFsp({ pairs: [pair] }), grpc.status.FAILED_PRECONDITION, /^pairs\[0\]\.first\.shared_memory\.region: the file of region 'region' shrank to 0 bytes, below the 65536/);
      const inlinePair = pairMessage(student.first, student.second);
      await expectStatus(
        c.fspLoss({ student: [inlinePair], teacher: [pairMessage(teacher.first, teacher.second)], returnGradients: true, gradientsTo: { region: 'region', offset: 0 } }),
        grpc.status.FAILED_PRECONDITION,
        /^gradients_to\.region: the file of region 'region' shrank to 0 bytes/,
      );
      assert.deepEqual((await c.listSharedMemory()).map((r) => r.name), ['region'], 'still serving');
      assert.deepEqual([...values((await c.computeFsp({ pairs: [inlinePair] })).matrices[0])], [...values(inline.matrices[0])], 'inline calls work');

      // Its size back (zeros now): the region works again.
      fs.ftruncateSync(fd, size);
      fs.writeSync(fd, new Uint8Array(student.first.data.buffer), 0, student.first.data.byteLength, 0);
      fs.writeSync(fd, new Uint8Array(student.second.data.buffer), 0, student.second.data.byteLength, 4096);
      fs.closeSync(fd);
      assert.deepEqual([...values((await c.computeFsp({ pairs: [pair] })).matrices[0])], [...values(inline.matrices[0])], 'from the region again');
      child.child.kill('SIGTERM');
      assert.deepEqual(await child.exited, { code: 0, signal: null }, 'exits cleanly, not by SIGBUS');
    } finally {
      c.close();
      child.child.kill('SIGKILL');
      fs.rmSync(shmDir, { recursive: true, force: true });
    }
  });
});
