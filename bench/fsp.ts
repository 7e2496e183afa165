// npm run bench:fsp — FSP forward and fused loss+gradients: native addon vs pure TS vs the tfjs
// `cpu` backend's tf.matMul formulation, in one run, against this machine's FMA peak measured here.
// Writes bench/results/fsp-cpu.json and the fsp-cpu table in docs/BENCHMARKS.md.
//   --quick   fewer repetitions (a smoke run)
import * as tf from '@tensorflow/tfjs';
import { addonBackend, loadAddon } from '../src/native/addon.js';
import { tsKernels } from '../src/native/ts-kernels.js';
import type { FeatureMap, KernelBackend } from '../src/native/types.js';
import { machineLine, markdownTable, random, time, updateBenchmarksDoc, writeResults } from './lib.js';

const SHAPES: [number, number, number, number, number][] = [
  [128, 16, 16, 32, 32],
  [128, 32, 32, 16, 16],
  [128, 64, 64, 8, 8],
  [64, 64, 64, 32, 32],
  [256, 16, 32, 32, 32],
];
const quick = process.argv.includes('--quick');

interface Record {
  shape: { batch: number; c1: number; c2: number; height: number; width: number };
  kernel: 'forward' | 'loss+grad';
  impl: 'native' | 'native-nchw' | 'ts' | 'tfjs-cpu';
  ms: number;
  gflops: number;
  peak_fraction: number;
  runs: number;
}

async function main() {
  await tf.setBackend('cpu');
  const addon = loadAddon();
  const native = addonBackend(addon, 0);
  const build = addon.buildInfo();
  console.log(`fspd bench:fsp — ${machineLine()}; addon ${build.version} (${build.compiler}, ${build.simd}, ${build.threads} threads)`);
  // The peak is probed before every shape and the highest probe is used for every fraction: on a shared
  // machine a probe can only read low, so the highest is the most honest (most demanding) denominator.
  const probes: number[] = [];
  const probe = async () => probes.push(await addon.measureFmaPeak(0, 0.3));

  const records: Record[] = [];
  for (const [batch, c1, c2, height, width] of SHAPES) {
    await probe();
    const hw = height * width;
    const first: FeatureMap = { data: random(batch * hw * c1, 1), shape: [batch, height, width, c1], layout: 'NHWC' };
    const second: FeatureMap = { data: random(batch * hw * c2, 2), shape: [batch, height, width, c2], layout: 'NHWC' };
    // The same numbers read as NCHW maps: a different layout with the same cost.
    const firstT: FeatureMap = { ...first, shape: [batch, c1, height, width], layout: 'NCHW' };
    const secondT: FeatureMap = { ...second, shape: [batch, c2, height, width], layout: 'NCHW' };
    const teacher = random(batch * c1 * c2, 3);
    const flops = 2 * batch * c1 * c2 * hw;
    const shape = { batch, c1, c2, height, width };
    const add = (kernel: Record['kernel'], impl: Record['impl'], t: { ms: number; runs: number }, f: number) => {
      records.push({ shape, kernel, impl, ms: t.ms, gflops: f / t.ms / 1e6, peak_fraction: 0, runs: t.runs });
    };
    const slow = { min: quick ? 1 : 3, budget: quick ? 0 : 2000 };
    const fast = { min: quick ? 3 : 10, budget: quick ? 200 : 1500 };

    const kernels: [Record['impl'], KernelBackend, FeatureMap, FeatureMap, typeof fast][] = [
      ['native', native, first, second, fast],
      ['native-nchw', native, firstT, secondT, fast],
      ['ts', tsKernels, first, second, slow],
    ];
    for (const [impl, k, a, b, reps] of kernels) {
      add('forward', impl, await time(() => k.fspForwardAsync(a, b), reps.min, reps.budget), flops);
      const loss = () => k.fspLossAsync([{ first: a, second: b }], { matrices: [teacher] }, { returnGradients: true });
      add('loss+grad', impl, await time(loss, reps.min, reps.budget), 3 * flops);
    }

    // tfjs reference formulation: G = matMul(Xᵀ, Y)/hw; loss = Σ(G − T)²/B; gradients by tf.grads.
    const x = tf.tensor3d(first.data, [batch, hw, c1]);
    const y = tf.tensor3d(second.data, [batch, hw, c2]);
    const t = tf.tensor3d(teacher, [batch, c1, c2]);
    const gram = (p: tf.Tensor3D, q: tf.Tensor3D) => tf.div(tf.matMul(p, q, true, false), hw) as tf.Tensor3D;
    const grads = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.div(tf.sum(tf.square(tf.sub(gram(p as tf.Tensor3D, q as tf.Tensor3D), t))), batch));
    add('forward', 'tfjs-cpu', await time(() => tf.tidy(() => gram(x, y).dataSync()), slow.min, slow.budget), flops);
    add('loss+grad', 'tfjs-cpu', await time(() => tf.tidy(() => grads([x, y]).map((g) => g.dataSync())), slow.min, slow.budget), 3 * flops);
    tf.dispose([x, y, t]);

    for (const r of records.filter((r) => r.shape === shape)) {
      console.log(`${label(r)}  ${r.kernel.padEnd(9)} ${r.impl.padEnd(11)} ${r.ms.toFixed(3).padStart(10)} ms ${r.gflops.toFixed(2).padStart(8)} GFLOP/s`);
    }
  }
  await probe();
  const peak = Math.max(...probes);
  for (const r of records) r.peak_fraction = r.gflops / peak;
  console.log(`\nfloat32 FMA peak (highest of ${probes.length} probes: ${probes.map((p) => p.toFixed(0)).join(', ')}): ${peak.toFixed(1)} GFLOP/s (${build.simd}, ${build.threads} threads)`);

  const file = writeResults('fsp-cpu.json', { date: new Date().toISOString(), machine: machineLine(), build, peak_gflops: peak, peak_probes: probes, records });
  const md = report(records, peak, build.simd, build.threads);
  console.log(`\n${md}\n\nwrote ${file}`);
  if (!quick) updateBenchmarksDoc('bench:fsp', md);
}

function label(r: Record): string {
  const s = r.shape;
  return `(${s.batch},${s.c1},${s.c2},${s.height}×${s.width})`.padEnd(20);
}

function report(records: Record[], peak: number, simd: string, threads: number): string {
  const get = (r: Record, impl: Record['impl']) => records.find((o) => o.shape === r.shape && o.kernel === r.kernel && o.impl === impl)!;
  const rows = records
    .filter((r) => r.impl === 'native')
    .map((r) => {
      const nchw = get(r, 'native-nchw');
      const ts = get(r, 'ts');
      const tfjs = get(r, 'tfjs-cpu');
      return [
        label(r).trim(),
        r.kernel,
        `${r.ms.toFixed(2)} ms / ${r.gflops.toFixed(1)}`,
        `${(100 * r.peak_fraction).toFixed(0)}%`,
        `${nchw.gflops.toFixed(1)} (${(100 * nchw.peak_fraction).toFixed(0)}%)`,
        ts.gflops.toFixed(2),
        tfjs.gflops.toFixed(2),
        `${(tfjs.ms / r.ms).toFixed(0)}×`,
        `${(ts.ms / r.ms).toFixed(0)}×`,
      ];
    });
  return [
    '## FSP kernels on the CPU (`npm run bench:fsp`)',
    '',
    `${new Date().toISOString().slice(0, 10)}, ${machineLine()}. Measured float32 FMA peak in the same run: ` +
      `**${peak.toFixed(0)} GFLOP/s** (${simd}, ${threads} threads; the highest of probes taken before each shape). GFLOP/s columns; forward counts 2·B·C1·C2·hw flops, ` +
      'loss+grad (student pair against cached teacher matrices, gradients for both maps) counts three such products. ' +
      'Median of repeated runs after a warm-up. Raw records: `bench/results/fsp-cpu.json`.',
    '',
    markdownTable(
      ['shape (B,C1,C2,h×w)', 'kernel', 'native NHWC', 'of peak', 'native NCHW', 'pure TS', 'tfjs cpu', 'native vs tfjs', 'native vs TS'],
      rows,
    ),
  ].join('\n');
}

await main();
