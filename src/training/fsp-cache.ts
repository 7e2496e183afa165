// The teacher-FSP cache (docs/PAPER.md#speed: storing the teacher's FSP matrices makes stage 1 about
// 2× cheaper). Key: (teacher, pair index, sample id, augmentation parameters); value: that one sample's
// C1×C2 matrix. Bounded in bytes of matrix data (the Map entry and key string, ~100 bytes each, are not
// counted), least recently used entries evicted first. Counters count matrix lookups.
//
// teacherFspMatrices() assembles a batch's teacher matrices ([B, C1, C2] per pair) from the cache and runs
// the teacher once, in inference mode, on the samples that miss. A sample is served from the cache only
// when all of its pairs are there; otherwise all its pairs are recomputed (one teacher pass yields them all).
import * as tf from '@tensorflow/tfjs';
import { NO_AUG, type AugParams } from '../data/index.js';
import { computeFsp, type FeatureMap, type Pooling } from '../fsp/index.js';
import { forwardWithTaps, type TappedModel } from '../models/index.js';
import { tapChannels } from './shuffle.js';

export interface CacheKey {
  /** Identifies the teacher's weights and the FSP settings that shape its matrices (see Trainer: id, revision, pooling). */
  teacher: string;
  pair: number;
  sampleId: string;
  /** How the sample was augmented; omitted = not augmented (NO_AUG). */
  aug?: AugParams;
}

/** An unambiguous string for the key (JSON: no two keys collide, whatever the ids contain). */
export function cacheKey({ teacher, pair, sampleId, aug = NO_AUG }: CacheKey): string {
  return keyHead(teacher, pair) + keyTail(sampleId, aug); // JSON.stringify([teacher, pair, sampleId, dx, dy, flip])
}

/**
 * cacheKey of every (sample, pair) of a batch, keys[s][p], from its two parts made once each (a warm TeacherFsp
 * call looks up batch × pairs keys; one JSON.stringify per key cost ~1 ms per call).
 */
export function batchCacheKeys(teacher: string, pairs: number, ids: readonly string[], aug?: readonly (AugParams | undefined)[]): string[][] {
  const heads = Array.from({ length: pairs }, (_, pair) => keyHead(teacher, pair));
  return ids.map((id, s) => {
    const tail = keyTail(id, aug?.[s] ?? NO_AUG);
    return heads.map((head) => head + tail);
  });
}

const keyHead = (teacher: string, pair: number) => `${JSON.stringify([teacher, pair]).slice(0, -1)},`; // '["T",p,'
const augTail = (a: AugParams) => JSON.stringify([a.dx, a.dy, a.flip ? 1 : 0]).slice(1); // 'dx,dy,f]'
const NO_AUG_TAIL = augTail(NO_AUG);
const keyTail = (sampleId: string, a: AugParams) => `${JSON.stringify(sampleId)},${a === NO_AUG ? NO_AUG_TAIL : augTail(a)}`; // '"id",dx,dy,f]'

export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Values not stored because one alone is larger than maxBytes. */
  rejected: number;
  entries: number;
  bytes: number;
  maxBytes: number;
}

export const DEFAULT_CACHE_BYTES = 512 * 1024 * 1024;

/** A cached matrix in the recency list (oldest → newest). */
interface Entry {
  readonly key: string;
  readonly value: Float32Array;
  older: Entry | undefined;
  newer: Entry | undefined;
}

export class TeacherFspCache {
  readonly maxBytes: number;
  // Recency lives in a linked list, not in the Map's insertion order: refreshing an entry by Map delete + set
  // cost 0.16–0.21 ms per 128 lookups in a map of 100k–300k entries against 0.06–0.08 ms for moving a list node,
  // the largest part of a warm TeacherFsp call's cache work (docs/BENCHMARKS.md, "The server's teacher cache").
  private readonly entries = new Map<string, Entry>();
  private oldest: Entry | undefined;
  private newest: Entry | undefined;
  private bytes = 0;
  private counts = { hits: 0, misses: 0, evictions: 0, rejected: 0 };

  constructor({ maxBytes = DEFAULT_CACHE_BYTES }: { maxBytes?: number } = {}) {
    if (!(Number.isInteger(maxBytes) && maxBytes >= 0)) throw new RangeError(`maxBytes: expected an integer >= 0, got ${maxBytes}`);
    this.maxBytes = maxBytes;
  }

  /** The matrix, counting a hit and making it the most recently used; undefined counts a miss. */
  get(key: string): Float32Array | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.counts.misses++;
      return undefined;
    }
    this.counts.hits++;
    this.touch(entry);
    return entry.value;
  }

  /** Looks without counting or touching. */
  peek(key: string): Float32Array | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * get() of every key of `keys` (a sample's pairs): all their matrices, or undefined when any is missing.
   * Each key counts a hit or a miss, and the ones found become the most recently used, as get() does.
   */
  getAll(keys: readonly string[]): Float32Array[] | undefined {
    let complete = true;
    const found: Float32Array[] = [];
    for (const key of keys) {
      const value = this.get(key);
      if (value === undefined) complete = false;
      else found.push(value);
    }
    return complete ? found : undefined;
  }

  /**
   * Stores `value` (kept by reference: do not modify it afterwards) as the most recently used entry,
   * evicting the least recently used until it fits. Returns false when the value alone exceeds maxBytes.
   */
  set(key: string, value: Float32Array): boolean {
    this.delete(key);
    if (value.byteLength > this.maxBytes) {
      this.counts.rejected++;
      return false;
    }
    while (this.bytes + value.byteLength > this.maxBytes) {
      this.delete(this.oldest!.key);
      this.counts.evictions++;
    }
    const entry: Entry = { key, value, older: undefined, newer: undefined };
    this.append(entry);
    this.entries.set(key, entry);
    this.bytes += value.byteLength;
    return true;
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.unlink(entry);
    this.entries.delete(key);
    this.bytes -= entry.value.byteLength;
    return true;
  }

  /** Drops every entry (counters stay). */
  clear(): void {
    this.entries.clear();
    this.oldest = this.newest = undefined;
    this.bytes = 0;
  }

  /** Keys from least to most recently used. */
  keys(): string[] {
    const keys: string[] = [];
    for (let e = this.oldest; e; e = e.newer) keys.push(e.key);
    return keys;
  }

  stats(): CacheStats {
    return { ...this.counts, entries: this.entries.size, bytes: this.bytes, maxBytes: this.maxBytes };
  }

  private touch(entry: Entry): void {
    if (entry === this.newest) return;
    this.unlink(entry);
    this.append(entry);
  }

  /** Makes `entry` (in no list) the newest. */
  private append(entry: Entry): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }

  private unlink(entry: Entry): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
  }
}

export interface TeacherInput {
  /**
   * [B, H, W, C]; not disposed here. Omitted: B = the number of ids, and every sample must be cached, else
   * teacherFspMatrices throws UncachedSamplesError before touching the cache.
   */
  images?: tf.Tensor4D;
  /** Sample ids; without them nothing is cached (every sample runs through the teacher). */
  ids?: readonly string[];
  /** Per sample; omitted = not augmented. */
  aug?: readonly AugParams[];
}

export interface TeacherFspOptions {
  cache?: TeacherFspCache;
  /** The cache key's teacher part. */
  teacherKey: string;
  pooling: Pooling;
  /** Where each pair's [B, C1, C2] array comes from (its contents are all overwritten); default a new one. */
  allocate?: (length: number) => Float32Array;
}

export interface TeacherFspResult {
  /** One [B, C1, C2] array per teacher pair, in pair order. */
  matrices: Float32Array[];
  /** [C1, C2] per pair. */
  dims: [number, number][];
  /** Samples served from the cache, and samples the teacher ran on. */
  hits: number;
  misses: number;
}

/** teacherFspMatrices without images: `uncached` of the `batch` samples are not in the cache. */
export class UncachedSamplesError extends Error {
  constructor(
    readonly uncached: number,
    readonly batch: number,
  ) {
    super(`${uncached} of ${batch} samples are not cached, and no images were given to compute them`);
    this.name = 'UncachedSamplesError';
  }
}

export function teacherFspMatrices(teacher: TappedModel, input: TeacherInput, options: TeacherFspOptions): TeacherFspResult {
  const { images, ids, aug } = input;
  const batch = images ? images.shape[0] : (ids?.length ?? 0);
  const channels = tapChannels(teacher);
  const dims = teacher.pairs.map(([a, b]) => [channels[a]!, channels[b]!] as [number, number]);
  const sizes = dims.map(([c1, c2]) => c1 * c2);
  const cache = ids ? options.cache : undefined;
  const keys = cache ? batchCacheKeys(options.teacherKey, sizes.length, ids!, aug) : [];
  if (!images) {
    // Without images every sample must come from the cache: check first, so a refused call counts nothing.
    let uncached = 0;
    for (let s = 0; s < batch; s++) if (!cache || !keys[s]!.every((key) => cache.has(key))) uncached++;
    if (uncached > 0 || batch === 0) throw new UncachedSamplesError(uncached, batch);
  }
  // Every sample's rows are written below: from the cache, or from the teacher's forward pass.
  const matrices = sizes.map((size) => (options.allocate ? options.allocate(batch * size) : new Float32Array(batch * size)));

  const missing: number[] = [];
  for (let s = 0; s < batch; s++) {
    if (!cache) {
      missing.push(s);
      continue;
    }
    const found = cache.getAll(keys[s]!);
    if (found) found.forEach((m, p) => matrices[p]!.set(m, s * sizes[p]!));
    else missing.push(s);
  }
  if (missing.length > 0 && images) {
    const sub = missing.length === batch ? images : (tf.gather(images, missing) as tf.Tensor4D);
    // The gathered samples are freed also when the teacher's forward pass throws.
    try {
      const { logits, features } = forwardWithTaps(teacher, sub, { training: false });
      try {
        teacher.pairs.forEach(([a, b], p) => {
          const m = computeFsp({ first: mapOf(features[a]!), second: mapOf(features[b]!) }, options.pooling);
          const size = sizes[p]!;
          missing.forEach((s, k) => {
            const one = m.subarray(k * size, (k + 1) * size);
            matrices[p]!.set(one, s * size);
            cache?.set(keys[s]![p]!, one.slice());
          });
        });
      } finally {
        tf.dispose([logits, ...features]);
      }
    } finally {
      if (sub !== images) sub.dispose();
    }
  }
  return { matrices, dims, hits: batch - missing.length, misses: missing.length };
}

const mapOf = (t: tf.Tensor4D): FeatureMap => ({ data: t.dataSync() as Float32Array, shape: t.shape, layout: 'NHWC' });
