// The server side of bench:rpc, in its own process as in a deployment: starts fspd on loopback with the
// shared-memory directory it is given, reports its address over IPC, and answers 'reset' / 'stall'
// messages with its own event-loop delay (the number the issue's ≤ 50 ms target is about).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { loadConfig } from '../src/server/config.js';
import { startServer } from '../src/server/server.js';

const [sharedMemoryDir] = process.argv.slice(2);
const server = await startServer(
  // FSPD_* variables apply (e.g. FSPD_MAX_RECEIVING=0 to compare without the receive gate).
  { ...loadConfig({}, process.env), addresses: ['127.0.0.1:0'], metricsAddress: '127.0.0.1:0', maxMessageSize: 64 * 1024 ** 2, ...(sharedMemoryDir ? { sharedMemoryDir } : {}) },
  pino({ level: 'silent' }),
);
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
process.on('message', async (message: string) => {
  if (message === 'reset') delay.reset();
  else if (message === 'stall') process.send!({ stallMs: delay.max / 1e6 });
  else if (message === 'stop') {
    await server.shutdown(1000);
    process.disconnect();
  }
});
process.send!({ address: server.addresses[0] });
