// Runs a study (config.ts) resumably: seeds outermost (after k seeds every arm has k runs, so a stopped
// study still gives intervals), each teacher trained once per seed and kept as a checkpoint, each finished
// run written atomically as its own JSON file the moment it completes. A restarted study reads what is
// there and continues; a run cut off half-way leaves nothing and is redone (every run is deterministic for
// its seed, so the redone run is the one the uninterrupted study would have made). A record whose arm spec
// or study setting changed since is an error, not silently mixed in.
//
// Seeds: teacher weights from seed·100, every student of one architecture from seed·100 + 1 (an FSP student
// and its scratch arm start from the same weights), data order seed·1000 + 1 (teachers) / + 2 (students).
// Every run is evaluated once at its end, on the validation split (for choices) and the test split (for
// the reported numbers).
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset } from '../data/index.js';
import { buildResNet, type TappedModel } from '../models/index.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { scheduleFor } from '../report/fast-opt.js';
import { duration, Progress } from '../report/progress.js';
import { openScalarWriter, stepScalars, type ScalarWriter } from '../report/tensorboard.js';
import { readCheckpointFile, STAGE_NAMES, Trainer, writeCheckpointFile, type EvalResult, type Schedule, type Stage, type StepResult } from '../training/index.js';
import { armIterations, trainingSpec, type ArmSpec, type NetSpec, type StudyConfig, type TeacherSpec } from './config.js';
import { poolSubset, type StudySplits } from './data.js';

/** What every record was made under; a change invalidates the records. */
export interface StudyContext {
  dataset: string;
  validation: number;
  batchSize: number;
}

export interface Evaluated {
  accuracy: number;
  loss: number;
  samples: number;
}

export interface TeacherRecord {
  teacher: string;
  seed: number;
  spec: TeacherSpec;
  context: StudyContext;
  validation: Evaluated;
  test: Evaluated;
  wall_s: number;
  /** CPU time of the process (every thread) while training; steadier than wall time on a shared machine. Absent in records before 2026-12-07. */
  cpu_s?: number;
  ms_per_step: number;
  finished_at: string;
}

export interface RunRecord {
  arm: string;
  seed: number;
  spec: ArmSpec;
  context: StudyContext;
  iterations: number;
  train_images: number;
  validation: Evaluated;
  test: Evaluated;
  /** Student training time, both stages (the teacher's training is in its own record). */
  wall_s: number;
  /** CPU time of the process (every thread) over both stages. Absent in records before 2026-12-07. */
  cpu_s?: number;
  ms_per_step: number;
  stage1?: { wall_s: number; first_loss: number; final_loss: number; teacher_hits: number; teacher_misses: number };
  stage2: { wall_s: number; final_loss: number };
  finished_at: string;
}

export interface StudyRecords {
  teachers: TeacherRecord[];
  runs: RunRecord[];
}

/** What a step observer sees (TensorBoard, progress). */
export interface StepEvent {
  /** `teacher:<key>` or the arm name. */
  run: string;
  seed: number;
  /** Iterations of this run so far, stage 1 counted. */
  iteration: number;
  result: StepResult;
}

export interface StudyHooks {
  log?: (line: string) => void;
  onStep?: (e: StepEvent) => void;
  /** Awaited before the next run starts. */
  onRunDone?: (e: { run: string; seed: number; record: RunRecord | TeacherRecord }) => void | Promise<void>;
  /** Checked after every step: true stops the study (StudyInterrupted) without writing the run in progress. */
  shouldStop?: () => boolean;
  /** Checked before each run: false ends this piece of the study cleanly (between runs). */
  startNextRun?: () => boolean;
  /** Seeds 1..limit this time (default all): a study in pieces. */
  seedLimit?: number;
  /** Only these arms this time (default all): a study in pieces. */
  arms?: readonly string[];
  /** A progress line every this many steps (default 50). */
  progressEvery?: number;
  /** TensorBoard event files under <logdir>/<run>/seed<k> (steps, and validation / test accuracy at the end). */
  logdir?: string;
}

export class StudyInterrupted extends Error {
  override readonly name = 'StudyInterrupted';
}

export function studyContext(config: StudyConfig): StudyContext {
  return { dataset: config.dataset, validation: config.validation, batchSize: config.batchSize };
}

export const runFile = (dir: string, arm: string, seed: number) => path.join(dir, 'runs', `${arm}-seed${seed}.json`);
export const teacherFile = (dir: string, key: string, seed: number) => path.join(dir, 'teachers', `${key}-seed${seed}.json`);
const teacherWeights = (dir: string, key: string, seed: number) => path.join(dir, 'teachers', `${key}-seed${seed}.ckpt`);

/** The records in `dir` (a study's state folder), checked against the config. */
export function readRecords(config: StudyConfig, dir: string): StudyRecords {
  const context = JSON.stringify(studyContext(config));
  // `decisive` keeps the part of a spec that decides the run (for arms: trainingSpec).
  const read = <T extends { spec: unknown; context: StudyContext }>(file: string, spec: unknown, what: string, decisive: (s: never) => unknown = (s) => s): T | null => {
    if (!fs.existsSync(file)) return null;
    let rec: T;
    try {
      rec = JSON.parse(fs.readFileSync(file, 'utf8')) as T;
    } catch (err) {
      throw new Error(`${file}: unreadable study record (${(err as Error).message}); delete it to redo the run`);
    }
    if (JSON.stringify(decisive(rec.spec as never)) !== JSON.stringify(decisive(spec as never)) || JSON.stringify(rec.context) !== context) {
      throw new Error(`${file}: ${what} was run with other settings than the config has now; give the changed arm a new name, or delete the record to redo it`);
    }
    return rec;
  };
  const teachers: TeacherRecord[] = [];
  const runs: RunRecord[] = [];
  for (let seed = 1; seed <= config.seeds; seed++) {
    for (const [key, spec] of Object.entries(config.teachers)) {
      const r = read<TeacherRecord>(teacherFile(dir, key, seed), spec, `teacher '${key}' seed ${seed}`);
      if (r) teachers.push(r);
    }
    for (const arm of config.arms) {
      const r = read<RunRecord>(runFile(dir, arm.name, seed), arm, `arm '${arm.name}' seed ${seed}`, trainingSpec);
      if (r) runs.push(r);
    }
  }
  return { teachers, runs };
}


const SCHEDULE_BASE: Record<Stage, number> = { teacher: 0.1, fsp: 1e-3, cross_entropy: 0.1 };

/** The paper's schedule shape for `stage` over `iterations`, its rates scaled so the first is `lr`. */
export function studySchedule(stage: Stage, iterations: number, lr = SCHEDULE_BASE[stage]): Schedule {
  const s = scheduleFor(stage, iterations);
  const f = lr / SCHEDULE_BASE[stage];
  return { ...s, values: s.values.map((v) => v * f) };
}

const evaluated = (r: EvalResult): Evaluated => ({ accuracy: r.accuracy, loss: r.loss, samples: r.samples });

/** Runs what is missing of the study (seeds 1..seedLimit), writing each finished run into `dir`. */
export async function runStudy(config: StudyConfig, data: StudySplits, dir: string, hooks: StudyHooks = {}): Promise<StudyRecords> {
  const log = hooks.log ?? (() => {});
  const context = studyContext(config);
  const seeds = Math.min(config.seeds, hooks.seedLimit ?? config.seeds);
  fs.mkdirSync(path.join(dir, 'runs'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'teachers'), { recursive: true });
  // Studies may share a state folder (and so their teachers and identical arms): one config file each.
  await writeFileAtomic(path.join(dir, `config-${config.name}.json`), `${JSON.stringify(config, null, 2)}\n`);
  const have = readRecords(config, dir);
  const done = new Set([...have.runs.map((r) => `${r.arm}#${r.seed}`), ...have.teachers.map((t) => `teacher:${t.teacher}#${t.seed}`)]);
  const evalBatch = config.evalBatchSize ?? 500;
  const [h, w, c] = data.pool.shape;
  const build = (net: NetSpec, seed: number, name: string): TappedModel =>
    buildResNet({ depth: net.depth, widthMultiplier: net.width, numClasses: data.pool.numClasses, inputShape: [h, w, c], seed, name });

  // The plan, for the ETA: teachers are trained only when an arm of that seed still needs them.
  const pendingRuns: { seed: number; arm: ArmSpec }[] = [];
  const pendingTeachers = new Set<string>();
  if (hooks.arms) for (const a of hooks.arms) if (!config.arms.some((x) => x.name === a)) throw new RangeError(`arms: no arm named ${JSON.stringify(a)} in study ${config.name}`);
  for (let seed = 1; seed <= seeds; seed++) {
    for (const arm of config.arms) {
      if (done.has(`${arm.name}#${seed}`) || (hooks.arms && !hooks.arms.includes(arm.name))) continue;
      pendingRuns.push({ seed, arm });
      const teacherReady = (key: string) => done.has(`teacher:${key}#${seed}`) && fs.existsSync(teacherWeights(dir, key, seed));
      if (arm.teacher && (arm.stage1 || arm.stage2.kd) && !teacherReady(arm.teacher)) pendingTeachers.add(`${arm.teacher}#${seed}`);
    }
  }
  const progress = new Progress({
    steps: pendingRuns.reduce((a, r) => a + armIterations(r.arm), 0) + [...pendingTeachers].reduce((a, k) => a + config.teachers[k.split('#')[0]!]!.iterations, 0),
  });
  const runsPlanned = pendingRuns.length + pendingTeachers.size;
  let runsDone = 0;
  const progressEvery = hooks.progressEvery ?? 50;
  log(`study ${config.name}: seeds 1..${seeds} of ${config.seeds}; ${have.runs.length} runs and ${have.teachers.length} teachers already done, ${pendingRuns.length} runs and ${pendingTeachers.size} teachers to go`);

  // Steps of one stage; stops the study when asked (nothing of the run is written). Turns the event loop
  // after every step, so that a signal handler can ask.
  const train = async (run: string, seed: number, trainer: Trainer, steps: number, from: number, tb: ScalarWriter | null, onResult?: (r: StepResult) => void) => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let last: StepResult | undefined;
    for (let i = 1; i <= steps; i++) {
      const s0 = performance.now();
      last = trainer.nextStep();
      progress.stepDone(performance.now() - s0);
      if (i % progressEvery === 0 || i === steps) {
        log(`  ${run} seed ${seed} ${trainer.stage} ${i}/${steps}  loss ${last.loss.toPrecision(4)}  lr ${last.lr.toPrecision(3)}  | runs ${runsDone}/${runsPlanned}, ${progress.summary()}`);
      }
      onResult?.(last);
      if (tb) for (const { tag, value } of stepScalars(last)) tb.scalar(`${STAGE_NAMES[trainer.stage].tensorboard}/${tag}`, value, from + i);
      hooks.onStep?.({ run, seed, iteration: from + i, result: last });
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (hooks.shouldStop?.()) throw new StudyInterrupted(`stopped during ${run} seed ${seed} (${trainer.stage} step ${i}/${steps}); finished runs are kept`);
    }
    const cpu = process.cpuUsage(cpu0);
    return { wall_s: (performance.now() - t0) / 1000, cpu_s: (cpu.user + cpu.system) / 1e6, last: last! };
  };

  const writerFor = (run: string, seed: number) => (hooks.logdir ? openScalarWriter(path.join(hooks.logdir, run.replace(':', '-'), `seed${seed}`)) : Promise.resolve(null));
  const logEnd = (tb: ScalarWriter | null, step: number, validation: Evaluated, test: Evaluated) => {
    if (!tb) return;
    tb.scalar('validation/accuracy', validation.accuracy, step);
    tb.scalar('test/accuracy', test.accuracy, step);
    tb.close();
  };

  const teachers = new Map<string, TappedModel>(); // `${key}#${seed}` → the trained teacher
  const teacherFor = async (key: string, seed: number): Promise<TappedModel> => {
    const id = `${key}#${seed}`;
    const cached = teachers.get(id);
    if (cached) return cached;
    const spec = config.teachers[key]!;
    const model = build(spec, seed * 100, `teacher_${key}`);
    const weights = teacherWeights(dir, key, seed);
    const finished = done.has(`teacher:${id}`) || readRecords({ ...config, arms: [], teachers: { [key]: spec } }, dir).teachers.some((t) => t.seed === seed);
    if (finished && fs.existsSync(weights)) {
      const tt = new Trainer({ teacher: model });
      tt.importState((await readCheckpointFile(weights)).state);
      tt.dispose();
    } else {
      const tt = new Trainer({ teacher: model, schedules: { teacher: studySchedule('teacher', spec.iterations, spec.lr) }, data: { dataset: data.pool, batchSize: config.batchSize, seed: seed * 1000 + 1 } });
      log(`teacher '${key}' seed ${seed}: ResNet-${spec.depth} ×${spec.width}, ${spec.iterations} iterations on ${data.pool.size} images`);
      const tb = await writerFor(`teacher:${key}`, seed);
      let wall_s: number;
      let cpu_s: number;
      try {
        ({ wall_s, cpu_s } = await train(`teacher:${key}`, seed, tt, spec.iterations, 0, tb));
      } catch (err) {
        tb?.close();
        tt.dispose();
        model.model.dispose();
        throw err;
      }
      await writeCheckpointFile(weights, tt.exportState());
      const record: TeacherRecord = {
        teacher: key,
        seed,
        spec,
        context,
        validation: evaluated(tt.evaluate(data.validation, { batchSize: evalBatch })),
        test: evaluated(tt.evaluate(data.test, { batchSize: evalBatch })),
        wall_s,
        cpu_s,
        ms_per_step: (wall_s * 1000) / spec.iterations,
        finished_at: new Date().toISOString(),
      };
      tt.dispose();
      logEnd(tb, spec.iterations, record.validation, record.test);
      // A teacher whose record was imported without its weights (importRecords) is trained again; runs are
      // deterministic for their seed, so it should come out the same: say so when it does not.
      const earlier = have.teachers.find((t) => t.teacher === key && t.seed === seed);
      if (earlier && (earlier.validation.accuracy !== record.validation.accuracy || earlier.test.accuracy !== record.test.accuracy)) {
        log(`teacher '${key}' seed ${seed}: retrained to validation ${pct(record.validation.accuracy)}, test ${pct(record.test.accuracy)}; its earlier record had ${pct(earlier.validation.accuracy)}, ${pct(earlier.test.accuracy)}`);
      }
      if (earlier) have.teachers.splice(have.teachers.indexOf(earlier), 1);
      await writeFileAtomic(teacherFile(dir, key, seed), `${JSON.stringify(record, null, 2)}\n`);
      done.add(`teacher:${id}`);
      have.teachers.push(record);
      runsDone++;
      log(`teacher '${key}' seed ${seed}: validation ${pct(record.validation.accuracy)}, test ${pct(record.test.accuracy)} (${duration(wall_s * 1000)})`);
      await hooks.onRunDone?.({ run: `teacher:${key}`, seed, record });
    }
    teachers.set(id, model);
    return model;
  };

  try {
    for (const { seed, arm } of pendingRuns) {
      if (hooks.startNextRun && !hooks.startNextRun()) {
        log(`study ${config.name}: stopping between runs as asked; ${have.runs.length} runs done`);
        break;
      }
      // Another piece sharing the state folder may have finished this run since the plan was made.
      if (fs.existsSync(runFile(dir, arm.name, seed))) {
        const theirs = readRecords({ ...config, arms: [arm], teachers: {} }, dir).runs.find((r) => r.seed === seed);
        if (theirs) {
          have.runs.push(theirs);
          runsDone++;
          log(`${arm.name} seed ${seed}: finished meanwhile by another piece; skipped`);
          continue;
        }
      }
      // Teachers of earlier seeds are not needed again.
      for (const [id, m] of teachers) {
        if (Number(id.split('#')[1]) < seed) {
          m.model.dispose();
          teachers.delete(id);
        }
      }
      const teacher = arm.teacher && (arm.stage1 || arm.stage2.kd) ? await teacherFor(arm.teacher, seed) : undefined;
      const trainSet: Dataset = poolSubset(data.pool, arm.trainImages, seed);
      const student = build(arm.student, seed * 100 + 1, `student_${arm.name}`);
      const s1 = arm.stage1;
      const trainer = new Trainer({
        ...(teacher ? { teacher } : {}),
        student,
        stage: s1 ? 'fsp' : 'cross_entropy',
        schedules: { ...(s1 ? { fsp: studySchedule('fsp', s1.iterations, s1.lr) } : {}), cross_entropy: studySchedule('cross_entropy', arm.stage2.iterations, arm.stage2.lr) },
        ...(s1?.reduction ? { reduction: s1.reduction } : {}),
        ...(arm.stage2.kd ? { distillation: arm.stage2.kd } : {}),
        ...(s1?.pairs && teacher ? { pairWeights: teacher.pairs.map((_, i) => (s1.pairs!.includes(i) ? 1 : 0)) } : {}),
        data: { dataset: trainSet, batchSize: config.batchSize, seed: seed * 1000 + 2, augment: { fsp: s1?.augment ?? false, cross_entropy: true } },
      });
      const tb = await writerFor(arm.name, seed);
      try {
        log(`${arm.name} seed ${seed}: ResNet-${arm.student.depth} ×${arm.student.width}, ${s1 ? `stage 1 ${s1.iterations} + ` : ''}stage 2 ${arm.stage2.iterations} iterations on ${trainSet.size} images`);
        let stage1: RunRecord['stage1'];
        let stage1Cpu: number | undefined;
        if (s1) {
          let first = NaN;
          const losses: number[] = [];
          let hits = 0;
          let misses = 0;
          const r = await train(arm.name, seed, trainer, s1.iterations, 0, tb, (x) => {
            if (Number.isNaN(first)) first = x.loss;
            losses.push(x.loss);
            hits += x.teacherHits ?? 0;
            misses += x.teacherMisses ?? 0;
          });
          const tail = losses.slice(-10);
          stage1Cpu = r.cpu_s;
          stage1 = { wall_s: r.wall_s, first_loss: first, final_loss: tail.reduce((a, b) => a + b, 0) / tail.length, teacher_hits: hits, teacher_misses: misses };
          trainer.setStage('cross_entropy');
        }
        const r2 = await train(arm.name, seed, trainer, arm.stage2.iterations, s1?.iterations ?? 0, tb);
        const wall = (stage1?.wall_s ?? 0) + r2.wall_s;
        const cpu = (stage1Cpu ?? 0) + r2.cpu_s;
        const record: RunRecord = {
          arm: arm.name,
          seed,
          spec: arm,
          context,
          iterations: armIterations(arm),
          train_images: trainSet.size,
          validation: evaluated(trainer.evaluate(data.validation, { model: 'student', batchSize: evalBatch })),
          test: evaluated(trainer.evaluate(data.test, { model: 'student', batchSize: evalBatch })),
          wall_s: wall,
          cpu_s: cpu,
          ms_per_step: (wall * 1000) / armIterations(arm),
          ...(stage1 ? { stage1 } : {}),
          stage2: { wall_s: r2.wall_s, final_loss: r2.last.loss },
          finished_at: new Date().toISOString(),
        };
        logEnd(tb, record.iterations, record.validation, record.test);
        await writeFileAtomic(runFile(dir, arm.name, seed), `${JSON.stringify(record, null, 2)}\n`);
        have.runs.push(record);
        runsDone++;
        log(`${arm.name} seed ${seed}: validation ${pct(record.validation.accuracy)}, test ${pct(record.test.accuracy)} (${duration(wall * 1000)})`);
        await hooks.onRunDone?.({ run: arm.name, seed, record });
      } finally {
        tb?.close();
        trainer.dispose();
        student.model.dispose();
      }
    }
  } finally {
    for (const m of teachers.values()) m.model.dispose();
  }
  return have;
}

const pct = (a: number) => `${(100 * a).toFixed(2)}%`;
