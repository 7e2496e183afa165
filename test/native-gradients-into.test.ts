// fspLoss with gradientsInto: the gradients written into caller arrays (pre-filled with NaN, so a kernel
// that read or accumulated into them would show) equal the fresh-array gradients exactly, for the TS
// kernels and the addon, sync and async, with pooled and unpooled pairs; bad outputs are refused by name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addonBackend } from '../src/native/addon.js';
import { tsKernels } from '../src/native/ts-kernels.js';
import type { FeaturePair, KernelBackend, LossOptions, PairGradients } from '../src/native/types.js';
import { validated } from '../src/native/validate.js';
import { addon, addonSkip } from './helpers/addon.js';
import { dims, randomMap, seededRandom } from './helpers/random.js';

const rng = seededRandom(99);
// Pair 0: same h×w; pair 1: the first map is pooled 6×6 → 3×3 (its gradient goes back through the pooling).
const make = (layout: 'NHWC' | 'NCHW'): FeaturePair[] => [
  { first: randomMap(rng, dims(2, 5, 4, 3), layout), second: randomMap(rng, dims(2, 5, 4, 6), layout) },
  { first: randomMap(rng, dims(2, 6, 6, 4), layout), second: randomMap(rng, dims(2, 3, 3, 5), layout) },
];
const nanLike = (pairs: FeaturePair[]): PairGradients[] =>
  pairs.map((p) => ({ first: new Float32Array(p.first.data.length).fill(NaN), second: new Float32Array(p.second.data.length).fill(NaN) }));

const backends: [string, () => KernelBackend, false | string][] = [
  ['ts', () => validated(tsKernels), false],
  ['native', () => validated(addonBackend(addon!, 0)), addonSkip],
];

for (const [name, backend, skip] of backends) {
  describe(`${name}: gradientsInto`, { skip }, () => {
    for (const layout of ['NHWC', 'NCHW'] as const) {
      it(`${layout}: equals fresh gradients exactly, sync and async, and returns the given arrays`, async () => {
        const student = make(layout);
        const teacher = { pairs: make(layout) };
        const options: LossOptions = { returnGradients: true, weights: [1, 0.5] };
        const fresh = backend().fspLoss(student, teacher, options);
        for (const call of [(o: LossOptions) => backend().fspLoss(student, teacher, o), (o: LossOptions) => backend().fspLossAsync(student, teacher, o)]) {
          const into = nanLike(student);
          const result = await call({ ...options, gradientsInto: into });
          assert.equal(result.loss, fresh.loss, 'loss');
          result.gradients!.forEach((g, i) => {
            assert.equal(g.first, into[i]!.first, `gradients[${i}].first is the given array`);
            assert.deepEqual([...g.first], [...fresh.gradients![i]!.first], `gradients[${i}].first values`);
            assert.deepEqual([...g.second], [...fresh.gradients![i]!.second], `gradients[${i}].second values`);
          });
        }
      });
    }

    it('refuses outputs of the wrong length, overlapping an input or each other, or without returnGradients', () => {
      const student = make('NHWC');
      const teacher = { pairs: make('NHWC') };
      const into = nanLike(student);
      const shared = new Float32Array(into[1]!.first.length);
      const cases: [string, LossOptions, RegExp][] = [
        ['no returnGradients', { gradientsInto: into }, /^gradientsInto: set only with returnGradients/],
        ['count', { returnGradients: true, gradientsInto: into.slice(1) }, /^gradientsInto: expected one \{first, second\} per student pair \(2\)/],
        ['length', { returnGradients: true, gradientsInto: [into[0]!, { ...into[1]!, second: new Float32Array(3) }] }, /^gradientsInto\[1\]\.second: length 3, expected 90/],
        ['overlaps input', { returnGradients: true, gradientsInto: [{ ...into[0]!, first: student[0]!.first.data }, into[1]!] }, /^gradientsInto\[0\]\.first: overlaps an input array/],
        ['overlaps another', { returnGradients: true, gradientsInto: [{ ...into[0]!, second: shared.subarray(0, into[0]!.second.length) }, { ...into[1]!, first: shared }] }, /^gradientsInto\[0\]\.second: overlaps another gradientsInto array/],
      ];
      for (const [what, options, message] of cases) {
        assert.throws(() => backend().fspLoss(student, teacher, options), (err: Error) => (err instanceof RangeError || err instanceof TypeError) && message.test(err.message), what);
      }
    });
  });
}

// Two SharedArrayBuffer objects can be one memory: structuredClone of one (as postMessage to a worker and
// back) gives another object over the same bytes. Buffer identity misses that; the addon compares addresses
// (viewsOverlap), so gradientsInto over the clone of an input's buffer is refused as over the buffer itself,
// instead of the kernel writing gradients over maps it still reads (wrong gradients, no error).
describe('native: gradientsInto and SharedArrayBuffer objects over one memory', { skip: addonSkip }, () => {
  const native = () => validated(addonBackend(addon!, 0));
  /** The pairs' maps copied into one SharedArrayBuffer (with `spare` free bytes after them), and its views. */
  const inShared = (pairs: FeaturePair[], spare = 0) => {
    const maps = pairs.flatMap((p) => [p.first, p.second]);
    const sab = new SharedArrayBuffer(maps.reduce((n, m) => n + m.data.byteLength, 0) + spare);
    let offset = 0;
    const views = maps.map((m) => {
      const view = new Float32Array(sab, offset, m.data.length);
      view.set(m.data);
      offset += m.data.byteLength;
      return view;
    });
    const shared = pairs.map((p, i) => ({ first: { ...p.first, data: views[2 * i]! }, second: { ...p.second, data: views[2 * i + 1]! } }));
    return { sab, shared, end: offset };
  };
  /** Views of `sab` at the byte offsets and lengths of `views`. */
  const over = (sab: SharedArrayBuffer, views: Float32Array[]) => views.map((v) => new Float32Array(sab, v.byteOffset, v.length));

  it('structuredClone of a SharedArrayBuffer is another object over the same memory (Node 20)', () => {
    const sab = new SharedArrayBuffer(16);
    const clone = structuredClone(sab);
    assert.notEqual(clone, sab);
    new Float32Array(sab)[1] = 42;
    assert.equal(new Float32Array(clone)[1], 42);
  });

  it('addon.viewsOverlap compares data addresses: across clones, within one buffer, and not across memories', () => {
    const sab = new SharedArrayBuffer(64);
    const clone = structuredClone(sab);
    const raw = addon!;
    assert.equal(raw.viewsOverlap(new Float32Array(sab, 0, 4), new Float32Array(clone, 12, 4)), true, 'one float shared via the clone');
    assert.equal(raw.viewsOverlap(new Float32Array(sab, 0, 4), new Uint8Array(clone, 16, 4)), false, 'adjacent bytes');
    assert.equal(raw.viewsOverlap(new Float32Array(sab, 0, 4), new DataView(clone, 8, 1)), true, 'a DataView');
    assert.equal(raw.viewsOverlap(new Float32Array(sab, 0, 4), new DataView(clone, 16, 4)), false, 'a DataView past it (its offset counted)');
    assert.equal(raw.viewsOverlap(new Float32Array(sab, 0, 4), new DataView(clone, 12, 4)), true, 'a DataView over its last float');
    assert.equal(raw.viewsOverlap(new Float32Array(sab), new Float32Array(new SharedArrayBuffer(64))), false, 'another memory');
    assert.equal(raw.viewsOverlap(new Float32Array(sab, 8, 0), new Float32Array(clone)), false, 'an empty view');
    assert.throws(() => raw.viewsOverlap([1] as never, new Float32Array(sab)), (e: Error) => e instanceof TypeError && e.message === 'a: expected a typed array or DataView');
  });

  it('gradientsInto over a clone of an input buffer is refused by name, sync and async', async () => {
    const { sab, shared } = inShared(make('NHWC'));
    const teacher = { pairs: make('NHWC') };
    const [f0, s0, f1, s1] = over(structuredClone(sab), shared.flatMap((p) => [p.first.data, p.second.data]));
    const options: LossOptions = { returnGradients: true, gradientsInto: [{ first: f0!, second: s0! }, { first: f1!, second: s1! }] };
    const message = /^gradientsInto\[0\]\.first: overlaps an input array \(the kernel reads the inputs while it writes\)$/;
    assert.throws(() => native().fspLoss(shared, teacher, options), (e: Error) => e instanceof RangeError && message.test(e.message));
    await assert.rejects(native().fspLossAsync(shared, teacher, options), (e: Error) => e instanceof RangeError && message.test(e.message));
    // Partly: pair 1's first gradient starting halfway into pair 0's second map.
    const half = new Float32Array(structuredClone(sab), s0!.byteOffset + 4 * (s0!.length >> 1), f1!.length);
    const partly: LossOptions = { returnGradients: true, gradientsInto: [nanLike(shared)[0]!, { first: half, second: new Float32Array(s1!.length) }] };
    assert.throws(() => native().fspLoss(shared, teacher, partly), (e: Error) => e instanceof RangeError && /^gradientsInto\[1\]\.first: overlaps an input array/.test(e.message));
  });

  it('gradientsInto over clones of one output buffer overlapping each other is refused', () => {
    const student = make('NHWC');
    const out = new SharedArrayBuffer(4 * student[1]!.first.data.length);
    const into = nanLike(student);
    into[0]!.second = new Float32Array(out, 0, into[0]!.second.length);
    into[1]!.first = new Float32Array(structuredClone(out));
    assert.throws(
      () => native().fspLoss(student, { pairs: make('NHWC') }, { returnGradients: true, gradientsInto: into }),
      (e: Error) => e instanceof RangeError && /^gradientsInto\[0\]\.second: overlaps another gradientsInto array$/.test(e.message),
    );
  });

  it('gradientsInto in the same memory past the inputs, or in another SharedArrayBuffer, is accepted and exact', () => {
    const student = make('NCHW');
    const teacher = { pairs: make('NCHW') };
    const fresh = native().fspLoss(student, teacher, { returnGradients: true });
    const room = student.reduce((n, p) => n + p.first.data.byteLength + p.second.data.byteLength, 0);
    const { sab, shared, end } = inShared(student, room);
    const clone = structuredClone(sab);
    const past = shared.map((p, i) => {
      const at = end + (i === 0 ? 0 : shared[0]!.first.data.byteLength + shared[0]!.second.data.byteLength);
      return { first: new Float32Array(clone, at, p.first.data.length), second: new Float32Array(clone, at + p.first.data.byteLength, p.second.data.length) };
    });
    const other = inShared(student).shared.map((p) => ({ first: p.first.data, second: p.second.data }));
    for (const into of [past, other]) {
      const result = native().fspLoss(shared, teacher, { returnGradients: true, gradientsInto: into });
      result.gradients!.forEach((g, i) => {
        assert.equal(g.first, into[i]!.first);
        assert.deepEqual([...g.first], [...fresh.gradients![i]!.first], `gradients[${i}].first`);
        assert.deepEqual([...g.second], [...fresh.gradients![i]!.second], `gradients[${i}].second`);
      });
    }
  });
});
