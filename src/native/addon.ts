// The native addon (build/Release/fspd.node, built by cmake-js) as a KernelBackend.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FeatureMap, FeaturePair, KernelBackend, LossOptions, LossResult, PairGradients, Pooling, Teacher } from './types.js';
import { dimsOf, shapeOf } from './types.js';

export const addonPath = fileURLToPath(new URL('../../build/Release/fspd.node', import.meta.url));

export interface BuildInfo {
  version: string;
  compiler: string;
  simd: 'avx512' | 'avx2' | 'portable';
  threads: number;
  cudaCompiled: boolean;
  /** Usable CUDA devices (0 when not compiled, no GPU, or no/old driver; cudaReason says why). */
  cudaDevices: number;
  /** One entry per device, e.g. "NVIDIA H200 (sm_90, 143771 MiB)". */
  cudaDeviceNames: string[];
  /** Why cudaDevices is 0, from the CUDA runtime (e.g. "cudaErrorInsufficientDriver: ..."); '' otherwise. */
  cudaReason: string;
  cudaRuntimeVersion: number;
  cudaDriverVersion: number;
}

/** Where the addon runs a kernel: its CPU kernels or its CUDA kernels (device 0). */
export type Device = 'cpu' | 'cuda';

/** Teacher FSP matrices resident on the GPU (cudaUploadTeacher); freed when garbage-collected. */
export interface CudaTeacherHandle {
  readonly __fspdCudaTeacher: unique symbol;
}

type NativeLossOptions = Required<Omit<LossOptions, 'weights' | 'gradientsInto'>> & { weights: readonly number[]; gradientsInto?: readonly PairGradients[] };
interface RawLoss {
  (
    student: readonly FeaturePair[],
    teacherPairs: readonly FeaturePair[],
    teacherMatrices: readonly Float32Array[] | CudaTeacherHandle,
    options: NativeLossOptions,
    threads: number,
    device?: Device,
  ): LossResult;
}

/** The addon's exports, as native/binding/addon.cc defines them. */
export interface NativeAddon {
  // `device` defaults to 'cpu'; 'cuda' throws at once when the addon has no usable CUDA device.
  /** `into`: the caller's output array, written in place and returned; else a new one. */
  fspForward(first: FeatureMap, second: FeatureMap, threads: number, device?: Device, into?: Float32Array): Float32Array;
  fspForwardAsync(first: FeatureMap, second: FeatureMap, threads: number, device?: Device, into?: Float32Array): Promise<Float32Array>;
  fspBackward(first: FeatureMap, second: FeatureMap, grad: Float32Array, threads: number, device?: Device): PairGradients;
  fspBackwardAsync(first: FeatureMap, second: FeatureMap, grad: Float32Array, threads: number, device?: Device): Promise<PairGradients>;
  poolTo(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling, threads: number, device?: Device): Float32Array;
  poolToAsync(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling, threads: number, device?: Device): Promise<Float32Array>;
  poolBackward(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling, grad: Float32Array, threads: number, device?: Device): Float32Array;
  poolBackwardAsync(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling, grad: Float32Array, threads: number, device?: Device): Promise<Float32Array>;
  fspLoss: RawLoss;
  fspLossAsync(...args: Parameters<RawLoss>): Promise<LossResult>;
  /** Uploads teacher matrices ([batch, c1, c2] each) to the GPU once, for fspLoss(..., handle, ..., 'cuda'). */
  cudaUploadTeacher(matrices: readonly Float32Array[], shapes: readonly (readonly [number, number, number])[]): CudaTeacherHandle;
  cudaUploadTeacherAsync(matrices: readonly Float32Array[], shapes: readonly (readonly [number, number, number])[]): Promise<CudaTeacherHandle>;
  buildInfo(): BuildInfo;
  /** Float32 FMA throughput of this machine in GFLOP/s, measured with the kernels' SIMD level. */
  measureFmaPeak(threads: number, seconds: number): Promise<number>;
  /** The first byteSize bytes of a file, mapped shared and read-write (POSIX); unmapped when collected. */
  mapFile(path: string, byteSize: number): ArrayBuffer;
  /** The output pool: returned arrays reuse the memory of collected ones (native/binding/output_pool.h). */
  outputPoolStats(): OutputPoolStats;
  /** Frees the pool's idle blocks. */
  outputPoolTrim(): void;
  /** A zero-filled Float32Array from the output pool, to keep and pass as an output (KernelBackend.outputArray). */
  outputArray(length: number): Float32Array;
  /** IEEE binary16 bit patterns of `data`'s values, round to nearest even (fspd/fsp.h: to_float16). */
  toFloat16(data: Float32Array): Uint16Array;
  /** bfloat16 bit patterns of `data`'s values, round to nearest even (fspd/fsp.h: to_bfloat16). */
  toBfloat16(data: Float32Array): Uint16Array;
  /** Whether two typed arrays (or DataViews) share bytes, by their data addresses (KernelBackend.viewsOverlap). */
  viewsOverlap(a: ArrayBufferView, b: ArrayBufferView): boolean;
}

/** The most CPU threads a kernel call may ask for: the addon refuses more (native/binding/convert.h). */
export const MAX_THREADS = 4096;

export interface OutputPoolStats {
  /** Outputs served from an idle block / from new memory / as plain V8 arrays (pool off or at its limit). */
  hits: number;
  misses: number;
  bypassed: number;
  idleBytes: number;
  idleBlocks: number;
  /** Most idle bytes kept: FSPD_OUTPUT_POOL_MB (default 256; 0 turns the pool off). */
  limitBytes: number;
  /** Pooled outputs not yet collected; at most 2 × limitBytes. */
  liveBytes: number;
}

/** Throws with the loader's message when the addon is missing or does not load. */
export function loadAddon(path = addonPath): NativeAddon {
  return createRequire(import.meta.url)(path) as NativeAddon;
}

function lossArgs(student: readonly FeaturePair[], teacher: Teacher, options: LossOptions): Parameters<RawLoss> {
  const opts: NativeLossOptions = {
    weights: options.weights ?? [],
    reduction: options.reduction ?? 'paper',
    pooling: options.pooling ?? 'max',
    returnGradients: options.returnGradients ?? false,
    returnTeacherMatrices: options.returnTeacherMatrices ?? false,
    ...(options.gradientsInto ? { gradientsInto: options.gradientsInto } : {}),
  };
  const pairs = 'pairs' in teacher ? teacher.pairs : [];
  const matrices = 'matrices' in teacher ? teacher.matrices : [];
  return [student, pairs, matrices, opts, 0];
}

/** `threads`: 0 uses every hardware thread, else 1 .. MAX_THREADS (CPU kernels); `device` picks the addon's CPU or CUDA kernels. */
export function addonBackend(addon: NativeAddon, threads: number, device: Device = 'cpu'): KernelBackend {
  const pooled = (map: FeatureMap, h: number, w: number, data: Float32Array): FeatureMap => ({
    data,
    shape: shapeOf({ ...dimsOf(map), height: h, width: w }, map.layout),
    layout: map.layout,
  });
  const loss = (s: readonly FeaturePair[], t: Teacher, o: LossOptions): Parameters<RawLoss> => {
    const args = lossArgs(s, t, o);
    args[4] = threads;
    args[5] = device;
    return args;
  };
  return {
    variant: device,
    fspForward: (f, s, into) => addon.fspForward(f, s, threads, device, into),
    fspBackward: (f, s, g) => addon.fspBackward(f, s, g, threads, device),
    poolTo: (m, h, w, p) => pooled(m, h, w, addon.poolTo(m, h, w, p, threads, device)),
    poolBackward: (m, h, w, p, g) => addon.poolBackward(m, h, w, p, g, threads, device),
    fspLoss: (s, t, o) => addon.fspLoss(...loss(s, t, o)),
    fspForwardAsync: (f, s, into) => addon.fspForwardAsync(f, s, threads, device, into),
    fspBackwardAsync: (f, s, g) => addon.fspBackwardAsync(f, s, g, threads, device),
    poolToAsync: async (m, h, w, p) => pooled(m, h, w, await addon.poolToAsync(m, h, w, p, threads, device)),
    poolBackwardAsync: (m, h, w, p, g) => addon.poolBackwardAsync(m, h, w, p, g, threads, device),
    fspLossAsync: (s, t, o) => addon.fspLossAsync(...loss(s, t, o)),
    outputArray: (length) => addon.outputArray(length),
    viewsOverlap: (a, b) => addon.viewsOverlap(a, b),
  };
}
