// A protobuf codec for the messages of a proto-loader package definition, driven by their descriptors, that
// gives the same objects as proto-loader (LOADER_OPTIONS: longs and enums as Number and String, defaults,
// fields camelCased) and takes the same objects to encode — but decodes `bytes` fields as views of the
// received buffer and encodes into one buffer sized beforehand, where protobufjs copies both ways.
//
// Decoding moves each bytes field's contents back by 1-3 bytes within the buffer when needed so that it
// starts at a multiple of 4 (tensor data can then be viewed as a Float32Array in place): the bytes it moves
// over are that field's own tag and length, already read. So the buffer given to decode() is changed and
// must not be decoded again.
//
// Semantics as protobufjs where it is well defined: unknown fields are skipped (groups too), a repeated
// scalar may come packed or not, a sub-message or scalar given twice takes the last one. Stricter where
// protobufjs reads garbage or fails late: a known field with the wrong wire type, field number 0, a value
// running past its sub-message's end, truncation and a string that is not UTF-8 throw WireError naming the field.
// Encoding omits proto3 default scalars (protobufjs writes present ones); both decode the same.
import { isUtf8 } from 'node:buffer';
import { isPackable, type Field, type MessageSpec } from './message-spec.js';
import { longBits, varint32Size, varint64Size, WIRE_LEN, WireError, WireReader, WireWriter } from './wire.js';

export { messageSpec, type MessageSpec } from './message-spec.js';

// ---- decoding ----

export type Decoded = Record<string, unknown>;

/** Decodes a whole buffer as `spec` (see the header for what it does to the buffer). */
export function decode(spec: MessageSpec, buffer: Buffer): Decoded {
  return decodeMessage(spec, new WireReader(buffer), buffer.length, 0);
}

/** Sub-messages nested deeper than this are refused (protobuf's usual recursion limit). */
const MAX_DEPTH = 100;

function defaults(spec: MessageSpec): Decoded {
  const out: Decoded = {};
  for (const f of spec.fields) out[f.name] = f.repeated ? [] : defaultValue(f);
  return out;
}

function defaultValue(f: Field): unknown {
  switch (f.kind) {
    case 'message':
      return null;
    case 'enum':
      return f.enumType!.defaultName;
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    default:
      return 0;
  }
}

function decodeMessage(spec: MessageSpec, r: WireReader, end: number, depth: number): Decoded {
  if (depth > MAX_DEPTH) throw new WireError(`messages nested deeper than ${MAX_DEPTH}`);
  const out = defaults(spec);
  const outerEnd = r.end;
  r.end = end;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.varint();
    const number = tag >>> 3;
    const wire = tag & 7;
    if (r.hi !== 0 || number === 0) throw new WireError(`invalid tag at byte ${tagAt}`);
    const f = spec.byNumber.get(number);
    if (!f) {
      r.skip(wire);
      continue;
    }
    try {
      readField(f, wire, r, out, tagAt, depth);
    } catch (err) {
      if (err instanceof WireError) err.in(f.repeated && !isPackable(f) ? `${f.protoName}[${(out[f.name] as unknown[]).length}]` : f.protoName);
      throw err;
    }
  }
  r.end = outerEnd;
  return out;
}

function readField(f: Field, wire: number, r: WireReader, out: Decoded, tagAt: number, depth: number): void {
  if (f.repeated && wire === WIRE_LEN && isPackable(f)) {
    const list = out[f.name] as unknown[];
    const n = r.length();
    const end = r.pos + n;
    const outerEnd = r.end;
    r.end = end;
    while (r.pos < end) list.push(readValue(f, r, tagAt, depth));
    r.end = outerEnd;
    return;
  }
  if (wire !== f.wire) throw new WireError(`wire type ${wire}, expected ${f.wire}`);
  const value = readValue(f, r, tagAt, depth);
  if (f.repeated) (out[f.name] as unknown[]).push(value);
  else out[f.name] = value;
}

function readValue(f: Field, r: WireReader, tagAt: number, depth: number): unknown {
  switch (f.kind) {
    case 'double':
      return r.buf.readDoubleLE(r.take(8));
    case 'float':
      return r.buf.readFloatLE(r.take(4));
    case 'int64':
      return r.int64(r.varint());
    case 'uint64':
      return r.uint64(r.varint());
    case 'int32':
      return r.varint() | 0;
    case 'uint32':
      return r.varint();
    case 'bool':
      return (r.varint() | r.hi) !== 0;
    case 'enum': {
      const n = r.varint() | 0;
      return f.enumType!.byNumber.get(n) ?? n;
    }
    case 'string': {
      const n = r.length();
      const at = r.take(n);
      // proto3 strings are UTF-8: decoding bad bytes to U+FFFD would make different ids equal (cache keys).
      if (!isUtf8(r.buf.subarray(at, at + n))) throw new WireError('not valid UTF-8');
      return r.buf.toString('utf8', at, at + n);
    }
    case 'bytes': {
      const n = r.length();
      return alignedView(r.buf, tagAt, r.take(n), n);
    }
    case 'message': {
      const n = r.length();
      return decodeMessage(f.message!, r, r.pos + n, depth + 1);
    }
  }
}

/**
 * buf[at, at + n) as a view starting at a multiple of 4 of its ArrayBuffer: moved back over the field's own
 * tag and length (from `tagAt`) when they are long enough, else (data under 128 bytes) copied.
 */
function alignedView(buf: Buffer, tagAt: number, at: number, n: number): Buffer {
  if (n === 0) return Buffer.alloc(0);
  const shift = (buf.byteOffset + at) % 4;
  if (shift === 0) return buf.subarray(at, at + n);
  if (at - shift >= tagAt) {
    buf.copyWithin(at - shift, at, at + n);
    return buf.subarray(at - shift, at - shift + n);
  }
  const copy = Buffer.from(new ArrayBuffer(n));
  buf.copy(copy, 0, at, at + n);
  return copy;
}

// ---- encoding ----

/** Encodes `value` (a proto-loader input object) as `spec` into a new buffer of exactly its size. */
export function encode(spec: MessageSpec, value: Decoded, allocate: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const sizes: number[] = [];
  const size = messageSize(spec, value, sizes);
  const w = new WireWriter(allocate(size));
  writeMessage(spec, value, w, sizes, { next: 0 });
  if (w.pos !== size) throw new Error(`message-codec: wrote ${w.pos} bytes of ${size} for ${spec.fullName}`);
  return w.buf.subarray(0, size);
}

/** A field's values to encode: none for null/undefined and proto3 defaults, else one or the list. */
function present(f: Field, value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (f.repeated) {
    if (!Array.isArray(value)) throw new Error(`message-codec: ${f.protoName}: expected an array`);
    return value;
  }
  if (f.kind === 'message') return [value];
  return isDefault(f, value) ? [] : [value];
}

function isDefault(f: Field, v: unknown): boolean {
  switch (f.kind) {
    case 'bool':
      return v === false;
    case 'string':
      return v === '';
    case 'bytes':
      return (v as Uint8Array | string).length === 0;
    case 'enum':
      return v === 0 || f.enumType!.byName.get(v as string) === 0;
    case 'double':
    case 'float':
      return Object.is(Number(v), 0); // -0 is sent, as protobuf implementations do
    default:
      return Number(v) === 0;
  }
}

/** The message's size; sizes of sub-messages and strings are pushed in the order writeMessage meets them. */
function messageSize(spec: MessageSpec, value: Decoded, sizes: number[]): number {
  let size = 0;
  for (const f of spec.fields) {
    const values = present(f, value[f.name]);
    if (values.length === 0) continue;
    const tag = varint32Size(f.number << 3);
    if (f.repeated && f.packed && isPackable(f)) {
      let n = 0;
      for (const v of values) n += scalarSize(f, v, sizes);
      size += tag + varint32Size(n) + n;
    } else {
      for (const v of values) size += tag + scalarSize(f, v, sizes);
    }
  }
  return size;
}

/** Bytes of one value (with its length prefix for length-delimited kinds). */
function scalarSize(f: Field, v: unknown, sizes: number[]): number {
  switch (f.kind) {
    case 'double':
      return 8;
    case 'float':
      return 4;
    case 'bool':
      return 1;
    case 'int64':
    case 'uint64':
    case 'int32':
    case 'enum': {
      const [lo, hi] = bits64(f, v);
      return varint64Size(lo, hi);
    }
    case 'uint32':
      return varint32Size(integer(f, v) >>> 0);
    case 'string': {
      const n = Buffer.byteLength(v as string, 'utf8');
      sizes.push(n);
      return varint32Size(n) + n;
    }
    case 'bytes': {
      const n = bytesOf(f, v).byteLength;
      return varint32Size(n) + n;
    }
    case 'message': {
      const at = sizes.length;
      sizes.push(0);
      const n = messageSize(f.message!, v as Decoded, sizes);
      sizes[at] = n;
      return varint32Size(n) + n;
    }
  }
}

function writeMessage(spec: MessageSpec, value: Decoded, w: WireWriter, sizes: number[], cursor: { next: number }): void {
  for (const f of spec.fields) {
    const values = present(f, value[f.name]);
    if (values.length === 0) continue;
    const tag = (f.number << 3) | f.wire;
    if (f.repeated && f.packed && isPackable(f)) {
      w.varint32((f.number << 3) | WIRE_LEN);
      let n = 0;
      for (const v of values) n += scalarSize(f, v, []);
      w.varint32(n);
      for (const v of values) writeValue(f, v, w, sizes, cursor);
    } else {
      for (const v of values) {
        w.varint32(tag);
        writeValue(f, v, w, sizes, cursor);
      }
    }
  }
}

function writeValue(f: Field, v: unknown, w: WireWriter, sizes: number[], cursor: { next: number }): void {
  switch (f.kind) {
    case 'double':
      return w.double(Number(v));
    case 'float':
      return w.float(Number(v));
    case 'bool':
      return w.varint32(v ? 1 : 0);
    case 'uint32':
      return w.varint32(integer(f, v) >>> 0);
    case 'int64':
    case 'uint64':
    case 'int32':
    case 'enum': {
      const [lo, hi] = bits64(f, v);
      return w.varint64(lo, hi);
    }
    case 'string': {
      const n = sizes[cursor.next++]!;
      w.varint32(n);
      return w.string(v as string, n);
    }
    case 'bytes': {
      const b = bytesOf(f, v);
      w.varint32(b.byteLength);
      return w.bytes(b);
    }
    case 'message': {
      w.varint32(sizes[cursor.next++]!);
      return writeMessage(f.message!, v as Decoded, w, sizes, cursor);
    }
  }
}

/** An integer field's value as a number: numbers, decimal strings, enum names (as protobufjs's fromObject takes them). */
function integer(f: Field, v: unknown): number {
  if (f.kind === 'enum' && typeof v === 'string') {
    const n = f.enumType!.byName.get(v);
    if (n === undefined) throw new Error(`message-codec: ${f.protoName}: unknown enum value ${v}`);
    return n;
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' || typeof v === 'bigint' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new Error(`message-codec: ${f.protoName}: expected an integer, got ${String(v)}`);
  return n;
}

/** A varint field's value as two 32-bit halves; decimal strings and bigints exactly (int64 beyond 2^53). */
function bits64(f: Field, v: unknown): [lo: number, hi: number] {
  if (f.kind === 'enum' || (typeof v !== 'string' && typeof v !== 'bigint')) return longBits(integer(f, v));
  let big: bigint;
  try {
    big = BigInt.asUintN(64, BigInt(v));
  } catch {
    throw new Error(`message-codec: ${f.protoName}: expected an integer, got ${String(v)}`);
  }
  return [Number(big & 0xffffffffn), Number(big >> 32n)];
}

function bytesOf(f: Field, v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  throw new Error(`message-codec: ${f.protoName}: expected bytes`);
}
