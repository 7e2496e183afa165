// src/client/shared-memory.ts: SharedMemoryFile.create never truncates a file that exists (it may be a live
// region's) unless told to take over a left-over one, and leaves no file behind when it fails; a region's
// tensors are read in their own dtype (TeacherFsp's float16 / bfloat16 matrices are not float32).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FspdClient, fromFloatTensor, fromTensor } from '../src/client/index.js';
import { SharedMemoryFile } from '../src/client/shared-memory.js';
import { fileMapper } from '../src/native/index.js';
import type { FspdServer } from '../src/server/server.js';
import { float32Tensor, startTestServer } from './helpers/server.js';

// CI builds the addon, so there these run (and fail without it).
const skip = fileMapper() || process.env.CI ? false : 'SharedMemoryFile maps with the native addon, which is not in use here (npm run build:native)';
const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

describe('SharedMemoryFile', { skip }, () => {
  let dir: string;
  let server: FspdServer;
  let client: FspdClient;
  before(async () => {
    dir = fs.mkdtempSync(path.join(base, 'fspd-client-shm-'));
    server = await startTestServer({ sharedMemoryDir: dir });
    client = new FspdClient({ address: server.addresses[0]!, deadlineMs: 30_000 });
  });
  after(async () => {
    client.close();
    await server.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const at = (name: string) => path.join(dir, name);

  it('create refuses a file that exists (EEXIST), leaving it and its mapping as they were; replace takes over a left-over one', () => {
    const live = SharedMemoryFile.create(dir, 'live', 4096);
    live.bytes.fill(7);
    assert.throws(() => SharedMemoryFile.create(dir, 'live', 64), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'EEXIST');
      assert.match(err.message, /live exists; it may be the file of a registered region .* \{ replace: true \}/);
      return true;
    });
    assert.equal(fs.statSync(at('live')).size, 4096, 'not truncated');
    assert.ok(live.bytes.every((b) => b === 7), 'its bytes kept');
    live.remove();

    fs.writeFileSync(at('left-over'), Buffer.alloc(100, 0xff));
    const taken = SharedMemoryFile.create(dir, 'left-over', 4096, { replace: true });
    assert.equal(fs.statSync(at('left-over')).size, 4096);
    assert.ok(taken.bytes.every((b) => b === 0), 'truncated: zeros');
    taken.remove();
  });

  it('create checks byteSize before touching the file, and deletes a file it created when it cannot map it (one it took over stays)', () => {
    for (const bad of [0, -1, 1.5, NaN, 2 ** 53]) {
      const err = thrown(() => SharedMemoryFile.create(dir, 'bad', bad));
      assert.equal(fs.existsSync(at('bad')), false, `no file left for byteSize ${bad}`);
      assert.match(String(err), /^RangeError: byteSize: expected an integer >= 1, got/);
    }
    // More than the filesystem holds: sizing (ext4: EFBIG) or backing the pages (tmpfs: ENOSPC) fails.
    assert.throws(() => SharedMemoryFile.create(dir, 'huge', 2 ** 50));
    assert.equal(fs.existsSync(at('huge')), false, 'the file created here is deleted');
    fs.writeFileSync(at('kept'), 'left over');
    assert.throws(() => SharedMemoryFile.create(dir, 'kept', 2 ** 50, { replace: true }));
    assert.equal(fs.existsSync(at('kept')), true, 'a file that was there before stays');
  });

  it('TeacherFsp matrices_to in float32, float16 and bfloat16: readFloat32 reads each as the inline answer; viewFloat32 only float32', async () => {
    const size = 1 << 20;
    const shm = SharedMemoryFile.create(dir, 'teacher', size);
    await client.registerSharedMemory('teacher', 'teacher', size);
    await client.createModel({ modelId: 'shm-teacher', resnet: { depth: 8, inputShape: [8, 8, 1], seed: 3 } });
    const images = float32Tensor(Float32Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i * 0.37)), [3, 8, 8, 1]);
    const pairs = [{ first: 0, second: 1 }, { first: 2, second: 2 }, { first: 1, second: 3 }];
    for (const matricesDtype of ['DATA_TYPE_FLOAT16', 'DATA_TYPE_BFLOAT16', 'DATA_TYPE_FLOAT32'] as const) {
      const inline = await client.teacherFsp({ modelId: 'shm-teacher', images, pairs, matricesDtype });
      const shared = await client.teacherFsp({ modelId: 'shm-teacher', images, pairs, matricesDtype, matricesTo: shm.ref(0) });
      assert.equal(shared.matrices.length, pairs.length);
      shared.matrices.forEach((m, i) => {
        const want = fromFloatTensor(inline.matrices[i]).data;
        if (matricesDtype === 'DATA_TYPE_FLOAT32') assert.deepEqual(shm.viewFloat32(m), want, `pair ${i} in place`);
        else assert.throws(() => shm.viewFloat32(m), new RegExp(`^TypeError: tensor: ${matricesDtype}, not DATA_TYPE_FLOAT32; read it with readFloat32`));
        assert.deepEqual(shm.readFloat32(m), want, `pair ${i} (${matricesDtype})`);
      });
    }
    const [m] = (await client.teacherFsp({ modelId: 'shm-teacher', images, pairs, matricesTo: shm.ref(0) })).matrices;
    assert.throws(() => fromTensor(m), /in shared-memory region 'teacher' at offset 0; read it there \(SharedMemoryFile\.readFloat32/);
    assert.throws(() => shm.readFloat32({ ...m!, sharedMemory: { region: 'teacher', offset: size - 4 } }), /^RangeError: tensor: \d+ bytes at offset 1048572 do not fit region 'teacher'/);
    await client.deleteModel('shm-teacher');
    await client.unregisterSharedMemory('teacher');
    shm.remove();
  });
});

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  return assert.fail('expected an exception');
}
