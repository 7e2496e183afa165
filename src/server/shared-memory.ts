// Shared-memory regions (SharedMemoryService): files under --shared-memory-dir that co-located clients
// write tensors into, so large FspLoss calls skip copying bytes through gRPC. With the native addon a
// region is mapped shared and read-write once, at registration (tensors are views, gradients are written
// straight into it); without the addon it is read and written through the file, which is correct but copies.
//
// Each region keeps its file open. A file is registered once (by device and inode): two names for one
// file would let gradients_to overwrite an input behind the overlap check, which compares regions by name.
// Before each use the file's size is checked again (fstat): a file truncated below the region gives
// FAILED_PRECONDITION instead of the SIGBUS that touching a mapped page past the end of a file raises.
// What remains: a truncation after that check, while a call is still reading or writing the region (the
// length of one FspLoss or ComputeFsp), still raises SIGBUS and ends the process. Clients must not shrink a
// registered file; unregister it first. A call holds every region it reads or writes until it ends (forCall),
// and unregistering a held region is refused (IN_USE): once an unregister succeeds, no call reads the file's
// pages or writes through its descriptor, so the file may be shrunk, and its descriptor number reused.
import fs from 'node:fs';
import path from 'node:path';
import { fileMapper } from '../native/index.js';
import type { SharedMemoryRef__Output } from '../generated/fspd/v1/SharedMemoryRef.js';
import { ELEMENT_SIZES } from './codec.js';
import type { MemoryBudget, Reservation } from './memory-budget.js';
import { alreadyExists, failedPrecondition, invalid, limitExceeded, notFound, quote } from './status.js';

export interface RegionInfo {
  name: string;
  /** The file's name in the shared-memory directory. */
  path: string;
  byteSize: number;
  /** Mapped in place (the addon) rather than read and written through the file. */
  zeroCopy: boolean;
}

/** How the bytes of one region are reached. */
interface Access {
  /** The region's file, open for its lifetime (size checks). */
  fd: number;
  /** read() returns views into the region (else copies). */
  mapped: boolean;
  /** Whether `buffer` is the region's mapped memory. */
  owns(buffer: ArrayBufferLike): boolean;
  read(offset: number, length: number): Uint8Array;
  write(offset: number, bytes: Uint8Array): void;
  close(): void;
}

type MapFile = (path: string, byteSize: number) => ArrayBuffer;

const NAME = /^[A-Za-z0-9._-]{1,128}$/;

interface Region {
  info: RegionInfo;
  access: Access;
  /** The file's identity (fileIdentity). */
  file: string;
  reservation?: Reservation;
  /** Calls holding the region (forCall). */
  users: number;
}

/** The reads and writes of tensors in regions that FspService's code makes. */
export interface RegionAccess {
  read(ref: SharedMemoryRef__Output, length: number, field: string): Uint8Array;
  floatsForWrite(ref: SharedMemoryRef__Output, n: number, field: string): { array: Float32Array; commit(): void };
  bytesForWrite(ref: SharedMemoryRef__Output, length: number, field: string): { bytes: Uint8Array; commit(): void };
  holds(view: ArrayBufferView): boolean;
}

/** One call's access to the regions: every region it reads or writes stays registered until release(). */
export interface CallRegions extends RegionAccess {
  release(): void;
}

export class SharedMemoryRegions implements RegionAccess {
  private readonly regions = new Map<string, Region>();
  private readonly root: string | undefined;

  private readonly maxRegions: number;
  private readonly mapFileOption: MapFile | null | undefined;
  private readonly memory: MemoryBudget | undefined;

  /**
   * `dir` unset = shared memory is off: registering fails with FAILED_PRECONDITION. `mapFile` defaults to
   * the addon's (fileMapper, asked at the first registration); null reads and writes through the file.
   * With `memory`, each region reserves its byte size while registered (its pages are the pod's memory).
   */
  constructor(dir: string | undefined, options: { maxRegions?: number; mapFile?: MapFile | null; memory?: MemoryBudget } = {}) {
    this.root = dir === undefined ? undefined : fs.realpathSync(dir);
    this.maxRegions = options.maxRegions ?? 64;
    this.mapFileOption = options.mapFile;
    this.memory = options.memory;
  }

  private get mapFile(): MapFile | undefined {
    return this.mapFileOption === null ? undefined : (this.mapFileOption ?? fileMapper());
  }

  register(name: string, fileName: string, byteSize: number): RegionInfo {
    if (this.root === undefined) {
      throw failedPrecondition('FEATURE_DISABLED', 'shared memory is off on this server: start fspd with --shared-memory-dir (e.g. /dev/shm/fspd)');
    }
    if (!NAME.test(name)) throw invalid(`name: expected 1..128 characters of [A-Za-z0-9._-], got ${quote(name)}`);
    if (this.regions.has(name)) throw alreadyExists('region', name, `name: region '${name}' is already registered; unregister it first`);
    if (this.regions.size >= this.maxRegions) throw limitExceeded('shared_memory_regions', '', `at most ${this.maxRegions} shared-memory regions; unregister one first`);
    if (!Number.isSafeInteger(byteSize) || byteSize < 1) throw invalid(`byte_size: expected an integer >= 1, got ${byteSize}`);
    const file = this.resolve(fileName);
    const size = fs.lstatSync(file).size;
    if (size < byteSize) throw invalid(`byte_size: ${byteSize}, but ${quote(fileName)} holds only ${size} bytes`);
    const mapFile = this.mapFile;
    const reservation = this.memory?.reserve(byteSize, `shared-memory region ${quote(name)}`);
    let access: Access;
    try {
      access = this.open(file, byteSize, mapFile);
    } catch (err) {
      reservation?.release();
      throw err;
    }
    const identity = fileIdentity(fs.fstatSync(access.fd));
    const other = [...this.regions.values()].find((r) => r.file === identity);
    if (other) {
      access.close();
      reservation?.release();
      throw alreadyExists(
        'region',
        other.info.name,
        `path: ${quote(fileName)} is the file of region '${other.info.name}' (registered as ${quote(other.info.path)}); a file is registered once: use offsets in that region`,
      );
    }
    const info: RegionInfo = { name, path: fileName, byteSize, zeroCopy: mapFile !== undefined };
    this.regions.set(name, { info, access, file: identity, users: 0, ...(reservation ? { reservation } : {}) });
    return info;
  }

  /** Refused (IN_USE, with a retry delay) while calls hold the region; `force` (shutdown) does not wait. */
  unregister(name: string, { force = false } = {}): void {
    const region = this.regions.get(name);
    if (!region) throw notFound('region', name, `name: no shared-memory region ${quote(name)}`);
    if (region.users > 0 && !force) {
      throw failedPrecondition('IN_USE', `name: region ${quote(name)} is in use by ${region.users} call${region.users === 1 ? '' : 's'} in flight; unregister it once they end`, {
        metadata: { resource: 'region', id: name, calls: String(region.users) },
        retryDelayMs: 50,
      });
    }
    this.regions.delete(name);
    region.access.close();
    region.reservation?.release();
  }

  list(): RegionInfo[] {
    return [...this.regions.values()].map((r) => r.info).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** `length` bytes at `ref`; a view into the region when it is mapped. `field` names the ref in errors. */
  read(ref: SharedMemoryRef__Output, length: number, field: string): Uint8Array {
    const { access, offset } = this.locate(ref, length, field);
    return access.read(offset, length);
  }

  /**
   * `n` float32 slots at `ref` (offset a multiple of 4) to write into: a view of the region when it is
   * mapped, else an array that `commit` writes through to the file.
   */
  floatsForWrite(ref: SharedMemoryRef__Output, n: number, field: string): { array: Float32Array; commit(): void } {
    if (Number(ref.offset) % 4 !== 0) throw invalid(`${field}.offset: ${ref.offset} is not a multiple of 4`);
    const { bytes, commit } = this.bytesForWrite(ref, n * 4, field);
    return { array: new Float32Array(bytes.buffer, bytes.byteOffset, n), commit };
  }

  /** `length` bytes at `ref` to write into, as floatsForWrite. */
  bytesForWrite(ref: SharedMemoryRef__Output, length: number, field: string): { bytes: Uint8Array; commit(): void } {
    const { access, offset } = this.locate(ref, length, field);
    if (access.mapped) return { bytes: access.read(offset, length), commit: () => undefined };
    const bytes = new Uint8Array(length);
    return { bytes, commit: () => access.write(offset, bytes) };
  }

  /** Whether `view` lies in a mapped region (its memory is the region's reservation, not the call's). */
  holds(view: ArrayBufferView): boolean {
    for (const r of this.regions.values()) if (r.access.owns(view.buffer)) return true;
    return false;
  }

  closeAll(): void {
    for (const name of [...this.regions.keys()]) this.unregister(name, { force: true });
  }

  /** Access for one call: the regions it reads or writes are held until `release()`, which the call runs when it ends. */
  forCall(): CallRegions {
    const held = new Set<Region>();
    const hold = <T>(ref: SharedMemoryRef__Output, result: T): T => {
      const region = this.regions.get(ref.region)!; // located just now
      if (!held.has(region)) {
        held.add(region);
        region.users++;
      }
      return result;
    };
    return {
      read: (ref, length, field) => hold(ref, this.read(ref, length, field)),
      floatsForWrite: (ref, n, field) => hold(ref, this.floatsForWrite(ref, n, field)),
      bytesForWrite: (ref, length, field) => hold(ref, this.bytesForWrite(ref, length, field)),
      holds: (view) => this.holds(view),
      release: () => {
        for (const region of held) region.users--;
        held.clear();
      },
    };
  }

  private locate(ref: SharedMemoryRef__Output, length: number, field: string): { access: Access; offset: number } {
    const region = this.regions.get(ref.region);
    if (!region) throw invalid(`${field}.region: no shared-memory region ${quote(ref.region)} (register it with SharedMemoryService)`);
    const offset = Number(ref.offset);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > region.info.byteSize) {
      throw invalid(`${field}.offset: ${length} bytes at offset ${ref.offset} do not fit region '${ref.region}' of ${region.info.byteSize} bytes`);
    }
    // Touching a mapped page past the end of the file would be SIGBUS (see the top of this file).
    const size = fs.fstatSync(region.access.fd).size;
    if (size < region.info.byteSize) {
      throw failedPrecondition(
        'FAILED_PRECONDITION',
        `${field}.region: the file of region '${ref.region}' shrank to ${size} bytes, below the ${region.info.byteSize} it was registered with; restore its size, or unregister and register it again`,
      );
    }
    return { access: region.access, offset };
  }

  /**
   * The path of file `name` directly in the root, refused unless it is a regular file there with one link.
   * Only plain names, no symlinks (checked here, and opened with O_NOFOLLOW), no hard links: whoever can
   * write into the directory cannot make fspd map a file elsewhere, even by swapping one in after the check
   * (the addon checks the link count of what it opened again).
   */
  private resolve(name: string): string {
    if (name === '' || name === '.' || name === '..' || /[\\/\0]/.test(name)) {
      throw invalid(`path: expected the name of a file directly in the shared-memory directory, got ${quote(name)}`);
    }
    const file = path.join(this.root!, name);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(file);
    } catch (err) {
      throw invalid(`path: ${quote(name)}: ${(err as NodeJS.ErrnoException).code ?? 'cannot stat it'}`);
    }
    if (!stat.isFile()) throw invalid(`path: ${quote(name)} is not a regular file (symlinks are refused) in the shared-memory directory`);
    if (stat.nlink !== 1) throw invalid(`path: ${quote(name)} has ${stat.nlink} hard links; expected a file with one`);
    return file;
  }

  /**
   * Opens the region's file (kept open: its size is checked before each use) and, with `mapFile`, maps it.
   * The addon maps by path, so the file it mapped must still be the one opened here: a file renamed into
   * the place in between is refused.
   */
  private open(file: string, byteSize: number, mapFile: MapFile | undefined): Access {
    const name = path.basename(file);
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NOFOLLOW);
    } catch (err) {
      throw invalid(`path: ${quote(name)}: ${(err as NodeJS.ErrnoException).code ?? 'cannot open it'}`);
    }
    const refuse = (message: string): never => {
      fs.closeSync(fd);
      throw invalid(message);
    };
    const opened = fs.fstatSync(fd);
    if (opened.nlink !== 1) refuse(`path: ${quote(name)} gained a hard link while being registered`);
    if (mapFile) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = new Uint8Array(mapFile(file, byteSize));
      } catch (err) {
        // e.g. a symlink or a second link swapped in since resolve() (the addon opens with O_NOFOLLOW).
        refuse(`path: ${(err as Error).message.replace(this.root! + path.sep, '')}`);
      }
      const now = fs.lstatSync(file, { throwIfNoEntry: false });
      if (!now || fileIdentity(now) !== fileIdentity(opened)) refuse(`path: ${quote(name)} was replaced while being registered`);
      return {
        fd,
        mapped: true,
        owns: (buffer) => bytes !== undefined && bytes.buffer === buffer,
        read: (offset, length) => bytes!.subarray(offset, offset + length),
        write: (offset, data) => bytes!.set(data, offset),
        close: () => {
          bytes = undefined; // unmapped once in-flight views are collected too
          fs.closeSync(fd);
        },
      };
    }
    return {
      fd,
      mapped: false,
      owns: () => false,
      read: (offset, length) => {
        const out = new Uint8Array(length);
        for (let done = 0; done < length; ) {
          const n = fs.readSync(fd, out, done, length - done, offset + done);
          if (n === 0) throw failedPrecondition('FAILED_PRECONDITION', `shared-memory file ${quote(name)} shrank below ${offset + length} bytes`);
          done += n;
        }
        return out;
      },
      write: (offset, data) => {
        for (let done = 0; done < data.byteLength; ) done += fs.writeSync(fd, data, done, data.byteLength - done, offset + done);
      },
      close: () => fs.closeSync(fd),
    };
  }
}


interface TensorLike {
  dtype: unknown;
  shape: number[];
  data: Buffer;
  sharedMemory: SharedMemoryRef__Output | null;
}

const isTensor = (value: object): value is TensorLike => 'sharedMemory' in value && 'dtype' in value && 'data' in value;
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Gives every Tensor in a decoded request that refers to shared memory its bytes as `data` (a view when the
 * region is mapped), so the codec reads it like any other tensor. Errors name the field
 * (`student[0].first.shared_memory.offset`). Buffers are not walked into.
 */
export function inlineSharedTensors(message: unknown, regions: RegionAccess, field = ''): void {
  if (message === null || typeof message !== 'object' || Buffer.isBuffer(message)) return;
  if (Array.isArray(message)) {
    message.forEach((item, i) => inlineSharedTensors(item, regions, `${field}[${i}]`));
    return;
  }
  if (isTensor(message) && message.sharedMemory) {
    const size = ELEMENT_SIZES[String(message.dtype)];
    if (size === undefined) return; // the codec names the bad dtype
    if (message.data.byteLength > 0) throw invalid(`${field}: set data or shared_memory, not both`);
    const elements = message.shape.reduce((a, d, i) => {
      if (!Number.isSafeInteger(d) || d < 0) throw invalid(`${field}.shape[${i}]: expected an integer >= 0, got ${d}`);
      return a * d;
    }, 1);
    const bytes = regions.read(message.sharedMemory, elements * size, `${field}.shared_memory`);
    message.data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    message.sharedMemory = null;
    return;
  }
  for (const [key, value] of Object.entries(message)) {
    if (value !== null && typeof value === 'object') inlineSharedTensors(value, regions, field ? `${field}.${snake(key)}` : snake(key));
  }
}

/** Device and inode: the same file whatever its name. */
const fileIdentity = (stat: fs.Stats) => `${stat.dev}:${stat.ino}`;
