// FspService: decode and validate (fsp-request.ts), compute with src/fsp's async functions (the kernels
// run on the libuv pool, so health checks and other calls keep being answered), encode. TeacherFsp runs a
// registry model (ModelService) on the images, synchronously (a forward pass), and caches each sample's
// matrices by caller namespace and sample id in one TeacherFspCache (--teacher-cache-namespace); its answer
// names the model's content fingerprint (model-fingerprint.ts) for clients that keep matrices too. Tensors may lie in registered
// shared-memory regions (shared-memory.ts): they are resolved into views before decoding, and FspLoss
// writes gradients (gradients_to) and TeacherFsp matrices (matrices_to) into a region when asked to.
import * as grpc from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import type { Logger } from 'pino';
import { computeFspAsync, computeFspLossAsync } from '../fsp/index.js';
import { getKernels, outputPoolLimitBytes } from '../native/index.js';
import type { ComputeFspRequest__Output } from '../generated/fspd/v1/ComputeFspRequest.js';
import type { ComputeFspResponse } from '../generated/fspd/v1/ComputeFspResponse.js';
import type { FspLossRequest__Output } from '../generated/fspd/v1/FspLossRequest.js';
import type { FspLossResponse } from '../generated/fspd/v1/FspLossResponse.js';
import type { FspServiceHandlers } from '../generated/fspd/v1/FspService.js';
import type { TeacherFspRequest__Output } from '../generated/fspd/v1/TeacherFspRequest.js';
import type { TeacherFspResponse } from '../generated/fspd/v1/TeacherFspResponse.js';
import type { FeaturePair as PairMessage } from '../generated/fspd/v1/FeaturePair.js';
import type { SharedMemoryRef__Output } from '../generated/fspd/v1/SharedMemoryRef.js';
import type { Tensor } from '../generated/fspd/v1/Tensor.js';
import type { FeaturePair, LossOptions, Pooling, Teacher } from '../fsp/index.js';
import { lossInputs, overlaps } from '../native/validate.js';
import type { TapPair } from '../models/index.js';
import { tapChannels, teacherFspMatrices, UncachedSamplesError, type TeacherFspCache } from '../training/index.js';
import { decodeFloatTensor, encodeFloat32 } from './codec.js';
import { encodeFloat, floatDtypeOf, halvesOf, type FloatDtype } from './half-precision.js';
import { checkComputePair, decodeLossRequest, decodePair, encodeGradients, layoutEnum, matrixShape, poolingOf } from './fsp-request.js';
import { afterEncoding } from './inline-codec.js';
import { KeptArrays } from './kept-arrays.js';
import { modelFingerprint } from './model-fingerprint.js';
import type { ModelEntry, ModelRegistry } from './registry.js';
import { inlineSharedTensors, type RegionAccess, type SharedMemoryRegions } from './shared-memory.js';
import type { Admission } from './admission.js';
import { checkBatch, checkOutputElements } from './limits.js';
import { unary, type AnyCall } from './rpc.js';
import { failedPrecondition, invalid, list, RpcError } from './status.js';
import { forwardBytes, fspCallBytes } from './work-estimates.js';

export const FSP_SERVICE = 'fspd.v1.FspService';

/** Where TeacherFsp finds its teachers and keeps their matrices. */
export interface TeacherSource {
  registry: ModelRegistry;
  cache: TeacherFspCache;
  /** Samples served from the cache / computed, per call (metrics). */
  onLookup?: (hits: number, misses: number) => void;
  /**
   * The cache namespace of a call: entries are keyed by it, then by model and sample id, so callers with
   * different namespaces never see each other's entries (their sample ids may collide). Default: one.
   */
  namespace?: (call: grpc.ServerUnaryCall<unknown, unknown>) => string;
}

export function fspServiceHandlers(log: Logger, admission: Admission, teachers?: TeacherSource, regions?: SharedMemoryRegions): FspServiceHandlers {
  // Idle arrays kept for the next calls (kept-arrays.ts): FspLoss's gradients and TeacherFsp's matrices,
  // which their responses only borrow. Half the addon's output pool size, so FSPD_OUTPUT_POOL_MB bounds both
  // (0 keeps none).
  const kept = new KeptArrays((length) => getKernels().outputArray(length), outputPoolLimitBytes() / 2);
  // Every request's shared-memory tensors become views first (without regions, the codec refuses them), and
  // the call holds the regions it reads or writes until it ends: they cannot be unregistered under it.
  const withRegions = <T, C, R>(work: (request: T, call: C, regions: RegionAccess | undefined) => Promise<R>) => async (request: T, call: C) => {
    const scope = regions?.forCall();
    try {
      if (scope) inlineSharedTensors(request, scope);
      return await work(request, call, scope);
    } finally {
      scope?.release();
    }
  };
  return {
    ComputeFsp: unary(log, withRegions((request: ComputeFspRequest__Output, call, scope) => computeFsp(request, admission, call, scope))),
    FspLoss: unary(log, withRegions((request: FspLossRequest__Output, call, scope) => fspLoss(request, admission, call, kept, scope))),
    TeacherFsp: unary(log, withRegions(async (request: TeacherFspRequest__Output, call, scope) => {
      if (!teachers) throw new RpcError(grpc.status.UNIMPLEMENTED, 'TeacherFsp: this server holds no teacher models; send teacher feature pairs or teacher_matrices to FspLoss instead', { reason: 'FEATURE_DISABLED' });
      return teacherFsp(request, teachers, teachers.namespace?.(call) ?? '', admission, call, kept, scope);
    })),
  };
}

async function teacherFsp(
  request: TeacherFspRequest__Output,
  { registry, cache, onLookup }: TeacherSource,
  namespace: string,
  admission: Admission,
  call: AnyCall,
  kept: KeptArrays,
  regions?: RegionAccess,
): Promise<TeacherFspResponse> {
  const model = registry.get(request.modelId);
  const matricesDtype = floatDtypeOf(request.matricesDtype, 'matrices_dtype');
  // No images with sample ids: every sample must be cached (teacherFspMatrices checks; FAILED_PRECONDITION if not).
  const decoded = request.images || request.sampleIds.length === 0 ? decodeFloatTensor(request.images, 'images') : undefined;
  const shape = decoded?.shape ?? [request.sampleIds.length, ...model.inputShape];
  const [h, w, c] = model.inputShape;
  if (shape.length !== 4 || shape[0]! < 1 || shape[1] !== h || shape[2] !== w || shape[3] !== c) {
    throw invalid(`images.shape: ${list(shape)} does not fit model '${model.id}', which takes [batch >= 1, ${h}, ${w}, ${c}] (NHWC)`);
  }
  const batch = shape[0]!;
  checkBatch(admission.limits, batch, decoded ? 'images' : 'sample_ids');
  if (request.sampleIds.length !== 0 && request.sampleIds.length !== batch) {
    throw invalid(`sample_ids: ${request.sampleIds.length} ids for ${batch} images (one per image, or none)`);
  }
  const taps = model.tapped.taps.length;
  const pairs: TapPair[] =
    request.pairs.length === 0
      ? model.tapped.pairs
      : request.pairs.map((p, i) => {
          for (const k of ['first', 'second'] as const) {
            if (p[k] >= taps) throw invalid(`pairs[${i}].${k}: ${p[k]} is not a tap index of model '${model.id}' (0..${taps - 1})`);
          }
          return [p.first, p.second];
        });
  if (pairs.length === 0) throw invalid(`pairs: empty, and model '${model.id}' has no pairs of its own`);
  const pooling = poolingOf(request.pooling);
  const channels = tapChannels(model.tapped);
  const elements = batch * pairs.reduce((sum, [a, b]) => sum + channels[a]! * channels[b]!, 0);
  checkOutputElements(admission.limits, elements, 'pairs');
  const dims = pairs.map(([a, b]) => [channels[a]!, channels[b]!] as [number, number]);
  const out = request.matricesTo ? matrixSlots(request.matricesTo, batch, dims, matricesDtype, decoded?.data, regions) : undefined;
  const cost = { request: decoded ? ownBytes([decoded.data], regions) : 0, work: forwardBytes([model.tapped], batch) + fspCallBytes({ matrixElements: elements, inputBytes: 0 }), kind: 'tensors' as const };
  return admission.compute(call, 'TeacherFsp', cost, () => teacherMatrices(model, request, { decoded, shape, batch, pairs, pooling, matricesDtype, cache, namespace, kept, out, ...(onLookup ? { onLookup } : {}) }));
}

interface TeacherCall {
  decoded: ReturnType<typeof decodeFloatTensor> | undefined;
  shape: number[];
  batch: number;
  pairs: TapPair[];
  pooling: Pooling;
  matricesDtype: ReturnType<typeof floatDtypeOf>;
  cache: TeacherFspCache;
  /** The caller's cache namespace (TeacherSource.namespace). */
  namespace: string;
  /** Where the assembled matrices come from and go back to once the response no longer needs them. */
  kept: KeptArrays;
  /** matrices_to's slots, when the matrices go into a region. */
  out: ReturnType<typeof matrixSlots> | undefined;
  onLookup?: (hits: number, misses: number) => void;
}

/** The teacher's forward pass and matrices (checked and admitted by teacherFsp). */
function teacherMatrices(model: ModelEntry, request: TeacherFspRequest__Output, { decoded, shape, batch, pairs, pooling, matricesDtype, cache, namespace, kept, out, onLookup }: TeacherCall): TeacherFspResponse {
  // DeleteModel disposes the weights at once, also of a model that calls wait for.
  if (model.deleted) throw new RpcError(grpc.status.ABORTED, `model_id: model '${model.id}' was deleted while this call waited`, { reason: 'DELETED' });
  const images = decoded && tf.tensor4d(decoded.data, shape as [number, number, number, number]);
  // The matrices are assembled into kept arrays (no new external memory per call: kept-arrays.ts), given back
  // once the response's bytes are copied (float32, which the response views) or converted (half precision);
  // float32 matrices for a region are assembled in it.
  const taken: Float32Array[] = [];
  let pair = 0;
  const allocate = (length: number) => {
    const slot = out?.floats?.[pair++];
    if (slot) return slot;
    const array = kept.take(length);
    taken.push(array);
    return array;
  };
  let response: TeacherFspResponse | undefined;
  try {
    // The key names the caller's namespace, this model object at this revision of its weights, the pairs and
    // the pooling. JSON keeps the client-chosen parts apart (no separator inside a namespace can forge another).
    const teacherKey = JSON.stringify([namespace, `model:${model.id}#${model.uid}@${model.revision}/${pooling}/${pairs.map((p) => p.join('-')).join(',')}`]);
    const r = teacherFspMatrices(
      { ...model.tapped, pairs },
      { ...(images ? { images } : {}), ...(request.sampleIds.length ? { ids: request.sampleIds } : {}) },
      { cache, teacherKey, pooling, allocate },
    );
    onLookup?.(r.hits, request.sampleIds.length ? r.misses : 0);
    response = {
      matrices: out ? out.write(r.matrices) : r.matrices.map((m, i) => encodeFloat(m, [batch, ...r.dims[i]!], matricesDtype)),
      cacheHits: r.hits,
      modelFingerprint: modelFingerprint(model), // of the weights just used: both read in this one synchronous turn
    };
    return response;
  } catch (err) {
    if (err instanceof UncachedSamplesError) {
      throw failedPrecondition('SAMPLES_NOT_CACHED', `images: missing, and ${err.uncached} of ${err.batch} samples are not cached: send the images`, {
        metadata: { uncached: String(err.uncached), batch: String(err.batch) },
      });
    }
    throw err;
  } finally {
    images?.dispose();
    const giveBack = () => kept.give(taken);
    if (response && matricesDtype === 'DATA_TYPE_FLOAT32' && !out) afterEncoding(response, giveBack);
    else giveBack();
  }
}

async function computeFsp(request: ComputeFspRequest__Output, admission: Admission, call: AnyCall, regions?: RegionAccess): Promise<ComputeFspResponse> {
  if (request.pairs.length === 0) throw invalid('pairs: expected at least one feature pair');
  const pooling = poolingOf(request.pooling);
  const pairs = request.pairs.map((p, i) => decodePair(p, `pairs[${i}]`));
  pairs.forEach((p, i) => checkComputePair(p, `pairs[${i}]`));
  const elements = matrixElements(pairs);
  checkOutputElements(admission.limits, elements, 'pairs');
  const inputBytes = bytesOf(pairs);
  return admission.compute(call, 'ComputeFsp', { request: ownBytes(pairs.flatMap((p) => [p.first.data, p.second.data]), regions), work: fspCallBytes({ matrixElements: elements, inputBytes }), kind: 'host' }, async () => {
    // Every pair's kernel ends before the call does (it may read a held region), even when one fails early.
    const settled = await Promise.allSettled(pairs.map((p) => computeFspAsync(p, pooling)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const matrices = settled.map((r) => (r as PromiseFulfilledResult<Float32Array>).value);
    return { matrices: matrices.map((m, i) => encodeFloat32(m, matrixShape(pairs[i]!))) };
  });
}

/** Elements of the FSP matrices of `pairs` ([B, C1, C2] each). */
const matrixElements = (pairs: readonly FeaturePair[]) => pairs.reduce((sum, p) => sum + matrixShape(p).reduce((a, d) => a * d, 1), 0);

/** Bytes of `arrays` outside mapped shared-memory regions (those are the regions' reservations). */
const ownBytes = (arrays: readonly Float32Array[], regions?: RegionAccess) => arrays.reduce((sum, a) => sum + (regions?.holds(a) ? 0 : a.byteLength), 0);

/** Bytes of the maps of `pairs`. */
const bytesOf = (pairs: readonly FeaturePair[]) => pairs.reduce((sum, p) => sum + p.first.data.byteLength + p.second.data.byteLength, 0);

async function fspLoss(request: FspLossRequest__Output, admission: Admission, call: AnyCall, kept: KeptArrays, regions?: RegionAccess): Promise<FspLossResponse> {
  const { student, teacher, options } = decodeLossRequest(request);
  // The student's matrices, and the teacher's when it comes as feature maps.
  const byPairs = 'pairs' in teacher;
  const elements = matrixElements(student) * (byPairs ? 2 : 1);
  checkOutputElements(admission.limits, elements, byPairs ? 'student, teacher' : 'student');
  const out = request.gradientsTo ? gradientSlots(request.gradientsTo, student, teacher, options, regions) : undefined;
  const inputs = lossInputs(student, teacher);
  const inputBytes = inputs.reduce((sum, a) => sum + a.byteLength, 0);
  const gradientBytes = options.returnGradients && !out?.direct ? bytesOf(student) : 0;
  const cost = { request: ownBytes(inputs, regions), work: fspCallBytes({ matrixElements: elements, inputBytes, gradientBytes }), kind: 'host' as const };
  return admission.compute(call, 'FspLoss', cost, () => lossOf(student, teacher, options, out, kept));
}

/**
 * The loss, with gradients into the region's slots when `out` is set (checked and admitted by fspLoss), else
 * into kept arrays that the response borrows until it is encoded.
 */
async function lossOf(
  student: FeaturePair[],
  teacher: Teacher,
  options: LossOptions,
  out: ReturnType<typeof gradientSlots> | undefined,
  kept: KeptArrays,
): Promise<FspLossResponse> {
  // The kernel writes straight into the region unless the slots overlap an input (then: a copy after).
  const borrowed = options.returnGradients && !out ? student.map((p) => ({ first: kept.take(p.first.data.length), second: kept.take(p.second.data.length) })) : undefined;
  const giveBack = () => borrowed && kept.give(borrowed.flatMap((g) => [g.first, g.second]));
  const into = out?.direct ? out.pairs : borrowed;
  let result;
  try {
    result = await computeFspLossAsync(student, teacher, into ? { ...options, gradientsInto: into } : options);
  } catch (err) {
    giveBack();
    throw err;
  }
  if (out && !out.direct) {
    result.gradients!.forEach((g, i) => {
      out.pairs[i]!.first.set(g.first);
      out.pairs[i]!.second.set(g.second);
    });
  }
  out?.commit();
  const response: FspLossResponse = {
    loss: result.loss,
    pairLosses: result.pairLosses,
    studentGradients: out ? out.messages : (result.gradients?.map((g, i) => encodeGradients(g, student[i]!)) ?? []),
    teacherMatrices: result.teacherMatrices?.map((m, i) => encodeFloat32(m, matrixShape(student[i]!))) ?? [],
  };
  if (borrowed) afterEncoding(response, giveBack);
  return response;
}

/**
 * gradients_to: float32 slots in the region for every student gradient, packed in response order (each at a
 * multiple of 4), checked before any work; the response messages refer to them.
 */
function gradientSlots(target: SharedMemoryRef__Output, student: FeaturePair[], teacher: Teacher, options: LossOptions, regions?: RegionAccess) {
  if (!regions) throw invalid('gradients_to: shared memory is off on this server');
  if (!options.returnGradients) throw invalid('gradients_to: set only with return_gradients');
  const maps = student.flatMap((p) => [p.first, p.second]);
  const offsets = packedOffsets(Number(target.offset), maps.map((m) => m.data.byteLength));
  const slots = maps.map((m, i) => ({ ...regions.floatsForWrite({ region: target.region, offset: offsets[i]! }, m.data.length, 'gradients_to'), map: m, offset: offsets[i]! }));
  const inputs = lossInputs(student, teacher);
  const tensor = (i: number): Tensor => ({ dtype: 'DATA_TYPE_FLOAT32', shape: [...slots[i]!.map.shape], sharedMemory: { region: target.region, offset: slots[i]!.offset } });
  return {
    pairs: student.map((_, i) => ({ first: slots[2 * i]!.array, second: slots[2 * i + 1]!.array })),
    direct: !slots.some((s) => inputs.some((input) => overlaps(s.array, input))),
    commit: () => slots.forEach((s) => s.commit()),
    messages: student.map((p, i): PairMessage => ({ first: tensor(2 * i), second: tensor(2 * i + 1), layout: layoutEnum(p.first.layout) })),
  };
}

/**
 * matrices_to: a slot in the region for every pair's [B, C1, C2] matrices in `dtype`, packed in pair order (each at
 * a multiple of 4), checked before any work. float32 slots are handed to the assembly (`floats`); `write` puts
 * the assembled matrices there (converting half precision), commits, and gives the response's refs.
 */
function matrixSlots(target: SharedMemoryRef__Output, batch: number, dims: [number, number][], dtype: FloatDtype, images: Float32Array | undefined, regions?: RegionAccess) {
  if (!regions) throw invalid('matrices_to: shared memory is off on this server');
  const elementBytes = dtype === 'DATA_TYPE_FLOAT32' ? 4 : 2;
  const lengths = dims.map(([c1, c2]) => batch * c1 * c2);
  const offsets = packedOffsets(Number(target.offset), lengths.map((n) => n * elementBytes));
  const slots = lengths.map((n, i) => regions.bytesForWrite({ region: target.region, offset: offsets[i]! }, n * elementBytes, 'matrices_to'));
  // Cached samples' rows are written before the teacher reads the images of the others.
  if (images && slots.some((s) => overlaps(s.bytes, images))) throw invalid('matrices_to: the slots overlap images');
  const floats = dtype === 'DATA_TYPE_FLOAT32' ? slots.map((s, i) => new Float32Array(s.bytes.buffer, s.bytes.byteOffset, lengths[i]!)) : undefined;
  return {
    floats,
    write(matrices: Float32Array[]): Tensor[] {
      if (dtype !== 'DATA_TYPE_FLOAT32') {
        matrices.forEach((m, i) => {
          const halves = halvesOf(m, dtype);
          slots[i]!.bytes.set(new Uint8Array(halves.buffer, halves.byteOffset, halves.byteLength));
        });
      }
      slots.forEach((s) => s.commit());
      return dims.map((d, i) => ({ dtype, shape: [batch, ...d], sharedMemory: { region: target.region, offset: offsets[i]! } }));
    },
  };
}

/** Where each of `sizes` bytes starts when packed from `start`, each at a multiple of 4. */
function packedOffsets(start: number, sizes: number[]): number[] {
  let at = start;
  return sizes.map((size) => {
    const offset = Math.ceil(at / 4) * 4;
    at = offset + size;
    return offset;
  });
}
