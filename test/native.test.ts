// The native addon behind src/native: agreement with the float64 reference and the TS kernels, sync
// vs async, the event loop during async work, every bad input, and how the implementation is chosen.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it, after } from 'node:test';
import { addonBackend, addonPath, loadAddon, type NativeAddon } from '../src/native/addon.js';
import { getKernels, nativeInfo, resetKernelChoice } from '../src/native/index.js';
import { tsKernels } from '../src/native/ts-kernels.js';
import type { FeatureMap, FeaturePair, KernelBackend, Layout } from '../src/native/types.js';
import { validated } from '../src/native/validate.js';
import { finiteDifferences, relErr } from './helpers/check.js';
import { dims, randomArray, randomMap, seededRandom } from './helpers/random.js';
import { refFsp, refFspBackward, refLoss, refPool, refPoolBackward, refPairFsp } from './helpers/reference.js';

let addon: NativeAddon | undefined;
let loadError = '';
try {
  addon = loadAddon();
} catch (err) {
  loadError = (err as Error).message;
}
const skip = addon ? false : `native addon not built (${loadError.split('\n')[0]}); run npm run build:native`;
const TOL = 1e-5;

describe('native addon', () => {
  it('is built and chosen (required in CI)', { skip: process.env.CI ? false : skip }, () => {
    assert.ok(addon, `the addon must load in CI: ${loadError}`);
    assert.ok(['cpu', 'cuda'].includes(nativeInfo().variant), `native variant ${nativeInfo().variant}`);
    const info = addon.buildInfo();
    assert.match(info.version, /^\d+\.\d+\.\d+/);
    assert.ok(['avx512', 'avx2', 'portable'].includes(info.simd));
    assert.ok(info.threads >= 1);
    assert.equal(typeof info.cudaCompiled, 'boolean');
  });

  const native = (): KernelBackend => validated(addonBackend(addon!, 0));

  describe('agrees with the float64 reference and the TS kernels', { skip }, () => {
    const rng = seededRandom(7);
    const cases: [number, number, number, number, number][] = [
      // batch, height, width, C1, C2
      [1, 1, 1, 1, 1],
      [2, 1, 1, 3, 17],
      [3, 5, 7, 17, 3],
      [2, 4, 4, 33, 129],
      [4, 8, 8, 16, 32],
      [1, 9, 3, 129, 33],
    ];
    for (const layout of ['NHWC', 'NCHW'] as Layout[]) {
      for (const [b, h, w, c1, c2] of cases) {
        it(`fspForward/fspBackward ${layout} B=${b} ${h}x${w} C1=${c1} C2=${c2}`, () => {
          const first = randomMap(rng, dims(b, h, w, c1), layout);
          const second = randomMap(rng, dims(b, h, w, c2), layout);
          const g = native().fspForward(first, second);
          assert.ok(relErr(g, refFsp(first, second)) <= TOL);
          assert.ok(relErr(g, tsKernels.fspForward(first, second)) <= TOL);
          const dG = randomArray(rng, g.length);
          const grads = native().fspBackward(first, second, dG);
          const ref = refFspBackward(first, second, dG);
          assert.ok(relErr(grads.first, ref.first) <= TOL, `dF1 ${relErr(grads.first, ref.first)}`);
          assert.ok(relErr(grads.second, ref.second) <= TOL, `dF2 ${relErr(grads.second, ref.second)}`);
        });
      }
      for (const pooling of ['max', 'avg'] as const) {
        it(`poolTo/poolBackward ${layout} ${pooling} with uneven windows`, () => {
          const map = randomMap(rng, dims(3, 7, 10, 5), layout);
          const pooled = native().poolTo(map, 3, 4, pooling);
          assert.deepEqual(pooled.shape, layout === 'NHWC' ? [3, 3, 4, 5] : [3, 5, 3, 4]);
          assert.ok(relErr(pooled.data, refPool(map, 3, 4, pooling).data) <= TOL);
          const gradOut = randomArray(rng, pooled.data.length);
          const gradIn = native().poolBackward(map, 3, 4, pooling, gradOut);
          assert.ok(relErr(gradIn, refPoolBackward(map, 3, 4, pooling, gradOut)) <= TOL);
        });
      }
    }

    it('fused loss: two pairs, one needing pooling, weights, both reductions, teacher as pairs and as matrices', () => {
      for (const layout of ['NHWC', 'NCHW'] as Layout[]) {
        const student: FeaturePair[] = [
          { first: randomMap(rng, dims(3, 8, 8, 4), layout), second: randomMap(rng, dims(3, 4, 4, 6), layout) },
          { first: randomMap(rng, dims(3, 5, 5, 17), layout), second: randomMap(rng, dims(3, 5, 5, 3), layout) },
        ];
        const teacher: FeaturePair[] = [
          { first: randomMap(rng, dims(3, 16, 16, 4), 'NHWC'), second: randomMap(rng, dims(3, 8, 8, 6), 'NHWC') },
          { first: randomMap(rng, dims(3, 5, 5, 17), layout), second: randomMap(rng, dims(3, 5, 5, 3), layout) },
        ];
        for (const reduction of ['paper', 'mean'] as const) {
          for (const pooling of ['max', 'avg'] as const) {
            const options = { weights: [0.5, 2], reduction, pooling };
            const ref = refLoss(student, { pairs: teacher }, options);
            const got = native().fspLoss(student, { pairs: teacher }, { ...options, returnGradients: true, returnTeacherMatrices: true });
            assert.ok(Math.abs(got.loss - ref.loss) <= TOL * Math.abs(ref.loss), `${layout} ${reduction} ${pooling}: ${got.loss} vs ${ref.loss}`);
            got.pairLosses.forEach((l, i) => assert.ok(Math.abs(l - ref.pairLosses[i]!) <= TOL * Math.abs(ref.pairLosses[i]!)));
            got.teacherMatrices!.forEach((m, i) => assert.ok(relErr(m, refPairFsp(teacher[i]!, pooling)) <= TOL));
            const viaMatrices = native().fspLoss(student, { matrices: got.teacherMatrices! }, { ...options, returnGradients: true });
            assert.ok(Math.abs(viaMatrices.loss - got.loss) <= TOL * got.loss);
            const ts = tsKernels.fspLoss(student, { pairs: teacher }, { ...options, returnGradients: true });
            got.gradients!.forEach((g, i) => {
              assert.ok(relErr(g.first, ts.gradients![i]!.first) <= TOL);
              assert.ok(relErr(g.second, ts.gradients![i]!.second) <= TOL);
              assert.ok(relErr(viaMatrices.gradients![i]!.first, g.first) <= TOL);
            });
          }
        }
      }
    });

    it('loss gradients match float64 finite differences', () => {
      const first = randomMap(rng, dims(2, 4, 4, 3), 'NCHW');
      const second = randomMap(rng, dims(2, 2, 2, 5), 'NCHW');
      const teacher = randomArray(rng, 2 * 3 * 5);
      const options = { weights: [1.5], pooling: 'max' as const };
      const got = native().fspLoss([{ first, second }], { matrices: [teacher] }, { ...options, returnGradients: true });
      const lossOf = (which: 'first' | 'second') => (x: Float64Array) => {
        const pair = { first: { ...first, data: which === 'first' ? x : first.data }, second: { ...second, data: which === 'second' ? x : second.data } };
        return refLoss([pair], { matrices: [teacher] }, options).loss;
      };
      assert.ok(relErr(got.gradients![0]!.first, finiteDifferences(lossOf('first'), first.data)) <= 1e-4);
      assert.ok(relErr(got.gradients![0]!.second, finiteDifferences(lossOf('second'), second.data)) <= 1e-4);
    });

    it('async results equal sync results', async () => {
      const first = randomMap(rng, dims(4, 6, 6, 8), 'NHWC');
      const second = randomMap(rng, dims(4, 3, 3, 8), 'NHWC');
      const k = native();
      const pooled = k.poolTo(first, 3, 3, 'max');
      assert.deepEqual(await k.fspForwardAsync(pooled, second), k.fspForward(pooled, second));
      assert.deepEqual((await k.poolToAsync(first, 3, 3, 'avg')).data, k.poolTo(first, 3, 3, 'avg').data);
      const t = { matrices: [randomArray(rng, 4 * 8 * 8)] };
      const sync = k.fspLoss([{ first, second }], t, { returnGradients: true });
      const async_ = await k.fspLossAsync([{ first, second }], t, { returnGradients: true });
      assert.equal(async_.loss, sync.loss);
      assert.deepEqual(async_.gradients, sync.gradients);
    });

    it('NaN in an input propagates to the matrices and the loss', () => {
      const first = randomMap(rng, dims(2, 3, 3, 4), 'NHWC');
      const second = randomMap(rng, dims(2, 3, 3, 4), 'NHWC');
      first.data[5] = NaN; // sample 0
      const g = native().fspForward(first, second);
      assert.ok(g.slice(0, 16).some(Number.isNaN));
      assert.ok(!g.slice(16).some(Number.isNaN), 'sample 1 must stay finite');
      assert.ok(Number.isNaN(native().fspLoss([{ first, second }], { matrices: [new Float32Array(32)] }, {}).loss));
    });
  });

  it('async work leaves the event loop free', { skip }, async () => {
    const rng = seededRandom(3);
    const first = randomMap(rng, dims(64, 32, 32, 64), 'NHWC');
    const second = randomMap(rng, dims(64, 32, 32, 64), 'NHWC');
    const teacher = { matrices: [randomArray(rng, 64 * 64 * 64)] };
    const k = native();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const start = performance.now();
    for (let i = 0; i < 3; i++) await k.fspLossAsync([{ first, second }], teacher, { returnGradients: true });
    const elapsed = performance.now() - start;
    clearInterval(timer);
    // A blocked loop would fire the timer at most once per call; a free one fires it throughout.
    assert.ok(ticks >= Math.min(20, elapsed / 5), `timer fired ${ticks} times in ${elapsed.toFixed(0)} ms`);
  });
});

describe('async kernels in worker threads', () => {
  it('terminating a worker while its kernel runs ends the worker, not the process', { skip }, () => {
    // The kernel (~0.5 s on one thread) is still running when terminate() tears the worker's environment
    // down; settling its promise then throws, which ended the whole process (std::terminate, exit 134).
    const script = `
      const { Worker } = require('node:worker_threads');
      const w = new Worker(\`
        const a = require(${JSON.stringify(addonPath)});
        const n = 32 * 32 * 32 * 256, f = { data: new Float32Array(n).fill(0.5), shape: [32, 32, 32, 256], layout: 'NHWC' };
        a.fspForwardAsync(f, f, 1);
        require('node:worker_threads').parentPort.postMessage('started');
      \`, { eval: true });
      w.once('message', async () => console.log('terminated', await w.terminate()));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
    assert.equal(r.stdout.trim(), 'terminated 1', 'the worker was terminated (exit code 1)');
  });
});

describe('bad input gives a clear error and the process survives', () => {
  const rng = seededRandom(11);
  const map = (b: number, h: number, w: number, c: number, layout: Layout = 'NHWC') => randomMap(rng, dims(b, h, w, c), layout);
  const a = map(2, 4, 4, 3);
  const b = map(2, 4, 4, 5);
  const t = { matrices: [new Float32Array(2 * 3 * 5)] };
  const pair = { first: a, second: b };
  /** A copy of `data` over a resizable ArrayBuffer (ES2024; Node 20 has it). */
  const resizable = (data: Float32Array) => {
    const buffer = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(data.byteLength, { maxByteLength: 2 * data.byteLength });
    return new Float32Array(buffer).fill(0.5);
  };

  const cases: [string, (k: KernelBackend) => unknown, ErrorConstructor, RegExp][] = [
    ['wrong data length', (k) => k.fspForward({ ...a, data: new Float32Array(5) }, b), RangeError, /pair\.first\.data: length 5 does not match shape \[2, 4, 4, 3\]/],
    ['zero dimension', (k) => k.fspForward({ ...a, shape: [2, 0, 4, 3] }, b), RangeError, /pair\.first\.shape\[1\]: expected a positive integer, got 0/],
    ['negative dimension', (k) => k.poolTo({ ...a, shape: [2, 4, -4, 3] }, 1, 1, 'max'), RangeError, /map\.shape\[2\]/],
    ['fractional dimension', (k) => k.poolTo({ ...a, shape: [2, 4, 4.5, 3] }, 1, 1, 'max'), RangeError, /map\.shape\[2\]/],
    ['three dimensions', (k) => k.poolTo({ ...a, shape: [2, 4, 4] as never }, 1, 1, 'max'), TypeError, /map\.shape: expected 4 dimensions/],
    ['Float64Array data', (k) => k.fspForward({ ...a, data: new Float64Array(96) as never }, b), TypeError, /pair\.first\.data: expected a Float32Array, got a Float64Array/],
    ['plain array data', (k) => k.fspForward(a, { ...b, data: [1, 2] as never }), TypeError, /pair\.second\.data: expected a Float32Array, got an Array/],
    ['resizable buffer', (k) => k.fspForward(a, { ...b, data: resizable(b.data) }), TypeError, /pair\.second\.data: its ArrayBuffer is resizable/],
    ['resizable output', (k) => k.fspForward(a, b, resizable(new Float32Array(30))), TypeError, /into: its ArrayBuffer is resizable/],
    ['missing map', (k) => k.fspForward(a, undefined as never), TypeError, /pair\.second: expected a feature map/],
    ['bad layout', (k) => k.fspForward({ ...a, layout: 'HWC' as never }, b), RangeError, /pair\.first\.layout: expected 'NHWC' or 'NCHW'/],
    ['layout mismatch', (k) => k.fspForward(a, { ...b, shape: [2, 5, 4, 4], layout: 'NCHW' }), RangeError, /pair\.second\.layout/],
    ['batch mismatch', (k) => k.fspForward(a, map(3, 4, 4, 5)), RangeError, /pair\.second\.shape: batch 3 differs from pair\.first batch 2/],
    ['spatial mismatch in fspForward', (k) => k.fspForward(a, map(2, 2, 2, 5)), RangeError, /spatial size 2x2 differs from first's 4x4/],
    ['gradMatrices length', (k) => k.fspBackward(a, b, new Float32Array(3)), RangeError, /gradMatrices: length 3, expected 30/],
    ['pooling to a larger size', (k) => k.poolTo(a, 5, 4, 'max'), RangeError, /outHeight x outWidth: 5x4 exceeds the map's 4x4/],
    ['unknown pooling', (k) => k.poolTo(a, 2, 2, 'min' as never), RangeError, /pooling: expected 'max' or 'avg'/],
    ['gradOut length', (k) => k.poolBackward(a, 2, 2, 'avg', new Float32Array(7)), RangeError, /gradOut: length 7, expected 24/],
    ['no student pairs', (k) => k.fspLoss([], t, {}), TypeError, /student: expected a non-empty array/],
    ['teacher count', (k) => k.fspLoss([pair], { matrices: [] }, {}), RangeError, /teacherMatrices: 0 entries for 1 student pairs/],
    ['teacher both ways', (k) => k.fspLoss([pair], { matrices: [], pairs: [] } as never, {}), TypeError, /teacher: expected exactly one/],
    ['teacher matrix size', (k) => k.fspLoss([pair], { matrices: [new Float32Array(29)] }, {}), RangeError, /teacherMatrices\[0\]: length 29, expected 30 for \[2, 3, 5\]/],
    ['teacher matrix type', (k) => k.fspLoss([pair], { matrices: [new Float64Array(30) as never] }, {}), TypeError, /teacherMatrices\[0\]: expected a Float32Array/],
    ['teacher channel mismatch', (k) => k.fspLoss([pair], { pairs: [{ first: a, second: map(2, 4, 4, 6) }] }, {}), RangeError, /teacher\[0\]: FSP matrix 3x6 does not match student\[0\] 3x5/],
    ['teacher batch mismatch', (k) => k.fspLoss([pair], { pairs: [{ first: map(1, 4, 4, 3), second: map(1, 4, 4, 5) }] }, {}), RangeError, /teacher\[0\]\.first\.shape: batch 1 differs from student\[0\] batch 2/],
    ['student pair batch mismatch', (k) => k.fspLoss([{ first: a, second: map(1, 4, 4, 5) }], t, {}), RangeError, /student\[0\]\.second\.shape: batch 1/],
    ['NaN weight', (k) => k.fspLoss([pair], t, { weights: [NaN] }), RangeError, /weights\[0\]: expected a finite number >= 0, got NaN/],
    ['negative weight', (k) => k.fspLoss([pair], t, { weights: [-1] }), RangeError, /weights\[0\]/],
    ['weight count', (k) => k.fspLoss([pair], t, { weights: [1, 2] }), RangeError, /weights: 2 weights for 1 pairs/],
    ['unknown reduction', (k) => k.fspLoss([pair], t, { reduction: 'sum' as never }), RangeError, /reduction: expected 'paper' or 'mean'/],
  ];

  const backends: [string, () => KernelBackend, boolean | string][] = [
    ['ts', () => validated(tsKernels), false],
    ['native', () => validated(addonBackend(addon!, 0)), skip],
  ];
  for (const [name, backend, skipIt] of backends) {
    it(`${name}: every bad input throws TypeError/RangeError naming the argument`, { skip: skipIt }, async () => {
      for (const [what, call, type, message] of cases) {
        assert.throws(() => call(backend()), (err: Error) => err instanceof type && message.test(err.message), what);
      }
      // The async API rejects instead of throwing.
      await assert.rejects(backend().fspLossAsync([pair], t, { weights: [NaN] }), RangeError);
    });
  }

  // Unvalidated, the addon checks types and lengths against the declared shapes itself (memory safety) and
  // leaves every other rule to the C++ core's checks (native/core/src/checks.cc), which run before any kernel.
  it('the addon itself rejects bad input without crashing (the last line of defence)', { skip }, async () => {
    const raw = addon!;
    const small = { data: new Float32Array(3), shape: [1, 1, 1, 4], layout: 'NHWC' } as unknown as FeatureMap;
    const options = { weights: [], reduction: 'paper', pooling: 'max', returnGradients: false, returnTeacherMatrices: false } as const;
    const m30 = () => new Float32Array(30);
    const fails = (call: () => unknown, type: ErrorConstructor, message: RegExp) => assert.throws(call, (e: Error) => e instanceof type && message.test(e.message), String(message));
    // The binding's own checks: types, and lengths against the declared shapes.
    fails(() => raw.fspForward(small, small, 0), RangeError, /^first\.data: length 3 does not match shape \(4 elements\)$/);
    fails(() => raw.fspForward(a, { ...b, data: new Int32Array(160) } as never, 0), TypeError, /^second\.data: expected a Float32Array$/);
    fails(() => raw.fspLoss([pair], [], [new Float32Array(29)], options, 0), RangeError, /^teacherMatrices\[0\]: expected 30 elements, got 29$/);
    fails(() => raw.fspForward(a, b, 0, undefined, new Float32Array(29)), RangeError, /^into: expected 30 elements, got 29$/);
    fails(() => raw.outputArray(0), RangeError, /^outputArray: length must be an integer in \[1, 2\^32 - 1\]$/);
    fails(() => raw.fspLoss([pair], [], [m30()], { ...options, returnGradients: true, gradientsInto: [] }, 0), TypeError, /^options\.gradientsInto\[0\]: expected \{first, second\}$/);
    fails(() => raw.fspLoss([pair], [], [m30()], { ...options, returnGradients: true, gradientsInto: [{ first: new Float32Array(96), second: new Float32Array(3) }] }, 0), RangeError, /^options\.gradientsInto\[0\]\.second: expected 160 elements, got 3$/);
    // The core's: the rules validate.ts states for users, checked again.
    fails(() => raw.fspForward(a, map(3, 4, 4, 5), 0), RangeError, /^second: batch 3 does not match first batch 2$/);
    fails(() => raw.fspForward(a, map(2, 2, 2, 5), 0), RangeError, /^second: height x width 2x2 does not match first 4x4$/);
    fails(() => raw.poolTo(a, 9, 1, 'max', 0), RangeError, /^out_height: 9 exceeds input height 4$/);
    fails(() => raw.fspLoss([], [], [], options, 0), RangeError, /^student: no pairs$/);
    fails(() => raw.fspLoss([pair], [], [], options, 0), TypeError, /^teacher: give teacher pairs or teacher_matrices$/);
    fails(() => raw.fspLoss([pair], [], [m30(), m30()], options, 0), RangeError, /^teacher_matrices: 2 entries for 1 student pairs$/);
    fails(() => raw.fspLoss([pair], [], [m30()], { ...options, weights: [Infinity], returnGradients: true }, 0), RangeError, /^weights\[0\]: must be finite, got inf$/);
    await assert.rejects(raw.fspForwardAsync(a, map(2, 2, 2, 5), 0), RangeError);
    await assert.rejects(raw.poolToAsync(a, 9, 1, 'max', 0), /^RangeError: out_height: 9 exceeds input height 4$/);
  });

  // threads: FSPD_THREADS allows 1 .. MAX_THREADS (0: every hardware thread). The addon refuses other counts
  // per call instead of converting them (2^32 + 1 wrapped to 1, '8' meant all) or starting that many threads
  // (which stay parked for reuse).
  it('the addon refuses thread counts outside 0 .. MAX_THREADS, before starting any', { skip }, async () => {
    const raw = addon!;
    const MAX_THREADS = 4096; // src/native/addon.ts, native/binding/convert.h
    const fails = (call: () => unknown, type: ErrorConstructor, message: RegExp) => assert.throws(call, (e: Error) => e instanceof type && message.test(e.message), String(message));
    const range = (got: string) => new RegExp(`^threads: expected an integer in \\[0, ${MAX_THREADS}\\] \\(0: every hardware thread\\), got ${got}$`);
    for (const [threads, shown] of [[MAX_THREADS + 1, '4097'], [1e6, '1000000'], [2 ** 32 + 1, '4294967297'], [1.5, '1.5'], [-1, '-1'], [NaN, 'NaN'], [Infinity, 'Infinity']] as const) {
      fails(() => raw.fspForward(a, b, threads), RangeError, range(shown));
      fails(() => raw.fspLossAsync([pair], [], [new Float32Array(30)], { weights: [], reduction: 'paper', pooling: 'max', returnGradients: false, returnTeacherMatrices: false }, threads), RangeError, range(shown));
      fails(() => raw.measureFmaPeak(threads, 0.01), RangeError, range(shown));
    }
    fails(() => raw.poolTo(a, 2, 2, 'max', '8' as never), TypeError, /^threads: expected a number$/);
    fails(() => raw.poolBackward(a, 2, 2, 'avg', new Float32Array(24), null as never), TypeError, /^threads: expected a number$/);
    // The bounds themselves, and no count (the default: every hardware thread), still run.
    const g = raw.fspForward(a, b, 0);
    assert.deepEqual(raw.fspForward(a, b, MAX_THREADS), g);
    assert.deepEqual(raw.fspForward(a, b, 1), g);
    assert.deepEqual(raw.fspForward(a, b, undefined as never), g);
    assert.ok((await raw.measureFmaPeak(1, 0.01)) > 0);
  });

  // Output and input lengths are products of dimensions; outHeight, outWidth and uploaded shapes each reach
  // 2^53, so a product can overflow int64. The binding refuses that itself rather than check a length against
  // the wrapped size: 274177 x 67280421310721 = 2^64 + 1 wrapped to 1 and let a one-float gradOut through.
  it('the addon refuses dimensions whose product overflows int64, naming the array', { skip }, () => {
    const raw = addon!;
    const one = { data: new Float32Array([0.5]), shape: [1, 1, 1, 1], layout: 'NHWC' } as const satisfies FeatureMap;
    const fails = (call: () => unknown, message: RegExp) => assert.throws(call, (e: Error) => e instanceof RangeError && message.test(e.message), String(message));
    fails(() => raw.poolBackward(one, 274177, 67280421310721, 'avg', new Float32Array(1), 0), /^gradOut: 1x1x274177x67280421310721 elements overflow int64$/);
    fails(() => raw.poolBackwardAsync(one, 274177, 67280421310721, 'max', new Float32Array(1), 0), /^gradOut: 1x1x274177x67280421310721 elements overflow int64$/);
    fails(() => raw.poolTo(one, 274177, 67280421310721, 'max', 0), /^output: 1x1x274177x67280421310721 elements overflow int64$/);
    fails(() => raw.poolTo(one, 2 ** 32, 2 ** 32, 'max', 0), /^output: 1x1x4294967296x4294967296 elements overflow int64$/);
    fails(() => raw.cudaUploadTeacher([new Float32Array(1)], [[1, 274177, 67280421310721]]), /^shapes\[0\]: 1x274177x67280421310721 elements overflow int64$/);
    // Products that fit are still checked against the arrays (then by the core's rules).
    fails(() => raw.poolBackward(one, 2 ** 31, 2 ** 31, 'avg', new Float32Array(1), 0), /^gradOut: expected 4611686018427387904 elements, got 1$/);
    fails(() => raw.poolTo(one, 2, 1, 'max', 0), /^out_height: 2 exceeds input height 1$/);
    assert.deepEqual([...raw.poolTo(one, 1, 1, 'max', 0)], [0.5]);
  });
});

describe('choosing the implementation', () => {
  const saved = { ...process.env };
  after(() => {
    process.env = saved;
    resetKernelChoice();
  });
  const withEnv = (env: Record<string, string>) => {
    process.env = { ...saved, ...env };
    resetKernelChoice();
  };

  it('FSPD_NATIVE=0 forces the TypeScript kernels', () => {
    withEnv({ FSPD_NATIVE: '0' });
    assert.equal(getKernels().variant, 'ts');
    assert.equal(nativeInfo().reason, 'FSPD_NATIVE=0');
  });

  it('FSPD_DEVICE=cuda without CUDA fails with a clear message', () => {
    withEnv({ FSPD_DEVICE: 'cuda' });
    assert.throws(() => getKernels(), /FSPD_DEVICE=cuda/);
  });

  it('bad FSPD_DEVICE and FSPD_THREADS values are rejected', () => {
    withEnv({ FSPD_DEVICE: 'tpu' });
    assert.throws(() => getKernels(), /FSPD_DEVICE: expected auto, cpu or cuda, got tpu/);
    withEnv({ FSPD_THREADS: '0' });
    assert.throws(() => getKernels(), /FSPD_THREADS: expected a positive integer, got 0/);
    withEnv({ FSPD_THREADS: '4097' }); // more than MAX_THREADS (src/native/addon.ts)
    assert.throws(() => getKernels(), { name: 'RangeError', message: 'FSPD_THREADS: 4097 is more than the 4096 threads a kernel call may use' });
  });

  it('FSPD_THREADS=1 gives the same numbers as all threads', { skip }, () => {
    const rng = seededRandom(5);
    const first = randomMap(rng, dims(8, 8, 8, 16), 'NHWC');
    const second = randomMap(rng, dims(8, 8, 8, 24), 'NHWC');
    withEnv({ FSPD_THREADS: '1' });
    assert.equal(nativeInfo().threads, 1);
    const one = getKernels().fspForward(first, second);
    withEnv({});
    assert.deepEqual(getKernels().fspForward(first, second), one);
  });
});

describe('CUDA device selection', () => {
  const saved = { ...process.env };
  after(() => {
    process.env = saved;
    resetKernelChoice();
  });
  const withEnv = (env: Record<string, string>) => {
    process.env = { ...saved, ...env };
    resetKernelChoice();
  };
  const info = () => addon!.buildInfo();
  // With nvcc on PATH and FSPD_CUDA not OFF, `npm run build:native` compiles the CUDA kernels (AUTO).
  const nvcc = spawnSync('nvcc', ['--version'], { encoding: 'utf8' }).status === 0;
  const expectCuda = nvcc && (process.env.FSPD_CUDA ?? 'AUTO').toUpperCase() !== 'OFF';
  const noDevice = addon ? addon.buildInfo().cudaDevices === 0 : true;

  it('buildInfo reports the CUDA build and its devices (0 with the runtime reason here)', { skip }, () => {
    const b = info();
    if (expectCuda) assert.equal(b.cudaCompiled, true, 'nvcc is available, so the addon should be built with CUDA');
    assert.ok(Number.isInteger(b.cudaDevices) && b.cudaDevices >= 0);
    assert.equal(b.cudaDeviceNames.length, b.cudaDevices);
    if (b.cudaCompiled) {
      assert.ok(b.cudaRuntimeVersion >= 12000, `runtime ${b.cudaRuntimeVersion}`);
      if (b.cudaDevices === 0) assert.match(b.cudaReason, /\S/, 'no device: the runtime says why');
    } else {
      assert.equal(b.cudaDevices, 0);
    }
  });

  it('auto falls back to the CPU kernels without a device, saying why', { skip: skip || (!noDevice && 'a CUDA device is present') }, () => {
    withEnv({ FSPD_DEVICE: 'auto' });
    assert.equal(getKernels().variant, 'cpu');
    const n = nativeInfo();
    assert.equal(n.variant, 'cpu');
    assert.equal(n.cudaDevices, 0);
    assert.match(n.cudaReason, /\S/);
    if (n.cudaCompiled) assert.match(n.reason, /no usable CUDA device \(.+\)/);
  });

  it('explicit cuda without a device fails at start with the reason', { skip: skip || (!noDevice && 'a CUDA device is present') }, () => {
    withEnv({ FSPD_DEVICE: 'cuda' });
    const b = info();
    assert.throws(() => getKernels(), b.cudaCompiled ? /FSPD_DEVICE=cuda but no CUDA device is usable: \S+/ : /built without CUDA/);
  });

  it("the addon refuses device 'cuda' per call without a device, and bad device names", { skip: skip || (!noDevice && 'a CUDA device is present') }, async () => {
    const rng = seededRandom(3);
    const a = randomMap(rng, dims(1, 2, 2, 3), 'NHWC');
    const reason = info().cudaCompiled ? /no usable CUDA device \(\S/ : /no usable CUDA device \(not compiled/;
    assert.throws(() => addon!.fspForward(a, a, 0, 'cuda'), reason);
    assert.throws(() => addon!.fspForwardAsync(a, a, 0, 'cuda'), reason);
    assert.throws(() => addon!.cudaUploadTeacher([new Float32Array(9)], [[1, 3, 3]]), reason);
    assert.throws(() => addon!.fspForward(a, a, 0, 'gpu' as 'cuda'), RangeError);
    assert.equal(addon!.fspForward(a, a, 0, 'cpu').length, 9);
  });

  it('CUDA kernels agree with the CPU kernels (needs a GPU)', { skip: skip || (noDevice && 'no CUDA device on this machine: CUDA results can only be compared on a GPU (native/scripts/gpu-check.sh runs the same comparison there without Node)') }, async () => {
    const rng = seededRandom(9);
    const cpu = validated(addonBackend(addon!, 0, 'cpu'));
    const cuda = validated(addonBackend(addon!, 0, 'cuda'));
    for (const layout of ['NHWC', 'NCHW'] as Layout[]) {
      const x = randomMap(rng, dims(3, 9, 7, 17), layout);
      const y = randomMap(rng, dims(3, 9, 7, 33), layout);
      const small = randomMap(rng, dims(3, 4, 5, 33), layout);
      assert.ok(relErr(await cuda.fspForwardAsync(x, y), cpu.fspForward(x, y)) <= TOL);
      const t = { matrices: [randomArray(rng, 3 * 17 * 33)] };
      const opts = { returnGradients: true, pooling: 'avg' as const };
      const g = await cuda.fspLossAsync([{ first: x, second: small }], t, opts);
      const c = cpu.fspLoss([{ first: x, second: small }], t, opts);
      assert.ok(Math.abs(g.loss - c.loss) <= TOL * Math.abs(c.loss));
      assert.ok(relErr(g.gradients![0]!.first, c.gradients![0]!.first) <= TOL);
      const handle = await addon!.cudaUploadTeacherAsync(t.matrices, [[3, 17, 33]]);
      const native = { weights: [], reduction: 'paper', pooling: 'avg', returnGradients: false, returnTeacherMatrices: false } as const;
      const r = await addon!.fspLossAsync([{ first: x, second: small }], [], handle, native, 0, 'cuda');
      assert.equal(r.loss, g.loss);
    }
  });
});
