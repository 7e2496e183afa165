// float32 → float16 / bfloat16 for response tensors (TeacherFsp's matrices_dtype): each element rounded to
// the nearest representable value, ties to even (IEEE 754 roundTiesToEven, as PyTorch's .half() and
// .bfloat16() round); too large for float16 → ±Inf; NaN stays a (quiet) NaN with its sign. The codec
// (codec.ts) widens both back to float32 exactly. The native addon's SIMD conversions do it when it is in
// use (524,288 elements: ~0.1 ms against 1–3 ms here); toFloat16 / toBfloat16 below are the same conversions
// in TypeScript, for when it is not.
import type { Tensor } from '../generated/fspd/v1/Tensor.js';
import { nativeHalfConversions } from '../native/index.js';
import { encodeFloat32 } from './codec.js';
import { invalid } from './status.js';

/** The element types a response can be encoded in. */
export type FloatDtype = 'DATA_TYPE_FLOAT32' | 'DATA_TYPE_FLOAT16' | 'DATA_TYPE_BFLOAT16';

/** A request's float dtype field (unspecified = float32); anything else is INVALID_ARGUMENT naming `field`. */
export function floatDtypeOf(value: string | number | null | undefined, field: string): FloatDtype {
  const v = String(value ?? 'DATA_TYPE_UNSPECIFIED');
  if (v === 'DATA_TYPE_UNSPECIFIED' || v === '0') return 'DATA_TYPE_FLOAT32';
  if (v === 'DATA_TYPE_FLOAT32' || v === 'DATA_TYPE_FLOAT16' || v === 'DATA_TYPE_BFLOAT16') return v;
  throw invalid(`${field}: expected DATA_TYPE_FLOAT32, DATA_TYPE_FLOAT16 or DATA_TYPE_BFLOAT16, got ${v}`);
}

/** A Tensor message of `data` in `dtype` (float32: a view of `data`, no copy). */
export function encodeFloat(data: Float32Array, shape: readonly number[], dtype: FloatDtype): Tensor {
  if (dtype === 'DATA_TYPE_FLOAT32') return encodeFloat32(data, shape);
  const halves = halvesOf(data, dtype);
  return { dtype, shape: [...shape], data: Buffer.from(halves.buffer, halves.byteOffset, halves.byteLength) };
}

/** The float16 or bfloat16 bit patterns of `data` (natively when the addon is in use). */
export function halvesOf(data: Float32Array, dtype: 'DATA_TYPE_FLOAT16' | 'DATA_TYPE_BFLOAT16'): Uint16Array {
  const native = nativeHalfConversions();
  const convert = dtype === 'DATA_TYPE_FLOAT16' ? (native?.toFloat16 ?? toFloat16) : (native?.toBfloat16 ?? toBfloat16);
  return convert(data);
}

/** IEEE binary16 bit patterns of `data`, round to nearest even. */
export function toFloat16(data: Float32Array): Uint16Array {
  const bits = int32View(data);
  const n = bits.length;
  const out = new Uint16Array(n + (n & 1));
  const twos = new Int32Array(out.buffer); // see toBfloat16
  for (let i = 0, j = 0; j + 1 < n; i++, j += 2) twos[i] = float16Of(bits[j]!) | (float16Of(bits[j + 1]!) << 16);
  if (n & 1) out[n - 1] = float16Of(bits[n - 1]!);
  return out.subarray(0, n);
}

/** bfloat16 bit patterns (the upper half of a float32) of `data`, round to nearest even. */
export function toBfloat16(data: Float32Array): Uint16Array {
  const bits = int32View(data);
  const n = bits.length;
  const out = new Uint16Array(n + (n & 1));
  // Two results per 32-bit store (the first in the low half: little-endian, as the codec assumes throughout):
  // about 1.7× faster than one Uint16Array store per element.
  const twos = new Int32Array(out.buffer);
  for (let i = 0, j = 0; j + 1 < n; i++, j += 2) twos[i] = bfloat16Of(bits[j]!) | (bfloat16Of(bits[j + 1]!) << 16);
  if (n & 1) out[n - 1] = bfloat16Of(bits[n - 1]!);
  return out.subarray(0, n);
}

/**
 * The bit patterns as int32, not uint32: V8 keeps int32 values unboxed, while a uint32 above 2^31 (every
 * negative float) is a heap number. The arithmetic below reads the same bits either way.
 */
const int32View = (data: Float32Array) => new Int32Array(data.buffer, data.byteOffset, data.length);

/** The bfloat16 pattern of the float32 pattern `b`, in the low 16 bits. */
function bfloat16Of(b: number): number {
  if ((b & 0x7fffffff) > 0x7f800000) return ((b >>> 16) | 0x0040) & 0xffff; // NaN: keep sign and payload top, make it quiet
  // Add just under half an ulp of the kept half, plus one when the kept half is odd: ties go to even.
  // Finite values carry into the exponent correctly (the largest round up to Inf). The sum stays within
  // int32: positive patterns are at most 0x7f800000, and negative ones only move towards zero.
  return ((b + 0x7fff + ((b >>> 16) & 1)) >> 16) & 0xffff;
}

/** float16Bits with the common case inline: a normal half (|x| in [2^-14, 65520)), integer ops only. */
function float16Of(b: number): number {
  const abs = b & 0x7fffffff;
  if (abs < 0x38800000 || abs >= 0x477ff000) return float16Bits(b);
  // Rebias the exponent (-112 << 23) and add the rounding as float16Bits's normal branch does: 0xfff, plus
  // one when the kept mantissa is odd; a carry out of the mantissa bumps the exponent.
  return ((b >>> 16) & 0x8000) | ((abs - 0x37fff001 + ((abs >>> 13) & 1)) >>> 13);
}

/** The binary16 pattern nearest the binary32 pattern `b` (ties to even). */
export function float16Bits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const abs = b & 0x7fffffff;
  if (abs >= 0x7f800000) return sign | (abs > 0x7f800000 ? 0x7e00 : 0x7c00); // NaN (quiet), ±Inf
  // 65520 = 65504 (largest half) + half its ulp: from there on the nearest is Inf (65520 itself ties to even = Inf).
  if (abs >= 0x477ff000) return sign | 0x7c00;
  const e = abs >>> 23; // biased float32 exponent
  const m = abs & 0x7fffff;
  if (e >= 113) {
    // Normal half: exponent e - 112, 10 of the 23 mantissa bits; a carry out of the mantissa bumps the exponent.
    let h = ((e - 112) << 10) | (m >>> 13);
    const rest = m & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
    return sign | h;
  }
  // Subnormal half (or zero): units of 2^-24. |x| <= 2^-25 (half a unit; the tie goes to even, 0) → ±0.
  if (abs <= 0x33000000) return sign;
  const full = m | 0x800000; // x = full · 2^(e-150)
  const shift = 126 - e; // 14 (e = 112) .. 24 (e = 102)
  let h = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && h & 1)) h++; // 0x3ff + 1 = 0x400, the smallest normal: right
  return sign | h;
}
