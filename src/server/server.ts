// The fspd gRPC server: FspService, ModelService, TrainingService and SharedMemoryService, grpc.health.v1 (a status per
// service) and reflection on every configured address, metrics on their own port, an optional plaintext
// health-only port for Kubernetes probes, and a graceful shutdown.
//
// Start: the tfjs backend and the FSP kernels are chosen, then the models and sessions saved in the
// checkpoint directory come back; until then health says NOT_SERVING and other calls get UNAVAILABLE.
// Shutdown: NOT_SERVING, Train and Run streams stop at their next step and calls that reach a session only
// now are refused (UNAVAILABLE), in-flight calls get the grace period, then every session is checkpointed and
// every model saved, and all tensors are freed; the health-only port closes last, so probes read NOT_SERVING
// rather than a refused connection meanwhile.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import * as tf from '@tensorflow/tfjs';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from 'pino';
import client from 'prom-client';
import { initBackend } from '../models/backend.js';
import { getKernels, nativeInfo } from '../native/index.js';
import { STAGE_NAMES, TeacherFspCache } from '../training/index.js';
import { AccessPolicy, loadTokens } from './access.js';
import type { ServerConfig, TlsConfig } from './config.js';
import { FSP_SERVICE, fspServiceHandlers } from './fsp-service.js';
import { withMessageCodec } from './inline-codec.js';
import { createMetrics, serveMetrics, type MetricsServer } from './metrics.js';
import { MODEL_SERVICE, modelServiceHandlers } from './model-service.js';
import { fspdGrpcObject, loadFspdDefinition, loadHealthDefinition } from '../proto/index.js';
import { Admission } from './admission.js';
import { KernelQueue } from './kernel-queue.js';
import { MemoryBudget } from './memory-budget.js';
import { ModelRegistry } from './registry.js';
import { SessionManager, type Session, type StepSummary } from './sessions.js';
import { DatasetStore } from './sessions-data.js';
import { SHARED_MEMORY_SERVICE, sharedMemoryServiceHandlers } from './shared-memory-service.js';
import { SharedMemoryRegions } from './shared-memory.js';
import { startHealthPort, type HealthPort } from './health-port.js';
import { TRAINING_SERVICE, trainingServiceHandlers } from './training-service.js';
import { removeStaleSocket, unixSocketPath } from './unix-socket.js';
import { parsingRequests, statusGuard } from './rpc.js';
import { ReceiveGate, receiveGateInterceptor } from './receive-gate.js';
import { applyHttp2Window, http2WindowOptions } from './http2-window.js';
import { RpcError, statusOf } from './status.js';

export const HEALTH_SERVICE = 'grpc.health.v1.Health';

export interface FspdServer {
  /** The gRPC addresses bound, with the real port where 0 was asked for. */
  addresses: string[];
  /** The /metrics HTTP address bound. */
  metricsAddress: string;
  /** The plaintext health-only gRPC address bound (config.healthAddress, with the real port), if any. */
  healthAddress?: string;
  /** Adds work for shutdown, run after in-flight calls have ended (sessions will checkpoint here). */
  onShutdown(hook: () => Promise<void>): void;
  /**
   * Health NOT_SERVING, stop accepting calls, let in-flight ones finish for up to `graceMs` (then cancel
   * them), run the shutdown hooks, close the metrics port. Calling it again returns the same promise.
   */
  shutdown(graceMs?: number): Promise<void>;
}

export async function startServer(config: ServerConfig, log: Logger): Promise<FspdServer> {
  // Tokens, roles and model control (access.ts); a bad --token-file fails the start here.
  const access = new AccessPolicy(loadTokens(config.token, config.tokenFile), config.modelControl, config.tls?.ca !== undefined);
  const metrics = createMetrics();
  let ready = false;
  const receiving = new ReceiveGate(config.maxReceiving);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': config.maxMessageSize,
    'grpc.max_send_message_length': config.maxMessageSize,
    // The first interceptor is innermost: the status guard sees every status sent, metrics also the
    // calls access control and warm-up refuse; the receive gate sees only the calls they let through.
    interceptors: [statusGuard(), metrics.interceptor, access.interceptor(), warmUpInterceptor(() => ready), receiveGateInterceptor(receiving)],
    ...http2WindowOptions(config.http2Window),
  });
  const http2WindowAfterBind = applyHttp2Window(server, config.http2Window);

  const services = [FSP_SERVICE, MODEL_SERVICE, TRAINING_SERVICE, SHARED_MEMORY_SERVICE];
  // Admission control (memory-budget.ts, kernel-queue.ts, limits.ts). TeacherFsp's cache is reserved at
  // its full size for the server's life: it fills as calls come.
  const memory = new MemoryBudget(config.maxMemory);
  const teacherCacheReservation = memory.reserve(config.teacherCacheSize, 'the TeacherFsp teacher-FSP cache (--teacher-cache-size)');
  const admission = new Admission(config, memory, new KernelQueue(config.maxInflightKernels, config.maxQueued));
  admissionMetrics(metrics.registry, admission, receiving);
  const regions = sharedMemoryRegions(config.sharedMemoryDir, memory);
  sharedMemoryMetrics(metrics.registry, regions);
  const health = new HealthImplementation();
  // Kubernetes gRPC probes send neither a token nor TLS: the health port has health only (same statuses),
  // on its own thread (health-port.ts), so a long training step does not fail the probes.
  let healthPort: HealthPort | undefined;
  const setHealth = (status: ServingStatus) => {
    ['', ...services].forEach((s) => health.setStatus(s, status));
    healthPort?.setStatus(status);
  };
  setHealth('NOT_SERVING');
  health.addToServer(server);
  const definition = loadFspdDefinition();
  new ReflectionService({ ...definition, ...loadHealthDefinition() }, { services: [...services, HEALTH_SERVICE] }).addToServer(server);

  // Models and sessions, persisted under the checkpoint directory (or a temporary one, removed at shutdown).
  const persistent = config.checkpointDir !== undefined;
  const stateDir = persistent ? path.resolve(config.checkpointDir!) : await fsp.mkdtemp(path.join(os.tmpdir(), 'fspd-state-'));
  const teacherCache = new TeacherFspCache({ maxBytes: config.teacherCacheSize });
  const training = trainingMetrics(metrics.registry);
  const registry = new ModelRegistry({ maxModels: config.maxModels, dir: path.join(stateDir, 'models'), memory, log });
  const manager = new SessionManager({
    registry,
    memory,
    maxSessions: config.maxSessions,
    cacheBytes: config.teacherCacheSize,
    dir: path.join(stateDir, 'sessions'),
    ...(config.logdir ? { logdir: path.resolve(config.logdir) } : {}),
    log,
    onStep: training.onStep,
  });
  training.watch(registry, manager);
  const grpcObject = fspdGrpcObject(definition).fspd.v1;
  // FspService's large tensors skip protobufjs's copies (inline-codec.ts).
  const teachers = {
    registry,
    cache: teacherCache,
    onLookup: training.onTeacherFsp,
    namespace: config.teacherCacheNamespace === 'shared' ? () => 'shared' : (call: Parameters<AccessPolicy['callerName']>[0]) => access.callerName(call),
  };
  server.addService(withMessageCodec(grpcObject.FspService.service, definition, FSP_SERVICE), fspServiceHandlers(log, admission, teachers, regions));
  // The others decode with protobufjs; a request that does not parse is INVALID_ARGUMENT (rpc.ts).
  server.addService(parsingRequests(grpcObject.ModelService.service), modelServiceHandlers(registry, admission, config.maxMessageSize, log));
  server.addService(parsingRequests(grpcObject.TrainingService.service), trainingServiceHandlers({ sessions: manager, registry, datasets: new DatasetStore(config.dataDir), admission, log }));
  server.addService(parsingRequests(grpcObject.SharedMemoryService.service), sharedMemoryServiceHandlers(regions, log));

  let metricsServer: MetricsServer | undefined;
  let addresses: string[];
  let healthAddress: string | undefined;
  try {
    const credentials = serverCredentials(config.tls);
    addresses = await Promise.all(config.addresses.map((a) => bind(server, a, credentials, log)));
    if (!http2WindowAfterBind())
      log.warn({ http2Window: config.http2Window }, "this grpc-js version's internals were not found: HTTP/2 windows stay at 64 KiB (--http2-window)");
    if (config.healthAddress !== undefined) {
      healthPort = await startHealthPort(config.healthAddress, services, config.healthStallLimitMs, {
        onStall: (stalled) =>
          log.warn({ stalled, limitMs: config.healthStallLimitMs }, stalled ? 'event loop blocked past the health stall limit: the health port says NOT_SERVING' : 'event loop free again'),
        onError: (err) => log.error({ err }, 'the health port thread failed; probes on it will fail'),
      });
      healthAddress = healthPort.address;
    }
    metricsServer = await serveMetrics(metrics.registry, config.metricsAddress);
    // Warm-up: choose (and load) the kernels and the tfjs backend now, so a bad FSPD_DEVICE or
    // FSPD_BACKEND fails the start, not the first call.
    getKernels();
    metrics.setNative(nativeInfo());
    await initBackend({ logger: (line) => log.info(line) });
    if (persistent) {
      await fsp.mkdir(stateDir, { recursive: true });
      const models = await registry.loadAll();
      const restored = await manager.start();
      log.info({ checkpointDir: stateDir, models, sessions: restored }, 'state restored');
    } else {
      log.info({ dir: stateDir }, 'no checkpoint directory (--checkpoint-dir): models and sessions will not survive a restart');
    }
  } catch (err) {
    server.forceShutdown();
    await healthPort?.stop(0);
    await metricsServer?.close();
    await manager.closeAll(false);
    registry.disposeAll();
    if (!persistent) await fsp.rm(stateDir, { recursive: true, force: true });
    throw err;
  }
  ready = true;
  setHealth('SERVING');
  log.info({ addresses, ...(healthAddress ? { health: healthAddress } : {}), metrics: metricsServer.address, kernels: nativeInfo().variant, backend: tf.getBackend() }, 'serving');

  const hooks: Array<() => Promise<void>> = [];
  let closing: Promise<void> | undefined;
  const shutdown = async (graceMs: number) => {
    setHealth('NOT_SERVING');
    log.info({ graceMs }, 'shutting down');
    manager.stopAll('the server is shutting down; the session is checkpointed at its last step and continues after a restart');
    await drain(server, graceMs, log);
    // Sessions first (their checkpoints hold their students' weights), then every model's current weights.
    await manager.closeAll(persistent);
    if (persistent) await registry.persistAll().catch((err: unknown) => log.error({ err }, 'cannot save the models'));
    registry.disposeAll();
    teacherCache.clear();
    teacherCacheReservation.release();
    regions.closeAll();
    if (!persistent) await fsp.rm(stateDir, { recursive: true, force: true }).catch(() => undefined);
    for (const hook of hooks) await hook().catch((err: unknown) => log.error({ err }, 'shutdown hook failed'));
    training.unwatch();
    // Probes' Check calls are short; a Watch would hold the port open, so it gets a second at most.
    await healthPort?.stop(Math.min(graceMs, 1000));
    await metricsServer.close();
    log.info('stopped');
  };
  return {
    addresses,
    metricsAddress: metricsServer.address,
    ...(healthAddress ? { healthAddress } : {}),
    onShutdown: (hook) => void hooks.push(hook),
    shutdown: (graceMs = config.shutdownGraceMs) => (closing ??= shutdown(graceMs)),
  };
}

/** Registered shared-memory regions and their bytes, read at each scrape. */
function sharedMemoryMetrics(registry: client.Registry, regions: SharedMemoryRegions): void {
  new client.Gauge({ name: 'fspd_shared_memory_regions', help: 'Registered shared-memory regions', registers: [registry], collect() { this.set(regions.list().length); } });
  new client.Gauge({
    name: 'fspd_shared_memory_bytes',
    help: 'Bytes of the registered shared-memory regions',
    registers: [registry],
    collect() {
      this.set(regions.list().reduce((sum, r) => sum + r.byteSize, 0));
    },
  });
}

/** The memory budget and the kernel queue as gauges, read at each scrape. */
function admissionMetrics(registry: client.Registry, admission: Admission, receiving: ReceiveGate): void {
  const budget = () => admission.memory.stats();
  new client.Gauge({ name: 'fspd_memory_budget_bytes', help: 'The memory budget (--max-memory)', registers: [registry], collect() { this.set(admission.memory.max); } });
  new client.Gauge({ name: 'fspd_memory_reserved_bytes', help: 'Bytes reserved against the memory budget: models, sessions, caches, regions, uploads, in-flight calls', registers: [registry], collect() { this.set(budget().reserved); } });
  new client.Gauge({ name: 'fspd_memory_untracked_bytes', help: 'Live tfjs tensor bytes beyond the tensor reservations (counted against the budget too)', registers: [registry], collect() { this.set(budget().untracked); } });
  new client.Gauge({ name: 'fspd_kernel_calls_running', help: 'Compute calls running (at most --max-inflight-kernels)', registers: [registry], collect() { this.set(admission.queue.stats().running); } });
  new client.Gauge({ name: 'fspd_kernel_calls_queued', help: 'Compute calls waiting for a slot (at most --max-queued)', registers: [registry], collect() { this.set(admission.queue.stats().queued); } });
  new client.Gauge({ name: 'fspd_requests_receiving', help: 'Compute requests being read from the network (at most --max-receiving)', registers: [registry], collect() { this.set(receiving.stats().receiving); } });
  new client.Gauge({ name: 'fspd_requests_waiting_to_receive', help: 'Compute requests not yet read, waiting for --max-receiving', registers: [registry], collect() { this.set(receiving.stats().waiting); } });
}

/** The regions of --shared-memory-dir, reserving against `memory`; a missing directory fails the start, naming the flag. */
function sharedMemoryRegions(dir: string | undefined, memory: MemoryBudget): SharedMemoryRegions {
  try {
    return new SharedMemoryRegions(dir, { memory });
  } catch (err) {
    // Only the directory's realpath can fail here.
    throw new Error(`--shared-memory-dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Refuses every call but health checks with UNAVAILABLE until `ready()` (during warm-up). */
function warmUpInterceptor(ready: () => boolean): grpc.ServerInterceptor {
  return (method, call) => {
    if (method.path.startsWith(`/${HEALTH_SERVICE}/`)) return new grpc.ServerInterceptingCall(call);
    const intercepted: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            if (ready()) nextMetadata(metadata);
            else intercepted.sendStatus(statusOf(new RpcError(grpc.status.UNAVAILABLE, 'the server is starting (restoring models and sessions); retry shortly', { reason: 'SERVER_STARTING' })));
          },
        }),
    });
    return intercepted;
  };
}

/** Training metrics: steps, losses, teacher-FSP cache lookups, live tensors, models and sessions. */
function trainingMetrics(registry: client.Registry) {
  const steps = new client.Counter({ name: 'fspd_train_steps_total', help: 'Training steps taken, by stage (fsp = stage 1, cross_entropy = stage 2)', labelNames: ['stage'], registers: [registry] });
  let source: { registry: ModelRegistry; sessions: SessionManager } | undefined;
  // The loss series of each session (per stage), dropped once the session is gone, so that deleted
  // sessions' ids do not pile up on /metrics. Weak: a deleted session is not kept alive until a scrape.
  const lossSeries = new Map<string, { session: WeakRef<Session>; stages: Set<string> }>();
  const dropLoss = (id: string) => {
    for (const stage of lossSeries.get(id)?.stages ?? []) loss.remove({ session: id, stage });
    lossSeries.delete(id);
  };
  const loss = new client.Gauge({
    name: 'fspd_train_loss',
    help: 'Loss of the latest step of each session',
    labelNames: ['session', 'stage'],
    registers: [registry],
    collect() {
      if (!source) return;
      const live = new Set(source.sessions.list());
      for (const [id, tracked] of lossSeries) {
        const session = tracked.session.deref();
        if (!session || !live.has(session)) dropLoss(id);
      }
    },
  });
  const lookups = new client.Counter({
    name: 'fspd_teacher_fsp_lookups_total',
    help: 'Teacher FSP matrices per sample: result hit (from the cache) or miss (teacher forward pass), by cache (session or teacher_fsp)',
    labelNames: ['cache', 'result'],
    registers: [registry],
  });
  // Registered on creation; their collect() runs on each scrape.
  new client.Gauge({ name: 'fspd_tfjs_tensors', help: 'Live tfjs tensors', registers: [registry], collect() { this.set(tf.memory().numTensors); } });
  new client.Gauge({ name: 'fspd_tfjs_bytes', help: 'Bytes held by live tfjs tensors', registers: [registry], collect() { this.set(tf.memory().numBytes); } });
  new client.Gauge({ name: 'fspd_models', help: 'Models in the registry', registers: [registry], collect() { this.set(source?.registry.size ?? 0); } });
  new client.Gauge({ name: 'fspd_sessions', help: 'Training sessions', registers: [registry], collect() { this.set(source?.sessions.size ?? 0); } });
  return {
    onStep: (session: Session, step: StepSummary) => {
      const stage = STAGE_NAMES[step.stage].metric;
      steps.inc({ stage });
      // A new session under a deleted one's id starts without the old one's series.
      let tracked = lossSeries.get(session.id);
      if (tracked?.session.deref() !== session) {
        dropLoss(session.id);
        tracked = { session: new WeakRef(session), stages: new Set() };
        lossSeries.set(session.id, tracked);
      }
      tracked.stages.add(stage);
      loss.set({ session: session.id, stage }, step.loss);
      if (step.stage === 'fsp' && session.cache) {
        lookups.inc({ cache: 'session', result: 'hit' }, step.cacheHits);
        lookups.inc({ cache: 'session', result: 'miss' }, step.batchSize - step.cacheHits);
      }
    },
    onTeacherFsp: (hits: number, misses: number) => {
      lookups.inc({ cache: 'teacher_fsp', result: 'hit' }, hits);
      lookups.inc({ cache: 'teacher_fsp', result: 'miss' }, misses);
    },
    watch: (r: ModelRegistry, s: SessionManager) => void (source = { registry: r, sessions: s }),
    unwatch: () => void (source = undefined),
  };
}

function serverCredentials(tls: TlsConfig | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const read = (file: string, what: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const ca = tls.ca === undefined ? null : read(tls.ca, 'CA');
  // With a CA, clients must present a certificate it signed (mTLS).
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: read(tls.cert, 'certificate'), private_key: read(tls.key, 'key') }], ca !== null);
}

async function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials, log: Logger): Promise<string> {
  const socket = unixSocketPath(address);
  if (socket !== undefined && (await removeStaleSocket(socket))) log.warn({ socket }, 'removed a unix socket no server answered on (left by a killed server)');
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (err, port) => {
      if (err) reject(new Error(`cannot listen on ${address}: ${err.message}`));
      else resolve(address.startsWith('unix:') ? address : `${address.slice(0, address.lastIndexOf(':'))}:${port}`);
    }),
  );
}

/** Stops accepting calls and resolves once in-flight calls have ended, cancelling them after `graceMs`. */
function drain(server: grpc.Server, graceMs: number, log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      log.warn({ graceMs }, 'grace period over; cancelling in-flight calls');
      server.forceShutdown();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
