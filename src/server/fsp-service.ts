// FspService: decode and validate (fsp-request.ts), compute with src/fsp's async functions (the kernels
// run on the libuv pool, so health checks and other calls keep being answered), encode.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { computeFspAsync, computeFspLossAsync } from '../fsp/index.js';
import type { ComputeFspRequest__Output } from '../generated/fspd/v1/ComputeFspRequest.js';
import type { ComputeFspResponse } from '../generated/fspd/v1/ComputeFspResponse.js';
import type { FspLossRequest__Output } from '../generated/fspd/v1/FspLossRequest.js';
import type { FspLossResponse } from '../generated/fspd/v1/FspLossResponse.js';
import type { FspServiceHandlers } from '../generated/fspd/v1/FspService.js';
import { encodeFloat32 } from './codec.js';
import { checkComputePair, decodeLossRequest, decodePair, encodeGradients, matrixShape, poolingOf } from './fsp-request.js';
import { invalid, RpcError, unary } from './status.js';

export const FSP_SERVICE = 'fspd.v1.FspService';

export function fspServiceHandlers(log: Logger): FspServiceHandlers {
  return {
    ComputeFsp: unary(log, computeFsp),
    FspLoss: unary(log, fspLoss),
    // Needs server-held teacher models (ModelService); wired when the model registry exists.
    TeacherFsp: unary(log, async () => {
      throw new RpcError(grpc.status.UNIMPLEMENTED, 'TeacherFsp: this server holds no teacher models yet (ModelService is not served); send teacher feature pairs or teacher_matrices to FspLoss instead');
    }),
  };
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
