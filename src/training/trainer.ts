// The two-stage FSP trainer (docs/PAPER.md#algorithm-1) over a teacher and a student tapped model:
//   teacher        trains the TEACHER with softmax cross-entropy (so one trainer can make the teacher first)
//   fsp            stage 1: trains the student with the FSP loss only; the teacher is frozen (inference mode, its
//                  weights and BatchNorm statistics never change) and its matrices come from the cache when possible
//   cross_entropy  stage 2: trains the student with softmax cross-entropy (no FSP term); with `distillation` and a
//                  teacher, plus Hinton KD against the frozen teacher's soft targets (distillation.ts)
// Either model may be absent when no stage needs it (a baseline student: student only, stage cross_entropy).
//
// Each stage has its own learning-rate schedule (counted in that stage's steps) and its own SGD state
// (momentum 0.9, weight decay 1e-4): stage 2 starts from fresh momentum, as a new optimiser per stage
// would; switching back to a stage continues its schedule and momentum.
//
// step(batch) takes the caller's batch (not disposed); nextStep() draws from the trainer's own seeded
// data stream (options.data), whose position is part of a checkpoint. Stage 1 draws un-augmented batches
// by default so that the teacher-FSP cache hits from the second epoch on. All tensors a step creates are
// disposed before it returns or throws (grads.ts frees the gradient tape of a step that fails).
import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig, AugParams, Dataset } from '../data/index.js';
import { fspLoss, type Pooling, type Reduction } from '../fsp/index.js';
import { forwardWithTaps, type TappedModel } from '../models/index.js';
import { checkDistillation, distillationLoss, type Distillation } from './distillation.js';
import { countCorrect, evaluateBatch, numClasses } from './evaluate.js';
import { TeacherFspCache, teacherFspMatrices, type CacheStats } from './fsp-cache.js';
import { variableGrads } from './grads.js';
import { MomentumSgd, type NamedVariable, type SgdState } from './optimizer.js';
import { BatchSampler, type SamplerState } from './sampler.js';
import { checkSchedule, defaultSchedule, learningRateAt, type Schedule } from './schedule.js';
import { channelPermutations, checkPermutations, shuffleTeacherMatrices, tapChannels } from './shuffle.js';
import { parseStage, StageError, STAGES, trainedModel, type Stage } from './stage.js';

export interface TrainerDataOptions {
  dataset: Dataset;
  batchSize: number;
  seed: number;
  /** Reshuffle every epoch. Default true. */
  shuffle?: boolean;
  dropLast?: boolean;
  /** Per stage: true = the dataset's default augmentation. Default: teacher and cross_entropy true, fsp false (cache hits). */
  augment?: Partial<Record<Stage, boolean | AugmentConfig>>;
}

export interface TrainerOptions {
  teacher?: TappedModel;
  student?: TappedModel;
  /** Default: fsp with both models, teacher with only a teacher, cross_entropy with only a student. */
  stage?: Stage;
  /** Per stage; default the paper's (defaultSchedule). */
  schedules?: Partial<Record<Stage, Schedule>>;
  momentum?: number; // 0.9
  weightDecay?: number; // 1e-4
  /** λ per FSP pair; default all 1. */
  pairWeights?: readonly number[];
  reduction?: Reduction; // 'paper'
  pooling?: Pooling; // 'max'
  /** Student*†: a seed for one random channel permutation per teacher tap, or the permutations. Default none. */
  shuffle?: { seed: number } | readonly ArrayLike<number>[];
  /** Stage 2 with Hinton KD against the teacher (needs a teacher). Default none: cross-entropy only. */
  distillation?: Distillation;
  /** The teacher-FSP cache (may be shared between trainers); null: none. Default: an own cache of cacheBytes. */
  cache?: TeacherFspCache | null;
  cacheBytes?: number;
  /** The cache's name for this teacher; trainers sharing a cache and a teacher share entries. Default: unique per trainer. */
  teacherId?: string;
  data?: TrainerDataOptions;
}

/** A batch: images [B, H, W, C] float32; labels for the cross-entropy stages; ids (and aug) let stage 1 use the cache. */
export interface TrainBatch {
  images: tf.Tensor4D;
  labels?: ArrayLike<number>;
  ids?: readonly string[];
  aug?: readonly AugParams[];
}

export interface StepResult {
  stage: Stage;
  /** Steps taken by this trainer, all stages, this one included. */
  step: number;
  /** Steps taken in this stage, this one included. */
  stageStep: number;
  /** The learning rate this step used. */
  lr: number;
  /** Cross-entropy (teacher, cross_entropy) or FSP loss (fsp) of the batch, before the update. */
  loss: number;
  /** fsp: each pair's λ-weighted part of loss, in pair order. */
  pairLosses?: number[];
  batchSize: number;
  /** cross_entropy with distillation: the unweighted parts of loss, mean cross-entropy and mean T²·KL to the teacher. */
  crossEntropy?: number;
  softTargetLoss?: number;
  /** Top-1 accuracy on the batch (teacher, cross_entropy; training-mode forward). */
  accuracy?: number;
  /** fsp: samples whose teacher matrices came from the cache / were computed by the teacher. */
  teacherHits?: number;
  teacherMisses?: number;
  /** fsp: the cache's counters after this step (absent without a cache). */
  cache?: CacheStats;
  /** Wall time of the step and, in fsp, of getting the teacher matrices (cache + teacher forward). */
  ms: number;
  teacherMs?: number;
}

export interface EvalOptions {
  /** Default: the model the current stage trains. */
  model?: 'teacher' | 'student';
  /** For a Dataset. Default 100. */
  batchSize?: number;
  /** For an iterable of batches: dispose each batch's images after use. Default true. */
  disposeBatches?: boolean;
}

export interface EvalResult {
  /** Top-1, in [0, 1]. */
  accuracy: number;
  /** Mean softmax cross-entropy per sample. */
  loss: number;
  samples: number;
}

/** Everything a checkpoint holds: JSON-able meta and named float32 arrays. */
export interface TrainerState {
  meta: TrainerMeta;
  arrays: Map<string, Float32Array>;
}

export interface TrainerMeta {
  stage: Stage;
  step: number;
  stageSteps: Record<Stage, number>;
  teacherRevision: number;
  schedules: Record<Stage, Schedule>;
  pairWeights: number[] | null;
  reduction: Reduction;
  pooling: Pooling;
  /** Absent in checkpoints written before distillation existed (= null). */
  distillation?: Distillation | null;
  permutations: number[][] | null;
  models: Partial<Record<'teacher' | 'student', { name: string; weights: { name: string; shape: number[] }[] }>>;
  optimizers: Partial<Record<Stage, { momentum: number; weightDecay: number; learningRate: number; slots: { name: string; shape: number[]; saved: boolean }[] }>>;
  data: SamplerState | null;
}

type ModelRole = 'teacher' | 'student';
const MODEL_ROLES: readonly ModelRole[] = ['teacher', 'student'];

/** Which models' weights a state holds or is taken from (default both). */
export interface StateOptions {
  models?: readonly ModelRole[];
}
type LayerVar = tf.LayersModel['weights'][number];

let nextTeacherNumber = 0;

export class Trainer {
  readonly teacher: TappedModel | undefined;
  readonly student: TappedModel | undefined;
  readonly cache: TeacherFspCache | null;
  readonly teacherId: string;
  readonly pairWeights: number[] | undefined;
  readonly reduction: Reduction;
  readonly pooling: Pooling;
  readonly distillation: Distillation | undefined;
  private currentStage: Stage;
  private schedules: Record<Stage, Schedule>;
  private stageSteps: Record<Stage, number> = { teacher: 0, fsp: 0, cross_entropy: 0 };
  private steps = 0;
  /** Teacher-stage steps taken: part of the cache key, so matrices of an older teacher are never served. */
  private teacherRevision = 0;
  private permutations: Int32Array[] | null = null;
  private readonly optimizers: Partial<Record<Stage, MomentumSgd>> = {};
  private readonly momentum: number;
  private readonly weightDecay: number;
  private readonly sampler: BatchSampler | undefined;
  private readonly augment: Record<Stage, boolean | AugmentConfig>;

  constructor(options: TrainerOptions) {
    const { teacher, student } = options;
    if (!teacher && !student) throw new RangeError('Trainer: give a teacher, a student or both');
    this.teacher = teacher;
    this.student = student;
    this.momentum = options.momentum ?? 0.9;
    this.weightDecay = options.weightDecay ?? 1e-4;
    this.reduction = options.reduction ?? 'paper';
    this.pooling = options.pooling ?? 'max';
    if (this.reduction !== 'paper' && this.reduction !== 'mean') throw new RangeError(`reduction: expected paper or mean, got ${JSON.stringify(this.reduction)}`);
    if (this.pooling !== 'max' && this.pooling !== 'avg') throw new RangeError(`pooling: expected max or avg, got ${JSON.stringify(this.pooling)}`);
    // Per-stage options name stages: an unknown key (a typo, or stage 2's old name 'task') would be ignored.
    for (const [field, byStage] of [['schedules', options.schedules], ['data.augment', options.data?.augment]] as const) {
      for (const key of Object.keys(byStage ?? {})) parseStage(key, field);
    }
    this.schedules = Object.fromEntries(
      STAGES.map((s) => [s, checkSchedule(options.schedules?.[s] ?? defaultSchedule(s), `schedules.${s}`)]),
    ) as Record<Stage, Schedule>;
    this.cache = options.cache === null ? null : (options.cache ?? new TeacherFspCache(options.cacheBytes === undefined ? {} : { maxBytes: options.cacheBytes }));
    this.teacherId = options.teacherId ?? `${teacher?.model.name ?? 'none'}#${nextTeacherNumber++}`;
    if (options.pairWeights !== undefined) {
      if (!teacher) throw new RangeError('pairWeights: FSP options need a teacher');
      if (options.pairWeights.length !== teacher.pairs.length) {
        throw new RangeError(`pairWeights: expected ${teacher.pairs.length} weights (one per pair), got ${options.pairWeights.length}`);
      }
      options.pairWeights.forEach((w, i) => {
        if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`pairWeights[${i}]: expected a finite number >= 0, got ${w}`);
      });
      this.pairWeights = [...options.pairWeights];
    }
    if (options.distillation !== undefined) {
      if (!teacher) throw new RangeError('distillation: knowledge distillation needs a teacher');
      this.distillation = checkDistillation(options.distillation);
      // Soft targets are compared class by class with the student's logits.
      if (student && numClasses(teacher) !== numClasses(student)) {
        throw new RangeError(`distillation: the teacher has ${numClasses(teacher)} classes, the student ${numClasses(student)}; knowledge distillation needs the same classes`);
      }
    }
    if (options.shuffle !== undefined) {
      if (!teacher) throw new RangeError('shuffle: FSP options need a teacher');
      const channels = tapChannels(teacher);
      this.permutations = Array.isArray(options.shuffle)
        ? checkPermutations(options.shuffle, channels)
        : channelPermutations(channels, (options.shuffle as { seed: number }).seed);
    }
    this.augment = { teacher: true, fsp: false, cross_entropy: true, ...options.data?.augment };
    if (options.data) {
      const { dataset, batchSize, seed, shuffle, dropLast } = options.data;
      this.sampler = new BatchSampler(dataset, { batchSize, seed, ...(shuffle === undefined ? {} : { shuffle }), ...(dropLast === undefined ? {} : { dropLast }) });
    }
    const initial = options.stage ?? (teacher && student ? 'fsp' : teacher ? 'teacher' : 'cross_entropy');
    this.currentStage = this.checkStage(parseStage(initial));
  }

  get stage(): Stage {
    return this.currentStage;
  }

  /** Steps taken, all stages. */
  get stepsTaken(): number {
    return this.steps;
  }

  /** Steps taken in a stage (default the current one). */
  stageStep(stage: Stage = this.currentStage): number {
    return this.stageSteps[stage];
  }

  schedule(stage: Stage = this.currentStage): Schedule {
    return checkSchedule(this.schedules[stage]);
  }

  /** Replaces a stage's schedule (its step count stays). */
  setSchedule(stage: Stage, schedule: Schedule): void {
    this.schedules[parseStage(stage)] = checkSchedule(schedule, `schedules.${stage}`);
  }

  /** The learning rate the next step of a stage will use. */
  learningRate(stage: Stage = this.currentStage): number {
    return learningRateAt(this.schedules[stage], this.stageSteps[stage]);
  }

  /** Steps left in the current stage's schedule (0 when done; stepping on keeps the last rate). */
  get remaining(): number {
    return Math.max(0, this.schedules[this.currentStage].total - this.stageSteps[this.currentStage]);
  }

  /** Student*† permutations per teacher tap, or null. */
  get shufflePermutations(): Int32Array[] | null {
    return this.permutations?.map((p) => p.slice()) ?? null;
  }

  /** The cache key's teacher part: this teacher, at this revision, with this pooling. */
  get teacherKey(): string {
    return `${this.teacherId}@${this.teacherRevision}/${this.pooling}`;
  }

  /** Switches stage; StageError when the stage's models are missing or incompatible. */
  setStage(stage: Stage): void {
    this.currentStage = this.checkStage(parseStage(stage));
  }

  /** One training step on the caller's batch (not disposed). `expectStage`: fail unless the trainer is in that stage. */
  step(batch: TrainBatch, { expectStage }: { expectStage?: Stage } = {}): StepResult {
    const stage = this.currentStage;
    if (expectStage !== undefined && parseStage(expectStage, 'expectStage') !== stage) {
      throw new StageError(`the trainer is in stage '${stage}', not '${expectStage}'; call setStage('${expectStage}') first`);
    }
    const started = performance.now();
    const model = this.need(trainedModel(stage));
    const batchSize = this.checkBatch(batch, model, stage !== 'fsp');
    const lr = this.learningRate(stage);
    const opt = this.optimizerFor(stage);
    opt.learningRate = lr;

    let result: Omit<StepResult, 'ms' | 'step' | 'stageStep'>;
    if (stage === 'fsp') {
      const teacher = this.need('teacher');
      const t0 = performance.now();
      const t = teacherFspMatrices(teacher, batch, { ...(this.cache ? { cache: this.cache } : {}), teacherKey: this.teacherKey, pooling: this.pooling });
      const targets = this.permutations ? shuffleTeacherMatrices(t.matrices, teacher.pairs, this.permutations, batchSize) : t.matrices;
      const teacherMs = performance.now() - t0;
      let pairLosses: number[] = [];
      const loss = tf.tidy(() => {
        const matrices = targets.map((m, i) => tf.tensor3d(m, [batchSize, ...t.dims[i]!]));
        const { value, grads } = variableGrads(() => {
          const { features } = forwardWithTaps(model, batch.images, { training: true });
          const pairs = model.pairs.map(([a, b]) => [features[a]!, features[b]!] as [tf.Tensor4D, tf.Tensor4D]);
          return fspLoss(pairs, matrices, {
            ...(this.pairWeights ? { weights: this.pairWeights } : {}),
            reduction: this.reduction,
            pooling: this.pooling,
            onPairLosses: (losses) => void (pairLosses = losses),
          });
        }, variablesOf(opt));
        opt.applyGradients(grads);
        return value.dataSync()[0]!;
      });
      result = { stage, lr, loss, pairLosses, batchSize, teacherHits: t.hits, teacherMisses: t.misses, teacherMs, ...(this.cache ? { cache: this.cache.stats() } : {}) };
    } else {
      const labels = batch.labels!;
      const kd = stage === 'cross_entropy' ? this.distillation : undefined;
      let correct = 0;
      let parts: [number, number] | undefined;
      const loss = tf.tidy(() => {
        const onehot = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), numClasses(model));
        // The frozen teacher's logits, outside the gradient: inference mode, on the same (augmented) batch.
        const teacherLogits = kd ? tf.tidy(() => {
          const { logits, features } = forwardWithTaps(this.need('teacher'), batch.images, { training: false });
          tf.dispose(features);
          return logits;
        }) : undefined;
        const { value, grads } = variableGrads(() => {
          const { logits } = forwardWithTaps(model, batch.images, { training: true });
          correct = countCorrect(logits, labels);
          if (!kd) return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
          const terms = distillationLoss(logits, teacherLogits!, onehot as tf.Tensor2D, kd);
          parts = [terms.crossEntropy.dataSync()[0]!, terms.softTarget.dataSync()[0]!];
          return terms.loss;
        }, variablesOf(opt));
        opt.applyGradients(grads);
        return value.dataSync()[0]!;
      });
      if (stage === 'teacher') this.teacherRevision++;
      result = { stage, lr, loss, batchSize, accuracy: correct / batchSize, ...(parts ? { crossEntropy: parts[0], softTargetLoss: parts[1] } : {}) };
    }
    this.steps++;
    this.stageSteps[stage]++;
    return { ...result, step: this.steps, stageStep: this.stageSteps[stage], ms: performance.now() - started };
  }

  /** One step on the next batch of the trainer's data stream (options.data), augmented as the stage says. */
  nextStep(): StepResult {
    if (!this.sampler) throw new Error('nextStep: this trainer has no data stream; pass options.data, or call step(batch)');
    const stage = this.currentStage;
    this.need(trainedModel(stage));
    if (stage === 'fsp') this.need('teacher');
    const batch = this.sampler.next(this.augment[stage]);
    try {
      return this.step(batch);
    } finally {
      batch.images.dispose();
    }
  }

  /** `steps` steps from the data stream (default: the rest of the current stage's schedule). */
  train(steps = this.remaining, onStep?: (r: StepResult) => void): StepResult[] {
    const out: StepResult[] = [];
    for (let i = 0; i < steps; i++) {
      const r = this.nextStep();
      out.push(r);
      onStep?.(r);
    }
    return out;
  }

  /** Top-1 accuracy and mean cross-entropy in inference mode, on a dataset (un-augmented, in order) or on batches. */
  evaluate(source: Dataset | Iterable<TrainBatch>, options: EvalOptions = {}): EvalResult {
    const role = options.model ?? trainedModel(this.currentStage);
    const model = this.need(role, `evaluate (model '${role}')`);
    const own = isDataset(source);
    const batches = own ? source.batches({ batchSize: options.batchSize ?? 100, augment: false }) : source;
    const dispose = own || (options.disposeBatches ?? true);
    let correct = 0;
    let lossSum = 0;
    let samples = 0;
    for (const batch of batches) {
      try {
        const n = this.checkBatch(batch, model, true);
        const r = evaluateBatch(model, batch.images, batch.labels!);
        correct += r.correct;
        lossSum += r.crossEntropy;
        samples += n;
      } finally {
        if (dispose) batch.images.dispose();
      }
    }
    if (samples === 0) throw new RangeError('evaluate: no samples');
    return { accuracy: correct / samples, loss: lossSum / samples, samples };
  }

  /**
   * The training state (weights of both models, optimizer buffers, counters, schedules, data position).
   * `models` limits the weights saved to those roles (e.g. a student trained against a teacher owned
   * elsewhere saves only its own).
   */
  exportState({ models: roles = MODEL_ROLES }: StateOptions = {}): TrainerState {
    const arrays = new Map<string, Float32Array>();
    const models: TrainerMeta['models'] = {};
    for (const role of roles) {
      const tapped = this[role];
      if (!tapped) continue;
      const weights = tapped.model.weights.map((w, i) => {
        if (w.dtype !== 'float32') throw new TypeError(`${role} weight '${w.originalName}' is ${w.dtype}; checkpoints hold float32 weights only`);
        arrays.set(`${role}#${i}`, Float32Array.from(w.read().dataSync() as Float32Array));
        return { name: w.originalName, shape: [...w.shape] as number[] };
      });
      models[role] = { name: tapped.model.name, weights };
    }
    const optimizers: TrainerMeta['optimizers'] = {};
    for (const stage of STAGES) {
      const opt = this.optimizers[stage];
      if (!opt) continue;
      const state = opt.getState();
      optimizers[stage] = {
        momentum: state.momentum,
        weightDecay: state.weightDecay,
        learningRate: state.learningRate,
        slots: state.slots.map((s, i) => {
          if (s.data) arrays.set(`opt.${stage}#${i}`, s.data);
          return { name: s.name, shape: s.shape, saved: s.data !== null };
        }),
      };
    }
    const meta: TrainerMeta = {
      stage: this.currentStage,
      step: this.steps,
      stageSteps: { ...this.stageSteps },
      teacherRevision: this.teacherRevision,
      schedules: Object.fromEntries(STAGES.map((s) => [s, checkSchedule(this.schedules[s])])) as Record<Stage, Schedule>,
      pairWeights: this.pairWeights ? [...this.pairWeights] : null,
      reduction: this.reduction,
      pooling: this.pooling,
      distillation: this.distillation ?? null,
      permutations: this.permutations?.map((p) => Array.from(p)) ?? null,
      models,
      optimizers,
      data: this.sampler?.state() ?? null,
    };
    return { meta, arrays };
  }

  /**
   * Continues from an exported state. Must match: the models' architecture (weight names and shapes, in
   * order) and the FSP and KD settings (pair weights, reduction, pooling, distillation: part of what this trainer computes, so a
   * mismatch is an error, not a silent change). Taken from the state: weights of both models, momentum
   * buffers of every stage, stage, step counters, schedules, shuffle permutations, teacher revision, and
   * the data position when this trainer has a data stream (same dataset and batching) and the state has
   * one. Kept: teacherId and the cache (entries of the restored teacher revision stay valid). `models`
   * limits the weights taken to those roles; the others keep theirs (and may be missing from the state).
   * Everything is checked before anything changes.
   */
  importState(state: TrainerState, { models: roles = MODEL_ROLES }: StateOptions = {}): void {
    const { meta, arrays } = state;
    const get = (key: string, size: number): Float32Array => {
      const a = arrays.get(key);
      if (!a) throw new RangeError(`checkpoint: array '${key}' is missing`);
      if (a.length !== size) throw new RangeError(`checkpoint: array '${key}' has ${a.length} values, expected ${size}`);
      return a;
    };
    // Check everything first.
    const stage = parseStage(meta.stage, 'checkpoint stage');
    if (JSON.stringify(meta.pairWeights) !== JSON.stringify(this.pairWeights ?? null) || meta.reduction !== this.reduction || meta.pooling !== this.pooling) {
      throw new RangeError(
        `checkpoint: FSP settings (pairWeights ${JSON.stringify(meta.pairWeights)}, reduction ${meta.reduction}, pooling ${meta.pooling}) differ from this trainer's ` +
          `(${JSON.stringify(this.pairWeights ?? null)}, ${this.reduction}, ${this.pooling})`,
      );
    }
    if (JSON.stringify(meta.distillation ?? null) !== JSON.stringify(this.distillation ?? null)) {
      throw new RangeError(`checkpoint: distillation ${JSON.stringify(meta.distillation ?? null)} differs from this trainer's ${JSON.stringify(this.distillation ?? null)}`);
    }
    const schedules = Object.fromEntries(STAGES.map((s) => [s, checkSchedule(meta.schedules?.[s], `checkpoint schedules.${s}`)])) as Record<Stage, Schedule>;
    const weightUpdates: [LayerVar, Float32Array][] = [];
    for (const role of roles) {
      const saved = meta.models[role];
      const tapped = this[role];
      if (!saved && !tapped) continue;
      if (!saved || !tapped) throw new RangeError(`checkpoint: it ${saved ? 'has' : 'has no'} ${role}, this trainer ${tapped ? 'has' : 'has no'} ${role}`);
      const weights = tapped.model.weights;
      if (saved.weights.length !== weights.length) throw new RangeError(`checkpoint: ${role} has ${saved.weights.length} weights, this ${role} has ${weights.length}`);
      weights.forEach((w, i) => {
        const s = saved.weights[i]!;
        if (s.name !== w.originalName || !sameShape(s.shape, w.shape as number[])) {
          throw new RangeError(`checkpoint: ${role} weight ${i} is '${s.name}' ${JSON.stringify(s.shape)}, here '${w.originalName}' ${JSON.stringify(w.shape)}`);
        }
        weightUpdates.push([w, get(`${role}#${i}`, s.shape.reduce((a, b) => a * b, 1))]);
      });
    }
    const optimizerStates: [Stage, SgdState][] = [];
    for (const s of STAGES) {
      const o = meta.optimizers[s];
      if (!o) continue;
      const opt = new MomentumSgd(this.variablesFor(trainedModel(s)), { momentum: this.momentum, weightDecay: this.weightDecay });
      const sgd: SgdState = {
        momentum: o.momentum,
        weightDecay: o.weightDecay,
        learningRate: o.learningRate,
        slots: o.slots.map((slot, i) => ({ name: slot.name, shape: [...slot.shape], data: slot.saved ? get(`opt.${s}#${i}`, slot.shape.reduce((a, b) => a * b, 1)) : null })),
      };
      try {
        opt.setState(sgd); // checks names and shapes against the variables
      } finally {
        opt.dispose();
      }
      optimizerStates.push([s, sgd]);
    }
    const permutations = meta.permutations ? checkPermutations(meta.permutations, tapChannels(this.need('teacher'))) : null;
    for (const s of STAGES) {
      if (!Number.isInteger(meta.stageSteps?.[s]) || meta.stageSteps[s] < 0) throw new RangeError(`checkpoint: stageSteps.${s} is not a step count`);
    }
    this.checkStage(stage);
    // Last check, and the first change: restore() validates before it moves the stream. A state without a
    // data position leaves this trainer's stream as it is; a trainer without a stream ignores the position.
    if (this.sampler && meta.data) this.sampler.restore(meta.data);

    // Apply.
    tf.tidy(() => {
      for (const [w, data] of weightUpdates) (w.read() as tf.Variable).assign(tf.tensor(data, w.shape as number[], 'float32'));
    });
    for (const s of STAGES) {
      this.optimizers[s]?.dispose();
      delete this.optimizers[s];
    }
    for (const [s, sgd] of optimizerStates) this.optimizerFor(s).setState(sgd);
    this.schedules = schedules;
    this.stageSteps = { ...meta.stageSteps };
    this.steps = meta.step;
    this.teacherRevision = meta.teacherRevision;
    this.permutations = permutations;
    this.currentStage = stage;
  }

  /** Frees the optimizer buffers (the models are the caller's). */
  dispose(): void {
    for (const s of STAGES) {
      this.optimizers[s]?.dispose();
      delete this.optimizers[s];
    }
  }

  private need(role: ModelRole, what = `stage '${this.currentStage}'`): TappedModel {
    const m = this[role];
    if (!m) throw new StageError(`${what} needs a ${role}, and this trainer has none`);
    return m;
  }

  /** The stage, when its models are there and (fsp) the student's pairs match the teacher's. */
  private checkStage(stage: Stage): Stage {
    const missing = (role: ModelRole) => new StageError(`stage '${stage}' needs a ${role}, and this trainer has none`);
    if (stage === 'teacher' && !this.teacher) throw missing('teacher');
    if (stage !== 'teacher' && !this.student) throw missing('student');
    if (stage === 'fsp') {
      if (!this.teacher) throw missing('teacher');
      const t = this.teacher;
      const s = this.student!;
      if (t.pairs.length !== s.pairs.length) throw new StageError(`stage 'fsp': the teacher has ${t.pairs.length} FSP pairs, the student ${s.pairs.length}`);
      const tc = tapChannels(t);
      const sc = tapChannels(s);
      t.pairs.forEach(([a, b], i) => {
        const [c, d] = s.pairs[i]!;
        if (tc[a] !== sc[c] || tc[b] !== sc[d]) {
          throw new StageError(`stage 'fsp': pair ${i} is ${tc[a]}×${tc[b]} in the teacher but ${sc[c]}×${sc[d]} in the student; FSP pairs need equal channel counts`);
        }
      });
      const ti = t.model.inputs[0]!.shape.slice(1);
      const si = s.model.inputs[0]!.shape.slice(1);
      if (!sameShape(ti as number[], si as number[])) throw new StageError(`stage 'fsp': teacher input ${JSON.stringify(ti)} differs from student input ${JSON.stringify(si)}`);
    }
    return stage;
  }

  private optimizerFor(stage: Stage): MomentumSgd {
    let opt = this.optimizers[stage];
    if (!opt) {
      opt = new MomentumSgd(this.variablesFor(trainedModel(stage)), { learningRate: this.learningRate(stage), momentum: this.momentum, weightDecay: this.weightDecay });
      this.optimizers[stage] = opt;
    }
    return opt;
  }

  private variablesFor(role: ModelRole): NamedVariable[] {
    return this.need(role).model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
  }

  /** Batch size, after checking the batch against the model (and its labels, for cross-entropy). */
  private checkBatch(batch: TrainBatch, model: TappedModel, needLabels: boolean): number {
    const { images, labels, ids, aug } = batch;
    if (!(images instanceof tf.Tensor) || images.rank !== 4 || images.dtype !== 'float32') {
      throw new RangeError(`images: expected a float32 tensor [batch, height, width, channels], got ${images instanceof tf.Tensor ? `${images.dtype} ${JSON.stringify(images.shape)}` : typeof images}`);
    }
    const n = images.shape[0];
    const expected = model.model.inputs[0]!.shape.slice(1);
    if (n < 1 || !sameShape(images.shape.slice(1), expected as number[])) {
      throw new RangeError(`images: shape ${JSON.stringify(images.shape)} does not fit the model input [batch, ${expected.join(', ')}]`);
    }
    if (needLabels) {
      if (!labels) throw new RangeError(`labels: stage '${this.currentStage}' (cross-entropy) and evaluation need labels`);
      if (labels.length !== n) throw new RangeError(`labels: ${labels.length} labels for ${n} images`);
      const classes = numClasses(model);
      for (let i = 0; i < n; i++) {
        const l = labels[i]!;
        if (!Number.isInteger(l) || l < 0 || l >= classes) throw new RangeError(`labels[${i}]: ${l} is not a class in 0..${classes - 1}`);
      }
    }
    if (ids && ids.length !== n) throw new RangeError(`ids: ${ids.length} ids for ${n} images`);
    if (aug && aug.length !== n) throw new RangeError(`aug: ${aug.length} entries for ${n} images`);
    return n;
  }
}

const isDataset = (s: Dataset | Iterable<TrainBatch>): s is Dataset => typeof (s as Dataset).batches === 'function' && typeof (s as Dataset).gather === 'function';

const variablesOf = (opt: MomentumSgd) => opt.variables.map((v) => v.variable);

const sameShape = (a: readonly (number | null)[], b: readonly (number | null)[]) => a.length === b.length && a.every((d, i) => d === b[i]);
