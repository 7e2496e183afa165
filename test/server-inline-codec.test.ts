// FspService through the server's own codec (inline-codec.ts, message-codec.ts) end to end: tensor data at
// every 4-byte alignment in the received message (moved in place or copied) gives the same answer, unknown
// fields are skipped, malformed requests are INVALID_ARGUMENT naming the field, and concurrent large
// responses, all encoded through one reused buffer, each arrive intact.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { computeFspLoss } from '../src/fsp/index.js';
import type { FeaturePair } from '../src/native/types.js';
import type { FspLossRequest } from '../src/generated/fspd/v1/FspLossRequest.js';
import type { FspLossResponse__Output } from '../src/generated/fspd/v1/FspLossResponse.js';
import { fspdGrpcObject } from '../src/proto/index.js';
import type { FspdServer } from '../src/server/server.js';
import { assertClose } from './helpers/check.js';
import { dims, randomMap, seededRandom, seedOf } from './helpers/random.js';
import { expectStatus, fspClient, pairMessage, startTestServer, values, type FspClient } from './helpers/server.js';

const SERVICE = fspdGrpcObject().fspd.v1.FspService.service;
let server: FspdServer;
let client: FspClient;
let raw: grpc.Client;

before(async () => {
  server = await startTestServer();
  client = fspClient(server.addresses[0]!);
  raw = new grpc.Client(server.addresses[0]!, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 ** 2 });
});

after(async () => {
  client.close();
  raw.close();
  await server.shutdown();
});

/** A unary call with the request as given bytes; the response decoded as any client would. */
function rawCall<Res>(method: 'ComputeFsp' | 'FspLoss' | 'TeacherFsp', bytes: Buffer): Promise<Res> {
  const m = SERVICE[method];
  return new Promise((resolve, reject) =>
    raw.makeUnaryRequest(m.path, (b: Buffer) => b, m.responseDeserialize as (b: Buffer) => Res, bytes, (err, res) => (err ? reject(err) : resolve(res!))),
  );
}

/** An unknown field 15 of `n` + 2 bytes (length-delimited): put in front, it shifts everything after by n + 2. */
const unknownField = (n: number) => Buffer.from([0x7a, n, ...Array.from({ length: n }, (_, i) => i + 1)]);

function lossCase(name: string, batch: number, channels: number): { student: FeaturePair[]; teacher: FeaturePair[]; request: FspLossRequest } {
  const rng = seededRandom(seedOf('inline-codec', name));
  const make = (): FeaturePair[] => [
    { first: randomMap(rng, dims(batch, 4, 4, channels), 'NCHW'), second: randomMap(rng, dims(batch, 4, 4, channels + 1), 'NCHW') },
    // under 128 bytes per map with batch 1: copied when it must move 3 bytes
    { first: randomMap(rng, dims(batch, 2, 2, 3), 'NCHW'), second: randomMap(rng, dims(batch, 2, 2, 2), 'NCHW') },
  ];
  const student = make();
  const teacher = make();
  const pairs = (p: FeaturePair[]) => p.map((x) => pairMessage(x.first, x.second));
  return { student, teacher, request: { student: pairs(student), teacher: pairs(teacher), returnGradients: true, returnTeacherMatrices: true } };
}

function checkLoss(res: FspLossResponse__Output, student: FeaturePair[], teacher: FeaturePair[], what: string): void {
  const direct = computeFspLoss(student, { pairs: teacher }, { returnGradients: true, returnTeacherMatrices: true });
  assertClose([res.loss], [direct.loss], 1e-6, `${what}: loss`);
  student.forEach((_, i) => {
    const g = res.studentGradients[i]!;
    assertClose(values(g.first), direct.gradients![i]!.first, 1e-6, `${what}: gradients[${i}].first`);
    assertClose(values(g.second), direct.gradients![i]!.second, 1e-6, `${what}: gradients[${i}].second`);
    assertClose(values(res.teacherMatrices[i]), direct.teacherMatrices![i]!, 1e-6, `${what}: teacher matrices[${i}]`);
  });
}

describe('FspService codec end to end', () => {
  it('tensor data at each 4-byte alignment, after unknown fields: the same loss and gradients', async () => {
    const { student, teacher, request } = lossCase('alignment', 1, 8);
    const body = SERVICE.FspLoss.requestSerialize(request);
    const responses: FspLossResponse__Output[] = [];
    for (let n = 0; n < 4; n++) {
      const res = await rawCall<FspLossResponse__Output>('FspLoss', Buffer.concat([unknownField(n), body]));
      checkLoss(res, student, teacher, `shifted by ${n + 2}`);
      responses.push(res);
    }
    const bits = (r: FspLossResponse__Output) => r.studentGradients.flatMap((g) => [g.first!.data.toString('hex'), g.second!.data.toString('hex')]);
    responses.forEach((r, n) => assert.deepEqual(bits(r), bits(responses[0]!), `shifted by ${n + 2}: same gradient bits`));
  });

  it('malformed requests: INVALID_ARGUMENT naming the message and field', async () => {
    const { request } = lossCase('malformed', 2, 4);
    const body = SERVICE.FspLoss.requestSerialize(request);
    // The last 4 bytes are return_gradients and return_teacher_matrices; 3 more cut into teacher[1].
    await expectStatus(rawCall('FspLoss', body.subarray(0, body.length - 7)), grpc.status.INVALID_ARGUMENT, /^malformed FspLossRequest: teacher\[1\]: truncated: length \d+ with \d+ bytes left$/);
    await expectStatus(rawCall('FspLoss', Buffer.from([0x38, 0x80])), grpc.status.INVALID_ARGUMENT, /^malformed FspLossRequest: return_gradients: truncated varint$/);
    await expectStatus(rawCall('FspLoss', Buffer.from([0x3a, 0x00])), grpc.status.INVALID_ARGUMENT, /^malformed FspLossRequest: return_gradients: wire type 2, expected 0$/);
    await expectStatus(rawCall('ComputeFsp', Buffer.from([0x0a, 0x02, 0x0b, 0x00])), grpc.status.INVALID_ARGUMENT, /^malformed ComputeFspRequest: pairs\[0\]\.first: wire type 3, expected 2$/);
    await expectStatus(rawCall('TeacherFsp', Buffer.from([0x12, 0x02, 0x1d, 0x00])), grpc.status.INVALID_ARGUMENT, /^malformed TeacherFspRequest: images\.data: wire type 5, expected 2$/);
    // Strings must be UTF-8 (proto3): decoded with replacement characters, sample ids 0xff and 0xfe would be one cache key.
    await expectStatus(rawCall('TeacherFsp', Buffer.from([0x1a, 0x01, 0x61, 0x1a, 0x01, 0xff])), grpc.status.INVALID_ARGUMENT, /^malformed TeacherFspRequest: sample_ids\[1\]: not valid UTF-8$/);
    // The server still answers well-formed calls on the same connection.
    const res = await rawCall<FspLossResponse__Output>('FspLoss', body);
    assert.ok(Number.isFinite(res.loss), 'a good call after the bad ones');
  });

  it('concurrent large responses each arrive intact (the encoding buffer is reused between responses)', async () => {
    const cases = Array.from({ length: 6 }, (_, i) => lossCase(`concurrent ${i}`, 64 + i, 32));
    const responses = await Promise.all(cases.map((c) => client.fspLoss(c.request)));
    responses.forEach((res, i) => checkLoss(res, cases[i]!.student, cases[i]!.teacher, `call ${i}`));
  });
});
