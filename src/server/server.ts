// The fspd gRPC server: FspService, grpc.health.v1 (a status per service) and reflection on every
// configured address, metrics on their own port, and a graceful shutdown.
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from 'pino';
import { getKernels, nativeInfo } from '../native/index.js';
import { authInterceptor } from './auth.js';
import type { ServerConfig, TlsConfig } from './config.js';
import { FSP_SERVICE, fspServiceHandlers } from './fsp-service.js';
import { createMetrics, serveMetrics, type MetricsServer } from './metrics.js';
import { fspdGrpcObject, loadFspdDefinition, loadHealthDefinition } from './proto.js';

export const HEALTH_SERVICE = 'grpc.health.v1.Health';

export interface FspdServer {
  /** The gRPC addresses bound, with the real port where 0 was asked for. */
  addresses: string[];
  /** The /metrics HTTP address bound. */
  metricsAddress: string;
  /** Adds work for shutdown, run after in-flight calls have ended (sessions will checkpoint here). */
  onShutdown(hook: () => Promise<void>): void;
  /**
   * Health NOT_SERVING, stop accepting calls, let in-flight ones finish for up to `graceMs` (then cancel
   * them), run the shutdown hooks, close the metrics port. Calling it again returns the same promise.
   */
  shutdown(graceMs?: number): Promise<void>;
}

export async function startServer(config: ServerConfig, log: Logger): Promise<FspdServer> {
  const metrics = createMetrics();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': config.maxMessageSize,
    'grpc.max_send_message_length': config.maxMessageSize,
    // The first interceptor is innermost: metrics also sees the calls auth refuses.
    interceptors: config.token ? [metrics.interceptor, authInterceptor(config.token)] : [metrics.interceptor],
  });

  const services = [FSP_SERVICE];
  const health = new HealthImplementation();
  const setHealth = (status: ServingStatus) => ['', ...services].forEach((s) => health.setStatus(s, status));
  setHealth('NOT_SERVING');
  health.addToServer(server);
  const definition = loadFspdDefinition();
  new ReflectionService({ ...definition, ...loadHealthDefinition() }, { services: [...services, HEALTH_SERVICE] }).addToServer(server);
  server.addService(fspdGrpcObject(definition).fspd.v1.FspService.service, fspServiceHandlers(log));

  let metricsServer: MetricsServer | undefined;
  let addresses: string[];
  try {
    const credentials = serverCredentials(config.tls);
    addresses = await Promise.all(config.addresses.map((a) => bind(server, a, credentials)));
    metricsServer = await serveMetrics(metrics.registry, config.metricsAddress);
    // Warm-up: choose (and load) the kernels now, so a bad FSPD_DEVICE fails the start, not the first call.
    getKernels();
    metrics.setNative(nativeInfo());
  } catch (err) {
    server.forceShutdown();
    await metricsServer?.close();
    throw err;
  }
  setHealth('SERVING');
  log.info({ addresses, metrics: metricsServer.address, kernels: nativeInfo().variant }, 'serving');

  const hooks: Array<() => Promise<void>> = [];
  let closing: Promise<void> | undefined;
  const shutdown = async (graceMs: number) => {
    setHealth('NOT_SERVING');
    log.info({ graceMs }, 'shutting down');
    await drain(server, graceMs, log);
    for (const hook of hooks) await hook().catch((err: unknown) => log.error({ err }, 'shutdown hook failed'));
    await metricsServer.close();
    log.info('stopped');
  };
  return {
    addresses,
    metricsAddress: metricsServer.address,
    onShutdown: (hook) => void hooks.push(hook),
    shutdown: (graceMs = config.shutdownGraceMs) => (closing ??= shutdown(graceMs)),
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

function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<string> {
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
