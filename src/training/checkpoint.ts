// Checkpoints: one file holding a trainer's whole state (Trainer.exportState: the models' weights, both or
// only the student's, BatchNorm statistics included, the SGD momentum buffers of every stage, step counters, stage,
// schedules, FSP settings, shuffle permutations, teacher revision and the data stream's position and
// random-generator states). Written atomically (src/io/atomic-write.ts): a reader sees the old checkpoint
// or the new one, never a mix.
// Restoring into freshly built objects of the same architecture and stepping on gives bit for bit the
// steps the uninterrupted run would have taken (the teacher-FSP cache is not saved: its entries are
// recomputed on demand, and a sample's matrices do not depend on the batch it was computed in).
//
// Layout (little-endian):
//   8 bytes   "FSPDCKPT"
//   4 bytes   uint32 header length H
//   H bytes   header JSON: { format, version, createdAt, meta, arrays: [{ key, offset, length }], dataBytes, sha256 }
//   padding   zeros up to a multiple of 8
//   data      the float32 arrays, back to back, at their offsets (bytes from the data start)
// The SHA-256 of the data is checked on reading, so a truncated or damaged file gives a clear error.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic-write.js';
import { storedStageName, type Stage } from './stage.js';
import type { Trainer, TrainerMeta, TrainerState } from './trainer.js';

const MAGIC = Buffer.from('FSPDCKPT', 'latin1');
const FORMAT = 'fspd-checkpoint';
const VERSION = 1;

interface Header {
  format: string;
  version: number;
  createdAt: string;
  meta: TrainerMeta;
  arrays: { key: string; offset: number; length: number }[];
  dataBytes: number;
  sha256: string;
}

export interface CheckpointInfo {
  file: string;
  bytes: number;
  createdAt: string;
  meta: TrainerMeta;
}

/** Writes the trainer's state to `file` atomically. */
export async function saveCheckpoint(trainer: Trainer, file: string): Promise<CheckpointInfo> {
  return writeCheckpointFile(file, trainer.exportState());
}

/** Reads `file` and continues the trainer from it (see Trainer.importState for what must match). */
export async function restoreCheckpoint(trainer: Trainer, file: string): Promise<CheckpointInfo> {
  const { state, info } = await readCheckpointFile(file);
  trainer.importState(state);
  return info;
}

export function encodeCheckpoint(state: TrainerState, createdAt = new Date().toISOString()): Buffer {
  const arrays: Header['arrays'] = [];
  let dataBytes = 0;
  for (const [key, a] of state.arrays) {
    arrays.push({ key, offset: dataBytes, length: a.length });
    dataBytes += a.byteLength;
  }
  const data = Buffer.alloc(dataBytes);
  for (const [i, a] of [...state.arrays.values()].entries()) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(data, arrays[i]!.offset);
  }
  if (!isLittleEndian()) throw new Error('checkpoints are written on little-endian machines only');
  const header: Header = { format: FORMAT, version: VERSION, createdAt, meta: state.meta, arrays, dataBytes, sha256: sha256(data) };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const lengthField = Buffer.alloc(4);
  lengthField.writeUInt32LE(json.length);
  const headerEnd = MAGIC.length + 4 + json.length;
  const padding = Buffer.alloc((8 - (headerEnd % 8)) % 8);
  return Buffer.concat([MAGIC, lengthField, json, padding, data]);
}

export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): { state: TrainerState; createdAt: string } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`${source}: not an fspd checkpoint (no FSPDCKPT signature)`);
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const headerEnd = MAGIC.length + 4 + headerLength;
  if (headerEnd > buf.length) throw new Error(`${source}: truncated (header of ${headerLength} bytes, file of ${buf.length})`);
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(MAGIC.length + 4, headerEnd).toString('utf8')) as Header;
  } catch (err) {
    throw new Error(`${source}: damaged header (${(err as Error).message})`);
  }
  if (header.format !== FORMAT || header.version !== VERSION) throw new Error(`${source}: format ${header.format} version ${header.version}; this fspd reads ${FORMAT} version ${VERSION}`);
  const dataStart = headerEnd + ((8 - (headerEnd % 8)) % 8);
  if (buf.length !== dataStart + header.dataBytes) throw new Error(`${source}: truncated or padded (${buf.length} bytes, expected ${dataStart + header.dataBytes})`);
  const data = buf.subarray(dataStart);
  if (sha256(data) !== header.sha256) throw new Error(`${source}: damaged (SHA-256 of the data does not match the header)`);
  const arrays = new Map<string, Float32Array>();
  for (const { key, offset, length } of header.arrays) {
    if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset % 4 === 0 && offset + 4 * length <= data.length)) {
      throw new Error(`${source}: array '${key}' lies outside the data`);
    }
    // A copy: aligned, and independent of the file buffer.
    const a = new Float32Array(length);
    new Uint8Array(a.buffer).set(data.subarray(offset, offset + 4 * length));
    arrays.set(key, a);
  }
  return { state: withCurrentStageNames({ meta: header.meta, arrays }), createdAt: header.createdAt };
}

/**
 * The state with every stage name in today's vocabulary. Checkpoints written before stage 2 was renamed
 * 'cross_entropy' call it 'task' in the stage, the keys of stageSteps, schedules and optimizers, and the
 * optimiser arrays' keys (`opt.<stage>#<i>`); they keep restoring (storedStageName maps the name).
 */
function withCurrentStageNames(state: TrainerState): TrainerState {
  const { meta, arrays } = state;
  if (typeof meta !== 'object' || meta === null) return state; // importState reports it
  const rekey = <T>(byStage: Partial<Record<Stage, T>> | undefined) =>
    byStage && (Object.fromEntries(Object.entries(byStage).map(([stage, v]) => [storedStageName(stage), v])) as Record<Stage, T>);
  return {
    meta: {
      ...meta,
      stage: storedStageName(meta.stage) as Stage,
      stageSteps: rekey(meta.stageSteps)!,
      schedules: rekey(meta.schedules)!,
      optimizers: rekey(meta.optimizers)!,
    },
    arrays: new Map([...arrays].map(([key, a]) => [key.replace(/^opt\.([^#]+)#/, (_, stage: string) => `opt.${storedStageName(stage)}#`), a])),
  };
}

export async function writeCheckpointFile(file: string, state: TrainerState): Promise<CheckpointInfo> {
  const createdAt = new Date().toISOString();
  const bytes = encodeCheckpoint(state, createdAt);
  await writeFileAtomic(file, bytes);
  return { file, bytes: bytes.length, createdAt, meta: state.meta };
}

export async function readCheckpointFile(file: string): Promise<{ state: TrainerState; info: CheckpointInfo }> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new Error(`${file}: cannot read checkpoint (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const { state, createdAt } = decodeCheckpoint(bytes, file);
  return { state, info: { file, bytes: bytes.length, createdAt, meta: state.meta } };
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
