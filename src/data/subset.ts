// A dataset cut to `limit` samples by an even stride (SessionSpec's data limit).
import type { AugParams } from './augment.js';
import type { Batch, BatchOptions, Dataset, EpochBatch } from './dataset.js';

/**
 * `limit` samples of a dataset, evenly strided over it (sample k is base sample ⌊k·size/limit⌋), so a
 * limit keeps every class of a class-ordered dataset like the embedded MNIST. Ids stay the base's.
 */
export class StridedSubset implements Dataset {
  readonly name: string;
  readonly size: number;
  readonly shape: readonly [number, number, number];
  readonly numClasses: number;
  readonly defaultAugment;
  private readonly map: Int32Array;

  constructor(
    private readonly base: Dataset,
    limit: number,
  ) {
    this.size = limit;
    this.name = `${base.name}[${limit}]`;
    this.shape = base.shape;
    this.numClasses = base.numClasses;
    this.defaultAugment = base.defaultAugment;
    this.map = Int32Array.from({ length: limit }, (_, k) => Math.floor((k * base.size) / limit));
  }

  id(index: number): string {
    return this.base.id(this.map[index]!);
  }

  label(index: number): number {
    return this.base.label(this.map[index]!);
  }

  gather(indices: ArrayLike<number>, aug?: readonly AugParams[]): Batch {
    const mapped = Int32Array.from(indices, (i) => {
      if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new RangeError(`indices: ${i} is outside ${this.name} (0..${this.size - 1})`);
      return this.map[i]!;
    });
    return { ...this.base.gather(mapped, aug), indices: Int32Array.from(indices) };
  }

  /** In order, un-augmented, one pass (what evaluation needs; training draws through BatchSampler and gather). */
  *batches(options: BatchOptions): Generator<EpochBatch, void, undefined> {
    const { batchSize } = options;
    if (options.shuffle || options.augment || (options.epochs ?? 1) !== 1) throw new RangeError(`${this.name}: batches() gives one ordered, un-augmented pass`);
    for (let start = 0; start < this.size; start += batchSize) {
      const indices = Int32Array.from({ length: Math.min(batchSize, this.size - start) }, (_, k) => start + k);
      yield { ...this.gather(indices), epoch: 0 };
    }
  }
}
