// The server around the FSP handlers: auth, message-size limit, health, reflection, metrics, unix socket,
// TLS and mTLS, graceful shutdown, and `fspd serve` exiting 0 on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { FspLossRequest } from '../src/generated/fspd/v1/FspLossRequest.js';
import { LOADER_OPTIONS, loadHealthDefinition } from '../src/proto/index.js';
import type { FspdServer } from '../src/server/server.js';
import { serveChild } from './helpers/child-server.js';
import { dims, randomMap, seededRandom } from './helpers/random.js';
import { expectStatus, fspClient, pairMessage, startTestServer } from './helpers/server.js';
import { makeTestPki, tlsSkipReason, type TestPki } from './helpers/tls.js';


function lossRequest(seed = 1, batch = 2): FspLossRequest {
  const rng = seededRandom(seed);
  const pair = () => pairMessage(randomMap(rng, dims(batch, 4, 4, 3), 'NHWC'), randomMap(rng, dims(batch, 4, 4, 5), 'NHWC'));
  return { student: [pair()], teacher: [pair()] };
}

interface HealthResponse {
  status: string;
}
type HealthClient = grpc.Client & {
  Check(req: { service: string }, md: grpc.Metadata, cb: grpc.requestCallback<HealthResponse>): void;
  Watch(req: { service: string }): grpc.ClientReadableStream<HealthResponse>;
};

function healthClient(address: string): HealthClient {
  const proto = grpc.loadPackageDefinition(loadHealthDefinition()) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
  return new proto.grpc.health.v1.Health(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
}

const check = (client: HealthClient, service: string) =>
  new Promise<string>((resolve, reject) => client.Check({ service }, new grpc.Metadata(), (err, res) => (err ? reject(err) : resolve(res!.status))));

/** Resolves with the first streamed message that satisfies `accept`. */
function nextMatching<T>(stream: grpc.ClientReadableStream<T>, accept: (message: T) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    stream.on('data', (m: T) => accept(m) && resolve(m));
    stream.on('error', reject);
  });
}

async function metricsText(server: FspdServer): Promise<string> {
  const res = await fetch(`http://${server.metricsAddress}/metrics`);
  assert.equal(res.status, 200, 'GET /metrics');
  return res.text();
}

describe('auth', () => {
  let server: FspdServer;
  before(async () => {
    server = await startTestServer({ token: 's3cret' });
  });
  after(() => server.shutdown());

  it('a missing token is UNAUTHENTICATED', async () => {
    const c = fspClient(server.addresses[0]!);
    await expectStatus(c.fspLoss(lossRequest()), grpc.status.UNAUTHENTICATED, /missing authorization metadata/);
    c.close();
  });

  it('a wrong token is UNAUTHENTICATED', async () => {
    const c = fspClient(server.addresses[0]!, { token: 's3cret-not' });
    await expectStatus(c.fspLoss(lossRequest()), grpc.status.UNAUTHENTICATED, /invalid bearer token/);
    c.close();
  });

  it('the right token passes', async () => {
    const c = fspClient(server.addresses[0]!, { token: 's3cret' });
    const res = await c.fspLoss(lossRequest());
    assert.ok(res.loss > 0, `loss ${res.loss}`);
    c.close();
  });

  it('health checks need no token', async () => {
    const h = healthClient(server.addresses[0]!);
    assert.equal(await check(h, ''), 'SERVING', 'overall status');
    h.close();
  });

  it('metrics count refused calls', async () => {
    assert.match(await metricsText(server), /grpc_server_handled_total\{grpc_service="fspd\.v1\.FspService",grpc_method="FspLoss",grpc_code="UNAUTHENTICATED"\} 2/, 'UNAUTHENTICATED counted');
  });
});

describe('a unix socket file left behind', () => {
  /** A process listening on `socket` (a unix socket file), and a way to end it as SIGKILL does (the file stays). */
  async function listener(socket: string) {
    const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    return { kill: () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGKILL'))) };
  }

  it('by a killed server is removed, and the new server binds there', async () => {
    const socket = path.join(os.tmpdir(), `fspd-stale-${process.pid}.sock`);
    await (await listener(socket)).kill();
    assert.ok(fs.lstatSync(socket).isSocket(), 'the killed listener left its socket file');
    const server = await startTestServer({ addresses: [`unix:${socket}`] });
    const c = fspClient(`unix:${socket}`);
    assert.equal((await c.fspLoss(lossRequest(2))).pairLosses.length, 1, 'served on the socket');
    c.close();
    await server.shutdown();
    fs.rmSync(socket, { force: true });
  });

  it('of a live server is left alone: the bind fails', async () => {
    const socket = path.join(os.tmpdir(), `fspd-live-${process.pid}.sock`);
    const live = await listener(socket);
    await assert.rejects(startTestServer({ addresses: [`unix:${socket}`] }), /cannot listen on unix:.*fspd-live-\d+\.sock/);
    assert.ok(fs.lstatSync(socket).isSocket(), 'the live socket stays');
    await live.kill();
    fs.rmSync(socket, { force: true });
  });
});

describe('one server: limits, health, reflection, metrics, unix socket', () => {
  const socket = path.join(os.tmpdir(), `fspd-test-${process.pid}.sock`);
  let server: FspdServer;
  before(async () => {
    fs.rmSync(socket, { force: true });
    server = await startTestServer({ addresses: ['127.0.0.1:0', `unix:${socket}`], maxMessageSize: 64 * 1024 });
  });
  after(async () => {
    await server.shutdown();
    fs.rmSync(socket, { force: true });
  });

  it('a request over the message limit is RESOURCE_EXHAUSTED naming the limit', async () => {
    const c = fspClient(server.addresses[0]!);
    await expectStatus(c.fspLoss(lossRequest(2, 400)), grpc.status.RESOURCE_EXHAUSTED, /larger than max \(\d+ vs 65536\)/);
    const res = await c.fspLoss(lossRequest(2, 2));
    assert.ok(res.loss > 0, 'a request under the limit still works');
    c.close();
  });

  it('serves on a unix socket as well', async () => {
    assert.equal(server.addresses[1], `unix:${socket}`, 'bound address');
    const c = fspClient(`unix:${socket}`);
    const res = await c.fspLoss(lossRequest(3));
    assert.equal(res.pairLosses.length, 1, 'pair losses');
    c.close();
  });

  it('health: SERVING overall and per service, NOT_FOUND for unknown services', async () => {
    const h = healthClient(server.addresses[0]!);
    assert.equal(await check(h, ''), 'SERVING', 'overall');
    assert.equal(await check(h, 'fspd.v1.FspService'), 'SERVING', 'FspService');
    await expectStatus(check(h, 'fspd.v1.NoSuchService'), grpc.status.NOT_FOUND, /./);
    h.close();
  });

  it('reflection lists the services', async () => {
    const file = path.join(path.dirname(createRequire(import.meta.url).resolve('@grpc/reflection')), '../proto/grpc/reflection/v1/reflection.proto');
    const proto = grpc.loadPackageDefinition(protoLoader.loadSync(file, LOADER_OPTIONS)) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
    };
    type Reply = { listServicesResponse: { service: Array<{ name: string }> } | null };
    const client = new proto.grpc.reflection.v1.ServerReflection(server.addresses[0]!, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, Reply>;
    };
    const stream = client.ServerReflectionInfo();
    const reply = nextMatching<Reply>(stream, (m) => m.listServicesResponse !== null);
    stream.write({ listServices: '' });
    const names = (await reply).listServicesResponse!.service.map((s) => s.name).sort();
    stream.end();
    client.close();
    assert.deepEqual(names, ['fspd.v1.FspService', 'fspd.v1.ModelService', 'fspd.v1.SharedMemoryService', 'fspd.v1.TrainingService', 'grpc.health.v1.Health'], 'services');
  });

  it('/metrics: RPC counters and latency by method and code, event-loop lag, native variant', async () => {
    const c = fspClient(server.addresses[0]!);
    await c.fspLoss(lossRequest(4));
    await expectStatus(c.fspLoss({ ...lossRequest(4), weights: [NaN] }), grpc.status.INVALID_ARGUMENT, /weights\[0\]/);
    c.close();
    const text = await metricsText(server);
    const expected = [
      /grpc_server_handled_total\{grpc_service="fspd\.v1\.FspService",grpc_method="FspLoss",grpc_code="OK"\} [1-9]/,
      /grpc_server_handled_total\{grpc_service="fspd\.v1\.FspService",grpc_method="FspLoss",grpc_code="INVALID_ARGUMENT"\} 1/,
      /grpc_server_handling_seconds_bucket\{le="0\.5",grpc_service="fspd\.v1\.FspService",grpc_method="FspLoss",grpc_code="OK"\} [1-9]/,
      /grpc_server_handled_total\{grpc_service="grpc\.health\.v1\.Health",grpc_method="Check",grpc_code="OK"\}/,
      /nodejs_eventloop_lag_seconds \d/,
      /fspd_native_info\{variant="(cpu|cuda|ts)",device="(cpu|cuda)",simd="\w+"\} 1/,
    ];
    for (const re of expected) assert.match(text, re, String(re));
  });

  it('other paths on the metrics port are 404', async () => {
    const res = await fetch(`http://${server.metricsAddress}/`);
    assert.equal(res.status, 404, 'status');
    await res.body?.cancel();
  });
});

describe('graceful shutdown', () => {
  it('NOT_SERVING, in-flight calls finish, hooks run, then new calls fail', async () => {
    const server = await startTestServer();
    const address = server.addresses[0]!;
    const h = healthClient(address);
    const watch = h.Watch({ service: '' });
    await nextMatching(watch, (m) => m.status === 'SERVING');
    const events: string[] = [];
    server.onShutdown(async () => void events.push('hook'));

    const started = Date.now();
    const done = server.shutdown(10_000).then(() => events.push('done'));
    await nextMatching(watch, (m) => m.status === 'NOT_SERVING');
    assert.deepEqual(events, [], 'the watch is in flight: shutdown waits for it');
    watch.cancel(); // the in-flight call ends within the grace period
    await done;
    assert.deepEqual(events, ['hook', 'done'], 'hooks run after the calls ended');
    assert.ok(Date.now() - started < 5000, `finished without waiting out the grace period (${Date.now() - started} ms)`);
    h.close();

    const late = fspClient(address);
    await expectStatus(late.fspLoss(lossRequest()), grpc.status.UNAVAILABLE, /./);
    late.close();
  });

  it('calls still running when the grace period ends are cancelled', async () => {
    const server = await startTestServer();
    const h = healthClient(server.addresses[0]!);
    const watch = h.Watch({ service: '' });
    await nextMatching(watch, (m) => m.status === 'SERVING');
    const ended = new Promise<grpc.ServiceError>((resolve) => watch.on('error', resolve));
    watch.on('data', () => {});
    const started = Date.now();
    await server.shutdown(300);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 5000, `waited about the grace period (${elapsed} ms)`);
    const err = await ended;
    assert.ok([grpc.status.CANCELLED, grpc.status.UNAVAILABLE, grpc.status.INTERNAL].includes(err.code), `stream ended by the server: ${grpc.status[err.code]} ${err.details}`);
    h.close();
  });
});

describe('TLS', { skip: tlsSkipReason() }, () => {
  let pki: TestPki;
  const file = (name: string) => pki.file(name);
  before(() => {
    pki = makeTestPki();
  });
  after(() => pki.remove());

  const ca = () => fs.readFileSync(file('ca.pem'));

  it('TLS: a client trusting the CA connects; a plaintext client does not', async () => {
    const server = await startTestServer({ tls: { cert: file('server.pem'), key: file('server.key') } });
    const secure = fspClient(server.addresses[0]!, { credentials: grpc.credentials.createSsl(ca()), serverName: 'localhost' });
    assert.ok((await secure.fspLoss(lossRequest())).loss > 0, 'loss over TLS');
    const plain = fspClient(server.addresses[0]!);
    await expectStatus(plain.fspLoss(lossRequest()), grpc.status.UNAVAILABLE, /./);
    secure.close();
    plain.close();
    await server.shutdown();
  });

  it('mTLS: a client certificate signed by the CA is required', async () => {
    const server = await startTestServer({ tls: { cert: file('server.pem'), key: file('server.key'), ca: file('ca.pem') } });
    const anonymous = fspClient(server.addresses[0]!, { credentials: grpc.credentials.createSsl(ca()), serverName: 'localhost', ownConnection: true });
    await expectStatus(anonymous.fspLoss(lossRequest()), grpc.status.UNAVAILABLE, /./);
    const credentials = grpc.credentials.createSsl(ca(), fs.readFileSync(file('client.key')), fs.readFileSync(file('client.pem')));
    const known = fspClient(server.addresses[0]!, { credentials, serverName: 'localhost', ownConnection: true });
    assert.ok((await known.fspLoss(lossRequest())).loss > 0, 'loss over mTLS');
    anonymous.close();
    known.close();
    await server.shutdown();
  });
});

describe('fspd serve', () => {
  it('prints its config with the token masked, serves, and exits 0 on SIGTERM', async () => {
    const serve = await serveChild([], { env: { FSPD_TOKEN: 'tok-123', FSPD_SHUTDOWN_GRACE: '5' } });
    const c = fspClient(serve.address, { token: 'tok-123' });
    try {
      assert.ok((await c.fspLoss(lossRequest())).loss > 0, 'served a call');
    } finally {
      c.close();
      serve.child.kill('SIGTERM');
    }
    assert.equal((await serve.exited).code, 0, 'exit code');
    const lines = serve.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const config = lines.find((l) => l.msg === 'config')?.config as Record<string, unknown> | undefined;
    assert.equal(config?.token, '***', 'token masked in the printed config');
    assert.doesNotMatch(JSON.stringify(lines), /tok-123/, 'the token never appears in the logs');
    assert.ok(lines.some((l) => l.msg === 'stopped'), `logged 'stopped': ${lines.map((l) => l.msg).join(', ')}`);
  });
});
