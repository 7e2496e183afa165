// The model registry behind ModelService: built-in CIFAR ResNets and uploaded tfjs LayersModels, each with
// its feature taps, bounded in number and (with the sessions) in memory. Every model is also on disk
// (<dir>/<id>/model.json + weights.bin + record.json), written when it is made and again at shutdown with
// its trained weights, so a restart brings the registry back before the sessions that use it.
//
// Snapshots of a model's weights are taken synchronously (dataSync per weight), so an ExportModel or a
// shutdown save running between two steps of a training session sees one consistent set of weights.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import type { Logger } from 'pino';
import { removeStaleTemps, writeFileAtomic } from '../io/atomic-write.js';
import { buildResNet, loadModelFromBytes, loadModelFromDir, logitsModel, MODEL_JSON, WEIGHTS_BIN, type ModelBytes, type TapPair, type TappedModel } from '../models/index.js';
import type { MemoryBudget, Reservation } from './memory-budget.js';
import { mib } from './limits.js';
import { alreadyExists, clipBytes, failedPrecondition, limitExceeded, notFound, quote, RpcError } from './status.js';

export const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const RECORD_JSON = 'record.json';
let entryCounter = 0;

/** A built-in architecture with every default filled in (the proto's ResNetSpec). */
export interface ResNetRecord {
  depth: number;
  widthMultiplier: number;
  numClasses: number;
  inputShape: [number, number, number];
  seed?: number;
}

export type ModelOrigin = 'built-in' | 'uploaded';

export interface ModelEntry {
  readonly id: string;
  /** Unique in this process (an id can be deleted and made again): part of teacher-FSP cache keys. */
  readonly uid: number;
  readonly origin: ModelOrigin;
  readonly resnet?: ResNetRecord;
  readonly tapped: TappedModel;
  readonly createTime: Date;
  readonly parameterCount: number;
  /** Bytes of the weights (all float32). */
  readonly weightsSize: number;
  /** Bytes of the trainable weights: what one optimiser state of a session training this model holds. */
  readonly trainableSize: number;
  readonly inputShape: [number, number, number];
  readonly numClasses: number;
  /** Sessions that use the model as teacher or student. */
  readonly sessions: Set<string>;
  /**
   * Bumped whenever the weights change (a training step, a restore): part of teacher-FSP cache keys. The
   * server's one revision counter of a model; Session.teacherRevision is a snapshot of it (which revision the
   * session's cache entries belong to), and Trainer.teacherRevision counts teacher-stage steps of a trainer
   * used on its own, without a registry (the demo, experiments).
   */
  revision: number;
  /** Set by DeleteModel: work in slices (Evaluate) stops at its next slice. */
  deleted: boolean;
}

interface ModelRecordFile {
  version: 1;
  id: string;
  origin: ModelOrigin;
  resnet?: ResNetRecord;
  createTime: string;
}

export interface RegistryOptions {
  maxModels: number;
  /** Where models persist. */
  dir: string;
  memory: MemoryBudget;
  log: Logger;
}

export class ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();
  /** Ids being created (their async work not done yet): taken, but not listed. */
  private readonly pending = new Set<string>();
  /** Ids of deleted models whose directory is being removed: taken until it is gone. */
  private readonly deleting = new Set<string>();
  /** Ids of saved models loadAll() could not restore: their directories are kept, so the ids stay taken. */
  private readonly kept = new Set<string>();
  /** Each model's share of the memory budget, held until it is deleted. */
  private readonly reservations = new Map<string, Reservation>();
  private nameCounter = 0;

  constructor(private readonly options: RegistryOptions) {}

  get size(): number {
    return this.models.size;
  }

  /** The model, or NOT_FOUND naming `field`. */
  get(id: string, field = 'model_id'): ModelEntry {
    const entry = this.models.get(id);
    if (!entry) throw notFound('model', id, `${field}: no model ${quote(id)}${id === '' ? ' (empty id)' : ''}`);
    return entry;
  }

  find(id: string): ModelEntry | undefined {
    return this.models.get(id);
  }

  /** In creation order. */
  list(): ModelEntry[] {
    return [...this.models.values()];
  }

  /** Builds a ResNet (the spec is already validated) and registers it under `id` (empty: a new one). */
  async create(id: string, spec: ResNetRecord): Promise<ModelEntry> {
    const bytes = 4 * resnetParameterCount(spec);
    return this.register(id, `resnet${spec.depth}`, bytes, undefined, async () => {
      const tapped = buildResNet({ depth: spec.depth, widthMultiplier: spec.widthMultiplier, numClasses: spec.numClasses, inputShape: spec.inputShape, ...(spec.seed === undefined ? {} : { seed: spec.seed }) });
      return { tapped, origin: 'built-in', resnet: spec };
    });
  }

  /**
   * Loads an uploaded model (its bytes and taps come checked for size, not for content). `reservation`, when
   * given, was taken for its tensors before the upload streamed; the registry takes it over either way.
   */
  async upload(id: string, bytes: ModelBytes, taps: { taps?: string[]; pairs?: TapPair[] }, reservation?: Reservation): Promise<ModelEntry> {
    return this.register(id, 'model', bytes.weights.byteLength, reservation, async () => {
      let tapped: TappedModel;
      try {
        tapped = await loadModelFromBytes(bytes, taps);
      } catch (err) {
        // tfjs's messages quote the model.json they read: cut to a readable size.
        const message = clipBytes((err as Error).message, 300);
        // Tap errors name taps[i] / pairs[i]; everything else is about the artifacts.
        if (/^(taps|pairs)\[/.test(message)) throw new RpcError(grpc.status.INVALID_ARGUMENT, `header.${message}`);
        const short = /^weights: the weights manifest needs (\d+) bytes, got (\d+)$/.exec(message);
        if (short) throw new RpcError(grpc.status.INVALID_ARGUMENT, `header.weights_size: ${short[2]} bytes, but the weights manifest in header.model_json needs ${short[1]}`);
        throw new RpcError(grpc.status.INVALID_ARGUMENT, `header.model_json: ${message.replace(/^modelJson: /, '')}`);
      }
      try {
        shapeOf(tapped);
      } catch (err) {
        tapped.model.dispose();
        throw err;
      }
      return { tapped, origin: 'uploaded' };
    });
  }

  /** Removes the model and frees its tensors; FAILED_PRECONDITION while a session uses it. */
  async delete(id: string): Promise<void> {
    const entry = this.get(id);
    if (entry.sessions.size > 0) {
      throw failedPrecondition('IN_USE', `model_id: model '${id}' is used by session(s) ${[...entry.sessions].join(', ')}; delete them first`);
    }
    this.models.delete(id);
    entry.deleted = true;
    entry.tapped.model.dispose();
    this.reservations.get(id)?.release();
    this.reservations.delete(id);
    // A model created with this id meanwhile would write into the directory being removed.
    this.deleting.add(id);
    try {
      await fs.rm(path.join(this.options.dir, id), { recursive: true, force: true });
    } finally {
      this.deleting.delete(id);
    }
  }

  /** The model as tfjs artifacts (model.json with taps and pairs, one weights file), read synchronously. */
  snapshot(entry: ModelEntry): ModelBytes {
    return snapshotModel(entry.tapped);
  }

  /** Writes the model's current weights to its directory (atomically per file). */
  async persist(entry: ModelEntry): Promise<void> {
    const { modelJson, weights } = this.snapshot(entry);
    const dir = path.join(this.options.dir, entry.id);
    await fs.mkdir(dir, { recursive: true });
    const record: ModelRecordFile = { version: 1, id: entry.id, origin: entry.origin, ...(entry.resnet ? { resnet: entry.resnet } : {}), createTime: entry.createTime.toISOString() };
    await writeFileAtomic(path.join(dir, WEIGHTS_BIN), weights);
    await writeFileAtomic(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
    await writeFileAtomic(path.join(dir, RECORD_JSON), JSON.stringify(record, null, 2));
  }

  /** persist() of every model; one that fails does not stop the others (AggregateError naming those that failed). */
  async persistAll(): Promise<void> {
    const failed: { id: string; err: unknown }[] = [];
    for (const entry of this.models.values()) await this.persist(entry).catch((err: unknown) => failed.push({ id: entry.id, err }));
    if (failed.length > 0) {
      throw new AggregateError(failed.map((f) => f.err), `cannot save model${failed.length > 1 ? 's' : ''} ${failed.map((f) => `'${f.id}'`).join(', ')}; the others were saved`);
    }
  }

  /** Loads every model saved under the directory (at start); a model that fails to load is logged and skipped. */
  async loadAll(): Promise<number> {
    const ids = await fs.readdir(this.options.dir).catch(() => [] as string[]);
    let loaded = 0;
    for (const id of ids.sort()) {
      const dir = path.join(this.options.dir, id);
      await removeStaleTemps(dir);
      try {
        const record = JSON.parse(await fs.readFile(path.join(dir, RECORD_JSON), 'utf8')) as ModelRecordFile;
        if (record.id !== id || !ID_PATTERN.test(id)) throw new Error(`record.json names model '${record.id}'`);
        const tapped = await loadModelFromDir(dir);
        const entry = this.entryOf(id, tapped, record.origin, record.resnet, new Date(record.createTime));
        this.models.set(id, entry);
        // Already in memory: recorded, not checked.
        this.reservations.set(id, this.options.memory.hold(entry.weightsSize, `model '${id}'`, 'tensors'));
        loaded++;
      } catch (err) {
        this.kept.add(id);
        this.options.log.error({ err, dir }, 'cannot restore a saved model; skipped (its files are kept)');
      }
    }
    // Ordered by creation time, as ListModels promises.
    const sorted = [...this.models.values()].sort((a, b) => a.createTime.getTime() - b.createTime.getTime());
    this.models.clear();
    for (const e of sorted) this.models.set(e.id, e);
    return loaded;
  }

  /** Frees every model's tensors (at shutdown, after the sessions are gone). */
  disposeAll(): void {
    for (const entry of this.models.values()) entry.tapped.model.dispose();
    this.models.clear();
    for (const r of this.reservations.values()) r.release();
    this.reservations.clear();
  }

  /** Memory used by the registry's models (for the metrics and messages). */
  bytes(): number {
    let total = 0;
    for (const e of this.models.values()) total += e.weightsSize;
    return total;
  }

  private async register(
    requested: string,
    prefix: string,
    bytes: number,
    reserved: Reservation | undefined,
    make: () => Promise<{ tapped: TappedModel; origin: ModelOrigin; resnet?: ResNetRecord }>,
  ): Promise<ModelEntry> {
    let reservation = reserved;
    try {
      const id = requested === '' ? this.freshId(prefix) : requested;
      this.checkFree(id);
      if (this.models.size + this.pending.size >= this.options.maxModels) {
        throw limitExceeded('models', '--max-models', `the server holds its limit of ${this.options.maxModels} models (--max-models); delete one first`);
      }
      reservation ??= this.options.memory.reserve(bytes, `model '${id}' (${mib(bytes)} of weights)`, 'tensors');
      this.pending.add(id);
      try {
        const made = await make();
        const entry = this.entryOf(id, made.tapped, made.origin, made.resnet, new Date());
        try {
          await this.persist(entry);
        } catch (err) {
          entry.tapped.model.dispose();
          await fs.rm(path.join(this.options.dir, id), { recursive: true, force: true });
          throw err;
        }
        this.models.set(id, entry);
        reservation.resize(entry.weightsSize);
        this.reservations.set(id, reservation);
        reservation = undefined;
        return entry;
      } finally {
        this.pending.delete(id);
      }
    } finally {
      // Not handed to a model: the call failed.
      reservation?.release();
    }
  }

  /** ALREADY_EXISTS when `id` is taken: by a model, one being created or deleted, or kept files of one not restored. */
  private checkFree(id: string): void {
    if (this.models.has(id) || this.pending.has(id)) throw alreadyExists('model', id, `model_id: model '${id}' already exists`);
    if (this.deleting.has(id)) throw alreadyExists('model', id, `model_id: model '${id}' is being deleted; its id is free once DeleteModel returns`);
    if (this.kept.has(id)) {
      throw alreadyExists('model', id, `model_id: '${id}' is taken by the directory of a saved model the server could not restore at startup (see its log); the directory '${id}' is kept: remove it and restart the server, or pick another id`);
    }
  }

  private freshId(prefix: string): string {
    let id: string;
    do id = `${prefix}-${++this.nameCounter}`;
    while (this.models.has(id) || this.pending.has(id) || this.deleting.has(id) || this.kept.has(id));
    return id;
  }

  private entryOf(id: string, tapped: TappedModel, origin: ModelOrigin, resnet: ResNetRecord | undefined, createTime: Date): ModelEntry {
    const { inputShape, numClasses } = shapeOf(tapped);
    const weights = tapped.model.weights;
    const count = (ws: readonly tf.LayerVariable[]) => ws.reduce((a, w) => a + (w.shape as number[]).reduce((p, d) => p * d, 1), 0);
    const parameterCount = count(weights);
    return {
      id,
      uid: ++entryCounter,
      origin,
      ...(resnet ? { resnet } : {}),
      tapped,
      createTime,
      parameterCount,
      weightsSize: 4 * parameterCount,
      trainableSize: 4 * count(tapped.model.trainableWeights),
      inputShape,
      numClasses,
      sessions: new Set(),
      revision: 0,
      deleted: false,
    };
  }
}

/** Input [h, w, c] and class count of a tapped model; INVALID_ARGUMENT when they are not static. */
function shapeOf(tapped: TappedModel): { inputShape: [number, number, number]; numClasses: number } {
  const input = tapped.model.inputs[0]!.shape.slice(1);
  const classes = tapped.model.outputs[0]!.shape[1];
  if (input.length !== 3 || !input.every((d): d is number => typeof d === 'number' && d > 0)) {
    throw new RpcError(grpc.status.INVALID_ARGUMENT, `header.model_json: the model's input must be [batch, height, width, channels] with fixed sizes, got ${JSON.stringify(tapped.model.inputs[0]!.shape)}`);
  }
  if (typeof classes !== 'number') throw new RpcError(grpc.status.INVALID_ARGUMENT, `header.model_json: the model's first output must be logits [batch, classes] with a fixed class count`);
  return { inputShape: input as [number, number, number], numClasses: classes };
}

/** Weights of a CIFAR ResNet (resnet.ts's architecture), computed without building it. */
export function resnetParameterCount({ depth, widthMultiplier: w, numClasses, inputShape }: ResNetRecord): number {
  const n = (depth - 2) / 6;
  const conv = (k: number, cin: number, cout: number) => k * k * cin * cout;
  const bn = (c: number) => 4 * c; // gamma, beta, moving mean, moving variance
  let total = conv(3, inputShape[2], 16 * w) + bn(16 * w);
  let cin = 16 * w;
  for (let s = 1; s <= 3; s++) {
    const f = 16 * w * 2 ** (s - 1);
    for (let b = 1; b <= n; b++) {
      total += conv(3, cin, f) + bn(f) + conv(3, f, f) + bn(f);
      if ((s > 1 && b === 1) || cin !== f) total += conv(1, cin, f) + bn(f);
      cin = f;
    }
  }
  return total + cin * numClasses + numClasses;
}

/**
 * A tapped model as artifacts in saveModelToBytes's format (logits model, taps in
 * userDefinedMetadata.fspd, one weights file), with the weights read synchronously.
 */
export function snapshotModel(tapped: TappedModel): ModelBytes {
  const model = logitsModel(tapped);
  const weights = model.weights;
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const w of weights) {
    const value = w.read();
    if (value.dtype !== 'float32') throw new Error(`weight '${w.originalName}' is ${value.dtype}; only float32 weights are exported`);
    const data = value.dataSync() as Float32Array;
    specs.push({ name: w.originalName, shape: [...value.shape], dtype: 'float32' });
    parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    size += data.byteLength;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  const modelJson = {
    modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'],
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    userDefinedMetadata: { fspd: { taps: tapped.taps, pairs: tapped.pairs } },
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: specs }],
  } as tf.io.ModelJSON;
  return { modelJson, weights: out };
}
