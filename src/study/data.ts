// The study's splits: a validation set carved from the training images (fixed for the study, so every
// seed chooses on the same images), the rest as the training pool, seeded subsets of the pool for the
// few-label arms, and the test split untouched until the reported numbers.
import { IndexedSubset, type Dataset } from '../data/index.js';
import { seededRandom, permutation } from '../data/rng.js';

/** The samples `indices` of `ds` as a dataset (ids kept, so teacher-FSP cache keys stay the sample's). */
export function indexedDataset(ds: Dataset, indices: Int32Array, name: string): Dataset {
  return new IndexedSubset(ds, indices, name);
}

export interface StudySplits {
  /** Training images minus validation: teachers train on all of it, students on it or a subset. */
  pool: Dataset;
  validation: Dataset;
  test: Dataset;
}

/** A fixed, seeded validation split of `validation` images out of `train`; the rest is the pool. */
export function carveValidation(train: Dataset, test: Dataset, validation: number, seed = 0): StudySplits {
  if (!(Number.isInteger(validation) && validation >= 1 && validation < train.size)) {
    throw new RangeError(`validation: expected 1..${train.size - 1} images (of ${train.size} training images), got ${validation}`);
  }
  const order = permutation(seededRandom(seed), train.size);
  const val = Int32Array.from(order.subarray(0, validation)).sort();
  const pool = Int32Array.from(order.subarray(validation)).sort();
  return { pool: indexedDataset(train, pool, `${train.name}-pool`), validation: indexedDataset(train, val, `${train.name}-val`), test };
}

/** `n` images of the pool, drawn with `seed` (each seed its own subset); the pool itself when n >= its size. */
export function poolSubset(pool: Dataset, n: number | undefined, seed: number): Dataset {
  if (n === undefined || n >= pool.size) return pool;
  const order = permutation(seededRandom(0x5eed0000 + seed), pool.size);
  return indexedDataset(pool, Int32Array.from(order.subarray(0, n)).sort(), `${pool.name}[${n}#${seed}]`);
}
