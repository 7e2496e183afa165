// message-codec.ts against protobufjs, loaded from the same protos with proto-loader's options: every
// FspService request and response type (and what they contain), many seeded random messages filling every
// field, packed and unpacked repeated scalars, fields out of order and repeated, unknown fields of every
// wire type at every depth, empty messages; then what protobufjs cannot tell us: bytes views and their
// alignment, truncation at every byte, wrong wire types and other malformed input.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { decode, encode, messageSpec, type Decoded, type MessageSpec } from '../src/server/message-codec.js';
import { loadFspdDefinition, PROTO_DIR, PROTO_FILES } from '../src/proto/index.js';
import { WireError } from '../src/server/wire.js';
import { randomInt, seededRandom } from '../src/data/rng.js';
import { seedOf } from './helpers/random.js';

// What proto-loader passes to toObject (LOADER_OPTIONS in src/proto/index.ts).
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true };
const SERVICE = 'fspd.v1.FspService';

function loadRoot(edit?: (root: protobuf.Root) => void): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
  root.loadSync(PROTO_FILES, { keepCase: false });
  edit?.(root);
  root.resolveAll();
  return root;
}

const root = loadRoot();
const definition = loadFspdDefinition();
const specs = new Map<string, MessageSpec>();
const service = root.lookupService(SERVICE);
const topLevel = service.methodsArray.flatMap((m) => [m.resolvedRequestType!, m.resolvedResponseType!]);

/** Every message type reachable from the service's requests and responses. */
function reachable(types: protobuf.Type[]): protobuf.Type[] {
  const seen = new Map<string, protobuf.Type>();
  const visit = (t: protobuf.Type) => {
    if (seen.has(t.fullName)) return;
    seen.set(t.fullName, t);
    for (const f of t.fieldsArray) if (f.resolvedType instanceof protobuf.Type) visit(f.resolvedType);
  };
  types.forEach(visit);
  return [...seen.values()];
}
const TYPES = reachable(topLevel);
const specOf = (t: protobuf.Type) => messageSpec(definition, t.fullName.slice(1), specs);

/** protobufjs's reading of `bytes`, as proto-loader gives it to a handler. */
const reference = (type: protobuf.Type, bytes: Uint8Array) => type.toObject(type.decode(Buffer.from(bytes)), TO_OBJECT);

/** `bytes` copied to a buffer starting at `offset` (0-3) of its ArrayBuffer, decoded by message-codec. */
function mine(type: protobuf.Type, bytes: Uint8Array, offset = 0): Decoded {
  const buffer = Buffer.alloc(bytes.length + 4).subarray(offset, offset + bytes.length);
  buffer.set(bytes);
  return decode(specOf(type), buffer);
}

// ---- random messages ----

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[randomInt(rng, 0, items.length - 1)]!;
const DOUBLES = [0, -0, 1, -1.5, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 1e-300, 123456.789];
const STRINGS = ['', 'a', 'region-0', 'é', '漢字', '😀 emoji', 'x'.repeat(200)];
// int64 within ±2^63 and uint64 below 2^63: protobufjs's fromObject clamps numbers outside them.
const INT64S = [0, 1, -1, 127, 128, -128, 2 ** 31, -(2 ** 31), 2 ** 32 + 5, 2 ** 53 - 1, -(2 ** 53) + 1, 2 ** 62, -(2 ** 62), -(2 ** 63)];
const UINT64S = [0, 1, 127, 128, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 62 + 2 ** 40];

function randomBytes(rng: Rng): Buffer {
  // Under 128 bytes (a 1-byte length: data is copied when it must move 3 bytes) and over.
  const n = pick(rng, [0, 1, 3, 4, 7, 64, 127, 128, 129, 300, 1024 + randomInt(rng, 0, 7)]);
  return Buffer.from(Array.from({ length: n }, () => randomInt(rng, 0, 255)));
}

function randomScalar(f: protobuf.Field, rng: Rng): unknown {
  if (f.resolvedType instanceof protobuf.Enum) {
    const values = Object.keys(f.resolvedType.values);
    return rng() < 0.1 ? randomInt(rng, 50, 60) : pick(rng, values); // a number this proto does not name, sometimes
  }
  switch (f.type) {
    case 'double':
      return rng() < 0.5 ? pick(rng, DOUBLES) : (rng() - 0.5) * 1e6;
    case 'float':
      return Math.fround(rng() < 0.5 ? pick(rng, DOUBLES) : (rng() - 0.5) * 1e3);
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return rng() < 0.5 ? pick(rng, INT64S) : randomInt(rng, -1e6, 1e6);
    case 'uint64':
    case 'fixed64':
      return rng() < 0.5 ? pick(rng, UINT64S) : randomInt(rng, 0, 1e9);
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return randomInt(rng, -(2 ** 31), 2 ** 31 - 1);
    case 'uint32':
    case 'fixed32':
      return pick(rng, [0, 1, 127, 128, 2 ** 32 - 1, randomInt(rng, 0, 2 ** 32 - 1)]);
    case 'bool':
      return rng() < 0.5;
    case 'string':
      return pick(rng, STRINGS);
    case 'bytes':
      return randomBytes(rng);
    default:
      throw new Error(`no generator for ${f.type}`);
  }
}

/** A plain object for fromObject with each field set or not, repeated ones 0-4 long. */
function randomObject(type: protobuf.Type, rng: Rng, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of type.fieldsArray) {
    if (rng() < 0.25) continue;
    const one = () => (f.resolvedType instanceof protobuf.Type ? (depth > 5 ? {} : randomObject(f.resolvedType, rng, depth + 1)) : randomScalar(f, rng));
    out[f.name] = f.repeated ? Array.from({ length: randomInt(rng, 0, 4) }, one) : one();
  }
  return out;
}

/** protobufjs's encoding of a random object of `type` (in `from`, a root whose types may have more fields). */
function randomMessage(from: protobuf.Root, type: protobuf.Type, rng: Rng): Uint8Array {
  const t = from.lookupType(type.fullName);
  return t.encode(t.fromObject(randomObject(t, rng))).finish();
}

/** The top-level fields of a message as byte ranges (protobufjs's reader, not the code under test). */
function fieldsOf(bytes: Uint8Array): { number: number; bytes: Uint8Array }[] {
  const r = protobuf.Reader.create(bytes);
  const out: { number: number; bytes: Uint8Array }[] = [];
  while (r.pos < r.len) {
    const start = r.pos;
    const tag = r.uint32();
    r.skipType(tag & 7);
    out.push({ number: tag >>> 3, bytes: bytes.subarray(start, r.pos) });
  }
  return out;
}

/** The fields reordered at random, keeping the order among those of one number (repeated fields). */
function shuffleFields(bytes: Uint8Array, rng: Rng): Uint8Array {
  const queues = new Map<number, Uint8Array[]>();
  for (const f of fieldsOf(bytes)) queues.set(f.number, [...(queues.get(f.number) ?? []), f.bytes]);
  const out: Uint8Array[] = [];
  while (queues.size) {
    const n = pick(rng, [...queues.keys()]);
    const q = queues.get(n)!;
    out.push(q.shift()!);
    if (!q.length) queues.delete(n);
  }
  return Buffer.concat(out);
}

// The same protos with unknown-to-the-server fields of every wire type added to every message.
const EXTRA_FIELDS: [string, number, string, boolean?][] = [
  ['extraVarint', 900, 'int32'],
  ['extraZigzag', 901, 'sint64'],
  ['extraFixed32', 902, 'fixed32'],
  ['extraFixed64', 903, 'fixed64'],
  ['extraString', 904, 'string'],
  ['extraBytes', 905, 'bytes'],
  ['extraPacked', 906, 'sint32', true],
  ['extraMessage', 907, 'fspd.v1.Tensor'],
  ['extraDouble', 19000 - 1, 'double'],
];
const extended = loadRoot((r) => {
  for (const t of TYPES) {
    const type = r.lookupType(t.fullName);
    for (const [name, id, kind, repeated] of EXTRA_FIELDS) type.add(new protobuf.Field(name, id, kind, repeated ? 'repeated' : undefined));
  }
});
// resolveAll() does not reach fields added after loading.
for (const t of TYPES) for (const [name] of EXTRA_FIELDS) extended.lookupType(t.fullName).fields[name]!.resolve();
// And with every repeated scalar [packed = false] (parsed from the proto text: protobufjs ignores a later setOption).
const unpacked = (() => {
  const r = new protobuf.Root();
  const parse = (file: string) => {
    if (file.startsWith('google/') || r.files.includes(file)) return;
    r.files.push(file);
    const text = fs.readFileSync(path.join(PROTO_DIR, file), 'utf8');
    const marked = text.replace(/^(\s*repeated\s+(?!string|bytes)[A-Za-z0-9_.]+\s+\w+\s*=\s*\d+)\s*;/gm, (line, field: string) => {
      const type = field.trim().split(/\s+/)[1]!;
      return /^[a-z]/.test(type) || ['DataType', 'Layout', 'Pooling', 'Reduction'].includes(type) ? `${field} [packed = false];` : line;
    });
    (protobuf.parse(marked, r, { keepCase: false }).imports ?? []).forEach(parse);
  };
  parse('fspd/v1/fsp_service.proto');
  r.resolveAll();
  return r;
})();

/** Every Buffer in a decoded message. */
function buffersIn(value: unknown, out: Buffer[] = []): Buffer[] {
  if (Buffer.isBuffer(value)) out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => buffersIn(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => buffersIn(v, out));
  return out;
}

const CASES = 150;

describe('message-codec decode = protobufjs', () => {
  it('the test protos differ as meant: unpacked repeated scalars, extra fields', () => {
    const weights = (r: protobuf.Root) => Buffer.from(r.lookupType('fspd.v1.FspLossRequest').encode({ weights: [1, 2] }).finish()).toString('hex');
    assert.equal(weights(root), '2208' + '0000803f' + '00000040', 'packed');
    assert.equal(weights(unpacked), '25' + '0000803f' + '25' + '00000040', 'unpacked');
    assert.equal(unpacked.lookupType('fspd.v1.Tensor').fields.shape!.packed, false, 'shape unpacked');
    assert.ok(extended.lookupType('fspd.v1.FeaturePair').fields.extraMessage!.resolvedType, 'extra message field resolved');
  });

  it('covers every field of every FspService message', () => {
    // The generators reach every field: a new field in the proto is generated (and decoded) without edits here.
    for (const t of TYPES) assert.deepEqual(specOf(t).fields.map((f) => f.number), t.fieldsArray.map((f) => f.id), `${t.fullName} fields`);
    assert.ok(TYPES.some((t) => t.name === 'SharedMemoryRef'), 'shared-memory refs are among them');
  });

  for (const type of TYPES) {
    it(`${type.name}: random messages, at every buffer offset`, () => {
      const rng = seededRandom(seedOf('decode', type.fullName));
      assert.deepEqual(mine(type, new Uint8Array(0)), reference(type, new Uint8Array(0)), 'empty message');
      for (let i = 0; i < CASES; i++) {
        const bytes = randomMessage(root, type, rng);
        const expected = reference(type, bytes);
        const got = mine(type, bytes, i % 4);
        assert.deepStrictEqual(got, expected, `case ${i}`);
        for (const b of buffersIn(got)) assert.equal(b.byteOffset % 4, 0, `case ${i}: bytes fields start at a multiple of 4`);
      }
    });

    it(`${type.name}: unpacked repeated fields, shuffled and repeated fields, unknown fields`, () => {
      const rng = seededRandom(seedOf('variants', type.fullName));
      for (let i = 0; i < CASES; i++) {
        const plain = randomMessage(unpacked, type, rng);
        assert.deepStrictEqual(mine(type, plain, i % 4), reference(type, plain), `unpacked, case ${i}`);
        const shuffled = shuffleFields(randomMessage(root, type, rng), rng);
        assert.deepStrictEqual(mine(type, shuffled, i % 4), reference(type, shuffled), `shuffled, case ${i}`);
        // Two messages back to back: scalars and sub-messages take the second's, repeated fields append.
        const twice = Buffer.concat([randomMessage(root, type, rng), randomMessage(root, type, rng)]);
        assert.deepStrictEqual(mine(type, twice, i % 4), reference(type, twice), `concatenated, case ${i}`);
        const unknown = randomMessage(extended, type, rng);
        assert.deepStrictEqual(mine(type, unknown, i % 4), reference(type, unknown), `unknown fields, case ${i}`);
      }
    });
  }

  it('skips unknown groups, as protobufjs does', () => {
    const type = root.lookupType('fspd.v1.FspLossRequest');
    const rng = seededRandom(seedOf('groups'));
    const known = randomMessage(root, type, rng);
    // field 800 as a group holding a varint field and a nested group, then the message's own fields
    const group = Buffer.from([0x83, 0x32, 0x08, 0x05, 0x8b, 0x32, 0x10, 0x01, 0x8c, 0x32, 0x84, 0x32]);
    const bytes = Buffer.concat([group, known, group]);
    assert.deepStrictEqual(mine(type, bytes), reference(type, bytes));
  });
});

describe('message-codec bytes fields', () => {
  const tensor = root.lookupType('fspd.v1.Tensor');
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

  it('are views of the buffer, moved in place to a multiple of 4 when long enough, else copied', () => {
    for (const [size, view] of [
      [1000, true],
      [127, false],
      [128, true],
    ] as const) {
      const bytes = tensor.encode({ dtype: 1, data: data.subarray(0, size) }).finish();
      for (let offset = 0; offset < 4; offset++) {
        const backing = Buffer.alloc(bytes.length + 4);
        const input = backing.subarray(offset, offset + bytes.length);
        input.set(bytes);
        const got = decode(specOf(tensor), input).data as Buffer;
        assert.deepEqual(got, data.subarray(0, size), `${size} bytes at offset ${offset}: contents`);
        assert.equal(got.byteOffset % 4, 0, `${size} bytes at offset ${offset}: aligned`);
        const shift = (offset + bytes.length - size) % 4;
        assert.equal(got.buffer === backing.buffer, view || shift < 3, `${size} bytes at offset ${offset}: a view unless it would move over the previous field`);
      }
    }
  });
});

describe('message-codec malformed input', () => {
  const request = root.lookupType('fspd.v1.FspLossRequest');
  const spec = () => specOf(request);
  const throws = (bytes: number[], message: RegExp) =>
    assert.throws(() => decode(spec(), Buffer.from(bytes)), (err: unknown) => {
      assert.ok(err instanceof WireError, `WireError, got ${String(err)}`);
      assert.match(err.message, message);
      return true;
    });

  it('truncated at every byte: WireError whenever protobufjs fails, else protobufjs\'s result', () => {
    const rng = seededRandom(seedOf('truncated'));
    for (let i = 0; i < 20; i++) {
      const bytes = randomMessage(root, request, rng);
      for (let cut = 0; cut < bytes.length; cut++) {
        const part = bytes.subarray(0, cut);
        let expected: unknown;
        try {
          expected = reference(request, part);
        } catch {
          assert.throws(() => decode(spec(), Buffer.from(part)), WireError, `cut at ${cut} of ${bytes.length}`);
          continue;
        }
        try {
          assert.deepStrictEqual(decode(spec(), Buffer.from(part)), expected, `cut at ${cut}`);
        } catch (err) {
          // protobufjs reads a cut-off string as a shorter one; this codec refuses it.
          if (!(err instanceof WireError)) throw err;
        }
      }
    }
  });

  it('a known field with the wrong wire type names the field', () => {
    throws([0x3a, 0x00], /^return_gradients: wire type 2, expected 0$/); // field 7 (bool) as length-delimited
    throws([0x0d, 0, 0, 0, 0], /^student\[0\]: wire type 5, expected 2$/); // field 1 (FeaturePair) as fixed32
    throws([0x0a, 0x04, 0x0a, 0x03, 0x08, 0x01], /^student\[0\]\.first: truncated: length 3 with 2 bytes left$/);
    throws([0x0a, 0x02, 0x0a, 0x05, 0x08, 0x01, 0x10, 0x01, 0x00], /^student\[0\]\.first: truncated: length 5 with 0 bytes left$/); // runs past the pair
    throws([0x0a, 0x04, 0x0a, 0x02, 0x1d, 0x00], /^student\[0\]\.first\.data: wire type 5, expected 2$/);
    throws([0x0a, 0x04, 0x0a, 0x02, 0x12, 0x05], /^student\[0\]\.first\.shape: truncated/);
    throws([0x22, 0x03, 0x00, 0x00, 0x80], /^weights: truncated: 4 bytes needed, 3 left$/); // packed floats: 3 bytes
  });

  it('invalid tags, wire types and varints', () => {
    throws([0x00, 0x01], /invalid tag/); // field number 0
    throws([0xa6, 0x06], /invalid wire type 6/); // unknown field 100
    throws([0xf7, 0x07, 0x01], /invalid wire type 7/); // unknown field 126
    throws([0xa4, 0x06], /end-group tag without a start/);
    throws([0x38, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /^return_gradients: varint longer than 10 bytes$/);
    throws([0x38], /^return_gradients: truncated varint$/);
    throws([0x4a, 0x7f], /^gradients_to: truncated: length 127 with 0 bytes left$/);
    throws([0x4a, 0x80, 0x80, 0x80, 0x80, 0x10], /^gradients_to: truncated: length over 2\^32/);
    throws([0x83, 0x32, 0x08], /truncated varint/); // a group never closed
  });
});

describe('message-spec', () => {
  it('refuses at start what the codec does not implement', () => {
    const definition = (fields: Record<string, protobuf.IField & { keyType?: string }>, extra: Record<string, unknown> = {}) =>
      protoLoader.fromJSON({ nested: { t: { nested: { M: { fields, ...extra }, E: { values: { A: 0 } } } } } }, { keepCase: false });
    assert.doesNotThrow(() => messageSpec(definition({ a: { type: 'int64', id: 1 }, e: { type: 'E', id: 2 } }), 't.M'));
    assert.throws(() => messageSpec(definition({ a: { type: 'sint32', id: 1 } }), 't.M'), /t\.M\.a is TYPE_SINT32, which this codec does not implement/);
    assert.throws(() => messageSpec(definition({ a: { type: 'fixed64', id: 1 } }), 't.M'), /TYPE_FIXED64/);
    assert.throws(() => messageSpec(definition({ a: { type: 'int32', id: 1 }, b: { type: 'int32', id: 2 } }, { oneofs: { o: { oneof: ['a', 'b'] } } }), 't.M'), /has oneofs/);
    assert.throws(() => messageSpec(definition({ m: { keyType: 'string', type: 'int32', id: 1 } }), 't.M'), /t\.M has a map field/);
    assert.throws(() => messageSpec(definition({}), 't.Nope'), /no message t\.Nope/);
  });
});

describe('message-codec encode = protobufjs', () => {
  for (const type of TYPES) {
    it(`${type.name}: random objects decode as protobufjs's encoding of them does`, () => {
      const rng = seededRandom(seedOf('encode', type.fullName));
      for (let i = 0; i < CASES; i++) {
        const object = varyInputs(type, randomObject(type, rng), rng);
        const expected = reference(type, type.encode(type.fromObject(object)).finish());
        const bytes = encode(specOf(type), object);
        assert.deepStrictEqual(reference(type, bytes), expected, `case ${i}: protobufjs decoding`);
        assert.deepStrictEqual(decode(specOf(type), Buffer.from(bytes)), expected, `case ${i}: decoding back`);
      }
    });
  }

  it('writes into the buffer it is given, and -0 survives', () => {
    const type = root.lookupType('fspd.v1.FspLossResponse');
    const scratch = Buffer.alloc(64, 0xee);
    const bytes = encode(specOf(type), { loss: -0, pairLosses: [0, 1] }, () => scratch);
    assert.equal(bytes.buffer, scratch.buffer, 'same memory');
    assert.ok(Object.is(reference(type, bytes).loss, -0), 'loss -0');
  });

  it('64-bit integers given as decimal strings, exactly', () => {
    const tensor = root.lookupType('fspd.v1.Tensor');
    const ref = root.lookupType('fspd.v1.SharedMemoryRef');
    const shape = ['9223372036854775807', '-9223372036854775808', '-1', '4294967296', '9007199254740993'];
    const same = (type: protobuf.Type, object: Record<string, unknown>) =>
      assert.equal(Buffer.from(encode(specOf(type), object)).toString('hex'), Buffer.from(type.encode(type.fromObject(object)).finish()).toString('hex'), JSON.stringify(object));
    same(tensor, { shape });
    same(ref, { region: 'r', offset: '9007199254740993' });
    same(ref, { region: 'r', offset: '18446744073709551615' });
  });

  it('refuses values it cannot encode (a server bug: grpc-js answers INTERNAL)', () => {
    const type = specOf(root.lookupType('fspd.v1.Tensor'));
    assert.throws(() => encode(type, { dtype: 'DATA_TYPE_NOPE' }), /dtype: unknown enum value DATA_TYPE_NOPE/);
    assert.throws(() => encode(type, { shape: 3 }), /shape: expected an array/);
    assert.throws(() => encode(type, { data: 12 }), /data: expected bytes/);
  });
});

/** The other input forms fromObject takes: enum numbers, integers as decimal strings, bytes as Uint8Array or base64. */
function varyInputs(type: protobuf.Type, object: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  const one = (f: protobuf.Field, v: unknown): unknown => {
    if (f.resolvedType instanceof protobuf.Type) return varyInputs(f.resolvedType, v as Record<string, unknown>, rng);
    if (f.resolvedType instanceof protobuf.Enum) return typeof v === 'string' && rng() < 0.3 ? f.resolvedType.values[v] : v;
    if (Buffer.isBuffer(v)) return rng() < 0.3 ? v.toString('base64') : rng() < 0.5 ? new Uint8Array(v) : v;
    if (typeof v === 'number' && Number.isSafeInteger(v) && /int|fixed/.test(f.type) && rng() < 0.3) return String(v);
    return v;
  };
  return Object.fromEntries(
    Object.entries(object).map(([k, v]) => {
      const f = type.fields[k]!;
      return [k, f.repeated ? (v as unknown[]).map((x) => one(f, x)) : one(f, v)];
    }),
  );
}
