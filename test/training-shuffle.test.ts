// src/training/shuffle.ts: the paper's Student*† targets. The shuffled teacher matrices must equal the FSP
// matrices of the teacher's feature maps with their channels permuted (one permutation per tapped layer,
// computed independently here with tf.gather and a float64 FSP), and the trainer must train on them.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fspLoss } from '../src/fsp/index.js';
import { buildResNet, forwardWithTaps, type TappedModel } from '../src/models/index.js';
import { teacherFspMatrices } from '../src/training/fsp-cache.js';
import { channelPermutations, checkPermutations, permuteMatrices, shuffleTeacherMatrices, tapChannels } from '../src/training/shuffle.js';
import { Trainer } from '../src/training/trainer.js';

const SIDE = 4;
let teacher: TappedModel;
before(async () => {
  await tf.setBackend('cpu');
  teacher = buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 5 });
});

const images = (n: number, seed: number) => tf.tensor4d(Float32Array.from({ length: n * SIDE * SIDE }, (_, i) => Math.cos(0.13 * i + seed)), [n, SIDE, SIDE, 1]);

/** Float64 FSP of sample s: maps [B, H, W, C] max-pooled to the smaller H×W (exact windows). */
function fsp64(f1: Float32Array, s1: number[], f2: Float32Array, s2: number[], s: number): Float64Array {
  const oh = Math.min(s1[1]!, s2[1]!);
  const ow = Math.min(s1[2]!, s2[2]!);
  const pool = (f: Float32Array, [, h, w, c]: number[]) => {
    const out = new Float64Array(oh * ow * c!).fill(-Infinity);
    for (let y = 0; y < h!; y++)
      for (let x = 0; x < w!; x++)
        for (let ch = 0; ch < c!; ch++) {
          const o = (Math.floor((y * oh) / h!) * ow + Math.floor((x * ow) / w!)) * c! + ch;
          out[o] = Math.max(out[o]!, f[((s * h! + y) * w! + x) * c! + ch]!);
        }
    return out;
  };
  const a = pool(f1, s1);
  const b = pool(f2, s2);
  const [c1, c2] = [s1[3]!, s2[3]!];
  const g = new Float64Array(c1 * c2);
  for (let p = 0; p < oh * ow; p++) for (let i = 0; i < c1; i++) for (let j = 0; j < c2; j++) g[i * c2 + j] = g[i * c2 + j]! + (a[p * c1 + i]! * b[p * c2 + j]!) / (oh * ow);
  return g;
}

describe('channel permutations', () => {
  it('one seeded permutation per tapped layer', () => {
    const channels = tapChannels(teacher);
    assert.deepEqual(channels, [16, 16, 32, 64]);
    const p = channelPermutations(channels, 42);
    assert.deepEqual(p.map((x) => x.length), channels);
    p.forEach((x, t) => assert.deepEqual([...x].sort((a, b) => a - b), Array.from({ length: channels[t]! }, (_, i) => i), `tap ${t} is a permutation`));
    assert.deepEqual(channelPermutations(channels, 42), p, 'same seed, same permutations');
    assert.notDeepEqual(channelPermutations(channels, 43), p, 'another seed, other permutations');
    assert.notDeepEqual(p[0], p[1], 'taps of equal width get different permutations');
    assert.ok(p.every((x) => x.some((v, i) => v !== i)), 'none is the identity');
  });

  it('permuteMatrices: out[b][i][j] = m[b][rows[i]][cols[j]]', () => {
    const m = Float32Array.from([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]); // [2, 2, 3]
    const out = permuteMatrices(m, 2, Int32Array.from([1, 0]), Int32Array.from([2, 0, 1]));
    assert.deepEqual(Array.from(out), [6, 4, 5, 3, 1, 2, 60, 40, 50, 30, 10, 20]);
    assert.throws(() => permuteMatrices(m, 3, Int32Array.from([1, 0]), Int32Array.from([2, 0, 1])), /expected 3×2×3 values/);
  });

  it('checkPermutations names what is wrong', () => {
    assert.throws(() => checkPermutations([[0, 1]], [2, 2]), /expected one per teacher tap \(2\), got 1/);
    assert.throws(() => checkPermutations([[0, 1], [0, 1, 2]], [2, 2]), /permutations\[1\]: expected 2 entries/);
    assert.throws(() => checkPermutations([[0, 1], [1, 1]], [2, 2]), /permutations\[1\]: not a permutation of 0\.\.1 \(entry 1 is 1\)/);
    assert.deepEqual(checkPermutations([[1, 0], [0, 1]], [2, 2]).map((p) => Array.from(p)), [[1, 0], [0, 1]]);
  });
});

describe('shuffled teacher FSP (Student*†)', () => {
  it('equals the FSP of the teacher features with every tapped layer’s channels permuted (float64, gathered independently)', () => {
    const x = images(3, 1);
    const perms = channelPermutations(tapChannels(teacher), 7);
    const r = teacherFspMatrices(teacher, { images: x }, { teacherKey: 'T', pooling: 'max' });
    const shuffled = shuffleTeacherMatrices(r.matrices, teacher.pairs, perms, 3);

    const { logits, features } = forwardWithTaps(teacher, x);
    const permuted = features.map((f, t) => tf.gather(f, Array.from(perms[t]!), 3) as tf.Tensor4D);
    const data = permuted.map((f) => f.dataSync() as Float32Array);
    teacher.pairs.forEach(([a, b], p) => {
      const size = r.dims[p]![0] * r.dims[p]![1];
      for (let s = 0; s < 3; s++) {
        const ref = fsp64(data[a]!, permuted[a]!.shape, data[b]!, permuted[b]!.shape, s);
        const got = shuffled[p]!.subarray(s * size, (s + 1) * size);
        let diff = 0;
        let scale = 0;
        for (let i = 0; i < size; i++) {
          diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
          scale = Math.max(scale, Math.abs(ref[i]!));
        }
        assert.ok(diff <= 1e-5 * scale, `pair ${p} sample ${s}: max diff ${diff} (scale ${scale})`);
      }
      assert.notDeepEqual(shuffled[p], r.matrices[p], `pair ${p} did change`);
    });
    tf.dispose([x, logits, ...features, ...permuted]);
  });

  it('the trainer trains on the shuffled targets: its stage-1 loss is the FSP loss against them', () => {
    const student = buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 6 });
    const x = images(2, 2);
    const perms = channelPermutations(tapChannels(teacher), 11);
    const targetsOf = (shuffle: boolean) => {
      const r = teacherFspMatrices(teacher, { images: x }, { teacherKey: 'T', pooling: 'max' });
      const m = shuffle ? shuffleTeacherMatrices(r.matrices, teacher.pairs, perms, 2) : r.matrices;
      return m.map((a, i) => tf.tensor3d(a, [2, ...r.dims[i]!]));
    };
    // The loss the trainer's first step should report (training-mode student forward, as the trainer does).
    const expected = (shuffle: boolean) =>
      tf.tidy(() => {
        const { features } = forwardWithTaps(student, x, { training: true });
        const pairs = student.pairs.map(([a, b]) => [features[a]!, features[b]!] as [tf.Tensor4D, tf.Tensor4D]);
        return fspLoss(pairs, targetsOf(shuffle)).dataSync()[0]!;
      });
    const withShuffle = expected(true);
    const without = expected(false);
    assert.ok(Math.abs(withShuffle - without) > 1e-3 * without, `shuffling changes the loss (${withShuffle} vs ${without})`);

    const trainer = new Trainer({ teacher, student, shuffle: { seed: 11 }, cache: null });
    assert.deepEqual(trainer.shufflePermutations, perms, 'the trainer drew the same permutations from the seed');
    const r = trainer.step({ images: x });
    assert.ok(Math.abs(r.loss - withShuffle) <= 1e-5 * withShuffle, `trainer loss ${r.loss} vs expected ${withShuffle}`);

    const explicit = new Trainer({ teacher, student, shuffle: perms, cache: null });
    assert.deepEqual(explicit.shufflePermutations, perms, 'explicit permutations are kept');
    assert.throws(() => new Trainer({ teacher, student, shuffle: [[0]] }), /permutations: expected one per teacher tap \(4\), got 1/);
    trainer.dispose();
    explicit.dispose();
    x.dispose();
  });
});
