// npm run bench:fsp — FSP forward and fused loss+gradients on the CPU, in one run, shape by shape:
//   kernel   the C++ kernels alone (native/build-bench/bench/fsp_bench, outputs reused), against the roofline
//            max(flops / FMA peak, bytes / bandwidth) with both measured by fsp_bench in the same run
//   api      the Node API as users call it (getKernels()-style validated addon, fresh result arrays): sync
//            calls with a turn of the event loop between them (as a training loop's awaits give)
//   kept     the same writing into outputs kept from call to call (outputArray: fspForward's into,
//            fspLoss's gradientsInto), sync and async: no allocation, no collections
//   torch    PyTorch CPU on the same shapes and layout (bench/fsp_torch.py), when torch imports
//   ts, tfjs the pure-TS kernels and the tfjs cpu backend's tf.matMul formulation (NHWC)
// Writes bench/results/fsp-cpu.json and the fsp-cpu table in docs/BENCHMARKS.md.
//   --quick   fewer repetitions and no ts/tfjs columns (a smoke run; the doc is not updated)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { addonBackend, loadAddon } from '../src/native/addon.js';
import { tsKernels } from '../src/native/ts-kernels.js';
import type { FeatureMap, KernelBackend, Layout } from '../src/native/types.js';
import { validated } from '../src/native/validate.js';
import { machineLine, markdownTable, random, repoRoot, time, updateBenchmarksDoc, writeResults } from './lib.js';

type Shape = [number, number, number, number, number];
const SHAPES: Shape[] = [
  [128, 16, 16, 32, 32],
  [128, 32, 32, 16, 16],
  [128, 64, 64, 8, 8],
  [64, 64, 64, 32, 32],
  [256, 16, 32, 32, 32],
];
const LAYOUTS: Layout[] = ['NHWC', 'NCHW'];
const quick = process.argv.includes('--quick');
const RUNS = quick ? 5 : 15;
/**
 * Rounds per shape: torch, the kernel and the API are measured one after the other in each round, and each
 * ratio is the median of its per-round ratios. This VM's speed drifts by tens of percent within a minute; a
 * ratio of two measurements taken seconds apart in the same round is steadier than one of two taken a
 * minute apart.
 */
const ROUNDS = quick ? 1 : 3;
const WARMUP_MS = quick ? 50 : 300;
const threads = os.availableParallelism();
/** Targets of the bench (issue 11): API ≤ 1.15× kernel; kernel ≥ 0.70 of the roofline; API vs torch. */
const TARGET = { apiOverKernel: 1.15, roofline: 0.7, torchOverApi: { forward: 1.2, 'loss+grad': 1.5 } };

type Op = 'forward' | 'loss+grad';
interface Row {
  shape: Shape;
  layout: Layout;
  op: Op;
  kernel_ms: number;
  /** The kernel's work: the roofline is max(flops / peak, bytes / bandwidth) with the run's highest probes. */
  flops: number;
  bytes: number;
  roofline_ms: number;
  bound: 'compute' | 'memory';
  api_ms: number;
  kept_ms: number;
  kept_async_ms: number;
  /** Medians over rounds of api / kernel, kept / kernel and torch / api within a round. */
  api_over_kernel: number;
  kept_over_kernel: number;
  torch_over_api?: number;
  torch_ms?: number;
  ts_ms?: number;
  tfjs_ms?: number;
}

interface KernelRun {
  peak_gflops: number;
  bandwidth_gbps: number;
  results: { layout: Layout; forward_ms: number; forward_flops: number; forward_bytes: number; loss_grad_ms: number; loss_grad_flops: number; loss_grad_bytes: number }[];
}

/** Sets a row's roofline from the highest probe readings so far (each fsp_bench run probes once, and a probe can only read low). */
function setRoofline(row: Row, peakGflops: number, bandwidthGbps: number): Row {
  const compute = row.flops / peakGflops / 1e6;
  const memory = row.bytes / bandwidthGbps / 1e6;
  row.roofline_ms = Math.max(compute, memory);
  row.bound = compute >= memory ? 'compute' : 'memory';
  return row;
}

/** The C++ bench, built once with plain CMake (CPU kernels only: this bench times the CPU). */
function fspBench(): string {
  const dir = path.join(repoRoot, 'native', 'build-bench');
  const exe = path.join(dir, 'bench', 'fsp_bench');
  const run = (args: string[]) => {
    const r = spawnSync('cmake', args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`cmake ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): bench:fsp needs CMake and a C++17 compiler`);
  };
  console.log('building native/build-bench (fsp_bench, CPU kernels) ...');
  run(['-S', 'native', '-B', dir, '-DCMAKE_BUILD_TYPE=Release', '-DFSPD_CUDA=OFF', '-DFSPD_BUILD_TESTS=ON']);
  run(['--build', dir, '--target', 'fsp_bench', '--parallel', String(threads)]);
  if (!existsSync(exe)) throw new Error(`${exe} was not built`);
  return exe;
}

function kernelRun(exe: string, shape: Shape): KernelRun {
  const r = spawnSync(exe, ['--json', '--threads', String(threads), '--runs', String(RUNS), '--shape', shape.join(',')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fsp_bench failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as KernelRun;
}

/** PyTorch's times for one shape, or why there are none. */
function torchRun(shape: Shape): { rows: { layout: Layout; forward_ms: number; loss_grad_ms: number }[]; version: string } | { error: string } {
  const python = process.env.PYTHON ?? 'python3';
  const spec = JSON.stringify({ threads, runs: RUNS, shapes: [shape], layouts: LAYOUTS });
  const r = spawnSync(python, [path.join(repoRoot, 'bench', 'fsp_torch.py'), spec], { encoding: 'utf8' });
  if (r.error) return { error: `${python} did not run (${r.error.message})` };
  if (r.status !== 0) return { error: `bench/fsp_torch.py failed: ${r.stderr.trim().split('\n').at(-1)}` };
  const out = JSON.parse(r.stdout) as { error?: string; torch: string; rows: { layout: Layout; forward_ms: number; loss_grad_ms: number }[] };
  return out.error ? { error: out.error } : { rows: out.rows, version: out.torch };
}

async function main() {
  await tf.setBackend('cpu');
  const addon = loadAddon();
  const api = validated(addonBackend(addon, 0));
  const build = addon.buildInfo();
  console.log(`fspd bench:fsp — ${machineLine()}; addon ${build.version} (${build.compiler}, ${build.simd}, ${build.threads} threads)`);
  const exe = fspBench();

  const rows: Row[] = [];
  const peaks: number[] = [];
  const bandwidths: number[] = [];
  let torchVersion = '';
  let torchError = '';
  for (const shape of SHAPES) {
    const [batch, c1, c2, height, width] = shape;
    const hw = height * width;
    const firstData = random(batch * hw * c1, 1);
    const secondData = random(batch * hw * c2, 2);
    const teacher = random(batch * c1 * c2, 3);
    // The same numbers read in either layout: the same cost.
    const mapsIn = (layout: Layout) => {
      const map = (data: Float32Array, c: number): FeatureMap => ({ data, layout, shape: layout === 'NHWC' ? [batch, height, width, c] : [batch, c, height, width] });
      return { first: map(firstData, c1), second: map(secondData, c2) };
    };
    const reps = { min: RUNS, budget: quick ? 200 : 500 };
    // Calls for a while before timing: the first API cell after the torch and fsp_bench processes read 1.5–2×
    // its steady time (measured: 0.93–1.05 ms, then 0.60–0.76 ms, NHWC forward (128,16,16,32×32)), and fsp_bench
    // times its kernels after a second of probes in its own process.
    const apiTime = async (fn: () => unknown) => {
      for (const t0 = performance.now(); performance.now() - t0 < WARMUP_MS; ) {
        await fn();
        await turn();
      }
      return (await time(fn, reps.min, reps.budget, 50, turn)).ms;
    };
    // Per layout and op, one sample per round of each column.
    type Samples = { kernel: number[]; flops: number; bytes: number; api: number[]; kept: number[]; keptAsync: number[]; torch: number[] };
    const samples = new Map<string, Samples>();
    const add = (layout: Layout, op: Op, x: { kernel: number; flops: number; bytes: number; api: number; kept: number; keptAsync: number; torch?: number }) => {
      const key = `${layout} ${op}`;
      const s = samples.get(key) ?? { kernel: [], flops: x.flops, bytes: x.bytes, api: [], kept: [], keptAsync: [], torch: [] };
      s.kernel.push(x.kernel);
      s.kept.push(x.kept);
      s.keptAsync.push(x.keptAsync);
      s.api.push(x.api);
      if (x.torch !== undefined) s.torch.push(x.torch);
      samples.set(key, s);
    };
    for (let round = 0; round < ROUNDS; round++) {
      const torch = torchRun(shape);
      if ('error' in torch) torchError = torch.error;
      else torchVersion = torch.version;
      const kernel = kernelRun(exe, shape);
      peaks.push(kernel.peak_gflops);
      bandwidths.push(kernel.bandwidth_gbps);
      for (const layout of LAYOUTS) {
        const { first, second } = mapsIn(layout);
        const k = kernel.results.find((r) => r.layout === layout)!;
        const t = 'rows' in torch ? torch.rows.find((r) => r.layout === layout) : undefined;
        const into = api.outputArray(batch * c1 * c2);
        add(layout, 'forward', {
          kernel: k.forward_ms, flops: k.forward_flops, bytes: k.forward_bytes, torch: t?.forward_ms,
          api: await apiTime(() => api.fspForward(first, second)),
          kept: await apiTime(() => api.fspForward(first, second, into)),
          keptAsync: await apiTime(() => api.fspForwardAsync(first, second, into)),
        });
        const loss = { matrices: [teacher] };
        const kept = { returnGradients: true, gradientsInto: [{ first: api.outputArray(first.data.length), second: api.outputArray(second.data.length) }] };
        add(layout, 'loss+grad', {
          kernel: k.loss_grad_ms, flops: k.loss_grad_flops, bytes: k.loss_grad_bytes, torch: t?.loss_grad_ms,
          api: await apiTime(() => api.fspLoss([{ first, second }], loss, { returnGradients: true })),
          kept: await apiTime(() => api.fspLoss([{ first, second }], loss, kept)),
          keptAsync: await apiTime(() => api.fspLossAsync([{ first, second }], loss, kept)),
        });
      }
    }
    for (const layout of LAYOUTS) {
      const { first, second } = mapsIn(layout);
      const rowOf = (op: Op): Row => {
        const s = samples.get(`${layout} ${op}`)!;
        const torched = s.torch.length === s.api.length;
        const row: Row = {
          shape, layout, op, kernel_ms: median(s.kernel), flops: s.flops, bytes: s.bytes, roofline_ms: 0, bound: 'compute',
          api_ms: median(s.api), kept_ms: median(s.kept), kept_async_ms: median(s.keptAsync),
          api_over_kernel: median(s.api.map((a, i) => a / s.kernel[i]!)),
          kept_over_kernel: median(s.kept.map((a, i) => a / s.kernel[i]!)),
          ...(torched ? { torch_ms: median(s.torch), torch_over_api: median(s.torch.map((t, i) => t / s.api[i]!)) } : {}),
        };
        return setRoofline(row, Math.max(...peaks), Math.max(...bandwidths));
      };
      const forward = rowOf('forward');
      const loss = rowOf('loss+grad');
      const lossOf = (b: KernelBackend) => () => b.fspLossAsync([{ first, second }], { matrices: [teacher] }, { returnGradients: true });
      if (layout === 'NHWC' && !quick) {
        forward.ts_ms = (await time(() => tsKernels.fspForwardAsync(first, second), 3, 2000)).ms;
        loss.ts_ms = (await time(lossOf(tsKernels), 3, 2000)).ms;
        [forward.tfjs_ms, loss.tfjs_ms] = await tfjsTimes(first, second, teacher, shape);
      }
      rows.push(forward, loss);
      for (const r of [forward, loss]) console.log(line(r));
    }
  }
  const peak = Math.max(...peaks);
  const bandwidth = Math.max(...bandwidths);
  for (const row of rows) setRoofline(row, peak, bandwidth);  // the lines above used the probes taken so far
  console.log(`\nfloat32 FMA peak ${peak.toFixed(1)} GFLOP/s, memory bandwidth ${bandwidth.toFixed(1)} GB/s (highest of ${peaks.length} probes each, ${threads} threads)`);
  console.log(`output pool: ${JSON.stringify(addon.outputPoolStats())}`);

  const torchNote = torchVersion ? `PyTorch ${torchVersion} CPU, ${threads} threads` : `torch column empty: ${torchError}`;
  const file = writeResults('fsp-cpu.json', { date: new Date().toISOString(), machine: machineLine(), build, threads, peak_gflops: peak, bandwidth_gbps: bandwidth, torch: torchVersion || torchError, rows });
  const md = report(rows, peak, bandwidth, build.simd, torchNote);
  console.log(`\n${md}\n\nwrote ${file}`);
  if (!quick) updateBenchmarksDoc('bench:fsp', md);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** One turn of the event loop: Node runs the finalisers that return collected outputs to the pool. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** tfjs reference formulation: G = matMul(Xᵀ, Y)/hw; loss = Σ(G − T)²/B; gradients by tf.grads. */
async function tfjsTimes(first: FeatureMap, second: FeatureMap, teacher: Float32Array, [batch, c1, c2, h, w]: Shape): Promise<[number, number]> {
  const hw = h * w;
  const x = tf.tensor3d(first.data, [batch, hw, c1]);
  const y = tf.tensor3d(second.data, [batch, hw, c2]);
  const t = tf.tensor3d(teacher, [batch, c1, c2]);
  const gram = (p: tf.Tensor3D, q: tf.Tensor3D) => tf.div(tf.matMul(p, q, true, false), hw) as tf.Tensor3D;
  const grads = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.div(tf.sum(tf.square(tf.sub(gram(p as tf.Tensor3D, q as tf.Tensor3D), t))), batch));
  const forward = await time(() => tf.tidy(() => gram(x, y).dataSync()), 3, 2000);
  const loss = await time(() => tf.tidy(() => grads([x, y]).map((g) => g.dataSync())), 3, 2000);
  tf.dispose([x, y, t]);
  return [forward.ms, loss.ms];
}

const label = (s: Shape) => `(${s[0]},${s[1]},${s[2]},${s[3]}×${s[4]})`;

function line(r: Row): string {
  const torch = r.torch_ms === undefined ? '' : `  torch ${r.torch_ms.toFixed(3)} ms (${r.torch_over_api!.toFixed(2)}× api)`;
  return `${label(r.shape).padEnd(20)} ${r.layout} ${r.op.padEnd(9)} kernel ${r.kernel_ms.toFixed(3).padStart(8)} ms (${(100 * r.roofline_ms / r.kernel_ms).toFixed(0)}% of ${r.bound} roofline)  api ${r.api_ms.toFixed(3).padStart(8)} ms (${r.api_over_kernel.toFixed(2)}× kernel), kept ${r.kept_ms.toFixed(3)} ms (${r.kept_over_kernel.toFixed(2)}×), kept async ${r.kept_async_ms.toFixed(3)} ms${torch}`;
}

function report(rows: Row[], peak: number, bandwidth: number, simd: string, torchNote: string): string {
  const met = (ok: boolean) => (ok ? '' : ' ✗');
  const table = rows.map((r) => {
    const roof = r.roofline_ms / r.kernel_ms;
    const overKernel = r.api_over_kernel;
    const vsTorch = r.torch_over_api;
    return [
      label(r.shape),
      r.layout,
      r.op,
      r.kernel_ms.toFixed(2),
      `${(100 * roof).toFixed(0)}% ${r.bound}${met(roof >= TARGET.roofline)}`,
      r.api_ms.toFixed(2),
      `${overKernel.toFixed(2)}×${met(overKernel <= TARGET.apiOverKernel)}`,
      r.kept_ms.toFixed(2),
      `${r.kept_over_kernel.toFixed(2)}×${met(r.kept_over_kernel <= TARGET.apiOverKernel)}`,
      `${r.kept_async_ms.toFixed(2)} (${(r.kept_async_ms / r.kernel_ms).toFixed(2)}×)`,
      r.torch_ms === undefined ? '—' : r.torch_ms.toFixed(2),
      vsTorch === undefined ? '—' : `${vsTorch.toFixed(2)}×${met(vsTorch >= TARGET.torchOverApi[r.op])}`,
      r.ts_ms === undefined ? '' : `${(r.ts_ms / r.api_ms).toFixed(0)}×`,
      r.tfjs_ms === undefined ? '' : `${(r.tfjs_ms / r.api_ms).toFixed(0)}×`,
    ];
  });
  const count = (ok: (r: Row) => boolean) => `${rows.filter(ok).length}/${rows.length}`;
  const withTorch = rows.filter((r) => r.torch_ms !== undefined);
  return [
    '## FSP kernels on the CPU (`npm run bench:fsp`)',
    '',
    `${new Date().toISOString().slice(0, 10)}, ${machineLine()}, ${simd} kernels on ${threads} threads; ${torchNote}. ` +
      `Roofline measured in the same run by fsp_bench: float32 FMA peak **${peak.toFixed(0)} GFLOP/s**, memory bandwidth ` +
      `**${bandwidth.toFixed(1)} GB/s** (STREAM triad; the highest of the probes taken before each shape). ` +
      'kernel: the C++ kernels alone with reused outputs (fsp_bench); roofline: max(flops / peak, bytes / bandwidth) over the kernel time ' +
      '(forward: 2·B·C1·C2·hw flops, reads both maps and writes G; loss+grad against given teacher matrices: three such products, reads both maps ' +
      'and T, writes both gradients). api: `getKernels()`-style validated addon calls, each returning fresh arrays (the output pool recycles ' +
      'collected ones), sync calls with a turn of the event loop between them. kept: the same calls writing into outputs kept from call to call ' +
      '(`outputArray`: fspForward\'s `into`, fspLoss\'s `gradientsInto`), sync, and async (their time over the kernel\'s in brackets). torch: `torch.bmm` forward under no_grad, and the same loss with autograd backward to both maps. ' +
      `Each shape is measured in ${ROUNDS} rounds (torch, kernel, api one after the other); ms are medians over the rounds of each round's median, ` +
      'and api / kernel, kept / kernel and torch / api are medians of the per-round ratios (this VM drifts within a minute). ' +
      `✗ marks a missed target (kernel ≥ ${TARGET.roofline} of the roofline; api ≤ ${TARGET.apiOverKernel}× kernel; ` +
      `torch/api ≥ ${TARGET.torchOverApi.forward}× forward, ≥ ${TARGET.torchOverApi['loss+grad']}× loss+grad). ts, tfjs: their time over api's (NHWC). Raw records: \`bench/results/fsp-cpu.json\`.`,
    '',
    markdownTable(['shape (B,C1,C2,h×w)', 'layout', 'op', 'kernel ms', 'of roofline', 'api ms', 'api / kernel', 'kept ms', 'kept / kernel', 'kept async ms', 'torch ms', 'torch / api', 'ts / api', 'tfjs / api'], table),
    '',
    `Met: kernel ≥ ${TARGET.roofline} of roofline ${count((r) => r.roofline_ms / r.kernel_ms >= TARGET.roofline)}; ` +
      `api ≤ ${TARGET.apiOverKernel}× kernel ${count((r) => r.api_over_kernel <= TARGET.apiOverKernel)} with fresh outputs, ` +
      `${count((r) => r.kept_over_kernel <= TARGET.apiOverKernel)} with kept ones; ` +
      (withTorch.length
        ? `api faster than torch by the target ${withTorch.filter((r) => r.torch_over_api! >= TARGET.torchOverApi[r.op]).length}/${withTorch.length} ` +
          `(kept: ${withTorch.filter((r) => r.torch_ms! / r.kept_ms >= TARGET.torchOverApi[r.op]).length}/${withTorch.length}, ratio of the medians).`
        : 'torch not measured.'),
  ].join('\n');
}

await main();
