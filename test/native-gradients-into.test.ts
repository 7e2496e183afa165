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
