// float32 → float16 / bfloat16 encoding of response tensors (TeacherFsp's matrices_dtype) against a
// reference that picks the nearest representable value by comparing distances in float64 (ties to the
// even pattern), independent of the encoder's bit arithmetic, for the TypeScript conversions and the native
// addon's (which must also give the TypeScript ones' bit patterns); and the round trip through the codec.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFloatTensor } from '../src/server/codec.js';
import { encodeFloat, float16Bits, floatDtypeOf, toBfloat16, toFloat16 } from '../src/server/half-precision.js';
import { RpcError } from '../src/server/status.js';
import { addon, addonSkip } from './helpers/addon.js';
import { seededRandom } from './helpers/random.js';

/** Value of a binary16 pattern, from the format's definition. */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25));
}

// Every finite non-negative binary16 value, ascending with the pattern (0x0000 .. 0x7bff).
const POSITIVE_HALVES = Array.from({ length: 0x7c00 }, (_, h) => halfValue(h));

/** The nearest of two candidate patterns to x; a tie goes to the one with an even last bit. */
function nearer(x: number, lo: number, hi: number, value: (p: number) => number): number {
  const dLo = Math.abs(x - value(lo));
  const dHi = Math.abs(value(hi) - x);
  return dLo < dHi ? lo : dHi < dLo ? hi : lo % 2 === 0 ? lo : hi;
}

function refHalf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  // Above the largest half (65504) the next step would be 65536 (exponent 16): halfway is 65520, a tie that goes to Inf.
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = POSITIVE_HALVES.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (POSITIVE_HALVES[mid]! <= a) lo = mid;
    else hi = mid - 1;
  }
  if (POSITIVE_HALVES[lo] === a || lo === POSITIVE_HALVES.length - 1) return sign | lo;
  return sign | nearer(a, lo, lo + 1, (p) => POSITIVE_HALVES[p]!);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const valueOfBits = (bits: number) => ((u32[0] = bits), f32[0]!);

function refBfloat16(x: number): number {
  if (Number.isNaN(x)) return NaN;
  f32[0] = x;
  const bits = u32[0]!;
  const sign = bits & 0x80000000 ? 0x8000 : 0;
  const lo = (bits & 0x7fffffff) >>> 16; // truncated magnitude pattern; lo + 1 the next bfloat16 up
  if ((bits & 0xffff) === 0) return sign | lo;
  // Rounding as if the exponent were unbounded: Inf's pattern stands for 2^128, so values past the largest
  // bfloat16 plus half its ulp round to Inf.
  return sign | nearer(Math.abs(x), lo, lo + 1, (p) => (p === 0x7f80 ? 2 ** 128 : valueOfBits(p << 16)));
}

/** float32 values that test the rounding: ties, ulps around them, the subnormal and overflow edges, specials. */
function cases(): Float32Array {
  const v = [
    0, -0, 1, -1, 65504, -65504, 65519.99609375, 65520, -65520, 65536, 1e30, Infinity, -Infinity, NaN,
    2 ** -14, 2 ** -24, 2 ** -25, -(2 ** -25), 2 ** -25 * (1 + 2 ** -23), 3 * 2 ** -26, 2 ** -26, 2 ** -14 - 2 ** -25,
    1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -23, 1 - 2 ** -12, 2 ** -149, 3.4028234663852886e38,
    1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -23, 3.3961775292304172e38,
  ];
  const rng = seededRandom(20171);
  const out = new Float32Array(v.length + 60000);
  out.set(v);
  const bits = new Uint32Array(out.buffer);
  for (let i = v.length; i < out.length; i++) {
    // Half random bit patterns (every exponent), half values near the float16 range with ties made likely.
    bits[i] = i % 2 ? Math.floor(rng() * 2 ** 32) >>> 0 : (((Math.floor(rng() * 40) + 100) << 23) | (Math.floor(rng() * 2 ** 10) << 13) | (rng() < 0.5 ? 0x1000 : Math.floor(rng() * 0x2000))) >>> 0;
  }
  return out;
}

/** The conversions under test: the TypeScript ones and the native addon's (SIMD; CI builds the addon). */
const CONVERTERS = [
  { name: 'TypeScript', toFloat16, toBfloat16, skip: false as const },
  { name: 'native addon', toFloat16: (x: Float32Array) => addon!.toFloat16(x), toBfloat16: (x: Float32Array) => addon!.toBfloat16(x), skip: addonSkip },
];

for (const conv of CONVERTERS) {
  describe(`${conv.name}: float32 → float16, round to nearest even`, { skip: conv.skip }, () => {
    it('every case equals the nearest binary16 (ties to even; Inf from 65520; NaN stays NaN)', () => {
      const x = cases();
      const got = conv.toFloat16(x);
      for (let i = 0; i < x.length; i++) {
        const want = refHalf(x[i]!);
        if (Number.isNaN(want)) assert.ok(Number.isNaN(halfValue(got[i]!)), `NaN → 0x${got[i]!.toString(16)}`);
        else assert.equal(got[i], want, `${x[i]} (0x${new Uint32Array(x.buffer)[i]!.toString(16)}): 0x${got[i]!.toString(16)}, want 0x${want.toString(16)}`);
      }
    });
  });

  describe(`${conv.name}: float32 → bfloat16, round to nearest even`, { skip: conv.skip }, () => {
    it('every case equals the nearest bfloat16 (ties to even; NaN stays NaN)', () => {
      const x = cases();
      const got = conv.toBfloat16(x);
      for (let i = 0; i < x.length; i++) {
        const want = refBfloat16(x[i]!);
        if (Number.isNaN(want)) assert.ok(Number.isNaN(valueOfBits(got[i]! << 16)), `NaN → 0x${got[i]!.toString(16)}`);
        else assert.equal(got[i], want, `${x[i]}: 0x${got[i]!.toString(16)}, want 0x${want.toString(16)}`);
      }
    });
  });

  describe(`${conv.name}: lengths and offsets`, { skip: conv.skip }, () => {
    it('odd lengths and views at an offset convert every element, and only theirs', () => {
      const all = cases();
      for (const [start, length] of [[0, 0], [0, 1], [1, 3], [3, 7], [5, 1000], [2, 1001], [1, 17]] as const) {
        const view = all.subarray(start, start + length);
        const half = conv.toFloat16(view);
        const bf = conv.toBfloat16(view);
        assert.equal(half.length, length);
        assert.equal(bf.length, length);
        for (let i = 0; i < length; i++) {
          const x = view[i]!;
          if (Number.isNaN(x)) continue;
          assert.equal(half[i], refHalf(x), `float16 [${start} + ${i}]`);
          assert.equal(bf[i], refBfloat16(x), `bfloat16 [${start} + ${i}]`);
        }
      }
    });
  });
}

describe('native addon against the TypeScript conversions', { skip: addonSkip }, () => {
  it('the same bit patterns for every case, NaN payloads and signs included', () => {
    const x = cases();
    const bits = new Uint32Array(x.buffer);
    // NaNs of both signs with assorted payloads (the cases above have one NaN).
    for (let i = 0; i < 64; i++) bits[100 + i] = ((i & 1 ? 0xff800000 : 0x7f800000) | (1 + i * 0x1ffff)) >>> 0;
    assert.deepEqual(addon!.toFloat16(x), toFloat16(x));
    assert.deepEqual(addon!.toBfloat16(x), toBfloat16(x));
  });

  it('anything but a Float32Array is a TypeError naming the argument', () => {
    for (const bad of [new Float64Array(2), [1, 2], undefined, new Uint16Array(2)]) {
      assert.throws(() => addon!.toFloat16(bad as never), /^TypeError: data: expected a Float32Array$/);
      assert.throws(() => addon!.toBfloat16(bad as never), /^TypeError: data: expected a Float32Array$/);
    }
  });
});

describe('encodeFloat', () => {
  it('float16 and bfloat16 tensors decode (codec) to the rounded values; float32 is a view', () => {
    const x = Float32Array.from([0.1, -2.5, 1e-6, 70000, 3.14159]);
    const f32t = encodeFloat(x, [5], 'DATA_TYPE_FLOAT32');
    assert.equal((f32t.data as Buffer).buffer, x.buffer, 'float32: no copy');
    const half = decodeFloatTensor(encodeFloat(x, [1, 5], 'DATA_TYPE_FLOAT16') as never, 'm');
    assert.deepEqual(half.shape, [1, 5]);
    assert.deepEqual([...half.data], [...x].map((v) => halfValue(refHalf(v))));
    const bf = decodeFloatTensor(encodeFloat(x, [5], 'DATA_TYPE_BFLOAT16') as never, 'm');
    assert.deepEqual([...bf.data], [...x].map((v) => valueOfBits(refBfloat16(v) << 16)));
  });

  it('floatDtypeOf: unspecified is float32; int types are INVALID_ARGUMENT naming the field', () => {
    assert.equal(floatDtypeOf('DATA_TYPE_UNSPECIFIED', 'f'), 'DATA_TYPE_FLOAT32');
    assert.equal(floatDtypeOf('DATA_TYPE_BFLOAT16', 'f'), 'DATA_TYPE_BFLOAT16');
    assert.throws(() => floatDtypeOf('DATA_TYPE_UINT8', 'matrices_dtype'), (e: RpcError) => /^matrices_dtype: expected DATA_TYPE_FLOAT32/.test(e.message));
  });
});
