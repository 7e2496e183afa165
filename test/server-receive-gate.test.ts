// The receive gate (receive-gate.ts): on its own, which reads start when; over real loopback gRPC, a
// compute request waits while another is read, its bytes held back in the client by HTTP/2 flow control,
// and a stalled or cancelled request does not hold the others back; COMPUTE_METHODS against the protos.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import type { MessageTypeDefinition } from '@grpc/proto-loader';
import { computeFspLoss } from '../src/fsp/index.js';
import type { FeaturePair } from '../src/native/types.js';
import { fspdGrpcObject, loadFspdDefinition } from '../src/proto/index.js';
import { COMPUTE_METHODS, ReceiveGate } from '../src/server/receive-gate.js';
import type { FspdServer } from '../src/server/server.js';
import type { FspLossResponse__Output } from '../src/generated/fspd/v1/FspLossResponse.js';
import { addonSkip } from './helpers/addon.js';
import { assertClose } from './helpers/check.js';
import { dims, randomMap, seededRandom, seedOf } from './helpers/random.js';
import { fspClient, gauge, pairMessage, startTestServer, until } from './helpers/server.js';

describe('ReceiveGate', () => {
  /** Enters `n` calls; `read` records which have been let read. */
  function enterMany(gate: ReceiveGate, n: number) {
    const reads: number[] = [];
    const done = Array.from({ length: n }, (_, i) => gate.enter(() => reads.push(i)));
    return { reads, done };
  }

  it('lets maxReceiving read at once, the rest in arrival order as slots come back', () => {
    const gate = new ReceiveGate(2);
    const { reads, done } = enterMany(gate, 4);
    assert.deepEqual(reads, [0, 1]);
    assert.deepEqual(gate.stats(), { receiving: 2, waiting: 2 });
    done[1]!();
    assert.deepEqual(reads, [0, 1, 2]);
    done[0]!();
    done[2]!();
    done[3]!();
    assert.deepEqual(reads, [0, 1, 2, 3]);
    assert.deepEqual(gate.stats(), { receiving: 0, waiting: 0 });
  });

  it('a call that ends while waiting leaves the queue without reading; done twice gives back one slot', () => {
    const gate = new ReceiveGate(1);
    const { reads, done } = enterMany(gate, 3);
    done[1]!(); // ends while waiting
    assert.deepEqual(gate.stats(), { receiving: 1, waiting: 1 });
    done[0]!();
    done[0]!();
    assert.deepEqual(reads, [0, 2], 'call 1 never reads');
    assert.deepEqual(gate.stats(), { receiving: 1, waiting: 0 }, 'the second done of call 0 freed nothing');
    const late = enterMany(gate, 1);
    assert.deepEqual(late.reads, [], 'call 2 still holds the only slot');
    done[2]!();
    assert.deepEqual(late.reads, [0]);
  });

  it('a read that finds its message already there (done inside read) hands the slot straight on', () => {
    const gate = new ReceiveGate(1);
    const reads: string[] = [];
    const first = gate.enter(() => reads.push('first'));
    const second: () => void = gate.enter(() => {
      reads.push('second');
      second();
    });
    gate.enter(() => reads.push('third'));
    first();
    assert.deepEqual(reads, ['first', 'second', 'third']);
    assert.deepEqual(gate.stats(), { receiving: 1, waiting: 0 });
  });

  it('a request still arriving after holdLimitMs stops counting; its late done does not free a second slot', async () => {
    const gate = new ReceiveGate(1, 30);
    const { reads, done } = enterMany(gate, 3);
    assert.deepEqual(reads, [0]);
    await until('the hold limit to let call 1 read', async () => reads.length === 2, 2000);
    assert.deepEqual(reads, [0, 1]);
    done[0]!(); // call 0's message arrives at last
    assert.deepEqual(gate.stats(), { receiving: 1, waiting: 1 }, 'call 1 still counts; call 2 waits');
    done[1]!();
    assert.deepEqual(reads, [0, 1, 2]);
    done[2]!();
    assert.deepEqual(gate.stats(), { receiving: 0, waiting: 0 });
  });

  it('maxReceiving 0: no limit', () => {
    const gate = new ReceiveGate(0);
    const { reads, done } = enterMany(gate, 5);
    assert.deepEqual(reads, [0, 1, 2, 3, 4]);
    done.forEach((d) => d());
    assert.deepEqual(gate.stats(), { receiving: 0, waiting: 0 });
  });
});

describe('COMPUTE_METHODS', () => {
  it('are exactly the methods with one request message that carries a Tensor', () => {
    const definition = loadFspdDefinition();
    type Descriptor = { field?: { typeName: string }[] }; // enums have none
    const carriesTensor = (name: string, seen = new Set<string>()): boolean => {
      if (name === 'fspd.v1.Tensor') return true;
      if (seen.has(name)) return false;
      seen.add(name);
      const entry = definition[name] as MessageTypeDefinition | undefined;
      if (!entry) return false; // google.protobuf types
      return (entry.type as Descriptor).field?.some((f) => f.typeName !== '' && carriesTensor(resolve(name, f.typeName), seen)) ?? false;
    };
    // Type names are relative to the message's scope unless they start with '.'.
    const resolve = (from: string, typeName: string) => {
      if (typeName.startsWith('.')) return typeName.slice(1);
      const scope = from.split('.');
      for (let i = scope.length; i >= 0; i--) {
        const name = [...scope.slice(0, i), typeName].join('.');
        if (definition[name]) return name;
      }
      return typeName;
    };
    const found: string[] = [];
    for (const entry of Object.values(definition)) {
      if ('format' in entry) continue; // a message or enum, not a service
      for (const method of Object.values(entry)) {
        const request = `fspd.v1.${(method.requestType.type as { name: string }).name}`;
        assert.ok(definition[request], request);
        if (!method.requestStream && carriesTensor(request)) found.push(method.path);
      }
    }
    assert.deepEqual(found.sort(), [...COMPUTE_METHODS].sort());
  });
});

/**
 * A unary call over raw HTTP/2, so that the test decides when each part of the request goes out; on its own
 * connection, or on `session` (left open).
 */
function rawCall(address: string, path: string, message: Buffer, session?: http2.ClientHttp2Session) {
  const own = session === undefined;
  session ??= http2.connect(`http://${address}`);
  const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
  const framed = Buffer.alloc(5 + message.length);
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, 5);
  let sent = 0;
  let flushed = false;
  const chunks: Buffer[] = [];
  let status: number | undefined;
  stream.on('response', (headers) => {
    if (headers['grpc-status'] !== undefined) status = Number(headers['grpc-status']); // trailers-only
  });
  stream.on('trailers', (trailers) => {
    status = Number(trailers['grpc-status']);
  });
  stream.on('data', (c: Buffer) => chunks.push(c));
  const answer = new Promise<{ status: number | undefined; message: Buffer }>((resolve) => {
    stream.on('close', () => {
      if (own) session.close();
      resolve({ status, message: Buffer.concat(chunks).subarray(5) });
    });
  });
  stream.on('error', () => {}); // a cancelled stream; its answer has no status
  return {
    /** Sends the first `bytes` of the framed request. */
    sendPart(bytes: number) {
      stream.write(framed.subarray(sent, bytes));
      sent = bytes;
    },
    /** Sends the rest and half-closes; `flushed` turns true once HTTP/2 has let all of it out. */
    sendRest() {
      stream.end(framed.subarray(sent), () => {
        flushed = true;
      });
      sent = framed.length;
    },
    get flushed() {
      return flushed;
    },
    cancel: () => stream.close(http2.constants.NGHTTP2_CANCEL),
    answer,
  };
}

describe('receive gate over gRPC, --max-receiving 1', { skip: addonSkip }, () => {
  let server: FspdServer;
  const FSP_LOSS = '/fspd.v1.FspService/FspLoss';
  const { FspLoss } = fspdGrpcObject().fspd.v1.FspService.service;

  before(async () => {
    server = await startTestServer({ maxReceiving: 1 });
  });
  after(async () => {
    await server.shutdown();
  });

  const stats = async () => ({ receiving: await gauge(server, 'fspd_requests_receiving'), waiting: await gauge(server, 'fspd_requests_waiting_to_receive') });

  /** An FspLoss request of one NHWC pair, student and teacher, of `batch` samples of 16×16×32 maps (32 KiB each). */
  function lossRequest(name: string, batch: number) {
    const rng = seededRandom(seedOf('receive-gate', name));
    const pair = (): FeaturePair => ({ first: randomMap(rng, dims(batch, 16, 16, 32), 'NHWC'), second: randomMap(rng, dims(batch, 16, 16, 32), 'NHWC') });
    const student = pair();
    const teacher = pair();
    const bytes = FspLoss.requestSerialize({ student: [pairMessage(student.first, student.second)], teacher: [pairMessage(teacher.first, teacher.second)] });
    return { bytes, expected: computeFspLoss([student], { pairs: [teacher] }).loss };
  }

  const lossOf = (answer: { status: number | undefined; message: Buffer }) => {
    assert.equal(answer.status, 0, 'grpc-status OK');
    return (FspLoss.responseDeserialize(answer.message) as FspLossResponse__Output).loss;
  };

  it('a second request waits, unread and its bytes in the client, until the first has arrived; both answered right', async () => {
    const first = lossRequest('first', 8); // 1 MiB of maps
    const second = lossRequest('second', 32); // 4 MiB
    const a = rawCall(server.addresses[0]!, FSP_LOSS, first.bytes);
    a.sendPart(100_000);
    await until('the first request to be read', async () => (await stats()).receiving === 1);
    const b = rawCall(server.addresses[0]!, FSP_LOSS, second.bytes);
    b.sendRest();
    await until('the second request to wait', async () => (await stats()).waiting === 1);
    assert.equal(b.flushed, false, "the waiting request's bytes stay in the client (HTTP/2 flow control)");
    a.sendRest();
    const [answerA, answerB] = await Promise.all([a.answer, b.answer]);
    assert.equal(b.flushed, true);
    assertClose([lossOf(answerA)], [first.expected], 1e-5, 'first loss');
    assertClose([lossOf(answerB)], [second.expected], 1e-5, 'second loss');
    assert.deepEqual(await stats(), { receiving: 0, waiting: 0 });
  });

  it('on one connection too: the waiting request holds back only its own stream, not the connection', async () => {
    // Were the waiting stream's bytes to hold the connection's flow-control window, the first request's
    // rest could not arrive and both would hang.
    const session = http2.connect(`http://${server.addresses[0]!}`);
    try {
      const first = lossRequest('shared-first', 8);
      const second = lossRequest('shared-second', 32);
      const a = rawCall(server.addresses[0]!, FSP_LOSS, first.bytes, session);
      a.sendPart(100_000);
      await until('the first request to be read', async () => (await stats()).receiving === 1);
      const b = rawCall(server.addresses[0]!, FSP_LOSS, second.bytes, session);
      b.sendRest();
      await until('the second request to wait', async () => (await stats()).waiting === 1);
      a.sendRest();
      const [answerA, answerB] = await Promise.all([a.answer, b.answer]);
      assertClose([lossOf(answerA)], [first.expected], 1e-5, 'first loss');
      assertClose([lossOf(answerB)], [second.expected], 1e-5, 'second loss');
    } finally {
      session.close();
    }
  });

  it('a stalled request holds the gate no longer than the hold limit; cancelling it leaves nothing held', async () => {
    const stalled = lossRequest('stalled', 8);
    const a = rawCall(server.addresses[0]!, FSP_LOSS, stalled.bytes);
    a.sendPart(100_000);
    await until('the stalled request to be read', async () => (await stats()).receiving === 1);
    const client = fspClient(server.addresses[0]!, { ownConnection: true });
    try {
      const other = lossRequest('other', 4);
      const res = await client.fspLoss(FspLoss.requestDeserialize(other.bytes));
      assertClose([res.loss], [other.expected], 1e-5, 'the other call passes while the stalled one still has not arrived');
    } finally {
      client.close();
    }
    a.cancel();
    assert.equal((await a.answer).status, undefined, 'the stalled call got no status: it was cancelled');
    await until('nothing held', async () => {
      const s = await stats();
      return s.receiving === 0 && s.waiting === 0;
    });
  });
});
