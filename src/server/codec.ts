// Tensor messages ⇄ Float32Array. float32 data that is 4-byte aligned in the request buffer is viewed in
// place (no copy); the other dtypes are widened to float32. Errors name the request field.
import os from 'node:os';
import type { Tensor, Tensor__Output } from '../generated/fspd/v1/Tensor.js';
import { invalid, list } from './status.js';

// Tensor data is little-endian on the wire; viewing it as a typed array needs a little-endian host.
if (os.endianness() !== 'LE') throw new Error('fspd needs a little-endian host (Tensor data is little-endian)');

/** A decoded Tensor message; sharedMemory may be left out (it then counts as unset). */
export type TensorFields = Pick<Tensor__Output, 'dtype' | 'shape' | 'data'> & Partial<Pick<Tensor__Output, 'sharedMemory'>>;

export interface DecodedTensor {
  data: Float32Array;
  shape: number[];
}

/** Bytes per element of every DataType. */
export const ELEMENT_SIZES: Record<string, number> = {
  DATA_TYPE_FLOAT32: 4,
  DATA_TYPE_FLOAT16: 2,
  DATA_TYPE_BFLOAT16: 2,
  DATA_TYPE_UINT8: 1,
  DATA_TYPE_INT32: 4,
};

/** A float32-decodable tensor (float32, float16, bfloat16, uint8) as float32; `field` names it in errors. */
export function decodeFloatTensor(tensor: TensorFields | null | undefined, field: string): DecodedTensor {
  if (!tensor) throw invalid(`${field}: missing`);
  const dtype = String(tensor.dtype);
  // int32 is for class labels (sessions-data.ts), not for maps.
  const size = dtype === 'DATA_TYPE_INT32' ? undefined : ELEMENT_SIZES[dtype];
  if (size === undefined) {
    throw invalid(`${field}.dtype: expected DATA_TYPE_FLOAT32, DATA_TYPE_FLOAT16, DATA_TYPE_BFLOAT16 or DATA_TYPE_UINT8, got ${dtype}`);
  }
  // FspService resolves shared-memory refs into data first (shared-memory.ts), except those of an unknown
  // dtype (refused just above); other services take data only.
  if (tensor.sharedMemory) throw invalid(`${field}.shared_memory: this RPC takes tensor bytes in data; shared-memory tensors are for FspService`);
  const shape = tensor.shape.map((d, i) => {
    if (!Number.isSafeInteger(d) || d < 0) throw invalid(`${field}.shape[${i}]: expected an integer >= 0, got ${d}`);
    return d;
  });
  const elements = shape.reduce((a, b) => a * b, 1);
  const bytes = tensor.data;
  if (bytes.byteLength !== elements * size) {
    throw invalid(`${field}.data: ${bytes.byteLength} bytes, but shape ${list(shape)} of ${dtype} needs ${elements * size}`);
  }
  return { data: widen(dtype, bytes, elements), shape };
}

/** A float32 Tensor message whose data views `data` (no copy). */
export function encodeFloat32(data: Float32Array, shape: readonly number[]): Tensor {
  return { dtype: 'DATA_TYPE_FLOAT32', shape: [...shape], data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}

function widen(dtype: string, bytes: Buffer, n: number): Float32Array {
  switch (dtype) {
    case 'DATA_TYPE_FLOAT32': {
      const a = aligned(bytes, 4);
      return new Float32Array(a.buffer, a.byteOffset, n);
    }
    case 'DATA_TYPE_UINT8':
      return Float32Array.from(bytes);
    case 'DATA_TYPE_BFLOAT16': {
      // bfloat16 is the upper half of a float32.
      const half = halves(bytes, n);
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = half[i]! << 16;
      return new Float32Array(out.buffer);
    }
    default: {
      const half = halves(bytes, n);
      const table = float16Table();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = table[half[i]!]!;
      return out;
    }
  }
}

/** The bytes themselves when their offset is a multiple of `alignment`, else an aligned copy. */
function aligned(bytes: Buffer, alignment: number): Uint8Array {
  return bytes.byteOffset % alignment === 0 ? bytes : new Uint8Array(bytes);
}

function halves(bytes: Buffer, n: number): Uint16Array {
  const a = aligned(bytes, 2);
  return new Uint16Array(a.buffer, a.byteOffset, n);
}

let f16: Float32Array | undefined;

/** float32 value of every float16 bit pattern (256 KiB, built on first use): one lookup per element. */
function float16Table(): Float32Array {
  if (f16) return f16;
  f16 = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    f16[h] =
      exponent === 0
        ? sign * mantissa * 2 ** -24 // subnormal
        : exponent === 31
          ? mantissa === 0
            ? sign * Infinity
            : NaN
          : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return f16;
}
