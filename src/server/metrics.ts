// Prometheus metrics on their own HTTP port: RPC counts and latencies by method and status code (the
// go-grpc-prometheus names, so existing dashboards fit), the kernel variant, and prom-client's process
// metrics, which include event-loop lag. One registry per server, so in-process servers don't collide.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import client from 'prom-client';
import type { NativeInfo } from '../native/index.js';

export interface Metrics {
  registry: client.Registry;
  /** Counts and times every call, including those refused by interceptors inside it. */
  interceptor: grpc.ServerInterceptor;
  setNative(info: NativeInfo): void;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const labelNames = ['grpc_service', 'grpc_method', 'grpc_code'] as const;
  const handled = new client.Counter({ name: 'grpc_server_handled_total', help: 'RPCs completed, by method and status code', labelNames, registers: [registry] });
  const seconds = new client.Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'RPC latency from the call starting to its status, by method and status code',
    labelNames,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const native = new client.Gauge({
    name: 'fspd_native_info',
    help: 'The FSP kernels in use (value 1): variant cpu, cuda or ts (pure TypeScript), device and SIMD level',
    labelNames: ['variant', 'device', 'simd'],
    registers: [registry],
  });

  const interceptor: grpc.ServerInterceptor = (method, call) => {
    const [service = '', name = ''] = method.path.slice(1).split('/');
    const stop = seconds.startTimer({ grpc_service: service, grpc_method: name });
    let done = false;
    const record = (code: grpc.status) => {
      if (done) return;
      done = true;
      const labels = { grpc_service: service, grpc_method: name, grpc_code: grpc.status[code] ?? String(code) };
      handled.inc(labels);
      stop(labels);
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => next({ onCancel: () => record(grpc.status.CANCELLED) }),
      sendStatus: (status, next) => {
        record(status.code);
        next(status);
      },
    });
  };

  return {
    registry,
    interceptor,
    setNative: (info) => native.set({ variant: info.variant, device: info.variant === 'cuda' ? 'cuda' : 'cpu', simd: info.simd }, 1),
  };
}

export interface MetricsServer {
  /** HOST:PORT actually bound (the real port when 0 was asked for). */
  address: string;
  close(): Promise<void>;
}

/** Serves GET /metrics on `address` (HOST:PORT). */
export async function serveMetrics(registry: client.Registry, address: string): Promise<MetricsServer> {
  const split = address.lastIndexOf(':');
  const host = address.slice(0, split).replace(/^\[(.*)\]$/, '$1');
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end('fspd: metrics are at GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: Error) => res.writeHead(500).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(address.slice(split + 1)), host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `${address.slice(0, split)}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
