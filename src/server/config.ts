// The server's configuration: one typed object from flags > FSPD_* environment > defaults. Errors name
// where the bad value came from (`--max-message-size` or `FSPD_MAX_MESSAGE_SIZE`).
import type { Level } from 'pino';

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
  /** When set, every call but health checks needs `authorization: Bearer <token>`. */
  token?: string;
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
   * Bytes of tfjs tensors (models, optimiser state) plus teacher-FSP cache entries the server may hold;
   * a model or session that would go past it is refused with RESOURCE_EXHAUSTED.
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
}

/** The values as commander hands them over (all strings; address repeatable). */
export interface ConfigFlags {
  address?: string[];
  metricsAddress?: string;
  healthAddress?: string;
  healthStallLimit?: string;
  maxMessageSize?: string;
  token?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  logLevel?: string;
  shutdownGrace?: string;
  checkpointDir?: string;
  dataDir?: string;
  maxModels?: string;
  maxSessions?: string;
  maxMemory?: string;
  teacherCacheSize?: string;
  sharedMemoryDir?: string;
  logdir?: string;
}

export const DEFAULT_CONFIG: ServerConfig = {
  addresses: ['127.0.0.1:50051'],
  metricsAddress: '127.0.0.1:9464',
  healthStallLimitMs: 60_000,
  maxMessageSize: 64 * 1024 ** 2,
  logLevel: 'info',
  shutdownGraceMs: 20_000,
  dataDir: 'data',
  maxModels: 64,
  maxSessions: 16,
  maxMemory: 8 * 1024 ** 3,
  teacherCacheSize: 256 * 1024 ** 2,
};

const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
const UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A raw value and the name of the flag or variable it came from, for error messages. */
interface Source {
  value: string;
  from: string;
}

export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const pick = (flag: keyof ConfigFlags, option: string, variable: string): Source | undefined => {
    const f = flags[flag];
    if (typeof f === 'string') return { value: f, from: `--${option}` };
    const e = env[variable];
    return e === undefined || e === '' ? undefined : { value: e, from: variable };
  };

  const addresses = flags.address?.length
    ? flags.address.map((value) => ({ value, from: '--address' }))
    : env.FSPD_ADDRESS
      ? env.FSPD_ADDRESS.split(',').map((value) => ({ value: value.trim(), from: 'FSPD_ADDRESS' }))
      : undefined;
  const metrics = pick('metricsAddress', 'metrics-address', 'FSPD_METRICS_ADDRESS');
  const health = pick('healthAddress', 'health-address', 'FSPD_HEALTH_ADDRESS');
  const stallLimit = pick('healthStallLimit', 'health-stall-limit', 'FSPD_HEALTH_STALL_LIMIT');
  const size = pick('maxMessageSize', 'max-message-size', 'FSPD_MAX_MESSAGE_SIZE');
  const token = pick('token', 'token', 'FSPD_TOKEN');
  const cert = pick('tlsCert', 'tls-cert', 'FSPD_TLS_CERT');
  const key = pick('tlsKey', 'tls-key', 'FSPD_TLS_KEY');
  const ca = pick('tlsCa', 'tls-ca', 'FSPD_TLS_CA');
  const level = pick('logLevel', 'log-level', 'FSPD_LOG_LEVEL');
  const grace = pick('shutdownGrace', 'shutdown-grace', 'FSPD_SHUTDOWN_GRACE');
  const checkpointDir = pick('checkpointDir', 'checkpoint-dir', 'FSPD_CHECKPOINT_DIR');
  const dataDir = pick('dataDir', 'data-dir', 'FSPD_DATA_DIR');
  const maxModels = pick('maxModels', 'max-models', 'FSPD_MAX_MODELS');
  const maxSessions = pick('maxSessions', 'max-sessions', 'FSPD_MAX_SESSIONS');
  const maxMemory = pick('maxMemory', 'max-memory', 'FSPD_MAX_MEMORY');
  const cacheSize = pick('teacherCacheSize', 'teacher-cache-size', 'FSPD_TEACHER_CACHE_SIZE');
  const sharedMemoryDir = pick('sharedMemoryDir', 'shared-memory-dir', 'FSPD_SHARED_MEMORY_DIR');
  const logdir = pick('logdir', 'logdir', 'FSPD_LOGDIR');

  return {
    addresses: addresses ? addresses.map(parseAddress) : DEFAULT_CONFIG.addresses,
    metricsAddress: metrics ? parseHostPort(metrics) : DEFAULT_CONFIG.metricsAddress,
    ...(health ? { healthAddress: parseHostPort(health) } : {}),
    healthStallLimitMs: stallLimit ? parsePositiveSeconds(stallLimit) * 1000 : DEFAULT_CONFIG.healthStallLimitMs,
    maxMessageSize: size ? parseSize(size) : DEFAULT_CONFIG.maxMessageSize,
    ...(token ? { token: token.value } : {}),
    ...tlsOf(cert, key, ca),
    logLevel: level ? parseLevel(level) : DEFAULT_CONFIG.logLevel,
    shutdownGraceMs: grace ? parseSeconds(grace) * 1000 : DEFAULT_CONFIG.shutdownGraceMs,
    ...(checkpointDir ? { checkpointDir: checkpointDir.value } : {}),
    dataDir: dataDir ? dataDir.value : DEFAULT_CONFIG.dataDir,
    maxModels: maxModels ? parseCount(maxModels) : DEFAULT_CONFIG.maxModels,
    maxSessions: maxSessions ? parseCount(maxSessions) : DEFAULT_CONFIG.maxSessions,
    maxMemory: maxMemory ? parseBytes(maxMemory) : DEFAULT_CONFIG.maxMemory,
    teacherCacheSize: cacheSize ? parseBytes(cacheSize, 0) : DEFAULT_CONFIG.teacherCacheSize,
    ...(sharedMemoryDir ? { sharedMemoryDir: sharedMemoryDir.value } : {}),
    ...(logdir ? { logdir: logdir.value } : {}),
  };
}

/** The config as printed at start: the token masked. */
export function maskConfig(config: ServerConfig): Record<string, unknown> {
  return { ...config, ...(config.token ? { token: '***' } : {}) };
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

function parseSize(s: Source): number {
  const m = /^(\d+)\s*(B|KiB|MiB|GiB)?$/i.exec(s.value.trim());
  const bytes = m ? Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]! : NaN;
  // grpc-js takes a signed 32-bit limit.
  if (!Number.isSafeInteger(bytes) || bytes < 1 || bytes > 2 ** 31 - 1) {
    throw new RangeError(`${s.from}: expected a size in bytes from 1 to 2GiB-1, e.g. 67108864 or 64MiB, got '${s.value}'`);
  }
  return bytes;
}

/** A byte count with an optional unit, up to 2^53 (memory sizes, unlike the message limit, may pass 2 GiB). */
function parseBytes(s: Source, min = 1): number {
  const m = /^(\d+)\s*(B|KiB|MiB|GiB)?$/i.exec(s.value.trim());
  const bytes = m ? Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < min) throw new RangeError(`${s.from}: expected a size in bytes >= ${min}, e.g. 1073741824 or 1GiB, got '${s.value}'`);
  return bytes;
}

function parseCount(s: Source): number {
  const n = Number(s.value);
  if (!/^\s*\d+\s*$/.test(s.value) || !Number.isSafeInteger(n) || n < 1) throw new RangeError(`${s.from}: expected an integer >= 1, got '${s.value}'`);
  return n;
}

function parseLevel(s: Source): Level {
  const level = s.value.toLowerCase() as Level;
  if (!LEVELS.includes(level)) throw new RangeError(`${s.from}: expected one of ${LEVELS.join(', ')}, got '${s.value}'`);
  return level;
}

function parsePositiveSeconds(s: Source): number {
  const n = Number(s.value);
  if (s.value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new RangeError(`${s.from}: expected seconds > 0, got '${s.value}'`);
  return n;
}

function parseSeconds(s: Source): number {
  const n = Number(s.value);
  if (s.value.trim() === '' || !Number.isFinite(n) || n < 0) throw new RangeError(`${s.from}: expected seconds >= 0, got '${s.value}'`);
  return n;
}
