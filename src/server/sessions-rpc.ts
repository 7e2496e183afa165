// RPC plumbing shared by ModelService and TrainingService: handlers that see their call (for
// cancellation and deadlines), errors mapped to status codes, stream writes that respect backpressure,
// a message reader for client streams that also ends on cancellation, and event-loop yields.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { StageError } from '../training/index.js';
import { RpcError } from './status.js';

/** Any server call: all have `cancelled`, a 'cancelled' event and a deadline. */
export type AnyCall = { cancelled: boolean; getDeadline(): grpc.Deadline; getPath(): string } & NodeJS.EventEmitter;

/**
 * The error as a status: RpcError keeps its code; StageError (an operation the session's stage does not
 * allow) is FAILED_PRECONDITION; anything else is a bug: INTERNAL, logged with its stack.
 */
export function statusOf(log: Logger, method: string, err: unknown): { code: grpc.status; details: string } {
  if (err instanceof RpcError) return { code: err.code, details: err.message };
  if (err instanceof StageError) return { code: grpc.status.FAILED_PRECONDITION, details: err.message };
  log.error({ err, method }, 'internal error');
  return { code: grpc.status.INTERNAL, details: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}

/** A unary handler from an async function of the request and its call. */
export function unaryCall<Req, Res>(log: Logger, handle: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    handle(call.request, call).then(
      (response) => callback(null, response),
      (err: unknown) => callback(statusOf(log, call.getPath(), err)),
    );
  };
}

/** A server-streaming handler: `handle` writes with send(); its result ends the stream OK, its error with a status. */
export function serverStream<Req, Res>(log: Logger, handle: (request: Req, call: grpc.ServerWritableStream<Req, Res>) => Promise<void>): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    handle(call.request, call).then(
      () => {
        if (!call.cancelled) call.end();
      },
      (err: unknown) => {
        if (!call.cancelled) call.emit('error', statusOf(log, call.getPath(), err));
      },
    );
  };
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

/** Lets pending I/O (health checks, other calls) run before the next slice of synchronous tfjs work. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

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
        yield next;
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
