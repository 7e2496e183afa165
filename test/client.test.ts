// src/client: the tensor helpers, and the client against a real server: token, TLS and mTLS (certificates
// made by the test), deadlines, cancellation by AbortSignal, chunked uploads, the Train stream object.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { FspdClient, fromFloatTensor, fromTensor, status, toBatch, toTensor } from '../src/client/index.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../src/server/config.js';
import { startServer, type FspdServer } from '../src/server/server.js';

function start(overrides: Partial<ServerConfig> = {}): Promise<FspdServer> {
  return startServer({ ...DEFAULT_CONFIG, addresses: ['127.0.0.1:0'], metricsAddress: '127.0.0.1:0', shutdownGraceMs: 2000, ...overrides }, pino({ level: 'silent' }));
}

async function expectCode(promise: Promise<unknown>, code: grpc.status, details?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `expected ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.details}`);
    if (details) assert.match(err.details, details);
    return true;
  });
}

describe('tensor helpers', () => {
  it('toTensor / fromTensor round trip float32, int32 and uint8 without changing values', () => {
    for (const data of [Float32Array.from([1.5, -2, 3e-8, 4]), Int32Array.from([1, -2, 3, 2 ** 31 - 1]), Uint8Array.from([0, 1, 254, 255])]) {
      const t = toTensor(data, [2, 2]);
      assert.equal(t.data!.length, data.byteLength, 'bytes');
      const back = fromTensor({ dtype: t.dtype as never, shape: t.shape as number[], data: t.data as Buffer });
      assert.deepEqual(back.shape, [2, 2]);
      assert.deepEqual(Array.from(back.data), Array.from(data), data.constructor.name);
      assert.equal(back.data.constructor, data.constructor);
    }
  });

  it('fromTensor widens float16 and bfloat16', () => {
    const f16 = Buffer.from(Uint16Array.from([0x3c00, 0xc000, 0x7c00, 0x0001]).buffer); // 1, -2, inf, smallest subnormal
    assert.deepEqual(Array.from(fromFloatTensor({ dtype: 'DATA_TYPE_FLOAT16', shape: [4], data: f16 }).data), [1, -2, Infinity, 2 ** -24]);
    const bf16 = Buffer.from(Uint16Array.from([0x3f80, 0xc040]).buffer); // 1, -3
    assert.deepEqual(Array.from(fromFloatTensor({ dtype: 'DATA_TYPE_BFLOAT16', shape: [2], data: bf16 }).data), [1, -3]);
  });

  it('errors name what is wrong', () => {
    assert.throws(() => toTensor(new Float32Array(3), [2, 2]), /^RangeError: shape \[2, 2\] holds 4 elements, data has 3/);
    assert.throws(() => toBatch({ data: new Float32Array(4), shape: [4] }), /^RangeError: images\.shape: expected \[batch, height, width, channels\]/);
    assert.throws(() => fromFloatTensor({ dtype: 'DATA_TYPE_INT32', shape: [1], data: Buffer.alloc(4) }), /expected a floating-point dtype/);
    assert.throws(() => fromTensor({ dtype: 'DATA_TYPE_FLOAT32', shape: [2], data: Buffer.alloc(4) }), /4 bytes for shape \[2\]/);
  });

  it('toBatch: images, int32 labels, sample ids', () => {
    const b = toBatch({ data: new Uint8Array(2 * 4), shape: [2, 2, 2, 1] }, [3, 4], ['a', 'b']);
    assert.equal(b.images!.dtype, 'DATA_TYPE_UINT8');
    assert.equal(b.labels!.dtype, 'DATA_TYPE_INT32');
    assert.deepEqual(b.sampleIds, ['a', 'b']);
  });
});

describe('FspdClient', () => {
  let server: FspdServer;
  before(async () => {
    server = await start({ token: 'tok' });
  });
  after(() => server.shutdown());

  it('sends the token; without it calls are UNAUTHENTICATED', async () => {
    const good = new FspdClient({ address: server.addresses[0]!, token: 'tok' });
    await good.waitForReady();
    assert.deepEqual(await good.listModels(), []);
    const bad = new FspdClient({ address: server.addresses[0]!, token: 'nope' });
    await expectCode(bad.listSessions(), status.UNAUTHENTICATED, /invalid bearer token/);
    good.close();
    bad.close();
  });

  it('a deadline stops a long Evaluate with DEADLINE_EXCEEDED; an abort stops it with CANCELLED', async () => {
    const c = new FspdClient({ address: server.addresses[0]!, token: 'tok', deadlineMs: 30_000 });
    await c.createModel({ modelId: 'digits', resnet: { depth: 14, inputShape: [28, 28, 1] } });
    const whole = { modelId: 'digits', dataset: { name: 'DATASET_NAME_MNIST' as const, split: 'SPLIT_TRAIN' as const }, batchSize: 32 };
    const t0 = performance.now();
    await expectCode(c.evaluate(whole, { deadlineMs: 300 }), status.DEADLINE_EXCEEDED);
    const controller = new AbortController();
    const pending = c.evaluate(whole, { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await expectCode(pending, status.CANCELLED);
    assert.ok(performance.now() - t0 < 20_000, 'both stopped long before evaluating 8,004 digits');
    await c.deleteModel('digits');
    c.close();
  });

  it('grants the server a 1 MiB HTTP/2 window per stream and per connection; channelOptions may set another', async () => {
    // A bare HTTP/2 server: what the client's session says, seen from the other end.
    const h2 = http2.createServer();
    const sessions: http2.ServerHttp2Session[] = [];
    h2.on('session', (s) => sessions.push(s));
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(h2.address() as { port: number }).port}`;
    const windows = async (client: FspdClient) => {
      await client.waitForReady();
      const session = sessions.at(-1)!;
      if (!session.remoteSettings.initialWindowSize) await new Promise((r) => session.once('remoteSettings', r));
      await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
      client.close();
      return { stream: session.remoteSettings.initialWindowSize, connection: session.state.remoteWindowSize };
    };
    try {
      assert.deepEqual(await windows(new FspdClient({ address })), { stream: 1024 ** 2, connection: 1024 ** 2 });
      assert.deepEqual(await windows(new FspdClient({ address, channelOptions: { 'grpc-node.flow_control_window': 4 * 1024 ** 2 } })), { stream: 4 * 1024 ** 2, connection: 4 * 1024 ** 2 });
    } finally {
      sessions.forEach((s) => s.destroy());
      h2.close();
    }
  });

  it('uploadModel: chunkSize 0 is the 1 MiB default (it looped forever); a chunkSize not a positive integer is a RangeError', async () => {
    const c = new FspdClient({ address: server.addresses[0]!, token: 'tok', deadlineMs: 30_000 });
    try {
      await c.createModel({ modelId: 'chunks', resnet: { depth: 8, inputShape: [8, 8, 1] } });
      const artifacts = await c.exportModel('chunks');
      for (const [id, chunkSize] of [['chunks-0', 0], ['chunks-small', 1000]] as const) {
        assert.equal((await c.uploadModel(artifacts, id, { chunkSize })).weightsSize, artifacts.weights.byteLength, id);
        assert.deepEqual((await c.exportModel(id)).weights, artifacts.weights, `${id}: the same weights`);
        await c.deleteModel(id);
      }
      for (const chunkSize of [-1, 1.5, NaN, Infinity]) {
        await assert.rejects(c.uploadModel(artifacts, 'chunks-bad', { chunkSize }), new RegExp(`^RangeError: chunkSize: expected a positive integer \\(0 or unset: 1 MiB\\), got ${chunkSize}$`));
      }
      assert.deepEqual((await c.listModels()).map((m) => m.modelId), ['chunks'], 'nothing uploaded for the bad ones');
      await c.deleteModel('chunks');
    } finally {
      c.close();
    }
  });

  it('a signal reused across calls keeps no abort listener once each ends (unary, UploadModel, ExportModel, Train; ok or failed)', async () => {
    const c = new FspdClient({ address: server.addresses[0]!, token: 'tok', deadlineMs: 30_000 });
    const { signal } = new AbortController();
    try {
      await c.createModel({ modelId: 'reused', resnet: { depth: 8, inputShape: [8, 8, 1] } }, { signal });
      for (let i = 0; i < 3; i++) {
        const artifacts = await c.exportModel('reused', { signal });
        await expectCode(c.exportModel('no-such-model', { signal }), status.NOT_FOUND);
        await c.uploadModel(artifacts, `reused-${i}`, { signal });
        await expectCode(c.uploadModel(artifacts, 'reused', { signal }), status.ALREADY_EXISTS);
        const failed = c.train('no-such-session', { signal });
        await expectCode(failed.step({}), status.NOT_FOUND);
        await failed.end().catch(() => undefined);
        await c.train('', { signal }).end(); // a stream with no messages ends OK
      }
      assert.equal(getEventListeners(signal, 'abort').length, 0, 'abort listeners left on the signal');
      for (let i = 0; i < 3; i++) await c.deleteModel(`reused-${i}`);
      await c.deleteModel('reused');
    } finally {
      c.close();
    }
  });

  it('TrainStream.step() after end() rejects at once (it never settled)', async () => {
    const c = new FspdClient({ address: server.addresses[0]!, token: 'tok' });
    let timer: NodeJS.Timeout | undefined;
    try {
      const stream = c.train('');
      await stream.end();
      const stuck = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('step() still pending after 5 s')), 5000)));
      await assert.rejects(Promise.race([stream.step({}), stuck]), (err: Error & { code?: number }) => {
        assert.equal(err.message, 'the Train stream is closed (end() was called): open another with train()');
        assert.equal(err.code, status.FAILED_PRECONDITION);
        return true;
      });
    } finally {
      clearTimeout(timer);
      c.close();
    }
  });

  it('rejects a half-given mTLS pair', () => {
    assert.throws(() => new FspdClient({ address: '127.0.0.1:1', tls: { cert: '-----BEGIN CERTIFICATE-----' } }), /tls: give both cert and key/);
  });
});

describe('FspdClient over TLS', { skip: opensslOk() ? false : 'openssl not found' }, () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-client-tls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const key = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
    key('ca');
    openssl('req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=fspd client test CA');
    for (const [name, ext] of [['server', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], ['client', 'extendedKeyUsage=clientAuth']] as const) {
      key(name);
      openssl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=fspd client test ${name}`);
      fs.writeFileSync(file(`${name}.ext`), `${ext}\n`);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('TLS with a CA file, and mTLS with a client certificate (paths or PEM text)', async () => {
    // Servers and clients are closed in finally blocks: a failed assertion must not leave the file hanging.
    const tlsServer = await start({ tls: { cert: file('server.pem'), key: file('server.key') } });
    const c = new FspdClient({ address: tlsServer.addresses[0]!, tls: { ca: file('ca.pem'), serverName: 'localhost' } });
    try {
      assert.deepEqual(await c.listModels(), []);
    } finally {
      c.close();
      await tlsServer.shutdown();
    }

    const mtls = await start({ tls: { cert: file('server.pem'), key: file('server.key'), ca: file('ca.pem') } });
    const known = new FspdClient({
      address: mtls.addresses[0]!,
      tls: { ca: fs.readFileSync(file('ca.pem'), 'utf8'), cert: file('client.pem'), key: file('client.key'), serverName: 'localhost' },
      channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
    });
    const anonymous = new FspdClient({ address: mtls.addresses[0]!, tls: { ca: file('ca.pem'), serverName: 'localhost' }, channelOptions: { 'grpc.use_local_subchannel_pool': 1 } });
    try {
      assert.deepEqual(await known.listSessions(), []);
      await expectCode(anonymous.listSessions(), status.UNAVAILABLE);
    } finally {
      known.close();
      anonymous.close();
      await mtls.shutdown();
    }
  });
});

function opensslOk(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
