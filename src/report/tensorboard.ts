// TensorBoard scalars. Two writers behind one interface:
//   tfjs-node  tf.node.summaryFileWriter, when the `tensorflow` backend is active (TensorFlow writes the file)
//   fspd       our own event-file writer, everywhere else (pure-JS cpu backend, no libtensorflow)
// The event-file format (what TensorBoard reads, files named events.out.tfevents.*): a sequence of TFRecords
//   uint64 length (LE) · uint32 masked CRC32C of those 8 bytes · data · uint32 masked CRC32C of data
// where masked(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8, and each data is a tensorflow.Event protobuf:
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; }
// The first event of a file carries file_version "brain.Event:2".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, TFJS_NODE } from '../models/backend.js';

export interface ScalarWriter {
  readonly kind: 'tfjs-node' | 'fspd';
  readonly logdir: string;
  scalar(tag: string, value: number, step: number): void;
  flush(): void;
  /** Flushes and releases the file (the tfjs-node writer stays open inside TensorFlow until exit). */
  close(): void;
}

// ---- CRC32C (Castagnoli), table-driven ----
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const maskedCrc32c = (bytes: Uint8Array): number => ((((crc32c(bytes) >>> 15) | (crc32c(bytes) << 17)) >>> 0) + 0xa282ead8) >>> 0;

/** One TFRecord frame around `data`. */
export function tfRecord(data: Uint8Array): Buffer {
  const head = Buffer.alloc(12);
  head.writeBigUInt64LE(BigInt(data.length), 0);
  head.writeUInt32LE(maskedCrc32c(head.subarray(0, 8)), 8);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([head, data, tail]);
}

// ---- protobuf encoding, just what Event needs ----
function varint(n: bigint | number): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const lengthDelimited = (field: number, bytes: Uint8Array) => [...key(field, 2), ...varint(bytes.length), ...bytes];

function fixed(bytes: number, write: (b: Buffer) => void): number[] {
  const b = Buffer.alloc(bytes);
  write(b);
  return [...b];
}

/** A tensorflow.Event: wall time, step, and either a file version or scalar summary values. */
export function encodeEvent(e: { wallTime: number; step: number; fileVersion?: string; scalars?: { tag: string; value: number }[] }): Uint8Array {
  const out: number[] = [...key(1, 1), ...fixed(8, (b) => b.writeDoubleLE(e.wallTime)), ...key(2, 0), ...varint(e.step)];
  if (e.fileVersion !== undefined) out.push(...lengthDelimited(3, Buffer.from(e.fileVersion, 'utf8')));
  if (e.scalars) {
    const values = e.scalars.flatMap((s) => lengthDelimited(1, Uint8Array.from([...lengthDelimited(1, Buffer.from(s.tag, 'utf8')), ...key(2, 5), ...fixed(4, (b) => b.writeFloatLE(s.value))])));
    out.push(...lengthDelimited(5, Uint8Array.from(values)));
  }
  return Uint8Array.from(out);
}

const checkScalar = (tag: string, value: number, step: number) => {
  if (typeof tag !== 'string' || tag === '') throw new RangeError(`tag: expected a non-empty string, got ${JSON.stringify(tag)}`);
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`step: expected an integer >= 0, got ${step}`);
  if (typeof value !== 'number') throw new RangeError(`${tag}: expected a number, got ${typeof value}`);
};

/** Our own writer: one events file per writer, appended synchronously (buffered until flush or 64 events). */
export class EventFileWriter implements ScalarWriter {
  readonly kind = 'fspd' as const;
  readonly file: string;
  private fd: number | null;
  private pending: Buffer[] = [];

  constructor(readonly logdir: string) {
    fs.mkdirSync(logdir, { recursive: true });
    this.file = path.join(logdir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${os.hostname()}.${process.pid}.${writerNumber++}.fspd`);
    this.fd = fs.openSync(this.file, 'a');
    this.pending.push(tfRecord(encodeEvent({ wallTime: Date.now() / 1000, step: 0, fileVersion: 'brain.Event:2' })));
    this.flush();
  }

  scalar(tag: string, value: number, step: number): void {
    checkScalar(tag, value, step);
    if (this.fd === null) throw new Error(`${this.file}: the writer is closed`);
    this.pending.push(tfRecord(encodeEvent({ wallTime: Date.now() / 1000, step, scalars: [{ tag, value }] })));
    if (this.pending.length >= 64) this.flush();
  }

  flush(): void {
    if (this.fd === null || this.pending.length === 0) return;
    fs.writeSync(this.fd, Buffer.concat(this.pending));
    this.pending = [];
  }

  close(): void {
    if (this.fd === null) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = null;
  }
}
let writerNumber = 0;

interface TfjsNodeSummaryWriter {
  scalar(name: string, value: number, step: number): void;
  flush(): void;
}

/** tf.node.summaryFileWriter behind ScalarWriter. */
class TfjsNodeWriter implements ScalarWriter {
  readonly kind = 'tfjs-node' as const;
  constructor(
    readonly logdir: string,
    private readonly writer: TfjsNodeSummaryWriter,
  ) {}
  scalar(tag: string, value: number, step: number): void {
    checkScalar(tag, value, step);
    this.writer.scalar(tag, value, step);
  }
  flush(): void {
    this.writer.flush();
  }
  close(): void {
    this.writer.flush();
  }
}

export type WriterChoice = 'auto' | 'fspd' | 'tfjs-node';

/**
 * A scalar writer for `logdir`: tfjs-node's when the active tfjs backend is `tensorflow` (choice auto) or
 * when asked (tfjs-node: an error without that backend), else our own.
 */
export async function openScalarWriter(logdir: string, choice: WriterChoice = 'auto'): Promise<ScalarWriter> {
  const dir = path.resolve(logdir);
  if (choice === 'fspd') return new EventFileWriter(dir);
  const tensorflow = tf.getBackend() === 'tensorflow';
  if (!tensorflow) {
    if (choice === 'tfjs-node') throw new Error(`TensorBoard writer tfjs-node: the active tfjs backend is ${tf.getBackend()}, not tensorflow`);
    return new EventFileWriter(dir);
  }
  // The package that registered the backend (tfjs-node or tfjs-node-gpu): importing the other would load a second libtensorflow.
  const specifier = (await initBackend({ logger: () => {} })).tensorflow.package ?? TFJS_NODE;
  const mod = (await import(specifier)) as { node: { summaryFileWriter(logdir: string, maxQueue?: number, flushMillis?: number): TfjsNodeSummaryWriter } };
  fs.mkdirSync(dir, { recursive: true });
  return new TfjsNodeWriter(dir, mod.node.summaryFileWriter(dir, 64, 10_000));
}

/** What one training step logs: loss, learning rate, batch accuracy, per-pair FSP loss, KD parts, teacher-cache hits. */
export function stepScalars(r: { loss: number; lr: number; accuracy?: number; pairLosses?: readonly number[]; teacherHits?: number; crossEntropy?: number; softTargetLoss?: number }): { tag: string; value: number }[] {
  const out = [
    { tag: 'loss', value: r.loss },
    { tag: 'learning_rate', value: r.lr },
  ];
  if (r.accuracy !== undefined) out.push({ tag: 'accuracy/batch', value: r.accuracy });
  r.pairLosses?.forEach((v, i) => out.push({ tag: `fsp_loss/pair${i}`, value: v }));
  if (r.teacherHits !== undefined) out.push({ tag: 'teacher_cache/hits', value: r.teacherHits });
  if (r.crossEntropy !== undefined) out.push({ tag: 'kd/cross_entropy', value: r.crossEntropy });
  if (r.softTargetLoss !== undefined) out.push({ tag: 'kd/soft_target', value: r.softTargetLoss });
  return out;
}
