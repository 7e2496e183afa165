// A node:test reporter for scripts/test.mjs: writes one JSON line with the run's totals (the runner's own
// closing diagnostics: tests, pass, fail, skipped, …) and how many tests were skipped for each reason.
export default async function* totals(source) {
  const counts = {};
  const skipReasons = {};
  for await (const event of source) {
    if (event.type === 'test:diagnostic' && event.data.nesting === 0) {
      const m = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/.exec(event.data.message);
      if (m) counts[m[1]] = Number(m[2]);
    } else if (event.type === 'test:pass' && event.data.skip !== undefined) {
      const reason = typeof event.data.skip === 'string' ? event.data.skip : '(no reason given)';
      skipReasons[reason] = (skipReasons[reason] ?? 0) + 1;
    }
  }
  yield `${JSON.stringify({ counts, skipReasons })}\n`;
}
