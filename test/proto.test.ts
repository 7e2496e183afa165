// The API contract: DESIGN.md's fixed names and numbers, `buf lint` clean, and src/generated up to date.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadSync, type EnumTypeDefinition, type MessageTypeDefinition } from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_FILES } from '../src/proto/index.js';

const root = path.resolve(import.meta.dirname, '..');
// keepCase: the field names as the .proto files spell them.
const definition = loadSync(PROTO_FILES, { ...LOADER_OPTIONS, keepCase: true });

interface Descriptor {
  field?: Array<{ name: string; number: number }>;
  value?: Array<{ name: string; number: number }>;
}
const fieldsOf = (name: string) =>
  Object.fromEntries(((definition[`fspd.v1.${name}`] as MessageTypeDefinition).type as Descriptor).field!.map((f) => [f.name, f.number]));
const valuesOf = (name: string) =>
  Object.fromEntries(((definition[`fspd.v1.${name}`] as EnumTypeDefinition).type as Descriptor).value!.map((v) => [v.name, v.number]));

describe('DESIGN.md contract', () => {
  it('enums', () => {
    assert.deepEqual(valuesOf('DataType'), { DATA_TYPE_UNSPECIFIED: 0, DATA_TYPE_FLOAT32: 1, DATA_TYPE_FLOAT16: 2, DATA_TYPE_BFLOAT16: 3, DATA_TYPE_UINT8: 4, DATA_TYPE_INT32: 5 }, 'DataType');
    assert.deepEqual(valuesOf('Layout'), { LAYOUT_UNSPECIFIED: 0, LAYOUT_NHWC: 1, LAYOUT_NCHW: 2 }, 'Layout');
    assert.deepEqual(valuesOf('Pooling'), { POOLING_UNSPECIFIED: 0, POOLING_MAX: 1, POOLING_AVG: 2 }, 'Pooling');
    assert.deepEqual(valuesOf('Reduction'), { REDUCTION_UNSPECIFIED: 0, REDUCTION_PAPER: 1, REDUCTION_MEAN: 2 }, 'Reduction');
  });

  it('messages keep their fields and numbers (fields may be added)', () => {
    const expected: Record<string, Record<string, number>> = {
      Tensor: { dtype: 1, shape: 2, data: 3 },
      FeaturePair: { first: 1, second: 2, layout: 3 },
      ComputeFspRequest: { pairs: 1, pooling: 2 },
      ComputeFspResponse: { matrices: 1 },
      FspLossRequest: { student: 1, teacher: 2, teacher_matrices: 3, weights: 4, reduction: 5, pooling: 6, return_gradients: 7 },
      FspLossResponse: { loss: 1, pair_losses: 2, student_gradients: 3 },
    };
    for (const [message, fields] of Object.entries(expected)) {
      const actual = fieldsOf(message);
      for (const [name, number] of Object.entries(fields)) assert.equal(actual[name], number, `${message}.${name}`);
    }
  });

  it('services and their RPCs', () => {
    const rpcs = (service: string) => Object.keys(definition[`fspd.v1.${service}`] as object).sort();
    assert.deepEqual(rpcs('FspService'), ['ComputeFsp', 'FspLoss', 'TeacherFsp'], 'FspService');
    assert.deepEqual(rpcs('ModelService'), ['CreateModel', 'DeleteModel', 'ExportModel', 'GetModel', 'ListModels', 'UploadModel'], 'ModelService');
    assert.deepEqual(
      rpcs('TrainingService'),
      ['CreateSession', 'DeleteSession', 'Evaluate', 'GetSession', 'ListSessions', 'RestoreCheckpoint', 'Run', 'SaveCheckpoint', 'SetStage', 'Train', 'TrainStep'],
      'TrainingService',
    );
  });
});

describe('proto tooling', () => {
  const buf = path.join(root, 'node_modules', '.bin', 'buf');
  it('buf lint is clean', { skip: fs.existsSync(buf) ? false : 'buf not installed (npm install --include=dev)' }, () => {
    const r = spawnSync(buf, ['lint'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `buf lint:\n${r.stdout}${r.stderr}`);
  });

  it('src/generated is what `npm run gen` produces', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-gen-'));
    try {
      const r = spawnSync(process.execPath, ['scripts/gen.mjs', '--ts-out', out], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, `gen failed:\n${r.stdout}${r.stderr}`);
      const committed = listFiles(path.join(root, 'src', 'generated'));
      assert.deepEqual(listFiles(out), committed, 'the same files (run `npm run gen` and commit src/generated)');
      for (const f of committed) {
        const same = fs.readFileSync(path.join(out, f), 'utf8') === fs.readFileSync(path.join(root, 'src', 'generated', f), 'utf8');
        assert.ok(same, `src/generated/${f} is stale: run \`npm run gen\` and commit it`);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}
