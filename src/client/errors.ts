// The error a failed fspd call rejects with: still a grpc-js ServiceError (code, details, metadata), plus
// what the server's `grpc-status-details-bin` says (proto/fspd/v1/errors.proto): the reason, its
// metadata, the request fields at fault and the retry delay. Programs branch on these, not on the text.
import * as grpc from '@grpc/grpc-js';
import { decodeRpcStatus, STATUS_DETAILS_KEY, type FieldViolation } from '../server/status-details.js';

export type { FieldViolation } from '../server/status-details.js';

export class FspdError extends Error implements grpc.ServiceError {
  override readonly name = 'FspdError';
  /** The gRPC status code. */
  readonly code: grpc.status;
  /** The server's message. */
  readonly details: string;
  /** The trailers. */
  readonly metadata: grpc.Metadata;
  /** google.rpc.ErrorInfo.reason: an fspd.v1.ErrorReason name (SESSION_BUSY, LIMIT_EXCEEDED, ...); '' when the status had none. */
  readonly reason: string;
  /** google.rpc.ErrorInfo.domain: 'fspd' for the server's errors, '' for errors made on the client side. */
  readonly domain: string;
  /** google.rpc.ErrorInfo.metadata: e.g. resource and id (NOT_FOUND), limit and flag (LIMIT_EXCEEDED), error_id (INTERNAL). */
  readonly errorMetadata: Readonly<Record<string, string>>;
  /** google.rpc.BadRequest's field violations (INVALID_ARGUMENT). */
  readonly fieldViolations: readonly FieldViolation[];
  /** google.rpc.RetryInfo: how long to wait before the same call can succeed; undefined when it cannot. */
  readonly retryDelayMs: number | undefined;

  constructor(err: Pick<grpc.ServiceError, 'code' | 'details' | 'metadata'> & { message?: string }) {
    const status = decodeDetails(err.metadata);
    super(err.message ?? `${err.code} ${grpc.status[err.code]}: ${err.details}`);
    this.code = err.code;
    this.details = err.details;
    this.metadata = err.metadata;
    this.reason = status?.reason ?? '';
    this.domain = status?.domain ?? '';
    this.errorMetadata = status?.metadata ?? {};
    this.fieldViolations = status?.fieldViolations ?? [];
    this.retryDelayMs = status?.retryDelayMs;
  }

  /** The first request field at fault (e.g. `student[1].second.shape`), or undefined. */
  get field(): string | undefined {
    return this.fieldViolations[0]?.field;
  }
}

function decodeDetails(metadata: grpc.Metadata | undefined) {
  const [bin] = metadata?.get(STATUS_DETAILS_KEY) ?? [];
  return Buffer.isBuffer(bin) ? decodeRpcStatus(bin)?.details : undefined;
}

/** A call's error as an FspdError (a ServiceError is wrapped; others, e.g. a client-side Error, pass through). */
export function fspdError<T>(err: T): FspdError | T {
  if (err instanceof FspdError) return err;
  if (err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number' && (err as Partial<grpc.ServiceError>).metadata instanceof grpc.Metadata) {
    const e = new FspdError(err as unknown as grpc.ServiceError);
    e.stack = err.stack;
    return e;
  }
  return err;
}
