// The package's public surface and the `fspd doctor` command, as a user meets them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as fspd from '../src/index.js';
import { loadAddon } from '../src/native/addon.js';

describe('public surface', () => {
  it('exports the FSP ops and the kernels', async () => {
    await tf.setBackend('cpu');
    const x = tf.ones([1, 2, 2, 3]) as tf.Tensor4D;
    const g = fspd.fspMatrix(x, x);
    assert.deepEqual(g.shape, [1, 3, 3]);
    assert.deepEqual(Array.from(g.dataSync()), new Array(9).fill(1));
    assert.equal(typeof fspd.getKernels().fspLossAsync, 'function');
    tf.dispose([x, g]);
  });
});

describe('fspd doctor', () => {
  it('--json reports the kernels this process would use', () => {
    const out = execFileSync(process.execPath, ['bin/fspd.js', 'doctor', '--json'], { encoding: 'utf8', env: { ...process.env, FSPD_BACKEND: 'cpu' } });
    const report = JSON.parse(out);
    let addon;
    try {
      addon = loadAddon();
    } catch {
      addon = undefined;
    }
    if (addon) {
      const build = addon.buildInfo();
      assert.equal(report.native.variant, 'cpu');
      assert.equal(report.native.simd, build.simd);
      assert.equal(report.native.threads, build.threads);
      assert.equal(report.native.cudaCompiled, build.cudaCompiled);
    } else {
      assert.equal(report.native.variant, 'ts');
    }
    assert.equal(report.native.cudaDevices, 0);
    assert.equal(report.backend.backend, 'cpu');
    assert.equal(typeof report.tensorflow.available, 'boolean');
  });

  it('FSPD_NATIVE=0 is reported as the TypeScript kernels, readable form too', () => {
    const out = execFileSync(process.execPath, ['bin/fspd.js', 'doctor'], { encoding: 'utf8', env: { ...process.env, FSPD_NATIVE: '0', FSPD_BACKEND: 'cpu' } });
    assert.match(out, /kernels\s+ts \(FSPD_NATIVE=0\)/);
  });
});
