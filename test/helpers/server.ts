// An in-process fspd server on loopback port 0 and promise-based dynamic grpc-js clients built from the
// same protos, for the server tests.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import type { FeatureMap, Layout } from '../../src/native/types.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/server/config.js';
import { fspdGrpcObject, loadFspdDefinition } from '../../src/proto/index.js';
import { decode, encode, messageSpec, type Decoded } from '../../src/server/message-codec.js';
import { startServer, type FspdServer } from '../../src/server/server.js';
import type { ComputeFspRequest } from '../../src/generated/fspd/v1/ComputeFspRequest.js';
import type { ComputeFspResponse__Output } from '../../src/generated/fspd/v1/ComputeFspResponse.js';
import type { FeaturePair } from '../../src/generated/fspd/v1/FeaturePair.js';
import type { FspLossRequest } from '../../src/generated/fspd/v1/FspLossRequest.js';
import type { FspLossResponse__Output } from '../../src/generated/fspd/v1/FspLossResponse.js';
import type { TeacherFspRequest } from '../../src/generated/fspd/v1/TeacherFspRequest.js';
import type { TeacherFspResponse__Output } from '../../src/generated/fspd/v1/TeacherFspResponse.js';
import type { Tensor } from '../../src/generated/fspd/v1/Tensor.js';

export function startTestServer(overrides: Partial<ServerConfig> = {}): Promise<FspdServer> {
  const config: ServerConfig = { ...DEFAULT_CONFIG, addresses: ['127.0.0.1:0'], metricsAddress: '127.0.0.1:0', shutdownGraceMs: 2000, ...overrides };
  return startServer(config, pino({ level: 'silent' }));
}

/** A gauge's value from the server's /metrics. */
export async function gauge(server: FspdServer, name: string): Promise<number> {
  const text = await (await fetch(`http://${server.metricsAddress}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

/** Polls `check` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface ClientOptions {
  token?: string;
  credentials?: grpc.ChannelCredentials;
  /** The client's receive limit; grpc-js defaults to 4 MiB. */
  maxReceive?: number;
  /** Own connection instead of the process-wide shared one. */
  ownConnection?: boolean;
  /** The TLS server name to verify (the test certificates name `localhost`). */
  serverName?: string;
}

export interface FspClient {
  computeFsp(request: ComputeFspRequest): Promise<ComputeFspResponse__Output>;
  fspLoss(request: FspLossRequest): Promise<FspLossResponse__Output>;
  teacherFsp(request: TeacherFspRequest): Promise<TeacherFspResponse__Output>;
  close(): void;
}

function channelOptions(options: ClientOptions = {}): grpc.ChannelOptions {
  return {
    'grpc.max_receive_message_length': options.maxReceive ?? 64 * 1024 ** 2,
    ...(options.ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
    ...(options.serverName ? { 'grpc.ssl_target_name_override': options.serverName } : {}),
  };
}

function tokenMetadata(token?: string): grpc.Metadata {
  const md = new grpc.Metadata();
  if (token !== undefined) md.set('authorization', `Bearer ${token}`);
  return md;
}

export function fspClient(address: string, options: ClientOptions = {}): FspClient {
  const Service = fspdGrpcObject().fspd.v1.FspService;
  const raw = new Service(address, options.credentials ?? grpc.credentials.createInsecure(), channelOptions(options));
  const md = () => tokenMetadata(options.token);
  const call = <Res>(start: (callback: grpc.requestCallback<Res>) => void) =>
    new Promise<Res>((resolve, reject) => start((err, res) => (err ? reject(err) : resolve(res!))));
  return {
    computeFsp: (request) => call((cb) => raw.ComputeFsp(request, md(), cb)),
    fspLoss: (request) => call((cb) => raw.FspLoss(request, md(), cb)),
    teacherFsp: (request) => call((cb) => raw.TeacherFsp(request, md(), cb)),
    close: () => raw.close(),
  };
}

/** Awaits a call that must fail with `code` and details matching `details`. */
export async function expectStatus(promise: Promise<unknown>, code: grpc.status, details: RegExp): Promise<void> {
  await assert.rejects(promise, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `expected ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.details}`);
    assert.match(err.details, details, `details of ${grpc.status[code]}`);
    return true;
  });
}

export const LAYOUT_ENUM = { NHWC: 'LAYOUT_NHWC', NCHW: 'LAYOUT_NCHW' } as const satisfies Record<Layout, string>;

export function float32Tensor(data: Float32Array, shape: readonly number[]): Tensor {
  return { dtype: 'DATA_TYPE_FLOAT32', shape: [...shape], data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}

export function pairMessage(first: FeatureMap, second: FeatureMap): FeaturePair {
  return { first: float32Tensor(first.data, first.shape), second: float32Tensor(second.data, second.shape), layout: LAYOUT_ENUM[first.layout] };
}

/** A float32 response tensor's values (copied, so they outlive the message buffer). */
export function values(tensor: { dtype: string; shape: number[]; data: Buffer } | null | undefined): Float32Array {
  assert.ok(tensor, 'tensor present');
  assert.equal(tensor.dtype, 'DATA_TYPE_FLOAT32', 'float32 response');
  const bytes = new Uint8Array(tensor.data);
  return new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
}

// ---- calling a service's handlers directly (no server), for tests that hold a call at a chosen point ----

/** `message` as the server's codec gives a request of type `type` (e.g. 'FspLossRequest') to handlers: every field, defaults too. */
export function decodedRequest(type: string, message: object): Decoded {
  const spec = messageSpec(loadFspdDefinition(), `fspd.v1.${type}`);
  return decode(spec, encode(spec, message as Decoded));
}

/** A unary call as grpc-js hands it to a handler: never cancelled, no deadline. */
export const handlerCall = (request: unknown, path = '/fspd.v1.FspService/Call') =>
  Object.assign(new EventEmitter(), { request, cancelled: false, getDeadline: () => Infinity, getPath: () => path, metadata: new grpc.Metadata() }) as never;

/** Runs a unary handler; resolves with its error or response. */
export const handlerResult = <T>(handler: (call: never, done: never) => void, call: never) =>
  new Promise<{ err: grpc.ServiceError | null; value?: T }>((resolve) => handler(call, ((err: grpc.ServiceError | null, value?: T) => resolve({ err, value })) as never));
