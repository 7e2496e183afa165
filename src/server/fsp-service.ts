// FspService: decode and validate (fsp-request.ts), compute with src/fsp's async functions (the kernels
// run on the libuv pool, so health checks and other calls keep being answered), encode. TeacherFsp runs a
// registry model (ModelService) on the images, synchronously (a forward pass), and caches each sample's
// matrices by sample id in a TeacherFspCache shared by all TeacherFsp calls.
import * as grpc from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import type { Logger } from 'pino';
import { computeFspAsync, computeFspLossAsync } from '../fsp/index.js';
import type { ComputeFspRequest__Output } from '../generated/fspd/v1/ComputeFspRequest.js';
import type { ComputeFspResponse } from '../generated/fspd/v1/ComputeFspResponse.js';
import type { FspLossRequest__Output } from '../generated/fspd/v1/FspLossRequest.js';
import type { FspLossResponse } from '../generated/fspd/v1/FspLossResponse.js';
import type { FspServiceHandlers } from '../generated/fspd/v1/FspService.js';
import type { TeacherFspRequest__Output } from '../generated/fspd/v1/TeacherFspRequest.js';
import type { TeacherFspResponse } from '../generated/fspd/v1/TeacherFspResponse.js';
import type { TapPair } from '../models/index.js';
import { teacherFspMatrices, type TeacherFspCache } from '../training/index.js';
import { decodeFloatTensor, encodeFloat32 } from './codec.js';
import { checkComputePair, decodeLossRequest, decodePair, encodeGradients, matrixShape, poolingOf } from './fsp-request.js';
import type { ModelRegistry } from './registry.js';
import { invalid, RpcError, unary } from './status.js';

export const FSP_SERVICE = 'fspd.v1.FspService';

/** Where TeacherFsp finds its teachers and keeps their matrices. */
export interface TeacherSource {
  registry: ModelRegistry;
  cache: TeacherFspCache;
  /** Samples served from the cache / computed, per call (metrics). */
  onLookup?: (hits: number, misses: number) => void;
}

export function fspServiceHandlers(log: Logger, teachers?: TeacherSource): FspServiceHandlers {
  return {
    ComputeFsp: unary(log, computeFsp),
    FspLoss: unary(log, fspLoss),
    TeacherFsp: unary(log, async (request: TeacherFspRequest__Output) => {
      if (!teachers) throw new RpcError(grpc.status.UNIMPLEMENTED, 'TeacherFsp: this server holds no teacher models; send teacher feature pairs or teacher_matrices to FspLoss instead');
      return teacherFsp(request, teachers);
    }),
  };
}

async function teacherFsp(request: TeacherFspRequest__Output, { registry, cache, onLookup }: TeacherSource): Promise<TeacherFspResponse> {
  const model = registry.get(request.modelId);
  const { data, shape } = decodeFloatTensor(request.images, 'images');
  const [h, w, c] = model.inputShape;
  if (shape.length !== 4 || shape[0]! < 1 || shape[1] !== h || shape[2] !== w || shape[3] !== c) {
    throw invalid(`images.shape: [${shape.join(', ')}] does not fit model '${model.id}', which takes [batch >= 1, ${h}, ${w}, ${c}] (NHWC)`);
  }
  const batch = shape[0]!;
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
  const images = tf.tensor4d(data, shape as [number, number, number, number]);
  try {
    // The key names this model object at this revision of its weights, the pairs and the pooling.
    const teacherKey = `model:${model.id}#${model.uid}@${model.revision}/${pooling}/${pairs.map((p) => p.join('-')).join(',')}`;
    const r = teacherFspMatrices(
      { ...model.tapped, pairs },
      { images, ...(request.sampleIds.length ? { ids: request.sampleIds } : {}) },
      { cache, teacherKey, pooling },
    );
    onLookup?.(r.hits, request.sampleIds.length ? r.misses : 0);
    return { matrices: r.matrices.map((m, i) => encodeFloat32(m, [batch, ...r.dims[i]!])), cacheHits: r.hits };
  } finally {
    images.dispose();
  }
}

async function computeFsp(request: ComputeFspRequest__Output): Promise<ComputeFspResponse> {
  if (request.pairs.length === 0) throw invalid('pairs: expected at least one feature pair');
  const pooling = poolingOf(request.pooling);
  const pairs = request.pairs.map((p, i) => decodePair(p, `pairs[${i}]`));
  pairs.forEach((p, i) => checkComputePair(p, `pairs[${i}]`));
  const matrices = await Promise.all(pairs.map((p) => computeFspAsync(p, pooling)));
  return { matrices: matrices.map((m, i) => encodeFloat32(m, matrixShape(pairs[i]!))) };
}

async function fspLoss(request: FspLossRequest__Output): Promise<FspLossResponse> {
  const { student, teacher, options } = decodeLossRequest(request);
  const result = await computeFspLossAsync(student, teacher, options);
  return {
    loss: result.loss,
    pairLosses: result.pairLosses,
    studentGradients: result.gradients?.map((g, i) => encodeGradients(g, student[i]!)) ?? [],
    teacherMatrices: result.teacherMatrices?.map((m, i) => encodeFloat32(m, matrixShape(student[i]!))) ?? [],
  };
}
