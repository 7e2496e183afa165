// The FSP tfjs ops against tfjs autograd of the plain tf.matMul formulation (pure-JS cpu backend).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { computeFsp, computeFspAsync, computeFspLoss, computeFspLossAsync, fspLoss, fspMatrix } from '../src/fsp/index.js';
import type { Layout, Pooling, Reduction } from '../src/native/types.js';
import { assertClose } from './helpers/check.js';
import { dims, randomArray, randomMap, seededRandom, seedOf } from './helpers/random.js';
import { refLoss as refArrayLoss, refPairFsp } from './helpers/reference.js';

const TOL = 1e-5;
const layouts: Layout[] = ['NHWC', 'NCHW'];
type Pair = [tf.Tensor4D, tf.Tensor4D];

before(async () => {
  await tf.setBackend('cpu');
});

/** A random tensor given its NHWC dims, in `layout`'s shape. */
function randomTensor(rng: () => number, [b, h, w, c]: [number, number, number, number], layout: Layout): tf.Tensor4D {
  return tf.tensor4d(randomArray(rng, b * h * w * c), layout === 'NHWC' ? [b, h, w, c] : [b, c, h, w]);
}

const toNhwc = (t: tf.Tensor4D, layout: Layout): tf.Tensor4D => (layout === 'NHWC' ? t : tf.transpose(t, [0, 2, 3, 1]));

/** Reference: pool (tfjs pooling, divisible sizes only) to the common size, then Xᵀ·Y/(h·w) with tf.matMul. */
function refFsp(first: tf.Tensor4D, second: tf.Tensor4D, layout: Layout, pooling: Pooling = 'max'): tf.Tensor3D {
  let x = toNhwc(first, layout);
  let y = toNhwc(second, layout);
  const h = Math.min(x.shape[1], y.shape[1]);
  const w = Math.min(x.shape[2], y.shape[2]);
  const pool = (t: tf.Tensor4D): tf.Tensor4D => {
    if (t.shape[1] === h && t.shape[2] === w) return t;
    const window: [number, number] = [t.shape[1] / h, t.shape[2] / w];
    return pooling === 'max' ? tf.maxPool(t, window, window, 'valid') : tf.avgPool(t, window, window, 'valid');
  };
  [x, y] = [pool(x), pool(y)];
  const [b, , , c1] = x.shape;
  const c2 = y.shape[3];
  return tf.div(tf.matMul(tf.reshape(x, [b, h * w, c1]), tf.reshape(y, [b, h * w, c2]), true, false), h * w);
}

interface RefLossOptions {
  weights?: number[];
  reduction?: Reduction;
  pooling?: Pooling;
  layout?: Layout;
}

function refLoss(student: Pair[], teacher: Pair[] | tf.Tensor3D[], options: RefLossOptions = {}): tf.Scalar {
  const layout = options.layout ?? 'NHWC';
  const terms = student.map(([a, b], i) => {
    const gs = refFsp(a, b, layout, options.pooling);
    const t = teacher[i]!;
    const gt = Array.isArray(t) ? refFsp(t[0], t[1], layout, options.pooling) : t;
    const denominator = options.reduction === 'mean' ? gs.size : gs.shape[0];
    return tf.mul(tf.div(tf.sum(tf.square(tf.sub(gs, gt))), denominator), options.weights?.[i] ?? 1);
  });
  return tf.addN(terms) as tf.Scalar;
}

/** Compares two lists of tensors normwise, one by one. */
function assertTensorsClose(actual: tf.Tensor[], ref: tf.Tensor[], what: string): void {
  assert.equal(actual.length, ref.length);
  actual.forEach((t, i) => {
    assert.deepEqual(t.shape, ref[i]!.shape, `${what}[${i}] shape`);
    assertClose(t.dataSync(), ref[i]!.dataSync(), TOL, `${what}[${i}]`);
  });
}

describe('fspMatrix', () => {
  // [first NHWC dims, second NHWC dims]: equal sizes, second smaller (first pooled), both pooled.
  const cases: Array<[[number, number, number, number], [number, number, number, number]]> = [
    [[2, 4, 4, 3], [2, 4, 4, 5]],
    [[2, 3, 5, 1], [2, 3, 5, 17]],
    [[2, 8, 8, 3], [2, 4, 4, 2]],
    [[2, 8, 4, 3], [2, 4, 8, 2]],
  ];
  for (const layout of layouts) {
    for (const pooling of ['max', 'avg'] as const) {
      cases.forEach(([d1, d2], n) => {
        it(`${layout} ${pooling} case ${n}: values and gradients`, () => {
          tf.tidy(() => {
            const rng = seededRandom(seedOf(layout, pooling, String(n)));
            const [a, b] = [randomTensor(rng, d1, layout), randomTensor(rng, d2, layout)];
            const g = fspMatrix(a, b, { layout, pooling });
            const ref = refFsp(a, b, layout, pooling);
            assertTensorsClose([g], [ref], 'G');
            const dy = tf.tensor3d(randomArray(rng, ref.size), ref.shape);
            const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => fspMatrix(x as tf.Tensor4D, y as tf.Tensor4D, { layout, pooling }));
            const refGrads = tf.grads((x: tf.Tensor, y: tf.Tensor) => refFsp(x as tf.Tensor4D, y as tf.Tensor4D, layout, pooling));
            assertTensorsClose(grads([a, b], dy), refGrads([a, b], dy), 'dG');
          });
        });
      });
    }
  }

  it('the same tensor as both maps (a Gram matrix): gradients of both uses add up', () => {
    tf.tidy(() => {
      const x = randomTensor(seededRandom(1), [2, 3, 3, 4], 'NHWC');
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.square(fspMatrix(t as tf.Tensor4D, t as tf.Tensor4D))));
      const refGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.square(refFsp(t as tf.Tensor4D, t as tf.Tensor4D, 'NHWC'))));
      assertTensorsClose([grad(x)], [refGrad(x)], 'dX');
    });
  });
});

// Two student pairs (the second with a smaller second map) and teacher pairs of other spatial sizes.
function lossProblem(seed: number, layout: Layout) {
  const rng = seededRandom(seed);
  const t = (d: [number, number, number, number]) => randomTensor(rng, d, layout);
  const student: Pair[] = [
    [t([2, 4, 4, 3]), t([2, 4, 4, 2])],
    [t([2, 4, 4, 2]), t([2, 2, 2, 3])],
  ];
  const teacher: Pair[] = [
    [t([2, 2, 2, 3]), t([2, 2, 2, 2])],
    [t([2, 8, 8, 2]), t([2, 4, 4, 3])],
  ];
  const matrices = [tf.tensor3d(randomArray(rng, 12), [2, 3, 2]), tf.tensor3d(randomArray(rng, 12), [2, 2, 3])];
  return { student, teacher, matrices };
}

describe('fspLoss', () => {
  for (const layout of layouts) {
    for (const pooling of ['max', 'avg'] as const) {
      for (const reduction of ['paper', 'mean'] as const) {
        for (const teacherKind of ['pairs', 'matrices'] as const) {
          it(`${layout} ${pooling} ${reduction} teacher ${teacherKind}: value and student gradients`, () => {
            tf.tidy(() => {
              const { student, teacher, matrices } = lossProblem(seedOf(layout, pooling, reduction, teacherKind), layout);
              const t = teacherKind === 'pairs' ? teacher : matrices;
              const options = { weights: [0.5, 2], reduction, pooling, layout };
              assertTensorsClose([fspLoss(student, t, options)], [refLoss(student, t, options)], 'loss');
              const flat = student.flat();
              const unflat = (xs: tf.Tensor[]): Pair[] => [[xs[0], xs[1]], [xs[2], xs[3]]] as Pair[];
              const grads = tf.grads((...xs: tf.Tensor[]) => fspLoss(unflat(xs), t, options));
              const refGrads = tf.grads((...xs: tf.Tensor[]) => refLoss(unflat(xs), t, options));
              assertTensorsClose(grads(flat), refGrads(flat), 'dStudent');
            });
          });
        }
      }
    }
  }

  it('defaults (max, paper, weights 1) and dy scales the gradients', () => {
    tf.tidy(() => {
      const { student, teacher } = lossProblem(3, 'NHWC');
      assertTensorsClose([fspLoss(student, teacher)], [refLoss(student, teacher)], 'loss');
      const flat = student.flat();
      const unflat = (xs: tf.Tensor[]): Pair[] => [[xs[0], xs[1]], [xs[2], xs[3]]] as Pair[];
      const grads = tf.grads((...xs: tf.Tensor[]) => tf.mul(fspLoss(unflat(xs), teacher), -3));
      const refGrads = tf.grads((...xs: tf.Tensor[]) => tf.mul(refLoss(unflat(xs), teacher), -3));
      assertTensorsClose(grads(flat), refGrads(flat), 'dStudent');
    });
  });

  it('a map shared by two pairs (a section output that is the next input) gets both gradients', () => {
    tf.tidy(() => {
      const { student, teacher } = lossProblem(6, 'NHWC');
      const [a, shared] = student[0]!;
      const c = student[1]![1];
      const pairs = (xs: tf.Tensor[]): Pair[] => [[xs[0], xs[1]], [xs[1], xs[2]]] as Pair[];
      const grads = tf.grads((...xs: tf.Tensor[]) => fspLoss(pairs(xs), teacher, { weights: [1, 0.5] }));
      const refGrads = tf.grads((...xs: tf.Tensor[]) => refLoss(pairs(xs), teacher, { weights: [1, 0.5] }));
      assertTensorsClose(grads([a, shared, c]), refGrads([a, shared, c]), 'dStudent');
    });
  });

  it('no gradient flows to the teacher', () => {
    const { student, teacher } = lossProblem(4, 'NHWC');
    const vs = student.flat().map((x, i) => tf.variable(x, true, `student${i}`));
    const vt = teacher.flat().map((x, i) => tf.variable(x, true, `teacher${i}`));
    const { value, grads } = tf.variableGrads(() => fspLoss([[vs[0]!, vs[1]!], [vs[2]!, vs[3]!]] as Pair[], [[vt[0]!, vt[1]!], [vt[2]!, vt[3]!]] as Pair[]));
    assert.deepEqual(Object.keys(grads).sort(), ['student0', 'student1', 'student2', 'student3']);
    assert.throws(() => tf.grad((t: tf.Tensor) => fspLoss(student, [[t as tf.Tensor4D, teacher[0]![1]], teacher[1]!]))(teacher[0]![0]), /Cannot compute gradient/);
    tf.dispose([value, grads, vs, vt, student, teacher]);
  });
});

describe('plain-array helpers', () => {
  it('computeFsp(Async) align mismatched maps and match the reference; computeFspLoss(Async) the fused loss', async () => {
    const rng = seededRandom(seedOf('arrays'));
    for (const layout of layouts) {
      for (const pooling of ['max', 'avg'] as const) {
        const pair = { first: randomMap(rng, dims(2, 7, 5, 3), layout), second: randomMap(rng, dims(2, 3, 6, 4), layout) };
        assertClose(computeFsp(pair, pooling), refPairFsp(pair, pooling), TOL, `${layout} ${pooling} G`);
        assert.deepEqual(await computeFspAsync(pair, pooling), computeFsp(pair, pooling));
        const teacher = { matrices: [randomArray(rng, 2 * 3 * 4)] };
        const options = { pooling, reduction: 'mean' as const, weights: [3] };
        const res = computeFspLoss([pair], teacher, options);
        assertClose(res.pairLosses, refArrayLoss([pair], teacher, options).pairLosses, TOL, `${layout} ${pooling} loss`);
        assert.deepEqual(await computeFspLossAsync([pair], teacher, options), res);
      }
    }
    // Default pooling is max.
    const pair = { first: randomMap(rng, dims(1, 4, 4, 2), 'NHWC'), second: randomMap(rng, dims(1, 2, 2, 2), 'NHWC') };
    assertClose(computeFsp(pair), refPairFsp(pair, 'max'), TOL, 'default pooling');
  });
});

describe('training and memory', () => {
  /** A two-conv student whose FSP pair is (conv1 output, conv2 output), against fixed teacher matrices. */
  function studentNet(seed: number) {
    const rng = seededRandom(seed);
    const x = tf.tensor4d(randomArray(rng, 4 * 6 * 6 * 3), [4, 6, 6, 3]);
    const k1 = tf.variable(tf.tensor4d(randomArray(rng, 3 * 3 * 3 * 4), [3, 3, 3, 4]).mul(0.3));
    const k2 = tf.variable(tf.tensor4d(randomArray(rng, 3 * 3 * 4 * 5), [3, 3, 4, 5]).mul(0.3));
    const target = tf.tensor3d(randomArray(rng, 4 * 4 * 5), [4, 4, 5]).mul(0.5) as tf.Tensor3D;
    const loss = () =>
      tf.tidy(() => {
        const f1 = tf.relu(tf.conv2d(x, k1 as tf.Tensor4D, 1, 'same'));
        const f2 = tf.conv2d(f1, k2 as tf.Tensor4D, 1, 'same');
        return fspLoss([[f1, f2]], [target]);
      });
    return { loss, dispose: () => tf.dispose([x, k1, k2, target]) };
  }

  it('a few SGD steps through optimizer.minimize lower the loss', () => {
    const net = studentNet(21);
    const optimizer = tf.train.sgd(0.5);
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) {
      const l = optimizer.minimize(net.loss, true)!;
      losses.push(l.dataSync()[0]!);
      l.dispose();
    }
    assert.ok(losses.at(-1)! < 0.9 * losses[0]!, `losses ${losses.join(', ')}`);
    for (let i = 1; i < losses.length; i++) assert.ok(losses[i]! < losses[i - 1]!, `not decreasing at ${i}: ${losses.join(', ')}`);
    optimizer.dispose();
    net.dispose();
  });

  it('tensor count is flat over 100 forward + gradient calls', () => {
    const { student, teacher, matrices } = lossProblem(8, 'NCHW');
    const net = studentNet(22);
    const optimizer = tf.train.sgd(0.01);
    const step = () => {
      tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => fspMatrix(a as tf.Tensor4D, b as tf.Tensor4D, { layout: 'NCHW' }))(student[1]!));
      tf.dispose(fspMatrix(student[1]![0], student[1]![1], { layout: 'NCHW', pooling: 'avg' }));
      const unflat = (xs: tf.Tensor[]): Pair[] => [[xs[0], xs[1]], [xs[2], xs[3]]] as Pair[];
      tf.dispose(tf.valueAndGrads((...xs: tf.Tensor[]) => fspLoss(unflat(xs), teacher, { layout: 'NCHW' }))(student.flat()));
      tf.dispose(fspLoss(student, matrices, { layout: 'NCHW' }));
      tf.dispose(optimizer.minimize(net.loss, true)!);
    };
    step(); // the optimizer creates its state on the first step
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) step();
    assert.equal(tf.memory().numTensors, before);
    optimizer.dispose();
    net.dispose();
    tf.dispose([student, teacher, matrices]);
  });
});
