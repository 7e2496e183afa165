// Training sessions behind TrainingService: one Trainer (src/training) per session over models of the
// registry, steps on client batches, Run's server-side loop, evaluation, stage changes and checkpoints,
// and persistence across restarts.
//
// Two locks per session: the holder (one TrainStep, Train or Run stream, Evaluate, SetStage or
// RestoreCheckpoint at a time; another caller gets FAILED_PRECONDITION at once) and the state mutex
// (every step, save, restore, stage change and the deletion queue on it, so a SaveCheckpoint called during
// a Run, or eight at once, runs between two steps, and session.json is never written by two at a time).
//
// Stages: the proto's STAGE_FSP is the trainer's 'fsp' (stage 1), STAGE_CROSS_ENTROPY its 'cross_entropy' (stage 2);
// every name of a stage is in src/training/stage.ts's STAGE_NAMES.
// A session always trains its student; to train a teacher, make it the student of a session without a
// teacher (stage 2 only), then use it as the teacher of another session.
//
// Event loop: a training step is synchronous tfjs work (about 1 s for a ResNet-26 batch of 128 on the
// CPU), during which this process answers nothing, health checks included. Run and Evaluate therefore work
// in slices of one step (one evaluation batch) with a setImmediate yield between slices, so health checks
// and other calls are answered at least between steps; a single step is never interrupted. Cancellation,
// deadlines, DeleteSession and shutdown take effect at the next slice boundary; every tensor a step
// creates is disposed before it returns, so a stopped call leaves no tensors behind.
//
// On disk (<dir>/<session id>/): session.json (the spec with defaults filled in, the stage, the
// checkpoint list and which checkpoint to resume from) and one <checkpoint id>.ckpt per checkpoint
// (src/training's format: the student's weights, optimiser state, counters, and the position of the last
// Run's data stream), each written atomically (src/io/atomic-write.ts). The teacher is a registry model
// other sessions may share: checkpoints neither hold nor restore its weights. Shutdown checkpoints every
// session; start() brings each back from the checkpoint it last saved or restored (after the registry
// brought back the models). A crash (SIGKILL, power loss) loses the steps after that checkpoint. A session
// directory start() cannot restore is kept, and its id stays taken.
import { randomInt } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import type { Logger } from 'pino';
import type { AugParams, Dataset } from '../data/index.js';
import { removeStaleTemps, writeFileAtomic } from '../io/atomic-write.js';
import { computeFspLoss, type FeatureMap, type Pooling, type Reduction } from '../fsp/index.js';
import type { TapPair, TappedModel } from '../models/index.js';
import {
  BatchSampler,
  evaluateBatch,
  STAGE_NAMES,
  readCheckpointFile,
  StageError,
  TeacherFspCache,
  teacherFspMatrices,
  Trainer,
  writeCheckpointFile,
  type SamplerState,
  type Schedule,
  type Stage,
  type StepResult,
  type TrainerState,
} from '../training/index.js';
import { storedStageName } from '../training/stage.js';
import { openScalarWriter, stepScalars, type ScalarWriter } from '../report/tensorboard.js';
import { yieldToEventLoop } from './event-loop.js';
import { mib } from './limits.js';
import type { MemoryBudget, Reservation } from './memory-budget.js';
import { ID_PATTERN, type ModelEntry, type ModelRegistry } from './registry.js';
import type { DecodedBatch } from './sessions-data.js';
import { Mutex } from './mutex.js';
import { alreadyExists, failedPrecondition, invalid, limitExceeded, notFound, quote, RpcError } from './status.js';

export type SessionStage = 'fsp' | 'cross_entropy';

/** A session's checkpoints hold and restore its student only (the teacher belongs to the registry). */
const STUDENT_ONLY = { models: ['student'] } as const;

/** A learning-rate schedule as the proto has it: rates and the stage step where each ends. */
export interface ScheduleRecord {
  learningRates: number[];
  untilSteps: number[];
}

/** SessionSpec with every default filled in (JSON-able: it is saved in session.json). */
export interface SessionSpecRecord {
  studentModelId: string;
  /** '' = none. */
  teacherModelId: string;
  /** Indices into the student's and the teacher's taps; empty without a teacher. */
  pairs: { student: TapPair; teacher: TapPair }[];
  /** λ per pair (one per pair). */
  weights: number[];
  reduction: Reduction;
  pooling: Pooling;
  optimizer: { kind: 'sgd'; momentum: number; weightDecay: number };
  fspSchedule: ScheduleRecord;
  crossEntropySchedule: ScheduleRecord;
  cacheTeacherFsp: boolean;
  seed: number;
  /** Stage 2 with Hinton KD; null (or absent, in session files written before it existed) = none. */
  distillation?: { temperature: number; alpha: number } | null;
  /** Write TensorBoard event files (under the manager's logdir); absent in older session files = false. */
  tensorboard?: boolean;
}

export interface CheckpointRecord {
  checkpointId: string;
  step: number;
  stage: SessionStage;
  stageStep: number;
  createTime: string;
  sizeBytes: number;
}

interface SessionFile {
  version: 1;
  sessionId: string;
  createTime: string;
  spec: SessionSpecRecord;
  /** The stage when the file was written (used when there is no checkpoint to resume from). */
  stage: SessionStage;
  /** Oldest first. */
  checkpoints: CheckpointRecord[];
  /**
   * The checkpoint a restart resumes from: the last one saved or restored (null: none yet). Absent in files
   * written before it existed: the last of `checkpoints`.
   */
  resumeCheckpointId?: string | null;
}

/** What a step did, in the proto's terms. */
export interface StepSummary {
  step: number;
  stage: SessionStage;
  stageStep: number;
  loss: number;
  pairLosses: number[];
  accuracy: number;
  learningRate: number;
  cacheHits: number;
  seconds: number;
  batchSize: number;
}

export interface EvaluationSummary {
  step: number;
  stage: SessionStage | null;
  samples: number;
  accuracy: number;
  crossEntropy: number;
  fspLoss: number;
}

/** Who holds a session, and how to make them stop. */
interface Holder {
  what: string;
  stop: AbortController;
}

export class Session {
  readonly trainer: Trainer;
  readonly cache: TeacherFspCache | null;
  holder: Holder | null = null;
  /** Serialises steps, saves, restores, stage changes and deletion (see the top of this file). */
  readonly state = new Mutex();
  lastStep: StepSummary | null = null;
  checkpoints: CheckpointRecord[] = [];
  /** The checkpoint the session's state last came from or went to (saved or restored): where a restart resumes. */
  resumeCheckpointId: string | null = null;
  /** TensorBoard scalars of this session's steps and evaluations, when its spec asks and the server has a logdir. */
  tb: ScalarWriter | null = null;
  /** Position of the last Run's data stream: a Run over the same data continues from it. */
  runData: SamplerState | null = null;
  /** Teacher-FSP samples served from the cache / computed, over the session's life in this process. */
  cacheHits = 0;
  cacheMisses = 0;
  /** The teacher's ModelEntry.revision the cache entries belong to (a snapshot, compared before each use). */
  private teacherRevision: number;
  /** Set by delete(): the trainer is gone; holders stop at their next check. */
  deleted = false;
  /** Set by SessionManager.stopAll (shutdown): what acquire throws from then on. */
  stopped: RpcError | null = null;

  constructor(
    readonly id: string,
    readonly spec: SessionSpecRecord,
    readonly createTime: Date,
    readonly student: ModelEntry,
    readonly teacher: ModelEntry | undefined,
    stage: SessionStage,
    cacheBytes: number,
  ) {
    this.cache = teacher && spec.cacheTeacherFsp ? new TeacherFspCache({ maxBytes: cacheBytes }) : null;
    this.teacherRevision = teacher?.revision ?? 0;
    this.trainer = new Trainer({
      student: { ...student.tapped, pairs: spec.pairs.map((p) => p.student) },
      ...(teacher ? { teacher: { ...teacher.tapped, pairs: spec.pairs.map((p) => p.teacher) } } : {}),
      stage,
      schedules: { fsp: toSchedule(spec.fspSchedule), cross_entropy: toSchedule(spec.crossEntropySchedule) },
      momentum: spec.optimizer.momentum,
      weightDecay: spec.optimizer.weightDecay,
      ...(teacher ? { pairWeights: spec.weights } : {}),
      ...(teacher && spec.distillation ? { distillation: spec.distillation } : {}),
      reduction: spec.reduction,
      pooling: spec.pooling,
      cache: this.cache,
      teacherId: `session:${id}:${randomInt(2 ** 40)}`,
    });
  }

  get stage(): SessionStage {
    return this.trainer.stage as SessionStage;
  }

  /** Drops cached teacher matrices when the teacher's weights changed since they were computed. */
  checkTeacher(): void {
    if (this.teacher && this.teacher.revision !== this.teacherRevision) {
      this.cache?.clear();
      this.teacherRevision = this.teacher.revision;
    }
  }

  /** The holder lock: FAILED_PRECONDITION while another call holds the session, UNAVAILABLE once shutdown began. Returns the holder to release. */
  acquire(what: string): Holder {
    if (this.deleted) throw notFound('session', this.id, `session_id: session '${this.id}' was deleted`);
    // A call in flight when shutdown began that gets here only now (a Train stream's first batch, a Run that
    // was loading its dataset) would otherwise train until the grace period ends.
    if (this.stopped) throw this.stopped;
    if (this.holder) {
      throw failedPrecondition('SESSION_BUSY', `session '${this.id}' is busy: ${this.holder.what} holds it (steps of a session run one at a time); wait for it or cancel it`);
    }
    this.holder = { what, stop: new AbortController() };
    return this.holder;
  }

  release(holder: Holder): void {
    if (this.holder === holder) this.holder = null;
  }
}

export interface SessionManagerOptions {
  registry: ModelRegistry;
  memory: MemoryBudget;
  maxSessions: number;
  /** Teacher-FSP cache bytes per session. */
  cacheBytes: number;
  /** Where sessions persist. */
  dir: string;
  log: Logger;
  /** Root of the sessions' TensorBoard event files (<logdir>/<session id>); unset = none. */
  logdir?: string;
  /** Called after every training step (metrics). */
  onStep?: (session: Session, step: StepSummary) => void;
}

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly pending = new Set<string>();
  /** Ids of deleted sessions whose directory is being removed: taken until it is gone. */
  private readonly deleting = new Set<string>();
  /** Ids of saved sessions start() could not restore: their directories are kept, so the ids stay taken. */
  private readonly kept = new Set<string>();
  /** Each session's share of the memory budget (optimiser state, teacher-FSP cache), held until it is disposed. */
  private readonly reservations = new Map<string, Reservation[]>();
  private counter = 0;
  private closing = false;

  constructor(private readonly options: SessionManagerOptions) {}

  get size(): number {
    return this.sessions.size;
  }

  get logdir(): string | undefined {
    return this.options.logdir;
  }

  get(id: string, field = 'session_id'): Session {
    const s = this.sessions.get(id);
    if (!s) throw notFound('session', id, `${field}: no session ${quote(id)}${id === '' ? ' (empty id)' : ''}`);
    return s;
  }

  list(): Session[] {
    return [...this.sessions.values()];
  }

  /** Creates a session from a validated spec (see normalizeSpec); `stage` undefined = the spec's default. */
  async create(requestedId: string, spec: SessionSpecRecord, stage: SessionStage | undefined): Promise<Session> {
    if (this.closing) throw new RpcError(grpc.status.UNAVAILABLE, 'the server is shutting down');
    const { registry, maxSessions, memory } = this.options;
    if (requestedId !== '' && !ID_PATTERN.test(requestedId)) throw invalid(`session_id: ${quote(requestedId)} is not an id ([a-z0-9][a-z0-9._-]*, at most 63 characters)`);
    const id = requestedId === '' ? this.freshId() : requestedId;
    this.checkFree(id);
    if (this.sessions.size + this.pending.size >= maxSessions) {
      throw limitExceeded('sessions', '--max-sessions', `the server holds its limit of ${maxSessions} sessions (--max-sessions); delete one first`);
    }
    const student = registry.get(spec.studentModelId, 'spec.student_model_id');
    const teacher = spec.teacherModelId ? registry.get(spec.teacherModelId, 'spec.teacher_model_id') : undefined;
    const trainedBy = this.list().find((s) => s.student === student);
    if (trainedBy) {
      throw failedPrecondition('IN_USE', `spec.student_model_id: model '${student.id}' is already the student of session '${trainedBy.id}'; delete that session first`);
    }
    const initial = stage ?? (teacher ? 'fsp' : 'cross_entropy');
    if (initial === 'fsp' && !teacher) throw failedPrecondition('WRONG_STAGE', 'stage: STAGE_FSP needs a teacher (spec.teacher_model_id)');
    const held = this.reserve(id, spec, student, teacher, (bytes, what, kind) => memory.reserve(bytes, what, kind));
    this.pending.add(id);
    try {
      let session: Session;
      try {
        session = this.build(id, spec, new Date(), student, teacher, initial);
      } catch (err) {
        held.forEach((r) => r.release());
        throw err;
      }
      this.reservations.set(id, held);
      try {
        await this.openWriter(session);
        await session.state.run(() => this.writeRecord(session));
      } catch (err) {
        this.dispose(session);
        throw err;
      }
      return session;
    } finally {
      this.pending.delete(id);
    }
  }

  /**
   * Stops whoever holds the session, then (after the save or step in progress) frees its trainer and
   * removes its files; its models stay.
   */
  async delete(id: string): Promise<void> {
    const session = this.get(id);
    session.holder?.stop.abort(new RpcError(grpc.status.CANCELLED, `session '${id}' was deleted`, { reason: 'DELETED' }));
    await session.state.run(async () => {
      if (session.deleted) throw notFound('session', id, `session_id: no session ${quote(id)}`);
      this.dispose(session);
      // A session created with this id meanwhile would write into the directory being removed.
      this.deleting.add(id);
      try {
        await fs.rm(this.dirOf(id), { recursive: true, force: true });
      } finally {
        this.deleting.delete(id);
      }
    });
  }

  /** One step on a decoded client batch, in the session's current stage (the caller holds the session). */
  async step(session: Session, batch: DecodedBatch): Promise<StepSummary> {
    return session.state.run(() => {
      const images = tf.tensor4d(batch.images, batch.shape);
      try {
        return this.stepNow(session, { images, ...(batch.labels ? { labels: batch.labels } : {}), ...(batch.ids ? { ids: batch.ids } : {}) });
      } finally {
        images.dispose();
      }
    });
  }

  /** A step on a batch already on the tfjs side (the caller disposes it after this settles). */
  stepOn(session: Session, batch: Parameters<Trainer['step']>[0]): Promise<StepSummary> {
    return session.state.run(() => this.stepNow(session, batch));
  }

  private stepNow(session: Session, batch: Parameters<Trainer['step']>[0]): StepSummary {
    if (session.deleted) throw new RpcError(grpc.status.CANCELLED, `session '${session.id}' was deleted`, { reason: 'DELETED' });
    session.checkTeacher();
    const r = session.trainer.step(batch);
    session.student.revision++;
    const summary = summarize(r);
    session.cacheHits += r.teacherHits ?? 0;
    session.cacheMisses += r.teacherMisses ?? 0;
    session.lastStep = summary;
    if (session.tb) {
      for (const { tag, value } of stepScalars(r)) session.tb.scalar(`${STAGE_NAMES[summary.stage].tensorboard}/${tag}`, value, r.step);
      session.tb.flush();
    }
    this.options.onStep?.(session, summary);
    return summary;
  }

  /** Moves the session to `stage` at `stageStep` with fresh optimiser state for that stage. */
  async setStage(session: Session, stage: SessionStage, stageStep: number): Promise<void> {
    if (stage === 'fsp' && !session.teacher) throw failedPrecondition('WRONG_STAGE', `stage: session '${session.id}' has no teacher; STAGE_FSP needs one`);
    await session.state.run(async () => {
      this.checkLive(session);
      const state = session.trainer.exportState(STUDENT_ONLY);
      state.meta.stage = stage;
      state.meta.stageSteps[stage] = stageStep;
      delete state.meta.optimizers[stage];
      session.trainer.importState(state, STUDENT_ONLY);
      await this.writeRecord(session);
    });
  }

  /** Saves a checkpoint (empty id: `step-<step>`; an existing id is replaced). */
  async saveCheckpoint(session: Session, requestedId: string): Promise<CheckpointRecord> {
    if (requestedId !== '' && !ID_PATTERN.test(requestedId)) throw invalid(`checkpoint_id: ${quote(requestedId)} is not an id ([a-z0-9][a-z0-9._-]*, at most 63 characters)`);
    return session.state.run(() => this.saveNow(session, requestedId));
  }

  private async saveNow(session: Session, requestedId: string): Promise<CheckpointRecord> {
    this.checkLive(session);
    const state: TrainerState = session.trainer.exportState(STUDENT_ONLY);
    state.meta.data = session.runData;
    const id = requestedId || `step-${state.meta.step}`;
    await fs.mkdir(this.dirOf(session.id), { recursive: true });
    const info = await writeCheckpointFile(this.checkpointFile(session.id, id), state);
    const record: CheckpointRecord = {
      checkpointId: id,
      step: state.meta.step,
      stage: state.meta.stage as SessionStage,
      stageStep: state.meta.stageSteps[state.meta.stage],
      createTime: info.createdAt,
      sizeBytes: info.bytes,
    };
    session.checkpoints = [...session.checkpoints.filter((c) => c.checkpointId !== id), record];
    session.resumeCheckpointId = id;
    await this.writeRecord(session);
    return record;
  }

  /** Returns the session (its student, optimiser, stage and counters) to a checkpoint (empty id: the latest). */
  async restoreCheckpoint(session: Session, requestedId: string): Promise<CheckpointRecord> {
    return session.state.run(() => this.restoreNow(session, requestedId));
  }

  private async restoreNow(session: Session, requestedId: string): Promise<CheckpointRecord> {
    this.checkLive(session);
    const record = requestedId === '' ? session.checkpoints.at(-1) : session.checkpoints.find((c) => c.checkpointId === requestedId);
    if (!record) {
      throw notFound(
        'checkpoint',
        requestedId,
        requestedId === '' ? `checkpoint_id: session '${session.id}' has no checkpoints` : `checkpoint_id: session '${session.id}' has no checkpoint ${quote(requestedId)}`,
      );
    }
    const file = this.checkpointFile(session.id, record.checkpointId);
    const { state } = await readCheckpointFile(file).catch((err: Error) => {
      // The reader names the file by its path; the state directory stays out of the reply.
      throw new RpcError(grpc.status.DATA_LOSS, `checkpoint '${record.checkpointId}': ${err.message.split(`${file}: `).join('')}`);
    });
    this.importState(session, state);
    // A crash from here on must not bring back the state this restore rolled back from.
    session.resumeCheckpointId = record.checkpointId;
    await this.writeRecord(session);
    return record;
  }

  /** CANCELLED once the session was deleted (a call that queued behind the deletion). */
  private checkLive(session: Session): void {
    if (session.deleted) throw new RpcError(grpc.status.CANCELLED, `session '${session.id}' was deleted`, { reason: 'DELETED' });
  }

  /**
   * Evaluates a model on batches (disposing each): accuracy and mean cross-entropy in inference mode,
   * and with a session's teacher the mean FSP loss. Yields to the event loop between batches; `check`
   * runs before each batch and may throw to stop.
   */
  async evaluate(
    target: { session: Session } | { model: ModelEntry },
    batches: Iterable<{ images: tf.Tensor4D; labels: Int32Array; ids?: string[]; aug?: AugParams[] }>,
    check: () => void,
  ): Promise<EvaluationSummary> {
    const session = 'session' in target ? target.session : undefined;
    const model = 'session' in target ? target.session.student : target.model;
    const student: TappedModel = session ? { ...model.tapped, pairs: session.spec.pairs.map((p) => p.student) } : model.tapped;
    const teacher = session?.teacher ? { ...session.teacher.tapped, pairs: session.spec.pairs.map((p) => p.teacher) } : undefined;
    let samples = 0;
    let correct = 0;
    let ceSum = 0;
    let fspSum = 0;
    const iterator = batches[Symbol.iterator]();
    try {
      for (;;) {
        check();
        if (session?.deleted) throw new RpcError(grpc.status.CANCELLED, `session '${session.id}' was deleted`, { reason: 'DELETED' });
        if (model.deleted) throw new RpcError(grpc.status.ABORTED, `model '${model.id}' was deleted during the evaluation`, { reason: 'DELETED' });
        const next = iterator.next();
        if (next.done) break;
        const { images, labels, ids, aug } = next.value;
        try {
          const n = images.shape[0];
          session?.checkTeacher();
          const r = evaluateBatch(student, images, labels, (features) => {
            if (!session || !teacher) return;
            const t = teacherFspMatrices(teacher, { images, ...(ids ? { ids } : {}), ...(aug ? { aug } : {}) }, {
              ...(session.cache ? { cache: session.cache } : {}),
              teacherKey: session.trainer.teacherKey,
              pooling: session.spec.pooling,
            });
            const pairs = student.pairs.map(([a, b]) => ({ first: mapOf(features[a]!), second: mapOf(features[b]!) }));
            const loss = computeFspLoss(pairs, { matrices: t.matrices }, { weights: session.spec.weights, reduction: session.spec.reduction, pooling: session.spec.pooling });
            fspSum += loss.loss * n;
          });
          correct += r.correct;
          ceSum += r.crossEntropy;
          samples += n;
        } finally {
          images.dispose();
        }
        await yieldToEventLoop();
      }
    } finally {
      // Dispose what a stopped evaluation left unread (generators gather lazily; this ends them).
      iterator.return?.();
    }
    if (samples === 0) throw invalid('no samples to evaluate');
    if (session?.tb) {
      const step = session.trainer.stepsTaken;
      session.tb.scalar('evaluation/accuracy', correct / samples, step);
      session.tb.scalar('evaluation/cross_entropy', ceSum / samples, step);
      if (teacher) session.tb.scalar('evaluation/fsp_loss', fspSum / samples, step);
      session.tb.flush();
    }
    return {
      step: session?.trainer.stepsTaken ?? 0,
      stage: session?.stage ?? null,
      samples,
      accuracy: correct / samples,
      crossEntropy: ceSum / samples,
      fspLoss: teacher ? fspSum / samples : 0,
    };
  }

  /** A BatchSampler for a Run over `dataset`, continuing the session's last Run when it was over the same data. */
  sampler(session: Session, dataset: Dataset, batchSize: number): BatchSampler {
    const sampler = new BatchSampler(dataset, { batchSize, seed: session.spec.seed });
    const saved = session.runData;
    if (saved && saved.dataset === dataset.name && saved.size === dataset.size && saved.batchSize === batchSize && saved.seed === session.spec.seed) {
      try {
        sampler.restore(saved);
      } catch (err) {
        this.options.log.warn({ err, session: session.id }, 'cannot continue the last run data stream; starting a new one');
      }
    }
    return sampler;
  }

  /** Loads the sessions saved under the directory (after the registry's models); others are logged and skipped. */
  async start(): Promise<number> {
    const ids = await fs.readdir(this.options.dir).catch(() => [] as string[]);
    const loaded: Session[] = [];
    for (const id of ids) {
      const file = path.join(this.dirOf(id), 'session.json');
      await removeStaleTemps(this.dirOf(id));
      try {
        const record = withCurrentStageNames(JSON.parse(await fs.readFile(file, 'utf8')) as SessionFile);
        if (record.version !== 1 || record.sessionId !== id || !ID_PATTERN.test(id)) throw new Error(`${file} does not describe session '${id}'`);
        const { registry } = this.options;
        const student = registry.find(record.spec.studentModelId);
        const teacher = record.spec.teacherModelId ? registry.find(record.spec.teacherModelId) : undefined;
        if (!student || (record.spec.teacherModelId && !teacher)) throw new Error(`its models (${record.spec.studentModelId}, ${record.spec.teacherModelId || 'no teacher'}) are not in the registry`);
        const session = this.build(id, record.spec, new Date(record.createTime), student, teacher, record.stage);
        // Restored state is recorded, not checked: the models it trains are already in memory.
        this.reservations.set(id, this.reserve(id, record.spec, student, teacher, (bytes, what, kind) => this.options.memory.hold(bytes, what, kind)));
        session.checkpoints = record.checkpoints;
        const resume = resumePoint(record);
        session.resumeCheckpointId = resume?.checkpointId ?? null;
        if (resume || session.spec.tensorboard) {
          try {
            if (resume) this.importState(session, (await readCheckpointFile(this.checkpointFile(id, resume.checkpointId))).state);
            await this.openWriter(session);
          } catch (err) {
            this.dispose(session);
            throw err;
          }
        }
        loaded.push(session);
      } catch (err) {
        this.kept.add(id);
        this.options.log.error({ err, session: id }, 'cannot restore a saved session; skipped (its files are kept)');
      }
    }
    // Creation order, as ListSessions promises.
    for (const s of loaded.sort((a, b) => a.createTime.getTime() - b.createTime.getTime())) {
      this.sessions.delete(s.id);
      this.sessions.set(s.id, s);
      this.options.log.info({ session: s.id, step: s.trainer.stepsTaken, stage: s.stage }, 'session restored');
    }
    return loaded.length;
  }

  /**
   * Shutdown, part 1: no new sessions; every Train and Run stream stops at its next step boundary, and no call
   * acquires a session any more (create() refuses from here on, so every session there will be is here).
   */
  stopAll(reason: string): void {
    this.closing = true;
    for (const s of this.sessions.values()) {
      s.stopped = new RpcError(grpc.status.UNAVAILABLE, reason);
      s.holder?.stop.abort(s.stopped);
    }
  }

  /**
   * Shutdown, part 2 (after in-flight calls ended): checkpoints every session (the checkpoint a restart
   * resumes from), then frees every trainer. With `persist` false, only frees.
   */
  async closeAll(persist: boolean): Promise<void> {
    for (const s of this.sessions.values()) {
      if (!persist) continue;
      try {
        const record = await this.saveCheckpoint(s, '');
        this.options.log.info({ session: s.id, step: record.step, checkpoint: record.checkpointId }, 'session checkpointed');
      } catch (err) {
        this.options.log.error({ err, session: s.id }, 'cannot checkpoint the session at shutdown');
      }
    }
    for (const s of [...this.sessions.values()]) await s.state.run(() => this.dispose(s));
  }

  private importState(session: Session, state: TrainerState): void {
    session.trainer.importState(state, STUDENT_ONLY);
    session.runData = state.meta.data;
    session.lastStep = null;
    session.student.revision++;
  }

  private build(id: string, spec: SessionSpecRecord, createTime: Date, student: ModelEntry, teacher: ModelEntry | undefined, stage: SessionStage): Session {
    let session: Session;
    try {
      session = new Session(id, spec, createTime, student, teacher, stage, this.options.cacheBytes);
    } catch (err) {
      if (err instanceof StageError) throw err;
      // The spec was validated at the edge; the trainer's own checks failing means a bug or a bad saved file.
      throw new Error(`session '${id}': ${(err as Error).message}`);
    }
    this.sessions.set(id, session);
    student.sessions.add(id);
    teacher?.sessions.add(id);
    return session;
  }

  /**
   * A session's reservations, taken by `take`: momentum buffers for both stages' optimisers (tensors), and
   * its teacher-FSP cache at its full size (host), since it fills as the session trains.
   */
  private reserve(
    id: string,
    spec: SessionSpecRecord,
    student: ModelEntry,
    teacher: ModelEntry | undefined,
    take: (bytes: number, what: string, kind: 'tensors' | 'host') => Reservation,
  ): Reservation[] {
    const optimiser = 2 * student.trainableSize;
    const held = [take(optimiser, `session '${id}' (optimiser state of ${mib(optimiser)})`, 'tensors')];
    if (teacher && spec.cacheTeacherFsp && this.options.cacheBytes > 0) {
      try {
        held.push(take(this.options.cacheBytes, `session '${id}' (teacher-FSP cache of ${mib(this.options.cacheBytes)}, --teacher-cache-size)`, 'host'));
      } catch (err) {
        held[0]!.release();
        throw err;
      }
    }
    return held;
  }

  private dispose(session: Session): void {
    if (session.deleted) return;
    session.deleted = true;
    session.tb?.close();
    this.reservations.get(session.id)?.forEach((r) => r.release());
    this.reservations.delete(session.id);
    session.trainer.dispose();
    session.cache?.clear();
    session.student.sessions.delete(session.id);
    session.teacher?.sessions.delete(session.id);
    this.sessions.delete(session.id);
  }

  private async writeRecord(session: Session): Promise<void> {
    if (session.deleted) return;
    const dir = this.dirOf(session.id);
    await fs.mkdir(dir, { recursive: true });
    const record: SessionFile = {
      version: 1,
      sessionId: session.id,
      createTime: session.createTime.toISOString(),
      spec: session.spec,
      stage: session.stage,
      checkpoints: session.checkpoints,
      resumeCheckpointId: session.resumeCheckpointId,
    };
    await writeFileAtomic(path.join(dir, 'session.json'), JSON.stringify(record, null, 2));
  }

  /** The session's TensorBoard writer, when its spec asks and this server has a logdir (a restored session on a server without one writes none). */
  private async openWriter(session: Session): Promise<void> {
    if (!session.spec.tensorboard) return;
    if (!this.options.logdir) {
      this.options.log.warn({ session: session.id }, 'the session asks for TensorBoard files, and this server has no --logdir: none written');
      return;
    }
    session.tb = await openScalarWriter(path.join(this.options.logdir, session.id));
  }

  private dirOf(id: string): string {
    return path.join(this.options.dir, id);
  }

  private checkpointFile(sessionId: string, checkpointId: string): string {
    return path.join(this.dirOf(sessionId), `${checkpointId}.ckpt`);
  }

  /** ALREADY_EXISTS when `id` is taken: by a session, one being created or deleted, or kept files of one not restored. */
  private checkFree(id: string): void {
    if (this.sessions.has(id) || this.pending.has(id)) throw alreadyExists('session', id, `session_id: session '${id}' already exists`);
    if (this.deleting.has(id)) throw alreadyExists('session', id, `session_id: session '${id}' is being deleted; its id is free once DeleteSession returns`);
    if (this.kept.has(id)) {
      throw alreadyExists('session', id, `session_id: '${id}' is taken by the directory of a saved session the server could not restore at startup (see its log); the directory '${id}' is kept: remove it and restart the server, or pick another id`);
    }
  }

  private freshId(): string {
    let id: string;
    do id = `session-${++this.counter}`;
    while (this.sessions.has(id) || this.pending.has(id) || this.deleting.has(id) || this.kept.has(id));
    return id;
  }
}

/** The checkpoint a restart resumes from (see SessionFile.resumeCheckpointId); undefined = none. */
function resumePoint(record: SessionFile): CheckpointRecord | undefined {
  const id = record.resumeCheckpointId;
  if (id === undefined) return record.checkpoints.at(-1);
  if (id === null) return undefined;
  const found = record.checkpoints.find((c) => c.checkpointId === id);
  if (!found) throw new Error(`session.json resumes from checkpoint '${id}', which it does not list`);
  return found;
}

/** Session files written before stage 2 was renamed 'cross_entropy' call it 'task' (storedStageName maps it). */
function withCurrentStageNames(record: SessionFile): SessionFile {
  const current = (stage: SessionStage) => storedStageName(stage) as SessionStage;
  if (typeof record !== 'object' || record === null || !Array.isArray(record.checkpoints)) return record; // the checks below report it
  return { ...record, stage: current(record.stage), checkpoints: record.checkpoints.map((c) => ({ ...c, stage: current(c.stage) })) };
}

const mapOf = (t: tf.Tensor4D): FeatureMap => ({ data: t.dataSync() as Float32Array, shape: t.shape, layout: 'NHWC' });

export function toSchedule(s: ScheduleRecord): Schedule {
  return { values: [...s.learningRates], boundaries: s.untilSteps.slice(0, -1), total: s.untilSteps.at(-1)! };
}

function summarize(r: StepResult): StepSummary {
  return {
    step: r.step,
    stage: r.stage as Stage as SessionStage,
    stageStep: r.stageStep,
    loss: r.loss,
    pairLosses: r.pairLosses ?? [],
    accuracy: r.accuracy ?? 0,
    learningRate: r.lr,
    cacheHits: r.teacherHits ?? 0,
    seconds: r.ms / 1000,
    batchSize: r.batchSize,
  };
}
