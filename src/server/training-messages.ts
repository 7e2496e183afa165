// TrainingService's messages ↔ the session manager's records: the SessionSpec checked and normalised at the
// edge (errors name the field), and sessions, steps, evaluations and checkpoints as messages.
import * as grpc from '@grpc/grpc-js';
import type { Checkpoint } from '../generated/fspd/v1/Checkpoint.js';
import type { Evaluation } from '../generated/fspd/v1/Evaluation.js';
import type { Schedule__Output } from '../generated/fspd/v1/Schedule.js';
import type { Session as SessionMessage } from '../generated/fspd/v1/Session.js';
import type { SessionSpec, SessionSpec__Output } from '../generated/fspd/v1/SessionSpec.js';
import type { Stage as StageEnum } from '../generated/fspd/v1/Stage.js';
import type { StepResult } from '../generated/fspd/v1/StepResult.js';
import { STAGE_NAMES, tapChannels } from '../training/index.js';
import { poolingOf, reductionOf } from './fsp-request.js';
import type { ModelEntry, ModelRegistry } from './registry.js';
import { timestamp } from './rpc.js';
import type { CheckpointRecord, EvaluationSummary, ScheduleRecord, Session, SessionSpecRecord, SessionStage, StepSummary } from './sessions.js';
import { invalid, list, RpcError } from './status.js';

/** The paper's schedules (docs/PAPER.md#hyper-parameters): stage 1 1e-3 / 1e-4 / 1e-5, stage 2 0.1 / 0.01 / 0.001, until 11k / 16k / 21k. */
export const PAPER_FSP_SCHEDULE: ScheduleRecord = { learningRates: [1e-3, 1e-4, 1e-5], untilSteps: [11_000, 16_000, 21_000] };
export const PAPER_CROSS_ENTROPY_SCHEDULE: ScheduleRecord = { learningRates: [0.1, 0.01, 0.001], untilSteps: [11_000, 16_000, 21_000] };

const SESSION_STAGES: readonly SessionStage[] = ['fsp', 'cross_entropy'];

/** A request's Stage enum as the session's stage (STAGE_NAMES is the one mapping). */
export function stageOf(value: unknown, field: string): SessionStage {
  const stage = SESSION_STAGES.find((s) => STAGE_NAMES[s].proto === String(value));
  if (!stage) throw invalid(`${field}: unknown value ${String(value)}`);
  return stage;
}

export const stageEnum = (stage: SessionStage | null): StageEnum => (stage ? STAGE_NAMES[stage].proto : 'STAGE_UNSPECIFIED');

/** SessionSpec with every default filled in, checked against the models; INVALID_ARGUMENT names the field. */
export function normalizeSpec(spec: SessionSpec__Output | null, registry: ModelRegistry, server: { logdir: boolean } = { logdir: false }): SessionSpecRecord {
  if (!spec) throw invalid('spec: missing');
  if (spec.tensorboard === true && !server.logdir) throw new RpcError(grpc.status.FAILED_PRECONDITION, 'spec.tensorboard: this server writes no TensorBoard files (start it with --logdir)');
  if (spec.studentModelId === '') throw invalid('spec.student_model_id: missing');
  const student = registry.get(spec.studentModelId, 'spec.student_model_id');
  const teacher = spec.teacherModelId === '' ? undefined : registry.get(spec.teacherModelId, 'spec.teacher_model_id');
  if (teacher === student) throw invalid('spec.teacher_model_id: the teacher must be another model than the student');

  let pairs: SessionSpecRecord['pairs'] = [];
  if (teacher) {
    if (student.inputShape.join() !== teacher.inputShape.join()) {
      throw invalid(`spec.teacher_model_id: the teacher takes [${teacher.inputShape.join(', ')}], the student [${student.inputShape.join(', ')}]; both see the same images`);
    }
    const sc = tapChannels(student.tapped);
    const tc = tapChannels(teacher.tapped);
    if (spec.pairs.length === 0) {
      if (student.tapped.pairs.length !== teacher.tapped.pairs.length) {
        throw invalid(`spec.pairs: empty, and the models' own pairs do not match up (student ${student.tapped.pairs.length}, teacher ${teacher.tapped.pairs.length}); list the pairs`);
      }
      pairs = student.tapped.pairs.map((s, i) => ({ student: [s[0], s[1]], teacher: [...teacher.tapped.pairs[i]!] as [number, number] }));
    } else {
      pairs = spec.pairs.map((p, i) => {
        const pick = (tp: typeof p.student, model: ModelEntry, role: 'student' | 'teacher'): [number, number] => {
          if (!tp) throw invalid(`spec.pairs[${i}].${role}: missing`);
          for (const k of ['first', 'second'] as const) {
            if (tp[k] >= model.tapped.taps.length) {
              throw invalid(`spec.pairs[${i}].${role}.${k}: ${tp[k]} is not a tap index of model '${model.id}' (0..${model.tapped.taps.length - 1})`);
            }
          }
          return [tp.first, tp.second];
        };
        return { student: pick(p.student, student, 'student'), teacher: pick(p.teacher, teacher, 'teacher') };
      });
    }
    pairs.forEach(({ student: s, teacher: t }, i) => {
      if (sc[s[0]] !== tc[t[0]] || sc[s[1]] !== tc[t[1]]) {
        const where = spec.pairs.length === 0 ? `spec.pairs: the models' pair ${i}` : `spec.pairs[${i}]`;
        throw invalid(`${where} gives ${sc[s[0]]}×${sc[s[1]]} FSP matrices in the student and ${tc[t[0]]}×${tc[t[1]]} in the teacher; paired matrices need equal channel counts`);
      }
    });
  } else if (spec.pairs.length > 0 || spec.weights.length > 0) {
    throw invalid(`spec.${spec.pairs.length > 0 ? 'pairs' : 'weights'}: FSP options need a teacher (spec.teacher_model_id)`);
  }
  if (spec.weights.length > 0 && spec.weights.length !== pairs.length) throw invalid(`spec.weights: ${spec.weights.length} weights for ${pairs.length} pairs (one per pair, or none)`);
  spec.weights.forEach((w, i) => {
    if (!(Number.isFinite(w) && w >= 0)) throw invalid(`spec.weights[${i}]: expected a finite number >= 0, got ${w}`);
  });
  const weights = spec.weights.length > 0 ? [...spec.weights] : pairs.map(() => 1);

  let distillation: SessionSpecRecord['distillation'] = null;
  if (spec.distillation) {
    if (!teacher) throw invalid('spec.distillation: knowledge distillation needs a teacher (spec.teacher_model_id)');
    const { temperature, alpha } = spec.distillation;
    if (!(Number.isFinite(temperature) && temperature > 0)) throw invalid(`spec.distillation.temperature: expected a finite number > 0, got ${temperature}`);
    if (!(alpha >= 0 && alpha <= 1)) throw invalid(`spec.distillation.alpha: expected a weight in [0, 1], got ${alpha}`);
    // KD compares the two softmaxes class by class: their logits must have the same length.
    if (teacher.numClasses !== student.numClasses) {
      throw invalid(`spec.distillation: knowledge distillation needs the teacher and the student to have the same classes; teacher '${teacher.id}' has ${teacher.numClasses}, student '${student.id}' ${student.numClasses}`);
    }
    distillation = { temperature, alpha };
  }

  const opt = spec.optimizer;
  if (opt && opt.kind !== 'OPTIMIZER_KIND_UNSPECIFIED' && opt.kind !== 'OPTIMIZER_KIND_SGD') {
    throw invalid(`spec.optimizer.kind: ${String(opt.kind)} is not supported by this server; use OPTIMIZER_KIND_SGD`);
  }
  const momentum = opt?.momentum ?? 0.9;
  if (!(momentum >= 0 && momentum < 1)) throw invalid(`spec.optimizer.momentum: expected 0 <= momentum < 1, got ${momentum}`);
  const weightDecay = opt?.weightDecay ?? 1e-4;
  if (!(Number.isFinite(weightDecay) && weightDecay >= 0)) throw invalid(`spec.optimizer.weight_decay: expected a finite number >= 0, got ${weightDecay}`);

  return {
    studentModelId: student.id,
    teacherModelId: teacher?.id ?? '',
    pairs,
    weights,
    reduction: reductionOf(spec.reduction, 'spec.reduction'),
    pooling: poolingOf(spec.pooling, 'spec.pooling'),
    optimizer: { kind: 'sgd', momentum, weightDecay },
    fspSchedule: scheduleOf(spec.fspSchedule, 'spec.fsp_schedule', PAPER_FSP_SCHEDULE),
    crossEntropySchedule: scheduleOf(spec.crossEntropySchedule, 'spec.cross_entropy_schedule', PAPER_CROSS_ENTROPY_SCHEDULE),
    cacheTeacherFsp: spec.cacheTeacherFsp ?? true,
    seed: spec.seed ?? Math.floor(Math.random() * 2 ** 31),
    distillation,
    tensorboard: spec.tensorboard ?? server.logdir,
  };
}

function scheduleOf(s: Schedule__Output | null, field: string, fallback: ScheduleRecord): ScheduleRecord {
  if (!s) return { learningRates: [...fallback.learningRates], untilSteps: [...fallback.untilSteps] };
  if (s.learningRates.length === 0) throw invalid(`${field}.learning_rates: expected at least one learning rate`);
  if (s.untilSteps.length !== s.learningRates.length) {
    throw invalid(`${field}.until_steps: ${s.untilSteps.length} steps for ${s.learningRates.length} learning rates (one per phase)`);
  }
  s.learningRates.forEach((lr, i) => {
    if (!(Number.isFinite(lr) && lr > 0)) throw invalid(`${field}.learning_rates[${i}]: expected a finite rate > 0, got ${lr}`);
  });
  s.untilSteps.forEach((u, i) => {
    if (!Number.isSafeInteger(u) || u < 1 || (i > 0 && u <= s.untilSteps[i - 1]!)) {
      throw invalid(`${field}.until_steps[${i}]: expected strictly increasing steps >= 1, got ${list(s.untilSteps)}`);
    }
  });
  return { learningRates: [...s.learningRates], untilSteps: [...s.untilSteps] };
}

const tapPair = ([first, second]: readonly [number, number]) => ({ first, second });

function specMessage(spec: SessionSpecRecord): SessionSpec {
  return {
    studentModelId: spec.studentModelId,
    teacherModelId: spec.teacherModelId,
    pairs: spec.pairs.map((p) => ({ student: tapPair(p.student), teacher: tapPair(p.teacher) })),
    weights: spec.weights,
    reduction: spec.reduction === 'paper' ? 'REDUCTION_PAPER' : 'REDUCTION_MEAN',
    pooling: spec.pooling === 'max' ? 'POOLING_MAX' : 'POOLING_AVG',
    optimizer: { kind: 'OPTIMIZER_KIND_SGD', momentum: spec.optimizer.momentum, weightDecay: spec.optimizer.weightDecay },
    fspSchedule: spec.fspSchedule,
    crossEntropySchedule: spec.crossEntropySchedule,
    cacheTeacherFsp: spec.cacheTeacherFsp,
    seed: spec.seed,
    distillation: spec.distillation ?? null,
    tensorboard: spec.tensorboard ?? false,
  };
}

export function stepMessage(s: StepSummary): StepResult {
  return {
    step: s.step,
    stage: stageEnum(s.stage),
    stageStep: s.stageStep,
    loss: s.loss,
    pairLosses: s.pairLosses,
    accuracy: s.accuracy,
    learningRate: s.learningRate,
    cacheHits: s.cacheHits,
    seconds: s.seconds,
  };
}

export function evaluationMessage(e: EvaluationSummary): Evaluation {
  return { step: e.step, stage: stageEnum(e.stage), samples: e.samples, accuracy: e.accuracy, crossEntropy: e.crossEntropy, fspLoss: e.fspLoss };
}

export function checkpointMessage(c: CheckpointRecord): Checkpoint {
  return { checkpointId: c.checkpointId, step: c.step, stage: stageEnum(c.stage), stageStep: c.stageStep, createTime: timestamp(new Date(c.createTime)), sizeBytes: c.sizeBytes };
}

export function sessionMessage(s: Session): SessionMessage {
  const { trainer } = s;
  const cache = s.cache?.stats();
  const pairs = Math.max(1, s.spec.pairs.length);
  return {
    sessionId: s.id,
    spec: specMessage(s.spec),
    stage: stageEnum(s.stage),
    step: trainer.stepsTaken,
    stageStep: trainer.stageStep(),
    learningRate: trainer.learningRate(),
    state: s.holder ? 'SESSION_STATE_TRAINING' : 'SESSION_STATE_IDLE',
    lastStep: s.lastStep ? stepMessage(s.lastStep) : null,
    teacherCache: { hits: s.cacheHits, misses: s.cacheMisses, entries: Math.floor((cache?.entries ?? 0) / pairs), sizeBytes: cache?.bytes ?? 0 },
    checkpoints: s.checkpoints.map(checkpointMessage),
    createTime: timestamp(s.createTime),
  };
}
