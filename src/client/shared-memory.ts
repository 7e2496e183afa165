// The client's side of shared-memory tensors: a file in a directory the server also sees as its
// --shared-memory-dir (same host or same pod), mapped into this process. Tensors are written into it and
// sent as refs; FspLoss can write the gradients back into it (gradients_to), read here as views.
import fs from 'node:fs';
import path from 'node:path';
import type { SharedMemoryRef } from '../generated/fspd/v1/SharedMemoryRef.js';
import type { Tensor } from '../generated/fspd/v1/Tensor.js';
import { fileMapper } from '../native/index.js';
import type { TensorFields } from './tensors.js';

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
   * Creates (or truncates) `dir/<region>` with `byteSize` bytes and maps it. Needs the native addon (it
   * maps the file); throws when it is not in use.
   */
  static create(dir: string, region: string, byteSize: number): SharedMemoryFile {
    const map = fileMapper();
    if (!map) throw new Error('SharedMemoryFile: the native addon is not in use (FSPD_NATIVE=0 or not built), and it is what maps the file');
    const file = path.join(dir, region);
    const fd = fs.openSync(file, 'w+', 0o600);
    try {
      fs.ftruncateSync(fd, byteSize);
    } finally {
      fs.closeSync(fd);
    }
    return new SharedMemoryFile(file, region, map(file, byteSize));
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
   * A float32 view of a response tensor that lies in this region (e.g. a gradient written by gradients_to).
   * It shares the region's memory: copy it before the next call overwrites it.
   */
  viewFloat32(tensor: TensorFields): Float32Array {
    const ref = tensor.sharedMemory;
    if (!ref || ref.region !== this.region) throw new RangeError(`tensor: not in shared-memory region '${this.region}'`);
    const n = tensor.shape.reduce((a, d) => a * Number(d), 1);
    return new Float32Array(this.bytes.buffer, this.bytes.byteOffset + Number(ref.offset), n);
  }

  /** Deletes the file (the mapping stays valid until collected). */
  remove(): void {
    fs.rmSync(this.file, { force: true });
  }
}
