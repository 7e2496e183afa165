// One version number: package.json's, copied into the Python client, the Go client and the native core's
// CMake project (scripts/version.mjs writes them; `npm version` runs it). Read here independently of it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const version = JSON.parse(read('package.json')).version as string;

test('the Python client, the Go client and the native core carry package.json\'s version', () => {
  assert.match(version, /^\d+\.\d+\.\d+(-[\w.]+)?$/);
  assert.equal(/^__version__ = "(.*)"$/m.exec(read('clients/python/src/fspd/__init__.py'))?.[1], version, 'fspd.__version__');
  assert.match(read('clients/python/pyproject.toml'), /^version = \{ attr = "fspd.__version__" \}$/m, 'pyproject reads fspd.__version__');
  assert.doesNotMatch(read('clients/python/pyproject.toml'), /^version = "/m, 'pyproject has no version of its own');
  assert.equal(/^const Version = "(.*)"$/m.exec(read('clients/go/version.go'))?.[1], version, 'Go fspd.Version');
  assert.equal(/^project\(fspd VERSION (\S+) /m.exec(read('native/CMakeLists.txt'))?.[1], version, 'CMake project version');
});

test('npm version runs scripts/version.mjs, whose --check passes here', () => {
  const pkg = JSON.parse(read('package.json'));
  assert.match(pkg.scripts.version, /^node scripts\/version\.mjs && git add /);
  execFileSync(process.execPath, ['scripts/version.mjs', '--check'], { cwd: root, stdio: 'pipe' });
});
