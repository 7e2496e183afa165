// Tensor messages ⇄ typed arrays for clients: float32 feature maps and images, int32 or uint8 labels.
import type { Batch } from '../generated/fspd/v1/Batch.js';
import type { DataType } from '../generated/fspd/v1/DataType.js';
import type { Tensor, Tensor__Output } from '../generated/fspd/v1/Tensor.js';

/** A decoded Tensor message; sharedMemory may be left out (it then counts as unset). */
export type TensorFields = Pick<Tensor__Output, 'dtype' | 'shape' | 'data'> & Partial<Pick<Tensor__Output, 'sharedMemory'>>;

export type TensorData = Float32Array | Int32Array | Uint8Array;

/** An array with its shape (row-major). */
export interface ShapedArray<T extends TensorData = TensorData> {
  data: T;
  shape: number[];
}

const DTYPES: Array<[new (...args: never[]) => TensorData, DataType]> = [
  [Float32Array, 'DATA_TYPE_FLOAT32'],
  [Int32Array, 'DATA_TYPE_INT32'],
  [Uint8Array, 'DATA_TYPE_UINT8'],
];

/**
 * A Tensor message over the array's bytes (no copy): Float32Array → FLOAT32, Int32Array → INT32,
 * Uint8Array → UINT8. Throws a RangeError when the shape does not hold exactly data.length elements.
 */
export function toTensor(data: TensorData, shape: readonly number[]): Tensor {
  const elements = shape.reduce((a, d) => {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`shape: expected integers >= 0, got [${shape.join(', ')}]`);
    return a * d;
  }, 1);
  if (elements !== data.length) throw new RangeError(`shape [${shape.join(', ')}] holds ${elements} elements, data has ${data.length}`);
  const dtype = DTYPES.find(([type]) => data instanceof type)?.[1];
  if (!dtype) throw new TypeError('data: expected a Float32Array, Int32Array or Uint8Array');
  return { dtype, shape: [...shape], data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * The values of a response Tensor, copied into a fresh typed array (so they outlive the message):
 * float32, float16 and bfloat16 as Float32Array, int32 as Int32Array, uint8 as Uint8Array.
 */
export function fromTensor(tensor: TensorFields | null | undefined): ShapedArray {
  if (!tensor) throw new TypeError('tensor: missing');
  if (tensor.sharedMemory) {
    const { region, offset } = tensor.sharedMemory;
    throw new TypeError(`tensor: its data lies in shared-memory region '${region}' at offset ${offset}; read it there (SharedMemoryFile.readFloat32, or viewFloat32 for float32 in place)`);
  }
  const shape = tensor.shape.map(Number);
  const n = shape.reduce((a, d) => a * d, 1);
  const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  const dtype = String(tensor.dtype);
  const size = dtype === 'DATA_TYPE_UINT8' ? 1 : dtype === 'DATA_TYPE_FLOAT16' || dtype === 'DATA_TYPE_BFLOAT16' ? 2 : 4;
  if (bytes.byteLength !== n * size) throw new RangeError(`tensor: ${bytes.byteLength} bytes for shape [${shape.join(', ')}] of ${dtype}`);
  switch (dtype) {
    case 'DATA_TYPE_FLOAT32': {
      const out = new Float32Array(n);
      new Uint8Array(out.buffer).set(bytes);
      return { data: out, shape };
    }
    case 'DATA_TYPE_INT32': {
      const out = new Int32Array(n);
      new Uint8Array(out.buffer).set(bytes);
      return { data: out, shape };
    }
    case 'DATA_TYPE_UINT8':
      return { data: Uint8Array.from(bytes), shape };
    case 'DATA_TYPE_BFLOAT16': {
      const half = new Uint16Array(n);
      new Uint8Array(half.buffer).set(bytes);
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = half[i]! << 16;
      return { data: new Float32Array(out.buffer), shape };
    }
    case 'DATA_TYPE_FLOAT16': {
      const half = new Uint16Array(n);
      new Uint8Array(half.buffer).set(bytes);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = float16(half[i]!);
      return { data: out, shape };
    }
    default:
      throw new TypeError(`tensor.dtype: ${dtype} is not a known data type`);
  }
}

/** The float32 values of a response Tensor (float types only). */
export function fromFloatTensor(tensor: TensorFields | null | undefined): ShapedArray<Float32Array> {
  const out = fromTensor(tensor);
  if (!(out.data instanceof Float32Array)) throw new TypeError(`tensor: expected a floating-point dtype, got ${String(tensor!.dtype)}`);
  return out as ShapedArray<Float32Array>;
}

/**
 * A Batch message: images [B, H, W, C] (NHWC; float32 normalised, or uint8), optional class ids (one per
 * image) and optional sample ids (the teacher-FSP cache keys).
 */
export function toBatch(images: ShapedArray<Float32Array | Uint8Array>, labels?: ArrayLike<number> | null, sampleIds?: readonly string[]): Batch {
  if (images.shape.length !== 4) throw new RangeError(`images.shape: expected [batch, height, width, channels], got [${images.shape.join(', ')}]`);
  const batch: Batch = { images: toTensor(images.data, images.shape) };
  if (labels) {
    const ids = labels instanceof Int32Array ? labels : Int32Array.from(labels);
    batch.labels = toTensor(ids, [ids.length]);
  }
  if (sampleIds) batch.sampleIds = [...sampleIds];
  return batch;
}

function float16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
