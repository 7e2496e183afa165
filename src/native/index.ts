// Chooses the kernel implementation once per process:
//   FSPD_NATIVE=0        the pure-TypeScript kernels
//   otherwise            the native addon if it loads, else the TS kernels with one warning
//   FSPD_DEVICE          auto|cpu|cuda: auto takes the addon's CUDA kernels when it was built with them
//                        and a device is usable (said once, as a process warning), else its CPU kernels;
//                        cuda without a usable device throws here, with the CUDA runtime's reason
//   FSPD_THREADS         CPU threads for the native kernels, 1 .. 4096 (default: all hardware threads)
import type { KernelBackend } from './types.js';
import { addonBackend, addonPath, loadAddon, MAX_THREADS, type BuildInfo } from './addon.js';
import { tsKernels } from './ts-kernels.js';
import { validated } from './validate.js';

export interface NativeInfo {
  variant: 'cpu' | 'cuda' | 'ts';
  /** Why this variant was chosen. */
  reason: string;
  addonPath: string;
  /** The loader's error when the addon did not load. */
  loadError?: string;
  build?: BuildInfo;
  simd: string;
  threads: number;
  cudaCompiled: boolean;
  cudaDevices: number;
  /** e.g. ["NVIDIA H200 (sm_90, 143771 MiB)"] */
  cudaDeviceNames: string[];
  /** Why no CUDA device is used ('' when one is), e.g. the runtime's "cudaErrorInsufficientDriver: ...". */
  cudaReason: string;
}

interface Choice {
  kernels: KernelBackend;
  info: NativeInfo;
  /** The addon's file mapper, when the addon is in use. */
  mapFile?: (path: string, byteSize: number) => ArrayBuffer;
  /** Idle bytes the addon's output pool keeps (FSPD_OUTPUT_POOL_MB); 0 without the addon. */
  outputPoolLimitBytes: number;
  /** The addon's float32 → float16 / bfloat16 conversions, when the addon is in use. */
  halfConversions?: HalfConversions;
}

/** float32 → IEEE binary16 / bfloat16 bit patterns, round to nearest even. */
export interface HalfConversions {
  toFloat16(data: Float32Array): Uint16Array;
  toBfloat16(data: Float32Array): Uint16Array;
}

let choice: Choice | undefined;

/** The validated kernels this process uses. Throws when the environment asks for the impossible. */
export function getKernels(): KernelBackend {
  return choose().kernels;
}

export function nativeInfo(): NativeInfo {
  return choose().info;
}

/**
 * Maps a file's first byteSize bytes shared and read-write (zero-copy shared-memory tensors), or undefined
 * when the native addon is not in use (FSPD_NATIVE=0 or it did not load): callers then read and write
 * through the file.
 */
export function fileMapper(): ((path: string, byteSize: number) => ArrayBuffer) | undefined {
  return choose().mapFile;
}

/**
 * The native addon's float32 → float16 / bfloat16 conversions (SIMD), or undefined when the addon is not in
 * use: callers then convert in TypeScript (src/server/half-precision.ts), to the same bit patterns.
 */
export function nativeHalfConversions(): HalfConversions | undefined {
  return choose().halfConversions;
}

/** Idle bytes the native addon's output pool keeps (FSPD_OUTPUT_POOL_MB, read by the addon); 0 without the addon. */
export function outputPoolLimitBytes(): number {
  return choose().outputPoolLimitBytes;
}

/** For tests: pick again after changing FSPD_* variables. */
export function resetKernelChoice(): void {
  choice = undefined;
}

function choose(): Choice {
  choice ??= decide(process.env);
  return choice;
}

function decide(env: NodeJS.ProcessEnv): Choice {
  const device = env.FSPD_DEVICE ?? 'auto';
  if (!['auto', 'cpu', 'cuda'].includes(device)) throw new RangeError(`FSPD_DEVICE: expected auto, cpu or cuda, got ${device}`);
  const threads = parseThreads(env.FSPD_THREADS);
  const base = { addonPath, cudaCompiled: false, cudaDevices: 0, cudaDeviceNames: [] as string[], cudaReason: 'the native addon is not used' };

  if (env.FSPD_NATIVE === '0') {
    if (device === 'cuda') throw new Error('FSPD_DEVICE=cuda conflicts with FSPD_NATIVE=0 (the TypeScript kernels run on the CPU)');
    return ts({ ...base, reason: 'FSPD_NATIVE=0' });
  }

  let addon;
  try {
    addon = loadAddon();
  } catch (err) {
    const loadError = (err as Error).message.split('\n')[0]!;
    if (device === 'cuda') throw new Error(`FSPD_DEVICE=cuda but the native addon did not load: ${loadError}`);
    process.emitWarning(
      `fspd: native addon not loaded (${loadError}); using the pure-TypeScript kernels, which are much slower. ` +
        'Possible solutions: install CMake and a C++17 compiler, then `npm run build:native`; `npx fspd doctor` explains more.',
      { code: 'FSPD_NO_NATIVE' },
    );
    return ts({ ...base, reason: 'the native addon did not load', loadError });
  }

  const build = addon.buildInfo();
  const cudaDevices = build.cudaCompiled ? (build.cudaDevices ?? 0) : 0;
  const cudaReason = !build.cudaCompiled
    ? 'not compiled with CUDA'
    : cudaDevices > 0
      ? ''
      : build.cudaReason || 'no CUDA device found';
  const cudaUsable = build.cudaCompiled && cudaDevices > 0;
  if (device === 'cuda' && !build.cudaCompiled) {
    throw new Error('FSPD_DEVICE=cuda but this addon was built without CUDA (rebuild with nvcc available, FSPD_CUDA=ON)');
  }
  if (device === 'cuda' && !cudaUsable) {
    throw new Error(`FSPD_DEVICE=cuda but no CUDA device is usable: ${cudaReason}`);
  }
  const useCuda = cudaUsable && device !== 'cpu';
  const deviceName = build.cudaDeviceNames?.[0] ?? 'CUDA device 0';
  let reason: string;
  if (useCuda) {
    reason = device === 'cuda' ? `FSPD_DEVICE=cuda: ${deviceName}` : `CUDA device found: ${deviceName}`;
    if (device === 'auto') {
      process.emitWarning(`fspd: using the CUDA kernels on ${deviceName} (FSPD_DEVICE=auto; FSPD_DEVICE=cpu keeps them on the CPU)`, {
        code: 'FSPD_CUDA',
      });
    }
  } else if (device === 'cpu') {
    reason = 'FSPD_DEVICE=cpu';
  } else {
    reason = build.cudaCompiled ? `native addon loaded; no usable CUDA device (${cudaReason})` : 'native addon loaded; no CUDA in this build';
  }
  return {
    kernels: validated(addonBackend(addon, threads, useCuda ? 'cuda' : 'cpu')),
    mapFile: (path, byteSize) => addon.mapFile(path, byteSize),
    outputPoolLimitBytes: addon.outputPoolStats().limitBytes,
    halfConversions: { toFloat16: (data) => addon.toFloat16(data), toBfloat16: (data) => addon.toBfloat16(data) },
    info: {
      ...base,
      variant: useCuda ? 'cuda' : 'cpu',
      reason,
      build,
      simd: build.simd,
      threads: threads > 0 ? threads : build.threads,
      cudaCompiled: build.cudaCompiled,
      cudaDevices,
      cudaDeviceNames: build.cudaDeviceNames ?? [],
      cudaReason,
    },
  };
}

function ts(info: Omit<NativeInfo, 'variant' | 'simd' | 'threads'>): Choice {
  return { kernels: validated(tsKernels), info: { ...info, variant: 'ts', simd: 'none', threads: 1 }, outputPoolLimitBytes: 0 };
}

function parseThreads(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`FSPD_THREADS: expected a positive integer, got ${value}`);
  // The addon refuses more per call (each may start that many threads): say so at start, not at the first kernel.
  if (n > MAX_THREADS) throw new RangeError(`FSPD_THREADS: ${value} is more than the ${MAX_THREADS} threads a kernel call may use`);
  return n;
}
