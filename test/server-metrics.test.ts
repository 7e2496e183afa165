// /metrics per session: fspd_train_loss has a series per session and stage while the session lives, and
// none once DeleteSession removed it (deleted ids do not pile up), also when a new session takes its id.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FspdClient, toBatch, type Batch } from '../src/client/index.js';
import type { FspdServer } from '../src/server/server.js';
import { startTestServer } from './helpers/server.js';

const TINY = { depth: 8, inputShape: [8, 8, 1] };

function batchOf(n: number, seed: number): Batch {
  let s = seed;
  const data = Float32Array.from({ length: n * 64 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
  return toBatch({ data, shape: [n, 8, 8, 1] }, Array.from({ length: n }, (_, i) => i % 10));
}

describe('fspd_train_loss', () => {
  let server: FspdServer;
  let client: FspdClient;
  before(async () => {
    server = await startTestServer();
    client = new FspdClient({ address: server.addresses[0]!, deadlineMs: 60_000 });
    await client.createModel({ modelId: 'teacher', resnet: { ...TINY, seed: 1 } });
    await client.createModel({ modelId: 'student-a', resnet: { ...TINY, seed: 2 } });
    await client.createModel({ modelId: 'student-b', resnet: { ...TINY, seed: 3 } });
  });
  after(async () => {
    client?.close();
    await server?.shutdown();
  });

  /** The fspd_train_loss series on /metrics: `session/stage` → value. */
  async function lossSeries(): Promise<Record<string, number>> {
    const text = await (await fetch(`http://${server.metricsAddress}/metrics`)).text();
    const found: Record<string, number> = {};
    for (const m of text.matchAll(/^fspd_train_loss\{session="([^"]*)",stage="([^"]*)"\} (\S+)$/gm)) found[`${m[1]}/${m[2]}`] = Number(m[3]);
    return found;
  }

  const fspSchedule = { learningRates: [1e-3], untilSteps: [100] };
  const crossEntropySchedule = { learningRates: [0.1], untilSteps: [100] };

  it('lists a session while it lives and drops it after DeleteSession', async () => {
    await client.createSession({ sessionId: 'gone', spec: { studentModelId: 'student-a', teacherModelId: 'teacher', fspSchedule, crossEntropySchedule } });
    await client.createSession({ sessionId: 'kept', spec: { studentModelId: 'student-b', crossEntropySchedule } });
    const fsp = await client.trainStep('gone', batchOf(4, 1));
    await client.setStage('gone', 'STAGE_CROSS_ENTROPY');
    const ce = await client.trainStep('gone', batchOf(4, 2));
    const kept = await client.trainStep('kept', batchOf(4, 3));
    assert.deepEqual(Object.keys(await lossSeries()).sort(), ['gone/cross_entropy', 'gone/fsp', 'kept/cross_entropy'], 'one series per session and stage');
    assert.equal((await lossSeries())['gone/fsp'], fsp.loss, 'the stage-1 loss');
    assert.equal((await lossSeries())['gone/cross_entropy'], ce.loss, 'the stage-2 loss');

    await client.deleteSession('gone');
    assert.deepEqual(await lossSeries(), { 'kept/cross_entropy': kept.loss }, 'the deleted session has no series left');
  });

  it('a new session under a deleted id, with no scrape between, starts without the old series', async () => {
    await client.createSession({ sessionId: 'reused', spec: { studentModelId: 'student-a', teacherModelId: 'teacher', fspSchedule, crossEntropySchedule } });
    await client.trainStep('reused', batchOf(4, 5));
    await client.deleteSession('reused');
    await client.createSession({ sessionId: 'reused', spec: { studentModelId: 'student-a', crossEntropySchedule } });
    const again = await client.trainStep('reused', batchOf(4, 6));
    const series = await lossSeries();
    assert.equal(series['reused/fsp'], undefined, "the deleted session's stage-1 series is gone");
    assert.equal(series['reused/cross_entropy'], again.loss, "the new session's loss");
  });
});
