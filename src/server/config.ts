// The server's configuration: one typed object from flags > FSPD_* environment > defaults. Every option is
// one row of SERVER_OPTIONS (flag, variable, default, parser, help); the CLI options (src/cli/flags.ts),
// DEFAULT_CONFIG, `fspd serve --help` and the table in docs/DEPLOY.md are all made from it. Errors name
// where the bad value came from (`--max-message-size` or `FSPD_MAX_MESSAGE_SIZE`).
import type { Level } from 'pino';
import type { ModelControl } from './access.js';
import { HEARTBEAT_MS } from './health-port.js';
import { HTTP2_DEFAULT_WINDOW, HTTP2_MAX_WINDOW } from './http2-window.js';

export interface TlsConfig {
  /** PEM server certificate chain. */
  cert: string;
  /** PEM private key of cert. */
  key: string;
  /** PEM CA bundle; when set, clients must present a certificate it signed (mTLS). */
  ca?: string;
}

export interface ServerConfig {
  /** Where gRPC listens: `HOST:PORT` (port 0 = any free port) or `unix:/path`. */
  addresses: string[];
  /** `HOST:PORT` of the Prometheus /metrics HTTP endpoint. */
  metricsAddress: string;
  /**
   * `HOST:PORT` of an extra plaintext gRPC listener serving only grpc.health.v1 (no token, no TLS), for
   * Kubernetes gRPC probes, which can do neither, while the main addresses use TLS, a token or a unix socket.
   * Unset = none.
   */
  healthAddress?: string;
  /**
   * How long the main thread may go without a heartbeat (a synchronous training step, a hang) before the
   * health port says NOT_SERVING; it says SERVING again once the thread is back.
   */
  healthStallLimitMs: number;
  /** Largest request or response message in bytes; larger ones fail with RESOURCE_EXHAUSTED. */
  maxMessageSize: number;
  /** When set, every call but health checks needs `authorization: Bearer <token>`; this token has role admin. */
  token?: string;
  /**
   * A file of accepted tokens with their roles, one `<token> <role> [name]` per line (role compute, train
   * or admin; see access.ts); read at start. With --token, both are accepted.
   */
  tokenFile?: string;
  /** `none`: CreateModel, UploadModel, DeleteModel and ExportModel are refused (the models are those restored at start). */
  modelControl: ModelControl;
  /**
   * `caller`: TeacherFsp cache entries are per caller (token name, or mTLS subject), so one client's sample
   * ids never return another's matrices; `shared`: one namespace for all (clients that trust each other
   * and share sample ids get each other's hits).
   */
  teacherCacheNamespace: 'caller' | 'shared';
  /** Paths of the PEM files; unset = plaintext. */
  tls?: TlsConfig;
  logLevel: Level;
  /** On SIGTERM/SIGINT, how long in-flight calls may take before they are cancelled. */
  shutdownGraceMs: number;
  /**
   * Where models and sessions persist: every model's weights and every session's checkpoint are written
   * here at shutdown (and by SaveCheckpoint), and come back at the next start. Unset = a temporary
   * directory removed at shutdown: nothing survives a restart.
   */
  checkpointDir?: string;
  /** Root of the datasets Run and Evaluate may read (DatasetSpec.path is relative to it). */
  dataDir: string;
  /** Most models the registry holds; more is RESOURCE_EXHAUSTED. */
  maxModels: number;
  /** Most training sessions; more is RESOURCE_EXHAUSTED. */
  maxSessions: number;
  /**
   * Bytes the server may hold in reservations (memory-budget.ts): models, sessions, teacher-FSP caches,
   * uploads in progress, shared-memory regions and the estimated working memory of in-flight calls, plus
   * live tfjs tensors no reservation covers. What would go past it is refused with RESOURCE_EXHAUSTED.
   */
  maxMemory: number;
  /** Bytes of teacher FSP matrices each cache (one per session, one for TeacherFsp) keeps, LRU-evicted. */
  teacherCacheSize: number;
  /**
   * Directory whose files clients may register as shared-memory regions (SharedMemoryService), e.g. a
   * tmpfs such as /dev/shm/fspd or a memory-backed emptyDir shared with the trainer. Unset = off.
   */
  sharedMemoryDir?: string;
  /** Root of the sessions' TensorBoard event files (<logdir>/<session id>). Unset = none. */
  logdir?: string;
  /** Most FSP-matrix elements (student and teacher, all pairs) one ComputeFsp, FspLoss or TeacherFsp call may make. */
  maxOutputElements: number;
  /** Most samples in one batch of TrainStep, Train, Run, Evaluate or TeacherFsp. */
  maxBatch: number;
  /** Most bytes of weights of one model (CreateModel, UploadModel). */
  maxModelSize: number;
  /** Compute calls (ComputeFsp, FspLoss, TeacherFsp, TrainStep, Evaluate) running at once. */
  maxInflightKernels: number;
  /** Compute calls waiting for a slot; one more is RESOURCE_EXHAUSTED. */
  maxQueued: number;
  /** Compute requests read from the network at once (receive-gate.ts); 0 = no limit. */
  maxReceiving: number;
  /** HTTP/2 flow-control window per stream and per connection, bytes (http2-window.ts); 0 = HTTP/2's 64 KiB. */
  http2Window: number;
}

/** The values as commander hands them over: strings, keyed by each option's camelCase name. */
export type ConfigFlags = { [name: string]: string | string[] | undefined };

/** A raw value and the name of the flag or variable it came from, for error messages. */
export interface Source {
  value: string;
  from: string;
}

/** One option of `fspd serve`. */
export interface ServerOption {
  /** The flag without dashes; its camelCase form is the commander key. */
  flag: string;
  /** Value placeholder in the help, e.g. `<size>`. */
  arg: string;
  env: string;
  /** The ServerConfig field it sets; undefined for options combined afterwards (TLS). */
  key?: keyof ServerConfig;
  /** Parsed default; undefined = unset. */
  default?: unknown;
  /** The default as the help and docs show it. */
  defaultText?: string;
  parse: (s: Source) => unknown;
  help: string;
  /** Repeatable flag; its variable is comma-separated. */
  list?: boolean;
  /** Shown masked in the start-up log and by `fspd doctor`; an empty variable is an error, not unset. */
  secret?: boolean;
}

const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
const UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
const text = (s: Source) => s.value;
/** setTimeout fires at once past 2^31-1 ms (~24.8 days): a longer grace would cancel in-flight calls at once. */
const MAX_GRACE_S = Math.floor((2 ** 31 - 1) / 1000);
/** The main thread posts a heartbeat every HEARTBEAT_MS (250 ms): a stall limit near that flaps on an idle server. */
const MIN_STALL_LIMIT_MS = 4 * HEARTBEAT_MS;

export const SERVER_OPTIONS: readonly ServerOption[] = [
  { flag: 'address', arg: '<address>', env: 'FSPD_ADDRESS', key: 'addresses', default: ['127.0.0.1:50051'], defaultText: '127.0.0.1:50051', parse: parseAddress, list: true, help: 'HOST:PORT or unix:/path to listen on; repeatable' },
  { flag: 'metrics-address', arg: '<host:port>', env: 'FSPD_METRICS_ADDRESS', key: 'metricsAddress', default: '127.0.0.1:9464', parse: parseHostPort, help: 'Prometheus /metrics HTTP address' },
  {
    flag: 'health-address',
    arg: '<host:port>',
    env: 'FSPD_HEALTH_ADDRESS',
    key: 'healthAddress',
    defaultText: 'none',
    parse: parseHostPort,
    help: 'extra plaintext gRPC port with grpc.health.v1 only, no token or TLS, for Kubernetes gRPC probes; served on its own thread',
  },
  {
    flag: 'health-stall-limit',
    arg: '<seconds>',
    env: 'FSPD_HEALTH_STALL_LIMIT',
    key: 'healthStallLimitMs',
    default: 60_000,
    defaultText: '60',
    parse: parseStallLimit,
    help: 'the health port says NOT_SERVING while the main thread has been blocked longer than this; at least 1',
  },
  { flag: 'max-message-size', arg: '<size>', env: 'FSPD_MAX_MESSAGE_SIZE', key: 'maxMessageSize', default: 64 * 1024 ** 2, defaultText: '64MiB', parse: parseSize, help: 'largest message, bytes or KiB/MiB/GiB' },
  {
    flag: 'token',
    arg: '<token>',
    env: 'FSPD_TOKEN',
    key: 'token',
    parse: parseToken,
    secret: true,
    help: 'require `authorization: Bearer <token>` on every call but health checks; this token has role admin; prefer the variable, which keeps it out of `ps`',
  },
  {
    flag: 'token-file',
    arg: '<file>',
    env: 'FSPD_TOKEN_FILE',
    key: 'tokenFile',
    defaultText: 'none',
    parse: text,
    help: 'accepted tokens with roles, one `<token> <role> [name]` per line; roles compute (FspService, shared memory, reading models), train (+ sessions), admin (+ model management)',
  },
  {
    flag: 'model-control',
    arg: '<mode>',
    env: 'FSPD_MODEL_CONTROL',
    key: 'modelControl',
    default: 'explicit',
    parse: (s) => parseChoice(s, ['none', 'explicit'] as const),
    help: 'explicit: models are created, uploaded, deleted and exported over the API; none: those calls are refused',
  },
  {
    flag: 'teacher-cache-namespace',
    arg: '<mode>',
    env: 'FSPD_TEACHER_CACHE_NAMESPACE',
    key: 'teacherCacheNamespace',
    default: 'caller',
    parse: (s) => parseChoice(s, ['caller', 'shared'] as const),
    help: "caller: TeacherFsp's cache is per caller (token name, or mTLS subject); shared: one for all callers",
  },
  { flag: 'tls-cert', arg: '<file>', env: 'FSPD_TLS_CERT', parse: text, help: 'PEM server certificate chain' },
  { flag: 'tls-key', arg: '<file>', env: 'FSPD_TLS_KEY', parse: text, help: 'PEM private key' },
  { flag: 'tls-ca', arg: '<file>', env: 'FSPD_TLS_CA', parse: text, help: 'PEM CA bundle; clients must present a certificate it signed (mTLS)' },
  { flag: 'log-level', arg: '<level>', env: 'FSPD_LOG_LEVEL', key: 'logLevel', default: 'info', parse: parseLevel, help: `${LEVELS.slice(0, -1).join(', ')} or ${LEVELS.at(-1)}` },
  {
    flag: 'shutdown-grace',
    arg: '<seconds>',
    env: 'FSPD_SHUTDOWN_GRACE',
    key: 'shutdownGraceMs',
    default: 20_000,
    defaultText: '20',
    parse: parseGrace,
    help: `on SIGTERM/SIGINT, how long in-flight calls may finish; at most ${MAX_GRACE_S}`,
  },
  {
    flag: 'checkpoint-dir',
    arg: '<dir>',
    env: 'FSPD_CHECKPOINT_DIR',
    key: 'checkpointDir',
    defaultText: 'none: a temporary directory',
    parse: text,
    help: 'where models and sessions persist: saved at shutdown, restored at start',
  },
  { flag: 'data-dir', arg: '<dir>', env: 'FSPD_DATA_DIR', key: 'dataDir', default: 'data', parse: text, help: 'root of the datasets Run and Evaluate read; DatasetSpec.path is relative to it' },
  { flag: 'max-models', arg: '<n>', env: 'FSPD_MAX_MODELS', key: 'maxModels', default: 64, parse: parseCount, help: 'most models held' },
  { flag: 'max-sessions', arg: '<n>', env: 'FSPD_MAX_SESSIONS', key: 'maxSessions', default: 16, parse: parseCount, help: 'most training sessions' },
  {
    flag: 'max-memory',
    arg: '<size>',
    env: 'FSPD_MAX_MEMORY',
    key: 'maxMemory',
    default: 8 * 1024 ** 3,
    defaultText: '8GiB',
    parse: (s) => parseBytes(s),
    help: 'memory budget: models, sessions, teacher-FSP caches, uploads, shared-memory regions and in-flight calls (estimated from shapes) hold reservations against it; bytes or KiB/MiB/GiB',
  },
  {
    flag: 'teacher-cache-size',
    arg: '<size>',
    env: 'FSPD_TEACHER_CACHE_SIZE',
    key: 'teacherCacheSize',
    default: 256 * 1024 ** 2,
    defaultText: '256MiB',
    parse: (s) => parseBytes(s, 0),
    help: 'teacher FSP matrices kept per session and for TeacherFsp',
  },
  {
    flag: 'shared-memory-dir',
    arg: '<dir>',
    env: 'FSPD_SHARED_MEMORY_DIR',
    key: 'sharedMemoryDir',
    defaultText: 'off',
    parse: text,
    help: 'directory (a tmpfs, e.g. /dev/shm/fspd) whose files co-located clients may register as shared-memory tensor regions',
  },
  {
    flag: 'logdir',
    arg: '<dir>',
    env: 'FSPD_LOGDIR',
    key: 'logdir',
    defaultText: 'none',
    parse: text,
    help: 'TensorBoard event files of every session (SessionSpec.tensorboard) under <dir>/<session id>',
  },
  {
    flag: 'max-output-elements',
    arg: '<n>',
    env: 'FSPD_MAX_OUTPUT_ELEMENTS',
    key: 'maxOutputElements',
    default: 64 * 1024 ** 2,
    defaultText: '67108864',
    parse: parseCount,
    help: 'most FSP-matrix elements (batch × C1 × C2, student and teacher, all pairs) one ComputeFsp, FspLoss or TeacherFsp call may make',
  },
  { flag: 'max-batch', arg: '<n>', env: 'FSPD_MAX_BATCH', key: 'maxBatch', default: 1024, parse: parseCount, help: 'most samples in one batch of TrainStep, Train, Run, Evaluate or TeacherFsp' },
  {
    flag: 'max-model-size',
    arg: '<size>',
    env: 'FSPD_MAX_MODEL_SIZE',
    key: 'maxModelSize',
    default: 1024 ** 3,
    defaultText: '1GiB',
    parse: (s) => parseBytes(s),
    help: 'most bytes of weights of one model (CreateModel, UploadModel)',
  },
  {
    flag: 'max-inflight-kernels',
    arg: '<n>',
    env: 'FSPD_MAX_INFLIGHT_KERNELS',
    key: 'maxInflightKernels',
    default: 8,
    parse: parseCount,
    help: 'compute calls (ComputeFsp, FspLoss, TeacherFsp, TrainStep, Evaluate) running at once; more wait in a queue',
  },
  {
    flag: 'max-queued',
    arg: '<n>',
    env: 'FSPD_MAX_QUEUED',
    key: 'maxQueued',
    default: 256,
    parse: (s) => parseCount(s, 0),
    help: 'compute calls waiting for a slot; one more is refused with RESOURCE_EXHAUSTED',
  },
  {
    flag: 'max-receiving',
    arg: '<n>',
    env: 'FSPD_MAX_RECEIVING',
    key: 'maxReceiving',
    default: 1,
    parse: (s) => parseCount(s, 0),
    help: 'compute requests (ComputeFsp, FspLoss, TeacherFsp, TrainStep, Evaluate) read from the network at once; the others wait, their bytes held back by HTTP/2 flow control; a request still arriving after 250 ms stops counting; 0 = no limit',
  },
  {
    flag: 'http2-window',
    arg: '<bytes>',
    env: 'FSPD_HTTP2_WINDOW',
    key: 'http2Window',
    default: 1024 ** 2,
    parse: parseHttp2Window,
    help: "HTTP/2 flow-control window of each stream and of each connection: what a client may send before the server acknowledges it (a request waiting to be read leaves at most this much in the server); 0 = HTTP/2's 64 KiB",
  },
];

export const DEFAULT_CONFIG: ServerConfig = Object.fromEntries(
  SERVER_OPTIONS.filter((o) => o.key !== undefined && o.default !== undefined).map((o) => [o.key, o.default]),
) as unknown as ServerConfig;

/** The camelCase key commander gives a flag's value. */
export const flagKey = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** An option's help line with its variable and default, as `--help` and the docs show it. */
export function optionHelp(o: ServerOption): string {
  const shown = o.defaultText ?? (o.default === undefined ? undefined : String(o.default));
  return `${o.help} (${o.env}${o.list ? ', comma-separated' : ''}${shown === undefined ? '' : `; default ${shown}`})`;
}

/** The options as a Markdown table (docs/DEPLOY.md holds a copy; test/server-config.test.ts compares). */
export function optionsMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = SERVER_OPTIONS.map((o) => `| \`--${o.flag} ${o.arg}\` | \`${o.env}\` | ${cell(o.defaultText ?? (o.default === undefined ? '' : String(o.default)))} | ${cell(o.help)} |`);
  return ['| flag | variable | default | what |', '|---|---|---|---|', ...rows].join('\n');
}

export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const sources = (o: ServerOption): Source[] | undefined => {
    const f = flags[flagKey(o.flag)];
    const values = f === undefined ? [] : [f].flat();
    if (values.length > 0) return values.map((value) => ({ value, from: `--${o.flag}` }));
    const e = env[o.env];
    // An empty variable is unset, but not a secret's: FSPD_TOKEN='' must not quietly turn authentication off.
    if (e === undefined || (e === '' && !o.secret)) return undefined;
    return (o.list ? e.split(',').map((v) => v.trim()) : [e]).map((value) => ({ value, from: o.env }));
  };
  const config: Record<string, unknown> = {};
  const raw = new Map<string, Source>();
  for (const o of SERVER_OPTIONS) {
    const given = sources(o);
    if (!o.key) {
      if (given) raw.set(o.flag, given[0]!);
      continue;
    }
    const value = given ? (o.list ? given.map((g) => o.parse(g)) : o.parse(given[0]!)) : o.default;
    if (value !== undefined) config[o.key] = value;
  }
  return { ...(config as unknown as ServerConfig), ...tlsOf(raw.get('tls-cert'), raw.get('tls-key'), raw.get('tls-ca')) };
}

/** The config as printed at start: secrets masked. */
export function maskConfig(config: ServerConfig): Record<string, unknown> {
  const masked: Record<string, unknown> = { ...config };
  for (const o of SERVER_OPTIONS) if (o.secret && o.key && masked[o.key] !== undefined) masked[o.key] = '***';
  return masked;
}

/** The FSPD_* variables as `fspd doctor` prints them: secrets' values masked. */
export function maskEnv(env: Record<string, string>): Record<string, string> {
  const secrets = new Set(SERVER_OPTIONS.filter((o) => o.secret).map((o) => o.env));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, secrets.has(k) && v !== '' ? '***' : v]));
}

function tlsOf(cert?: Source, key?: Source, ca?: Source): { tls?: TlsConfig } {
  if (!cert && !key && !ca) return {};
  if (!cert || !key) {
    const given = [cert, key, ca].filter((s): s is Source => s !== undefined).map((s) => s.from);
    throw new RangeError(`${given.join(', ')}: TLS needs both a certificate (--tls-cert) and its key (--tls-key)`);
  }
  return { tls: { cert: cert.value, key: key.value, ...(ca ? { ca: ca.value } : {}) } };
}

function parseAddress(s: Source): string {
  if (s.value.startsWith('unix:') ? s.value.length > 'unix:'.length : isHostPort(s.value)) return s.value;
  throw new RangeError(`${s.from}: expected HOST:PORT (port 0..65535) or unix:/path, got '${s.value}'`);
}

function parseHostPort(s: Source): string {
  if (isHostPort(s.value)) return s.value;
  throw new RangeError(`${s.from}: expected HOST:PORT (port 0..65535), got '${s.value}'`);
}

function isHostPort(value: string): boolean {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(value);
  return m !== null && Number(m[2]) <= 65535;
}

/** The message size limit: grpc-js takes a signed 32-bit one. */
function parseSize(s: Source): number {
  return parseBytes(s, 1, 2 ** 31 - 1, 'from 1 to 2GiB-1, e.g. 67108864 or 64MiB');
}

/** A byte count with an optional unit (B, KiB, MiB, GiB) in [min, max]; memory sizes may pass 2 GiB, up to 2^53. */
function parseBytes(s: Source, min = 1, max = Number.MAX_SAFE_INTEGER, expected = `>= ${min}, e.g. 1073741824 or 1GiB`): number {
  const m = /^(\d+)\s*(B|KiB|MiB|GiB)?$/i.exec(s.value.trim());
  const bytes = m ? Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) throw new RangeError(`${s.from}: expected a size in bytes ${expected}, got '${s.value}'`);
  return bytes;
}

function parseHttp2Window(s: Source): number {
  const bytes = parseBytes(s, 0, HTTP2_MAX_WINDOW, 'of 0 or from 64KiB-1 (65535) to 2GiB-1, e.g. 1MiB');
  if (bytes !== 0 && bytes < HTTP2_DEFAULT_WINDOW) throw new RangeError(`${s.from}: expected 0 or a window of at least 65535 bytes (HTTP/2's default), got '${s.value}'`);
  return bytes;
}

function parseCount(s: Source, min = 1): number {
  const n = Number(s.value);
  if (!/^\s*\d+\s*$/.test(s.value) || !Number.isSafeInteger(n) || n < min) throw new RangeError(`${s.from}: expected an integer >= ${min}, got '${s.value}'`);
  return n;
}

function parseChoice<T extends string>(s: Source, choices: readonly T[]): T {
  const value = s.value.trim().toLowerCase() as T;
  if (!choices.includes(value)) throw new RangeError(`${s.from}: expected ${choices.join(' or ')}, got '${s.value}'`);
  return value;
}

function parseLevel(s: Source): Level {
  const level = s.value.toLowerCase() as Level;
  if (!LEVELS.includes(level)) throw new RangeError(`${s.from}: expected one of ${LEVELS.join(', ')}, got '${s.value}'`);
  return level;
}

/** An empty token would turn authentication off while the start-up log still shows a (masked) token. */
function parseToken(s: Source): string {
  if (s.value.trim() === '') throw new RangeError(`${s.from}: the token is empty; give a token, or leave both --token and FSPD_TOKEN unset to run without authentication`);
  return s.value;
}

function parseStallLimit(s: Source): number {
  const ms = Number(s.value) * 1000;
  if (s.value.trim() === '' || !Number.isFinite(ms) || ms < MIN_STALL_LIMIT_MS) {
    throw new RangeError(
      `${s.from}: expected seconds >= ${MIN_STALL_LIMIT_MS / 1000} (the main thread's heartbeat comes every ${HEARTBEAT_MS} ms; a shorter limit flaps between SERVING and NOT_SERVING), got '${s.value}'`,
    );
  }
  return ms;
}

function parseGrace(s: Source): number {
  const n = parseSeconds(s);
  if (n > MAX_GRACE_S) throw new RangeError(`${s.from}: expected seconds <= ${MAX_GRACE_S} (about 24.8 days, the longest timer), got '${s.value}'`);
  return n * 1000;
}

function parseSeconds(s: Source): number {
  const n = Number(s.value);
  if (s.value.trim() === '' || !Number.isFinite(n) || n < 0) throw new RangeError(`${s.from}: expected seconds >= 0, got '${s.value}'`);
  return n;
}
