// src/training/schedule.ts and stage.ts: the paper's piecewise-constant learning rates at their
// boundaries, scaling to shorter runs, validation; stage names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSchedule, defaultSchedule, learningRateAt, paperSchedule, scaleSchedule, type Schedule } from '../src/training/schedule.js';
import { parseStage, STAGES, trainedModel } from '../src/training/stage.js';

const at = (s: Schedule, steps: number[]) => steps.map((k) => learningRateAt(s, k));

describe('paper schedules', () => {
  it('teacher: 0.1 until 32k, 0.01 until 48k, 0.001 until the stop at 64k', () => {
    const s = paperSchedule('teacher');
    assert.deepEqual(at(s, [0, 31_999, 32_000, 47_999, 48_000, 63_999, 64_000, 1e6]), [0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.001, 0.001]);
    assert.equal(s.total, 64_000);
  });

  it('stage 1 (fsp): 1e-3 / 1e-4 / 1e-5 until 11k / 16k / 21k on CIFAR-10, 16k / 24k / 32k on CIFAR-100', () => {
    const s = paperSchedule('fsp');
    assert.deepEqual(at(s, [0, 10_999, 11_000, 15_999, 16_000, 20_999]), [1e-3, 1e-3, 1e-4, 1e-4, 1e-5, 1e-5]);
    assert.equal(s.total, 21_000);
    const c100 = paperSchedule('fsp', 'cifar100');
    assert.deepEqual(at(c100, [15_999, 16_000, 23_999, 24_000]), [1e-3, 1e-4, 1e-4, 1e-5]);
    assert.equal(c100.total, 32_000);
  });

  it('stage 2 (cross_entropy): 0.1 / 0.01 / 0.001 until 11k / 16k / 21k', () => {
    const s = paperSchedule('cross_entropy');
    assert.deepEqual(at(s, [0, 10_999, 11_000, 15_999, 16_000, 20_999]), [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
    assert.equal(s.total, 21_000);
  });

  it('defaultSchedule is the paper schedule, scaled on request', () => {
    assert.deepEqual(defaultSchedule('fsp'), paperSchedule('fsp'));
    assert.deepEqual(defaultSchedule('cross_entropy', { scale: 0.01 }), { values: [0.1, 0.01, 0.001], boundaries: [110, 160], total: 210 });
  });
});

describe('scaleSchedule', () => {
  it('rounds boundaries and total and keeps the values', () => {
    assert.deepEqual(scaleSchedule(paperSchedule('teacher'), 1 / 640), { values: [0.1, 0.01, 0.001], boundaries: [50, 75], total: 100 });
    const s = scaleSchedule(paperSchedule('fsp'), 0.001);
    assert.deepEqual(s, { values: [1e-3, 1e-4, 1e-5], boundaries: [11, 16], total: 21 });
    assert.deepEqual(at(s, [10, 11, 15, 16]), [1e-3, 1e-4, 1e-4, 1e-5]);
  });

  it('keeps total >= 1 and >= the last boundary for tiny factors', () => {
    const s = scaleSchedule(paperSchedule('fsp'), 1e-6);
    assert.deepEqual(s, { values: [1e-3, 1e-4, 1e-5], boundaries: [0, 0], total: 1 });
    assert.equal(learningRateAt(s, 0), 1e-5, 'empty phases are skipped');
  });

  it('rejects non-positive factors', () => {
    for (const f of [0, -1, NaN, Infinity]) assert.throws(() => scaleSchedule(paperSchedule('fsp'), f), /^RangeError: scale: expected a positive number/, `factor ${f}`);
  });
});

describe('checkSchedule', () => {
  it('names the bad field', () => {
    assert.throws(() => checkSchedule({ values: [], boundaries: [], total: 1 }), /schedule\.values: expected a non-empty array/);
    assert.throws(() => checkSchedule({ values: [0.1, 0.01], boundaries: [], total: 1 }), /schedule\.boundaries: expected 1 boundaries for 2 values/);
    assert.throws(() => checkSchedule({ values: [0.1, 0.01, 0.001], boundaries: [5, 3], total: 9 }), /schedule\.boundaries\[1\]: expected a non-decreasing integer/);
    assert.throws(() => checkSchedule({ values: [0.1, -1], boundaries: [3], total: 9 }), /schedule\.values\[1\]/);
    assert.throws(() => checkSchedule({ values: [0.1, 0.01], boundaries: [30], total: 9 }, 'schedules.fsp'), /schedules\.fsp\.total: expected an integer >= 1 and >= the last boundary/);
  });

  it('returns a copy', () => {
    const s = paperSchedule('cross_entropy');
    const c = checkSchedule(s);
    c.boundaries[0] = 1;
    assert.equal(s.boundaries[0], 11_000, 'the original is untouched');
  });
});

describe('stages', () => {
  it('parses the three stage names and says which model each trains', () => {
    assert.deepEqual([...STAGES], ['teacher', 'fsp', 'cross_entropy']);
    assert.deepEqual(STAGES.map((s) => parseStage(s)), ['teacher', 'fsp', 'cross_entropy']);
    assert.deepEqual(STAGES.map(trainedModel), ['teacher', 'student', 'student']);
    assert.throws(() => parseStage('stage1'), /^RangeError: stage: expected one of teacher, fsp, cross_entropy, got "stage1"$/);
    assert.throws(() => parseStage(undefined, 'request.stage'), /^RangeError: request\.stage: expected one of/);
  });

  it("does not take 'task', stage 2's old name (only files written before the rename are read with it)", () => {
    assert.throws(() => parseStage('task'), /^RangeError: stage: expected one of teacher, fsp, cross_entropy, got "task"$/);
  });
});
