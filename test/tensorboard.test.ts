// src/report/tensorboard.ts: event files read back by an independent reader (test/helpers/tfevents.ts: TFRecord
// frames checked with a bit-by-bit CRC32C, protobuf decoded field by field). The same reader also reads the files
// TensorFlow itself writes (tfjs-node's summary writer, when @tensorflow/tfjs-node loads), which checks
// the reader against the reference writer.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { EventFileWriter, openScalarWriter } from '../src/report/tensorboard.js';
import { crc32cBitwise, readEvents, scalarsOf } from './helpers/tfevents.js';

const SCALARS = [
  { tag: 'loss', value: 2.302585, step: 1 },
  { tag: 'fsp/pair0', value: 1234.5, step: 1 },
  { tag: 'learning_rate', value: 0.001, step: 1 },
  { tag: 'loss', value: 0.125, step: 2 },
  { tag: 'accuracy', value: 0.96875, step: 2 },
  { tag: 'cache_hits', value: 32, step: 300 },
];

describe('TensorBoard event files', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-tb-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('the reader CRC is CRC32C', () => {
    assert.equal(crc32cBitwise(Buffer.from('123456789')), 0xe3069283); // the standard check value
  });

  it('our writer: file version first, then every scalar with its step, float32-rounded', () => {
    const dir = tmp();
    const w = new EventFileWriter(dir);
    for (const s of SCALARS) w.scalar(s.tag, s.value, s.step);
    w.close();
    const files = fs.readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^events\.out\.tfevents\.\d+\./);
    const events = readEvents(path.join(dir, files[0]!));
    assert.equal(events[0]!.fileVersion, 'brain.Event:2');
    assert.ok(Math.abs(events[0]!.wallTime - Date.now() / 1000) < 60);
    assert.deepEqual(scalarsOf(dir), SCALARS.map((s) => ({ step: s.step, tag: s.tag, value: Math.fround(s.value) })));
    assert.throws(() => w.scalar('loss', 1, 3), /closed/);
    assert.throws(() => new EventFileWriter(tmp()).scalar('loss', 1, -1), /step: expected an integer >= 0/);
  });

  it('auto on the cpu backend is our writer', async () => {
    await tf.setBackend('cpu');
    const w = await openScalarWriter(tmp());
    assert.equal(w.kind, 'fspd');
    w.close();
  });

  it("tfjs-node's writer (TensorFlow's own files) reads back the same", async (t) => {
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch (err) {
      t.skip(`@tensorflow/tfjs-node does not load here (npm run setup:tensorflow): ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    await tf.setBackend('tensorflow');
    const dir = tmp();
    const w = await openScalarWriter(dir);
    assert.equal(w.kind, 'tfjs-node');
    for (const s of SCALARS) w.scalar(s.tag, s.value, s.step);
    w.close();
    assert.deepEqual(scalarsOf(dir), SCALARS.map((s) => ({ step: s.step, tag: s.tag, value: Math.fround(s.value) })));
    await tf.setBackend('cpu');
  });
});
