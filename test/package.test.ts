// The npm package as a user gets it: `npm run build`, `npm pack`, the tarball installed into an empty
// folder (dependencies from the npm registry, --prefer-offline), then `fspd doctor --json`, `fspd serve`
// with a health check and a metrics scrape, and `import { fspLoss } from 'fspd'` in plain JS and in
// TypeScript (the shipped declarations).
//
// The install runs the package's install script with FSPD_SKIP_NATIVE=1: compiling the addon from the
// tarball's sources would take minutes on a small CI machine, and the same sources are compiled by
// `npm run build:native` (CI) and tested by the native suite. When this checkout has a built addon, it is
// copied to where the installed package loads it (build/Release/fspd.node), so the package's own addon
// lookup from dist/ is what is tested; otherwise the installed package must fall back to its TS kernels.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { spawnServe } from './helpers/serve-process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const builtAddon = path.join(root, 'build', 'Release', 'fspd.node');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const exec = promisify(execFile);

let work: string;
let consumer: string;
let installed: string;
let tarballFiles: string[];
const bin = () => path.join(consumer, 'node_modules', '.bin', 'fspd');
const env = { ...process.env, FSPD_BACKEND: 'cpu', FSPD_SKIP_NATIVE: '1', npm_config_fund: 'false', npm_config_audit: 'false' };

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-package-'));
  await exec(npm, ['run', 'build'], { cwd: root, env, timeout: 300_000 });
  // --ignore-scripts: prepack would build again.
  const { stdout } = await exec(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, env, timeout: 120_000 });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarballFiles = packed!.files.map((f) => f.path);
  consumer = path.join(work, 'consumer');
  fs.mkdirSync(consumer);
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const started = performance.now();
  await exec(npm, ['install', '--prefer-offline', '--no-package-lock', path.join(work, packed!.filename)], { cwd: consumer, env, timeout: 600_000 });
  console.log(`# npm install of the tarball: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  installed = path.join(consumer, 'node_modules', 'fspd');
  if (fs.existsSync(builtAddon)) {
    fs.mkdirSync(path.join(installed, 'build', 'Release'), { recursive: true });
    fs.copyFileSync(builtAddon, path.join(installed, 'build', 'Release', 'fspd.node'));
  }
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the npm package', { timeout: 900_000 }, () => {
  it('carries dist with declarations, the protos, the native sources and their build script; no sources or tests', () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/server/health-worker.js', 'bin/fspd.js',
      'proto/fspd/v1/fsp_service.proto', 'CMakeLists.txt', 'native/CMakeLists.txt', 'native/core/CMakeLists.txt',
      'native/binding/addon.cc', 'scripts/build-native.mjs', 'README.md', 'LICENSE', 'docs/PAPER.md']) {
      assert.ok(tarballFiles.includes(file), `${file} in the tarball`);
    }
    const unwanted = tarballFiles.filter((f) => /^(src|test|bench|clients|deploy|native\/(tests|bench|build)|build|node_modules)\//.test(f));
    assert.deepEqual(unwanted, [], 'nothing for development only');
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    assert.equal(manifest.dependencies.tsx, undefined, 'tsx is not a run-time dependency');
    assert.ok(!fs.existsSync(path.join(consumer, 'node_modules', 'tsx')), 'tsx is not installed with the package');
  });

  it('fspd doctor --json reports this version and the addon the package loads', async () => {
    const { stdout } = await exec(bin(), ['doctor', '--json'], { cwd: consumer, env, timeout: 120_000 });
    const report = JSON.parse(stdout);
    if (fs.existsSync(builtAddon)) {
      assert.equal(report.native.variant, 'cpu', report.native.reason);
      assert.equal(report.native.addonPath, path.join(installed, 'build', 'Release', 'fspd.node'));
      assert.equal(report.native.version, pkg.version);
    } else {
      assert.equal(report.native.variant, 'ts');
    }
    assert.equal(report.backend.backend, 'cpu');
  });

  it('fspd bench says that the benchmarks come with a source checkout', async () => {
    const err = await exec(bin(), ['bench', 'fsp'], { cwd: consumer, env, timeout: 60_000 }).then(
      () => assert.fail('fspd bench succeeded without bench/'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err.code, 2);
    assert.match(err.stderr, /bench\/fsp\.ts is missing: .*source checkout/);
  });

  it('fspd serve answers health checks (main port, health-port thread) and serves /metrics, and exits 0 on SIGTERM', async () => {
    const args = ['serve', '--address', '127.0.0.1:0', '--health-address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'];
    const { child, serving, exited } = await spawnServe(bin(), [...args, '--checkpoint-dir', path.join(work, 'state')], { cwd: consumer, env: { ...env, FSPD_SHUTDOWN_GRACE: '5' } });
    try {
      for (const address of [serving.addresses[0]!, serving.health!]) {
        const health = await exec(bin(), ['health', '--address', address], { cwd: consumer, env, timeout: 60_000 });
        assert.match(health.stdout, /SERVING/, address);
      }
      const metrics = await (await fetch(`http://${serving.metrics}/metrics`)).text();
      assert.match(metrics, /^fspd_native_info\{/m);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'exit code');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("import { fspLoss } from 'fspd' computes the paper's loss", async () => {
    // Student maps 1×2×2×1 of ones and of twos: G = (4 · 1·2) / 4 = 2. Teacher matrix 5: D = -3, loss 9 (paper
    // reduction: squared entries summed, mean over the one sample); d loss/d first map = 2·D · second / (h·w) = -3.
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import { fspLoss } from 'fspd';
      await tf.setBackend('cpu');
      const a = tf.ones([1, 2, 2, 1]);
      const b = tf.fill([1, 2, 2, 1], 2);
      const loss = fspLoss([[a, b]], [tf.tensor3d([[[5]]])], { reduction: 'paper' });
      const grad = tf.grad((x) => fspLoss([[x, b]], [tf.tensor3d([[[5]]])]))(a);
      console.log(JSON.stringify({ loss: loss.dataSync()[0], grad: Array.from(grad.dataSync()) }));
    `;
    const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], { cwd: consumer, env, timeout: 120_000 });
    const { loss, grad } = JSON.parse(stdout.trim().split('\n').at(-1)!);
    assert.ok(Math.abs(loss - 9) < 1e-5, `loss ${loss}`);
    for (const g of grad) assert.ok(Math.abs(g + 3) < 1e-5, `gradient ${grad}`);
  });

  it('the declarations type-check a TypeScript consumer', async () => {
    fs.writeFileSync(
      path.join(consumer, 'use.ts'),
      "import { fspLoss, getKernels } from 'fspd';\nconst kernels: ReturnType<typeof getKernels> = getKernels();\nexport const f: typeof fspLoss = fspLoss;\nexport const k = kernels;\n",
    );
    fs.writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['use.ts'] }),
    );
    await exec(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer], { cwd: consumer, timeout: 120_000 });
  });
});
