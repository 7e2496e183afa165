// The RPC layer of every fspd service: handlers for the four kinds of call (unary, client stream,
// server stream, bidi stream) that answer whatever they throw through status.ts's one mapping; request
// deserialisers that turn a message that does not parse into INVALID_ARGUMENT (grpc-js would answer a
// throwing one INTERNAL); the status guard, the last line for statuses made anywhere else; and the
// helpers of long calls: cancellation and deadlines, stream writes that respect backpressure, a message
// reader for client streams, and event-loop yields.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { decodeRpcStatus, ERROR_DOMAIN, STATUS_DETAILS_KEY } from './status-details.js';
import { clipBytes, defaultReason, fittedDetails, invalid, MAX_ERROR_BYTES, MAX_MESSAGE_BYTES, RpcError, toStatus } from './status.js';

/** Any server call: all have `cancelled`, a 'cancelled' event and a deadline. */
export type AnyCall = { cancelled: boolean; getDeadline(): grpc.Deadline; getPath(): string } & NodeJS.EventEmitter;

/** What a request deserialiser gives for bytes that are not a message of its type; the handlers answer it. */
export class MalformedRequest {
  constructor(readonly details: string) {}
}

/** What a request deserialiser gives when it failed by a bug of its own: answered INTERNAL, logged with an id. */
export class DecoderBug {
  constructor(readonly error: unknown) {}
}

/** Throws INVALID_ARGUMENT (MALFORMED_REQUEST) for a request that did not parse, the bug for a decoder that failed. */
function parsed<T>(request: T): T {
  if (request instanceof MalformedRequest) throw invalid(request.details, { reason: 'MALFORMED_REQUEST', fieldViolations: [] });
  if (request instanceof DecoderBug) throw request.error;
  return request;
}

/** A unary handler from an async function of the request and its call. */
export function unary<Req, Res>(log: Logger, handle: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    // Called through an async wrapper, so a handler that throws before its first await is answered too.
    (async () => handle(parsed(call.request), call))().then(
      (response) => callback(null, response),
      (err: unknown) => callback(toStatus(err, call.getPath(), log)),
    );
  };
}

/** A client-streaming handler: `handle` reads with messages() and resolves with the response. */
export function clientStream<Req, Res>(log: Logger, handle: (call: grpc.ServerReadableStream<Req, Res>) => Promise<Res>): grpc.handleClientStreamingCall<Req, Res> {
  return (call, callback) => {
    (async () => handle(call))().then(
      (response) => callback(null, response),
      (err: unknown) => callback(toStatus(err, call.getPath(), log)),
    );
  };
}

/** A server-streaming handler: `handle` writes with send(); its result ends the stream OK, its error with a status. */
export function serverStream<Req, Res>(log: Logger, handle: (request: Req, call: grpc.ServerWritableStream<Req, Res>) => Promise<void>): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    (async () => handle(parsed(call.request), call))().then(
      () => {
        if (!call.cancelled) call.end();
      },
      (err: unknown) => {
        if (!call.cancelled) call.emit('error', toStatus(err, call.getPath(), log));
      },
    );
  };
}

/** A bidi-streaming handler: `handle` reads with messages() and writes with send(); ends as serverStream's. */
export function bidiStream<Req, Res>(log: Logger, handle: (call: grpc.ServerDuplexStream<Req, Res>) => Promise<void>): grpc.handleBidiStreamingCall<Req, Res> {
  return (call) => {
    (async () => handle(call))().then(
      () => {
        if (!call.cancelled) call.end();
      },
      (err: unknown) => {
        if (!call.cancelled) call.emit('error', toStatus(err, call.getPath(), log));
      },
    );
  };
}

/**
 * `service` (decoded by protobufjs) with every request deserialiser returning a MalformedRequest instead
 * of throwing, for bytes that are not a message of the request type (truncated, a wrong wire type): the
 * handlers above answer it INVALID_ARGUMENT. (inline-codec.ts's deserialisers return one themselves.)
 */
export function parsingRequests(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  return Object.fromEntries(
    Object.entries(service).map(([name, method]) => {
      const m = method as grpc.MethodDefinition<unknown, unknown> & { requestType?: { type?: { name?: string } } };
      const what = `malformed ${m.requestType?.type?.name ?? `${name} request`}`;
      const requestDeserialize = (bytes: Buffer) => {
        try {
          return m.requestDeserialize(bytes);
        } catch (err) {
          return new MalformedRequest(`${what}: ${err instanceof Error ? err.message : String(err)}`);
        }
      };
      return [name, { ...m, requestDeserialize }];
    }),
  ) as grpc.ServiceDefinition;
}

/**
 * The last line for every status a handler or an interceptor sends, whoever built it: the message cut to
 * MAX_MESSAGE_BYTES, the details within MAX_ERROR_BYTES with it, and an ErrorInfo with the code's default
 * reason where the status came without details. Install it first (innermost). (grpc-js answers some
 * calls below the interceptors, without details: an unknown method, a message over the size limit, a
 * malformed grpc-timeout header.)
 */
export function statusGuard(): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        if (status.code === grpc.status.OK) return next(status);
        const message = clipBytes(status.details ?? '', MAX_MESSAGE_BYTES);
        const metadata = status.metadata?.clone() ?? new grpc.Metadata();
        const [bin] = metadata.get(STATUS_DETAILS_KEY);
        const decoded = Buffer.isBuffer(bin) ? decodeRpcStatus(bin) : undefined;
        const size = (Buffer.isBuffer(bin) ? bin.byteLength : 0) + Buffer.byteLength(message);
        if (!decoded || message !== status.details || decoded.message !== message || size > MAX_ERROR_BYTES) {
          const details = decoded?.details ?? { reason: defaultReason(status.code), domain: ERROR_DOMAIN, metadata: {}, fieldViolations: [] };
          metadata.set(STATUS_DETAILS_KEY, fittedDetails(status.code, message, details));
        }
        next({ ...status, details: message, metadata });
      },
    });
}

/** Why the call should stop now (CANCELLED or DEADLINE_EXCEEDED), or undefined while it may go on. */
export function stopReason(call: AnyCall): RpcError | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  if (Number.isFinite(ms) && Date.now() >= ms) return new RpcError(grpc.status.DEADLINE_EXCEEDED, 'deadline exceeded; the work done before it is kept');
  if (call.cancelled) return new RpcError(grpc.status.CANCELLED, 'cancelled by the client; the work done before it is kept');
  return undefined;
}

/** Throws the call's stop reason, if any. */
export function checkCall(call: AnyCall): void {
  const reason = stopReason(call);
  if (reason) throw reason;
}

/** Writes one message, waiting for the stream to drain when its buffer is full (or the call to end). */
export async function send<T>(call: grpc.ServerWritableStream<unknown, T> | grpc.ServerDuplexStream<unknown, T>, message: T): Promise<void> {
  if (call.cancelled) return;
  if (call.write(message)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
}

/**
 * The messages of a client stream, one at a time (the stream pauses while the consumer works). Ends when
 * the client half-closes; ends too when the call is cancelled (check `call.cancelled` afterwards).
 */
export async function* messages<T>(call: grpc.ServerReadableStream<T, unknown> | grpc.ServerDuplexStream<T, unknown>): AsyncGenerator<T, void, undefined> {
  const queue: T[] = [];
  let ended = false;
  let failed: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const onData = (m: T) => {
    queue.push(m);
    call.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (err: unknown) => {
    failed = err;
    ended = true;
    notify();
  };
  call.on('data', onData);
  call.on('end', onEnd);
  call.on('close', onEnd);
  call.on('cancelled', onEnd);
  call.on('error', onError);
  try {
    for (;;) {
      if (queue.length > 0) {
        const next = queue.shift()!;
        if (queue.length === 0 && !ended) call.resume();
        yield parsed(next);
        continue;
      }
      if (ended || call.cancelled) break;
      call.resume();
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (failed !== undefined && !call.cancelled) throw failed;
  } finally {
    call.off('data', onData);
    call.off('end', onEnd);
    call.off('close', onEnd);
    call.off('cancelled', onEnd);
    call.off('error', onError);
  }
}

/** google.protobuf.Timestamp of a date. */
export function timestamp(date: Date): { seconds: number; nanos: number } {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
}
