// The pure-TS kernels against the float64 reference (test/helpers/reference.ts) and finite differences.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tsKernels as k } from '../src/native/ts-kernels.js';
import type { FeatureMap, FeaturePair, Layout, LossOptions, Pooling, Reduction } from '../src/native/types.js';
import { assertClose, finiteDifferences } from './helpers/check.js';
import { dims, randomArray, randomMap, seededRandom, seedOf } from './helpers/random.js';
import { refFsp, refFspBackward, refLoss, refPairFsp, refPool, refPoolBackward, relayout, type RefMap, type RefPair } from './helpers/reference.js';

const TOL = 1e-5;
const layouts: Layout[] = ['NHWC', 'NCHW'];
const poolings: Pooling[] = ['max', 'avg'];
const reductions: Reduction[] = ['paper', 'mean'];

/** A reference map as float32 kernel input. */
const f32 = (m: RefMap): FeatureMap => ({ data: Float32Array.from(m.data), shape: m.shape as FeatureMap['shape'], layout: m.layout });

// [batch, height, width, C1, C2]: channels 1, 3, 17, 33, h·w = 1, odd sizes.
const fspShapes: Array<[number, number, number, number, number]> = [
  [2, 4, 4, 3, 5],
  [1, 1, 1, 17, 33],
  [3, 5, 7, 1, 3],
  [2, 3, 3, 33, 17],
  [1, 7, 5, 17, 1],
  [2, 1, 5, 3, 3],
];

describe('fspForward / fspBackward', () => {
  for (const layout of layouts) {
    for (const [b, h, w, c1, c2] of fspShapes) {
      it(`${layout} [${b},${h},${w}] C1=${c1} C2=${c2}`, () => {
        const rng = seededRandom(b * 1000 + h * 100 + w * 10 + c1 + c2);
        const first = randomMap(rng, dims(b, h, w, c1), layout);
        const second = randomMap(rng, dims(b, h, w, c2), layout);
        const g = k.fspForward(first, second);
        assert.equal(g.length, b * c1 * c2);
        assertClose(g, refFsp(first, second), TOL, 'G');

        const dG = randomArray(rng, b * c1 * c2);
        const grads = k.fspBackward(first, second, dG);
        const ref = refFspBackward(first, second, dG);
        assertClose(grads.first, ref.first, TOL, 'dF1');
        assertClose(grads.second, ref.second, TOL, 'dF2');
      });
    }
  }

  it('NHWC and NCHW of the same data give the same matrices and gradients', () => {
    const rng = seededRandom(7);
    const first = randomMap(rng, dims(2, 5, 3, 17), 'NHWC');
    const second = randomMap(rng, dims(2, 5, 3, 6), 'NHWC');
    const [f2, s2] = [f32(relayout(first, 'NCHW')), f32(relayout(second, 'NCHW'))];
    assertClose(k.fspForward(f2, s2), k.fspForward(first, second), 1e-6, 'G');
    const dG = randomArray(rng, 2 * 17 * 6);
    const a = k.fspBackward(first, second, dG);
    const b = k.fspBackward(f2, s2, dG);
    assertClose(relayout({ data: b.first, shape: f2.shape, layout: 'NCHW' }, 'NHWC').data, a.first, 1e-6, 'dF1');
    assertClose(relayout({ data: b.second, shape: s2.shape, layout: 'NCHW' }, 'NHWC').data, a.second, 1e-6, 'dF2');
  });

  it('NaN and Inf propagate to the matrix rows and columns they touch', () => {
    for (const layout of layouts) {
      const rng = seededRandom(3);
      const first = randomMap(rng, dims(1, 2, 2, 2), layout);
      const second = randomMap(rng, dims(1, 2, 2, 3), layout);
      first.data[0] = NaN; // channel 0 at one position (both layouts: offset 0 is b=0, c=0, y=0, x=0)
      second.data[0] = Infinity; // channel 0 of the second map
      const g = k.fspForward(first, second);
      // Row 0 (first channel 0) is NaN; entry (1, 0) is ±Inf or NaN; the rest of row 1 finite.
      assert.ok([0, 1, 2].every((j) => Number.isNaN(g[j])), layout);
      assert.ok(!Number.isFinite(g[3]!), layout);
      assert.ok(Number.isFinite(g[4]!) && Number.isFinite(g[5]!), layout);
    }
  });
});

// [H, W] → [oh, ow]: non-divisible (overlapping windows), divisible, identity, 1×1, single row.
const poolCases: Array<[number, number, number, number]> = [
  [7, 5, 3, 2],
  [5, 5, 2, 4],
  [6, 4, 4, 3],
  [9, 9, 4, 4],
  [8, 8, 4, 4],
  [4, 4, 1, 1],
  [3, 3, 3, 3],
  [1, 5, 1, 2],
];

describe('poolTo / poolBackward', () => {
  for (const layout of layouts) {
    for (const pooling of poolings) {
      for (const [h, w, oh, ow] of poolCases) {
        it(`${pooling} ${layout} ${h}x${w} -> ${oh}x${ow}`, () => {
          const rng = seededRandom(h * 97 + w * 13 + oh * 5 + ow);
          for (const c of [1, 3, 17]) {
            const map = randomMap(rng, dims(2, h, w, c), layout);
            const out = k.poolTo(map, oh, ow, pooling);
            const ref = refPool(map, oh, ow, pooling);
            assert.deepEqual(out.shape, ref.shape);
            assert.equal(out.layout, layout);
            assertClose(out.data, ref.data, TOL, `pooled c=${c}`);
            const gradOut = randomArray(rng, out.data.length);
            const grad = k.poolBackward(map, oh, ow, pooling, gradOut);
            const refGrad = refPoolBackward(map, oh, ow, pooling, gradOut);
            assertClose(grad, refGrad, TOL, `pool gradient c=${c}`);
          }
        });
      }
    }
  }

  it('max: a window with NaN yields NaN and routes its gradient to the first NaN; ties go to the first maximum', () => {
    // One 4×4 channel pooled to 2×2 (NHWC, C=1: offset = y·4 + x).
    const data = Float32Array.from([
      1, 2, /**/ 5, 3,
      NaN, NaN, /**/ 4, 5,
      // ---------------
      0, 0, /**/ -1, -2,
      0, 0, /**/ -3, NaN,
    ]);
    const map: FeatureMap = { data, shape: [1, 4, 4, 1], layout: 'NHWC' };
    const out = k.poolTo(map, 2, 2, 'max');
    assert.ok(Number.isNaN(out.data[0]) && Number.isNaN(out.data[3]), 'NaN windows');
    assert.deepEqual([out.data[1], out.data[2]], [5, 0]);
    const grad = k.poolBackward(map, 2, 2, 'max', Float32Array.from([10, 20, 30, 40]));
    const expected = new Float32Array(16);
    expected[4] = 10; // first NaN of window (0,0)
    expected[2] = 20; // first of the tied maxima 5 (row-major)
    expected[8] = 30; // first of the tied zeros
    expected[15] = 40; // NaN after smaller values
    assert.deepEqual(grad, expected);
    // Same data in NCHW (C=1 has the same memory order).
    assert.deepEqual(k.poolBackward({ ...map, shape: [1, 1, 4, 4], layout: 'NCHW' }, 2, 2, 'max', Float32Array.from([10, 20, 30, 40])), expected);
  });

  it('NaN propagates through overlapping windows in both layouts and both poolings', () => {
    const rng = seededRandom(11);
    for (const layout of layouts) {
      for (const pooling of poolings) {
        const map = randomMap(rng, dims(2, 5, 5, 3), layout);
        for (const i of [0, 37, 101]) map.data[i] = NaN;
        const out = k.poolTo(map, 2, 3, pooling);
        const ref = refPool(map, 2, 3, pooling);
        const nanAt = (a: ArrayLike<number>) => Array.from(a, (v) => Number.isNaN(v));
        assert.deepEqual(nanAt(out.data), nanAt(ref.data));
        assert.ok(nanAt(out.data).some(Boolean), 'some output is NaN');
        const finite = (a: ArrayLike<number>) => Array.from(a).filter((v) => !Number.isNaN(v));
        assertClose(finite(out.data), finite(ref.data), TOL, 'finite outputs');
      }
    }
  });
});

// Three student pairs: equal sizes; second map smaller (first is pooled); both pooled (non-divisible).
function lossProblem(seed: number, layout: Layout) {
  const rng = seededRandom(seed);
  const B = 2;
  const pair = (h1: number, w1: number, c1: number, h2: number, w2: number, c2: number): FeaturePair => ({
    first: randomMap(rng, dims(B, h1, w1, c1), layout),
    second: randomMap(rng, dims(B, h2, w2, c2), layout),
  });
  const student = [pair(4, 4, 3, 4, 4, 2), pair(4, 4, 2, 2, 2, 3), pair(3, 5, 2, 5, 3, 3)];
  // Teacher pairs give matrices of the same shapes from other spatial sizes.
  const teacher = [pair(3, 3, 3, 3, 3, 2), pair(6, 6, 2, 3, 3, 3), pair(4, 4, 2, 4, 4, 3)];
  const matrices = [B * 3 * 2, B * 2 * 3, B * 2 * 3].map((n) => randomArray(rng, n));
  return { student, teacher, matrices };
}

describe('fspLoss', () => {
  const weights = [0.5, 2, 1.25];
  for (const pooling of poolings) {
    for (const reduction of reductions) {
      for (const teacherKind of ['pairs', 'matrices'] as const) {
        it(`${pooling} ${reduction} teacher ${teacherKind}: loss, pair losses and gradients vs finite differences`, () => {
          const { student, teacher, matrices } = lossProblem(seedOf(pooling, reduction, teacherKind), 'NHWC');
          const t = teacherKind === 'pairs' ? { pairs: teacher } : { matrices };
          const options: LossOptions = { weights, reduction, pooling, returnGradients: true, returnTeacherMatrices: true };
          const res = k.fspLoss(student, t, options);
          const ref = refLoss(student, t, options);
          assertClose([res.loss], [ref.loss], TOL, 'loss');
          assertClose(res.pairLosses, ref.pairLosses, TOL, 'pair losses');
          assertClose([res.loss], [res.pairLosses.reduce((a, b) => a + b)], 1e-12, 'loss = Σ pair losses');
          if (teacherKind === 'pairs') {
            assert.equal(res.teacherMatrices?.length, 3);
            teacher.forEach((p, i) => assertClose(res.teacherMatrices![i]!, refPairFsp(p, pooling), TOL, `teacher G ${i}`));
          } else {
            assert.equal(res.teacherMatrices, undefined);
          }
          // Each student map's gradient against central differences of the float64 reference loss.
          assert.equal(res.gradients?.length, 3);
          student.forEach((pair, i) => {
            for (const side of ['first', 'second'] as const) {
              const lossAt = (x: Float64Array) => {
                const moved: RefPair[] = student.map((p, j) => (j === i ? { ...p, [side]: { ...p[side], data: x } } : p));
                return refLoss(moved, t, options).loss;
              };
              const fd = finiteDifferences(lossAt, pair[side].data);
              assertClose(res.gradients![i]![side], fd, TOL, `pair ${i} ${side} gradient`);
            }
          });
        });
      }
    }
  }

  it('defaults: max pooling, paper reduction, weights 1, no gradients or teacher matrices', () => {
    const { student, teacher } = lossProblem(5, 'NHWC');
    const res = k.fspLoss(student, { pairs: teacher }, {});
    const ref = refLoss(student, { pairs: teacher }, { pooling: 'max', reduction: 'paper' });
    assertClose(res.pairLosses, ref.pairLosses, TOL, 'pair losses');
    assert.equal(res.gradients, undefined);
    assert.equal(res.teacherMatrices, undefined);
    assert.deepEqual(k.fspLoss(student, { pairs: teacher }, { weights: [] }).pairLosses, res.pairLosses);
    // Reductions differ by the number of matrix entries per sample.
    const mean = k.fspLoss(student, { pairs: teacher }, { reduction: 'mean' });
    assertClose(mean.pairLosses.map((l) => l * 6), res.pairLosses, 1e-12, 'mean · entries (2·3 per pair) = paper');
  });

  it('NCHW gives the same loss and gradients as NHWC', () => {
    const nhwc = lossProblem(9, 'NHWC');
    const toNchw = (p: FeaturePair): FeaturePair => ({ first: f32(relayout(p.first, 'NCHW')), second: f32(relayout(p.second, 'NCHW')) });
    const options: LossOptions = { weights: [1, 3, 0.25], returnGradients: true };
    const a = k.fspLoss(nhwc.student, { pairs: nhwc.teacher }, options);
    const nchwStudent = nhwc.student.map(toNchw);
    const b = k.fspLoss(nchwStudent, { pairs: nhwc.teacher.map(toNchw) }, options);
    assertClose(b.pairLosses, a.pairLosses, 1e-6, 'pair losses');
    nchwStudent.forEach((p, i) => {
      for (const side of ['first', 'second'] as const) {
        const back = relayout({ data: b.gradients![i]![side], shape: p[side].shape, layout: 'NCHW' }, 'NHWC').data;
        assertClose(back, a.gradients![i]![side], 1e-6, `pair ${i} ${side} gradient`);
      }
    });
  });

  it('async variants resolve to the sync results', async () => {
    const { student, teacher } = lossProblem(13, 'NHWC');
    const options: LossOptions = { returnGradients: true };
    assert.deepEqual(await k.fspLossAsync(student, { pairs: teacher }, options), k.fspLoss(student, { pairs: teacher }, options));
    const [f, s] = [student[0]!.first, student[0]!.second];
    const g = await k.fspForwardAsync(f, s);
    assert.deepEqual(g, k.fspForward(f, s));
    assert.deepEqual(await k.fspBackwardAsync(f, s, g), k.fspBackward(f, s, g));
    assert.deepEqual(await k.poolToAsync(f, 3, 2, 'avg'), k.poolTo(f, 3, 2, 'avg'));
    assert.deepEqual(await k.poolBackwardAsync(f, 3, 2, 'max', new Float32Array(12).fill(1)), k.poolBackward(f, 3, 2, 'max', new Float32Array(12).fill(1)));
  });
});
