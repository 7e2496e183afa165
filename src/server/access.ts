// Access control, as a server interceptor in front of every service but health:
//   - who is calling: a bearer token (`authorization: Bearer <token>`) from --token (role admin) or the
//     --token-file table, else UNAUTHENTICATED (reason MISSING_TOKEN or INVALID_TOKEN); without tokens,
//     the mTLS client certificate's subject when client certificates are on, else one anonymous caller.
//     Every caller is admin when no token is set.
//   - what it may call: roles compute < train < admin (each may call what the roles below it may):
//       compute  FspService, SharedMemoryService, GetModel, ListModels, reflection
//       train    + TrainingService
//       admin    + CreateModel, UploadModel, DeleteModel, ExportModel
//     else PERMISSION_DENIED (ErrorInfo metadata required_role and role).
//   - --model-control none turns model management (CreateModel, UploadModel, DeleteModel, ExportModel) off
//     for everyone, admins included: FAILED_PRECONDITION, reason FEATURE_DISABLED. The models are then
//     those restored at start.
// Tokens are compared in constant time (both sides hashed first; every entry of the table compared), so
// neither the content nor the length of a token leaks through timing. The caller's name (never its token)
// namespaces the TeacherFsp cache (callerName).
import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { failedPrecondition, RpcError, statusOf } from './status.js';

export const ROLES = ['compute', 'train', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type ModelControl = 'none' | 'explicit';

/** What grpc-js tells about a call's connection (its AuthContext, not exported by name). */
type AuthContext = { sslPeerCertificate?: PeerCertificate };

/** One accepted token: its role and the name that stands for it in logs and cache namespaces. */
export interface TokenEntry {
  role: Role;
  name: string;
  digest: Buffer;
}

export interface Caller {
  /** `token:<name>`, `mtls:<subject>` or `anonymous`. */
  name: string;
  role: Role;
}

const HEALTH_PREFIX = '/grpc.health.v1.Health/';
const MODEL_MANAGEMENT = new Set(['CreateModel', 'UploadModel', 'DeleteModel', 'ExportModel'].map((m) => `/fspd.v1.ModelService/${m}`));

/** The least role that may call `path` (a full gRPC method path). */
export function requiredRole(path: string): Role {
  if (MODEL_MANAGEMENT.has(path)) return 'admin';
  if (path.startsWith('/fspd.v1.TrainingService/')) return 'train';
  if (path.startsWith('/fspd.v1.FspService/') || path.startsWith('/fspd.v1.SharedMemoryService/') || path.startsWith('/fspd.v1.ModelService/')) return 'compute';
  if (path.startsWith('/grpc.reflection.')) return 'compute';
  return 'admin';
}

const allows = (role: Role, needed: Role) => ROLES.indexOf(role) >= ROLES.indexOf(needed);

export class AccessPolicy {
  constructor(
    /** Accepted tokens (loadTokens); none = no authentication, every caller is admin. */
    private readonly tokens: TokenEntry[],
    readonly modelControl: ModelControl = 'explicit',
    /** With client certificates (mTLS), token-less callers are named by their certificate's subject. */
    private readonly clientCertificates = false,
  ) {}

  /** True when calls need a token. */
  get authenticates(): boolean {
    return this.tokens.length > 0;
  }

  /** The caller of a call with `metadata` over a connection with `auth`, or why it is refused (UNAUTHENTICATED). */
  identify(metadata: grpc.Metadata, auth: AuthContext | undefined): Caller | RpcError {
    if (!this.authenticates) return { name: this.clientCertificates ? (certificateName(auth) ?? 'anonymous') : 'anonymous', role: 'admin' };
    const [header] = metadata.get('authorization');
    if (typeof header !== 'string') return new RpcError(grpc.status.UNAUTHENTICATED, 'missing authorization metadata: send `authorization: Bearer <token>`', { reason: 'MISSING_TOKEN' });
    const invalidToken = new RpcError(grpc.status.UNAUTHENTICATED, 'invalid bearer token', { reason: 'INVALID_TOKEN' });
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m) return invalidToken;
    const presented = digest(m[1]!);
    let found: TokenEntry | undefined;
    // No early exit: the time does not depend on which entry matched.
    for (const entry of this.tokens) if (timingSafeEqual(entry.digest, presented) && !found) found = entry;
    return found ? { name: `token:${found.name}`, role: found.role } : invalidToken;
  }

  /** The caller's name (for a call the interceptor let through). */
  callerName(call: { metadata: grpc.Metadata; getAuthContext(): AuthContext }): string {
    const caller = this.identify(call.metadata, call.getAuthContext());
    return caller instanceof RpcError ? 'anonymous' : caller.name;
  }

  /** Why `caller` may not call `path` now (the status to answer), or undefined. */
  refusal(caller: Caller, path: string): RpcError | undefined {
    const needed = requiredRole(path);
    if (!allows(caller.role, needed)) {
      return new RpcError(grpc.status.PERMISSION_DENIED, `${path.slice(1)} needs role ${needed}; caller ${caller.name} has role ${caller.role}`, {
        reason: 'PERMISSION_DENIED',
        metadata: { required_role: needed, role: caller.role },
      });
    }
    if (this.modelControl === 'none' && MODEL_MANAGEMENT.has(path)) {
      return failedPrecondition(
        'FEATURE_DISABLED',
        `model management is off on this server (--model-control none): ${path.slice(path.lastIndexOf('/') + 1)} is refused; the models are those restored at start`,
        { metadata: { flag: '--model-control' } },
      );
    }
    return undefined;
  }

  interceptor(): grpc.ServerInterceptor {
    return (method, call) => {
      if (method.path.startsWith(HEALTH_PREFIX)) return new grpc.ServerInterceptingCall(call);
      const intercepted: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
        start: (next) =>
          next({
            onReceiveMetadata: (metadata, nextMetadata) => {
              const caller = this.identify(metadata, call.getAuthContext());
              const refused = caller instanceof RpcError ? caller : this.refusal(caller, method.path);
              if (refused) intercepted.sendStatus(statusOf(refused));
              else nextMetadata(metadata);
            },
          }),
      });
      return intercepted;
    };
  }
}

/** `--token` (admin) and the entries of `--token-file`, read and checked; errors name the flag and line. */
export function loadTokens(token: string | undefined, tokenFile: string | undefined): TokenEntry[] {
  // An empty token must not mean "no authentication" (loadConfig refuses one; this guards other callers).
  if (token !== undefined && token.trim() === '') throw new Error('--token (FSPD_TOKEN): the token is empty');
  const entries: TokenEntry[] = token !== undefined ? [{ role: 'admin', name: 'token', digest: digest(token) }] : [];
  if (tokenFile === undefined) return entries;
  let text: string;
  try {
    text = fs.readFileSync(tokenFile, 'utf8');
  } catch (err) {
    throw new Error(`--token-file ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const fromFile = parseTokenFile(text, `--token-file ${tokenFile}`);
  for (const e of fromFile) {
    if (entries.some((other) => other.digest.equals(e.digest))) throw new Error(`--token-file ${tokenFile}: token '${e.name}' is also --token (FSPD_TOKEN)`);
  }
  return [...entries, ...fromFile];
}

/**
 * A token file: one `<token> <role> [name]` per line (role compute, train or admin; name default
 * `<role>-<line>`), blank lines and `#` comments ignored. Tokens must be unique; names may repeat (two
 * tokens of one caller, e.g. while rotating, share its cache namespace).
 */
export function parseTokenFile(text: string, source: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const where = `${source}: line ${i + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length < 2 || fields.length > 3) throw new Error(`${where}: expected '<token> <role> [name]', got ${fields.length} field(s)`);
    const [token, role, name = `${role}-${i + 1}`] = fields as [string, string, string?];
    // The fields are not quoted: with the columns swapped, the token would be printed (logs, CI output).
    if (!(ROLES as readonly string[]).includes(role)) throw new Error(`${where}, column 2: expected a role (${ROLES.join(', ')}) after the token`);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new Error(`${where}, column 3: expected a name of 1..64 characters of [A-Za-z0-9._-]`);
    const entry = { role: role as Role, name, digest: digest(token) };
    if (entries.some((e) => e.digest.equals(entry.digest))) throw new Error(`${where}: the same token as an earlier line`);
    entries.push(entry);
  });
  if (entries.length === 0) throw new Error(`${source}: no tokens (lines '<token> <role> [name]')`);
  return entries;
}

/** `CN=…,O=…` of the client certificate, when the connection has one. */
function certificateName(auth: AuthContext | undefined): string | undefined {
  const subject = auth?.sslPeerCertificate?.subject;
  if (!subject || Object.keys(subject).length === 0) return undefined;
  return `mtls:${Object.entries(subject)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(',')}`;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
