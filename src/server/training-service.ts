// TrainingService: sessions (sessions.ts) over gRPC. Requests are validated here, at the edge, with
// errors naming the field (message conversion: training-messages.ts); the session manager and the
// trainer below trust what they get.
//
// Blocking: a step is synchronous tfjs work. TrainStep runs one; Train runs one per streamed batch; Run
// and Evaluate work in slices (one step, one evaluation batch) with an event-loop yield between slices,
// so health checks and other calls are answered between steps, never during one (see sessions.ts).
import * as grpc from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import type { Logger } from 'pino';
import { drawAug, type AugParams } from '../data/augment.js';
import type { Dataset } from '../data/index.js';
import { seededRandom } from '../data/rng.js';
import type { CreateSessionRequest__Output } from '../generated/fspd/v1/CreateSessionRequest.js';
import type { EvaluateRequest__Output } from '../generated/fspd/v1/EvaluateRequest.js';
import type { Evaluation } from '../generated/fspd/v1/Evaluation.js';
import type { RunRequest__Output } from '../generated/fspd/v1/RunRequest.js';
import type { RunResponse } from '../generated/fspd/v1/RunResponse.js';
import type { TrainingServiceHandlers } from '../generated/fspd/v1/TrainingService.js';
import type { TrainRequest__Output } from '../generated/fspd/v1/TrainRequest.js';
import type { TrainResponse } from '../generated/fspd/v1/TrainResponse.js';
import type { Admission } from './admission.js';
import { yieldToEventLoop } from './event-loop.js';
import { checkBatch } from './limits.js';
import type { ModelEntry, ModelRegistry } from './registry.js';
import { bidiStream, checkCall, messages, send, serverStream, unary, type AnyCall } from './rpc.js';
import { decodeBatch, type DatasetStore, type ResolvedDataset } from './sessions-data.js';
import type { Session, SessionManager, StepSummary } from './sessions.js';
import { failedPrecondition, invalid, quote, RpcError } from './status.js';
import { checkpointMessage, evaluationMessage, normalizeSpec, sessionMessage, stageEnum, stageOf, stepMessage } from './training-messages.js';
import { forwardBytes, trainStepBytes } from './work-estimates.js';

export const TRAINING_SERVICE = 'fspd.v1.TrainingService';

// Batch sizes when the request names none, capped at --max-batch.
const DEFAULT_RUN_BATCH = 128;
const DEFAULT_EVAL_BATCH = 256;

export interface TrainingContext {
  sessions: SessionManager;
  registry: ModelRegistry;
  datasets: DatasetStore;
  /** Batch limits, the memory budget and the kernel queue. */
  admission: Admission;
  log: Logger;
}

export function trainingServiceHandlers(ctx: TrainingContext): TrainingServiceHandlers {
  const { sessions, registry, log } = ctx;
  return {
    CreateSession: unary(log, async (request: CreateSessionRequest__Output) => {
      const spec = normalizeSpec(request.spec, registry, { logdir: sessions.logdir !== undefined });
      const stage = request.stage === 'STAGE_UNSPECIFIED' ? undefined : stageOf(request.stage, 'stage');
      const session = await sessions.create(request.sessionId, spec, stage);
      return { session: sessionMessage(session) };
    }),

    GetSession: unary(log, async (request) => ({ session: sessionMessage(sessions.get(request.sessionId)) })),

    ListSessions: unary(log, async () => ({ sessions: sessions.list().map(sessionMessage) })),

    DeleteSession: unary(log, async (request) => {
      await sessions.delete(request.sessionId);
      return {};
    }),

    TrainStep: unary(log, async (request, call) => {
      const session = sessions.get(request.sessionId);
      const batch = decodeBatch(request.batch, session.student, 'batch', session.stage === 'cross_entropy' && 'stage STAGE_CROSS_ENTROPY');
      checkBatch(ctx.admission.limits, batch.shape[0], 'batch.images');
      const holder = session.acquire('a TrainStep call');
      try {
        return await ctx.admission.compute(call, 'TrainStep', { request: batch.images.byteLength, work: stepBytes(session, batch.shape[0]), kind: 'tensors' }, async () => {
          checkCall(call);
          return { result: stepMessage(await sessions.step(session, batch)) };
        });
      } finally {
        session.release(holder);
      }
    }),

    Train: bidiStream(log, (call) => train(ctx, call)),

    Run: serverStream(log, (request, call) => run(ctx, request, call)),

    Evaluate: unary(log, (request, call) => evaluate(ctx, request, call)),

    SetStage: unary(log, async (request) => {
      const session = sessions.get(request.sessionId);
      if (request.stage === 'STAGE_UNSPECIFIED') throw invalid('stage: missing; STAGE_FSP or STAGE_CROSS_ENTROPY');
      const stage = stageOf(request.stage, 'stage');
      if (!Number.isSafeInteger(request.stageStep) || request.stageStep < 0) throw invalid(`stage_step: expected a step count, got ${request.stageStep}`);
      const holder = session.acquire('SetStage');
      try {
        await sessions.setStage(session, stage, request.stageStep);
      } finally {
        session.release(holder);
      }
      return { session: sessionMessage(session) };
    }),

    // No holder: a save may run during a Run or Train stream (between two of its steps).
    SaveCheckpoint: unary(log, async (request) => {
      const session = sessions.get(request.sessionId);
      return { checkpoint: checkpointMessage(await sessions.saveCheckpoint(session, request.checkpointId)) };
    }),

    RestoreCheckpoint: unary(log, async (request) => {
      const session = sessions.get(request.sessionId);
      const holder = session.acquire('RestoreCheckpoint');
      try {
        await sessions.restoreCheckpoint(session, request.checkpointId);
      } finally {
        session.release(holder);
      }
      return { session: sessionMessage(session) };
    }),
  };
}

/** Train: a step per streamed batch, a response per request, in order; the stream holds the session. */
async function train(ctx: TrainingContext, call: grpc.ServerDuplexStream<TrainRequest__Output, TrainResponse>): Promise<void> {
  let session: Session | undefined;
  let holder: ReturnType<Session['acquire']> | undefined;
  let index = 0;
  try {
    for await (const request of messages(call)) {
      if (!session) {
        if (request.sessionId === '') throw invalid('session_id: required in the first message of a Train stream');
        session = ctx.sessions.get(request.sessionId);
        holder = session.acquire('a Train stream');
      } else if (request.sessionId !== '' && request.sessionId !== session.id) {
        throw invalid(`session_id: message ${index} names session ${quote(request.sessionId)}, the stream is on '${session.id}'`);
      }
      stopIfAsked(holder!);
      checkCall(call);
      let batch: ReturnType<typeof decodeBatch>;
      try {
        batch = decodeBatch(request.batch, session.student, 'batch', session.stage === 'cross_entropy' && 'stage STAGE_CROSS_ENTROPY');
        checkBatch(ctx.admission.limits, batch.shape[0], 'batch.images');
      } catch (err) {
        throw index > 0 && err instanceof RpcError ? err.withNote(`in message ${index} of the stream`) : err;
      }
      // The stream holds the session, not a kernel slot: one step at a time, its working memory reserved.
      const working = ctx.admission.memory.reserve(stepBytes(session, batch.shape[0]), `a Train step of session '${session.id}' (estimated working memory)`, 'tensors');
      let result: StepSummary;
      try {
        result = await ctx.sessions.step(session, batch);
      } finally {
        working.release();
      }
      await send(call, { result: stepMessage(result) });
      await yieldToEventLoop();
      index++;
    }
    checkCall(call);
    if (holder) stopIfAsked(holder);
  } finally {
    if (session && holder) session.release(holder);
  }
}

/** Run: the server's own loop over a dataset, in slices of one step. */
async function run(ctx: TrainingContext, request: RunRequest__Output, call: grpc.ServerWritableStream<RunRequest__Output, RunResponse>): Promise<void> {
  const { sessions, datasets } = ctx;
  const session = sessions.get(request.sessionId);
  // The cheap checks first: a bad request loads no dataset.
  const { maxBatch } = ctx.admission.limits;
  const batchSize = request.batchSize === 0 ? Math.min(DEFAULT_RUN_BATCH, maxBatch) : request.batchSize;
  checkBatch(ctx.admission.limits, batchSize, 'batch_size');
  const evalBatch = Math.min(DEFAULT_EVAL_BATCH, maxBatch);
  if (!Number.isSafeInteger(request.steps) || request.steps < 0) throw invalid(`steps: expected a step count, got ${request.steps}`);
  const data = await datasets.resolve(request.dataset, 'dataset', 'train', session.student);
  const evalSpec = request.evaluateDataset ?? (request.dataset ? { ...request.dataset, split: 'SPLIT_TEST' as const, limit: 0, augment: false, _augment: 'augment' as const } : null);
  const evalData = await datasets.resolve(evalSpec, request.evaluateDataset ? 'evaluate_dataset' : 'dataset (its test split, for evaluation)', 'test', session.student);
  const progressEvery = request.progressEvery === 0 ? 10 : request.progressEvery;

  const holder = session.acquire('a Run stream');
  // A Run holds its session, not a kernel slot; its steps' and evaluations' working memory is reserved for its life.
  const working = (() => {
    try {
      const bytes = Math.max(stepBytes(session, batchSize), evaluationBytes(session, session.student, evalBatch));
      return ctx.admission.memory.reserve(bytes, `a Run of session '${session.id}' (estimated working memory)`, 'tensors');
    } catch (err) {
      session.release(holder);
      throw err;
    }
  })();
  try {
    const { trainer } = session;
    const stage = session.stage;
    const steps = request.steps === 0 ? trainer.remaining : request.steps;
    if (steps === 0) {
      throw failedPrecondition(
        'FAILED_PRECONDITION',
        `steps: 0 means "until the stage's schedule ends", and stage ${stageEnum(stage)} of session '${session.id}' ended at step ${trainer.schedule().total}; pass steps, or SetStage`,
      );
    }
    // Stage 1 draws un-augmented batches by default, so the teacher-FSP cache hits from the second epoch on.
    const augment = data.augment ?? stage !== 'fsp';
    const sampler = sessions.sampler(session, data.dataset, batchSize);
    const startEpoch = sampler.state().epoch;
    let window = { loss: 0, accuracy: 0, steps: 0, samples: 0, started: performance.now() };
    let last: StepSummary | undefined;
    let evaluatedAt = -1;
    const evaluateNow = async (done: number) => {
      const summary = await sessions.evaluate({ session }, evaluationBatches(evalData.dataset, evalBatch), () => {
        stopIfAsked(holder);
        checkCall(call);
      });
      evaluatedAt = done;
      await send(call, { evaluation: evaluationMessage(summary) });
    };

    for (let done = 0; done < steps; ) {
      stopIfAsked(holder);
      checkCall(call);
      const batch = sampler.next(augment);
      try {
        last = await sessions.stepOn(session, { images: batch.images, labels: batch.labels, ids: batch.ids, aug: batch.aug });
      } finally {
        batch.images.dispose();
      }
      session.runData = sampler.state();
      done++;
      window.loss += last.loss;
      window.accuracy += last.accuracy;
      window.steps++;
      window.samples += last.batchSize;
      if (done % progressEvery === 0 || done === steps) {
        const seconds = (performance.now() - window.started) / 1000;
        await send(call, {
          progress: {
            lastStep: stepMessage(last),
            stepsDone: done,
            stepsTotal: steps,
            epoch: sampler.state().epoch - startEpoch,
            meanLoss: window.loss / window.steps,
            meanAccuracy: window.accuracy / window.steps,
            samplesPerSecond: seconds > 0 ? window.samples / seconds : 0,
          },
        });
        window = { loss: 0, accuracy: 0, steps: 0, samples: 0, started: performance.now() };
      }
      if (request.evaluateEvery > 0 && done % request.evaluateEvery === 0) await evaluateNow(done);
      if (request.checkpointEvery > 0 && done % request.checkpointEvery === 0) {
        stopIfAsked(holder);
        await send(call, { checkpoint: checkpointMessage(await sessions.saveCheckpoint(session, '')) });
      }
      await yieldToEventLoop();
    }
    if (evaluatedAt !== steps) await evaluateNow(steps);
  } finally {
    working.release();
    session.release(holder);
  }
}

async function evaluate(ctx: TrainingContext, request: EvaluateRequest__Output, call: AnyCall): Promise<{ evaluation: Evaluation }> {
  const { sessions, registry, datasets } = ctx;
  let session: Session | undefined;
  let model: ModelEntry;
  if (request.target === 'sessionId') {
    session = sessions.get(request.sessionId!);
    model = session.student;
  } else if (request.target === 'modelId') {
    model = registry.get(request.modelId!);
  } else {
    throw invalid('target: missing; set session_id or model_id');
  }
  // batch_size is checked whenever it is set, also with a batch (whose own size then counts).
  if (request.batchSize !== 0) checkBatch(ctx.admission.limits, request.batchSize, 'batch_size');
  let batchSize = request.batchSize === 0 ? Math.min(DEFAULT_EVAL_BATCH, ctx.admission.limits.maxBatch) : request.batchSize;
  let source: { dataset: ResolvedDataset } | { batch: ReturnType<typeof decodeBatch> };
  if (request.data === 'dataset') {
    source = { dataset: await datasets.resolve(request.dataset, 'dataset', 'test', model) };
  } else if (request.data === 'batch') {
    source = { batch: decodeBatch(request.batch, model, 'batch', 'Evaluate') };
    batchSize = source.batch.shape[0];
    checkBatch(ctx.admission.limits, batchSize, 'batch.images');
  } else {
    throw invalid('data: missing; set dataset or batch');
  }

  const holder = session?.acquire('Evaluate');
  const cost = { request: 'batch' in source ? source.batch.images.byteLength : 0, work: evaluationBytes(session, model, batchSize), kind: 'tensors' as const };
  try {
    return await ctx.admission.compute(call, 'Evaluate', cost, () => evaluateOn(ctx, source, batchSize, session, model, holder, call));
  } finally {
    if (session && holder) session.release(holder);
  }
}

/** The evaluation itself (checked and admitted by evaluate; the caller holds the session). */
async function evaluateOn(
  { sessions }: TrainingContext,
  source: { dataset: ResolvedDataset } | { batch: ReturnType<typeof decodeBatch> },
  batchSize: number,
  session: Session | undefined,
  model: ModelEntry,
  holder: ReturnType<Session['acquire']> | undefined,
  call: AnyCall,
): Promise<{ evaluation: Evaluation }> {
  let single: tf.Tensor4D | undefined;
  try {
    let batches: Iterable<EvalBatch>;
    if ('dataset' in source) {
      batches = evaluationBatches(source.dataset.dataset, batchSize, source.dataset.augment === true);
    } else {
      const b = source.batch;
      single = tf.tensor4d(b.images, b.shape);
      batches = [{ images: single, labels: b.labels!, ...(b.ids ? { ids: b.ids } : {}) }];
    }
    const summary = await sessions.evaluate(session ? { session } : { model }, batches, () => {
      if (holder) stopIfAsked(holder);
      checkCall(call);
    });
    return { evaluation: evaluationMessage(summary) };
  } finally {
    // evaluate() disposes the batches it reached; a stopped call may not have reached this one.
    if (single && !single.isDisposed) single.dispose();
  }
}

/** Working memory of one training step of the session on `batch` samples (work-estimates.ts). */
function stepBytes(session: Session, batch: number): number {
  const teacher = session.stage === 'fsp' ? session.teacher?.tapped : undefined;
  return trainStepBytes(session.student.tapped, teacher, batch) + imageBytes(session.student, batch);
}

/** Working memory of one evaluation batch: the model's forward pass, and the session's teacher's. */
function evaluationBytes(session: Session | undefined, model: ModelEntry, batch: number): number {
  return forwardBytes([model.tapped, session?.teacher?.tapped], batch) + imageBytes(model, batch);
}

const imageBytes = (model: ModelEntry, batch: number) => 4 * batch * model.inputShape.reduce((a, d) => a * d, 1);

interface EvalBatch {
  images: tf.Tensor4D;
  labels: Int32Array;
  ids?: string[];
  aug?: AugParams[];
}

/** One ordered pass over a dataset, gathered lazily (a stopped evaluation creates no more tensors). */
function* evaluationBatches(dataset: Dataset, batchSize: number, augment = false): Generator<EvalBatch, void, undefined> {
  const random = seededRandom(0x5eed);
  for (let start = 0; start < dataset.size; start += batchSize) {
    const indices = Int32Array.from({ length: Math.min(batchSize, dataset.size - start) }, (_, k) => start + k);
    const aug = augment ? Array.from(indices, () => drawAug(random, dataset.defaultAugment)) : undefined;
    const b = dataset.gather(indices, aug);
    yield { images: b.images, labels: b.labels, ids: b.ids, ...(aug ? { aug } : {}) };
  }
}

function stopIfAsked(holder: { stop: AbortController }): void {
  if (holder.stop.signal.aborted) throw holder.stop.signal.reason as Error;
}

// ---- proto ⇄ records ----
