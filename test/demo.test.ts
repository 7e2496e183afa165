// `fspd demo` with tiny settings, run as the CLI: it trains the three models over gRPC, prints the JSON
// result, writes demo.json and demo.svg, shows progress lines when not on a terminal, and exits 0.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { checkDemoOptions, DEFAULT_DEMO, demoTable, type DemoResult } from '../src/cli/demo.js';

const root = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);

describe('fspd demo', () => {
  it('tiny run: table numbers, JSON, SVG and progress lines', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-demo-test-'));
    try {
      const args = ['--teacher-depth', '8', '--student-depth', '8', '--batch-size', '8', '--teacher-steps', '6', '--stage1-steps', '4', '--stage2-steps', '4'];
      args.push('--eval-every', '3', '--train-limit', '16', '--stage1-limit', '0', '--test-limit', '24', '--out', out, '--json', '--progress', 'lines');
      args.push('--study', path.join(out, 'no-study.json'), '--reduction', 'mean', '--fsp-lr', '0.5', '--pairs', '1,2');
      const { stdout, stderr } = await run(process.execPath, ['bin/fspd.js', 'demo', ...args], { cwd: root, timeout: 240_000 });
      const result = JSON.parse(stdout) as DemoResult;
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'demo.json'), 'utf8')), result, 'demo.json is what was printed');

      assert.equal(result.teacher.iterations, 6);
      assert.deepEqual(result.teacher.curve.map((p) => p.iteration), [3, 6], 'teacher evaluated every 3 iterations');
      assert.deepEqual(result.fspStudent.curve.map((p) => p.iteration), [4, 7, 8], 'end of stage 1, then every 3 stage-2 iterations, and the end');
      assert.deepEqual(result.baseline.curve.map((p) => p.iteration), [3, 6, 8], 'baseline: stage 1 + stage 2 iterations');
      assert.equal(result.teacher.accuracy, result.teacher.curve.at(-1)!.accuracy);
      for (const r of [result.teacher, result.fspStudent, result.baseline]) {
        assert.ok(r.curve.every((p) => p.accuracy >= 0 && p.accuracy <= 1), `${r.name} accuracies`);
        const reached = r.curve.find((p) => p.accuracy >= result.teacher.accuracy)?.iteration ?? null;
        assert.equal(r.iterationsToTeacher, reached, `${r.name}: iterations to the teacher's accuracy`);
      }
      assert.equal(result.fspStudent.teacherCacheHits, 16, 'stage 1: 4 steps of 8 over 16 samples, the second epoch from the cache');
      assert.ok(result.fspStudent.stage1Loss.first > 0);

      assert.deepEqual([result.options.reduction, result.options.fspLr, result.options.pairs], ['mean', 0.5, [1, 2]]);
      assert.match(result.finding, /^No study summary at .*no-study\.json: one run of each cannot say whether FSP helps/);
      assert.equal(result.table, demoTable(result.teacher, result.fspStudent, result.baseline));
      const rows = result.table.split('\n');
      assert.equal(rows.length, 5, 'header, rule, three runs');
      assert.match(rows[0]!, /\| run +\| model +\| iterations +\| iterations to the teacher's accuracy \| final test accuracy \| wall +\|/);
      assert.match(rows[3]!, /^\| FSP student +\| ResNet-8 +\| 4 \+ 4 +\|/);
      assert.ok(rows[4]!.includes(`${(100 * result.baseline.accuracy).toFixed(2)}%`), 'baseline accuracy in the table');

      const svg = fs.readFileSync(path.join(out, 'demo.svg'), 'utf8');
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(svg, /<\/svg>\s*$/);
      for (const label of ['teacher ResNet-8', 'FSP student ResNet-8', 'baseline student ResNet-8', 'FSP stage 1 → 2']) assert.ok(svg.includes(label), `plot shows '${label}'`);
      assert.equal((svg.match(/<polyline/g) ?? []).length, 3, 'three curves');

      for (const label of ['teacher', 'FSP stage 1', 'FSP stage 2', 'baseline']) assert.match(stderr, new RegExp(`^${label} +\\d+/\\d+ +loss`, 'm'), `progress lines of ${label}`);
      assert.doesNotMatch(stderr, /\r/, 'no bar redraws when not on a terminal');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('--help shows the defaults of DEFAULT_DEMO', async () => {
    const { stdout } = await run(process.execPath, ['bin/fspd.js', 'demo', '--help'], { cwd: root });
    const expected: Array<[string, unknown]> = [
      ['--teacher-depth', DEFAULT_DEMO.teacherDepth],
      ['--student-depth', DEFAULT_DEMO.studentDepth],
      ['--width', DEFAULT_DEMO.width],
      ['--batch-size', DEFAULT_DEMO.batchSize],
      ['--teacher-steps', DEFAULT_DEMO.teacherSteps],
      ['--stage1-steps', DEFAULT_DEMO.stage1Steps],
      ['--stage2-steps', DEFAULT_DEMO.stage2Steps],
      ['--eval-every', DEFAULT_DEMO.evalEvery],
      ['--test-limit', DEFAULT_DEMO.testLimit],
      ['--stage1-limit', DEFAULT_DEMO.stage1Limit],
      ['--seed', DEFAULT_DEMO.seed],
      ['--out', DEFAULT_DEMO.out],
    ];
    for (const [flag, value] of expected) {
      const line = stdout.split('\n').find((l) => l.trimStart().startsWith(flag));
      assert.ok(line, `${flag} listed`);
      // commander wraps long descriptions: look from the flag to the next option.
      const text = stdout.slice(stdout.indexOf(line!)).split(/\n\s+--/)[0]!;
      assert.match(text.replace(/\s+/g, ' '), new RegExp(`\\(default ${String(value)}\\)`), `${flag} default`);
    }
  });

  it('bad options name the flag', () => {
    assert.throws(() => checkDemoOptions({ ...DEFAULT_DEMO, teacherDepth: 9 }), /^RangeError: --teacher-depth: expected 6n\+2/);
    assert.throws(() => checkDemoOptions({ ...DEFAULT_DEMO, stage1Steps: 0 }), /^RangeError: --stage1-steps: expected a positive integer/);
    assert.throws(() => checkDemoOptions({ ...DEFAULT_DEMO, progress: 'loud' as never }), /^RangeError: --progress/);
    assert.throws(() => checkDemoOptions({ ...DEFAULT_DEMO, pairs: [0, 3] }), /^RangeError: --pairs: expected distinct pair indices in 0\.\.2/);
    assert.throws(() => checkDemoOptions({ ...DEFAULT_DEMO, reduction: 'sum' as never }), /^RangeError: --reduction/);
  });
});
