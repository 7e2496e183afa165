// ModelService over real loopback gRPC (through src/client): every RPC including both streams, one test
// per error path, the model and memory limits, and tensors freed on delete.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import { pino } from 'pino';
import { FspdClient, toBatch } from '../src/client/index.js';
import { buildResNet } from '../src/models/index.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../src/server/config.js';
import type { UploadModelRequest } from '../src/generated/fspd/v1/UploadModelRequest.js';
import { fspdGrpcObject } from '../src/proto/index.js';
import { MemoryBudget } from '../src/server/memory-budget.js';
import { ModelRegistry, resnetParameterCount } from '../src/server/registry.js';
import { startServer, type FspdServer } from '../src/server/server.js';

const TINY = { depth: 8, inputShape: [8, 8, 1] };

async function startModelServer(overrides: Partial<ServerConfig> = {}): Promise<{ server: FspdServer; client: FspdClient; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-models-'));
  const server = await startServer(
    { ...DEFAULT_CONFIG, addresses: ['127.0.0.1:0'], metricsAddress: '127.0.0.1:0', shutdownGraceMs: 2000, checkpointDir: dir, ...overrides },
    pino({ level: 'silent' }),
  );
  return { server, client: new FspdClient({ address: server.addresses[0]!, deadlineMs: 60_000 }), dir };
}

/** Awaits a call that must fail with `code` and details matching `details`. */
async function expectStatus(promise: Promise<unknown>, code: grpc.status, details: RegExp): Promise<void> {
  await assert.rejects(promise, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `expected ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.details}`);
    assert.match(err.details, details, `details of ${grpc.status[code]}`);
    return true;
  });
}

function images(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n * 64 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

let server: FspdServer;
let client: FspdClient;
let dir: string;

before(async () => {
  ({ server, client, dir } = await startModelServer({ maxModels: 6 }));
});

after(async () => {
  client.close();
  await server.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('CreateModel, GetModel, ListModels', () => {
  it('builds a ResNet with its defaults filled in, taps and pairs', async () => {
    const m = await client.createModel({ modelId: 'teacher', resnet: { depth: 14, inputShape: [8, 8, 1], seed: 7 } });
    assert.equal(m.modelId, 'teacher');
    assert.equal(m.name, 'resnet14');
    assert.equal(m.origin, 'MODEL_ORIGIN_BUILT_IN');
    assert.deepEqual({ ...m.resnet, _seed: undefined }, { depth: 14, widthMultiplier: 1, numClasses: 10, inputShape: [8, 8, 1], seed: 7, _seed: undefined });
    assert.deepEqual(m.inputShape, [8, 8, 1]);
    assert.equal(m.numClasses, 10);
    assert.deepEqual(
      m.taps.map((t) => [t.layer, t.shape]),
      [
        ['stem/relu', [8, 8, 16]],
        ['section1/block2/relu', [8, 8, 16]],
        ['section2/block2/relu', [4, 4, 32]],
        ['section3/block2/relu', [2, 2, 64]],
      ],
    );
    assert.deepEqual(m.pairs, [{ first: 0, second: 1 }, { first: 1, second: 2 }, { first: 2, second: 3 }]);
    assert.equal(m.parameterCount, resnetParameterCount({ depth: 14, widthMultiplier: 1, numClasses: 10, inputShape: [8, 8, 1] }));
    assert.equal(m.weightsSize, 4 * m.parameterCount);
    assert.ok(m.createTime && m.createTime.seconds > 0, 'create_time');
    assert.deepEqual(m.sessionIds, []);

    const got = await client.getModel('teacher');
    assert.deepEqual(got, m, 'GetModel describes the same model');
    const picked = await client.createResNet(TINY);
    assert.match(picked.modelId, /^resnet8-\d+$/, 'a server-picked id');
    assert.deepEqual(
      (await client.listModels()).map((x) => x.modelId).slice(-2),
      ['teacher', picked.modelId],
      'ListModels in creation order',
    );
    await client.deleteModel(picked.modelId);
    await client.deleteModel('teacher');
  });

  it('resnetParameterCount agrees with the built models', () => {
    for (const spec of [
      { depth: 8, widthMultiplier: 1, numClasses: 10, inputShape: [8, 8, 1] as [number, number, number] },
      { depth: 20, widthMultiplier: 2, numClasses: 100, inputShape: [32, 32, 3] as [number, number, number] },
    ]) {
      const m = buildResNet(spec);
      assert.equal(resnetParameterCount(spec), m.model.countParams(), JSON.stringify(spec));
      m.model.dispose();
    }
  });

  it('ALREADY_EXISTS for a taken id', async () => {
    await client.createModel({ modelId: 'dup', resnet: TINY });
    await expectStatus(client.createModel({ modelId: 'dup', resnet: TINY }), grpc.status.ALREADY_EXISTS, /^model_id: model 'dup' already exists/);
    await client.deleteModel('dup');
  });

  it('INVALID_ARGUMENT names the field', async () => {
    await expectStatus(client.createModel({ resnet: { depth: 9 } }), grpc.status.INVALID_ARGUMENT, /^resnet\.depth: expected 6n\+2/);
    await expectStatus(client.createModel({ resnet: { depth: 8, inputShape: [8, 8] } }), grpc.status.INVALID_ARGUMENT, /^resnet\.input_shape: expected \[height, width, channels\]/);
    await expectStatus(client.createModel({ resnet: { depth: 8, inputShape: [8, 0, 1] } }), grpc.status.INVALID_ARGUMENT, /^resnet\.input_shape\[1\]/);
    await expectStatus(client.createModel({ modelId: 'Bad Id', resnet: TINY }), grpc.status.INVALID_ARGUMENT, /^model_id: 'Bad Id' is not an id/);
    await expectStatus(client.createModel({ modelId: 'x' }), grpc.status.INVALID_ARGUMENT, /^architecture: missing/);
  });

  it('NOT_FOUND for an unknown id (GetModel, DeleteModel, ExportModel)', async () => {
    await expectStatus(client.getModel('nope'), grpc.status.NOT_FOUND, /^model_id: no model 'nope'/);
    await expectStatus(client.deleteModel('nope'), grpc.status.NOT_FOUND, /no model 'nope'/);
    await expectStatus(client.exportModel('nope'), grpc.status.NOT_FOUND, /no model 'nope'/);
  });
});

describe('ExportModel and UploadModel', () => {
  it('round trip: the uploaded copy has the same weights, taps and outputs', async () => {
    const original = await client.createModel({ modelId: 'orig', resnet: { ...TINY, seed: 3 } });
    const exported = await client.exportModel('orig', { chunkSize: 10_000 });
    assert.equal(exported.weights.byteLength, original.weightsSize, 'all weight bytes');
    assert.deepEqual(exported.taps, original.taps.map((t) => t.layer), 'taps in the header');
    const copy = await client.uploadModel(exported, 'copy', { chunkSize: 7_777 });
    assert.equal(copy.origin, 'MODEL_ORIGIN_UPLOADED');
    assert.equal(copy.parameterCount, original.parameterCount);
    assert.deepEqual(copy.taps, original.taps);
    assert.deepEqual(copy.pairs, original.pairs);
    assert.deepEqual((await client.exportModel('copy')).weights, exported.weights, 'export of the copy = export of the original');
    const batch = toBatch({ data: images(4, 11), shape: [4, 8, 8, 1] }, [0, 1, 2, 3]);
    const [a, b] = await Promise.all([client.evaluate({ modelId: 'orig', batch }), client.evaluate({ modelId: 'copy', batch })]);
    assert.equal(a.crossEntropy, b.crossEntropy, 'same logits');
    await client.deleteModel('copy');
    await client.deleteModel('orig');
  });

  it('taps chosen at upload', async () => {
    await client.createModel({ modelId: 'src', resnet: TINY });
    const exported = await client.exportModel('src');
    const m = await client.uploadModel({ ...exported, taps: ['stem/relu', 'section2/block1/relu'], pairs: [{ first: 0, second: 1 }] }, 'retapped');
    assert.deepEqual(m.taps.map((t) => t.layer), ['stem/relu', 'section2/block1/relu']);
    assert.deepEqual(m.pairs, [{ first: 0, second: 1 }]);
    await client.deleteModel('retapped');
    await client.deleteModel('src');
  });

  it('INVALID_ARGUMENT for bad streams, naming the field', async () => {
    await client.createModel({ modelId: 'src2', resnet: TINY });
    const exported = await client.exportModel('src2');
    const models = new (fspdGrpcObject().fspd.v1.ModelService)(server.addresses[0]!, grpc.credentials.createInsecure());
    const raw = (messages: UploadModelRequest[]) =>
      new Promise((resolve, reject) => {
        const call = models.UploadModel((err, res) => (err ? reject(err) : resolve(res)));
        for (const m of messages) call.write(m);
        call.end();
      });
    const header = { modelJson: JSON.stringify(exported.modelJson), weightsSize: exported.weights.byteLength };
    const weights = Buffer.from(exported.weights);
    await expectStatus(raw([{ weightsChunk: weights }]), grpc.status.INVALID_ARGUMENT, /^header: the first message/);
    await expectStatus(raw([]), grpc.status.INVALID_ARGUMENT, /^header: missing/);
    await expectStatus(raw([{ header }, { weightsChunk: weights }, { weightsChunk: Buffer.alloc(4) }]), grpc.status.INVALID_ARGUMENT, /^weights_chunk: the chunks pass header\.weights_size/);
    await expectStatus(raw([{ header }, { weightsChunk: weights.subarray(8) }]), grpc.status.INVALID_ARGUMENT, /^weights_chunk: received \d+ bytes/);
    await expectStatus(raw([{ header: { ...header, modelJson: '{not json' } }, { weightsChunk: weights }]), grpc.status.INVALID_ARGUMENT, /^header\.model_json: not valid JSON/);
    await expectStatus(
      raw([{ header: { ...header, taps: ['no-such-layer'], pairs: [{ first: 0, second: 0 }] } }, { weightsChunk: weights }]),
      grpc.status.INVALID_ARGUMENT,
      /^header\.taps\[0\]: no layer named 'no-such-layer'/,
    );
    await expectStatus(raw([{ header: { ...header, taps: ['stem/relu'] } }, { weightsChunk: weights }]), grpc.status.INVALID_ARGUMENT, /^header\.pairs: required/);
    await expectStatus(raw([{ header: { ...header, weightsSize: weights.length - 4 } }, { weightsChunk: weights.subarray(4) }]), grpc.status.INVALID_ARGUMENT, /^header\.weights_size: 313700 bytes, but the weights manifest in header\.model_json needs 313704/);
    await expectStatus(client.exportModel('src2', { chunkSize: 1 << 30 }), grpc.status.INVALID_ARGUMENT, /^chunk_size/);
    models.close();
    await client.deleteModel('src2');
  });
});

describe('DeleteModel', () => {
  it('frees every tensor of the model', async () => {
    const before = tf.memory().numTensors;
    await client.createModel({ modelId: 'tmp', resnet: { depth: 14, inputShape: [8, 8, 1] } });
    assert.ok(tf.memory().numTensors > before, 'the model holds tensors');
    await client.exportModel('tmp');
    await client.evaluate({ modelId: 'tmp', batch: toBatch({ data: images(2, 1), shape: [2, 8, 8, 1] }, [0, 1]) });
    await client.deleteModel('tmp');
    assert.equal(tf.memory().numTensors, before, 'back to the count before CreateModel');
    assert.equal(fs.existsSync(path.join(dir, 'models', 'tmp')), false, 'its files are gone');
  });

  it('FAILED_PRECONDITION while a session uses the model', async () => {
    await client.createModel({ modelId: 'used', resnet: TINY });
    await client.createSession({ sessionId: 'user', spec: { studentModelId: 'used' } });
    await expectStatus(client.deleteModel('used'), grpc.status.FAILED_PRECONDITION, /^model_id: model 'used' is used by session\(s\) user/);
    assert.deepEqual((await client.getModel('used')).sessionIds, ['user']);
    await client.deleteSession('user');
    await client.deleteModel('used');
  });
});

describe('limits', () => {
  it('RESOURCE_EXHAUSTED past the model limit', async () => {
    const small = await startModelServer({ maxModels: 2 });
    try {
      await small.client.createResNet(TINY);
      await small.client.createResNet(TINY);
      await expectStatus(small.client.createResNet(TINY), grpc.status.RESOURCE_EXHAUSTED, /limit of 2 models \(--max-models\)/);
    } finally {
      small.client.close();
      await small.server.shutdown();
      fs.rmSync(small.dir, { recursive: true, force: true });
    }
  });

  it('RESOURCE_EXHAUSTED past the memory limit (CreateModel and UploadModel, before the weights arrive)', async () => {
    const exported = await (async () => {
      await client.createModel({ modelId: 'big', resnet: { depth: 14, inputShape: [8, 8, 1] } });
      const e = await client.exportModel('big');
      await client.deleteModel('big');
      return e;
    })();
    // Room for a ResNet-8 (314 KB of weights) but not a ResNet-14 (690 KB).
    const small = await startModelServer({ maxMemory: tf.memory().numBytes + 500_000, teacherCacheSize: 0 });
    try {
      await small.client.createResNet(TINY);
      await expectStatus(small.client.createResNet({ depth: 14, inputShape: [8, 8, 1] }), grpc.status.RESOURCE_EXHAUSTED, /--max-memory/);
      await expectStatus(small.client.uploadModel(exported), grpc.status.RESOURCE_EXHAUSTED, /the uploaded model .*--max-memory/);
    } finally {
      small.client.close();
      await small.server.shutdown();
      fs.rmSync(small.dir, { recursive: true, force: true });
    }
  });
});

describe('persistence', () => {
  it('models come back after a restart with the same weights', async () => {
    const first = await startModelServer();
    await first.client.createModel({ modelId: 'kept', resnet: { ...TINY, seed: 5 } });
    const weights = (await first.client.exportModel('kept')).weights;
    first.client.close();
    await first.server.shutdown();
    const second = await startServer(
      { ...DEFAULT_CONFIG, addresses: ['127.0.0.1:0'], metricsAddress: '127.0.0.1:0', checkpointDir: first.dir },
      pino({ level: 'silent' }),
    );
    const c = new FspdClient({ address: second.addresses[0]! });
    try {
      assert.deepEqual((await c.listModels()).map((m) => m.modelId), ['kept']);
      assert.deepEqual((await c.exportModel('kept')).weights, weights, 'same weights');
    } finally {
      c.close();
      await second.shutdown();
      fs.rmSync(first.dir, { recursive: true, force: true });
    }
  });
});

describe('model ids and files', () => {
  const registryOver = async (state: string) => {
    const registry = new ModelRegistry({ maxModels: 10, dir: state, memory: new MemoryBudget(2 ** 40), log: pino({ level: 'silent' }) });
    await registry.loadAll();
    return registry;
  };
  const spec = { depth: 8, widthMultiplier: 1, numClasses: 10, inputShape: [8, 8, 1] as [number, number, number], seed: 2 };
  const alreadyExists = (message: RegExp) => (err: { code: number; message: string }) => {
    assert.equal(err.code, grpc.status.ALREADY_EXISTS, err.message);
    assert.match(err.message, message);
    return true;
  };

  it('a model that cannot be saved does not stop the others from being saved (shutdown)', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-persist-all-'));
    const registry = await registryOver(state);
    try {
      await registry.create('a', spec);
      await registry.create('b', spec);
      fs.rmSync(path.join(state, 'a'), { recursive: true });
      fs.writeFileSync(path.join(state, 'a'), 'not a directory'); // a's save fails first
      fs.rmSync(path.join(state, 'b'), { recursive: true });
      await assert.rejects(registry.persistAll(), (err: AggregateError) => {
        assert.equal(err.message, "cannot save model 'a'; the others were saved");
        assert.equal(err.errors.length, 1);
        return true;
      });
      assert.deepEqual(fs.readdirSync(path.join(state, 'b')).sort(), ['model.json', 'record.json', 'weights.bin'], "b was saved after a's failure");
    } finally {
      registry.disposeAll();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  it('an id stays taken while DeleteModel removes its directory: a create with it meanwhile is ALREADY_EXISTS', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-redelete-model-'));
    const registry = await registryOver(state);
    try {
      await registry.create('m', spec);
      const deleting = registry.delete('m'); // gone from the registry at once; its directory is removed after
      assert.equal(registry.find('m'), undefined);
      await assert.rejects(registry.create('m', spec), alreadyExists(/^model_id: model 'm' is being deleted; its id is free once DeleteModel returns$/));
      await deleting;
      assert.equal(fs.existsSync(path.join(state, 'm')), false, 'the directory is gone');
      await registry.create('m', spec);
      assert.deepEqual(fs.readdirSync(path.join(state, 'm')).sort(), ['model.json', 'record.json', 'weights.bin'], 'the new model is on disk');
    } finally {
      registry.disposeAll();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  it('a saved model the restart could not restore keeps its directory and its id: ALREADY_EXISTS for it, new ids skip it', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-kept-model-'));
    let registry = await registryOver(state);
    const snapshot = () => fs.readdirSync(path.join(state, 'resnet8-1')).sort().map((f) => [f, fs.readFileSync(path.join(state, 'resnet8-1', f)).toString('base64')]);
    try {
      assert.equal((await registry.create('', spec)).id, 'resnet8-1');
      registry.disposeAll();
      fs.truncateSync(path.join(state, 'resnet8-1', 'weights.bin'), 1000); // damaged: loadAll skips it
      const before = snapshot();
      registry = await registryOver(state);
      assert.deepEqual(registry.list(), [], 'not restored');
      await assert.rejects(
        registry.create('resnet8-1', { ...spec, numClasses: 3 }),
        alreadyExists(/^model_id: 'resnet8-1' is taken by the directory of a saved model the server could not restore at startup .*the directory 'resnet8-1' is kept/),
      );
      assert.equal((await registry.create('', { ...spec, numClasses: 3 })).id, 'resnet8-2', 'a new id skips the kept one');
      assert.deepEqual(snapshot(), before, 'the kept files are untouched');
    } finally {
      registry.disposeAll();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});
