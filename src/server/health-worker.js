// The health-only gRPC listener (--health-address) on its own thread, so Kubernetes probes are answered
// while the main thread runs a training step (a tfjs step is synchronous and can take seconds). It reports
// the statuses the main thread posts, and NOT_SERVING while the main thread's heartbeat is overdue by
// more than stallLimitMs (a hung server fails its probes). Plain JavaScript: worker threads do not inherit
// the TypeScript loader. Messages: {type: 'status', status}, {type: 'beat'}, {type: 'stop', graceMs}.
import { parentPort, workerData } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

const { address, services, stallLimitMs } = workerData;
const health = new HealthImplementation();
let wanted = 'NOT_SERVING';
let lastBeat = Date.now();
let stalled = false;

function apply() {
  const status = stalled ? 'NOT_SERVING' : wanted;
  for (const service of ['', ...services]) health.setStatus(service, status);
}

function checkHeartbeat() {
  const overdue = Date.now() - lastBeat > stallLimitMs;
  if (overdue !== stalled) {
    stalled = overdue;
    apply();
    parentPort.postMessage({ type: 'stalled', stalled });
  }
}

apply();
const server = new grpc.Server();
health.addToServer(server);
const watchdog = setInterval(checkHeartbeat, Math.max(10, Math.min(1000, stallLimitMs / 4)));

parentPort.on('message', (message) => {
  if (message.type === 'beat') {
    lastBeat = Date.now();
    checkHeartbeat();
  } else if (message.type === 'status') {
    wanted = message.status;
    apply();
  } else if (message.type === 'stop') {
    clearInterval(watchdog);
    const force = setTimeout(() => server.forceShutdown(), message.graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      parentPort.close();
    });
  }
});

server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
  parentPort.postMessage(err ? { type: 'bound', error: err.message } : { type: 'bound', port });
});
