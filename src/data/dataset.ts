// The one dataset shape every source becomes: raw pixels kept as stored (uint8 for image files, so CIFAR
// train stays 150 MB), normalised and augmented per batch. Every sample has a stable id `<name>:<index>`
// (e.g. cifar10:train:12345) unless the source gives its own ids.
import * as tf from '@tensorflow/tfjs';
import { affine, checkAugmentConfig, drawAug, NO_AUG, writeSample, type AugmentConfig, type AugParams, type Normalization } from './augment.js';
import { permutation, seededRandom } from './rng.js';

export type Split = 'train' | 'test';

export interface Batch {
  ids: string[];
  /** Dataset indices of the samples. */
  indices: Int32Array;
  /** [batch, height, width, channels], normalised float32. The caller disposes it. */
  images: tf.Tensor4D;
  labels: Int32Array;
  /** Per sample; NO_AUG values when not augmented. */
  aug: AugParams[];
}

export interface EpochBatch extends Batch {
  /** 0-based epoch this batch belongs to. */
  epoch: number;
}

export interface BatchOptions {
  batchSize: number;
  /** Reshuffle every epoch. Default false (dataset order). */
  shuffle?: boolean;
  /** Drives shuffling and augmentation: same seed → same batches. Default: a random seed. */
  seed?: number;
  /** true: the dataset's defaultAugment; an object: that augmentation; default false. */
  augment?: boolean | AugmentConfig;
  /** Passes over the data. Default 1; Infinity loops until the caller stops iterating. */
  epochs?: number;
  /** Skip each epoch's last, smaller batch. Default false. */
  dropLast?: boolean;
}

export interface Dataset {
  /** Id prefix, e.g. `cifar10:train`. */
  readonly name: string;
  readonly size: number;
  /** One sample: [height, width, channels]. */
  readonly shape: readonly [number, number, number];
  readonly numClasses: number;
  /** What `augment: true` means here (CIFAR: pad 4 + flip; digits: no flip). */
  readonly defaultAugment: AugmentConfig;
  id(index: number): string;
  label(index: number): number;
  /** Random access: these samples as one batch, with the given augmentation per sample (default none). */
  gather(indices: ArrayLike<number>, aug?: readonly AugParams[]): Batch;
  batches(options: BatchOptions): Generator<EpochBatch, void, undefined>;
}

export interface ImageSource {
  name: string;
  /** NHWC, `size·h·w·c` values. */
  pixels: Uint8Array | Float32Array;
  /** One label per sample, each in [0, numClasses). */
  labels: Uint8Array | Int32Array;
  shape: readonly [number, number, number];
  numClasses: number;
  normalization: Normalization;
  defaultAugment: AugmentConfig;
  /** Own sample ids; default `<name>:<index>`. */
  ids?: readonly string[];
}

export class ImageDataset implements Dataset {
  readonly name: string;
  readonly size: number;
  readonly shape: readonly [number, number, number];
  readonly numClasses: number;
  readonly defaultAugment: AugmentConfig;
  private readonly pixels: Uint8Array | Float32Array;
  private readonly labels: Uint8Array | Int32Array;
  private readonly ids: readonly string[] | undefined;
  private readonly norm: { mul: Float32Array; add: Float32Array };

  constructor(source: ImageSource) {
    const [h, w, c] = source.shape;
    const size = source.labels.length;
    if (source.pixels.length !== size * h * w * c) throw new RangeError(`${source.name}: ${source.pixels.length} pixel values for ${size} samples of ${h}×${w}×${c}`);
    if (source.ids && source.ids.length !== size) throw new RangeError(`${source.name}: ${source.ids.length} ids for ${size} samples`);
    if (source.normalization.mean.length !== c || source.normalization.std.length !== c) throw new RangeError(`${source.name}: normalisation needs ${c} channels`);
    this.name = source.name;
    this.size = size;
    this.shape = [h, w, c];
    this.numClasses = source.numClasses;
    this.defaultAugment = checkAugmentConfig(source.defaultAugment, h, w);
    this.pixels = source.pixels;
    this.labels = source.labels;
    this.ids = source.ids;
    this.norm = affine(source.normalization);
  }

  id(index: number): string {
    return this.ids?.[index] ?? `${this.name}:${index}`;
  }

  label(index: number): number {
    return this.labels[index]!;
  }

  gather(indices: ArrayLike<number>, aug?: readonly AugParams[]): Batch {
    const [h, w, c] = this.shape;
    const n = indices.length;
    if (aug && aug.length !== n) throw new RangeError(`aug: ${aug.length} entries for ${n} samples`);
    const sampleSize = h * w * c;
    const data = new Float32Array(n * sampleSize);
    const labels = new Int32Array(n);
    const ids: string[] = [];
    const params: AugParams[] = [];
    for (let k = 0; k < n; k++) {
      const i = indices[k]!;
      if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new RangeError(`indices[${k}]: ${i} is outside ${this.name} (0..${this.size - 1})`);
      const a = aug?.[k] ?? NO_AUG;
      writeSample(data, k * sampleSize, this.pixels, i * sampleSize, h, w, c, a, this.norm);
      labels[k] = this.labels[i]!;
      ids.push(this.id(i));
      params.push({ dx: a.dx, dy: a.dy, flip: a.flip });
    }
    return { ids, indices: Int32Array.from(indices), images: tf.tensor4d(data, [n, h, w, c]), labels, aug: params };
  }

  /** Checks the options now (not at the first next()) and returns the batch iterator. */
  batches(options: BatchOptions): Generator<EpochBatch, void, undefined> {
    const { batchSize, shuffle = false, epochs = 1, dropLast = false, seed } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize: expected a positive integer, got ${batchSize}`);
    if (!(epochs === Infinity || (Number.isInteger(epochs) && epochs >= 1))) throw new RangeError(`epochs: expected a positive integer or Infinity, got ${epochs}`);
    if (seed !== undefined && !Number.isInteger(seed)) throw new RangeError(`seed: expected an integer, got ${seed}`);
    const augment = options.augment ?? false;
    const config = augment === true ? this.defaultAugment : augment === false ? null : checkAugmentConfig(augment, this.shape[0], this.shape[1]);
    const rng = seededRandom(seed ?? Math.floor(Math.random() * 2 ** 32));
    return this.iterate(batchSize, shuffle, epochs, dropLast ? Math.floor(this.size / batchSize) * batchSize : this.size, config, rng);
  }

  /** Epochs over the first `full` positions of each (shuffled) order; rng draws the order, then each batch's augmentation. */
  private *iterate(batchSize: number, shuffle: boolean, epochs: number, full: number, config: AugmentConfig | null, rng: () => number): Generator<EpochBatch, void, undefined> {
    if (full === 0) return; // nothing to yield, even with epochs = Infinity
    const inOrder = Int32Array.from({ length: this.size }, (_, i) => i);
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffle ? permutation(rng, this.size) : inOrder;
      for (let start = 0; start < full; start += batchSize) {
        const indices = order.subarray(start, Math.min(full, start + batchSize));
        const aug = config ? Array.from(indices, () => drawAug(rng, config)) : undefined;
        yield { ...this.gather(indices, aug), epoch };
      }
    }
  }
}
