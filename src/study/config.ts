// A study: configurations ("arms") × seeds on the embedded MNIST digits. Every seed trains each named
// teacher once (on the training pool: the training images minus the validation split) and every arm once;
// an arm is a student trained from scratch (stage 2 only) or with FSP stage 1 and/or Hinton KD before or
// in stage 2. Arms name the scratch arm they are compared with (same architecture, same initial weights,
// same data order, equal total iterations, stage 1 counted). Arms sharing a `group` are alternatives of one
// choice (a knob setting); the summary picks the one with the best mean validation accuracy.
import fs from 'node:fs';

export interface NetSpec {
  /** CIFAR ResNet depth, 6n+2. */
  depth: number;
  /** Channel multiplier. */
  width: number;
}

export interface TeacherSpec extends NetSpec {
  iterations: number;
  /** First learning rate of the paper's teacher schedule (×0.1 at 50 %, ×0.01 at 75 %). Default 0.1. */
  lr?: number;
}

export interface KdSpec {
  /** Softmax temperature T of both models' soft targets. */
  temperature: number;
  /** Weight of the soft-target term: (1 − α)·CE + α·T²·KL. */
  alpha: number;
}

export interface Stage1Spec {
  iterations: number;
  /** First rate of the paper's stage-1 schedule (×0.1 at 11/21, ×0.01 at 16/21). Default 1e-3 (paper reduction). */
  lr?: number;
  /** FSP loss reduction: 'paper' (sum over entries, mean over samples) or 'mean' (scale lr up to match). Default 'paper'. */
  reduction?: 'paper' | 'mean';
  /** Which FSP pairs are matched (indices; the ResNets have 3). Default all. */
  pairs?: number[];
  /** Augment stage-1 batches (the teacher-FSP cache then misses). Default false. */
  augment?: boolean;
}

export interface Stage2Spec {
  iterations: number;
  /** First rate of the cross-entropy schedule. Default 0.1. */
  lr?: number;
  /** Hinton KD against the arm's teacher in this stage. */
  kd?: KdSpec;
}

export interface ArmSpec {
  name: string;
  student: NetSpec;
  /** Key into StudyConfig.teachers; needed by stage 1 and KD. */
  teacher?: string;
  /** Student training images (few labels): a seeded subset of the training pool; default the whole pool. */
  trainImages?: number;
  stage1?: Stage1Spec;
  stage2: Stage2Spec;
  /** The scratch arm this one is compared with at equal total iterations (stage 1 counted). */
  compareTo?: string;
  /**
   * A scratch arm with more iterations, sized so that it costs what this arm costs (a teacher forward per
   * stage-1 or KD step makes this arm's steps dearer): the comparison at equal time. The summary shows the
   * measured CPU-time ratio of the pair, so the reader sees how equal the times came out.
   */
  compareAtEqualTime?: string;
  /** Alternatives of one choice; the summary picks the best on validation. */
  group?: string;
}

export interface StudyConfig {
  name: string;
  dataset: 'mnist';
  /** Seeds 1..seeds. */
  seeds: number;
  /** Images carved from the training split for validation (every choice is made on them). */
  validation: number;
  batchSize: number;
  evalBatchSize?: number;
  teachers: Record<string, TeacherSpec>;
  arms: ArmSpec[];
}

export const MIN_SEEDS = 5;

/** Total iterations of an arm, stage 1 counted. */
export const armIterations = (arm: ArmSpec) => (arm.stage1?.iterations ?? 0) + arm.stage2.iterations;

/**
 * What decides an arm's runs: its spec without what only the summary reads (the arms it is compared with,
 * its group), so that adding a comparison to a finished arm keeps its records.
 */
export function trainingSpec(arm: ArmSpec): Omit<ArmSpec, 'compareTo' | 'compareAtEqualTime' | 'group'> {
  const { compareTo: _c, compareAtEqualTime: _t, group: _g, ...rest } = arm;
  return rest;
}

/** Scratch: no teacher involved at all. */
export const isScratch = (arm: ArmSpec) => !arm.stage1 && !arm.stage2.kd;

export function loadStudyConfig(file: string): StudyConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the study config (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message})`);
  }
  return checkStudyConfig(parsed as StudyConfig);
}

/** Throws a RangeError naming the field; returns the config. */
export function checkStudyConfig(c: StudyConfig): StudyConfig {
  const posInt = (v: unknown, field: string) => {
    if (!(Number.isInteger(v) && (v as number) >= 1)) throw new RangeError(`${field}: expected a positive integer, got ${JSON.stringify(v)}`);
  };
  const rate = (v: unknown, field: string) => {
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new RangeError(`${field}: expected a positive learning rate, got ${JSON.stringify(v)}`);
  };
  const net = (n: NetSpec, field: string) => {
    if (!(Number.isInteger(n?.depth) && n.depth >= 8 && (n.depth - 2) % 6 === 0)) throw new RangeError(`${field}.depth: expected 6n+2 (8, 14, 20, …), got ${JSON.stringify(n?.depth)}`);
    posInt(n.width, `${field}.width`);
  };
  if (typeof c?.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(c.name)) throw new RangeError(`name: expected letters, digits, '_', '.', '-', got ${JSON.stringify(c?.name)}`);
  if (c.dataset !== 'mnist') throw new RangeError(`dataset: only 'mnist' (the embedded digits) is supported, got ${JSON.stringify(c.dataset)}`);
  posInt(c.seeds, 'seeds');
  if (c.seeds < MIN_SEEDS) throw new RangeError(`seeds: at least ${MIN_SEEDS} per configuration for an interval worth reading, got ${c.seeds}`);
  posInt(c.validation, 'validation');
  posInt(c.batchSize, 'batchSize');
  if (c.evalBatchSize !== undefined) posInt(c.evalBatchSize, 'evalBatchSize');
  if (typeof c.teachers !== 'object' || c.teachers === null) throw new RangeError('teachers: expected an object of named teacher specs');
  for (const [key, t] of Object.entries(c.teachers)) {
    net(t, `teachers.${key}`);
    posInt(t.iterations, `teachers.${key}.iterations`);
    rate(t.lr, `teachers.${key}.lr`);
  }
  if (!Array.isArray(c.arms) || c.arms.length === 0) throw new RangeError('arms: expected a non-empty array');
  const names = new Set<string>();
  c.arms.forEach((a, i) => {
    const f = `arms[${i}]`;
    if (typeof a.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(a.name)) throw new RangeError(`${f}.name: expected letters, digits, '_', '.', '-', got ${JSON.stringify(a.name)}`);
    if (names.has(a.name)) throw new RangeError(`${f}.name: '${a.name}' is used twice`);
    names.add(a.name);
    net(a.student, `${f}.student`);
    if (a.trainImages !== undefined) posInt(a.trainImages, `${f}.trainImages`);
    if (!a.stage2) throw new RangeError(`${f}.stage2: required`);
    posInt(a.stage2.iterations, `${f}.stage2.iterations`);
    rate(a.stage2.lr, `${f}.stage2.lr`);
    if (a.stage2.kd) {
      const { temperature, alpha } = a.stage2.kd;
      if (!(typeof temperature === 'number' && temperature > 0 && Number.isFinite(temperature))) throw new RangeError(`${f}.stage2.kd.temperature: expected > 0, got ${JSON.stringify(temperature)}`);
      if (!(typeof alpha === 'number' && alpha >= 0 && alpha <= 1)) throw new RangeError(`${f}.stage2.kd.alpha: expected a weight in [0, 1], got ${JSON.stringify(alpha)}`);
    }
    if (a.stage1) {
      posInt(a.stage1.iterations, `${f}.stage1.iterations`);
      rate(a.stage1.lr, `${f}.stage1.lr`);
      if (a.stage1.reduction !== undefined && a.stage1.reduction !== 'paper' && a.stage1.reduction !== 'mean') throw new RangeError(`${f}.stage1.reduction: expected paper or mean, got ${JSON.stringify(a.stage1.reduction)}`);
      if (a.stage1.pairs !== undefined && !(Array.isArray(a.stage1.pairs) && a.stage1.pairs.length > 0 && a.stage1.pairs.every((p) => Number.isInteger(p) && p >= 0 && p < 3))) {
        throw new RangeError(`${f}.stage1.pairs: expected a non-empty list of pair indices in 0..2, got ${JSON.stringify(a.stage1.pairs)}`);
      }
    }
    if ((a.stage1 || a.stage2.kd) && !(a.teacher && c.teachers[a.teacher])) {
      throw new RangeError(`${f}.teacher: stage 1 and KD need a teacher from 'teachers' (${Object.keys(c.teachers).join(', ') || 'none defined'}), got ${JSON.stringify(a.teacher)}`);
    }
  });
  // A comparison pairs runs by seed: same architecture (same initial weights), same images, a scratch base.
  const pairable = (a: ArmSpec, field: string, name: string): ArmSpec => {
    const base = c.arms.find((b) => b.name === name);
    if (!base) throw new RangeError(`${field}: no arm named ${JSON.stringify(name)}`);
    if (!isScratch(base)) throw new RangeError(`${field}: '${base.name}' is not a scratch arm (it has stage 1 or KD)`);
    if (base.student.depth !== a.student.depth || base.student.width !== a.student.width) throw new RangeError(`${field}: '${base.name}' has another architecture`);
    if ((base.trainImages ?? null) !== (a.trainImages ?? null)) throw new RangeError(`${field}: '${base.name}' trains on other images (trainImages)`);
    return base;
  };
  c.arms.forEach((a, i) => {
    if (a.compareTo !== undefined) {
      const base = pairable(a, `arms[${i}].compareTo`, a.compareTo);
      if (armIterations(base) !== armIterations(a)) throw new RangeError(`arms[${i}].compareTo: '${base.name}' trains ${armIterations(base)} iterations, '${a.name}' ${armIterations(a)} (stage 1 counted): compare at equal iterations`);
    }
    if (a.compareAtEqualTime !== undefined) {
      if (isScratch(a)) throw new RangeError(`arms[${i}].compareAtEqualTime: '${a.name}' is itself a scratch arm`);
      const base = pairable(a, `arms[${i}].compareAtEqualTime`, a.compareAtEqualTime);
      if (armIterations(base) < armIterations(a)) throw new RangeError(`arms[${i}].compareAtEqualTime: '${base.name}' trains ${armIterations(base)} iterations, fewer than '${a.name}' (${armIterations(a)}), whose steps cost more`);
    }
  });
  return c;
}
