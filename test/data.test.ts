// src/data: CIFAR binary decoding (tiny synthetic files), malformed files, augmentation, seeded batching,
// the embedded MNIST digits, datasets from arrays (pure-JS cpu backend).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  CIFAR10_MEAN,
  CIFAR10_STD,
  CIFAR100_MEAN,
  CIFAR100_STD,
  datasetFromArrays,
  loadCifar10,
  loadCifar100,
  loadMnist,
  MNIST_MEAN,
  MNIST_STD,
  NO_AUG,
  type AugParams,
  type Dataset,
} from '../src/data/index.js';

let tmp: string;
before(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'fspd-data-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Known pixel of record r (global index) at channel c, row y, column x. */
const pixel = (r: number, c: number, y: number, x: number) => (r * 7 + c * 50 + y * 3 + x) % 256;

/** CIFAR records: label bytes, then CHW planes from `pixel`. */
function records(labels: number[][], first: number): Buffer {
  const size = labels[0]!.length + 3072;
  const buf = Buffer.alloc(labels.length * size);
  labels.forEach((ls, i) => {
    const at = i * size;
    ls.forEach((l, k) => (buf[at + k] = l));
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) buf[at + ls.length + c * 1024 + y * 32 + x] = pixel(first + i, c, y, x);
  });
  return buf;
}

/** CIFAR-10 train in 5 files (2+1+1+1+1 records, labels 0..5) and a test file of 3 records. */
async function writeCifar10(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const counts = [2, 1, 1, 1, 1];
  let r = 0;
  for (let f = 0; f < 5; f++) {
    const labels = Array.from({ length: counts[f]! }, (_, i) => [(r + i) % 10]);
    await fs.writeFile(path.join(dir, `data_batch_${f + 1}.bin`), records(labels, r));
    r += counts[f]!;
  }
  await fs.writeFile(path.join(dir, 'test_batch.bin'), records([[9], [0], [4]], 0));
}

const data = (b: { images: tf.Tensor4D }) => {
  const d = b.images.arraySync();
  b.images.dispose();
  return d;
};

describe('CIFAR-10', () => {
  it('decodes CHW records to normalised HWC samples, with labels and ids in file order', async () => {
    const dir = path.join(tmp, 'c10');
    await writeCifar10(dir);
    const train = await loadCifar10(dir, 'train');
    assert.equal(train.name, 'cifar10:train');
    assert.equal(train.size, 6);
    assert.deepEqual(train.shape, [32, 32, 3]);
    assert.equal(train.numClasses, 10);
    const b = train.gather([0, 1, 2, 3, 4, 5]);
    assert.deepEqual(b.ids, [0, 1, 2, 3, 4, 5].map((i) => `cifar10:train:${i}`));
    assert.deepEqual([...b.labels], [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(b.aug, Array(6).fill(NO_AUG));
    assert.deepEqual(b.images.shape, [6, 32, 32, 3]);
    const img = data(b);
    for (const [r, y, x, c] of [[0, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 2], [5, 31, 17, 1], [3, 9, 30, 2]] as const) {
      const want = (pixel(r, c, y, x) / 255 - CIFAR10_MEAN[c]!) / CIFAR10_STD[c]!;
      assert.ok(Math.abs(img[r]![y]![x]![c]! - want) < 1e-5, `sample ${r} (${y},${x},${c}): ${img[r]![y]![x]![c]} vs ${want}`);
    }
    const test = await loadCifar10(dir, 'test');
    assert.equal(test.size, 3);
    assert.deepEqual([test.label(0), test.label(1), test.label(2)], [9, 0, 4]);
    assert.equal(test.id(2), 'cifar10:test:2');
  });

  it('finds the files in the extracted archive folder', async () => {
    await writeCifar10(path.join(tmp, 'parent', 'cifar-10-batches-bin'));
    assert.equal((await loadCifar10(path.join(tmp, 'parent'), 'test')).size, 3);
  });

  it('names the file that is missing, has the wrong size or a label out of range', async () => {
    const dir = path.join(tmp, 'bad10');
    await writeCifar10(dir);
    await fs.rm(path.join(dir, 'data_batch_3.bin'));
    await assert.rejects(loadCifar10(dir, 'train'), /missing file .*data_batch_3\.bin/);
    await fs.writeFile(path.join(dir, 'data_batch_3.bin'), Buffer.alloc(3074));
    await assert.rejects(loadCifar10(dir, 'train'), /data_batch_3\.bin: size 3074 is not a positive multiple of the 3073-byte/);
    await fs.writeFile(path.join(dir, 'data_batch_3.bin'), Buffer.alloc(0));
    await assert.rejects(loadCifar10(dir, 'train'), /data_batch_3\.bin: size 0/);
    await fs.writeFile(path.join(dir, 'test_batch.bin'), records([[1], [10]], 0));
    await assert.rejects(loadCifar10(dir, 'test'), /test_batch\.bin: record 1 has label 10, expected 0\.\.9/);
    await assert.rejects(loadCifar10(dir, 'valid' as 'test'), /split/);
  });
});

describe('CIFAR-100', () => {
  it('reads fine labels by default, coarse on request, and checks both', async () => {
    const dir = path.join(tmp, 'c100');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'train.bin'), records([[3, 99], [19, 0]], 0));
    await fs.writeFile(path.join(dir, 'test.bin'), records([[20, 5]], 0));
    const fine = await loadCifar100(dir, 'train');
    assert.equal(fine.numClasses, 100);
    assert.deepEqual([fine.label(0), fine.label(1)], [99, 0]);
    assert.equal(fine.id(1), 'cifar100:train:1');
    const coarse = await loadCifar100(dir, 'train', { label: 'coarse' });
    assert.equal(coarse.numClasses, 20);
    assert.deepEqual([coarse.label(0), coarse.label(1)], [3, 19]);
    const img = data(fine.gather([1]));
    const want = (pixel(1, 2, 4, 5) / 255 - CIFAR100_MEAN[2]!) / CIFAR100_STD[2]!;
    assert.ok(Math.abs(img[0]![4]![5]![2]! - want) < 1e-5);
    await assert.rejects(loadCifar100(dir, 'test'), /test\.bin: record 0 has coarse label 20, expected 0\.\.19/);
  });
});

/** A 1-sample float dataset holding 1..h·w (one channel), unnormalised, so outputs are stored values. */
function counting(h: number, w: number): Dataset {
  return datasetFromArrays({ name: 'grid', images: Float32Array.from({ length: h * w }, (_, i) => i + 1), shape: [1, h, w, 1], labels: [0], numClasses: 1 });
}

/** Reference augmentation: zero-pad by `pad`, crop h×w at (pad+dy, pad+dx), then mirror. */
function reference(src: number[][], pad: number, { dx, dy, flip }: AugParams): number[][] {
  const h = src.length;
  const w = src[0]!.length;
  const padded = Array.from({ length: h + 2 * pad }, (_, y) => Array.from({ length: w + 2 * pad }, (_, x) => src[y - pad]?.[x - pad] ?? 0));
  const crop = padded.slice(pad + dy, pad + dy + h).map((row) => row.slice(pad + dx, pad + dx + w));
  return flip ? crop.map((row) => [...row].reverse()) : crop;
}

describe('augmentation', () => {
  it('crops a zero-padded image and mirrors it, exactly as pad → crop → flip', () => {
    const ds = counting(4, 5);
    const src = Array.from({ length: 4 }, (_, y) => Array.from({ length: 5 }, (_, x) => y * 5 + x + 1));
    // A hand-checked case: shift right 1 and up 2 (reads rows y+2, columns x+1), mirrored.
    const one = data(ds.gather([0], [{ dx: 1, dy: 2, flip: true }]))[0]!.map((row) => row.map((v) => v[0]));
    assert.deepEqual(one, [
      [0, 15, 14, 13, 12],
      [0, 20, 19, 18, 17],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
    const pad = 2;
    for (let dy = -pad; dy <= pad; dy++) {
      for (let dx = -pad; dx <= pad; dx++) {
        for (const flip of [false, true]) {
          const got = data(ds.gather([0], [{ dx, dy, flip }]))[0]!.map((row) => row.map((v) => v[0]));
          assert.deepEqual(got, reference(src, pad, { dx, dy, flip }), `dx ${dx} dy ${dy} flip ${flip}`);
        }
      }
    }
  });

  it('pads with stored zeros, which normalise to −mean/std', async () => {
    const ds = datasetFromArrays({ name: 'n', images: new Uint8Array(4 * 4 * 2).fill(255), shape: [1, 4, 4, 2], labels: [0], numClasses: 1, normalization: { mean: [0.5, 0.25], std: [0.5, 0.25] } });
    const img = data(ds.gather([0], [{ dx: -1, dy: 0, flip: false }]))[0]!;
    assert.deepEqual(img[0]![0], [-1, -1]);
    assert.ok(Math.abs(img[0]![1]![0]! - 1) < 1e-6 && Math.abs(img[0]![1]![1]! - 3) < 1e-6);
  });

  it('same seed → same order, parameters and pixels; parameters are recorded and in range', () => {
    const ds = datasetFromArrays({
      name: 'toy',
      images: Uint8Array.from({ length: 10 * 6 * 6 * 3 }, (_, i) => (i * 31) % 256),
      shape: [10, 6, 6, 3],
      labels: Array.from({ length: 10 }, (_, i) => i % 3),
      numClasses: 3,
      augment: { pad: 2, flip: true },
    });
    const run = (seed: number) =>
      [...ds.batches({ batchSize: 4, shuffle: true, seed, augment: true, epochs: 2 })].map((b) => ({ ids: b.ids, aug: b.aug, labels: [...b.labels], epoch: b.epoch, px: Array.from(b.images.dataSync()), dispose: b.images.dispose() }));
    const a = run(7);
    assert.deepEqual(run(7), a);
    assert.notDeepEqual(run(8).map((b) => b.ids), a.map((b) => b.ids));
    assert.deepEqual(a.map((b) => b.ids.length), [4, 4, 2, 4, 4, 2]);
    assert.deepEqual(a.map((b) => b.epoch), [0, 0, 0, 1, 1, 1]);
    for (const epoch of [0, 1]) {
      const ids = a.filter((b) => b.epoch === epoch).flatMap((b) => b.ids);
      assert.deepEqual([...ids].sort(), Array.from({ length: 10 }, (_, i) => `toy:${i}`).sort());
    }
    const params = a.flatMap((b) => b.aug);
    assert.ok(params.every((p) => Math.abs(p.dx) <= 2 && Math.abs(p.dy) <= 2));
    assert.ok(params.some((p) => p.flip) && params.some((p) => !p.flip));
    // Each sample's pixels are what gather gives for its recorded parameters.
    const b0 = a[0]!;
    const again = ds.gather(b0.ids.map((id) => Number(id.split(':')[1])), b0.aug);
    assert.deepEqual(Array.from(again.images.dataSync()), b0.px);
    again.images.dispose();
  });

  it('without augmentation or shuffling: dataset order and identity parameters; dropLast; option checks', () => {
    const ds = counting(3, 3);
    const many = datasetFromArrays({ name: 'm', images: new Float32Array(5 * 2 * 2), shape: [5, 2, 2, 1], labels: [0, 1, 0, 1, 0], numClasses: 2 });
    const batches = [...many.batches({ batchSize: 2 })];
    assert.deepEqual(batches.map((b) => b.ids), [['m:0', 'm:1'], ['m:2', 'm:3'], ['m:4']]);
    assert.ok(batches.every((b) => b.aug.every((p) => p.dx === 0 && p.dy === 0 && !p.flip)));
    batches.forEach((b) => b.images.dispose());
    const dropped = [...many.batches({ batchSize: 2, dropLast: true, epochs: 2 })];
    assert.deepEqual(dropped.map((b) => b.ids.length), [2, 2, 2, 2]);
    dropped.forEach((b) => b.images.dispose());
    assert.equal([...many.batches({ batchSize: 6, dropLast: true, epochs: Infinity })].length, 0);
    assert.throws(() => ds.batches({ batchSize: 0 }), /batchSize/);
    assert.throws(() => ds.batches({ batchSize: 1, epochs: 1.5 }), /epochs/);
    assert.throws(() => ds.batches({ batchSize: 1, seed: 0.5 }), /seed/);
    assert.throws(() => ds.batches({ batchSize: 1, augment: { pad: 3, flip: false } }), /augment\.pad/);
    assert.throws(() => ds.gather([1]), /indices\[0\]: 1 is outside grid/);
  });

  it('leaks no tensors beyond the batches the caller disposes', () => {
    const ds = counting(4, 4);
    const before = tf.memory().numTensors;
    for (const b of ds.batches({ batchSize: 1, epochs: 20, augment: { pad: 1, flip: true }, seed: 1 })) b.images.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('MNIST (embedded)', () => {
  it('loads 28×28×1 digits, split by a fixed rule, normalised, labels 0..9', () => {
    const train = loadMnist('train');
    const test = loadMnist('test');
    assert.equal(train.size, 8004);
    assert.equal(test.size, 1996);
    assert.deepEqual(train.shape, [28, 28, 1]);
    assert.equal(train.numClasses, 10);
    assert.equal(test.id(17), 'mnist:test:17');
    const labels = new Set(Array.from({ length: test.size }, (_, i) => test.label(i)));
    assert.deepEqual([...labels].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const batch = train.batches({ batchSize: 256, shuffle: true, seed: 3 }).next().value!;
    assert.deepEqual(batch.images.shape, [256, 28, 28, 1]);
    assert.ok(batch.labels.every((l) => l >= 0 && l < 10));
    const px = Array.from(batch.images.dataSync());
    batch.images.dispose();
    const mean = px.reduce((a, v) => a + v, 0) / px.length;
    assert.ok(Math.abs(mean) < 0.15, `mean ${mean}`);
    assert.ok(Math.abs(px.reduce((a, v) => Math.min(a, v)) - -MNIST_MEAN / MNIST_STD) < 1e-5);
  });
});

describe('datasets from arrays', () => {
  const base = { name: 'req', images: new Float32Array(2 * 2 * 2 * 1), shape: [2, 2, 2, 1], labels: [0, 1], numClasses: 2 };
  it('uses given ids and keeps float data as given', () => {
    const ds = datasetFromArrays({ ...base, images: Float32Array.from({ length: 8 }, (_, i) => i - 3.5), ids: ['a', 'b'] });
    const b = ds.gather([1]);
    assert.deepEqual(b.ids, ['b']);
    assert.deepEqual(Array.from(b.images.dataSync()), [0.5, 1.5, 2.5, 3.5]);
    b.images.dispose();
  });
  it('rejects malformed arrays, naming the field', () => {
    assert.throws(() => datasetFromArrays({ ...base, shape: [2, 2, 2] }), /^RangeError: shape/);
    assert.throws(() => datasetFromArrays({ ...base, images: new Float32Array(7) }), /^RangeError: images: expected 8 values/);
    assert.throws(() => datasetFromArrays({ ...base, images: Float32Array.of(0, NaN, 0, 0, 0, 0, 0, 0) }), /images\[1\]: NaN is not finite/);
    assert.throws(() => datasetFromArrays({ ...base, labels: [0] }), /labels: expected 2 labels/);
    assert.throws(() => datasetFromArrays({ ...base, labels: [0, 2] }), /labels\[1\]: 2 is not a class in 0\.\.1/);
    assert.throws(() => datasetFromArrays({ ...base, labels: [0.5, 1] }), /labels\[0\]: 0\.5/);
    assert.throws(() => datasetFromArrays({ ...base, ids: ['x'] }), /ids: expected 2 ids/);
    assert.throws(() => datasetFromArrays({ ...base, normalization: { mean: [0], std: [0] } }), /normalization\.std\[0\]/);
  });
});
