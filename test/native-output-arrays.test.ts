// Caller-kept outputs: fspForward writes into a given array (`into`), and outputArray hands out arrays to
// keep for it and for fspLoss's gradientsInto. Outputs given pre-filled with NaN (so a kernel that read or
// accumulated into them would show) equal the fresh-array results exactly, for the TS kernels and the
// addon, sync and async; bad outputs are refused by name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addonBackend } from '../src/native/addon.js';
import { tsKernels } from '../src/native/ts-kernels.js';
import type { KernelBackend } from '../src/native/types.js';
import { validated } from '../src/native/validate.js';
import { addon, addonSkip } from './helpers/addon.js';
import { dims, randomMap, seededRandom } from './helpers/random.js';

const backends: [string, () => KernelBackend, false | string][] = [
  ['ts', () => validated(tsKernels), false],
  ['native', () => validated(addonBackend(addon!, 0)), addonSkip],
];

for (const [name, backend, skip] of backends) {
  describe(`${name}: caller-kept outputs`, { skip }, () => {
    for (const layout of ['NHWC', 'NCHW'] as const) {
      it(`${layout}: fspForward into a kept array equals the fresh result exactly, sync and async, and returns it`, async () => {
        const rng = seededRandom(5);
        const first = randomMap(rng, dims(3, 6, 5, 4), layout);
        const second = randomMap(rng, dims(3, 6, 5, 7), layout);
        const fresh = backend().fspForward(first, second);
        const into = backend().outputArray(3 * 4 * 7);
        for (const call of [() => backend().fspForward(first, second, into), () => backend().fspForwardAsync(first, second, into)]) {
          into.fill(NaN);
          assert.equal(await call(), into, 'returns the given array');
          assert.deepEqual([...into], [...fresh]);
        }
      });
    }

    it('outputArray: zero-filled arrays of the asked length, usable as gradientsInto', () => {
      const rng = seededRandom(6);
      const student = [{ first: randomMap(rng, dims(2, 4, 4, 3), 'NHWC'), second: randomMap(rng, dims(2, 4, 4, 5), 'NHWC') }];
      const teacher = { matrices: [new Float32Array(2 * 3 * 5).map(() => rng() - 0.5)] };
      const fresh = backend().fspLoss(student, teacher, { returnGradients: true });
      const into = [{ first: backend().outputArray(96), second: backend().outputArray(160) }];
      assert.ok([...into[0]!.first, ...into[0]!.second].every((x) => Object.is(x, 0)), 'zero-filled');
      const kept = backend().fspLoss(student, teacher, { returnGradients: true, gradientsInto: into });
      assert.equal(kept.gradients![0]!.first, into[0]!.first);
      assert.deepEqual([...into[0]!.first], [...fresh.gradients![0]!.first]);
      assert.deepEqual([...into[0]!.second], [...fresh.gradients![0]!.second]);
    });

    it('refuses an into of the wrong kind or length or overlapping an input, and bad lengths', async () => {
      const rng = seededRandom(7);
      const first = randomMap(rng, dims(2, 4, 4, 3), 'NHWC');
      const second = randomMap(rng, dims(2, 4, 4, 5), 'NHWC');
      const fails = (call: () => unknown, type: ErrorConstructor, message: RegExp) =>
        assert.throws(call, (e: Error) => e instanceof type && message.test(e.message), String(message));
      fails(() => backend().fspForward(first, second, new Float32Array(29)), RangeError, /^into: length 29, expected 30 for \[2, 3, 5\]$/);
      fails(() => backend().fspForward(first, second, [0] as unknown as Float32Array), TypeError, /^into: expected a Float32Array \[2, 3, 5\], got an Array$/);
      fails(() => backend().fspForward(first, second, first.data.subarray(10, 40)), RangeError, /^into: overlaps an input array/);
      await assert.rejects(backend().fspForwardAsync(first, second, new Float32Array(31)), /^RangeError: into: length 31/);
      for (const length of [0, 1.5, -3, 2 ** 32]) assert.throws(() => backend().outputArray(length), RangeError, `length ${length}`);
      assert.throws(() => backend().outputArray('8' as unknown as number), TypeError);
    });
  });
}

// fspForward's `into` over another SharedArrayBuffer object of an input's memory (structuredClone of it): the
// addon compares addresses, so it is refused as `into` over the input's own buffer is.
describe('native: into over a clone of an input SharedArrayBuffer', { skip: addonSkip }, () => {
  it('is refused when it overlaps the input bytes, and accepted and exact past them', async () => {
    const backend = () => validated(addonBackend(addon!, 0));
    const rng = seededRandom(8);
    const first = randomMap(rng, dims(2, 4, 4, 3), 'NCHW');
    const second = randomMap(rng, dims(2, 4, 4, 5), 'NCHW');
    const fresh = backend().fspForward(first, second);
    const sab = new SharedArrayBuffer(first.data.byteLength + second.data.byteLength + fresh.byteLength);
    const shared = { ...second, data: new Float32Array(sab, 0, second.data.length) };
    shared.data.set(second.data);
    const clone = structuredClone(sab);
    const message = /^into: overlaps an input array \(the kernel reads the inputs while it writes\)$/;
    const over = new Float32Array(clone, 40, fresh.length);
    assert.throws(() => backend().fspForward(first, shared, over), (e: Error) => e instanceof RangeError && message.test(e.message));
    await assert.rejects(backend().fspForwardAsync(first, shared, over), (e: Error) => e instanceof RangeError && message.test(e.message));
    const past = new Float32Array(clone, second.data.byteLength, fresh.length);
    assert.equal(backend().fspForward(first, shared, past), past);
    assert.deepEqual([...past], [...fresh]);
  });
});
