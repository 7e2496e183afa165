// src/study: the Student-t interval against an independent computation (numerical integration of the t
// density, and textbook quantiles), a tiny study on toy 4×4 images (pure-JS cpu backend, seconds):
// records and summary shape, an interrupted study that continues and ends with exactly the records of an
// uninterrupted one, and config errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../src/data/index.js';
import {
  carveValidation,
  checkStudyConfig,
  pairedInterval,
  readRecords,
  runStudy,
  StudyInterrupted,
  studyPlot,
  studyTables,
  studentTQuantile,
  summarizeStudy,
  tInterval,
  findingLine,
  importRecords,
  verdictOf,
  type Comparison,
  type StudyConfig,
  type StudyFile,
} from '../src/study/index.js';
import { scalarsOf } from './helpers/tfevents.js';
import { toyImages } from './helpers/toy-images.js';

before(async () => {
  await tf.setBackend('cpu');
});

/** ∫_0^x of the t density with `df` degrees of freedom, by composite Simpson (independent of the beta route). */
function tCdfBySimpson(x: number, df: number): number {
  const lnGammaHalf = (k: number): number => {
    // ln Γ(k/2) exactly from Γ(1) = 1, Γ(1/2) = √π and Γ(z + 1) = z Γ(z).
    let z = k % 2 === 0 ? 1 : 0.5;
    let v = k % 2 === 0 ? 0 : 0.5 * Math.log(Math.PI);
    while (z < k / 2) {
      v += Math.log(z);
      z += 1;
    }
    return v;
  };
  const c = Math.exp(lnGammaHalf(df + 1) - lnGammaHalf(df) - 0.5 * Math.log(df * Math.PI));
  const pdf = (t: number) => c * (1 + (t * t) / df) ** (-(df + 1) / 2);
  const n = 20000;
  const h = x / n;
  let s = pdf(0) + pdf(x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * pdf(i * h);
  return 0.5 + (s * h) / 3;
}

describe('Student-t interval', () => {
  it('the 97.5 % quantile has CDF 0.975 by direct integration of the density', () => {
    for (const df of [1, 2, 4, 5, 9, 19, 30]) {
      const q = studentTQuantile(0.975, df);
      assert.ok(Math.abs(tCdfBySimpson(q, df) - 0.975) < 1e-7, `df ${df}: CDF(${q}) = ${tCdfBySimpson(q, df)}`);
    }
  });

  it('matches textbook quantiles', () => {
    // t(0.975, df) from standard tables.
    const table: [number, number][] = [
      [1, 12.7062],
      [4, 2.7764],
      [9, 2.2622],
      [29, 2.0452],
    ];
    for (const [df, q] of table) assert.ok(Math.abs(studentTQuantile(0.975, df) - q) < 1e-4, `df ${df}`);
    assert.ok(Math.abs(studentTQuantile(0.025, 4) + 2.7764) < 1e-4);
  });

  it('mean ± t·sd/√n, computed by hand for five values', () => {
    const xs = [0.91, 0.93, 0.9, 0.95, 0.92];
    const m = 0.922;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / 4);
    const ci = tInterval(xs);
    assert.ok(Math.abs(ci.mean - m) < 1e-12);
    assert.ok(Math.abs(ci.sd - sd) < 1e-12);
    assert.ok(Math.abs(ci.half - (2.776445105 * sd) / Math.sqrt(5)) < 1e-8);
    assert.ok(Math.abs(ci.lo - (m - ci.half)) < 1e-12 && Math.abs(ci.hi - (m + ci.half)) < 1e-12);
    const d = pairedInterval([1, 2, 3], [0.5, 1.0, 2.5]);
    assert.ok(Math.abs(d.mean - 2 / 3) < 1e-12);
    assert.ok(Number.isNaN(tInterval([1]).half), 'one value has no interval');
    assert.throws(() => tInterval([1, NaN]), /values\[1\]/);
  });
});

const toy = (n: number, name: string, phase: number): Dataset => toyImages(n, { name, noise: 0.5, phase, flip: false });

const tinyConfig = (): StudyConfig => ({
  name: 'tiny',
  dataset: 'mnist',
  seeds: 5,
  validation: 12,
  batchSize: 4,
  evalBatchSize: 16,
  teachers: { t: { depth: 8, width: 1, iterations: 3 } },
  arms: [
    { name: 'scratch', student: { depth: 8, width: 1 }, stage2: { iterations: 4 } },
    { name: 'fsp', group: 'g', compareTo: 'scratch', teacher: 't', student: { depth: 8, width: 1 }, stage1: { iterations: 2 }, stage2: { iterations: 2 } },
    { name: 'fsp-few', group: 'g', compareTo: 'scratch-few', teacher: 't', trainImages: 8, student: { depth: 8, width: 1 }, stage1: { iterations: 1, pairs: [2] }, stage2: { iterations: 3, kd: { temperature: 2, alpha: 0.5 } } },
    { name: 'scratch-few', trainImages: 8, student: { depth: 8, width: 1 }, stage2: { iterations: 4 } },
  ],
});

describe('a tiny study', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-study-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const splits = () => carveValidation(toy(60, 'toy-train', 0), toy(18, 'toy-test', 1), 12);
  const key = (r: { arm: string; seed: number }) => `${r.arm}#${r.seed}`;
  const strip = (r: object) => {
    // Wall and CPU times and dates differ between runs; everything else must not.
    const { wall_s: _w, cpu_s: _c, ms_per_step: _m, finished_at: _f, stage1, stage2, ...rest } = r as Record<string, unknown> & { stage1?: Record<string, unknown>; stage2?: Record<string, unknown> };
    const clean = (s: Record<string, unknown> | undefined) => (s ? Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'wall_s')) : s);
    return { ...rest, stage1: clean(stage1), stage2: clean(stage2) };
  };

  let whole: Awaited<ReturnType<typeof runStudy>>;
  it('runs every arm × seed and every teacher once per seed', async () => {
    const config = tinyConfig();
    whole = await runStudy(config, splits(), tmp());
    assert.equal(whole.runs.length, 4 * 5);
    assert.equal(whole.teachers.length, 5);
    for (const r of whole.runs) {
      assert.ok(r.test.accuracy >= 0 && r.test.accuracy <= 1);
      assert.equal(r.test.samples, 18);
      assert.equal(r.validation.samples, 12);
      assert.equal(r.iterations, (r.spec.stage1?.iterations ?? 0) + r.spec.stage2.iterations);
      assert.equal(r.train_images, r.spec.trainImages ?? 60 - 12);
      assert.equal(r.stage1 !== undefined, r.spec.stage1 !== undefined);
    }
    // Stage 1 of the second epoch comes from the teacher-FSP cache only when the data repeats: 48 images, batch 4: no hits in 2 steps.
    const fsp = whole.runs.find((r) => r.arm === 'fsp')!;
    assert.equal(fsp.stage1!.teacher_hits + fsp.stage1!.teacher_misses, 2 * 4);
  });

  it('continues an interrupted study to exactly the uninterrupted records, and refuses records of a changed arm', async () => {
    const config = tinyConfig();
    const dir = tmp();
    // Seed 1: scratch 4 steps, teacher 3, fsp 2 + 2, fsp-few 1 + 3, scratch-few 4; seed 2: scratch 4, teacher 3, then
    // stop in the middle of the fsp run (after its first stage-1 step).
    let steps = 0;
    await assert.rejects(runStudy(config, splits(), dir, { seedLimit: 2, shouldStop: () => ++steps === 19 + 4 + 3 + 1 }), StudyInterrupted);
    const partial = readRecords(config, dir);
    assert.deepEqual(partial.runs.map(key).sort(), ['fsp#1', 'fsp-few#1', 'scratch#1', 'scratch-few#1', 'scratch#2'].sort());
    assert.equal(partial.teachers.length, 2);
    const before = new Map(partial.runs.map((r) => [key(r), r.finished_at]));
    const logdir = tmp();
    const rest = await runStudy(config, splits(), dir, { seedLimit: 2, logdir });
    assert.equal(rest.runs.length, 8);
    // TensorBoard: the runs of this second start wrote their steps and final accuracies.
    const fspLog = scalarsOf(path.join(logdir, 'fsp', 'seed2'));
    const fsp2 = rest.runs.find((r) => key(r) === 'fsp#2')!;
    assert.deepEqual(fspLog.filter((x) => x.tag === 'test/accuracy'), [{ step: 4, tag: 'test/accuracy', value: Math.fround(fsp2.test.accuracy) }]);
    assert.deepEqual(fspLog.filter((x) => x.tag === 'stage1/fsp_loss/pair2').map((x) => x.step), [1, 2]);
    assert.deepEqual(fspLog.filter((x) => x.tag === 'stage2/learning_rate').map((x) => x.step), [3, 4]);
    assert.ok(fspLog.some((x) => x.tag === 'stage1/teacher_cache/hits'));
    assert.equal(fs.existsSync(path.join(logdir, 'fsp', 'seed1')), false, 'finished runs are not redone');
    for (const r of rest.runs) if (before.has(key(r))) assert.equal(r.finished_at, before.get(key(r)), `${key(r)} was not redone`);
    const expected = new Map(whole.runs.map((r) => [key(r), strip(r)]));
    for (const r of rest.runs) assert.deepEqual(strip(r), expected.get(key(r)), key(r));
    assert.equal(fs.readdirSync(path.join(dir, 'runs')).filter((f) => f.endsWith('.tmp')).length, 0);

    await assert.rejects(runStudy(config, splits(), dir, { arms: ['nope'] }), /arms: no arm named "nope" in study tiny/);
    const onlyScratch = await runStudy(config, splits(), dir, { seedLimit: 3, arms: ['scratch'] });
    assert.deepEqual(onlyScratch.runs.filter((r) => r.seed === 3).map(key), ['scratch#3'], 'a piece of one arm');
    // What only the summary reads (comparisons, group) may change; what decides the run may not.
    Object.assign(config.arms[1]!, { compareAtEqualTime: 'scratch', group: 'h' });
    assert.equal(readRecords(config, dir).runs.filter((r) => r.arm === 'fsp').length, 2);
    config.arms[0]!.stage2.lr = 0.05;
    assert.throws(() => readRecords(config, dir), /scratch-seed1\.json: arm 'scratch' seed 1 was run with other settings/);
  });

  it('summarises: intervals over seeds, paired differences, the validation choice, tables and SVG', () => {
    const config = tinyConfig();
    const s = summarizeStudy(config, whole);
    assert.equal(s.complete_seeds, 5);
    assert.deepEqual(s.arms.map((a) => a.arm), ['scratch', 'fsp', 'fsp-few', 'scratch-few']);
    const scratch = whole.runs.filter((r) => r.arm === 'scratch').sort((a, b) => a.seed - b.seed);
    const fsp = whole.runs.filter((r) => r.arm === 'fsp').sort((a, b) => a.seed - b.seed);
    const acc = s.arms.find((a) => a.arm === 'scratch')!.test_accuracy;
    assert.equal(acc.n, 5);
    assert.ok(Math.abs(acc.mean - scratch.reduce((a, r) => a + r.test.accuracy, 0) / 5) < 1e-12);
    const c = s.comparisons.find((x) => x.arm === 'fsp')!;
    assert.equal(c.scratch, 'scratch');
    const diffs = fsp.map((r, i) => r.test.accuracy - scratch[i]!.test.accuracy);
    assert.ok(Math.abs(c.test_difference.mean - diffs.reduce((a, b) => a + b, 0) / 5) < 1e-12);
    assert.equal(c.verdict, c.test_difference.lo > 0 ? 'better' : c.test_difference.hi < 0 ? 'worse' : 'no difference established');
    assert.equal(s.teachers[0]!.test_accuracy.n, 5);
    const g = s.groups.find((x) => x.group === 'g')!;
    const best = ['fsp', 'fsp-few'].map((a) => s.arms.find((x) => x.arm === a)!).sort((x, y) => y.validation_accuracy.mean - x.validation_accuracy.mean)[0]!;
    assert.equal(g.chosen, best.arm);
    const table = studyTables(s);
    assert.match(table, /\| fsp − scratch \| iterations \| 5 \|/);
    const svg = studyPlot(config, s);
    assert.match(svg, /^<svg /);
    assert.equal((svg.match(/<circle /g) ?? []).length, 1 + 4, 'one dot per teacher and arm');
    JSON.parse(JSON.stringify({ summary: s, runs: whole.runs })); // JSON-able
    for (const r of whole.runs) assert.ok(r.cpu_s! > 0, `${key(r)} records its CPU time`);
    assert.equal(c.basis, 'iterations');
    assert.ok(Math.abs(c.cpu_ratio!.mean - fsp.reduce((a, r, i) => a + r.cpu_s! / scratch[i]!.cpu_s!, 0) / 5) < 1e-12);
  });

  it('compares at equal time against a longer scratch arm, paired by seed', async () => {
    const config = tinyConfig();
    config.arms.push({ name: 'scratch-long', student: { depth: 8, width: 1 }, stage2: { iterations: 6 } });
    config.arms[1]!.compareAtEqualTime = 'scratch-long';
    const records = await runStudy(checkStudyConfig(config), splits(), tmp(), { seedLimit: 2, arms: ['scratch', 'fsp', 'scratch-long'] });
    const s = summarizeStudy(config, records);
    const [atIterations, atTime] = [s.comparisons.find((c) => c.basis === 'iterations')!, s.comparisons.find((c) => c.basis === 'time')!];
    assert.deepEqual([atIterations.arm, atIterations.scratch, atTime.arm, atTime.scratch], ['fsp', 'scratch', 'fsp', 'scratch-long']);
    const of = (arm: string) => records.runs.filter((r) => r.arm === arm).sort((a, b) => a.seed - b.seed);
    const diffs = of('fsp').map((r, i) => r.test.accuracy - of('scratch-long')[i]!.test.accuracy);
    assert.ok(Math.abs(atTime.test_difference.mean - (diffs[0]! + diffs[1]!) / 2) < 1e-12);
    assert.match(studyTables(s), /\| fsp − scratch-long \| time \| 2 \|/);
  });

  it('imports the records of a results file, and a retrained teacher comes out as it was', async () => {
    const config = tinyConfig();
    const file = path.join(tmp(), 'study-tiny.json');
    fs.writeFileSync(file, JSON.stringify({ study: 'tiny', config, runs: whole.runs, teachers: whole.teachers }));
    const dir = tmp();
    assert.deepEqual(await importRecords(config, file, dir), { runs: 20, teachers: 5, present: 0, skipped: 0 });
    assert.deepEqual(readRecords(config, dir), { teachers: readRecords(config, dir).teachers, runs: readRecords(config, dir).runs });
    assert.deepEqual(readRecords(config, dir).runs.map(key).sort(), whole.runs.map(key).sort());
    assert.deepEqual(await importRecords(config, file, dir), { runs: 0, teachers: 0, present: 25, skipped: 0 }, 'records already there are kept');
    const changed = tinyConfig();
    changed.arms[0]!.stage2.lr = 0.05;
    assert.deepEqual(await importRecords(changed, file, tmp()), { runs: 15, teachers: 5, present: 0, skipped: 5 }, 'an arm with other settings is skipped');
    await assert.rejects(importRecords(config, path.join(dir, 'nope.json'), dir), /nope\.json: cannot read a study results file/);

    // Extending the imported study with a new FSP arm trains its teacher again (no weights in the file).
    config.arms.push({ name: 'fsp-lr', compareTo: 'scratch', teacher: 't', student: { depth: 8, width: 1 }, stage1: { iterations: 2, lr: 0.01 }, stage2: { iterations: 2 } });
    const lines: string[] = [];
    const extended = await runStudy(config, splits(), dir, { seedLimit: 1, log: (l) => lines.push(l) });
    assert.deepEqual(extended.runs.filter((r) => r.arm === 'fsp-lr').map((r) => r.seed), [1]);
    assert.ok(lines.some((l) => /^teacher 't' seed 1: ResNet-8/.test(l)), 'the teacher was trained again');
    assert.ok(!lines.some((l) => /retrained to/.test(l)), lines.join('\n'));
    const t1 = (rs: typeof whole.teachers) => rs.find((t) => t.seed === 1)!;
    assert.deepEqual([t1(extended.teachers).validation, t1(extended.teachers).test], [t1(whole.teachers).validation, t1(whole.teachers).test]);
    assert.equal(extended.teachers.filter((t) => t.seed === 1).length, 1);
  });
});

describe('study config', () => {
  it('names the field that is wrong', () => {
    const bad = (edit: (c: StudyConfig) => void) => {
      const c = tinyConfig();
      edit(c);
      return () => checkStudyConfig(c);
    };
    assert.doesNotThrow(bad(() => {}));
    assert.throws(bad((c) => (c.seeds = 3)), /seeds: at least 5/);
    assert.throws(bad((c) => (c.arms[1]!.stage2.iterations = 3)), /compareTo: 'scratch' trains 4 iterations, 'fsp' 5 \(stage 1 counted\)/);
    assert.throws(bad((c) => (c.arms[1]!.teacher = 'nope')), /arms\[1\]\.teacher: stage 1 and KD need a teacher/);
    assert.throws(bad((c) => (c.arms[2]!.stage1!.pairs = [3])), /arms\[2\]\.stage1\.pairs/);
    assert.throws(bad((c) => (c.arms[3]!.name = 'fsp')), /'fsp' is used twice/);
    assert.throws(bad((c) => (c.arms[1]!.compareTo = 'fsp-few')), /not a scratch arm/);
    assert.doesNotThrow(bad((c) => (c.arms[1]!.compareAtEqualTime = 'scratch')), 'equal iterations is an equal-time base too');
    assert.throws(bad((c) => (c.arms[1]!.compareAtEqualTime = 'scratch-few')), /arms\[1\]\.compareAtEqualTime: 'scratch-few' trains on other images/);
    assert.throws(bad((c) => (c.arms[0]!.compareAtEqualTime = 'scratch')), /compareAtEqualTime: 'scratch' is itself a scratch arm/);
    assert.throws(
      bad((c) => {
        c.arms.push({ name: 'short', student: { depth: 8, width: 1 }, stage2: { iterations: 3 } });
        c.arms[1]!.compareAtEqualTime = 'short';
      }),
      /compareAtEqualTime: 'short' trains 3 iterations, fewer than 'fsp' \(4\)/,
    );
  });
});

describe('the finding the demo states', () => {
  const interval = (mean: number, half: number, n: number) => ({ n, mean, sd: NaN, half, lo: mean - half, hi: mean + half, level: 0.95 });
  const study = (diff: ReturnType<typeof interval>, kd?: ReturnType<typeof interval>): StudyFile => {
    const config = tinyConfig();
    config.arms.push({ name: 'kd', compareTo: 'scratch', teacher: 't', student: { depth: 8, width: 1 }, stage2: { iterations: 4, kd: { temperature: 4, alpha: 0.9 } } });
    const cmp = (arm: string, d: ReturnType<typeof interval>): Comparison => ({
      arm,
      scratch: 'scratch',
      basis: 'iterations',
      cpu_ratio: null,
      seeds: Array.from({ length: d.n }, (_, i) => i + 1),
      test_difference: d,
      validation_difference: d,
      wall_ratio: interval(1.5, 0.1, d.n),
      verdict: verdictOf(d),
    });
    return {
      study: 'tiny',
      config,
      summary: {
        arms: [],
        teachers: [],
        comparisons: [cmp('fsp', diff), ...(kd ? [cmp('kd', kd)] : [])],
        groups: [{ group: 'g', candidates: [{ arm: 'fsp', validation_mean: 0.9, seeds: diff.n }], chosen: 'fsp', tied: [] }],
        complete_seeds: diff.n,
      },
    };
  };
  const line = (s: StudyFile, ranChosen = true) => findingLine(s, { file: 'x.json', group: 'g', ranChosen });

  it('says what the interval of the chosen arm says, and nothing more', () => {
    assert.match(line(study(interval(-0.012, 0.005, 5))), /FSP \(fsp, chosen on validation\) was worse than scratch at equal iterations: −1\.20 ± 0\.50 points of test accuracy \(5 seeds, 95% CI\)\. FSP did not help at this scale\./);
    assert.match(line(study(interval(-0.002, 0.005, 5))), /made no difference the study could establish .* −0\.20 ± 0\.50 points.*FSP did not help at this scale\./);
    assert.match(line(study(interval(0.01, 0.004, 5))), /beat scratch at equal iterations: \+1\.00 ± 0\.40 points.*FSP helped at this scale\./);
    const early = line(study(interval(0.01, 0.03, 3)));
    assert.match(early, /is not established yet: 3 of 5 seeds finished; so far \+1\.00 ± 3\.00 points/);
    assert.doesNotMatch(early, /FSP (did not help|helped) at this scale/);
    assert.match(line(study(interval(-0.01, 0.005, 5), interval(0.003, 0.002, 5))), /; Hinton KD \(kd\) beat scratch at equal iterations: \+0\.30 ± 0\.20 points/);
    assert.match(line(study(interval(-0.01, 0.005, 5)), false), /This demo ran another configuration than the study's choice \(fsp\)/);
    assert.match(findingLine(null, { file: 'x.json', ranChosen: false }), /^No study summary at x\.json/);
    // The finding is the comparison at equal iterations; one at equal time beside it does not change it.
    const both = study(interval(-0.012, 0.005, 5));
    both.summary.comparisons.push({ ...both.summary.comparisons[0]!, basis: 'time', scratch: 'scratch-long', test_difference: interval(0.02, 0.005, 5), verdict: 'better' });
    assert.match(line(both), /was worse than scratch at equal iterations: −1\.20 ± 0\.50 points [^;]*; FSP \(fsp\) beat scratch at equal time: \+2\.00 ± 0\.50 points.*FSP did not help at this scale\./);
    // "Helped" needs the chosen arm not to lose at equal time as well.
    const cheaper = study(interval(0.01, 0.004, 5));
    cheaper.summary.comparisons.push({ ...cheaper.summary.comparisons[0]!, basis: 'time', scratch: 'scratch-long', test_difference: interval(-0.02, 0.005, 5), verdict: 'worse' });
    assert.match(line(cheaper), /beat scratch at equal iterations: \+1\.00 ± 0\.40 points.*; FSP \(fsp\) was worse than scratch at equal time: −2\.00 ± 0\.50 points/);
    assert.doesNotMatch(line(cheaper), /FSP (did not help|helped) at this scale/);
    // A tie on validation: both arms' findings, and a verdict only when they agree.
    const tie = study(interval(-0.012, 0.005, 5), interval(0.01, 0.004, 5));
    tie.summary.groups[0]!.tied = ['kd'];
    const tied = line(tie);
    assert.match(tied, /FSP \(fsp, chosen on validation, tied there with kd\) was worse .*; FSP \(kd\) beat scratch/);
    assert.doesNotMatch(tied, /FSP (did not help|helped) at this scale/);
  });
});
