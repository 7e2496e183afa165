// Errors of every fspd RPC. A client-caused error is an RpcError: its status code, a message naming the
// request field, and details (ErrorInfo reason and metadata, BadRequest field violations, RetryInfo).
// toStatus is the one mapping from anything a handler throws to the status a client receives (rpc.ts
// calls it for every kind of call): RpcError as it is, StageError as WRONG_STAGE, anything else is a bug —
// INTERNAL, logged with a generated id and its stack, answered "internal error (id …)" and nothing more,
// so no server path or internal message reaches a client.
//
// Sizes: values a client sent are echoed through quote() (a short prefix and the length); the message is
// cut to MAX_MESSAGE_BYTES and the message plus the encoded details to MAX_ERROR_BYTES here, whatever
// the caller built (rpc.ts's statusGuard applies the same limits to statuses made elsewhere).
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ErrorReason__Output } from '../generated/fspd/v1/ErrorReason.js';
import { StageError } from '../training/index.js';
import { encodeRpcStatus, ERROR_DOMAIN, STATUS_DETAILS_KEY, type FieldViolation, type StatusDetails } from './status-details.js';

export type { FieldViolation } from './status-details.js';

/** An fspd.v1.ErrorReason name (proto/fspd/v1/errors.proto). */
export type Reason = Exclude<ErrorReason__Output, 'ERROR_REASON_UNSPECIFIED'>;

/** The status message, in UTF-8 bytes. */
export const MAX_MESSAGE_BYTES = 1024;
/** The message plus the encoded google.rpc.Status (which repeats it): what one error may cost in trailers. */
export const MAX_ERROR_BYTES = 4096;
/** Characters of a client's value that an error message quotes before cutting it. */
const QUOTE_CHARS = 48;
const MAX_VIOLATION_BYTES = 512;
const MAX_METADATA_CHARS = 128;

/** The reason of a code when the thrower gives none. */
const DEFAULT_REASONS: Partial<Record<grpc.status, Reason>> = {
  [grpc.status.INVALID_ARGUMENT]: 'INVALID_FIELD',
  [grpc.status.OUT_OF_RANGE]: 'INVALID_FIELD',
  [grpc.status.NOT_FOUND]: 'NOT_FOUND',
  [grpc.status.ALREADY_EXISTS]: 'ALREADY_EXISTS',
  [grpc.status.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [grpc.status.RESOURCE_EXHAUSTED]: 'LIMIT_EXCEEDED',
  [grpc.status.UNAVAILABLE]: 'SHUTTING_DOWN',
  [grpc.status.UNAUTHENTICATED]: 'INVALID_TOKEN',
  [grpc.status.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [grpc.status.CANCELLED]: 'CANCELLED',
  [grpc.status.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
  [grpc.status.ABORTED]: 'DELETED',
  [grpc.status.UNIMPLEMENTED]: 'FEATURE_DISABLED',
  [grpc.status.DATA_LOSS]: 'CHECKPOINT_CORRUPT',
};

/** How long to wait before the same call can succeed, by reason (RetryInfo), unless the thrower says. */
const RETRY_DELAYS_MS: Partial<Record<Reason, number>> = { SERVER_STARTING: 1000, SHUTTING_DOWN: 5000, SESSION_BUSY: 1000 };

export interface ErrorDetails {
  /** Default: by code (INVALID_FIELD for INVALID_ARGUMENT, NOT_FOUND for NOT_FOUND, ...). */
  reason?: Reason;
  /** ErrorInfo.metadata; values are cut to 128 characters. */
  metadata?: Record<string, string>;
  /** Default for INVALID_ARGUMENT: the field path the message starts with ("student[1].shape: ..."). */
  fieldViolations?: FieldViolation[];
  /** RetryInfo; default by reason (SERVER_STARTING, SHUTTING_DOWN, SESSION_BUSY), none otherwise. */
  retryDelayMs?: number;
}

/** An error as the client gets it: its status code, a message for people and details for programs. */
export class RpcError extends Error {
  readonly reason: Reason;
  readonly metadata: Record<string, string>;
  readonly fieldViolations: FieldViolation[];
  readonly retryDelayMs: number | undefined;

  constructor(
    readonly code: grpc.status,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'RpcError';
    this.reason = details.reason ?? DEFAULT_REASONS[code] ?? 'FAILED_PRECONDITION';
    this.metadata = Object.fromEntries(Object.entries(details.metadata ?? {}).map(([k, v]) => [k, clipChars(v, MAX_METADATA_CHARS)]));
    const violations = details.fieldViolations ?? (code === grpc.status.INVALID_ARGUMENT ? violationsOf(message) : []);
    this.fieldViolations = violations.map((v) => ({ field: clipBytes(v.field, 256), description: clipBytes(v.description, MAX_VIOLATION_BYTES) }));
    this.retryDelayMs = details.retryDelayMs ?? RETRY_DELAYS_MS[this.reason];
  }

  /** The same error with `note` after its message in parentheses (e.g. which message of a stream). */
  withNote(note: string): RpcError {
    const { reason, metadata, fieldViolations, retryDelayMs } = this;
    return new RpcError(this.code, `${this.message} (${note})`, { reason, metadata, fieldViolations, ...(retryDelayMs === undefined ? {} : { retryDelayMs }) });
  }
}

// ---- the errors handlers throw ----

/** INVALID_ARGUMENT; the message starts with the field path ("student[1].second.shape: expected ..."). */
export const invalid = (message: string, details?: ErrorDetails) => new RpcError(grpc.status.INVALID_ARGUMENT, message, details);

/** NOT_FOUND of a `resource` (model, session, checkpoint, region, dataset) by its id. */
export const notFound = (resource: string, id: string, message: string) => new RpcError(grpc.status.NOT_FOUND, message, { metadata: { resource, id } });

/** ALREADY_EXISTS: the id of a `resource` is taken. */
export const alreadyExists = (resource: string, id: string, message: string) => new RpcError(grpc.status.ALREADY_EXISTS, message, { metadata: { resource, id } });

/** FAILED_PRECONDITION with a reason (SESSION_BUSY, WRONG_STAGE, IN_USE, FEATURE_DISABLED, ...). */
export const failedPrecondition = (reason: Reason, message: string, details?: Omit<ErrorDetails, 'reason'>) =>
  new RpcError(grpc.status.FAILED_PRECONDITION, message, { ...details, reason });

/** RESOURCE_EXHAUSTED naming the limit and the server flag that raises it ('' when no flag does). */
export const limitExceeded = (limit: string, flag: string, message: string, retryDelayMs?: number) =>
  new RpcError(grpc.status.RESOURCE_EXHAUSTED, message, { reason: 'LIMIT_EXCEEDED', metadata: flag ? { limit, flag } : { limit }, ...(retryDelayMs === undefined ? {} : { retryDelayMs }) });

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

// ---- echoing what the client sent ----

/**
 * A client's string for an error message: quoted whole when short, else its first characters and its
 * length ("'aaaa…' (102400 chars)"), so a 100 KiB id costs the error 60 bytes.
 */
export function quote(value: string, chars = QUOTE_CHARS): string {
  // Control characters shown escaped, so an id with newlines or NULs reads as one value.
  const shown = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (value.length <= chars) return `'${shown(value)}'`;
  return `'${shown(value.slice(0, chars))}…' (${value.length} chars)`;
}

/** A client's list (a shape, ids) for an error message: its first items and its length when long. */
export function list(values: ArrayLike<unknown>, items = 8): string {
  const shown = Array.from({ length: Math.min(values.length, items) }, (_, i) => String(values[i]));
  return values.length <= items ? `[${shown.join(', ')}]` : `[${shown.join(', ')}, …] (${values.length} items)`;
}

// ---- the one mapping ----

/** The RpcError a thrown value stands for, or undefined when it is a bug. */
function asRpcError(err: unknown): RpcError | undefined {
  if (err instanceof RpcError) return err;
  if (err instanceof StageError) return failedPrecondition('WRONG_STAGE', err.message);
  return undefined;
}

/** The status for anything a handler threw; bugs are logged here with the id their INTERNAL names. */
export function toStatus(err: unknown, method: string, log: Logger): grpc.StatusObject {
  const known = asRpcError(err);
  if (known) return statusOf(known);
  const errorId = randomBytes(6).toString('hex');
  log.error({ err, method, errorId }, 'internal error');
  return statusOf(new RpcError(grpc.status.INTERNAL, `internal error (id ${errorId})`, { reason: 'INTERNAL', metadata: { error_id: errorId } }));
}

/** The status of an RpcError: the message cut to size, the details in `grpc-status-details-bin`. */
export function statusOf(err: RpcError): grpc.StatusObject {
  const message = clipBytes(err.message, MAX_MESSAGE_BYTES);
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_DETAILS_KEY, fittedDetails(err.code, message, { reason: err.reason, domain: ERROR_DOMAIN, metadata: err.metadata, fieldViolations: err.fieldViolations, retryDelayMs: err.retryDelayMs }));
  return { code: err.code, details: message, metadata };
}

/** The encoded google.rpc.Status within MAX_ERROR_BYTES with the message: field violations go first, then metadata. */
export function fittedDetails(code: number, message: string, details: StatusDetails): Buffer {
  const budget = MAX_ERROR_BYTES - Buffer.byteLength(message);
  let d = details;
  let bytes = encodeRpcStatus({ code, message, details: d });
  while (bytes.byteLength > budget && d.fieldViolations.length > 0) {
    d = { ...d, fieldViolations: d.fieldViolations.slice(0, -1) };
    bytes = encodeRpcStatus({ code, message, details: d });
  }
  if (bytes.byteLength > budget) bytes = encodeRpcStatus({ code, message, details: { ...d, metadata: {} } });
  return bytes;
}

/** The default reason of a status code (for statuses that grpc-js or an interceptor made). */
export const defaultReason = (code: grpc.status): Reason => DEFAULT_REASONS[code] ?? (code === grpc.status.INTERNAL ? 'INTERNAL' : 'FAILED_PRECONDITION');

// The request field(s) an INVALID_ARGUMENT message starts with: "student[1].second.shape: ..." or
// "teacher, teacher_matrices: ...".
const FIELD_PREFIX = /^([a-z_][a-z0-9_]*(?:\[\d+\])*(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])*)*(?:, [a-z_][a-z0-9_]*(?:\[\d+\])*(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])*)*)*): /;

function violationsOf(message: string): FieldViolation[] {
  const m = FIELD_PREFIX.exec(message);
  if (!m) return [];
  const description = message.slice(m[0].length);
  return m[1]!.split(', ').map((field) => ({ field, description }));
}

// ---- cutting ----

/** `s` within `max` UTF-8 bytes: cut at a character boundary with its full size noted. */
export function clipBytes(s: string, max: number): string {
  const size = Buffer.byteLength(s);
  if (size <= max) return s;
  const suffix = `… (${size} bytes)`;
  let end = 0;
  let bytes = 0;
  const room = max - Buffer.byteLength(suffix);
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > room) break;
    bytes += n;
    end += ch.length;
  }
  return s.slice(0, end) + suffix;
}

function clipChars(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
