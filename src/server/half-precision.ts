// float32 → float16 / bfloat16 for response tensors (TeacherFsp's matrices_dtype): each element rounded to
// the nearest representable value, ties to even (IEEE 754 roundTiesToEven, as PyTorch's .half() and
// .bfloat16() round); too large for float16 → ±Inf; NaN stays a (quiet) NaN with its sign. The codec
// (codec.ts) widens both back to float32 exactly.
import type { Tensor } from '../generated/fspd/v1/Tensor.js';
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
  const halves = dtype === 'DATA_TYPE_FLOAT16' ? toFloat16(data) : toBfloat16(data);
  return { dtype, shape: [...shape], data: Buffer.from(halves.buffer, halves.byteOffset, halves.byteLength) };
}

/** IEEE binary16 bit patterns of `data`, round to nearest even. */
export function toFloat16(data: Float32Array): Uint16Array {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16Bits(bits[i]!);
  return out;
}

/** bfloat16 bit patterns (the upper half of a float32) of `data`, round to nearest even. */
export function toBfloat16(data: Float32Array): Uint16Array {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!;
    if ((b & 0x7fffffff) > 0x7f800000) out[i] = (b >>> 16) | 0x0040; // NaN: keep sign and payload top, make it quiet
    // Add just under half an ulp of the kept half, plus one when the kept half is odd: ties go to even.
    // Finite values carry into the exponent correctly (the largest round up to Inf). No uint32 overflow:
    // a non-NaN pattern is at most 0xff800000.
    else out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
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
