// src/training/optimizer.ts: SGD with momentum and coupled weight decay against a float64 hand
// computation of PyTorch's update, variables without gradients, a changing learning rate, state
// export/import and its checks (pure-JS cpu backend).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MomentumSgd } from '../src/training/optimizer.js';

before(async () => {
  await tf.setBackend('cpu');
});

/** Max |a − b| / max(1, |b|) over the entries. */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return m;
}

/** PyTorch SGD (dampening 0, no Nesterov) in float64: d = g + wd·w; b = d (first) or μ·b + d; w −= lr·b. */
function reference(w0: number[], grads: number[][], lrs: number[], mu: number, wd: number): { w: number[]; b: number[] } {
  const w = [...w0];
  let b: number[] | null = null;
  grads.forEach((g, t) => {
    const d = g.map((gi, i) => gi + wd * w[i]!);
    b = b === null ? d : b.map((bi, i) => mu * bi + d[i]!);
    for (let i = 0; i < w.length; i++) w[i] = w[i]! - lrs[t]! * b[i]!;
  });
  return { w, b: b ?? [] };
}

describe('MomentumSgd', () => {
  it('applies momentum 0.9 and weight decay 1e-4 as PyTorch does (3 steps, changing lr, float64 reference)', () => {
    const w0 = [0.5, -1.25, 2, 0.001, -3];
    const grads = [
      [0.1, 0.2, -0.3, 0.4, 0],
      [-0.05, 0.3, 0.1, -0.2, 0.7],
      [0.25, -0.15, 0.05, 0.6, -0.4],
    ];
    const lrs = [0.1, 0.1, 0.01];
    const v = tf.variable(tf.tensor1d(w0), true, 'opt-test-w');
    const opt = new MomentumSgd([{ name: 'w', variable: v }]);
    assert.deepEqual([opt.momentum, opt.weightDecay], [0.9, 1e-4], 'the paper defaults');
    grads.forEach((g, t) => {
      opt.learningRate = lrs[t]!;
      tf.tidy(() => opt.applyGradients({ [v.name]: tf.tensor1d(g) }));
    });
    const ref = reference(w0, grads, lrs, 0.9, 1e-4);
    const got = Array.from(v.dataSync());
    assert.ok(maxRel(got, ref.w) < 1e-6, `weights ${got} vs float64 ${ref.w}`);
    const b = opt.getState().slots[0]!.data!;
    assert.ok(maxRel(Array.from(b), ref.b) < 1e-6, `momentum buffer ${b} vs ${ref.b}`);
    // Without the decay term the result is measurably different: the test sees weight decay.
    const noDecay = reference(w0, grads, lrs, 0.9, 0);
    assert.ok(maxRel(got, noDecay.w) > 1e-6, 'weight decay changed the result');
    opt.dispose();
    v.dispose();
  });

  it('minimize() takes the gradient with tf.variableGrads (quadratic loss) and returns the loss before the step', () => {
    const target = [1, -2, 3];
    const w0 = [0, 0.5, -0.5];
    const v = tf.variable(tf.tensor1d(w0), true, 'opt-test-q');
    const opt = new MomentumSgd([{ name: 'q', variable: v }], { learningRate: 0.05, momentum: 0.5, weightDecay: 0.01 });
    const losses: number[] = [];
    let w = [...w0];
    for (let t = 0; t < 4; t++) {
      losses.push(opt.minimize(() => tf.sum(tf.square(tf.sub(v, tf.tensor1d(target)))) as tf.Scalar));
      w = Array.from(v.dataSync());
    }
    // Replay in float64 with the gradients of the float64 trajectory.
    const w64 = [...w0];
    let b: number[] | null = null;
    const losses64: number[] = [];
    for (let t = 0; t < 4; t++) {
      losses64.push(w64.reduce((a, wi, i) => a + (wi - target[i]!) ** 2, 0));
      const d = w64.map((wi, i) => 2 * (wi - target[i]!) + 0.01 * wi);
      b = b === null ? d : b.map((bi, i) => 0.5 * bi + d[i]!);
      for (let i = 0; i < 3; i++) w64[i] = w64[i]! - 0.05 * b[i]!;
    }
    assert.ok(maxRel(losses, losses64) < 1e-5, `losses ${losses} vs ${losses64}`);
    assert.ok(maxRel(w, w64) < 1e-5, `weights ${w} vs ${w64}`);
    assert.ok(losses[3]! < losses[0]!, 'the loss went down');
    opt.dispose();
    v.dispose();
  });

  it('leaves variables without a gradient alone (no decay, no buffer), as PyTorch skips grad-less parameters', () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'opt-test-a');
    const c = tf.variable(tf.tensor1d([3, 4]), true, 'opt-test-c');
    const opt = new MomentumSgd([
      { name: 'a', variable: a },
      { name: 'c', variable: c },
    ]);
    tf.tidy(() => opt.applyGradients({ [a.name]: tf.tensor1d([1, 1]) }));
    assert.deepEqual(Array.from(c.dataSync()), [3, 4], 'c unchanged');
    const state = opt.getState();
    assert.equal(state.slots[1]!.data, null, 'no buffer for c');
    assert.ok(state.slots[0]!.data !== null, 'a has a buffer');
    opt.dispose();
    tf.dispose([a, c]);
  });

  it('exports and imports its state exactly; the next update is the same as without the round trip', () => {
    const make = (name: string) => tf.variable(tf.tensor2d([[0.3, -0.7], [1.1, 0.2]]), true, name);
    const g1 = [[0.5, -0.25], [0.125, 1]];
    const g2 = [[-0.3, 0.6], [0.9, -0.1]];
    const v1 = make('opt-test-r1');
    const o1 = new MomentumSgd([{ name: 'r', variable: v1 }], { learningRate: 0.1 });
    tf.tidy(() => o1.applyGradients({ [v1.name]: tf.tensor2d(g1) }));
    const saved = o1.getState();
    tf.tidy(() => o1.applyGradients({ [v1.name]: tf.tensor2d(g2) }));

    // Fresh variable with the weights after step 1 and a fresh optimizer with the saved buffers.
    const v2 = make('opt-test-r2');
    const o0 = new MomentumSgd([{ name: 'r', variable: v2 }], { learningRate: 0.1 });
    tf.tidy(() => o0.applyGradients({ [v2.name]: tf.tensor2d(g1) }));
    o0.dispose();
    const o2 = new MomentumSgd([{ name: 'r', variable: v2 }], { learningRate: 0.5 });
    o2.setState(saved);
    assert.equal(o2.learningRate, 0.1, 'learning rate restored');
    tf.tidy(() => o2.applyGradients({ [v2.name]: tf.tensor2d(g2) }));
    assert.deepEqual(Array.from(v2.dataSync()), Array.from(v1.dataSync()), 'bit-identical weights');
    assert.deepEqual(Array.from(o2.getState().slots[0]!.data!), Array.from(o1.getState().slots[0]!.data!), 'bit-identical buffers');
    o1.dispose();
    o2.dispose();
    tf.dispose([v1, v2]);
  });

  it('rejects a state that does not fit, and bad hyper-parameters', () => {
    const v = tf.variable(tf.zeros([2, 3]), true, 'opt-test-s');
    const opt = new MomentumSgd([{ name: 's', variable: v }]);
    const ok = opt.getState();
    assert.throws(() => opt.setState({ ...ok, slots: [{ name: 't', shape: [2, 3], data: null }] }), /buffer 0 is 't' \[2,3\], the variable is 's' \[2,3\]/);
    assert.throws(() => opt.setState({ ...ok, slots: [{ name: 's', shape: [3, 2], data: null }] }), /buffer 0 is 's' \[3,2\]/);
    assert.throws(() => opt.setState({ ...ok, slots: [] }), /0 buffers for 1 variables/);
    assert.throws(() => opt.setState({ ...ok, momentum: 0.5 }), /momentum 0\.5/);
    assert.throws(() => new MomentumSgd([], { momentum: 1 }), /^RangeError: momentum/);
    assert.throws(() => new MomentumSgd([], { weightDecay: -1 }), /^RangeError: weightDecay/);
    assert.throws(() => new MomentumSgd([], { learningRate: NaN }), /^RangeError: learningRate/);
    opt.learningRate = -1;
    assert.throws(() => opt.applyGradients({}), /^RangeError: learningRate/);
    opt.dispose();
    v.dispose();
  });

  it('keeps no tensors beyond its buffers', () => {
    const v = tf.variable(tf.ones([4]), true, 'opt-test-m');
    const opt = new MomentumSgd([{ name: 'm', variable: v }]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) tf.tidy(() => opt.applyGradients({ [v.name]: tf.ones([4]) }));
    assert.equal(tf.memory().numTensors, before + 1, 'one momentum buffer, nothing else');
    opt.setState(opt.getState());
    assert.equal(tf.memory().numTensors, before + 1, 'setState replaces the buffer');
    opt.dispose();
    assert.equal(tf.memory().numTensors, before, 'dispose frees it');
    v.dispose();
  });
});
