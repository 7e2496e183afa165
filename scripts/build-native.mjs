#!/usr/bin/env node
// Builds the native addon with cmake-js; `npm install` runs this. Without CMake or a C++ compiler the
// install still succeeds: fspd then serves its pure-TypeScript kernels and warns once at start.
//   --strict            fail (exit 1) when the build fails, for CI and `npm run build:native`
//   FSPD_SKIP_NATIVE=1  do not build
//   FSPD_CUDA=AUTO|ON|OFF  CUDA kernels (default AUTO: compiled when nvcc is found; they only run where
//                       a GPU is present, the addon falls back to the CPU kernels elsewhere)
//   FSPD_CUDA_ARCHS=90  CUDA architectures (default 75-real;80-real;86-real;89-real;90: SASS for each + PTX of 90)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');

if (process.env.FSPD_SKIP_NATIVE === '1') {
  console.log('fspd: FSPD_SKIP_NATIVE=1, not building the native addon');
  process.exit(0);
}

let cmakeJs;
try {
  cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
} catch {
  fail('cmake-js is not installed');
}

const args = [cmakeJs, 'compile', '--out', 'build', '--parallel', String(os.availableParallelism()), '--log-level', 'warn'];
const cuda = process.env.FSPD_CUDA;
if (cuda !== undefined && cuda !== '') {
  if (!/^(AUTO|ON|OFF)$/i.test(cuda)) fail(`FSPD_CUDA: expected AUTO, ON or OFF, got ${cuda}`);
  args.push(`--CDFSPD_CUDA=${cuda.toUpperCase()}`);
}
if (process.env.FSPD_CUDA_ARCHS) args.push(`--CDCMAKE_CUDA_ARCHITECTURES=${process.env.FSPD_CUDA_ARCHS}`);
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (result.status !== 0) fail(`cmake-js exited with ${result.status ?? result.signal}`);
console.log('fspd: native addon built: build/Release/fspd.node');

function fail(why) {
  console.warn(
    [
      `fspd: the native addon was not built (${why}).`,
      'fspd will use its pure-TypeScript kernels, which are much slower.',
      'Possible solutions:',
      '  - install CMake >= 3.18 and a C++17 compiler (Debian: apt-get install cmake g++), then run `npm run build:native`',
      '  - run `npx fspd doctor` to see what was found',
    ].join('\n'),
  );
  process.exit(strict ? 1 : 0);
}
