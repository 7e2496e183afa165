// The `fspd` command line as a user meets it: exit code 2 on every usage error (commander's own included),
// 0 for help; an empty token refused before anything starts; `fspd doctor` never printing the token.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');
/** This process's environment without FSPD_* variables, so that the runs see only the ones a test gives. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FSPD_')));

/** Runs `fspd ARGS` with `env` added; a server that did start is killed after 30 s (exit code null: fails). */
function fspd(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/fspd.js', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL', env: { ...cleanEnv, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Flags that keep a `serve` that got past its config off the default ports. */
const LOOPBACK = ['--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'];

describe('usage errors exit 2', () => {
  for (const [what, args, message] of [
    ['health: an unknown option', ['health', '--bogus'], /unknown option '--bogus'/],
    ['health: an option without its value', ['health', '--address'], /option '--address <address>' argument missing/],
    ['serve: an unknown option', ['serve', '--bogus'], /unknown option '--bogus'/],
    ['serve: an option without its value', ['serve', '--token'], /option '--token <token>' argument missing/],
    ['an unknown command', ['bogus'], /unknown command 'bogus'/],
  ] as const) {
    it(what, () => {
      const r = fspd([...args]);
      assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
      assert.match(r.stderr, message);
    });
  }

  it('help still exits 0', () => {
    for (const args of [['--help'], ['health', '--help'], ['serve', '--help']]) {
      const r = fspd(args);
      assert.equal(r.code, 0, `fspd ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /^Usage: fspd/);
    }
  });
});

describe('fspd serve refuses an empty token', () => {
  it("--token '' even with FSPD_TOKEN set: exit 2 naming the flag", () => {
    const r = fspd(['serve', ...LOOPBACK, '--token', ''], { FSPD_TOKEN: 'the-real-secret' });
    assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
    assert.equal(r.stderr.trim(), 'fspd serve: --token: the token is empty; give a token, or leave both --token and FSPD_TOKEN unset to run without authentication');
  });

  it('FSPD_TOKEN set but empty: exit 2 naming the variable', () => {
    const r = fspd(['serve', ...LOOPBACK], { FSPD_TOKEN: '' });
    assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stderr, /^fspd serve: FSPD_TOKEN: the token is empty/);
  });

  it('a --shutdown-grace past the longest timer: exit 2 naming the flag and the maximum', () => {
    const r = fspd(['serve', ...LOOPBACK, '--shutdown-grace', '3000000']);
    assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stderr, /^fspd serve: --shutdown-grace: expected seconds <= 2147483/);
  });
});

describe('fspd doctor', () => {
  const SECRET = 'doctor-must-not-print-this';
  const env = { FSPD_TOKEN: SECRET, FSPD_LOG_LEVEL: 'debug', FSPD_BACKEND: 'cpu', FSPD_NATIVE: '0' };

  it('masks FSPD_TOKEN in the text report, shows the other variables', () => {
    const r = fspd(['doctor'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(SECRET), 'the token is not printed');
    assert.match(r.stdout, /^environment {2}.*FSPD_TOKEN=\*\*\*/m);
    assert.match(r.stdout, /^environment {2}.*FSPD_LOG_LEVEL=debug/m);
  });

  it('masks FSPD_TOKEN in --json', () => {
    const r = fspd(['doctor', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(SECRET), 'the token is not printed');
    const report = JSON.parse(r.stdout) as { env: Record<string, string> };
    assert.deepEqual(report.env, { FSPD_TOKEN: '***', FSPD_LOG_LEVEL: 'debug', FSPD_BACKEND: 'cpu', FSPD_NATIVE: '0' });
  });
});
