// The addon's output pool (native/binding/output_pool.cc): outputs reuse the memory of collected outputs,
// which holds stale values. Every kernel must overwrite all of it: blocks are first filled with NaN (outputs
// of NaN inputs, then collected), and the outputs that reuse them must equal, bit for bit, the outputs
// computed in fresh memory before. The pool's limits are checked in child processes (read once per process).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { addonPath, type NativeAddon } from '../src/native/addon.js';
import type { FeatureMap, FeaturePair } from '../src/native/types.js';
import { addon, addonSkip } from './helpers/addon.js';
import { dims, randomMap, seededRandom } from './helpers/random.js';

const skip = addonSkip;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Collects garbage and lets Node run the finalisers, which return blocks to the pool. */
async function collect() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const nan = (m: FeatureMap): FeatureMap => ({ ...m, data: new Float32Array(m.data.length).fill(NaN) });
const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

type Outputs = Float32Array[];
// Each kernel with fixed inputs, as (maps) => its outputs; called once with real maps, once with NaN maps.
function kernels(a: NativeAddon): [string, (p: FeaturePair, t: FeaturePair, g: Float32Array) => Outputs | Promise<Outputs>][] {
  const loss = (p: FeaturePair, t: FeaturePair) =>
    [[p], [t], [], { weights: [], reduction: 'paper', pooling: 'max', returnGradients: true, returnTeacherMatrices: true }, 0] as const;
  return [
    ['fspForward', (p) => [a.fspForward(p.first, p.second, 0)]],
    ['fspForwardAsync', async (p) => [await a.fspForwardAsync(p.first, p.second, 0)]],
    ['fspBackward', (p, _t, g) => Object.values(a.fspBackward(p.first, p.second, g, 0))],
    ['poolTo', (p) => [a.poolTo(p.first, 3, 2, 'max', 0), a.poolTo(p.first, 3, 2, 'avg', 0)]],
    ['poolBackwardAsync', async (p) => [await a.poolBackwardAsync(p.first, 3, 2, 'max', new Float32Array(2 * 3 * 2 * 4).fill(0.5), 0)]],
    ['fspLoss', (p, t) => {
      const r = a.fspLoss(...loss(p, t));
      return [...r.gradients!.flatMap((g) => [g.first, g.second]), ...r.teacherMatrices!];
    }],
    ['fspLossAsync', async (p, t) => {
      const r = await a.fspLossAsync(...loss(p, t));
      return [...r.gradients!.flatMap((g) => [g.first, g.second]), ...r.teacherMatrices!];
    }],
  ];
}

describe('native output pool', { skip: addonSkip }, () => {
  for (const layout of ['NHWC', 'NCHW'] as const) {
    it(`${layout}: outputs in reused memory equal outputs in fresh memory, bit for bit`, async () => {
      const rng = seededRandom(7);
      const pair = { first: randomMap(rng, dims(2, 7, 5, 4), layout), second: randomMap(rng, dims(2, 7, 5, 6), layout) };
      const teacher = { first: randomMap(rng, dims(2, 9, 9, 4), layout), second: randomMap(rng, dims(2, 3, 3, 6), layout) };
      const grad = new Float32Array(2 * 4 * 6).map(() => rng() - 0.5);
      for (const [name, run] of kernels(addon!)) {
        const expected = (await run(pair, teacher, grad)).map(bits);
        await collect();
        // NaN inputs give NaN outputs; collected, their blocks wait in the pool with NaN in them.
        await run({ first: nan(pair.first), second: nan(pair.second) }, { first: nan(teacher.first), second: nan(teacher.second) }, grad.map(() => NaN));
        await collect();
        const before = addon!.outputPoolStats();
        const again = (await run(pair, teacher, grad)).map(bits);
        const after = addon!.outputPoolStats();
        assert.ok(after.hits - before.hits >= 1, `${name}: reused a pooled block (hits ${before.hits} → ${after.hits})`);
        assert.deepEqual(again, expected, `${name}: values`);
      }
    });
  }

  it('outputArray hands out a pooled block zero-filled, whatever an earlier output left in it', async () => {
    const n = 2 * 7 * 5 * 4;
    const map: FeatureMap = { data: new Float32Array(n).fill(NaN), shape: [2, 7, 5, 4], layout: 'NHWC' };
    addon!.poolBackward(map, 7, 5, 'avg', new Float32Array(n).fill(NaN), 0);  // an output of n NaNs, dropped
    await collect();
    const before = addon!.outputPoolStats();
    const out = addon!.outputArray(n);
    assert.equal(addon!.outputPoolStats().hits - before.hits, 1, 'took the NaN-filled block');
    assert.equal(out.length, n);
    assert.ok(out.every((x) => Object.is(x, 0)), 'every element +0');
  });

  it('keeps at most FSPD_OUTPUT_POOL_MB idle and twice that handed out; 0 turns it off', () => {
    // A synchronous loop never lets Node run finalisers: past the limit, outputs are plain V8 memory.
    const script = `
      const a = require(${JSON.stringify(addonPath)});
      const n = 1 << 18;  // 1 MiB of floats per output
      const m = { data: new Float32Array(n).fill(1), shape: [1, 1, n, 1], layout: 'NHWC' };
      const outs = [];
      for (let i = 0; i < 6; i++) outs.push(a.poolTo(m, 1, n, 'max', 0));
      if (!outs.every((o) => o.length === n && o.every((v) => v === 1))) throw new Error('wrong values');
      outs.length = 0;
      (async () => {
        for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
        console.log(JSON.stringify(a.outputPoolStats()));
      })();`;
    const stats = (mb: string) => {
      const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { env: { ...process.env, FSPD_OUTPUT_POOL_MB: mb }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as ReturnType<NativeAddon['outputPoolStats']>;
    };
    const two = stats('2');
    assert.equal(two.limitBytes, 2 << 20);
    assert.equal(two.misses, 4, 'four 1 MiB outputs fit in 2 × 2 MiB handed out');
    assert.equal(two.bypassed, 2, 'the other two are plain arrays');
    assert.equal(two.idleBytes, 2 << 20, 'two of the four come back to the pool, the rest is freed');
    assert.equal(two.liveBytes, 0);
    const off = stats('0');
    assert.deepEqual([off.hits, off.misses, off.idleBytes, off.bypassed], [0, 0, 0, 6]);
  });
});
