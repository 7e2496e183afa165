// Piecewise-constant learning-rate schedules (docs/PAPER.md#hyper-parameters). A schedule counts the
// steps of its own stage from 0: step s uses values[k], k = the number of boundaries <= s. "lr 1e-3 /
// 1e-4 / 1e-5 until 11k / 16k / 21k" is values [1e-3, 1e-4, 1e-5], boundaries [11000, 16000], total 21000:
// steps 0..10999 use 1e-3, 11000..15999 use 1e-4, 16000..20999 use 1e-5. Past `total` the last value
// holds; `total` is where a run over the schedule stops.
import type { Stage } from './stage.js';

export interface Schedule {
  /** Learning rate per phase; one more than boundaries. */
  values: number[];
  /** Stage steps where the next phase starts, non-decreasing. */
  boundaries: number[];
  /** Steps in the stage (>= the last boundary). */
  total: number;
}

export type PaperDataset = 'cifar10' | 'cifar100';

/** The paper's schedules (iterations of batch 128 on CIFAR). */
export function paperSchedule(stage: Stage, dataset: PaperDataset = 'cifar10'): Schedule {
  switch (stage) {
    case 'teacher':
      return { values: [0.1, 0.01, 0.001], boundaries: [32_000, 48_000], total: 64_000 };
    case 'fsp':
      return dataset === 'cifar100'
        ? { values: [1e-3, 1e-4, 1e-5], boundaries: [16_000, 24_000], total: 32_000 }
        : { values: [1e-3, 1e-4, 1e-5], boundaries: [11_000, 16_000], total: 21_000 };
    case 'cross_entropy':
      return { values: [0.1, 0.01, 0.001], boundaries: [11_000, 16_000], total: 21_000 };
  }
}

/**
 * The same schedule over `factor` times the steps (boundaries and total rounded, total at least 1), for
 * shorter runs: scaleSchedule(paperSchedule('fsp'), 0.01) switches at 110 and 160 and stops at 210.
 */
export function scaleSchedule(schedule: Schedule, factor: number): Schedule {
  if (!(factor > 0 && Number.isFinite(factor))) throw new RangeError(`scale: expected a positive number, got ${factor}`);
  checkSchedule(schedule);
  const boundaries = schedule.boundaries.map((b) => Math.round(b * factor));
  const total = Math.max(1, Math.round(schedule.total * factor), boundaries.at(-1) ?? 0);
  return { values: [...schedule.values], boundaries, total };
}

/** The paper's schedule for a stage, optionally scaled (scale 1 = the paper's iteration counts). */
export function defaultSchedule(stage: Stage, { scale = 1, dataset = 'cifar10' }: { scale?: number; dataset?: PaperDataset } = {}): Schedule {
  const s = paperSchedule(stage, dataset);
  return scale === 1 ? s : scaleSchedule(s, scale);
}

export function learningRateAt(schedule: Schedule, step: number): number {
  let k = 0;
  while (k < schedule.boundaries.length && step >= schedule.boundaries[k]!) k++;
  return schedule.values[k]!;
}

/** Throws a RangeError naming the field when the schedule is malformed; returns a copy otherwise. */
export function checkSchedule(schedule: Schedule, name = 'schedule'): Schedule {
  const { values, boundaries, total } = schedule ?? ({} as Schedule);
  if (!Array.isArray(values) || values.length === 0) throw new RangeError(`${name}.values: expected a non-empty array of learning rates`);
  if (!Array.isArray(boundaries) || boundaries.length !== values.length - 1) {
    throw new RangeError(`${name}.boundaries: expected ${values.length - 1} boundaries for ${values.length} values, got ${JSON.stringify(boundaries)}`);
  }
  values.forEach((v, i) => {
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new RangeError(`${name}.values[${i}]: expected a finite learning rate >= 0, got ${v}`);
  });
  boundaries.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 0 || (i > 0 && b < boundaries[i - 1]!)) {
      throw new RangeError(`${name}.boundaries[${i}]: expected a non-decreasing integer >= 0, got ${b}`);
    }
  });
  if (!Number.isInteger(total) || total < 1 || total < (boundaries.at(-1) ?? 0)) {
    throw new RangeError(`${name}.total: expected an integer >= 1 and >= the last boundary, got ${total}`);
  }
  return { values: [...values], boundaries: [...boundaries], total };
}
