// The machine-readable half of an error: a google.rpc.Status in the `grpc-status-details-bin` trailer
// (the gRPC convention that grpcio-status, Go's status.Details and others read), carrying
// google.rpc.ErrorInfo (reason, domain "fspd", metadata), google.rpc.BadRequest (field violations) and
// google.rpc.RetryInfo (retry delay). Encoded and decoded with protobufjs from the vendored
// proto/google/rpc files; the server encodes, src/client decodes.
import path from 'node:path';
import protobuf from 'protobufjs';
import { PROTO_DIR } from '../proto/index.js';

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const ERROR_DOMAIN = 'fspd';

const TYPE_URL = 'type.googleapis.com/google.rpc.';

export interface FieldViolation {
  /** A path into the request, e.g. `student[1].second.shape`. */
  field: string;
  description: string;
}

/** What the details of one status say. */
export interface StatusDetails {
  /** google.rpc.ErrorInfo.reason: an fspd.v1.ErrorReason name, e.g. `SESSION_BUSY`. */
  reason: string;
  /** google.rpc.ErrorInfo.domain: `fspd` for fspd's errors. */
  domain: string;
  /** google.rpc.ErrorInfo.metadata. */
  metadata: Record<string, string>;
  /** google.rpc.BadRequest.field_violations (empty when there is no BadRequest). */
  fieldViolations: FieldViolation[];
  /** google.rpc.RetryInfo.retry_delay in milliseconds, when the server says a retry can succeed. */
  retryDelayMs?: number;
}

/** A google.rpc.Status: the status code and message again, and the details. */
export interface RpcStatus {
  code: number;
  message: string;
  details: StatusDetails;
}

interface Types {
  Status: protobuf.Type;
  ErrorInfo: protobuf.Type;
  BadRequest: protobuf.Type;
  RetryInfo: protobuf.Type;
}

let types: Types | undefined;

/** The google.rpc messages, loaded once (google/protobuf/any and duration are protobufjs's built-ins). */
function load(): Types {
  if (types) return types;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : path.join(PROTO_DIR, target));
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
  const type = (name: string) => root.lookupType(`google.rpc.${name}`);
  types = { Status: type('Status'), ErrorInfo: type('ErrorInfo'), BadRequest: type('BadRequest'), RetryInfo: type('RetryInfo') };
  return types;
}

const any = (type: protobuf.Type, value: object) => ({ type_url: TYPE_URL + type.name, value: type.encode(value).finish() });

/** The serialized google.rpc.Status: ErrorInfo always, BadRequest when there are violations, RetryInfo when there is a delay. */
export function encodeRpcStatus({ code, message, details }: RpcStatus): Buffer {
  const t = load();
  const parts = [any(t.ErrorInfo, { reason: details.reason, domain: details.domain, metadata: details.metadata })];
  if (details.fieldViolations.length > 0) parts.push(any(t.BadRequest, { field_violations: details.fieldViolations }));
  if (details.retryDelayMs !== undefined) {
    const ms = Math.max(0, Math.round(details.retryDelayMs));
    parts.push(any(t.RetryInfo, { retry_delay: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } }));
  }
  return Buffer.from(t.Status.encode({ code, message, details: parts }).finish());
}

interface DecodedStatus {
  code: number;
  message: string;
  details: Array<{ type_url: string; value: Uint8Array }>;
}

/**
 * The google.rpc.Status of a `grpc-status-details-bin` value; undefined when it does not parse. Detail
 * types other than the three are skipped; without an ErrorInfo, reason and domain are ''.
 */
export function decodeRpcStatus(bytes: Uint8Array): RpcStatus | undefined {
  const t = load();
  let status: DecodedStatus;
  try {
    status = t.Status.toObject(t.Status.decode(bytes), { defaults: true, longs: Number }) as DecodedStatus;
  } catch {
    return undefined;
  }
  const details: StatusDetails = { reason: '', domain: '', metadata: {}, fieldViolations: [] };
  for (const { type_url, value } of status.details) {
    const read = <T>(type: protobuf.Type) => type.toObject(type.decode(value), { defaults: true, longs: Number }) as T;
    try {
      if (type_url === TYPE_URL + 'ErrorInfo') {
        const info = read<{ reason: string; domain: string; metadata?: Record<string, string> }>(t.ErrorInfo);
        Object.assign(details, { reason: info.reason, domain: info.domain, metadata: { ...info.metadata } });
      } else if (type_url === TYPE_URL + 'BadRequest') {
        const bad = read<{ field_violations: Array<{ field: string; description: string }> }>(t.BadRequest);
        details.fieldViolations.push(...bad.field_violations.map(({ field, description }) => ({ field, description })));
      } else if (type_url === TYPE_URL + 'RetryInfo') {
        const retry = read<{ retry_delay?: { seconds: number; nanos: number } | null }>(t.RetryInfo);
        if (retry.retry_delay) details.retryDelayMs = retry.retry_delay.seconds * 1000 + retry.retry_delay.nanos / 1e6;
      }
    } catch {
      // A detail that does not parse is skipped; the others still count.
    }
  }
  return { code: status.code, message: status.message, details };
}
