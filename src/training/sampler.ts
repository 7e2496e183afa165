// The training data stream, with a state small enough to checkpoint: which epoch, how far into it, and
// two random-generator states (one draws each epoch's order, one draws augmentations). Restoring the state
// redraws the current epoch's order and continues exactly where the saved stream was. Augmentation is
// chosen per batch (the trainer skips it in stage 1 so the teacher-FSP cache hits); it draws from its own
// stream, so the order of samples does not depend on which stages augmented.
import { checkAugmentConfig, drawAug, type AugmentConfig } from '../data/augment.js';
import type { Batch, Dataset } from '../data/index.js';
import { drawPermutation, nextRandom } from './shuffle.js';

export interface SamplerOptions {
  batchSize: number;
  /** Same seed → same batches. */
  seed: number;
  /** Reshuffle every epoch. Default true. */
  shuffle?: boolean;
  /** Skip each epoch's last, smaller batch. Default false. */
  dropLast?: boolean;
}

export interface SamplerState {
  dataset: string;
  size: number;
  batchSize: number;
  seed: number;
  shuffle: boolean;
  dropLast: boolean;
  epoch: number;
  /** Samples of this epoch already taken. */
  position: number;
  /** Order generator state before this epoch's order was drawn. */
  orderState: number;
  /** Augmentation generator state now. */
  augState: number;
}

export interface SampledBatch extends Batch {
  epoch: number;
}

export class BatchSampler {
  readonly dataset: Dataset;
  private st: SamplerState;
  private orderRng = { s: 0 };
  private augRng = { s: 0 };
  private order: Int32Array = new Int32Array(0);

  constructor(dataset: Dataset, options: SamplerOptions) {
    const { batchSize, seed, shuffle = true, dropLast = false } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize: expected a positive integer, got ${batchSize}`);
    if (!Number.isInteger(seed)) throw new RangeError(`seed: expected an integer, got ${seed}`);
    if (dataset.size === 0 || (dropLast && dataset.size < batchSize)) throw new RangeError(`dataset ${dataset.name}: ${dataset.size} samples give no batch of ${batchSize}`);
    this.dataset = dataset;
    const s = seed >>> 0;
    this.st = { dataset: dataset.name, size: dataset.size, batchSize, seed, shuffle, dropLast, epoch: 0, position: 0, orderState: s, augState: (s ^ 0x9e3779b9) >>> 0 };
    this.load(this.st);
  }

  /** The next batch (its images tensor is the caller's to dispose); `augment` as in BatchOptions. */
  next(augment: boolean | AugmentConfig = false): SampledBatch {
    const { batchSize, size } = this.st;
    const full = this.st.dropLast ? Math.floor(size / batchSize) * batchSize : size;
    if (this.st.position >= full) {
      this.st.epoch++;
      this.st.position = 0;
      this.st.orderState = this.orderRng.s;
      this.drawOrder();
    }
    const indices = this.order.subarray(this.st.position, Math.min(full, this.st.position + batchSize));
    this.st.position += indices.length;
    const config = augment === true ? this.dataset.defaultAugment : augment === false ? null : checkAugmentConfig(augment, this.dataset.shape[0], this.dataset.shape[1]);
    const rng = () => nextRandom(this.augRng);
    const aug = config ? Array.from(indices, () => drawAug(rng, config)) : undefined;
    const batch = this.dataset.gather(indices, aug);
    this.st.augState = this.augRng.s;
    return { ...batch, epoch: this.st.epoch };
  }

  state(): SamplerState {
    return { ...this.st };
  }

  /** Continues from a saved state; the dataset (name, size) and batching options must be the same. */
  restore(state: SamplerState): void {
    const mine = this.st;
    for (const k of ['dataset', 'size', 'batchSize', 'seed', 'shuffle', 'dropLast'] as const) {
      if (state[k] !== mine[k]) throw new RangeError(`data state: ${k} is ${JSON.stringify(state[k])} in the checkpoint, ${JSON.stringify(mine[k])} here`);
    }
    if (!Number.isInteger(state.epoch) || state.epoch < 0 || !Number.isInteger(state.position) || state.position < 0 || state.position > state.size) {
      throw new RangeError(`data state: bad position (epoch ${state.epoch}, position ${state.position})`);
    }
    this.load({ ...state });
  }

  private load(state: SamplerState): void {
    this.st = state;
    this.orderRng = { s: state.orderState >>> 0 };
    this.augRng = { s: state.augState >>> 0 };
    this.drawOrder();
  }

  private drawOrder(): void {
    this.order = this.st.shuffle ? drawPermutation(this.orderRng, this.st.size) : Int32Array.from({ length: this.st.size }, (_, i) => i);
  }
}
