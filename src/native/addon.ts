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
}

type NativeLossOptions = Required<Omit<LossOptions, 'weights'>> & { weights: readonly number[] };
interface RawLoss {
  (student: readonly FeaturePair[], teacherPairs: readonly FeaturePair[], teacherMatrices: readonly Float32Array[], options: NativeLossOptions, threads: number): LossResult;
}

/** The addon's exports, as native/binding/addon.cc defines them. */
export interface NativeAddon {
  fspForward(first: FeatureMap, second: FeatureMap, threads: number): Float32Array;
  fspForwardAsync(first: FeatureMap, second: FeatureMap, threads: number): Promise<Float32Array>;
  fspBackward(first: FeatureMap, second: FeatureMap, grad: Float32Array, threads: number): PairGradients;
  fspBackwardAsync(first: FeatureMap, second: FeatureMap, grad: Float32Array, threads: number): Promise<PairGradients>;
  poolTo(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling, threads: number): Float32Array;
  poolToAsync(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling, threads: number): Promise<Float32Array>;
  poolBackward(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling, grad: Float32Array, threads: number): Float32Array;
  poolBackwardAsync(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling, grad: Float32Array, threads: number): Promise<Float32Array>;
  fspLoss: RawLoss;
  fspLossAsync(...args: Parameters<RawLoss>): Promise<LossResult>;
  buildInfo(): BuildInfo;
  /** Float32 FMA throughput of this machine in GFLOP/s, measured with the kernels' SIMD level. */
  measureFmaPeak(threads: number, seconds: number): Promise<number>;
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
  };
  const pairs = 'pairs' in teacher ? teacher.pairs : [];
  const matrices = 'matrices' in teacher ? teacher.matrices : [];
  return [student, pairs, matrices, opts, 0];
}

/** `threads` <= 0 uses every hardware thread. */
export function addonBackend(addon: NativeAddon, threads: number): KernelBackend {
  const pooled = (map: FeatureMap, h: number, w: number, data: Float32Array): FeatureMap => ({
    data,
    shape: shapeOf({ ...dimsOf(map), height: h, width: w }, map.layout),
    layout: map.layout,
  });
  const loss = (s: readonly FeaturePair[], t: Teacher, o: LossOptions): Parameters<RawLoss> => {
    const args = lossArgs(s, t, o);
    args[4] = threads;
    return args;
  };
  return {
    variant: 'cpu',
    fspForward: (f, s) => addon.fspForward(f, s, threads),
    fspBackward: (f, s, g) => addon.fspBackward(f, s, g, threads),
    poolTo: (m, h, w, p) => pooled(m, h, w, addon.poolTo(m, h, w, p, threads)),
    poolBackward: (m, h, w, p, g) => addon.poolBackward(m, h, w, p, g, threads),
    fspLoss: (s, t, o) => addon.fspLoss(...loss(s, t, o)),
    fspForwardAsync: (f, s) => addon.fspForwardAsync(f, s, threads),
    fspBackwardAsync: (f, s, g) => addon.fspBackwardAsync(f, s, g, threads),
    poolToAsync: async (m, h, w, p) => pooled(m, h, w, await addon.poolToAsync(m, h, w, p, threads)),
    poolBackwardAsync: (m, h, w, p, g) => addon.poolBackwardAsync(m, h, w, p, g, threads),
    fspLossAsync: (s, t, o) => addon.fspLossAsync(...loss(s, t, o)),
  };
}
