// The client's side of shared-memory tensors: a file in a directory the server also sees as its
// --shared-memory-dir (same host or same pod), mapped into this process. Tensors are written into it and
// sent as refs; FspLoss can write the gradients back into it (gradients_to), read here as views.
import fs from 'node:fs';
import path from 'node:path';
import type { SharedMemoryRef } from '../generated/fspd/v1/SharedMemoryRef.js';
import type { Tensor } from '../generated/fspd/v1/Tensor.js';
import { fileMapper } from '../native/index.js';
import { fromFloatTensor, type TensorFields } from './tensors.js';

export class SharedMemoryFile {
  /** The mapped bytes; what the server writes shows up here. */
  readonly bytes: Uint8Array;

  private constructor(
    /** The file's path. */
    readonly file: string,
    /** Name of the region on the server (register it with FspdClient.registerSharedMemory). */
    readonly region: string,
    bytes: ArrayBuffer,
  ) {
    this.bytes = new Uint8Array(bytes);
  }

  /**
   * Creates `dir/<region>` with `byteSize` bytes and maps it. Needs the native addon (it maps the file);
   * throws when it is not in use.
   *
   * The file must not exist (an EEXIST error otherwise): it may be the file of a registered region, whose
   * owner and the server map it, and truncating it would zero or cut off their data. `{ replace: true }`
   * takes over (truncates) an existing file instead: only for one left over, when no registered region uses
   * it (see FspdClient.listSharedMemory). When sizing or mapping fails, a file created here is deleted.
   */
  static create(dir: string, region: string, byteSize: number, options: { replace?: boolean } = {}): SharedMemoryFile {
    if (!Number.isSafeInteger(byteSize) || byteSize < 1) throw new RangeError(`byteSize: expected an integer >= 1, got ${byteSize}`);
    const map = fileMapper();
    if (!map) throw new Error('SharedMemoryFile: the native addon is not in use (FSPD_NATIVE=0 or not built), and it is what maps the file');
    const file = path.join(dir, region);
    let fd: number;
    let created = true;
    try {
      fd = fs.openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!options.replace) {
        throw Object.assign(
          new Error(`SharedMemoryFile: ${file} exists; it may be the file of a registered region (its data would be lost): choose another name, or pass { replace: true } to take over a left-over file no registered region uses`),
          { code: 'EEXIST', path: file },
        );
      }
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
      created = false;
    }
    try {
      try {
        fs.ftruncateSync(fd, byteSize);
      } finally {
        fs.closeSync(fd);
      }
      return new SharedMemoryFile(file, region, map(file, byteSize));
    } catch (err) {
      if (created) fs.rmSync(file, { force: true }); // a file taken over stays: it was there before
      throw err;
    }
  }

  /** Copies `data` in at `offset` (a multiple of 4) and returns a float32 Tensor message referring to it. */
  putFloat32(data: Float32Array, shape: readonly number[], offset: number): Tensor {
    if (offset % 4 !== 0) throw new RangeError(`offset: expected a multiple of 4, got ${offset}`);
    this.bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    return { dtype: 'DATA_TYPE_FLOAT32', shape: [...shape], sharedMemory: this.ref(offset) };
  }

  ref(offset: number): SharedMemoryRef {
    return { region: this.region, offset };
  }

  /**
   * A float32 view of a float32 response tensor that lies in this region (e.g. a gradient written by
   * gradients_to). It shares the region's memory: copy it before the next call overwrites it. Other dtypes
   * (TeacherFsp's float16 / bfloat16 matrices) throw: read those with readFloat32.
   */
  viewFloat32(tensor: TensorFields): Float32Array {
    if (String(tensor.dtype) !== 'DATA_TYPE_FLOAT32') throw new TypeError(`tensor: ${String(tensor.dtype)}, not DATA_TYPE_FLOAT32; read it with readFloat32 (a widened copy)`);
    const { offset, n } = this.locate(tensor, 4);
    return new Float32Array(this.bytes.buffer, this.bytes.byteOffset + offset, n);
  }

  /** The values of a float32, float16 or bfloat16 tensor that lies in this region, copied into a new Float32Array. */
  readFloat32(tensor: TensorFields): Float32Array {
    const dtype = String(tensor.dtype);
    const size = dtype === 'DATA_TYPE_FLOAT32' ? 4 : dtype === 'DATA_TYPE_FLOAT16' || dtype === 'DATA_TYPE_BFLOAT16' ? 2 : 0;
    if (!size) throw new TypeError(`tensor: ${dtype}, not a float32, float16 or bfloat16 tensor`);
    const { offset, n } = this.locate(tensor, size);
    const data = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + offset, n * size);
    return fromFloatTensor({ dtype: tensor.dtype, shape: tensor.shape, data }).data; // copies (and widens)
  }

  /** Where a tensor of `size`-byte elements lies in this region, checked to fit. */
  private locate(tensor: TensorFields, size: number): { offset: number; n: number } {
    const ref = tensor.sharedMemory;
    if (!ref || ref.region !== this.region) throw new RangeError(`tensor: not in shared-memory region '${this.region}'`);
    const n = tensor.shape.reduce((a, d) => a * Number(d), 1);
    const offset = Number(ref.offset);
    if (offset % size !== 0 || offset + n * size > this.bytes.byteLength) {
      throw new RangeError(`tensor: ${n * size} bytes at offset ${offset} do not fit region '${this.region}' of ${this.bytes.byteLength} bytes (or are not aligned to ${size})`);
    }
    return { offset, n };
  }

  /** Deletes the file (the mapping stays valid until collected). */
  remove(): void {
    fs.rmSync(this.file, { force: true });
  }
}
