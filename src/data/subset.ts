// Datasets that are a view of another through an index map: the samples `indices` of a base (the study's
// splits), or `limit` samples evenly strided over it (SessionSpec's data limit, the experiment's sizes).
// Ids stay the base's, so teacher-FSP cache keys stay the sample's.
import type { AugParams } from './augment.js';
import type { Batch, BatchOptions, Dataset, EpochBatch } from './dataset.js';

/** The samples `indices` of `base` as a dataset named `name`. */
export class IndexedSubset implements Dataset {
  readonly size: number;
  readonly shape: readonly [number, number, number];
  readonly numClasses: number;
  readonly defaultAugment;

  constructor(
    private readonly base: Dataset,
    private readonly map: Int32Array,
    readonly name: string,
  ) {
    if (map.length === 0) throw new RangeError(`${name}: no samples`);
    this.size = map.length;
    this.shape = base.shape;
    this.numClasses = base.numClasses;
    this.defaultAugment = base.defaultAugment;
  }

  id(index: number): string {
    return this.base.id(this.map[index]!);
  }

  label(index: number): number {
    return this.base.label(this.map[index]!);
  }

  gather(indices: ArrayLike<number>, aug?: readonly AugParams[]): Batch {
    const mapped = Int32Array.from(indices, (i, k) => {
      if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new RangeError(`indices[${k}]: ${i} is outside ${this.name} (0..${this.size - 1})`);
      return this.map[i]!;
    });
    return { ...this.base.gather(mapped, aug), indices: Int32Array.from(indices) };
  }

  /** In order, un-augmented, one pass (what evaluation needs; training draws through BatchSampler and gather). Checked on the call. */
  batches(options: BatchOptions): Generator<EpochBatch, void, undefined> {
    if (options.shuffle || options.augment || (options.epochs ?? 1) !== 1) {
      throw new RangeError(`${this.name} batches: only one in-order, un-augmented pass (evaluation); training draws through gather`);
    }
    return this.inOrder(options.batchSize);
  }

  private *inOrder(batchSize: number): Generator<EpochBatch, void, undefined> {
    for (let start = 0; start < this.size; start += batchSize) {
      const indices = Int32Array.from({ length: Math.min(batchSize, this.size - start) }, (_, k) => start + k);
      yield { ...this.gather(indices), epoch: 0 };
    }
  }
}

/**
 * `limit` samples of a dataset, evenly strided over it (sample k is base sample ⌊k·size/limit⌋), so a
 * limit keeps every class of a class-ordered dataset like the embedded MNIST.
 */
export class StridedSubset extends IndexedSubset {
  constructor(base: Dataset, limit: number) {
    super(base, Int32Array.from({ length: limit }, (_, k) => Math.floor((k * base.size) / limit)), `${base.name}[${limit}]`);
  }
}
