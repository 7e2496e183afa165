#!/usr/bin/env node
// Builds and runs the C++ tests with plain CMake (no Node involved in the binaries), as a GPU
// machine without Node would: cmake -S native -B native/build && cmake --build && ctest.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const build = path.join(root, 'native', 'build');
const jobs = String(os.availableParallelism());

run('cmake', ['-S', 'native', '-B', build, '-DCMAKE_BUILD_TYPE=Release', '-DFSPD_BUILD_TESTS=ON']);
run('cmake', ['--build', build, '--parallel', jobs]);
run('ctest', ['--test-dir', build, '--output-on-failure']);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) {
    console.error(`native tests: could not run ${cmd}: ${r.error.message} (install CMake and a C++17 compiler)`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}
