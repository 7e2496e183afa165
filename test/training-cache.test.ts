// src/training/fsp-cache.ts: the teacher-FSP cache (LRU order, byte bound, counters, keys with
// augmentation parameters) and assembling a batch's teacher matrices from the cache plus one teacher
// pass over the misses (tiny ResNet on the pure-JS cpu backend, checked against a float64 FSP).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { NO_AUG } from '../src/data/index.js';
import { buildResNet, forwardWithTaps, type TappedModel } from '../src/models/index.js';
import { batchCacheKeys, cacheKey, TeacherFspCache, teacherFspMatrices } from '../src/training/fsp-cache.js';
import { seededRandom } from './helpers/random.js';

before(async () => {
  await tf.setBackend('cpu');
});

const vec = (n: number, v = 1) => new Float32Array(n).fill(v);

describe('TeacherFspCache', () => {
  it('evicts the least recently used entry first; get() refreshes, peek() does not', () => {
    const c = new TeacherFspCache({ maxBytes: 48 }); // three 16-byte matrices
    c.set('a', vec(4, 1));
    c.set('b', vec(4, 2));
    c.set('c', vec(4, 3));
    assert.deepEqual(c.keys(), ['a', 'b', 'c']);
    assert.equal(c.get('a')?.[0], 1, 'a is there');
    c.peek('b');
    assert.deepEqual(c.keys(), ['b', 'c', 'a'], 'get moved a to the back, peek left b at the front');
    c.set('d', vec(4, 4));
    assert.deepEqual(c.keys(), ['c', 'a', 'd'], 'b (least recently used) went first');
    c.set('c', vec(4, 5));
    assert.deepEqual(c.keys(), ['a', 'd', 'c'], 'replacing refreshes');
    assert.equal(c.peek('c')?.[0], 5);
    c.set('e', vec(8));
    assert.deepEqual(c.keys(), ['c', 'e'], 'a 32-byte value evicts two 16-byte ones');
    assert.deepEqual(c.stats(), { hits: 1, misses: 0, evictions: 3, rejected: 0, entries: 2, bytes: 48, maxBytes: 48 });
  });

  it('never holds more than maxBytes; a value larger than the bound is not stored', () => {
    const c = new TeacherFspCache({ maxBytes: 100 });
    for (let i = 0; i < 50; i++) {
      c.set(`k${i}`, vec(1 + (i % 7)));
      const s = c.stats();
      assert.ok(s.bytes <= 100, `bytes ${s.bytes} > 100 after ${i + 1} sets`);
      assert.equal(s.bytes, c.keys().reduce((a, k) => a + c.peek(k)!.byteLength, 0), 'bytes = sum of the stored values');
    }
    assert.equal(c.set('huge', vec(26)), false, '104 bytes do not fit in 100');
    assert.equal(c.has('huge'), false);
    assert.equal(c.stats().rejected, 1);
    const none = new TeacherFspCache({ maxBytes: 0 });
    assert.equal(none.set('x', vec(1)), false, 'maxBytes 0 stores nothing');
    assert.throws(() => new TeacherFspCache({ maxBytes: -1 }), /^RangeError: maxBytes/);
  });

  it('counts hits and misses per lookup', () => {
    const c = new TeacherFspCache({ maxBytes: 1024 });
    assert.equal(c.get('x'), undefined);
    c.set('x', vec(2));
    c.get('x');
    c.get('x');
    c.get('y');
    c.peek('y');
    c.has('x');
    const s = c.stats();
    assert.deepEqual([s.hits, s.misses], [2, 2]);
    c.clear();
    assert.deepEqual([c.stats().entries, c.stats().bytes, c.stats().hits], [0, 0, 2], 'clear drops entries, keeps counters');
  });

  it('keys on teacher, pair, sample id and every augmentation parameter', () => {
    const base = { teacher: 't@0/max', pair: 0, sampleId: 'cifar10:train:7', aug: { dx: 1, dy: -2, flip: true } };
    const keys = [
      base,
      { ...base, teacher: 't@1/max' },
      { ...base, pair: 1 },
      { ...base, sampleId: 'cifar10:train:8' },
      { ...base, aug: { dx: 0, dy: -2, flip: true } },
      { ...base, aug: { dx: 1, dy: 2, flip: true } },
      { ...base, aug: { dx: 1, dy: -2, flip: false } },
      { ...base, aug: { dx: -2, dy: 1, flip: true } },
    ].map(cacheKey);
    assert.equal(new Set(keys).size, keys.length, `all distinct: ${keys.join(' | ')}`);
    assert.equal(cacheKey({ ...base, aug: undefined }), cacheKey({ ...base, aug: NO_AUG }), 'no augmentation = NO_AUG');
    const tricky = [
      { teacher: 'T', pair: 0, sampleId: 'a","1' },
      { teacher: 'T","0', pair: 0, sampleId: 'a' },
      { teacher: 'T', pair: 0, sampleId: 'a', aug: { dx: 1, dy: 0, flip: false } },
    ].map(cacheKey);
    assert.equal(new Set(tricky).size, 3, `ids with separators do not collide: ${tricky.join(' | ')}`);
  });

  it('matches a reference LRU (a Map in recency order) over random operations', () => {
    // The reference: the cache's first implementation, recency kept by Map delete + set.
    class Reference {
      readonly entries = new Map<string, Float32Array>();
      bytes = 0;
      counts = { hits: 0, misses: 0, evictions: 0, rejected: 0 };
      constructor(readonly maxBytes: number) {}
      get(key: string) {
        const v = this.entries.get(key);
        if (v === undefined) {
          this.counts.misses++;
          return undefined;
        }
        this.counts.hits++;
        this.entries.delete(key);
        this.entries.set(key, v);
        return v;
      }
      set(key: string, value: Float32Array) {
        this.delete(key);
        if (value.byteLength > this.maxBytes) {
          this.counts.rejected++;
          return false;
        }
        while (this.bytes + value.byteLength > this.maxBytes) {
          this.delete(this.entries.keys().next().value as string);
          this.counts.evictions++;
        }
        this.entries.set(key, value);
        this.bytes += value.byteLength;
        return true;
      }
      delete(key: string) {
        const v = this.entries.get(key);
        if (v === undefined) return false;
        this.entries.delete(key);
        this.bytes -= v.byteLength;
        return true;
      }
    }
    const rng = seededRandom(11);
    const pick = (n: number) => Math.floor(rng() * n);
    for (const maxBytes of [0, 40, 200, 1000]) {
      const c = new TeacherFspCache({ maxBytes });
      const ref = new Reference(maxBytes);
      const key = () => `k${pick(30)}`;
      for (let op = 0; op < 3000; op++) {
        const what = pick(100);
        if (what < 35) {
          const k = key();
          assert.equal(c.get(k), ref.get(k), `op ${op}: get ${k}`);
        } else if (what < 45) {
          const ks = [key(), key(), key()];
          const expected = ks.map((k) => ref.get(k));
          const all = c.getAll(ks);
          assert.deepEqual(all, expected.every((v) => v !== undefined) ? expected : undefined, `op ${op}: getAll ${ks.join(',')}`);
        } else if (what < 55) {
          const k = key();
          assert.equal(c.peek(k), ref.entries.get(k), `op ${op}: peek ${k}`);
          assert.equal(c.has(k), ref.entries.has(k), `op ${op}: has ${k}`);
        } else if (what < 90) {
          const k = key();
          const v = vec(1 + pick(12), op);
          assert.equal(c.set(k, v), ref.set(k, v), `op ${op}: set ${k}`);
        } else if (what < 99) {
          const k = key();
          assert.equal(c.delete(k), ref.delete(k), `op ${op}: delete ${k}`);
        } else {
          c.clear();
          ref.entries.clear();
          ref.bytes = 0;
        }
        assert.deepEqual(c.keys(), [...ref.entries.keys()], `op ${op}: recency order`);
        assert.deepEqual(c.stats(), { ...ref.counts, entries: ref.entries.size, bytes: ref.bytes, maxBytes }, `op ${op}: stats`);
      }
    }
  });

  it('batchCacheKeys builds exactly the cacheKey strings of a batch', () => {
    const ids = ['cifar10:train:7', 'a","1', 'back\\slash', 'ünï\u2028cödé', '', '"]'];
    const aug = [undefined, { dx: 1, dy: -2, flip: true }, NO_AUG, { dx: -3, dy: 0, flip: false }, undefined, { dx: 0, dy: 4, flip: true }];
    for (const teacher of ['t@0/max', 'T","0', 'model:m#1@2/avg/0-1,2-3']) {
      for (const withAug of [false, true]) {
        const keys = batchCacheKeys(teacher, 3, ids, withAug ? aug : undefined);
        const expected = ids.map((sampleId, s) => [0, 1, 2].map((pair) => cacheKey({ teacher, pair, sampleId, ...(withAug && aug[s] ? { aug: aug[s] } : {}) })));
        assert.deepEqual(keys, expected);
      }
    }
  });
});

// ---- assembling a batch ----

const SIDE = 4;
let teacher: TappedModel;
const calls: number[] = [];

before(() => {
  teacher = buildResNet({ depth: 8, inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 3 });
  const apply = teacher.model.apply.bind(teacher.model);
  teacher.model.apply = ((x: tf.Tensor, kwargs?: tf.serialization.ConfigDict) => {
    calls.push(x.shape[0]!);
    return apply(x, kwargs);
  }) as typeof teacher.model.apply;
});

/** Sample k's image: deterministic, distinct per k. */
const image = (k: number) => Float32Array.from({ length: SIDE * SIDE }, (_, i) => Math.sin(0.7 * k + 0.31 * i) + 0.1 * k);
const batchOf = (ks: number[]) => {
  const data = new Float32Array(ks.length * SIDE * SIDE);
  ks.forEach((k, j) => data.set(image(k), j * SIDE * SIDE));
  return tf.tensor4d(data, [ks.length, SIDE, SIDE, 1]);
};

/** Float64 FSP of one sample's pair from NHWC maps, max-pooling the larger map to the smaller size (exact windows). */
function referenceFsp(f1: Float32Array, s1: number[], f2: Float32Array, s2: number[], sample: number): Float64Array {
  const pool = (f: Float32Array, [, h, w, c]: number[], oh: number, ow: number) => {
    const out = new Float64Array(oh * ow * c!).fill(-Infinity);
    const base = sample * h! * w! * c!;
    for (let y = 0; y < h!; y++)
      for (let x = 0; x < w!; x++)
        for (let ch = 0; ch < c!; ch++) {
          const o = (Math.floor((y * oh) / h!) * ow + Math.floor((x * ow) / w!)) * c! + ch;
          out[o] = Math.max(out[o]!, f[base + (y * w! + x) * c! + ch]!);
        }
    return out;
  };
  const oh = Math.min(s1[1]!, s2[1]!);
  const ow = Math.min(s1[2]!, s2[2]!);
  const a = pool(f1, s1, oh, ow);
  const b = pool(f2, s2, oh, ow);
  const c1 = s1[3]!;
  const c2 = s2[3]!;
  const g = new Float64Array(c1 * c2);
  for (let p = 0; p < oh * ow; p++) for (let i = 0; i < c1; i++) for (let j = 0; j < c2; j++) g[i * c2 + j] = g[i * c2 + j]! + (a[p * c1 + i]! * b[p * c2 + j]!) / (oh * ow);
  return g;
}

function assertNear(got: Float32Array, ref: Float64Array, what: string): void {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < ref.length; i++) {
    scale = Math.max(scale, Math.abs(ref[i]!));
    diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
  }
  assert.ok(diff <= 1e-5 * Math.max(scale, 1e-6), `${what}: max diff ${diff} at scale ${scale}`);
}

describe('teacherFspMatrices', () => {
  it('computes [B, C1, C2] per pair with one teacher pass on a miss, matching a float64 FSP of the teacher features', () => {
    const cache = new TeacherFspCache({ maxBytes: 1 << 20 });
    const images = batchOf([0, 1, 2]);
    calls.length = 0;
    const r = teacherFspMatrices(teacher, { images, ids: ['s0', 's1', 's2'] }, { cache, teacherKey: 'T', pooling: 'max' });
    assert.deepEqual(calls, [3], 'one teacher forward over the batch');
    assert.deepEqual([r.hits, r.misses], [0, 3]);
    assert.deepEqual(r.dims, [[16, 16], [16, 32], [32, 64]]);
    const { logits, features } = forwardWithTaps(teacher, images);
    const data = features.map((f) => f.dataSync() as Float32Array);
    teacher.pairs.forEach(([a, b], p) => {
      const size = r.dims[p]![0] * r.dims[p]![1];
      assert.equal(r.matrices[p]!.length, 3 * size);
      for (let s = 0; s < 3; s++) {
        const ref = referenceFsp(data[a]!, features[a]!.shape, data[b]!, features[b]!.shape, s);
        assertNear(r.matrices[p]!.subarray(s * size, (s + 1) * size), ref, `pair ${p} sample ${s}`);
      }
    });
    tf.dispose([logits, ...features, images]);
    assert.equal(cache.stats().entries, 9, 'three pairs of three samples stored');
  });

  it('serves repeated samples from the cache and runs the teacher only on the missing ones (bit-identical)', () => {
    const cache = new TeacherFspCache({ maxBytes: 1 << 20 });
    const opts = { cache, teacherKey: 'T', pooling: 'max' as const };
    const all = batchOf([0, 1, 2, 3]);
    const full = teacherFspMatrices(teacher, { images: all, ids: ['s0', 's1', 's2', 's3'] }, { ...opts, cache: new TeacherFspCache({ maxBytes: 0 }) });

    const first = batchOf([1, 3]);
    teacherFspMatrices(teacher, { images: first, ids: ['s1', 's3'] }, opts);
    calls.length = 0;
    const mixed = teacherFspMatrices(teacher, { images: all, ids: ['s0', 's1', 's2', 's3'] }, opts);
    assert.deepEqual(calls, [2], 'the teacher ran once, on the 2 missing samples');
    assert.deepEqual([mixed.hits, mixed.misses], [2, 2]);
    mixed.matrices.forEach((m, p) => assert.deepEqual(m, full.matrices[p], `pair ${p}: cached + computed = computed all at once`));
    calls.length = 0;
    const again = teacherFspMatrices(teacher, { images: all, ids: ['s0', 's1', 's2', 's3'] }, opts);
    assert.deepEqual(calls, [], 'all hits: no teacher pass');
    assert.deepEqual([again.hits, again.misses], [4, 0]);
    again.matrices.forEach((m, p) => assert.deepEqual(m, full.matrices[p], `pair ${p} from the cache`));
    const s = cache.stats();
    assert.deepEqual([s.hits, s.misses], [3 * 2 + 3 * 4, 3 * 2 + 3 * 2], 'matrix lookups: 2 + 4 samples hit, 2 + 2 missed (3 pairs each)');
    tf.dispose([all, first]);
  });

  it('fills the arrays `allocate` gives, every element (hits, misses and both), as the default arrays', () => {
    const cache = new TeacherFspCache({ maxBytes: 1 << 20 });
    const all = batchOf([0, 1, 2, 3]);
    const expected = teacherFspMatrices(teacher, { images: all }, { teacherKey: 'A', pooling: 'max' });
    const first = batchOf([0, 2]);
    teacherFspMatrices(teacher, { images: first, ids: ['a0', 'a2'] }, { cache, teacherKey: 'A', pooling: 'max' });
    for (const images of [all, undefined]) { // half cached then all cached; all cached without images
      const given: Float32Array[] = [];
      const allocate = (length: number) => {
        given.push(new Float32Array(length).fill(Number.NaN)); // stale contents, as a recycled array has
        return given.at(-1)!;
      };
      const r = teacherFspMatrices(teacher, { ...(images ? { images } : {}), ids: ['a0', 'a1', 'a2', 'a3'] }, { cache, teacherKey: 'A', pooling: 'max', allocate });
      assert.equal(r.matrices.length, given.length);
      r.matrices.forEach((m, p) => {
        assert.equal(m, given[p], `pair ${p}: the given array`);
        assert.deepEqual(m, expected.matrices[p], `pair ${p}: every element written`);
      });
    }
    tf.dispose([all, first]);
  });

  it('misses when the augmentation differs, recomputes a sample with an evicted pair, and caches nothing without ids', () => {
    const cache = new TeacherFspCache({ maxBytes: 1 << 20 });
    const opts = { cache, teacherKey: 'T', pooling: 'max' as const };
    const images = batchOf([5, 6]);
    teacherFspMatrices(teacher, { images, ids: ['a', 'b'], aug: [{ dx: 1, dy: 0, flip: false }, NO_AUG] }, opts);
    calls.length = 0;
    const r = teacherFspMatrices(teacher, { images, ids: ['a', 'b'], aug: [{ dx: 0, dy: 0, flip: true }, NO_AUG] }, opts);
    assert.deepEqual([r.hits, r.misses, calls[0]], [1, 1, 1], 'a with other aug params missed, b hit');

    cache.delete(cacheKey({ teacher: 'T', pair: 2, sampleId: 'b' }));
    calls.length = 0;
    const r2 = teacherFspMatrices(teacher, { images, ids: ['a', 'b'], aug: [{ dx: 0, dy: 0, flip: true }, NO_AUG] }, opts);
    assert.deepEqual([r2.hits, r2.misses, calls[0]], [1, 1, 1], 'b lost one pair: recomputed');
    assert.ok(cache.has(cacheKey({ teacher: 'T', pair: 2, sampleId: 'b' })), 'and stored again');

    const before = cache.stats();
    calls.length = 0;
    const r3 = teacherFspMatrices(teacher, { images }, opts);
    assert.deepEqual([r3.hits, r3.misses, calls[0]], [0, 2, 2], 'no ids: teacher on every sample');
    assert.deepEqual(cache.stats(), before, 'the cache was not touched');
    images.dispose();
  });

  it('keys on the pooling through teacherKey: avg and max give different matrices', () => {
    const images = batchOf([7]);
    const max = teacherFspMatrices(teacher, { images }, { teacherKey: 'T/max', pooling: 'max' });
    const avg = teacherFspMatrices(teacher, { images }, { teacherKey: 'T/avg', pooling: 'avg' });
    assert.deepEqual(max.matrices[0], avg.matrices[0], 'pair 0 has equal sizes: no pooling');
    assert.notDeepEqual(max.matrices[1], avg.matrices[1], 'pair 1 pools 4×4 to 2×2');
    images.dispose();
  });

  it('leaves no tensors behind', () => {
    const cache = new TeacherFspCache();
    const images = batchOf([0, 1, 2, 3]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) teacherFspMatrices(teacher, { images, ids: ['0', '1', `x${i}`, '3'] }, { cache, teacherKey: 'L', pooling: 'max' });
    assert.equal(tf.memory().numTensors, before, 'numTensors unchanged');
    images.dispose();
  });
});
