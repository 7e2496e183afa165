// Datasets from arrays (e.g. a batch sent in an RPC). The images array is used in place, not copied:
// the caller must not change it while the dataset is in use.
import type { AugmentConfig } from './augment.js';
import { ImageDataset } from './dataset.js';

export interface ArrayDatasetOptions {
  /** Id prefix: samples are `<name>:<index>` unless ids are given. */
  name: string;
  /** NHWC: uint8 (0..255) or float32. */
  images: Uint8Array | Float32Array;
  /** [samples, height, width, channels]. */
  shape: readonly number[];
  labels: ArrayLike<number>;
  numClasses: number;
  /** Caller's sample ids (e.g. for the teacher-FSP cache), one per sample. */
  ids?: readonly string[];
  /** Per channel, on the [0, 1] scale for uint8 images, on the given scale for float32. Default: none (uint8 → v/255). */
  normalization?: { mean: readonly number[]; std: readonly number[] };
  /** What `augment: true` means for this data. Default: no augmentation. */
  augment?: AugmentConfig;
}

/** Validates the arrays (errors name the field) and wraps them as a Dataset. */
export function datasetFromArrays(options: ArrayDatasetOptions): ImageDataset {
  const { name, images, shape, labels, numClasses, ids } = options;
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`shape: expected [samples, height, width, channels] of positive integers, got ${JSON.stringify(shape)}`);
  }
  const [n, h, w, c] = shape as [number, number, number, number];
  if (images.length !== n * h * w * c) throw new RangeError(`images: expected ${n * h * w * c} values for shape ${JSON.stringify(shape)}, got ${images.length}`);
  if (images instanceof Float32Array) {
    const bad = images.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`images[${bad}]: ${images[bad]} is not finite`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses: expected a positive integer, got ${numClasses}`);
  if (labels.length !== n) throw new RangeError(`labels: expected ${n} labels, got ${labels.length}`);
  const labelArray = Int32Array.from(labels);
  for (let i = 0; i < n; i++) {
    if (labelArray[i] !== labels[i] || labels[i]! < 0 || labels[i]! >= numClasses) throw new RangeError(`labels[${i}]: ${labels[i]} is not a class in 0..${numClasses - 1}`);
  }
  if (ids && ids.length !== n) throw new RangeError(`ids: expected ${n} ids, got ${ids.length}`);
  const norm = options.normalization ?? { mean: Array<number>(c).fill(0), std: Array<number>(c).fill(1) };
  if (norm.mean.length !== c || norm.std.length !== c) throw new RangeError(`normalization: expected ${c} means and stds`);
  norm.std.forEach((s, i) => {
    if (!(s > 0 && Number.isFinite(s))) throw new RangeError(`normalization.std[${i}]: expected a positive number, got ${s}`);
  });
  return new ImageDataset({
    name,
    pixels: images,
    labels: labelArray,
    shape: [h, w, c],
    numClasses,
    normalization: { scale: images instanceof Uint8Array ? 1 / 255 : 1, ...norm },
    defaultAugment: options.augment ?? { pad: 0, flip: false },
    ...(ids ? { ids } : {}),
  });
}
