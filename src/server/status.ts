// gRPC status errors for handlers: RpcError carries its code; anything else a handler throws is a bug
// and becomes INTERNAL (logged with its stack, answered without it).
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

export class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export const invalid = (message: string) => new RpcError(grpc.status.INVALID_ARGUMENT, message);

/**
 * Runs an argument check (src/native/validate.ts); its TypeError or RangeError becomes INVALID_ARGUMENT,
 * the message passed through `rename` to turn the checker's argument names into request field names.
 */
export function validate<T>(check: () => T, rename: (message: string) => string = (m) => m): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw invalid(rename(err.message));
    throw err;
  }
}

/** A unary handler from an async function of the request. */
export function unary<Req, Res>(log: Logger, handle: (request: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    // Called through an async wrapper, so a handler that throws before its first await is answered too.
    (async () => handle(call.request))().then(
      (response) => callback(null, response),
      (err: unknown) => callback(toStatus(log, call.getPath(), err)),
    );
  };
}

function toStatus(log: Logger, method: string, err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof RpcError) return { code: err.code, details: err.message };
  log.error({ err, method }, 'internal error');
  return { code: grpc.status.INTERNAL, details: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}
