// status.ts and rpc.ts's guard: typed errors to statuses with details, INTERNAL with an id and nothing
// else, echoed input cut short, every status within 4 KiB; over a live server, details on the statuses
// the auth interceptor makes and the TS client's FspdError.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { FspdClient, FspdError } from '../src/client/index.js';
import { statusGuard } from '../src/server/rpc.js';
import { decodeRpcStatus, encodeRpcStatus, STATUS_DETAILS_KEY, type RpcStatus } from '../src/server/status-details.js';
import { clipBytes, failedPrecondition, invalid, limitExceeded, list, MAX_ERROR_BYTES, MAX_MESSAGE_BYTES, notFound, quote, RpcError, statusOf, toStatus } from '../src/server/status.js';
import type { FspdServer } from '../src/server/server.js';
import { StageError } from '../src/training/index.js';
import { startTestServer } from './helpers/server.js';

/** A logger whose JSON lines land in `lines`. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

function detailsOf(status: grpc.StatusObject): RpcStatus {
  const [bin] = status.metadata.get(STATUS_DETAILS_KEY);
  assert.ok(Buffer.isBuffer(bin), 'grpc-status-details-bin is set');
  const decoded = decodeRpcStatus(bin);
  assert.ok(decoded, 'it parses as a google.rpc.Status');
  return decoded;
}

const sizeOf = (status: grpc.StatusObject) => Buffer.byteLength(status.details) + (status.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer).byteLength;

describe('status.ts', () => {
  it('a bug is INTERNAL: the id in the reply and the log, the message and stack only in the log', async () => {
    const { log, lines } = capturingLogger();
    const status = toStatus(new Error("ENOENT: no such file or directory, open '/var/lib/fspd/sessions/s1.json'"), '/fspd.v1.TrainingService/SaveCheckpoint', log);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(status.code, grpc.status.INTERNAL);
    const m = /^internal error \(id ([0-9a-f]{12})\)$/.exec(status.details);
    assert.ok(m, status.details);
    const { details } = detailsOf(status);
    assert.equal(details.reason, 'INTERNAL');
    assert.deepEqual(details.metadata, { error_id: m[1] });
    assert.doesNotMatch(status.metadata.get(STATUS_DETAILS_KEY)[0]!.toString(), /var\/lib/);
    const line = lines.find((l) => l.errorId === m[1]);
    assert.ok(line, 'logged with the same id');
    assert.equal(line.method, '/fspd.v1.TrainingService/SaveCheckpoint');
    assert.match(String((line.err as { stack: string }).stack), /ENOENT[\s\S]*server-status\.test\.ts/);
  });

  it('INVALID_ARGUMENT: the field paths the message starts with become BadRequest violations', () => {
    assert.deepEqual(invalid('student[1].second.shape: batch 3 differs').fieldViolations, [{ field: 'student[1].second.shape', description: 'batch 3 differs' }]);
    assert.deepEqual(
      invalid('teacher, teacher_matrices: set one of them, not both').fieldViolations.map((v) => v.field),
      ['teacher', 'teacher_matrices'],
    );
    assert.deepEqual(invalid('no field here').fieldViolations, []);
    assert.deepEqual(invalid('x: y', { fieldViolations: [{ field: 'a.b', description: 'c' }] }).fieldViolations, [{ field: 'a.b', description: 'c' }]);
    assert.equal(invalid('x: y').reason, 'INVALID_FIELD');
  });

  it('reasons, metadata and retry delays by kind, through the encoded details', () => {
    const cases: Array<[RpcError, Partial<RpcStatus['details']>]> = [
      [notFound('model', 'm1', "model_id: no model 'm1'"), { reason: 'NOT_FOUND', metadata: { resource: 'model', id: 'm1' } }],
      [failedPrecondition('SESSION_BUSY', 'busy'), { reason: 'SESSION_BUSY', retryDelayMs: 1000 }],
      [limitExceeded('sessions', '--max-sessions', 'full'), { reason: 'LIMIT_EXCEEDED', metadata: { limit: 'sessions', flag: '--max-sessions' } }],
      [new RpcError(grpc.status.UNAVAILABLE, 'starting', { reason: 'SERVER_STARTING' }), { reason: 'SERVER_STARTING', retryDelayMs: 1000 }],
      [new RpcError(grpc.status.UNAVAILABLE, 'bye'), { reason: 'SHUTTING_DOWN', retryDelayMs: 5000 }],
      [new RpcError(grpc.status.CANCELLED, 'stop', { reason: 'DELETED' }), { reason: 'DELETED' }],
    ];
    for (const [err, expected] of cases) {
      const { details, code, message } = detailsOf(statusOf(err));
      assert.equal(code, err.code);
      assert.equal(message, err.message);
      assert.equal(details.domain, 'fspd');
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(details[k as keyof typeof details], v, `${err.message}: ${k}`);
      if (expected.retryDelayMs === undefined) assert.equal(details.retryDelayMs, undefined);
    }
    const stage = detailsOf(toStatus(new StageError('TrainStep: stage 2 needs labels'), '/m', pino({ level: 'silent' })));
    assert.equal(stage.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(stage.details.reason, 'WRONG_STAGE');
  });

  it('echoed input: quote() and list() keep a short prefix and say the length', () => {
    assert.equal(quote('model-1'), "'model-1'");
    assert.equal(quote('a\u0000b\nc'), "'a\\u0000b\\u000ac'");
    assert.equal(quote('z'.repeat(100 * 1024)), `'${'z'.repeat(48)}…' (102400 chars)`);
    assert.equal(list([1, 2, 3]), '[1, 2, 3]');
    assert.equal(list(new Array(100_000).fill(7)), '[7, 7, 7, 7, 7, 7, 7, 7, …] (100000 items)');
  });

  it('no status over 4 KiB, whatever was thrown', () => {
    const message = `field: ${'é'.repeat(50_000)}`;
    const violations = Array.from({ length: 200 }, (_, i) => ({ field: `f[${i}]`, description: 'd'.repeat(2000) }));
    const status = statusOf(invalid(message, { fieldViolations: violations, metadata: { big: 'm'.repeat(10_000) } }));
    assert.ok(Buffer.byteLength(status.details) <= MAX_MESSAGE_BYTES, `${Buffer.byteLength(status.details)} bytes of message`);
    assert.match(status.details, /… \(100007 bytes\)$/);
    assert.ok(sizeOf(status) <= MAX_ERROR_BYTES, `${sizeOf(status)} bytes`);
    const { details } = detailsOf(status);
    assert.ok(details.fieldViolations.length > 0 && details.fieldViolations.length < 200, `${details.fieldViolations.length} violations kept`);
    assert.equal(details.metadata.big!.length, 128);
  });

  it('clipBytes cuts at a character boundary', () => {
    const s = '🙂'.repeat(100);
    const cut = clipBytes(s, 50);
    assert.ok(Buffer.byteLength(cut) <= 50);
    assert.ok(!cut.includes('\uFFFD'));
    assert.match(cut, /^(🙂)+… \(400 bytes\)$/);
    assert.equal(clipBytes('short', 50), 'short');
  });

  it('the details round-trip through google.rpc.Status', () => {
    const status: RpcStatus = {
      code: 3,
      message: 'm',
      details: { reason: 'INVALID_FIELD', domain: 'fspd', metadata: { a: 'b' }, fieldViolations: [{ field: 'x', description: 'y' }], retryDelayMs: 1500 },
    };
    assert.deepEqual(decodeRpcStatus(encodeRpcStatus(status)), status);
    assert.equal(decodeRpcStatus(Buffer.from([0x1a, 0x7f, 0x01])), undefined);
  });
});

describe('statuses made outside the handlers', () => {
  let server: FspdServer;
  before(async () => {
    server = await startTestServer({ token: 'secret' });
  });
  after(() => server.shutdown());

  const call = (client: FspdClient) => client.listModels().then(
    () => assert.fail('expected an error'),
    (err: unknown) => err as FspdError,
  );

  it('auth: UNAUTHENTICATED with MISSING_TOKEN or INVALID_TOKEN', async () => {
    for (const [token, reason] of [[undefined, 'MISSING_TOKEN'], ['wrong', 'INVALID_TOKEN']] as const) {
      const client = new FspdClient({ address: server.addresses[0]!, ...(token ? { token } : {}) });
      try {
        const err = await call(client);
        assert.ok(err instanceof FspdError);
        assert.equal(err.code, grpc.status.UNAUTHENTICATED);
        assert.equal(err.reason, reason);
        assert.equal(err.domain, 'fspd');
      } finally {
        client.close();
      }
    }
  });

  it('the status guard cuts a raw status and adds the ErrorInfo it lacks', async () => {
    // A bare server with one handler that answers a status built by hand: 100 KiB of message, no details.
    const bare = new grpc.Server({ interceptors: [statusGuard()] });
    bare.addService(
      { Raw: { path: '/t.T/Raw', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b } },
      { Raw: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback({ code: grpc.status.FAILED_PRECONDITION, details: 'q'.repeat(100 * 1024) }) },
    );
    const port = await new Promise<number>((resolve, reject) => bare.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const status = await new Promise<grpc.StatusObject>((resolve) => {
        const call = raw.makeUnaryRequest('/t.T/Raw', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), () => undefined);
        call.on('status', resolve);
      });
      assert.equal(status.code, grpc.status.FAILED_PRECONDITION);
      assert.ok(Buffer.byteLength(status.details) <= MAX_MESSAGE_BYTES);
      assert.ok(sizeOf(status) <= MAX_ERROR_BYTES);
      const decoded = detailsOf(status);
      assert.equal(decoded.message, status.details);
      assert.equal(decoded.details.reason, 'FAILED_PRECONDITION');
    } finally {
      raw.close();
      bare.forceShutdown();
    }
  });

  it('the TS client rejects with FspdError: code, message, reason, field', async () => {
    const client = new FspdClient({ address: server.addresses[0]!, token: 'secret' });
    try {
      // The client's FspdError: code, message and what the details say.
      const bad = await client.createModel({ modelId: 'x'.repeat(100 * 1024), resnet: { depth: 8 } }).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e as FspdError,
      );
      assert.ok(bad instanceof FspdError);
      assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(bad.reason, 'INVALID_FIELD');
      assert.equal(bad.field, 'model_id');
      assert.ok(bad.details.length < 300, bad.details);
      // Streams reject with FspdError too: a server stream, a bidi stream.
      const rejection = (p: Promise<unknown>) => p.then(() => assert.fail('expected an error'), (e: unknown) => e as FspdError);
      const exported = await rejection(client.exportModel('no-such-model'));
      const run = await rejection((async () => {
        for await (const _ of client.run({ sessionId: 'no-such-session', dataset: { name: 'DATASET_NAME_MNIST' } })) void _;
      })());
      const stream = client.train('no-such-session');
      const trained = await rejection(stream.step({}));
      await stream.end().catch(() => undefined);
      for (const [err, resource] of [[exported, 'model'], [run, 'session'], [trained, 'session']] as const) {
        assert.ok(err instanceof FspdError, String(err));
        assert.deepEqual([err.code, err.reason, err.errorMetadata.resource], [grpc.status.NOT_FOUND, 'NOT_FOUND', resource]);
      }
    } finally {
      client.close();
    }
  });
});
