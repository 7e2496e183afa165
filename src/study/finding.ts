// What a finished (or partly finished) study supports, in one sentence, for the demo's closing line: the
// FSP configuration chosen on validation against scratch at equal iterations (and at equal time, where the
// study has that comparison), and Hinton KD likewise, read
// from the paired 95 % intervals of the study's summary file; nothing claimed that the intervals do not carry.
import fs from 'node:fs';
import { MIN_SEEDS, type ArmSpec, type StudyConfig } from './config.js';
import type { Comparison, StudySummary } from './summary.js';

/** The parts of bench/results/study-<name>.json the finding needs. */
export interface StudyFile {
  study: string;
  date?: string;
  command?: string;
  config: StudyConfig;
  summary: StudySummary;
}

/** The study summary at `file`, or null when there is none; an unreadable file is an error naming it. */
export function readStudyFile(file: string): StudyFile | null {
  if (!fs.existsSync(file)) return null;
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as StudyFile;
    if (!s.config?.arms || !s.summary?.comparisons) throw new Error('not a study summary (no config.arms or summary.comparisons)');
    return s;
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

/** A comparison's basis (summaries written before 2026-12-07 have none: all were at equal iterations). */
const basisOf = (c: Comparison) => c.basis ?? 'iterations';
const atEqualIterations = (study: StudyFile) => study.summary.comparisons.filter((c) => basisOf(c) === 'iterations');
const atEqualTime = (study: StudyFile, arm: string) => study.summary.comparisons.find((c) => c.arm === arm && basisOf(c) === 'time');

/** The arm chosen on validation in `group`, or null when the group has no runs yet. */
export function chosenArm(study: StudyFile, group: string): ArmSpec | null {
  const g = study.summary.groups.find((x) => x.group === group);
  return g ? (study.config.arms.find((a) => a.name === g.chosen) ?? null) : null;
}

const points = (c: Comparison) => {
  const d = c.test_difference;
  const sign = d.mean >= 0 ? '+' : '−';
  return `${sign}${Math.abs(100 * d.mean).toFixed(2)} ± ${(100 * d.half).toFixed(2)} points of test accuracy (${c.seeds.length} seeds, 95% CI)`;
};

/** One clause per comparison: what its interval says. */
export function comparisonClause(c: Comparison, what: string): string {
  const equal = `at equal ${basisOf(c) === 'time' ? 'time' : 'iterations'}`;
  if (c.seeds.length < MIN_SEEDS) {
    const sofar = c.seeds.length >= 2 ? `; so far ${points(c)}` : '';
    return `${what} vs scratch is not established yet: ${c.seeds.length} of ${MIN_SEEDS} seeds finished${sofar}`;
  }
  switch (c.verdict) {
    case 'better':
      return `${what} beat scratch ${equal}: ${points(c)}`;
    case 'worse':
      return `${what} was worse than scratch ${equal}: ${points(c)}`;
    default:
      return `${what} made no difference the study could establish ${equal}: ${points(c)}`;
  }
}

/**
 * The closing line: the study's finding for the FSP arm chosen on validation in `group` (and the best KD
 * arm, when the study has one), and whether this demo ran that configuration.
 */
export function findingLine(study: StudyFile | null, options: { file: string; group?: string; ranChosen: boolean }): string {
  const group = options.group ?? 'fsp';
  if (!study) {
    return `No study summary at ${options.file}: one run of each cannot say whether FSP helps; the study's findings are in docs/EXPERIMENTS.md (a source checkout reruns it: npm run study -- bench/study/a-fast-opt.json).`;
  }
  const arm = chosenArm(study, group);
  const comparisons = atEqualIterations(study);
  const fsp = arm && comparisons.find((c) => c.arm === arm.name);
  if (!arm || !fsp) return `The study ${study.study} has no finished FSP runs yet: whether FSP helps at this scale is not established.`;
  const tied = study.summary.groups.find((x) => x.group === group)?.tied ?? [];
  const parts = [comparisonClause(fsp, `FSP (${arm.name}, chosen on validation${tied.length ? `, tied there with ${tied.join(', ')}` : ''})`)];
  const fspTime = atEqualTime(study, arm.name);
  if (fspTime) parts.push(comparisonClause(fspTime, `FSP (${arm.name})`));
  for (const t of tied) {
    const c = comparisons.find((x) => x.arm === t);
    if (c) parts.push(comparisonClause(c, `FSP (${t})`));
  }
  const kd = comparisons
    .filter((c) => {
      const a = study.config.arms.find((x) => x.name === c.arm);
      return a?.stage2.kd && !a.stage1;
    })
    .sort((x, y) => y.validation_difference.mean - x.validation_difference.mean)[0];
  if (kd) parts.push(comparisonClause(kd, `Hinton KD (${kd.arm})`));
  const kdTime = kd && atEqualTime(study, kd.arm);
  if (kdTime) parts.push(comparisonClause(kdTime, `Hinton KD (${kd.arm})`));
  // A verdict on FSP only when every arm the choice could have been agrees; "helped" also needs it not to
  // lose at equal time.
  const chosen = [fsp, ...tied.flatMap((t) => comparisons.filter((x) => x.arm === t))];
  const verdictOnFsp = chosen.some((c) => c.seeds.length < MIN_SEEDS)
    ? ''
    : chosen.every((c) => c.verdict === 'better') && fspTime?.verdict !== 'worse'
      ? ' FSP helped at this scale.'
      : chosen.every((c) => c.verdict !== 'better')
        ? ' FSP did not help at this scale.'
        : '';
  const ran = options.ranChosen ? 'This demo ran that FSP configuration once (one seed: its table above is an example, not evidence).' : `This demo ran another configuration than the study's choice (${arm.name}); the finding is the study's, not this run's.`;
  return `Study ${study.study} (${study.summary.complete_seeds} complete seeds): ${parts.join('; ')}.${verdictOnFsp} ${ran}`;
}
