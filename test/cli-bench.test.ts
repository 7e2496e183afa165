// `fspd bench`: every npm bench:* script is reachable under the same name and runs the same file, and an
// unknown name fails with the list of known ones (exit 2) before running anything.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { BENCHES } from '../src/cli/bench.js';

const scripts = (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('fspd bench', () => {
  it('names and runs the same files as the bench:* npm scripts', () => {
    const npmNames = Object.keys(scripts).filter((k) => k.startsWith('bench:')).map((k) => k.slice('bench:'.length)).sort();
    assert.deepEqual(Object.keys(BENCHES).sort(), npmNames, 'one subcommand per bench:* script');
    for (const [name, { command }] of Object.entries(BENCHES)) {
      assert.ok(scripts[`bench:${name}`]!.endsWith(command.at(-1)!), `bench:${name} (${scripts[`bench:${name}`]}) runs ${command.at(-1)}`);
      assert.ok(fs.existsSync(new URL(`../${command.at(-1)}`, import.meta.url)), `${command.at(-1)} exists`);
    }
  });

  it('an unknown benchmark exits 2 naming the known ones', () => {
    const r = spawnSync(process.execPath, ['bin/fspd.js', 'bench', 'nope'], { encoding: 'utf8', cwd: new URL('..', import.meta.url) });
    assert.equal(r.status, 2, `exit status (stderr: ${r.stderr})`);
    assert.match(r.stderr, /fspd bench: unknown benchmark 'nope'; expected one of fsp, rpc, train, clients/);
  });
});
