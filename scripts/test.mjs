#!/usr/bin/env node
// `npm test`: runs every suite (typecheck, native, ts, python, python-wheel, go; or the ones named:
// `node scripts/test.mjs python go`), all of them even when one fails, and ends with a summary of each:
// what ran with its pass/fail/skip counts, what was skipped with the reason and the command that
// installs what is missing. Exit 1 when any suite failed, or, under CI (CI set, not "false"), when any
// suite was skipped: .ci/run installs everything there.
import { SUITES } from './test-suites.mjs';

const ci = Boolean(process.env.CI) && process.env.CI !== 'false';
const names = process.argv.slice(2);
for (const name of names) {
  if (!(name in SUITES)) {
    console.error(`test: unknown suite '${name}' (${Object.keys(SUITES).join(', ')})`);
    process.exit(2);
  }
}

const results = [];
for (const name of names.length ? names : Object.keys(SUITES)) {
  console.log(`\n=== ${name} ===`);
  const started = performance.now();
  let result;
  try {
    result = await SUITES[name]();
  } catch (error) {
    result = { status: 'failed', detail: `runner error: ${error.stack ?? error}` };
  }
  if (result.status === 'skipped' && ci) result = { ...result, status: 'failed', reason: `${result.reason}; under CI every suite must run (.ci/run installs it)` };
  results.push({ name, seconds: (performance.now() - started) / 1000, ...result });
}

const width = Math.max(...results.map((r) => r.name.length));
const lines = ['', `=== summary${ci ? ' (CI: a skipped suite fails)' : ''} ===`];
for (const r of results) {
  const counts = r.counts ? `${r.counts.pass} passed, ${r.counts.fail} failed, ${r.counts.skip} skipped` : '';
  const about = [counts, r.detail, r.reason].filter(Boolean).join('; ');
  lines.push(`${r.name.padEnd(width)}  ${r.status.toUpperCase().padEnd(7)}  ${about} (${r.seconds.toFixed(0)} s)`);
  for (const note of r.notes ?? []) lines.push(`${' '.repeat(width + 11)}${note}`);
  if (r.install && r.status !== 'passed') lines.push(`${' '.repeat(width + 11)}install: ${r.install}`);
}
const failed = results.filter((r) => r.status === 'failed').map((r) => r.name);
const skipped = results.filter((r) => r.status === 'skipped').map((r) => r.name);
lines.push(failed.length ? `FAILED: ${failed.join(', ')}` : `OK${skipped.length ? ` (skipped: ${skipped.join(', ')})` : ''}`);
console.log(lines.join('\n'));
process.exit(failed.length ? 1 : 0);
