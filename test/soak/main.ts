// `npm run soak -- --minutes N [--warmup SECONDS] [--only fspLoss,train,...] [--json]`: the mixed-load soak of test/soak.test.ts, long. Prints
// progress every 30 s and the report; exits 1 when a call failed, RSS grew by 50 MiB or more, or the
// tensor count or the reserved bytes did not come back.
import { parseArgs } from 'node:util';
import { SOAK_ENV } from './env.js';

// Before the addon loads (see env.ts).
Object.assign(process.env, { ...SOAK_ENV, ...process.env });
const { formatSoak, soak } = await import('./load.js');

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, warmup: { type: 'string', default: '30' }, json: { type: 'boolean' }, only: { type: 'string' } } });
const minutes = Number(values.minutes);
const warmup = Number(values.warmup);
if (!(minutes > 0) || !(warmup >= 0)) {
  console.error(`soak: expected --minutes > 0 and --warmup >= 0 (seconds), got ${values.minutes}, ${values.warmup}`);
  process.exit(2);
}
const report = await soak({ durationMs: minutes * 60_000, warmupMs: warmup * 1000, log: (line) => console.log(line), ...(values.only ? { only: values.only.split(',') } : {}) });
console.log(values.json ? JSON.stringify(report, null, 2) : formatSoak(report));
const failed =
  Object.keys(report.errors).length > 0 || report.end.rssBytes - report.warm.rssBytes >= 50 * 1024 ** 2 || report.end.tensors !== report.warm.tensors || report.end.reservedBytes !== report.warm.reservedBytes;
process.exitCode = failed ? 1 : 0;
