// The plaintext health-only port (--health-address), served by src/server/health-worker.js on a worker
// thread: probes are answered even while the main thread is busy with a synchronous training step. The
// main thread posts the serving status and a heartbeat; the worker says NOT_SERVING when the heartbeat is
// overdue by more than the stall limit.
import { Worker } from 'node:worker_threads';
import type { ServingStatus } from 'grpc-health-check';

export interface HealthPort {
  /** The address bound, with the real port where 0 was asked for. */
  address: string;
  setStatus(status: ServingStatus): void;
  /** Stops accepting probes, lets in-flight ones finish for up to `graceMs`, ends the thread. */
  stop(graceMs: number): Promise<void>;
}

/** How often the main thread tells the health thread it is alive (config.ts keeps the stall limit well above it). */
export const HEARTBEAT_MS = 250;

export interface HealthPortEvents {
  /** The main thread went past the stall limit (true) or came back (false). */
  onStall?: (stalled: boolean) => void;
  /** The thread failed after start (probes then fail: the port is gone). */
  onError?: (err: Error) => void;
}

export async function startHealthPort(address: string, services: string[], stallLimitMs: number, events: HealthPortEvents = {}): Promise<HealthPort> {
  const worker = new Worker(new URL('./health-worker.js', import.meta.url), { workerData: { address, services, stallLimitMs } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { error?: string; port?: number }) => (m.error ? reject(new Error(`cannot listen on ${address}: ${m.error}`)) : resolve(m.port!)));
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  worker.on('message', (m: { type: string; stalled?: boolean }) => m.type === 'stalled' && events.onStall?.(m.stalled!));
  worker.on('error', (err) => events.onError?.(err));
  const heartbeat = setInterval(() => worker.postMessage({ type: 'beat' }), HEARTBEAT_MS);
  heartbeat.unref();
  let stopped: Promise<void> | undefined;
  return {
    address: `${address.slice(0, address.lastIndexOf(':'))}:${port}`,
    setStatus: (status) => worker.postMessage({ type: 'status', status }),
    stop: (graceMs) =>
      (stopped ??= new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        worker.once('exit', () => resolve());
        worker.postMessage({ type: 'stop', graceMs });
      })),
  };
}
