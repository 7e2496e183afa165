// Training data for TrainingService: client batches (Batch messages) decoded and checked against a
// model, and datasets the server reads itself (DatasetSpec: the embedded MNIST digits, CIFAR binary files
// under the data directory), loaded once and kept.
import path from 'node:path';
import type { Dataset } from '../data/index.js';
import { loadCifar10, loadCifar100, loadMnist, StridedSubset } from '../data/index.js';
import type { Batch__Output } from '../generated/fspd/v1/Batch.js';
import type { DatasetSpec__Output } from '../generated/fspd/v1/DatasetSpec.js';
import type { Tensor__Output } from '../generated/fspd/v1/Tensor.js';
import { decodeFloatTensor } from './codec.js';
import type { ModelEntry } from './registry.js';
import { invalid, list, notFound, quote } from './status.js';

/** A client batch, checked against the model it feeds. */
export interface DecodedBatch {
  images: Float32Array;
  shape: [number, number, number, number];
  labels?: Int32Array;
  ids?: string[];
}

/**
 * Decodes `batch` (named `field` in errors) for `model`: images [B, H, W, C] of the model's input, labels
 * [B] of its classes (required when `needLabels`), sample ids one per image or none.
 */
export function decodeBatch(batch: Batch__Output | null | undefined, model: ModelEntry, field: string, needLabels: string | false): DecodedBatch {
  if (!batch) throw invalid(`${field}: missing`);
  const { data, shape } = decodeFloatTensor(batch.images, `${field}.images`);
  const [h, w, c] = model.inputShape;
  if (shape.length !== 4 || shape[0]! < 1 || shape[1] !== h || shape[2] !== w || shape[3] !== c) {
    throw invalid(`${field}.images.shape: ${list(shape)} does not fit model '${model.id}', which takes [batch >= 1, ${h}, ${w}, ${c}] (NHWC)`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw invalid(`${field}.images.data: element ${i} is ${data[i]}; images must be finite`);
  }
  const n = shape[0]!;
  let labels: Int32Array | undefined;
  if (batch.labels) {
    labels = decodeLabels(batch.labels, `${field}.labels`);
    if (labels.length !== n) throw invalid(`${field}.labels.shape: ${labels.length} labels for ${n} images`);
    labels.forEach((l, i) => {
      if (l < 0 || l >= model.numClasses) throw invalid(`${field}.labels[${i}]: ${l} is not a class of model '${model.id}' (0..${model.numClasses - 1})`);
    });
  } else if (needLabels) {
    throw invalid(`${field}.labels: missing; ${needLabels} needs labels`);
  }
  if (batch.sampleIds.length !== 0 && batch.sampleIds.length !== n) {
    throw invalid(`${field}.sample_ids: ${batch.sampleIds.length} ids for ${n} images (one per image, or none)`);
  }
  return { images: data, shape: shape as DecodedBatch['shape'], ...(labels ? { labels } : {}), ...(batch.sampleIds.length ? { ids: batch.sampleIds } : {}) };
}

/** Class ids: int32 or uint8, shape [B]. */
function decodeLabels(tensor: Tensor__Output, field: string): Int32Array {
  const dtype = String(tensor.dtype);
  if (tensor.shape.length !== 1) throw invalid(`${field}.shape: expected [batch], got ${list(tensor.shape)}`);
  const n = tensor.shape[0]!;
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(`${field}.shape[0]: expected an integer >= 0, got ${n}`);
  const bytes = tensor.data;
  if (dtype === 'DATA_TYPE_INT32') {
    if (bytes.byteLength !== 4 * n) throw invalid(`${field}.data: ${bytes.byteLength} bytes, but shape [${n}] of DATA_TYPE_INT32 needs ${4 * n}`);
    const out = new Int32Array(n);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  if (dtype === 'DATA_TYPE_UINT8') {
    if (bytes.byteLength !== n) throw invalid(`${field}.data: ${bytes.byteLength} bytes, but shape [${n}] of DATA_TYPE_UINT8 needs ${n}`);
    return Int32Array.from(bytes);
  }
  throw invalid(`${field}.dtype: expected DATA_TYPE_INT32 or DATA_TYPE_UINT8 class ids, got ${dtype}`);
}

/** A dataset as a request asked for it, with the options Run and Evaluate read. */
export interface ResolvedDataset {
  dataset: Dataset;
  /** Explicit DatasetSpec.augment, or undefined (the caller's default). */
  augment?: boolean;
  /** A short description for logs and errors. */
  label: string;
}

export class DatasetStore {
  private readonly loaded = new Map<string, Promise<Dataset>>();

  constructor(private readonly dataDir: string) {}

  /**
   * The dataset `spec` names (field `field` in errors), its split defaulting to `defaultSplit`, checked to
   * fit `model`: INVALID_ARGUMENT for a bad spec or a shape/class mismatch, NOT_FOUND for missing files.
   */
  async resolve(spec: DatasetSpec__Output | null | undefined, field: string, defaultSplit: 'train' | 'test', model: ModelEntry): Promise<ResolvedDataset> {
    if (!spec) throw invalid(`${field}: missing`);
    const split = spec.split === 'SPLIT_TRAIN' ? 'train' : spec.split === 'SPLIT_TEST' ? 'test' : spec.split === 'SPLIT_UNSPECIFIED' ? defaultSplit : undefined;
    if (!split) throw invalid(`${field}.split: unknown value ${String(spec.split)}`);
    let key: string;
    let load: () => Promise<Dataset>;
    switch (spec.name) {
      case 'DATASET_NAME_MNIST':
        key = `mnist/${split}`;
        load = async () => loadMnist(split);
        break;
      case 'DATASET_NAME_CIFAR10':
      case 'DATASET_NAME_CIFAR100': {
        const dir = this.insideDataDir(spec.path, `${field}.path`);
        const ten = spec.name === 'DATASET_NAME_CIFAR10';
        key = `${ten ? 'cifar10' : 'cifar100'}/${dir}/${split}/${spec.coarseLabels ? 'coarse' : 'fine'}`;
        load = async () => {
          try {
            return ten ? await loadCifar10(dir, split) : await loadCifar100(dir, split, { label: spec.coarseLabels ? 'coarse' : 'fine' });
          } catch (err) {
            // The loader names files by absolute path: the server's data directory stays out of the reply.
            const message = (err as Error).message.split(path.resolve(this.dataDir) + path.sep).join('');
            throw notFound('dataset', spec.path, `${field}.path: ${message}`);
          }
        };
        break;
      }
      default:
        throw invalid(`${field}.name: expected DATASET_NAME_MNIST, DATASET_NAME_CIFAR10 or DATASET_NAME_CIFAR100, got ${String(spec.name)}`);
    }
    let pending = this.loaded.get(key);
    if (!pending) {
      pending = load();
      this.loaded.set(key, pending);
      pending.catch(() => this.loaded.delete(key));
    }
    let dataset = await pending;
    if (spec.limit > 0 && spec.limit < dataset.size) dataset = new StridedSubset(dataset, spec.limit);
    const [h, w, c] = model.inputShape;
    if (dataset.shape[0] !== h || dataset.shape[1] !== w || dataset.shape[2] !== c) {
      throw invalid(`${field}: ${dataset.name} samples are [${dataset.shape.join(', ')}], but model '${model.id}' takes [${h}, ${w}, ${c}]`);
    }
    if (dataset.numClasses > model.numClasses) {
      throw invalid(`${field}: ${dataset.name} has ${dataset.numClasses} classes, model '${model.id}' only ${model.numClasses}`);
    }
    return { dataset, ...(spec.augment === undefined ? {} : { augment: spec.augment }), label: dataset.name };
  }

  private insideDataDir(relative: string, field: string): string {
    if (relative === '') throw invalid(`${field}: missing; the directory of the CIFAR binary files, relative to the server's data directory`);
    const root = path.resolve(this.dataDir);
    const dir = path.resolve(root, relative);
    const rel = path.relative(root, dir);
    if (path.isAbsolute(relative) || rel === '..' || rel.startsWith(`..${path.sep}`)) {
      throw invalid(`${field}: ${quote(relative)} leaves the server's data directory`);
    }
    return dir;
  }
}
