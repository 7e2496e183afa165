// Protocol buffer wire format, the few primitives message-codec.ts needs: a bounds-checked reader over a
// Buffer whose bytes fields come back as views (no copy), and a writer into a Buffer sized beforehand.
// Malformed input throws WireError, which names the field path once message-codec.ts has added it.

export class WireError extends Error {
  /** Field names from the outermost message inwards (`student[0]`, `first`, `shape`). */
  readonly path: string[] = [];
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'WireError';
  }
  /** Adds the field the error happened in (called from the inside out). */
  in(field: string): this {
    this.path.unshift(field);
    this.message = `${this.path.join('.')}: ${this.reason}`;
    return this;
  }
}

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_SGROUP = 3;
export const WIRE_EGROUP = 4;
export const WIRE_I32 = 5;

const TWO_32 = 4294967296;

export class WireReader {
  /** The high 32 bits of the last varint read (varint() returns the low 32). */
  hi = 0;

  constructor(
    readonly buf: Buffer,
    public pos = 0,
    /** Reads past this throw; message-codec.ts narrows it to a sub-message's end. */
    public end = buf.length,
  ) {}

  /** A varint's low 32 bits as an unsigned number; its high 32 bits go to `hi`. At most 10 bytes. */
  varint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= this.end) throw new WireError('truncated varint');
      b = buf[pos++]!;
      lo |= (b & 0x7f) << shift; // the fifth byte's upper bits fall off here and go to hi below
      if (shift === 28) hi = (b & 0x7f) >> 4;
      if (b < 0x80) {
        this.pos = pos;
        this.hi = hi;
        return lo >>> 0;
      }
    }
    for (let shift = 3; shift < 38; shift += 7) {
      if (pos >= this.end) throw new WireError('truncated varint');
      b = buf[pos++]!;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.hi = hi >>> 0;
        return lo >>> 0;
      }
    }
    throw new WireError('varint longer than 10 bytes');
  }

  /** A length prefix, checked against what is left. */
  length(): number {
    const n = this.varint();
    if (this.hi !== 0 || n > this.end - this.pos) throw new WireError(`truncated: length ${this.hi ? 'over 2^32' : n} with ${this.end - this.pos} bytes left`);
    return n;
  }

  /** Start of the next `n` bytes, which are then skipped. */
  take(n: number): number {
    if (n > this.end - this.pos) throw new WireError(`truncated: ${n} bytes needed, ${this.end - this.pos} left`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** The last varint read as int64 / uint64 (JS numbers, as protobufjs gives with longs: Number). */
  int64(lo: number): number {
    return (this.hi | 0) * TWO_32 + lo;
  }

  uint64(lo: number): number {
    return this.hi * TWO_32 + lo;
  }

  /** Skips the value of an unknown field (groups included, as protobufjs does). */
  skip(wire: number, depth = 0): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_I64:
        this.take(8);
        return;
      case WIRE_LEN:
        this.take(this.length());
        return;
      case WIRE_I32:
        this.take(4);
        return;
      case WIRE_SGROUP:
        if (depth > 64) throw new WireError('groups nested too deep');
        for (;;) {
          const tag = this.varint();
          if ((tag & 7) === WIRE_EGROUP) return;
          this.skip(tag & 7, depth + 1);
        }
      default:
        throw new WireError(wire === WIRE_EGROUP ? 'end-group tag without a start' : `invalid wire type ${wire}`);
    }
  }
}

/** Bytes of a varint of an unsigned 32-bit value. */
export function varint32Size(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Bytes of a varint of the 64-bit value hi:lo (both unsigned 32-bit). */
export function varint64Size(lo: number, hi: number): number {
  if (hi === 0) return varint32Size(lo);
  return hi < 0x8 ? 5 : hi < 0x400 ? 6 : hi < 0x20000 ? 7 : hi < 0x1000000 ? 8 : hi < 0x80000000 ? 9 : 10;
}

/** A JS integer as the two 32-bit halves of its 64-bit two's complement (protobufjs's LongBits.fromNumber). */
export function longBits(value: number): [lo: number, hi: number] {
  const negative = value < 0;
  const abs = Math.abs(Math.trunc(value));
  let lo = abs >>> 0;
  let hi = ((abs - lo) / TWO_32) >>> 0;
  if (negative) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
    if (++lo > 0xffffffff) {
      lo = 0;
      if (++hi > 0xffffffff) hi = 0;
    }
  }
  return [lo, hi];
}

export class WireWriter {
  pos = 0;

  constructor(readonly buf: Buffer) {}

  varint32(v: number): void {
    const buf = this.buf;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  varint64(lo: number, hi: number): void {
    if (hi === 0) return this.varint32(lo);
    const buf = this.buf;
    for (let i = 0; i < 4; i++) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    // Fifth byte: lo's last 4 bits and hi's first 3.
    let v = (lo | (hi << 4)) & 0x7f;
    hi >>>= 3;
    while (hi !== 0) {
      buf[this.pos++] = v | 0x80;
      v = hi & 0x7f;
      hi >>>= 7;
    }
    buf[this.pos++] = v;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
  }

  string(s: string, byteLength: number): void {
    this.pos += this.buf.write(s, this.pos, byteLength, 'utf8');
  }

  double(v: number): void {
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }

  float(v: number): void {
    this.pos = this.buf.writeFloatLE(v, this.pos);
  }
}
