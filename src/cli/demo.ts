// `fspd demo` (npm run demo): FSP distillation end to end over gRPC, on the MNIST digits embedded in the
// server. An in-process server listens on a free loopback port; everything else goes through the TS
// client (src/client), as a remote trainer would:
//   1. a teacher ResNet trained with cross-entropy (a session whose student is the teacher model);
//   2. an FSP student of the students' architecture: stage 1 (FSP loss against the frozen teacher, the
//      teacher's matrices cached per sample id) then stage 2 (cross-entropy), as in the paper;
//   3. a baseline student with the same initial weights, trained with cross-entropy for stage 1 + stage 2
//      iterations (the same budget).
// Stage 1 draws from a subset of the training digits (--stage1-limit) so that its later epochs come from
// the teacher-FSP cache, as most of the paper's 21k stage-1 iterations do. Every run evaluates on the test
// split as it goes; the table reports final accuracies and the first
// evaluated iteration at which each student reaches the teacher's final accuracy (for the FSP student
// counted over both stages, as the paper counts 21k + 21k). Schedules are the paper's, scaled to the
// iteration counts. Writes <out>/demo.json and <out>/demo.svg (test accuracy vs iteration).
//
// One run of each is an example, not evidence: by default the demo runs the FSP configuration that the
// study (npm run study -- bench/study/a-fast-opt.json; its summary bench/results/study-a-fast-opt.json)
// chose on validation, and its closing line states what the study's 95 % intervals over seeds support
// (src/study/finding.ts), not what this one run happened to show.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { pino } from 'pino';
import { FspdClient, type Evaluation, type RunResponse } from '../client/index.js';
import type { Schedule } from '../generated/fspd/v1/Schedule.js';
import { linePlotSvg } from '../report/plot.js';
import { chosenArm, findingLine, readStudyFile, type StudyFile } from '../study/finding.js';
import { DEFAULT_CONFIG } from '../server/config.js';
import { startServer } from '../server/server.js';

export interface DemoOptions {
  teacherDepth: number;
  studentDepth: number;
  width: number;
  batchSize: number;
  teacherSteps: number;
  stage1Steps: number;
  stage2Steps: number;
  /** Test evaluation every this many iterations (and at the end of every run). */
  evalEvery: number;
  /** Training samples (evenly spaced over the 8,004; 0 = all) and test samples (of 1,996; 0 = all). */
  trainLimit: number;
  testLimit: number;
  /**
   * Stage 1 draws from this many training samples (0 = trainLimit): fewer samples than stage 1 takes, so
   * that later epochs come from the teacher-FSP cache, as in the paper's long runs (54 epochs of CIFAR).
   */
  stage1Limit: number;
  seed: number;
  /** Stage 1: first learning rate of the paper's schedule shape, the FSP loss reduction, the pairs matched (indices). */
  fspLr: number;
  reduction: 'paper' | 'mean';
  pairs: number[];
  /** The study summary whose finding the closing line states (and whose choice the defaults take). */
  study: string;
  /** Where demo.json and demo.svg go. */
  out: string;
  /** Print the JSON result instead of the table. */
  json: boolean;
  /** bars: redrawn progress bars (default on a TTY); lines: a line per progress report; none. */
  progress: 'auto' | 'bars' | 'lines' | 'none';
}

export const DEFAULT_DEMO: DemoOptions = {
  teacherDepth: 8,
  studentDepth: 8,
  width: 1,
  batchSize: 32,
  teacherSteps: 400,
  stage1Steps: 100,
  stage2Steps: 150,
  evalEvery: 25,
  trainLimit: 0,
  testLimit: 500,
  stage1Limit: 0,
  seed: 1,
  fspLr: 1e-3,
  reduction: 'paper',
  pairs: [0, 1, 2],
  study: path.resolve(import.meta.dirname, '..', '..', 'bench', 'results', 'study-a-fast-opt.json'),
  out: 'fspd-demo',
  json: false,
  progress: 'auto',
};

export interface CurvePoint {
  iteration: number;
  accuracy: number;
}

export interface DemoRun {
  name: string;
  model: string;
  iterations: number;
  accuracy: number;
  /** First evaluated iteration reaching the teacher's final accuracy (teacher: its own); null = never. */
  iterationsToTeacher: number | null;
  curve: CurvePoint[];
  seconds: number;
}

export interface DemoResult {
  options: Omit<DemoOptions, 'json' | 'progress'>;
  backend: string;
  teacher: DemoRun;
  fspStudent: DemoRun & { stage1Steps: number; stage2Steps: number; stage1Loss: { first: number; last: number }; teacherCacheHits: number };
  baseline: DemoRun;
  table: string;
  /** The closing line: what the study's intervals support. */
  finding: string;
  files: { json: string; svg: string };
  seconds: number;
}

export interface DemoIo {
  /** The table (or JSON). */
  out: NodeJS.WritableStream;
  /** Progress and notes. */
  err: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** Checks the options; a RangeError names the flag. */
export function checkDemoOptions(o: DemoOptions): DemoOptions {
  const depth = (v: number, flag: string) => {
    if (!(Number.isInteger(v) && v >= 8 && (v - 2) % 6 === 0)) throw new RangeError(`--${flag}: expected 6n+2 (8, 14, 20, 26, …), got ${v}`);
  };
  depth(o.teacherDepth, 'teacher-depth');
  depth(o.studentDepth, 'student-depth');
  const positive: Array<[number, string]> = [
    [o.width, 'width'],
    [o.batchSize, 'batch-size'],
    [o.teacherSteps, 'teacher-steps'],
    [o.stage1Steps, 'stage1-steps'],
    [o.stage2Steps, 'stage2-steps'],
    [o.evalEvery, 'eval-every'],
  ];
  for (const [v, flag] of positive) if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`--${flag}: expected a positive integer, got ${v}`);
  for (const [v, flag] of [
    [o.trainLimit, 'train-limit'],
    [o.testLimit, 'test-limit'],
    [o.stage1Limit, 'stage1-limit'],
    [o.seed, 'seed'],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`--${flag}: expected an integer >= 0, got ${v}`);
  }
  if (!['auto', 'bars', 'lines', 'none'].includes(o.progress)) throw new RangeError(`--progress: expected auto, bars, lines or none, got ${o.progress}`);
  if (!(Number.isFinite(o.fspLr) && o.fspLr > 0)) throw new RangeError(`--fsp-lr: expected a learning rate > 0, got ${o.fspLr}`);
  if (o.reduction !== 'paper' && o.reduction !== 'mean') throw new RangeError(`--reduction: expected paper or mean, got ${o.reduction}`);
  if (!(Array.isArray(o.pairs) && o.pairs.length > 0 && o.pairs.every((p) => Number.isInteger(p) && p >= 0 && p < 3) && new Set(o.pairs).size === o.pairs.length)) {
    throw new RangeError(`--pairs: expected distinct pair indices in 0..2, e.g. 0,1,2, got ${JSON.stringify(o.pairs)}`);
  }
  return o;
}

/**
 * The demo settings of the FSP configuration the study chose on validation (group 'fsp'), or {} without a
 * study summary: teacher and stage iterations, batch size, stage-1 rate, reduction and pairs.
 */
export function demoOptionsFromStudy(study: StudyFile | null): Partial<DemoOptions> {
  const arm = study && chosenArm(study, 'fsp');
  if (!study || !arm?.stage1 || !arm.teacher) return {};
  const teacher = study.config.teachers[arm.teacher]!;
  return {
    teacherDepth: teacher.depth,
    studentDepth: arm.student.depth,
    width: arm.student.width,
    batchSize: study.config.batchSize,
    teacherSteps: teacher.iterations,
    stage1Steps: arm.stage1.iterations,
    stage2Steps: arm.stage2.iterations,
    fspLr: arm.stage1.lr ?? 1e-3,
    reduction: arm.stage1.reduction ?? 'paper',
    pairs: arm.stage1.pairs ?? [0, 1, 2],
  };
}

/** Whether the options run the study's chosen configuration (its stage-2 rate and KD are the defaults, and teachers match). */
function runsChosen(o: DemoOptions, study: StudyFile | null): boolean {
  const chosen = demoOptionsFromStudy(study);
  const arm = study && chosenArm(study, 'fsp');
  if (!arm || Object.keys(chosen).length === 0 || arm.stage2.kd || (arm.stage2.lr ?? 0.1) !== 0.1 || arm.stage1?.augment || arm.trainImages) return false;
  return Object.entries(chosen).every(([k, v]) => JSON.stringify(o[k as keyof DemoOptions]) === JSON.stringify(v));
}

/** The paper's schedule shape over `steps`: phases ending at the given fractions of the run. */
function scaled(rates: number[], fractions: number[], steps: number): Schedule {
  const until = fractions.map((f) => Math.max(1, Math.round(f * steps)));
  for (let i = 1; i < until.length; i++) until[i] = Math.max(until[i]!, until[i - 1]! + 1);
  // Phases that would end past the run are dropped (very short runs); the last one ends the run.
  const keep = until.findIndex((u) => u >= steps);
  const n = keep === -1 ? until.length : keep + 1;
  return { learningRates: rates.slice(0, n), untilSteps: [...until.slice(0, n - 1), steps] };
}

// docs/PAPER.md#hyper-parameters: teacher 0.1 / 0.01 / 0.001 until 32k / 48k / 64k; stage 1 1e-3 / 1e-4 / 1e-5 (×fspLr/1e-3 here) and stage 2
// 0.1 / 0.01 / 0.001 until 11k / 16k / 21k.
const teacherSchedule = (steps: number) => scaled([0.1, 0.01, 0.001], [0.5, 0.75, 1], steps);
const crossEntropySchedule = (steps: number) => scaled([0.1, 0.01, 0.001], [11 / 21, 16 / 21, 1], steps);
const fspSchedule = (lr: number, steps: number) => scaled([lr, lr / 10, lr / 100], [11 / 21, 16 / 21, 1], steps);

export async function runDemo(options: DemoOptions, io: DemoIo = { out: process.stdout, err: process.stderr }): Promise<DemoResult> {
  const o = checkDemoOptions({ ...options });
  const started = performance.now();
  const progressMode = o.progress === 'auto' ? (io.err.isTTY ? 'bars' : 'lines') : o.progress;
  const note = (line: string) => {
    if (progressMode !== 'none') io.err.write(`${line}\n`);
  };

  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-demo-'));
  const server = await startServer(
    { ...DEFAULT_CONFIG, addresses: ['127.0.0.1:0'], metricsAddress: '127.0.0.1:0', checkpointDir: stateDir, shutdownGraceMs: 5000, logLevel: 'warn' },
    pino({ level: 'warn' }, pino.destination(2)),
  );
  const client = new FspdClient({ address: server.addresses[0]!, deadlineMs: 10 * 60_000 });
  let backend = 'unknown';
  try {
    await client.waitForReady();
    backend = tf.getBackend();
    note(`fspd demo: server on ${server.addresses[0]} (tfjs backend ${backend}); MNIST digits, batch ${o.batchSize}`);

    const dataset = { name: 'DATASET_NAME_MNIST' as const, limit: o.trainLimit };
    const testSet = { name: 'DATASET_NAME_MNIST' as const, split: 'SPLIT_TEST' as const, limit: o.testLimit };
    const resnet = (depth: number, seed: number) => ({ depth, widthMultiplier: o.width, numClasses: 10, inputShape: [28, 28, 1], seed });
    const teacherModel = await client.createModel({ modelId: 'teacher', resnet: resnet(o.teacherDepth, o.seed) });
    await client.createModel({ modelId: 'fsp-student', resnet: resnet(o.studentDepth, o.seed + 1) });
    await client.createModel({ modelId: 'baseline-student', resnet: resnet(o.studentDepth, o.seed + 1) });
    const modelName = (depth: number) => `ResNet-${depth}${o.width === 1 ? '' : ` ×${o.width}`}`;
    note(`teacher ${modelName(o.teacherDepth)} (${teacherModel.parameterCount.toLocaleString('en')} weights), students ${modelName(o.studentDepth)}`);

    /** One Run with progress; returns its evaluations. */
    const run = async (label: string, sessionId: string, steps: number, { offset = 0, evaluateEvery = o.evalEvery, limit = o.trainLimit } = {}) => {
      const bar = new ProgressBar(label, steps, progressMode, io.err);
      const evaluations: Evaluation[] = [];
      let firstLoss: number | undefined;
      let lastLoss = 0;
      const t0 = performance.now();
      const events: AsyncIterable<RunResponse> = client.run({
        sessionId,
        dataset: { ...dataset, limit },
        batchSize: o.batchSize,
        steps,
        progressEvery: Math.max(1, Math.min(5, Math.floor(steps / 20))),
        evaluateEvery,
        evaluateDataset: testSet,
      });
      for await (const event of events) {
        if (event.progress) {
          const p = event.progress;
          firstLoss ??= p.meanLoss;
          lastLoss = p.meanLoss;
          bar.update(p.stepsDone, p.meanLoss, p.lastStep?.stage === 'STAGE_FSP' ? undefined : p.meanAccuracy, p.samplesPerSecond);
        } else if (event.evaluation) {
          evaluations.push(event.evaluation);
          bar.evaluated(event.evaluation.step - offset, event.evaluation.accuracy);
        }
      }
      bar.done();
      return { evaluations, seconds: (performance.now() - t0) / 1000, firstLoss: firstLoss ?? 0, lastLoss };
    };
    const curveOf = (evaluations: Evaluation[]) => evaluations.map((e) => ({ iteration: e.step, accuracy: e.accuracy }));

    // 1. The teacher: the student of a cross-entropy session.
    await client.createSession({
      sessionId: 'teacher',
      spec: { studentModelId: 'teacher', crossEntropySchedule: teacherSchedule(o.teacherSteps), seed: o.seed },
    });
    const t = await run('teacher', 'teacher', o.teacherSteps);
    const teacherCurve = curveOf(t.evaluations);
    const target = teacherCurve.at(-1)!.accuracy;

    // 2. The FSP student: stage 1 against the frozen teacher, then stage 2.
    await client.createSession({
      sessionId: 'fsp',
      spec: {
        studentModelId: 'fsp-student',
        teacherModelId: 'teacher',
        fspSchedule: fspSchedule(o.fspLr, o.stage1Steps),
        reduction: o.reduction === 'mean' ? 'REDUCTION_MEAN' : 'REDUCTION_PAPER',
        weights: [0, 1, 2].map((i) => (o.pairs.includes(i) ? 1 : 0)),
        crossEntropySchedule: crossEntropySchedule(o.stage2Steps),
        seed: o.seed + 1,
      },
      stage: 'STAGE_FSP',
    });
    // Stage 1 trains no classifier: one evaluation at its end is enough.
    const s1 = await run('FSP stage 1', 'fsp', o.stage1Steps, { evaluateEvery: 0, limit: o.stage1Limit || o.trainLimit });
    const afterStage1 = await client.getSession('fsp');
    await client.setStage('fsp', 'STAGE_CROSS_ENTROPY');
    const s2 = await run('FSP stage 2', 'fsp', o.stage2Steps, { offset: o.stage1Steps });
    const fspCurve = curveOf([...s1.evaluations.slice(-1), ...s2.evaluations]);

    // 3. The baseline: same initial weights, cross-entropy for the same number of iterations (the study's
    // scratch schedule: the stage-2 shape over the whole budget).
    const budget = o.stage1Steps + o.stage2Steps;
    await client.createSession({
      sessionId: 'baseline',
      spec: { studentModelId: 'baseline-student', crossEntropySchedule: crossEntropySchedule(budget), seed: o.seed + 1 },
    });
    const b = await run('baseline', 'baseline', budget);
    const baselineCurve = curveOf(b.evaluations);

    const reach = (curve: CurvePoint[]) => curve.find((p) => p.accuracy >= target)?.iteration ?? null;
    const teacher: DemoRun = {
      name: 'teacher',
      model: modelName(o.teacherDepth),
      iterations: o.teacherSteps,
      accuracy: target,
      iterationsToTeacher: reach(teacherCurve),
      curve: teacherCurve,
      seconds: t.seconds,
    };
    const fspStudent: DemoResult['fspStudent'] = {
      name: 'FSP student',
      model: modelName(o.studentDepth),
      iterations: budget,
      accuracy: fspCurve.at(-1)!.accuracy,
      iterationsToTeacher: reach(fspCurve),
      curve: fspCurve,
      seconds: s1.seconds + s2.seconds,
      stage1Steps: o.stage1Steps,
      stage2Steps: o.stage2Steps,
      stage1Loss: { first: s1.firstLoss, last: s1.lastLoss },
      teacherCacheHits: afterStage1.teacherCache?.hits ?? 0,
    };
    const baseline: DemoRun = {
      name: 'baseline student',
      model: modelName(o.studentDepth),
      iterations: budget,
      accuracy: baselineCurve.at(-1)!.accuracy,
      iterationsToTeacher: reach(baselineCurve),
      curve: baselineCurve,
      seconds: b.seconds,
    };

    fs.mkdirSync(o.out, { recursive: true });
    const files = { json: path.join(o.out, 'demo.json'), svg: path.join(o.out, 'demo.svg') };
    const table = demoTable(teacher, fspStudent, baseline);
    const study = readStudyFile(o.study);
    const finding = findingLine(study, { file: o.study, ranChosen: runsChosen(o, study) });
    const { json: _json, progress: _progress, ...recorded } = o;
    const result: DemoResult = { options: recorded, backend, teacher, fspStudent, baseline, table, finding, files, seconds: (performance.now() - started) / 1000 };
    fs.writeFileSync(files.svg, demoPlot(result));
    fs.writeFileSync(files.json, `${JSON.stringify(result, null, 2)}\n`);
    if (o.json) io.out.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      io.out.write(`\n${table}\n`);
      io.out.write(
        `\nteacher-FSP cache: ${fspStudent.teacherCacheHits} of ${o.stage1Steps * o.batchSize} stage-1 samples served from the cache` +
          `\nwrote ${files.svg} and ${files.json} (${result.seconds.toFixed(0)} s)\n`,
      );
      io.out.write(`\n${finding}\n`);
    }
    return result;
  } finally {
    client.close();
    await server.shutdown();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

const pct = (a: number) => `${(100 * a).toFixed(2)}%`;

export function demoTable(teacher: DemoRun, fsp: DemoResult['fspStudent'], baseline: DemoRun): string {
  const rows = [
    ['run', 'model', 'iterations', "iterations to the teacher's accuracy", 'final test accuracy', 'wall'],
    [teacher.name, teacher.model, String(teacher.iterations), teacher.iterationsToTeacher === null ? '—' : String(teacher.iterationsToTeacher), pct(teacher.accuracy), `${teacher.seconds.toFixed(0)} s`],
    [fsp.name, fsp.model, `${fsp.stage1Steps} + ${fsp.stage2Steps}`, fsp.iterationsToTeacher === null ? 'not reached' : String(fsp.iterationsToTeacher), pct(fsp.accuracy), `${fsp.seconds.toFixed(0)} s`],
    [baseline.name, baseline.model, String(baseline.iterations), baseline.iterationsToTeacher === null ? 'not reached' : String(baseline.iterationsToTeacher), pct(baseline.accuracy), `${baseline.seconds.toFixed(0)} s`],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

export function demoPlot(r: DemoResult): string {
  const pts = (curve: CurvePoint[]) => curve.map((p) => [p.iteration, p.accuracy] as const);
  return linePlotSvg(
    [
      { name: `teacher ${r.teacher.model}`, points: pts(r.teacher.curve), color: '#444' },
      { name: `FSP student ${r.fspStudent.model} (stage 1: ${r.fspStudent.stage1Steps} it.)`, points: pts(r.fspStudent.curve), color: '#d62728' },
      { name: `baseline student ${r.baseline.model}`, points: pts(r.baseline.curve), color: '#1f77b4', dashed: true },
    ],
    {
      title: 'fspd demo: MNIST test accuracy vs iteration',
      xLabel: `iteration (batch ${r.options.batchSize}; the FSP student counted over stage 1 + stage 2)`,
      yLabel: 'test accuracy',
      yRange: [0, 1],
      yFormat: (v) => `${Math.round(100 * v)}%`,
      vLines: [{ at: r.fspStudent.stage1Steps, label: 'FSP stage 1 → 2', color: '#d62728' }],
      hLines: [{ at: r.teacher.accuracy, label: `teacher ${pct(r.teacher.accuracy)}`, color: '#444' }],
    },
  );
}

/** A progress bar redrawn in place (TTY), or a plain line per update. */
class ProgressBar {
  private lastLine = '';
  private lastPrinted = -1;
  private evalText = '';
  private readonly started = performance.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly mode: 'bars' | 'lines' | 'none',
    private readonly err: DemoIo['err'],
  ) {}

  update(done: number, loss: number, accuracy: number | undefined, samplesPerSecond: number): void {
    const acc = accuracy === undefined ? '' : `  batch acc ${pct(accuracy)}`;
    const text = `loss ${loss.toPrecision(4)}${acc}${this.evalText}  ${samplesPerSecond.toFixed(0)} img/s`;
    if (this.mode === 'bars') {
      const width = 24;
      const filled = Math.round((done / this.total) * width);
      this.draw(`${this.label.padEnd(12)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(done).padStart(String(this.total).length)}/${this.total}  ${text}`);
    } else if (this.mode === 'lines') {
      // About ten lines per run.
      if (done === this.total || this.lastPrinted < 0 || done - this.lastPrinted >= this.total / 10) {
        this.lastPrinted = done;
        this.err.write(`${this.label.padEnd(12)} ${String(done).padStart(String(this.total).length)}/${this.total}  ${text}\n`);
      }
    }
  }

  evaluated(step: number, accuracy: number): void {
    this.evalText = `  test acc ${pct(accuracy)} @${step}`;
  }

  done(): void {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(0);
    if (this.mode === 'bars') {
      this.draw(`${this.lastLine.replace(/\s+$/, '')}  (${seconds} s)`);
      this.err.write('\n');
    } else if (this.mode === 'lines') {
      this.err.write(`${this.label.padEnd(12)} done${this.evalText} (${seconds} s)\n`);
    }
  }

  private draw(line: string): void {
    const cols = this.err.columns ?? 120;
    const shown = line.length > cols - 1 ? line.slice(0, cols - 1) : line;
    this.err.write(`\r${shown}${' '.repeat(Math.max(0, this.lastLine.length - shown.length))}`);
    this.lastLine = shown;
  }
}
