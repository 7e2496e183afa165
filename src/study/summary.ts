// The study's figures: per arm and teacher, mean ± 95 % Student-t interval over seeds; per arm with a
// scratch arm to compare with, the interval of the paired test-accuracy difference (same seed = same
// initial weights and data order) and of the wall-time ratio; per group, the arm chosen on validation.
// Only seeds present for both arms of a comparison are paired.
import { intervalPlotSvg } from '../report/plot.js';
import type { ArmSpec, StudyConfig } from './config.js';
import type { RunRecord, StudyRecords, TeacherRecord } from './runner.js';
import { pairedInterval, tInterval, type Interval } from './stats.js';

export interface ArmSummary {
  arm: string;
  kind: string;
  seeds: number[];
  iterations: number;
  train_images: number;
  validation_accuracy: Interval;
  test_accuracy: Interval;
  wall_s: Interval;
}

export interface TeacherSummary {
  teacher: string;
  model: string;
  seeds: number[];
  validation_accuracy: Interval;
  test_accuracy: Interval;
  wall_s: Interval;
}

export type Verdict = 'better' | 'worse' | 'no difference established' | 'too few seeds';

export interface Comparison {
  arm: string;
  scratch: string;
  /** 'iterations': the scratch arm trains as many iterations (compareTo); 'time': more, sized to cost the same (compareAtEqualTime). */
  basis: 'iterations' | 'time';
  seeds: number[];
  /** arm − scratch, test accuracy (fraction), paired by seed. */
  test_difference: Interval;
  validation_difference: Interval;
  /** arm wall time / scratch wall time (student training only; the teacher's is extra). */
  wall_ratio: Interval;
  /** The same for CPU time, when every paired record has it (records before 2026-12-07 do not). */
  cpu_ratio: Interval | null;
  /** From the test-difference interval: above 0, below 0, or containing 0. */
  verdict: Verdict;
}

export interface GroupChoice {
  group: string;
  /** Candidates by mean validation accuracy, best first (ties in config order). */
  candidates: { arm: string; validation_mean: number; seeds: number }[];
  /** The best on validation; of equal ones, the first in the config. */
  chosen: string;
  /** Other candidates with the same mean validation accuracy as the chosen one. */
  tied: string[];
}

export interface StudySummary {
  arms: ArmSummary[];
  teachers: TeacherSummary[];
  comparisons: Comparison[];
  groups: GroupChoice[];
  /** Seeds every arm has finished. */
  complete_seeds: number;
}

export function armKind(a: ArmSpec): string {
  const parts: string[] = [];
  if (a.stage1) {
    const s1 = a.stage1;
    const knobs = [
      ...(s1.reduction === 'mean' ? ['mean'] : []),
      ...(s1.lr !== undefined && s1.lr !== 1e-3 ? [`lr ${s1.lr}`] : []),
      ...(s1.pairs ? [`pairs ${s1.pairs.join(',')}`] : []),
      ...(s1.augment ? ['augmented'] : []),
    ];
    parts.push(`FSP ${s1.iterations}${knobs.length ? ` (${knobs.join(', ')})` : ''}`);
  }
  if (a.stage2.kd) parts.push(`KD T=${a.stage2.kd.temperature} α=${a.stage2.kd.alpha}`);
  const ce = `CE ${a.stage2.iterations}${a.stage2.lr !== undefined && a.stage2.lr !== 0.1 ? ` (lr ${a.stage2.lr})` : ''}`;
  return parts.length ? `${parts.join(' → ')}${a.stage2.kd ? ' + ' : ' → '}${ce}` : `scratch ${ce.slice(3)}`;
}

export function verdictOf(diff: Interval): Verdict {
  if (diff.n < 2) return 'too few seeds';
  if (diff.lo > 0) return 'better';
  if (diff.hi < 0) return 'worse';
  return 'no difference established';
}

/** Mean accuracies this close are equal (float noise; accuracies are multiples of 1/samples). */
const TIE = 1e-9;

export function summarizeStudy(config: StudyConfig, records: StudyRecords): StudySummary {
  const runsOf = (arm: string) => records.runs.filter((r) => r.arm === arm).sort((a, b) => a.seed - b.seed);
  const interval = (xs: number[]) => (xs.length ? tInterval(xs) : { n: 0, mean: NaN, sd: NaN, half: NaN, lo: NaN, hi: NaN, level: 0.95 });
  const arms: ArmSummary[] = config.arms
    .map((a) => ({ a, runs: runsOf(a.name) }))
    .filter(({ runs }) => runs.length > 0)
    .map(({ a, runs }) => ({
      arm: a.name,
      kind: armKind(a),
      seeds: runs.map((r) => r.seed),
      iterations: runs[0]!.iterations,
      train_images: runs[0]!.train_images,
      validation_accuracy: interval(runs.map((r) => r.validation.accuracy)),
      test_accuracy: interval(runs.map((r) => r.test.accuracy)),
      wall_s: interval(runs.map((r) => r.wall_s)),
    }));
  const teachers: TeacherSummary[] = Object.entries(config.teachers)
    .map(([key, spec]) => ({ key, spec, recs: records.teachers.filter((t) => t.teacher === key).sort((a, b) => a.seed - b.seed) }))
    .filter(({ recs }) => recs.length > 0)
    .map(({ key, spec, recs }) => ({
      teacher: key,
      model: `ResNet-${spec.depth} ×${spec.width}, ${spec.iterations} it.`,
      seeds: recs.map((t: TeacherRecord) => t.seed),
      validation_accuracy: interval(recs.map((t) => t.validation.accuracy)),
      test_accuracy: interval(recs.map((t) => t.test.accuracy)),
      wall_s: interval(recs.map((t) => t.wall_s)),
    }));
  const comparisons: Comparison[] = [];
  const compare = (a: ArmSpec, scratch: string, basis: Comparison['basis']) => {
    const base = new Map(runsOf(scratch).map((r) => [r.seed, r]));
    const paired = runsOf(a.name).filter((r) => base.has(r.seed));
    if (paired.length === 0) return;
    const other = paired.map((r) => base.get(r.seed)!) as RunRecord[];
    const test = pairedInterval(paired.map((r) => r.test.accuracy), other.map((r) => r.test.accuracy));
    const haveCpu = [...paired, ...other].every((r) => r.cpu_s !== undefined);
    comparisons.push({
      arm: a.name,
      scratch,
      basis,
      seeds: paired.map((r) => r.seed),
      test_difference: test,
      validation_difference: pairedInterval(paired.map((r) => r.validation.accuracy), other.map((r) => r.validation.accuracy)),
      wall_ratio: interval(paired.map((r, i) => r.wall_s / other[i]!.wall_s)),
      cpu_ratio: haveCpu ? interval(paired.map((r, i) => r.cpu_s! / other[i]!.cpu_s!)) : null,
      verdict: verdictOf(test),
    });
  };
  for (const a of config.arms) {
    if (a.compareTo) compare(a, a.compareTo, 'iterations');
    if (a.compareAtEqualTime) compare(a, a.compareAtEqualTime, 'time');
  }
  const groups: GroupChoice[] = [];
  for (const g of new Set(config.arms.flatMap((a) => (a.group ? [a.group] : [])))) {
    const candidates = arms
      .filter((s) => config.arms.find((a) => a.name === s.arm)!.group === g)
      .map((s) => ({ arm: s.arm, validation_mean: s.validation_accuracy.mean, seeds: s.seeds.length }))
      .sort((x, y) => (Math.abs(y.validation_mean - x.validation_mean) <= TIE ? 0 : y.validation_mean - x.validation_mean));
    if (candidates.length) {
      const best = candidates[0]!;
      groups.push({ group: g, candidates, chosen: best.arm, tied: candidates.slice(1).filter((c) => Math.abs(c.validation_mean - best.validation_mean) <= TIE).map((c) => c.arm) });
    }
  }
  let complete = 0;
  for (let s = 1; s <= config.seeds; s++) if (config.arms.every((a) => records.runs.some((r) => r.arm === a.name && r.seed === s))) complete++;
  return { arms, teachers, comparisons, groups, complete_seeds: complete };
}

const pp = (i: Interval) => (i.n < 2 ? `${(100 * i.mean).toFixed(2)}%` : `${(100 * i.mean).toFixed(2)} ± ${(100 * i.half).toFixed(2)}%`);
const dpp = (i: Interval) => (i.n < 2 ? `${(100 * i.mean).toFixed(2)}` : `${i.mean >= 0 ? '+' : ''}${(100 * i.mean).toFixed(2)} ± ${(100 * i.half).toFixed(2)}`);
const secs = (i: Interval) => (i.n < 2 ? `${i.mean.toFixed(0)} s` : `${i.mean.toFixed(0)} ± ${i.half.toFixed(0)} s`);
const ratio = (i: Interval) => (i.n < 2 ? `${i.mean.toFixed(2)}×` : `${i.mean.toFixed(2)} ± ${i.half.toFixed(2)}×`);

/** Markdown tables: teachers, arms, comparisons (the rows docs/EXPERIMENTS.md shows). */
export function studyTables(s: StudySummary): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const out: string[] = [];
  if (s.teachers.length) {
    out.push(line(['teacher', 'network', 'seeds', 'validation accuracy', 'test accuracy', 'wall time']), line(['---', '---', '---', '---', '---', '---']));
    for (const t of s.teachers) out.push(line([t.teacher, t.model, String(t.seeds.length), pp(t.validation_accuracy), pp(t.test_accuracy), secs(t.wall_s)]));
    out.push('');
  }
  out.push(line(['arm', 'training', 'images', 'seeds', 'validation accuracy', 'test accuracy', 'wall time']), line(['---', '---', '---', '---', '---', '---', '---']));
  for (const a of s.arms) out.push(line([a.arm, a.kind, String(a.train_images), String(a.seeds.length), pp(a.validation_accuracy), pp(a.test_accuracy), secs(a.wall_s)]));
  if (s.comparisons.length) {
    out.push('', line(['arm − scratch (paired by seed)', 'at equal', 'seeds', 'validation Δ (points)', 'test Δ (points)', 'wall-time ratio', 'CPU-time ratio', 'reading']), line(['---', '---', '---', '---', '---', '---', '---', '---']));
    for (const c of s.comparisons) {
      out.push(line([`${c.arm} − ${c.scratch}`, c.basis, String(c.seeds.length), dpp(c.validation_difference), dpp(c.test_difference), ratio(c.wall_ratio), c.cpu_ratio ? ratio(c.cpu_ratio) : '—', c.verdict]));
    }
  }
  if (s.groups.length) {
    out.push('');
    for (const g of s.groups) {
      const tie = g.tied.length ? `; tied with ${g.tied.join(', ')}, the first in the config is taken` : '';
      out.push(`Chosen on validation for '${g.group}': **${g.chosen}** (${g.candidates.map((c) => `${c.arm} ${(100 * c.validation_mean).toFixed(2)}%`).join(', ')}${tie}).`);
    }
  }
  return out.join('\n');
}

/** Test accuracy per teacher and arm, mean ± 95 % CI over seeds. */
export function studyPlot(config: StudyConfig, s: StudySummary): string {
  const row = (label: string, i: { mean: number; lo: number; hi: number; n: number }, color: string) => ({
    label,
    mean: i.mean,
    lo: i.n < 2 ? i.mean : i.lo,
    hi: i.n < 2 ? i.mean : i.hi,
    color,
    note: `n = ${i.n}`,
  });
  const rows = [
    ...s.teachers.map((t) => row(`teacher ${t.teacher} (${t.model})`, t.test_accuracy, '#444')),
    ...s.arms.map((a) => row(`${a.arm} (${a.kind})`, a.test_accuracy, a.kind.startsWith('scratch') ? '#1f77b4' : '#d62728')),
  ];
  return intervalPlotSvg(rows, {
    title: `Study ${config.name}: test accuracy, mean ± 95% CI over seeds`,
    xLabel: 'test accuracy (red: FSP / KD students, blue: scratch students, grey: teachers)',
    xFormat: (v) => `${(100 * v).toFixed(1)}%`,
  });
}
