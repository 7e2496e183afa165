// src/report (plot + fast-optimisation experiment) and bench/experiment-fast-opt.ts: the SVG plot, the
// result logic (iterations to reach an accuracy, scaled schedules, subsets, config checks), and a dry run
// of the whole experiment through its CLI on synthetic CIFAR-10 binary files (real CIFAR is not here).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { datasetFromArrays } from '../src/data/index.js';
import {
  checkFastOptConfig,
  defaultFastOptConfig,
  fastOptPlot,
  fastOptTable,
  iterationsToReach,
  scaledIterations,
  scheduleFor,
  subsetDataset,
  type FastOptResult,
} from '../src/report/fast-opt.js';
import { escapeXml, linePlotSvg, niceTicks } from '../src/report/plot.js';
import { duration, Progress } from '../src/report/progress.js';

const count = (s: string, sub: string) => s.split(sub).length - 1;

describe('plot', () => {
  it('niceTicks: steps of 1, 2 or 5 × 10^k covering the range', () => {
    assert.deepEqual(niceTicks(0, 1, 6), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(0, 640, 8), [0, 100, 200, 300, 400, 500, 600]);
    assert.deepEqual(niceTicks(0.9, 1, 7), [0.9, 0.92, 0.94, 0.96, 0.98, 1]);
    assert.deepEqual(niceTicks(5, 5), [5]);
    assert.throws(() => niceTicks(0, Infinity), /finite/);
  });

  it('escapes text and draws one polyline per non-empty series, reference lines only inside the axes', () => {
    assert.equal(escapeXml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&#39;');
    const svg = linePlotSvg(
      [
        { name: 'teacher <T&S>', points: [[0, 0.1], [10, 0.5], [20, 0.9]] },
        { name: 'student', points: [[5, 0.2], [15, NaN], [20, 0.95]], dashed: true },
        { name: 'empty', points: [] },
      ],
      { title: 'acc "vs" it', xRange: [0, 20], xLabel: 'iteration', yLabel: 'accuracy', vLines: [{ at: 10, label: 'stage 2' }, { at: 1e6 }], hLines: [{ at: 0.9, label: 'target' }] },
    );
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), 'an SVG document');
    assert.ok(svg.trimEnd().endsWith('</svg>'), 'closed');
    assert.equal(count(svg, '<polyline'), 2, 'two non-empty series');
    assert.equal(count(svg, '<circle'), 5, 'one marker per finite point');
    assert.ok(svg.includes('teacher &lt;T&amp;S&gt;') && !svg.includes('<T&S>'), 'legend text escaped');
    assert.ok(svg.includes('acc &quot;vs&quot; it'), 'title escaped');
    assert.ok(svg.includes('stroke-dasharray="6 4"'), 'dashed series');
    assert.equal(count(svg, '>stage 2<'), 1, 'the vertical line inside the range is labelled');
    assert.equal(count(svg, 'stroke-dasharray="2 3"'), 2, 'the out-of-range vertical line is dropped');
    assert.equal(count(svg, '<text') + count(svg, '<line') + count(svg, '<g'), count(svg, '</text>') + count(svg, '<line') + count(svg, '</g>'), 'text and groups closed');
  });
});

describe('fast-opt logic', () => {
  it('iterationsToReach: the first evaluated iteration at or above the target, else null', () => {
    const curve = [0.5, 0.9, 0.97, 0.96, 0.99].map((accuracy, i) => ({ iteration: 20 * (i + 1), accuracy, loss: 0 }));
    assert.equal(iterationsToReach(curve, 0.97), 60);
    assert.equal(iterationsToReach(curve, 0.99), 100);
    assert.equal(iterationsToReach(curve, 0.995), null);
    assert.equal(iterationsToReach([], 0), null);
  });

  it("scales the paper's schedules and iteration counts", () => {
    assert.deepEqual(scaledIterations(0.01), { teacherIterations: 640, stage1Iterations: 210, stage2Iterations: 210 });
    assert.deepEqual(scaledIterations(1e-9), { teacherIterations: 1, stage1Iterations: 1, stage2Iterations: 1 });
    assert.deepEqual(scheduleFor('teacher', 640), { values: [0.1, 0.01, 0.001], boundaries: [320, 480], total: 640 });
    assert.deepEqual(scheduleFor('fsp', 210), { values: [1e-3, 1e-4, 1e-5], boundaries: [110, 160], total: 210 });
    assert.deepEqual(scheduleFor('cross_entropy', 210), { values: [0.1, 0.01, 0.001], boundaries: [110, 160], total: 210 });
    assert.deepEqual(scheduleFor('teacher', 420), { values: [0.1, 0.01, 0.001], boundaries: [210, 315], total: 420 }, 'the baseline: the teacher recipe over S1 + S2');
    assert.deepEqual(scheduleFor('teacher', 64_000).boundaries, [32_000, 48_000], 'scale 1 is the paper');
  });

  it('defaults and config checks', () => {
    const m = defaultFastOptConfig('mnist');
    assert.deepEqual([m.teacherDepth, m.studentDepth, m.batchSize, m.teacherIterations, m.stage1Iterations, m.stage2Iterations], [8, 8, 64, 640, 210, 210]);
    const c = defaultFastOptConfig('cifar10');
    assert.deepEqual([c.teacherDepth, c.studentDepth, c.batchSize, c.teacherIterations], [26, 26, 128, 64_000], "cifar10 defaults are the paper's setting");
    assert.throws(() => checkFastOptConfig(c), /cifar10 needs --data/);
    assert.throws(() => checkFastOptConfig({ ...m, batchSize: 0 }), /batchSize/);
    assert.throws(() => checkFastOptConfig({ ...m, testSamples: 1.5 }), /testSamples/);
    assert.throws(() => defaultFastOptConfig('svhn' as 'mnist'), /dataset/);
    assert.equal(duration(75_000), '1m15s');
    assert.equal(duration(3_725_000), '1h02m');
  });

  it('Progress: time left = steps and evaluations still planned at their mean time so far', () => {
    const p = new Progress({ steps: 10, evaluations: 2 });
    assert.equal(p.etaMs, 0, 'nothing timed yet');
    p.stepDone(50);
    p.stepDone(150);
    assert.equal(p.msPerStep, 100);
    assert.equal(p.etaMs, 8 * 100 + 2 * (4 * 100), 'an evaluation not yet timed counts as 4 steps');
    p.evaluationDone(300);
    assert.equal(p.etaMs, 8 * 100 + 1 * 300);
    assert.match(p.summary(), /^100 ms\/step, elapsed 0s, ETA 1s$/);
    for (let i = 0; i < 9; i++) p.stepDone(100);
    p.evaluationDone(300);
    assert.equal(p.etaMs, 0, 'past the plan: nothing left, never negative');
    assert.deepEqual(new Progress({ steps: 3 }).etaMs, 0);
  });

  it('subsetDataset: evenly spaced samples with their original ids, in-order evaluation batches', async () => {
    await tf.setBackend('cpu');
    const n = 10;
    const ds = datasetFromArrays({ name: 'toy', images: Uint8Array.from({ length: n * 4 }, (_, i) => i), shape: [n, 2, 2, 1], labels: Array.from({ length: n }, (_, i) => i % 3), numClasses: 3 });
    assert.equal(subsetDataset(ds, null), ds);
    assert.equal(subsetDataset(ds, 99), ds);
    const sub = subsetDataset(ds, 4);
    assert.equal(sub.size, 4);
    assert.deepEqual([0, 1, 2, 3].map((i) => sub.id(i)), ['toy:0', 'toy:2', 'toy:5', 'toy:7']);
    assert.deepEqual([0, 1, 2, 3].map((i) => sub.label(i)), [0, 2, 2, 1]);
    const g = sub.gather([3, 1]);
    assert.deepEqual(g.ids, ['toy:7', 'toy:2']);
    assert.deepEqual(Array.from(g.indices), [3, 1], 'indices are the subset positions');
    g.images.dispose();
    const batches = [...sub.batches({ batchSize: 3 })];
    assert.deepEqual(batches.map((b) => b.ids), [['toy:0', 'toy:2', 'toy:5'], ['toy:7']]);
    batches.forEach((b) => b.images.dispose());
    assert.throws(() => sub.batches({ batchSize: 2, shuffle: true }), /in-order/);
    assert.throws(() => sub.gather([4]), /outside/);
  });
});

describe('experiment:fast-opt dry run (synthetic CIFAR-10 files)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fspd-fastopt-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs teacher, FSP student and baseline; writes the JSON (required fields) and the SVG', { timeout: 300_000 }, async () => {
    // CIFAR-10 binary layout: records of <label byte><3072 pixel bytes (CHW)>, 5 train files and a test file.
    const data = path.join(dir, 'cifar-10-batches-bin');
    mkdirSync(data);
    let s = 12345;
    const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
    const file = (records: number) => Uint8Array.from({ length: records * 3073 }, (_, i) => (i % 3073 === 0 ? Math.floor(i / 3073) % 10 : rand()));
    for (let b = 1; b <= 5; b++) writeFileSync(path.join(data, `data_batch_${b}.bin`), file(4));
    writeFileSync(path.join(data, 'test_batch.bin'), file(6));
    const out = path.join(dir, 'out');
    // The backend is FSPD_BACKEND's (auto: tensorflow when set up). The pure-JS cpu backend's Conv2DBackpropFilter
    // takes seconds per image on 32×32 maps, so the sizes are tiny: 4 training images (of 20), batch 2.
    const args = ['--import', 'tsx', 'bench/experiment-fast-opt.ts', '--dataset', 'cifar10', '--data', dir, '--depth', '8', '--batch', '2', '--train-samples', '4'];
    args.push('--teacher-iters', '2', '--stage1-iters', '3', '--stage2-iters', '1', '--eval-every', '2', '--eval-batch', '2', '--test-samples', '3', '--progress-every', '1', '--out', out);
    const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 290_000 });
    assert.match(stdout, /teacher +step +1\/2 .*ETA/, 'progress lines with an ETA');
    assert.match(stdout, /\| FSP student \| ResNet-8 x1 \| 3 \+ 1 \|/, 'the results table');

    const r = JSON.parse(readFileSync(path.join(out, 'fast-opt-cifar10.json'), 'utf8')) as FastOptResult & { config: object; backend: string; command: string };
    assert.ok(['cpu', 'tensorflow', 'tensorflow-gpu'].includes(r.backend), `backend ${r.backend}`);
    assert.equal(r.train_samples, 4);
    assert.equal(r.test_samples, 3);
    const isAcc = (a: unknown) => typeof a === 'number' && a >= 0 && a <= 1;
    const isIts = (v: unknown) => v === null || (Number.isInteger(v) && (v as number) >= 1);
    assert.equal(r.teacher.iterations, 2);
    assert.ok(isAcc(r.teacher.accuracy), `teacher.accuracy ${r.teacher.accuracy}`);
    assert.equal(r.fsp_student.stage1_iterations, 3);
    assert.ok(isIts(r.fsp_student.iterations_to_teacher_accuracy), `fsp iterations ${r.fsp_student.iterations_to_teacher_accuracy}`);
    assert.ok(isAcc(r.fsp_student.accuracy), `fsp accuracy ${r.fsp_student.accuracy}`);
    assert.ok(isIts(r.baseline_student.iterations_to_teacher_accuracy), `baseline iterations ${r.baseline_student.iterations_to_teacher_accuracy}`);
    assert.ok(isAcc(r.baseline_student.accuracy), `baseline accuracy ${r.baseline_student.accuracy}`);
    assert.equal(r.baseline_student.iterations, 4, 'the baseline gets stage 1 + stage 2 iterations');
    assert.ok(typeof r.config === 'object' && r.command.includes('--dataset cifar10'), 'config and command recorded');
    assert.deepEqual(r.teacher.curve.map((p) => p.iteration), [2]);
    assert.deepEqual(r.fsp_student.curve.map((p) => p.iteration), [3, 4], 'end of stage 1, then counted over both stages');
    assert.deepEqual(r.baseline_student.curve.map((p) => p.iteration), [2, 4]);
    // 4 samples, batch 2, un-augmented stage 1: the first 2 steps compute the teacher, the 3rd hits the cache.
    assert.deepEqual([r.fsp_student.stage1.teacher_misses, r.fsp_student.stage1.teacher_hits], [4, 2], 'stage 1 uses the teacher-FSP cache from the second epoch');
    assert.ok(r.fsp_student.stage1.first_loss > 0, 'stage-1 FSP loss recorded');
    for (const [name, run] of [['teacher', r.teacher], ['fsp', r.fsp_student], ['baseline', r.baseline_student]] as const) {
      assert.equal(run.curve.at(-1)!.accuracy, run.accuracy, `${name}: final accuracy is the last evaluation`);
    }
    const target = r.teacher.accuracy;
    assert.equal(r.fsp_student.iterations_to_teacher_accuracy, r.fsp_student.curve.find((p) => p.accuracy >= target)?.iteration ?? null);

    const svg = readFileSync(path.join(out, 'fast-opt-cifar10.svg'), 'utf8');
    assert.equal(svg, fastOptPlot(r), 'the SVG is the plot of the recorded result');
    assert.equal(count(svg, '<polyline'), 3, 'teacher, FSP student, baseline');
    assert.ok(svg.includes('FSP stage 1 → 2'), 'stage boundary marked');
    assert.match(fastOptTable({ ...r, fsp_student: { ...r.fsp_student, iterations_to_teacher_accuracy: null } }), /\| FSP student \| ResNet-8 x1 \| 3 \+ 1 \| never \|/);
  });

  it('rejects cifar10 without --data, naming the flag', async () => {
    await assert.rejects(
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/experiment-fast-opt.ts', '--dataset', 'cifar10', '--backend', 'cpu'], { env: { ...process.env, FSPD_BACKEND: 'cpu' }, timeout: 60_000 }),
      (err: Error & { stderr?: string }) => /--data DIR/.test(err.stderr ?? ''),
    );
  });
});
