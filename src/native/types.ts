// The kernel interface shared by the native addon and the pure-TypeScript fallback.
// Shapes follow the layout: NHWC maps are [batch, height, width, channels], NCHW maps are
// [batch, channels, height, width]. FSP matrices are [batch, C1, C2] row-major float32.

export type Layout = 'NHWC' | 'NCHW';
export type Pooling = 'max' | 'avg';
/** paper: sum over matrix entries, mean over samples (docs/PAPER.md#reductions). mean: mean over entries and samples. */
export type Reduction = 'paper' | 'mean';

export interface FeatureMap {
  data: Float32Array;
  shape: readonly [number, number, number, number];
  layout: Layout;
}

/** G = firstᵀ·second / (h·w). When the maps differ in h×w both are pooled to (min h) × (min w). */
export interface FeaturePair {
  first: FeatureMap;
  second: FeatureMap;
}

/** The teacher side of a loss: feature pairs, or its FSP matrices (one [B, C1, C2] array per pair). */
export type Teacher = { pairs: readonly FeaturePair[] } | { matrices: readonly Float32Array[] };

export interface LossOptions {
  /** λ per pair; omitted or empty = all 1. */
  weights?: readonly number[];
  reduction?: Reduction; // default 'paper'
  pooling?: Pooling; // default 'max'
  returnGradients?: boolean; // default false
  /** Return the teacher's FSP matrices (only meaningful when the teacher is given as pairs). */
  returnTeacherMatrices?: boolean; // default false
  /**
   * With returnGradients: write the gradients into these arrays (one {first, second} per student pair, each
   * as long as its map) instead of new ones, and return them; e.g. a shared-memory region, or buffers reused
   * across steps. They must not overlap each other or any input (RangeError).
   */
  gradientsInto?: readonly PairGradients[];
}

export interface PairGradients {
  first: Float32Array; // dL/d(student first map), same shape and layout as that map
  second: Float32Array;
}

export interface LossResult {
  loss: number; // Σ pairLosses
  pairLosses: number[]; // λ_i · reduced squared distance of pair i
  gradients?: PairGradients[]; // present when returnGradients
  teacherMatrices?: Float32Array[]; // present when returnTeacherMatrices and the teacher came as pairs
}

/** Dimensions independent of layout. */
export interface MapDims {
  batch: number;
  height: number;
  width: number;
  channels: number;
}

/**
 * Computes on inputs that have already been validated (src/native/validate.ts). Implementations:
 * the native addon (cpu, later cuda) and the pure-TypeScript kernels (ts).
 */
export interface KernelBackend {
  readonly variant: 'cpu' | 'cuda' | 'ts';
  /** [B, C1, C2]; first and second have equal batch, height, width and layout. Written into `into` when given. */
  fspForward(first: FeatureMap, second: FeatureMap, into?: Float32Array): Float32Array;
  /** Gradients of both maps from dL/dG ([B, C1, C2]). */
  fspBackward(first: FeatureMap, second: FeatureMap, gradMatrices: Float32Array): PairGradients;
  /** Adaptive pooling to outHeight × outWidth (<= input's), PyTorch window rule. */
  poolTo(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling): FeatureMap;
  /** Gradient w.r.t. map from the gradient of poolTo's output. Max: first maximum in window order. */
  poolBackward(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling, gradOut: Float32Array): Float32Array;
  /** Fused loss; pairs with mismatched h×w are pooled with options.pooling. */
  fspLoss(student: readonly FeaturePair[], teacher: Teacher, options: LossOptions): LossResult;

  fspForwardAsync(first: FeatureMap, second: FeatureMap, into?: Float32Array): Promise<Float32Array>;
  fspBackwardAsync(first: FeatureMap, second: FeatureMap, gradMatrices: Float32Array): Promise<PairGradients>;
  poolToAsync(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling): Promise<FeatureMap>;
  poolBackwardAsync(map: FeatureMap, outHeight: number, outWidth: number, pooling: Pooling, gradOut: Float32Array): Promise<Float32Array>;
  fspLossAsync(student: readonly FeaturePair[], teacher: Teacher, options: LossOptions): Promise<LossResult>;

  /**
   * A zero-filled array of `length` floats to keep and pass as an output (fspForward's `into`, fspLoss's
   * gradientsInto) call after call. The native backend's come from its output pool: 64-byte aligned (huge
   * pages from 2 MiB), so the kernels write them with streaming stores, which they use only on aligned rows.
   */
  outputArray(length: number): Float32Array;

  /**
   * Whether two views share bytes, by their memory addresses: two SharedArrayBuffer objects can be one memory
   * (structuredClone or postMessage of one), which comparing buffers cannot tell. The addon's; the TS kernels
   * have none (their checks compare buffers only).
   */
  viewsOverlap?(a: ArrayBufferView, b: ArrayBufferView): boolean;
}

export function dimsOf(map: { shape: readonly number[]; layout: Layout }): MapDims {
  const [b, d1, d2, d3] = map.shape as [number, number, number, number];
  return map.layout === 'NHWC'
    ? { batch: b, height: d1, width: d2, channels: d3 }
    : { batch: b, channels: d1, height: d2, width: d3 };
}

export function shapeOf(dims: MapDims, layout: Layout): [number, number, number, number] {
  return layout === 'NHWC'
    ? [dims.batch, dims.height, dims.width, dims.channels]
    : [dims.batch, dims.channels, dims.height, dims.width];
}
