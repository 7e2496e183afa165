// The paper's "fast optimisation" experiment (docs/PAPER.md; Yim et al. 2017, Section 4.1 and Figure 3):
//   1. a teacher trained from scratch with cross-entropy for T iterations;
//   2. an FSP student of the same architecture: stage 1 (FSP loss against the frozen teacher) for S1
//      iterations, then stage 2 (cross-entropy only) for S2 iterations;
//   3. a baseline student (same architecture and the same initial weights as the FSP student) trained from
//      scratch with cross-entropy for the same total budget S1 + S2, with the teacher's recipe (lr 0.1 →
//      0.01 → 0.001 at 50 % / 75 %) scaled to that budget.
// All three are evaluated on the test split every `evalEvery` iterations. Reported: final accuracies and
// the first evaluated iteration at which each student reaches the teacher's final accuracy (counted over
// both stages for the FSP student; null when never reached). Schedules are the paper's, scaled to the
// iteration counts with scaleSchedule (the paper: T = 64k, S1 = S2 = 21k, batch 128 on CIFAR-10).
import { loadCifar10, loadMnist, StridedSubset, type Dataset } from '../data/index.js';
import { buildResNet, type TappedModel } from '../models/index.js';
import { paperSchedule, scaleSchedule, trainedModel, Trainer, type Schedule, type Stage, type StepResult } from '../training/index.js';
import { linePlotSvg } from './plot.js';
import { Progress } from './progress.js';

export const FAST_OPT_DATASETS = ['mnist', 'cifar10'] as const;
export type FastOptDataset = (typeof FAST_OPT_DATASETS)[number];

export interface FastOptConfig {
  dataset: FastOptDataset;
  /** Directory of the CIFAR-10 binary files (cifar10 only). */
  dataDir: string | null;
  /** CIFAR ResNet depths (6n+2); the paper's fast-optimisation setting uses the same for both. */
  teacherDepth: number;
  studentDepth: number;
  /** Channel multiplier of both networks. */
  width: number;
  batchSize: number;
  /** Iterations (training steps of one batch). The baseline student trains stage1 + stage2 iterations. */
  teacherIterations: number;
  stage1Iterations: number;
  stage2Iterations: number;
  /** Test-split evaluation every this many iterations (and at the end of every run and of stage 1). */
  evalEvery: number;
  evalBatchSize: number;
  /** Evenly spaced subsets (null: the whole split), for smoke runs. */
  trainSamples: number | null;
  testSamples: number | null;
  /** Model seeds: teacher = seed, both students = seed + 1 (identical initial weights); data streams derive from it too. */
  seed: number;
  /** The dataset's default augmentation for the cross-entropy runs (stage 1 never augments, so the teacher-FSP cache hits). */
  augment: boolean;
  /** A progress line every this many steps. */
  progressEvery: number;
}

/** The paper's iteration counts (CIFAR-10, batch 128). */
export const PAPER_ITERATIONS = { teacher: 64_000, stage1: 21_000, stage2: 21_000 } as const;

/**
 * Defaults. mnist: small enough for a 2-core CPU (about 10 minutes with the tensorflow backend):
 * ResNet-8 → ResNet-8, width 1, batch 64, the paper's schedules scaled by 0.01 (640 teacher iterations,
 * 210 + 210 for the FSP student, 420 for the baseline; 8,004 training images = 125 iterations per epoch).
 * cifar10: the paper's setting (ResNet-26 → ResNet-26, batch 128, 64k / 21k + 21k), which needs days on
 * a CPU: pass --scale to shorten it.
 */
export function defaultFastOptConfig(dataset: FastOptDataset): FastOptConfig {
  const base = { dataDir: null, width: 1, trainSamples: null, testSamples: null, seed: 1, augment: true, evalBatchSize: 500 };
  if (dataset === 'mnist') {
    return { ...base, dataset, teacherDepth: 8, studentDepth: 8, batchSize: 64, ...scaledIterations(0.01), evalEvery: 20, progressEvery: 50 };
  }
  if (dataset === 'cifar10') {
    return { ...base, dataset, teacherDepth: 26, studentDepth: 26, batchSize: 128, ...scaledIterations(1), evalEvery: 1000, progressEvery: 100 };
  }
  throw new RangeError(`dataset: expected one of ${FAST_OPT_DATASETS.join(', ')}, got ${JSON.stringify(dataset)}`);
}

/** The paper's iteration counts times `scale` (at least 1 each). */
export function scaledIterations(scale: number): Pick<FastOptConfig, 'teacherIterations' | 'stage1Iterations' | 'stage2Iterations'> {
  if (!(scale > 0 && Number.isFinite(scale))) throw new RangeError(`scale: expected a positive number, got ${scale}`);
  const r = (n: number) => Math.max(1, Math.round(n * scale));
  return { teacherIterations: r(PAPER_ITERATIONS.teacher), stage1Iterations: r(PAPER_ITERATIONS.stage1), stage2Iterations: r(PAPER_ITERATIONS.stage2) };
}

/** Throws a RangeError naming the field; returns the config. */
export function checkFastOptConfig(c: FastOptConfig): FastOptConfig {
  if (!(FAST_OPT_DATASETS as readonly string[]).includes(c.dataset)) throw new RangeError(`dataset: expected one of ${FAST_OPT_DATASETS.join(', ')}, got ${JSON.stringify(c.dataset)}`);
  if (c.dataset === 'cifar10' && !c.dataDir) throw new RangeError('data: cifar10 needs --data DIR (the folder of data_batch_1..5.bin and test_batch.bin)');
  const positive = ['teacherDepth', 'studentDepth', 'width', 'batchSize', 'teacherIterations', 'stage1Iterations', 'stage2Iterations', 'evalEvery', 'evalBatchSize', 'progressEvery'] as const;
  for (const k of positive) if (!(Number.isInteger(c[k]) && c[k] >= 1)) throw new RangeError(`${k}: expected a positive integer, got ${c[k]}`);
  for (const k of ['trainSamples', 'testSamples'] as const) {
    const v = c[k];
    if (v !== null && !(Number.isInteger(v) && v >= 1)) throw new RangeError(`${k}: expected a positive integer or null, got ${v}`);
  }
  if (!Number.isInteger(c.seed)) throw new RangeError(`seed: expected an integer, got ${c.seed}`);
  return c;
}

/** The paper's schedule for `kind` over `iterations` (boundaries scaled and rounded, total exactly `iterations`). */
export function scheduleFor(kind: Stage, iterations: number): Schedule {
  const paper = paperSchedule(kind);
  const s = scaleSchedule(paper, iterations / paper.total);
  return { values: s.values, boundaries: s.boundaries.map((b) => Math.min(b, iterations)), total: iterations };
}

export interface CurvePoint {
  /** Iterations trained when evaluated (for the FSP student: stage 1 + stage 2). */
  iteration: number;
  accuracy: number;
  loss: number;
}

/** The first evaluated iteration with accuracy >= target, or null. */
export function iterationsToReach(curve: readonly CurvePoint[], target: number): number | null {
  return curve.find((p) => p.accuracy >= target)?.iteration ?? null;
}

export interface RunSummary {
  iterations: number;
  accuracy: number;
  loss: number;
  curve: CurvePoint[];
  wall_s: number;
  ms_per_step: number;
}

export interface FastOptResult {
  experiment: 'fast-opt';
  dataset: FastOptDataset;
  config: FastOptConfig;
  schedules: { teacher: Schedule; fsp: Schedule; cross_entropy: Schedule; baseline: Schedule };
  train_samples: number;
  test_samples: number;
  teacher: RunSummary & { model: string; iterations_to_final_accuracy: number | null };
  fsp_student: RunSummary & {
    model: string;
    stage1_iterations: number;
    stage2_iterations: number;
    iterations_to_teacher_accuracy: number | null;
    stage1: { first_loss: number; final_loss: number; loss_curve: { iteration: number; loss: number }[]; teacher_hits: number; teacher_misses: number; wall_s: number; ms_per_step: number };
  };
  baseline_student: RunSummary & { model: string; iterations_to_teacher_accuracy: number | null };
  total_wall_s: number;
}

export interface FastOptData {
  train: Dataset;
  test: Dataset;
}

/** The dataset's splits (CIFAR-10 from `dataDir`), cut to evenly spaced subsets when the config asks. */
export async function loadFastOptData(config: FastOptConfig): Promise<FastOptData> {
  checkFastOptConfig(config);
  const [train, test] =
    config.dataset === 'mnist' ? [loadMnist('train'), loadMnist('test')] : await Promise.all([loadCifar10(config.dataDir!, 'train'), loadCifar10(config.dataDir!, 'test')]);
  return { train: subsetDataset(train, config.trainSamples), test: subsetDataset(test, config.testSamples) };
}

/**
 * `n` evenly spaced samples of `ds` (index ⌊i·size/n⌋; MNIST is ordered by digit, so every class stays),
 * keeping the original sample ids. `ds` itself when n is null or >= its size. Its batches() serves only
 * evaluation: in order, without shuffling or augmentation.
 */
export function subsetDataset(ds: Dataset, n: number | null): Dataset {
  return n === null || n >= ds.size ? ds : new StridedSubset(ds, n);
}

export interface FastOptHooks {
  /** Progress and evaluation lines. Default: none. */
  log?: (line: string) => void;
}

/** Runs the three trainings (synchronously; several minutes to days) on the active tfjs backend. */
export function runFastOpt(config: FastOptConfig, data: FastOptData, hooks: FastOptHooks = {}): FastOptResult {
  checkFastOptConfig(config);
  const log = hooks.log ?? (() => {});
  const { train, test } = data;
  const [h, w, c] = train.shape;
  const T = config.teacherIterations;
  const S1 = config.stage1Iterations;
  const S2 = config.stage2Iterations;
  const schedules = { teacher: scheduleFor('teacher', T), fsp: scheduleFor('fsp', S1), cross_entropy: scheduleFor('cross_entropy', S2), baseline: scheduleFor('teacher', S1 + S2) };
  const build = (depth: number, seed: number, name: string): TappedModel =>
    buildResNet({ depth, widthMultiplier: config.width, numClasses: train.numClasses, inputShape: [h, w, c], seed, name });
  const evalPoints = (total: number, from = 0) => Math.ceil((total - from) / config.evalEvery) + 1;
  const progress = new Progress({ steps: T + 2 * (S1 + S2), evaluations: evalPoints(T) + evalPoints(S1 + S2, S1) + 1 + evalPoints(S1 + S2) });
  const progressLine = (run: string, i: number, total: number, r: StepResult) => {
    const acc = r.accuracy === undefined ? '' : `  batch acc ${(100 * r.accuracy).toFixed(1)}%`;
    const cache = r.teacherHits === undefined ? '' : `  teacher cache ${r.teacherHits}/${r.batchSize}`;
    log(`${run.padEnd(8)} step ${String(i).padStart(6)}/${total}  loss ${r.loss.toPrecision(4)}  lr ${r.lr}${acc}${cache}  | ${progress.summary()}`);
  };
  const data0 = (seedOffset: number) => ({ dataset: train, batchSize: config.batchSize, seed: config.seed * 1000 + seedOffset });
  const started = performance.now();

  // Evaluates `model` of `trainer` on the test split and appends the point.
  const evaluate = (run: string, trainer: Trainer, model: 'teacher' | 'student', iteration: number, curve: CurvePoint[]) => {
    const t0 = performance.now();
    const r = trainer.evaluate(test, { model, batchSize: config.evalBatchSize });
    progress.evaluationDone(performance.now() - t0);
    curve.push({ iteration, accuracy: r.accuracy, loss: r.loss });
    log(`${run.padEnd(8)} eval @ ${String(iteration).padStart(6)}: test accuracy ${(100 * r.accuracy).toFixed(2)}% (loss ${r.loss.toFixed(4)})`);
  };
  // `steps` steps of the trainer's current stage, evaluating at multiples of evalEvery (offset by `from`).
  const steps = (run: string, trainer: Trainer, steps: number, from: number, curve: CurvePoint[] | null, onStep?: (r: StepResult) => void) => {
    const t0 = performance.now();
    for (let i = 1; i <= steps; i++) {
      const s0 = performance.now();
      const r = trainer.nextStep();
      progress.stepDone(performance.now() - s0);
      onStep?.(r);
      const it = from + i;
      if (i % config.progressEvery === 0 || i === steps) progressLine(run, i, steps, r);
      if (curve && (it % config.evalEvery === 0 || i === steps)) evaluate(run, trainer, trainedModel(trainer.stage), it, curve);
    }
    return { wall_s: (performance.now() - t0) / 1000, ms_per_step: (performance.now() - t0) / steps };
  };

  // 1. Teacher.
  const teacher = build(config.teacherDepth, config.seed, `teacher_resnet${config.teacherDepth}`);
  const teacherCurve: CurvePoint[] = [];
  const tt = new Trainer({ teacher, schedules: { teacher: schedules.teacher }, data: { ...data0(1), augment: { teacher: config.augment } } });
  log(`teacher: ResNet-${config.teacherDepth} ×${config.width}, ${T} iterations of ${config.batchSize}`);
  const tTime = steps('teacher', tt, T, 0, teacherCurve);
  tt.dispose();
  const teacherFinal = teacherCurve.at(-1)!;

  // 2. FSP student: stage 1, then stage 2 (iterations counted over both).
  const fspStudent = build(config.studentDepth, config.seed + 1, `fsp_student_resnet${config.studentDepth}`);
  const ft = new Trainer({
    teacher,
    student: fspStudent,
    stage: 'fsp',
    schedules: { fsp: schedules.fsp, cross_entropy: schedules.cross_entropy },
    data: { ...data0(2), augment: { fsp: false, cross_entropy: config.augment } },
  });
  log(`fsp student: ResNet-${config.studentDepth} ×${config.width}, stage 1 ${S1} + stage 2 ${S2} iterations`);
  const lossCurve: { iteration: number; loss: number }[] = [];
  let hits = 0;
  let misses = 0;
  const s1Time = steps('stage1', ft, S1, 0, null, (r) => {
    hits += r.teacherHits ?? 0;
    misses += r.teacherMisses ?? 0;
    lossCurve.push({ iteration: r.stageStep, loss: r.loss });
  });
  const fspCurve: CurvePoint[] = [];
  evaluate('stage1', ft, 'student', S1, fspCurve); // the classifier is still at its initial weights here
  ft.setStage('cross_entropy');
  const s2Time = steps('stage2', ft, S2, S1, fspCurve);
  ft.dispose();

  // 3. Baseline student: same architecture and initial weights, cross-entropy for S1 + S2 iterations.
  const baseStudent = build(config.studentDepth, config.seed + 1, `baseline_student_resnet${config.studentDepth}`);
  const baseCurve: CurvePoint[] = [];
  const bt = new Trainer({ student: baseStudent, stage: 'cross_entropy', schedules: { cross_entropy: schedules.baseline }, data: { ...data0(2), augment: { cross_entropy: config.augment } } });
  log(`baseline student: ResNet-${config.studentDepth} ×${config.width}, ${S1 + S2} iterations`);
  const bTime = steps('baseline', bt, S1 + S2, 0, baseCurve);
  bt.dispose();

  for (const m of [teacher, fspStudent, baseStudent]) m.model.dispose();
  const target = teacherFinal.accuracy;
  const last = (curve: CurvePoint[]) => curve.at(-1)!;
  const smooth = (xs: number[]) => xs.slice(-Math.min(10, xs.length)).reduce((a, b) => a + b, 0) / Math.min(10, xs.length);
  return {
    experiment: 'fast-opt',
    dataset: config.dataset,
    config,
    schedules,
    train_samples: train.size,
    test_samples: test.size,
    teacher: {
      model: `ResNet-${config.teacherDepth} x${config.width}`,
      iterations: T,
      accuracy: teacherFinal.accuracy,
      loss: teacherFinal.loss,
      iterations_to_final_accuracy: iterationsToReach(teacherCurve, target),
      curve: teacherCurve,
      ...tTime,
    },
    fsp_student: {
      model: `ResNet-${config.studentDepth} x${config.width}`,
      stage1_iterations: S1,
      stage2_iterations: S2,
      iterations: S1 + S2,
      iterations_to_teacher_accuracy: iterationsToReach(fspCurve, target),
      accuracy: last(fspCurve).accuracy,
      loss: last(fspCurve).loss,
      curve: fspCurve,
      wall_s: s1Time.wall_s + s2Time.wall_s,
      ms_per_step: ((s1Time.wall_s + s2Time.wall_s) * 1000) / (S1 + S2),
      stage1: {
        first_loss: lossCurve[0]!.loss,
        final_loss: smooth(lossCurve.map((p) => p.loss)),
        loss_curve: lossCurve.filter((p, i) => i === 0 || p.iteration % config.progressEvery === 0 || i === lossCurve.length - 1),
        teacher_hits: hits,
        teacher_misses: misses,
        ...s1Time,
      },
    },
    baseline_student: {
      model: `ResNet-${config.studentDepth} x${config.width}`,
      iterations: S1 + S2,
      iterations_to_teacher_accuracy: iterationsToReach(baseCurve, target),
      accuracy: last(baseCurve).accuracy,
      loss: last(baseCurve).loss,
      curve: baseCurve,
      ...bTime,
    },
    total_wall_s: (performance.now() - started) / 1000,
  };
}

/** Figure 3: test accuracy vs iteration for the teacher, the FSP student (both stages) and the baseline. */
export function fastOptPlot(r: FastOptResult): string {
  const pts = (curve: CurvePoint[]) => curve.map((p) => [p.iteration, p.accuracy] as const);
  const accs = [r.teacher, r.fsp_student, r.baseline_student].flatMap((x) => x.curve.map((p) => p.accuracy));
  const y0 = Math.max(0, Math.floor((Math.min(r.teacher.accuracy, ...accs.filter((a) => a >= r.teacher.accuracy - 0.1)) - 0.02) * 20) / 20);
  return linePlotSvg(
    [
      { name: `teacher ${r.teacher.model}`, points: pts(r.teacher.curve), color: '#444' },
      { name: `FSP student (stage 1: ${r.fsp_student.stage1_iterations} it.)`, points: pts(r.fsp_student.curve), color: '#d62728' },
      { name: 'baseline student', points: pts(r.baseline_student.curve), color: '#1f77b4', dashed: true },
    ],
    {
      title: `Fast optimisation on ${r.dataset} (test accuracy vs iteration; cf. the paper's Figure 3)`,
      xLabel: `iteration (batch ${r.config.batchSize}; FSP student counted over stage 1 + stage 2)`,
      yLabel: 'test accuracy',
      yRange: [y0, 1],
      xRange: [0, Math.max(r.teacher.iterations, r.fsp_student.iterations)],
      yFormat: (v) => `${(100 * v).toFixed(v >= 0.995 || y0 >= 0.9 ? 1 : 0)}%`,
      vLines: [{ at: r.fsp_student.stage1_iterations, label: 'FSP stage 1 → 2', color: '#d62728' }],
      hLines: [{ at: r.teacher.accuracy, label: `teacher final ${(100 * r.teacher.accuracy).toFixed(2)}%`, color: '#444' }],
    },
  );
}

const pct = (a: number) => `${(100 * a).toFixed(2)}%`;
const its = (n: number | null) => (n === null ? 'never' : String(n));

/** A markdown table of the result (the rows docs/EXPERIMENTS.md shows). */
export function fastOptTable(r: FastOptResult): string {
  const rows = [
    ['teacher', r.teacher.model, String(r.teacher.iterations), its(r.teacher.iterations_to_final_accuracy), pct(r.teacher.accuracy), `${r.teacher.wall_s.toFixed(0)} s`],
    [
      'FSP student',
      r.fsp_student.model,
      `${r.fsp_student.stage1_iterations} + ${r.fsp_student.stage2_iterations}`,
      its(r.fsp_student.iterations_to_teacher_accuracy),
      pct(r.fsp_student.accuracy),
      `${r.fsp_student.wall_s.toFixed(0)} s`,
    ],
    ['baseline student', r.baseline_student.model, String(r.baseline_student.iterations), its(r.baseline_student.iterations_to_teacher_accuracy), pct(r.baseline_student.accuracy), `${r.baseline_student.wall_s.toFixed(0)} s`],
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(['run', 'network', 'iterations', `iterations to ${pct(r.teacher.accuracy)} (teacher final)`, 'final test accuracy', 'wall time']),
    line(['---', '---', '---', '---', '---', '---']),
    ...rows.map(line),
  ].join('\n');
}
