// An event-file reader independent of src/report/tensorboard.ts: TFRecord frames checked with a bit-by-bit
// CRC32C (no table), protobuf decoded field by field; scalars as simple_value or as a scalar TensorProto
// (what TensorFlow 2's summary ops write).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

/** CRC32C bit by bit (no table), then TensorFlow's mask. */
export function crc32cBitwise(bytes: Uint8Array): number {
  let c = ~0 >>> 0;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}
const mask = (c: number) => (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;

interface Field {
  field: number;
  wire: number;
  /** varint (bigint), fixed64/fixed32 (bytes), length-delimited (bytes). */
  value: bigint | Uint8Array;
}

function decodeProto(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const readVarint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const k = Number(readVarint());
    const field = k >>> 3;
    const wire = k & 7;
    if (wire === 0) out.push({ field, wire, value: readVarint() });
    else if (wire === 1) out.push({ field, wire, value: buf.subarray(i, (i += 8)) });
    else if (wire === 5) out.push({ field, wire, value: buf.subarray(i, (i += 4)) });
    else if (wire === 2) {
      const n = Number(readVarint());
      out.push({ field, wire, value: buf.subarray(i, (i += n)) });
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: { tag: string; value: number }[];
}

/** Every event of an events file, CRCs checked. */
export function readEvents(file: string): ReadEvent[] {
  const buf = new Uint8Array(fs.readFileSync(file));
  const events: ReadEvent[] = [];
  let i = 0;
  while (i < buf.length) {
    const len = Number(view(buf.subarray(i, i + 8)).getBigUint64(0, true));
    assert.equal(view(buf.subarray(i + 8, i + 12)).getUint32(0, true), mask(crc32cBitwise(buf.subarray(i, i + 8))), 'length CRC');
    const data = buf.subarray(i + 12, i + 12 + len);
    assert.equal(view(buf.subarray(i + 12 + len, i + 16 + len)).getUint32(0, true), mask(crc32cBitwise(data)), 'data CRC');
    i += 16 + len;
    const e: ReadEvent = { wallTime: NaN, step: 0, scalars: [] };
    for (const f of decodeProto(data)) {
      if (f.field === 1) e.wallTime = view(f.value as Uint8Array).getFloat64(0, true);
      else if (f.field === 2) e.step = Number(f.value as bigint);
      else if (f.field === 3) e.fileVersion = Buffer.from(f.value as Uint8Array).toString('utf8');
      else if (f.field === 5) {
        for (const v of decodeProto(f.value as Uint8Array).filter((x) => x.field === 1)) {
          let tag = '';
          let value = NaN;
          for (const g of decodeProto(v.value as Uint8Array)) {
            if (g.field === 1) tag = Buffer.from(g.value as Uint8Array).toString('utf8');
            else if (g.field === 2) value = view(g.value as Uint8Array).getFloat32(0, true); // simple_value
            else if (g.field === 8) value = tensorScalar(g.value as Uint8Array); // tensor (TF 2 summaries)
          }
          e.scalars.push({ tag, value });
        }
      }
    }
    events.push(e);
  }
  assert.equal(i, buf.length, 'no trailing bytes');
  return events;
}

/** A scalar TensorProto: dtype 1 = float (float_val 5, packed or not, or tensor_content 4), 2 = double (double_val 6). */
function tensorScalar(bytes: Uint8Array): number {
  let dtype = 0;
  let value = NaN;
  for (const f of decodeProto(bytes)) {
    if (f.field === 1) dtype = Number(f.value as bigint);
    else if (f.field === 5) value = view(f.value as Uint8Array).getFloat32(0, true);
    else if (f.field === 6) value = view(f.value as Uint8Array).getFloat64(0, true);
    else if (f.field === 4) value = dtype === 2 ? view(f.value as Uint8Array).getFloat64(0, true) : view(f.value as Uint8Array).getFloat32(0, true);
  }
  return value;
}

export const scalarsOf = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.includes('tfevents'))
    .flatMap((f) => readEvents(path.join(dir, f)))
    .flatMap((e) => e.scalars.map((s) => ({ step: e.step, ...s })));

