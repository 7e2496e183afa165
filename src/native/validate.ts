// Argument checks at the kernel boundary, sharp-style: every error names the argument and says what
// was expected, so the kernels (native or TS) only ever see well-formed input. This is the one place the
// input rules are stated: the native binding checks only types and lengths against declared shapes (memory
// safety, native/binding/convert.h), and the C++ core re-checks the rules as the last line of defence.
// TypeError: the wrong kind of value. RangeError: the right kind with a wrong size or value.
import { types } from 'node:util';
import type { FeatureMap, FeaturePair, KernelBackend, LossOptions, PairGradients, Pooling, Teacher } from './types.js';
import { dimsOf, type MapDims } from './types.js';

export function checkMap(value: unknown, name: string): MapDims {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${name}: expected a feature map {data, shape, layout}`);
  const map = value as Partial<FeatureMap>;
  if (map.layout !== 'NHWC' && map.layout !== 'NCHW') {
    throw new RangeError(`${name}.layout: expected 'NHWC' or 'NCHW', got ${String(map.layout)}`);
  }
  if (!Array.isArray(map.shape) || map.shape.length !== 4) {
    throw new TypeError(`${name}.shape: expected 4 dimensions ${map.layout === 'NHWC' ? '[batch, height, width, channels]' : '[batch, channels, height, width]'}`);
  }
  map.shape.forEach((d, i) => checkPositiveInt(d, `${name}.shape[${i}]`));
  if (!(map.data instanceof Float32Array)) {
    throw new TypeError(`${name}.data: expected a Float32Array, got ${describe(map.data)}`);
  }
  checkFixedBuffer(map.data, `${name}.data`);
  const expected = map.shape.reduce((a, b) => a * b, 1);
  if (map.data.length !== expected) {
    throw new RangeError(`${name}.data: length ${map.data.length} does not match shape [${map.shape.join(', ')}] (${expected} elements)`);
  }
  return dimsOf(map as FeatureMap);
}

/** A pair whose maps may differ in h×w (pooled) but not in batch or layout. */
export function checkPair(value: unknown, name: string): { first: MapDims; second: MapDims } {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${name}: expected a pair {first, second}`);
  const pair = value as Partial<FeaturePair>;
  const first = checkMap(pair.first, `${name}.first`);
  const second = checkMap(pair.second, `${name}.second`);
  if (pair.first!.layout !== pair.second!.layout) {
    throw new RangeError(`${name}.second.layout: ${pair.second!.layout} differs from ${name}.first.layout ${pair.first!.layout}`);
  }
  if (first.batch !== second.batch) {
    throw new RangeError(`${name}.second.shape: batch ${second.batch} differs from ${name}.first batch ${first.batch}`);
  }
  const elements = first.batch * first.channels * second.channels;
  if (elements > MAX_OUTPUT_ELEMENTS) {
    throw new RangeError(
      `${name}: its FSP matrices [${first.batch}, ${first.channels}, ${second.channels}] would have ${elements} elements, more than the ${MAX_OUTPUT_ELEMENTS} an output array holds`,
    );
  }
  return { first, second };
}

/** The most float32 elements one output (a Float32Array the kernels fill) may have: the native binding's limit. */
export const MAX_OUTPUT_ELEMENTS = 2 ** 32 - 1;

export function checkPositiveInt(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name}: expected a positive integer, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name}: expected a positive integer, got ${value}`);
  return value;
}

export function checkPooling(value: unknown, name = 'pooling'): Pooling {
  if (value !== 'max' && value !== 'avg') throw new RangeError(`${name}: expected 'max' or 'avg', got ${String(value)}`);
  return value;
}

/**
 * Kernels read and write arrays in place, async ones on another thread: a buffer that shrinks meanwhile
 * (a resizable ArrayBuffer's resize) would leave them reading or writing freed memory.
 */
function checkFixedBuffer(array: Float32Array, name: string): void {
  if ((array.buffer as { resizable?: boolean }).resizable === true) {
    throw new TypeError(`${name}: its ArrayBuffer is resizable (it could shrink under a running kernel); copy it into a fixed-length one`);
  }
}

function checkFloat32(value: unknown, name: string, length: number, shape: string): Float32Array {
  if (!(value instanceof Float32Array)) throw new TypeError(`${name}: expected a Float32Array ${shape}, got ${describe(value)}`);
  checkFixedBuffer(value, name);
  if (value.length !== length) throw new RangeError(`${name}: length ${value.length}, expected ${length} for ${shape}`);
  return value;
}

function checkSameSize(first: MapDims, second: MapDims) {
  if (first.height !== second.height || first.width !== second.width) {
    throw new RangeError(
      `second.shape: spatial size ${second.height}x${second.width} differs from first's ${first.height}x${first.width} ` +
        '(pool one to the other first; fspMatrix and fspLoss do it for you)',
    );
  }
}

function checkOutSize(map: MapDims, outHeight: unknown, outWidth: unknown) {
  const h = checkPositiveInt(outHeight, 'outHeight');
  const w = checkPositiveInt(outWidth, 'outWidth');
  if (h > map.height || w > map.width) {
    throw new RangeError(`outHeight x outWidth: ${h}x${w} exceeds the map's ${map.height}x${map.width} (pooling only shrinks)`);
  }
}

/** Compares two views' bytes by memory address (the addon's viewsOverlap). */
type ByAddress = (a: ArrayBufferView, b: ArrayBufferView) => boolean;

/** `byAddress`: the backend's viewsOverlap, for the overlap checks (see overlaps). */
export function checkLoss(
  student: unknown,
  teacher: unknown,
  options: unknown,
  byAddress?: ByAddress,
): Required<Omit<LossOptions, 'weights' | 'gradientsInto'>> & { weights: number[]; gradientsInto?: readonly PairGradients[] } {
  if (!Array.isArray(student) || student.length === 0) throw new TypeError('student: expected a non-empty array of feature pairs');
  const dims = student.map((p, i) => checkPair(p, `student[${i}]`));
  // The pairs come from one batch of samples: the loss averages over that batch.
  dims.forEach(({ first }, i) => {
    if (first.batch !== dims[0]!.first.batch) {
      throw new RangeError(`student[${i}].first.shape: batch ${first.batch} differs from student[0]'s batch ${dims[0]!.first.batch} (all pairs come from one batch of samples)`);
    }
  });
  if (typeof teacher !== 'object' || teacher === null) throw new TypeError('teacher: expected {pairs} or {matrices}');
  const t = teacher as Partial<{ pairs: unknown; matrices: unknown }>;
  if ((t.pairs === undefined) === (t.matrices === undefined)) throw new TypeError('teacher: expected exactly one of {pairs} or {matrices}');
  const list = (t.pairs ?? t.matrices) as unknown;
  const field = t.pairs !== undefined ? 'teacher' : 'teacherMatrices';
  if (!Array.isArray(list)) throw new TypeError(`${field}: expected an array`);
  if (list.length !== student.length) throw new RangeError(`${field}: ${list.length} entries for ${student.length} student pairs`);
  dims.forEach(({ first, second }, i) => {
    const shape = `[${first.batch}, ${first.channels}, ${second.channels}]`;
    if (t.pairs === undefined) {
      checkFloat32(list[i], `teacherMatrices[${i}]`, first.batch * first.channels * second.channels, shape);
      return;
    }
    const tp = checkPair(list[i], `teacher[${i}]`);
    if (tp.first.batch !== first.batch) throw new RangeError(`teacher[${i}].first.shape: batch ${tp.first.batch} differs from student[${i}] batch ${first.batch}`);
    if (tp.first.channels !== first.channels || tp.second.channels !== second.channels) {
      throw new RangeError(`teacher[${i}]: FSP matrix ${tp.first.channels}x${tp.second.channels} does not match student[${i}] ${first.channels}x${second.channels}`);
    }
  });

  const opts = (options ?? {}) as LossOptions;
  if (typeof opts !== 'object') throw new TypeError('options: expected an object');
  const weights = opts.weights === undefined || opts.weights.length === 0 ? student.map(() => 1) : [...opts.weights];
  if (weights.length !== student.length) throw new RangeError(`weights: ${weights.length} weights for ${student.length} pairs`);
  weights.forEach((w, i) => {
    if (typeof w !== 'number') throw new TypeError(`weights[${i}]: expected a number, got ${describe(w)}`);
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`weights[${i}]: expected a finite number >= 0, got ${w}`);
  });
  const reduction = opts.reduction ?? 'paper';
  if (reduction !== 'paper' && reduction !== 'mean') throw new RangeError(`reduction: expected 'paper' or 'mean', got ${String(reduction)}`);
  const into =
    opts.gradientsInto === undefined
      ? undefined
      : checkGradientsInto(opts.gradientsInto, student as FeaturePair[], teacher as Teacher, Boolean(opts.returnGradients), byAddress);
  return {
    weights,
    reduction,
    pooling: checkPooling(opts.pooling ?? 'max', 'pooling'),
    returnGradients: Boolean(opts.returnGradients),
    returnTeacherMatrices: Boolean(opts.returnTeacherMatrices),
    ...(into ? { gradientsInto: into } : {}),
  };
}

/** gradientsInto: one {first, second} of the student maps' lengths per pair, overlapping nothing else. */
function checkGradientsInto(into: unknown, student: FeaturePair[], teacher: Teacher, returnGradients: boolean, byAddress?: ByAddress): PairGradients[] {
  if (!returnGradients) throw new TypeError('gradientsInto: set only with returnGradients');
  if (!Array.isArray(into) || into.length !== student.length) throw new RangeError(`gradientsInto: expected one {first, second} per student pair (${student.length})`);
  const outputs = into.flatMap((g: Partial<PairGradients> | null, i) =>
    (['first', 'second'] as const).map((k) => checkFloat32(g?.[k], `gradientsInto[${i}].${k}`, student[i]![k].data.length, `[${student[i]![k].shape.join(', ')}]`)),
  );
  const inputs = lossInputs(student, teacher);
  outputs.forEach((out, i) => {
    const name = `gradientsInto[${i >> 1}].${i % 2 ? 'second' : 'first'}`;
    if (inputs.some((input) => overlaps(out, input, byAddress))) throw new RangeError(`${name}: overlaps an input array (the kernel reads the inputs while it writes)`);
    if (outputs.some((other, j) => j !== i && overlaps(out, other, byAddress))) throw new RangeError(`${name}: overlaps another gradientsInto array`);
  });
  return into as PairGradients[];
}

/** Every array fspLoss reads: the student maps, then the teacher's maps or matrices. */
export function lossInputs(student: readonly FeaturePair[], teacher: Teacher): Float32Array[] {
  return [
    ...student.flatMap((p) => [p.first.data, p.second.data]),
    ...('pairs' in teacher ? teacher.pairs.flatMap((p) => [p.first.data, p.second.data]) : teacher.matrices),
  ];
}

/**
 * Whether two views share bytes. Views of two SharedArrayBuffer objects can too: structuredClone or postMessage
 * of one gives another object over the same memory. `byAddress` (the addon's) tells those apart; without it
 * (the TS kernels) such views count as apart. Two ArrayBuffers made in JS never share memory; two made by the
 * addon's mapFile over one file do, at different addresses, which no check here can see (the server registers
 * a file once).
 */
export function overlaps(a: ArrayBufferView, b: ArrayBufferView, byAddress?: ByAddress): boolean {
  if (a.buffer === b.buffer) return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
  return byAddress !== undefined && types.isSharedArrayBuffer(a.buffer) && types.isSharedArrayBuffer(b.buffer) && byAddress(a, b);
}

/** Wraps a backend so every call is checked first. */
export function validated(backend: KernelBackend): KernelBackend {
  const byAddress = backend.viewsOverlap?.bind(backend);
  const forward = (first: FeatureMap, second: FeatureMap) => {
    const { first: a, second: b } = checkPair({ first, second }, 'pair');
    checkSameSize(a, b);
    return { a, b };
  };
  const forwardInto = (first: FeatureMap, second: FeatureMap, into: Float32Array | undefined) => {
    const { a, b } = forward(first, second);
    if (into === undefined) return;
    checkFloat32(into, 'into', a.batch * a.channels * b.channels, `[${a.batch}, ${a.channels}, ${b.channels}]`);
    if (overlaps(into, first.data, byAddress) || overlaps(into, second.data, byAddress)) throw new RangeError('into: overlaps an input array (the kernel reads the inputs while it writes)');
  };
  const outputLength = (length: number) => {
    checkPositiveInt(length, 'length');
    if (length > MAX_OUTPUT_ELEMENTS) throw new RangeError(`length: ${length} is more than the ${MAX_OUTPUT_ELEMENTS} elements an output array holds`);
    return length;
  };
  const backward = (first: FeatureMap, second: FeatureMap, grad: Float32Array) => {
    const { a, b } = forward(first, second);
    checkFloat32(grad, 'gradMatrices', a.batch * a.channels * b.channels, `[${a.batch}, ${a.channels}, ${b.channels}]`);
  };
  const pool = (map: FeatureMap, h: number, w: number, pooling: Pooling) => {
    const dims = checkMap(map, 'map');
    checkOutSize(dims, h, w);
    checkPooling(pooling);
    return dims;
  };
  const poolBack = (map: FeatureMap, h: number, w: number, pooling: Pooling, grad: Float32Array) => {
    const dims = pool(map, h, w, pooling);
    checkFloat32(grad, 'gradOut', dims.batch * dims.channels * h * w, `[${dims.batch}, ${dims.channels}, ${h}, ${w}] in the map's layout`);
  };
  const loss = (student: readonly FeaturePair[], teacher: Teacher, options: LossOptions): LossOptions => checkLoss(student, teacher, options, byAddress);
  return {
    variant: backend.variant,
    fspForward: (f, s, into) => (forwardInto(f, s, into), backend.fspForward(f, s, into)),
    fspBackward: (f, s, g) => (backward(f, s, g), backend.fspBackward(f, s, g)),
    poolTo: (m, h, w, p) => (pool(m, h, w, p), backend.poolTo(m, h, w, p)),
    poolBackward: (m, h, w, p, g) => (poolBack(m, h, w, p, g), backend.poolBackward(m, h, w, p, g)),
    fspLoss: (s, t, o) => backend.fspLoss(s, t, loss(s, t, o)),
    fspForwardAsync: async (f, s, into) => (forwardInto(f, s, into), backend.fspForwardAsync(f, s, into)),
    fspBackwardAsync: async (f, s, g) => (backward(f, s, g), backend.fspBackwardAsync(f, s, g)),
    poolToAsync: async (m, h, w, p) => (pool(m, h, w, p), backend.poolToAsync(m, h, w, p)),
    poolBackwardAsync: async (m, h, w, p, g) => (poolBack(m, h, w, p, g), backend.poolBackwardAsync(m, h, w, p, g)),
    fspLossAsync: async (s, t, o) => backend.fspLossAsync(s, t, loss(s, t, o)),
    outputArray: (length) => backend.outputArray(outputLength(length)),
    ...(byAddress ? { viewsOverlap: byAddress } : {}),
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an Array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value;
}
