// The malformed-request corpus (helpers/malformed-corpus.ts) against a live server: every case gets its
// expected status code (never INTERNAL or UNKNOWN), an ErrorInfo in grpc-status-details-bin (domain fspd,
// the pinned reason, the pinned field violation), a message and details within 4 KiB together, and the
// server answers normally afterwards; wrong wire types on known fields of every RPC get no INTERNAL or
// UNKNOWN. Also: both kernel backends refuse an FspLoss whose student pairs
// differ in batch with INVALID_ARGUMENT (the native kernels used to fail it as INTERNAL, the TS ones to
// accept it).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { nativeInfo, resetKernelChoice } from '../src/native/index.js';
import { fspdGrpcObject } from '../src/proto/index.js';
import type { FspdServer } from '../src/server/server.js';
import { decodeRpcStatus, STATUS_DETAILS_KEY, type RpcStatus } from '../src/server/status-details.js';
import { addonSkip } from './helpers/addon.js';
import { corpus, FIXTURES, MALFORMED_BYTES, RPCS, WRONG_WIRE_TYPES, type Case } from './helpers/malformed-corpus.js';
import { startTestServer } from './helpers/server.js';

interface Outcome {
  code: grpc.status;
  details: string;
  status: RpcStatus | undefined;
  /** Bytes of the message plus grpc-status-details-bin. */
  size: number;
}

type Method = grpc.MethodDefinition<object, unknown>;
const services = fspdGrpcObject().fspd.v1 as unknown as Record<string, { service: Record<string, Method> }>;
const method = (rpc: string): Method => {
  const [service, name] = rpc.split('/') as [string, string];
  return services[service]!.service[name]!;
};

/** Sends the case's messages over any kind of call and gathers the final status. */
function send(client: grpc.Client, c: Case): Promise<Outcome> {
  const m = method(c.rpc);
  const bytes = c.messages.map((message) => (Buffer.isBuffer(message) ? message : m.requestSerialize(message)));
  const raw = (b: Buffer) => b;
  const deadline = Date.now() + 20_000;
  return new Promise((resolve) => {
    const finish = (status: Partial<grpc.StatusObject>) => {
      const [bin] = status.metadata?.get(STATUS_DETAILS_KEY) ?? [];
      const binBytes = Buffer.isBuffer(bin) ? bin : undefined;
      resolve({
        code: status.code ?? grpc.status.UNKNOWN,
        details: status.details ?? '',
        status: binBytes && decodeRpcStatus(binBytes),
        size: Buffer.byteLength(status.details ?? '') + (binBytes?.byteLength ?? 0),
      });
    };
    const path = m.path;
    if (!m.requestStream && !m.responseStream) {
      client.makeUnaryRequest(path, raw, raw, bytes[0]!, new grpc.Metadata(), { deadline }, (err) => finish(err ?? { code: grpc.status.OK, details: '' }));
    } else if (!m.requestStream) {
      const call = client.makeServerStreamRequest(path, raw, raw, bytes[0]!, new grpc.Metadata(), { deadline });
      call.on('data', () => undefined);
      call.on('error', () => undefined);
      call.on('status', finish);
    } else if (!m.responseStream) {
      const call = client.makeClientStreamRequest(path, raw, raw, new grpc.Metadata(), { deadline }, () => undefined);
      call.on('status', finish);
      for (const b of bytes) call.write(b);
      call.end();
    } else {
      const call = client.makeBidiStreamRequest(path, raw, raw, new grpc.Metadata(), { deadline });
      call.on('data', () => undefined);
      call.on('error', () => undefined);
      call.on('status', finish);
      for (const b of bytes) call.write(b);
      call.end();
    }
  });
}

/** What is wrong with an outcome, or undefined when it is what the case asks for. */
function problem(c: Case, o: Outcome): string | undefined {
  const got = `${grpc.status[o.code]} (${o.status?.details.reason ?? 'no ErrorInfo'}): ${o.details.slice(0, 300)}`;
  if (o.code === grpc.status.INTERNAL || o.code === grpc.status.UNKNOWN) return `a client error answered ${got}`;
  if (o.code !== c.code) return `expected ${grpc.status[c.code]}, got ${got}`;
  if (o.size > 4096) return `message and details of ${o.size} bytes (over 4 KiB)`;
  // The server's directories (state, shared memory, data) all lie under the temporary directory here.
  if (o.details.includes(os.tmpdir()) || JSON.stringify(o.status ?? {}).includes(os.tmpdir())) return `a server path in the reply: ${o.details}`;
  if (o.code === grpc.status.OK) return undefined;
  if (!o.status) return `no google.rpc.Status in ${STATUS_DETAILS_KEY}: ${got}`;
  const { details } = o.status;
  if (o.status.code !== o.code || o.status.message !== o.details) return `google.rpc.Status says ${o.status.code} '${o.status.message}'`;
  if (details.domain !== 'fspd' || details.reason === '') return `ErrorInfo domain '${details.domain}' reason '${details.reason}'`;
  if (c.reason && details.reason !== c.reason) return `reason ${details.reason}, expected ${c.reason}: ${got}`;
  if (c.field && !details.fieldViolations.some((v) => v.field === c.field)) {
    return `no field violation for ${c.field} (got ${details.fieldViolations.map((v) => v.field).join(', ') || 'none'}): ${got}`;
  }
  return undefined;
}

describe('malformed-request corpus', () => {
  let server: FspdServer;
  let client: grpc.Client;
  let shmDir: string;
  let dataDir: string;
  const cases = corpus();

  before(async () => {
    shmDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-fuzz-shm-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-fuzz-data-'));
    fs.writeFileSync(path.join(shmDir, FIXTURES.regionFile), Buffer.alloc(FIXTURES.regionBytes));
    server = await startTestServer({ sharedMemoryDir: shmDir, dataDir });
    client = new grpc.Client(server.addresses[0]!, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 ** 2 });
    const setup = async (rpc: string, message: object) => {
      const o = await send(client, { rpc, name: 'setup', messages: [message], code: grpc.status.OK });
      assert.equal(o.code, grpc.status.OK, `${rpc}: ${o.details}`);
    };
    const resnet = (seed: number) => ({ depth: 8, inputShape: [...FIXTURES.input], numClasses: FIXTURES.classes, seed });
    await setup('ModelService/CreateModel', { modelId: FIXTURES.student, resnet: resnet(1) });
    await setup('ModelService/CreateModel', { modelId: FIXTURES.teacher, resnet: resnet(2) });
    await setup('ModelService/CreateModel', { modelId: FIXTURES.other, resnet: resnet(3) });
    await setup('TrainingService/CreateSession', { sessionId: FIXTURES.session, spec: { studentModelId: FIXTURES.student, teacherModelId: FIXTURES.teacher } });
    await setup('SharedMemoryService/RegisterSharedMemory', { name: FIXTURES.region, path: FIXTURES.regionFile, byteSize: FIXTURES.regionBytes });
  });

  after(async () => {
    client?.close();
    await server?.shutdown();
    fs.rmSync(shmDir, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('covers every RPC with at least 300 cases', () => {
    assert.ok(cases.length >= 300, `${cases.length} cases`);
    const rpcs = new Set(cases.map((c) => c.rpc));
    for (const [service, methods] of Object.entries(RPCS)) for (const m of methods) assert.ok(rpcs.has(`${service}/${m}`), `${service}/${m} has cases`);
    // The corpus knows every RPC the protos define.
    const defined = Object.entries(services).flatMap(([s, { service }]) => (service ? Object.keys(service).map((m) => `${s}/${m}`) : []));
    assert.deepEqual([...new Set(defined)].sort(), [...rpcs].sort());
    assert.equal(MALFORMED_BYTES.length * defined.length <= cases.length, true);
  });

  for (const [service, methods] of Object.entries(RPCS)) {
    for (const name of methods) {
      const rpc = `${service}/${name}`;
      it(`${rpc}: every case gets its code, ErrorInfo and field, within 4 KiB`, async () => {
        const failures: string[] = [];
        for (const c of cases.filter((k) => k.rpc === rpc)) {
          const why = problem(c, await send(client, c));
          if (why) failures.push(`${c.name}: ${why}`);
        }
        assert.deepEqual(failures, []);
      });
    }
  }

  it('wrong wire types on known fields of every RPC: never INTERNAL or UNKNOWN, within 4 KiB', async () => {
    const failures: string[] = [];
    for (const [service, methods] of Object.entries(RPCS)) {
      for (const name of methods) {
        for (const [what, bytes] of WRONG_WIRE_TYPES) {
          const c: Case = { rpc: `${service}/${name}`, name: what, messages: [bytes], code: grpc.status.OK };
          const o = await send(client, c);
          if (o.code === grpc.status.INTERNAL || o.code === grpc.status.UNKNOWN || o.size > 4096 || (o.code !== grpc.status.OK && !o.status)) {
            failures.push(`${c.rpc} ${what}: ${grpc.status[o.code]} (${o.size} bytes) ${o.details.slice(0, 200)}`);
          }
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  it('the server still answers, and says why a call failed in grpc-status-details-bin', async () => {
    const o = await send(client, { rpc: 'ModelService/GetModel', name: 'after', messages: [{ modelId: FIXTURES.student }], code: grpc.status.OK });
    assert.equal(o.code, grpc.status.OK, o.details);
    const missing = await send(client, { rpc: 'ModelService/GetModel', name: 'after', messages: [{ modelId: 'y'.repeat(100 * 1024) }], code: grpc.status.NOT_FOUND });
    assert.equal(missing.code, grpc.status.NOT_FOUND);
    // A 100 KiB id comes back as a quote of its start and its length.
    assert.match(missing.details, /^model_id: no model 'y{48}…' \(102400 chars\)$/);
    assert.deepEqual(missing.status?.details.metadata, { resource: 'model', id: `${'y'.repeat(127)}…` });
  });
});

describe('FspLoss: student pairs of different batch sizes', () => {
  const backends: Array<[string, Record<string, string>, false | string]> = [
    ['TypeScript kernels', { FSPD_NATIVE: '0' }, false],
    ['native kernels', { FSPD_NATIVE: '1' }, addonSkip],
  ];
  for (const [name, env, skip] of backends) {
    it(`${name}: INVALID_ARGUMENT naming student[1].first.shape`, { skip }, async () => {
      const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      resetKernelChoice();
      const server = await startTestServer();
      const client = new grpc.Client(server.addresses[0]!, grpc.credentials.createInsecure());
      try {
        if (env.FSPD_NATIVE === '1') assert.notEqual(nativeInfo().variant, 'ts');
        else assert.equal(nativeInfo().variant, 'ts');
        const map = (b: number, c: number) => ({ dtype: 'DATA_TYPE_FLOAT32', shape: [b, 2, 2, c], data: Buffer.from(new Float32Array(b * 4 * c).fill(0.25).buffer) });
        const pair = (b: number) => ({ first: map(b, 2), second: map(b, 3), layout: 'LAYOUT_NHWC' });
        const request = { student: [pair(2), pair(3)], teacher: [pair(2), pair(3)] };
        const o = await send(client, { rpc: 'FspService/FspLoss', name, messages: [request], code: grpc.status.INVALID_ARGUMENT });
        assert.equal(o.code, grpc.status.INVALID_ARGUMENT, o.details);
        assert.deepEqual(o.status?.details.fieldViolations.map((v) => v.field), ['student[1].first.shape']);
        // Pairs of one batch are fine on the same backend.
        const ok = await send(client, { rpc: 'FspService/FspLoss', name, messages: [{ student: [pair(2), pair(2)], teacher: [pair(2), pair(2)] }], code: grpc.status.OK });
        assert.equal(ok.code, grpc.status.OK, ok.details);
      } finally {
        client.close();
        await server.shutdown();
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
        resetKernelChoice();
      }
    });
  }
});
