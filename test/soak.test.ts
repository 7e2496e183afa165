// The mixed-load soak (test/soak/load.ts), short: a few seconds of warm-up, then about 15 s of FspLoss,
// ComputeFsp, TeacherFsp, TrainStep with checkpoints, uploads and shared-memory region churn at once. No
// call may fail, RSS may grow by less than 50 MiB, and the tfjs tensor count and the memory budget's
// reserved bytes must be exactly where they were after the warm-up. `npm run soak -- --minutes N` runs it long.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SOAK_ENV } from './soak/env.js';

// Set before the addon loads (load.js imports it): the native output pool may keep up to 256 MiB of idle
// outputs by design, which would read as RSS growth; the soak caps it (test/soak/env.ts).
Object.assign(process.env, { ...SOAK_ENV, ...process.env });
const { formatSoak, soak } = await import('./soak/load.js');

const RSS_GROWTH_LIMIT = 50 * 1024 ** 2;

it('mixed load: no errors, RSS growth < 50 MiB, flat tensor count and memory reservations', async () => {
  const report = await soak({ warmupMs: 5_000, durationMs: 15_000 });
  const text = formatSoak(report);
  assert.deepEqual(report.errors, {}, text);
  for (const kind of ['fspLoss', 'computeFsp', 'teacherFsp', 'train', 'upload', 'region']) assert.ok((report.calls[kind] ?? 0) > 0, `${kind} ran: ${text}`);
  assert.ok(report.end.rssBytes - report.warm.rssBytes < RSS_GROWTH_LIMIT, `RSS growth: ${text}`);
  assert.equal(report.end.tensors, report.warm.tensors, `tfjs tensors: ${text}`);
  assert.equal(report.end.reservedBytes, report.warm.reservedBytes, `reserved bytes: ${text}`);
});
