// The Node API's overhead over the kernel, interleaved in one process so that noise hits every mode alike:
// fspLoss with gradients through the addon, sync and async, returning fresh (pooled) arrays or writing into
// kept ones (gradientsInto: plain V8 arrays, or arrays from outputArray), with a turn of the event loop
// between calls. Run it again with FSPD_OUTPUT_POOL_MB=0 to see the calls without the output pool.
// Per mode it also counts the calls during which a garbage collection started (perf_hooks 'gc' entries) and
// the calls that missed the pool: fresh arrays are collected by V8's major GCs, which external memory starts,
// and a call that starts one pays its main-thread part and shares the cores with its concurrent marking.
//   node --import tsx bench/fsp-api.ts [B,C1,C2,H,W] [NHWC|NCHW] [rounds]
import { PerformanceObserver } from 'node:perf_hooks';
import { loadAddon } from '../src/native/addon.js';
import type { FeatureMap, Layout } from '../src/native/types.js';
import { random } from './lib.js';

const [b, c1, c2, h, w] = (process.argv[2] ?? '128,16,16,32,32').split(',').map(Number) as [number, number, number, number, number];
const layout = (process.argv[3] ?? 'NHWC') as Layout;
const rounds = Number(process.argv[4] ?? 30);
const addon = loadAddon();
const map = (c: number, seed: number): FeatureMap => ({ data: random(b * c * h * w, seed), layout, shape: layout === 'NCHW' ? [b, c, h, w] : [b, h, w, c] });
const pairs = [{ first: map(c1, 1), second: map(c2, 2) }];
const teacher = [random(b * c1 * c2, 3)];
const options = { weights: [], reduction: 'paper', pooling: 'max', returnGradients: true, returnTeacherMatrices: false } as const;
const v8Arrays = { ...options, gradientsInto: [{ first: new Float32Array(pairs[0]!.first.data.length), second: new Float32Array(pairs[0]!.second.data.length) }] };
const kept = { ...options, gradientsInto: [{ first: addon.outputArray(pairs[0]!.first.data.length), second: addon.outputArray(pairs[0]!.second.data.length) }] };
const modes: Record<string, () => unknown> = {
  'sync, fresh arrays': () => addon.fspLoss(pairs, [], teacher, options, 0),
  'sync, into V8 arrays': () => addon.fspLoss(pairs, [], teacher, v8Arrays, 0),
  'sync, into outputArray': () => addon.fspLoss(pairs, [], teacher, kept, 0),
  'async, fresh arrays': () => addon.fspLossAsync(pairs, [], teacher, options, 0),
  'async, into outputArray': () => addon.fspLossAsync(pairs, [], teacher, kept, 0),
};
const names = Object.keys(modes);
const samples = new Map(names.map((n) => [n, [] as { t0: number; t1: number; missed: boolean }[]]));
const gcStarts: number[] = [];
const observer = new PerformanceObserver((list) => gcStarts.push(...list.getEntries().map((e) => e.startTime)));
observer.observe({ entryTypes: ['gc'] });
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + r) % names.length]!; // rotate the order, so no mode always follows the same one
    const misses = addon.outputPoolStats().misses;
    const t0 = performance.now();
    await modes[name]!();
    const t1 = performance.now();
    const missed = addon.outputPoolStats().misses > misses;
    samples.get(name)!.push({ t0, t1, missed });
    await new Promise((resolve) => setImmediate(resolve));
  }
}
console.log(`fspLoss+gradients (${b},${c1},${c2},${h}×${w}) ${layout}, ${rounds} rounds, FSPD_OUTPUT_POOL_MB=${process.env.FSPD_OUTPUT_POOL_MB ?? '(default)'}`);
await new Promise((resolve) => setTimeout(resolve, 100)); // the observer's last entries
observer.disconnect();
const median = (xs: number[]) => (xs.length ? [...xs].sort((x, y) => x - y)[xs.length >> 1]!.toFixed(2) : '-');
for (const [name, s] of samples) {
  const ms = (xs: typeof s) => xs.map((x) => x.t1 - x.t0);
  const startedGc = (x: (typeof s)[number]) => gcStarts.some((t) => t >= x.t0 && t < x.t1);
  const gc = s.filter(startedGc), quiet = s.filter((x) => !startedGc(x) && !x.missed);
  console.log(
    `${name.padEnd(24)} median ${median(ms(s))} ms, min ${Math.min(...ms(s)).toFixed(2)} ms; ` +
      `${gc.length} calls started a GC (median ${median(ms(gc))} ms), ${s.filter((x) => x.missed).length} missed the pool, ` +
      `the rest median ${median(ms(quiet))} ms`,
  );
}
console.log(`output pool: ${JSON.stringify(addon.outputPoolStats())}`);
