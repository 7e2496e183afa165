// The health port runs on its own thread: while the main thread is blocked (as by a synchronous training
// step) probes on it are still answered promptly — unlike the main port's health service — and past the
// stall limit it says NOT_SERVING, then SERVING again once the thread is back. The probes run in child
// processes, so the blocked thread cannot delay them.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { FspdServer } from '../src/server/server.js';
import { startTestServer } from './helpers/server.js';

let server: FspdServer;

before(async () => {
  server = await startTestServer({ healthAddress: '127.0.0.1:0', healthStallLimitMs: 300 });
});

after(async () => {
  await server.shutdown();
});

/** A running probe (test/helpers/health-probe.ts) of `address`; `result` stops it. */
async function probe(address: string) {
  const child = fork(new URL('./helpers/health-probe.ts', import.meta.url).pathname, [address], { execArgv: ['--import', 'tsx'] });
  const next = () => new Promise<{ ready?: boolean; maxMs: number; statuses: string[] }>((resolve) => child.once('message', resolve as never));
  await next(); // ready: it has seen SERVING
  return {
    result: async () => {
      const r = next();
      child.send('stop');
      return r;
    },
  };
}

describe('health port thread', () => {
  it('answers within 500 ms while the main thread is blocked 1.5 s, says NOT_SERVING past the stall limit, SERVING after', async () => {
    const healthPort = await probe(server.healthAddress!);
    const mainPort = await probe(server.addresses[0]!);
    const until = Date.now() + 1500;
    while (Date.now() < until); // a synchronous step's worth of blocking
    await new Promise((r) => setTimeout(r, 700)); // heartbeats resume; the watchdog notices
    const side = await healthPort.result();
    const main = await mainPort.result();
    assert.ok(side.maxMs < 500, `health port: longest check ${side.maxMs.toFixed(0)} ms`);
    assert.ok(main.maxMs >= 1000, `main port (same thread as the block): longest check ${main.maxMs.toFixed(0)} ms`);
    assert.deepEqual(side.statuses, ['SERVING', 'NOT_SERVING', 'SERVING'], 'health port statuses in order');
    assert.deepEqual(main.statuses, ['SERVING'], 'the main port only ever answers SERVING (late)');
  });
});
