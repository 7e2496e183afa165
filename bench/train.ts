// npm run bench:train — training-step throughput of the two-stage trainer: ResNet-26 teacher and student on
// 32×32×3 inputs, batch 64, on each available tfjs backend:
//   plain           a cross-entropy step of the student (stage 2, or a teacher's own training)
//   fsp-recomputed  a stage-1 step that runs the teacher on every batch (no cache)
//   fsp-cached      a stage-1 step whose teacher FSP matrices come from the cache (the paper's "stored")
// The modes run interleaved, round by round, so machine noise hits them alike; ratios are medians of the
// per-round ratios. FSP share: the FSP op (reading the student's maps out of the backend, the fused native
// loss+gradient kernel, the gradient tensors) timed alone on the same maps, over the stage-1 step time.
// Writes bench/results/train.json and the bench:train table in docs/BENCHMARKS.md.
//   --steps N       measured rounds on the tensorflow backends (default 15, after 2 warm-up rounds)
//   --cpu-steps N   measured rounds on the pure-JS cpu backend (default 1, after 1 warm-up round). Its
//                   Conv2DBackpropFilter is extremely slow (ResNet-8, 32×32, batch 4: ~17 s a step), so the
//                   cpu backend runs a reduced batch, and its numbers are indicative only:
//   --cpu-batch N   batch on the cpu backend (default 2; 30-40 s a ResNet-26 step)
//   --backends a,b  tfjs backends to run (default: every available one)
//   --quick         3 rounds, no docs update
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { fspLoss, type FeatureMap } from '../src/fsp/index.js';
import { initBackend } from '../src/models/backend.js';
import { buildResNet, forwardWithTaps, type TappedModel } from '../src/models/index.js';
import { getKernels, nativeInfo } from '../src/native/index.js';
import { TeacherFspCache, teacherFspMatrices, Trainer, type Schedule, type StepResult } from '../src/training/index.js';
import { machineLine, markdownTable, updateBenchmarksDoc, writeResults } from './lib.js';

const DEPTH = 26;
const BATCH = 64;
const SHAPE: [number, number, number] = [32, 32, 3];
const MODES = ['plain', 'fsp-recomputed', 'fsp-cached'] as const;
type Mode = (typeof MODES)[number];

interface Record {
  backend: string;
  mode: Mode;
  batch: number;
  images_per_s: number;
  /** Median over the measured rounds. */
  ms_per_step: number;
  ms_min: number;
  /** Median of (this mode's step / the plain step of the same round). */
  ratio_to_plain: number;
  /** FSP op time / this mode's step time (null for plain). */
  fsp_share: number | null;
  /** Median StepResult.teacherMs: cache lookups + teacher forward + teacher FSP matrices (stage 1 only). */
  teacher_ms: number | null;
  steps: number;
}

interface Breakdown {
  backend: string;
  /** The FSP op alone (tf.grads of fspLoss on the student's maps vs cached matrices): reads, kernel, gradient tensors. */
  fsp_op_ms: number;
  /** The fused native kernel alone on the same arrays (loss + student gradients). */
  fsp_kernel_ms: number;
  /** Reading the 4 tapped maps out of the backend once each, and 6 times as the op does (tap 1 and 2 sit in two pairs). */
  read_maps_ms: number;
  read_pair_maps_ms: number;
  /** fsp-cached − plain per round (median), and what is left of it after the op and the teacher-matrix assembly. */
  cached_extra_ms: number;
  unexplained_ms: number;
}

const { values } = parseArgs({
  options: { steps: { type: 'string' }, 'cpu-steps': { type: 'string' }, 'cpu-batch': { type: 'string' }, backends: { type: 'string' }, quick: { type: 'boolean' } },
  strict: true,
});
const quick = values.quick ?? false;
const rounds = (backend: string) => Number(backend === 'cpu' ? (values['cpu-steps'] ?? 1) : (values.steps ?? (quick ? 3 : 15)));
const warmups = (backend: string) => (backend === 'cpu' ? 1 : 2);
const batchOf = (backend: string) => (backend === 'cpu' ? Number(values['cpu-batch'] ?? 2) : BATCH);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
// A tiny constant rate: the weights stay sane over many steps on random data; the rate does not change the cost.
const FLAT: Schedule = { values: [1e-4], boundaries: [], total: 1_000_000 };

async function main() {
  const info = await initBackend();
  const available = [...new Set([info.backend!, 'cpu'])];
  const backends = values.backends ? values.backends.split(',').map((b) => b.trim()) : available;
  for (const b of backends) if (!available.includes(b)) throw new Error(`--backends: '${b}' is not available here (available: ${available.join(', ')})`);
  const k = nativeInfo();
  console.log(`fspd bench:train — ${machineLine()}; FSP kernels ${k.variant} (${k.simd}, ${k.threads} threads); ResNet-${DEPTH} teacher and student, ${SHAPE.join('×')}, batch ${BATCH} (cpu: ${batchOf('cpu')})`);

  const records: Record[] = [];
  const breakdowns: Breakdown[] = [];
  for (const backend of backends) {
    await tf.setBackend(backend === 'cpu' ? 'cpu' : 'tensorflow');
    const { recs, breakdown } = benchBackend(backend);
    records.push(...recs);
    breakdowns.push(breakdown);
  }

  const file = writeResults('train.json', { date: new Date().toISOString(), machine: machineLine(), depth: DEPTH, batch: BATCH, input: SHAPE, fsp_kernels: `${k.variant} (${k.simd}, ${k.threads} threads)`, records, breakdowns });
  const md = report(records, breakdowns);
  console.log(`\n${md}\n\nwrote ${file}`);
  if (!quick) updateBenchmarksDoc('bench:train', md);
}

function benchBackend(backend: string): { recs: Record[]; breakdown: Breakdown } {
  const n = rounds(backend);
  const batch = batchOf(backend);
  const teacher = buildResNet({ depth: DEPTH, inputShape: SHAPE, seed: 1 });
  const student = buildResNet({ depth: DEPTH, inputShape: SHAPE, seed: 2 });
  const images = tf.tidy(() => tf.randomNormal([batch, ...SHAPE], 0, 1, 'float32', 7)) as tf.Tensor4D;
  const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
  const ids = Array.from({ length: batch }, (_, i) => `bench:${i}`);
  const cache = new TeacherFspCache();
  const trainers: { [m in Mode]: Trainer } = {
    plain: new Trainer({ student, stage: 'cross_entropy', schedules: { cross_entropy: FLAT } }),
    'fsp-recomputed': new Trainer({ teacher, student, cache: null, schedules: { fsp: FLAT } }),
    'fsp-cached': new Trainer({ teacher, student, cache, teacherId: 'bench-teacher', schedules: { fsp: FLAT } }),
  };
  // Fill the cache as a first epoch would (one teacher pass), so that every measured cached step hits.
  teacherFspMatrices(teacher, { images, ids }, { cache, teacherKey: trainers['fsp-cached'].teacherKey, pooling: 'max' });
  const step = (m: Mode): StepResult => (m === 'plain' ? trainers[m].step({ images, labels }) : trainers[m].step({ images, ids }));

  const ms: { [m in Mode]: number[] } = { plain: [], 'fsp-recomputed': [], 'fsp-cached': [] };
  const teacherMs: { [m in Mode]: number[] } = { plain: [], 'fsp-recomputed': [], 'fsp-cached': [] };
  const total = warmups(backend) + n;
  const t0 = performance.now();
  for (let r = 0; r < total; r++) {
    const line: string[] = [];
    for (const m of MODES) {
      const s0 = performance.now();
      const res = step(m);
      const dt = performance.now() - s0;
      if (m === 'fsp-cached' && res.teacherMisses !== 0) throw new Error(`fsp-cached: the cache missed ${res.teacherMisses} samples`);
      line.push(`${m} ${dt.toFixed(0)} ms`);
      if (r < warmups(backend)) continue;
      ms[m].push(dt);
      if (res.teacherMs !== undefined) teacherMs[m].push(res.teacherMs);
    }
    console.log(`[${backend}] round ${r + 1}/${total}${r < warmups(backend) ? ' (warm-up)' : ''}: ${line.join(', ')}  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  for (const t of Object.values(trainers)) t.dispose();

  const breakdown = profileFsp(backend, student, batch, n, ms);
  const recs = MODES.map((m): Record => {
    const med = median(ms[m]);
    return {
      backend,
      mode: m,
      batch,
      images_per_s: batch / (med / 1000),
      ms_per_step: med,
      ms_min: Math.min(...ms[m]),
      ratio_to_plain: median(ms[m].map((v, i) => v / ms.plain[i]!)),
      fsp_share: m === 'plain' ? null : breakdown.fsp_op_ms / med,
      teacher_ms: teacherMs[m].length ? median(teacherMs[m]) : null,
      steps: ms[m].length,
    };
  });
  const cachedTeacher = recs.find((r) => r.mode === 'fsp-cached')!.teacher_ms ?? 0;
  breakdown.unexplained_ms = breakdown.cached_extra_ms - breakdown.fsp_op_ms - cachedTeacher;
  tf.dispose(images);
  teacher.model.dispose();
  student.model.dispose();
  return { recs, breakdown };
}

/** The FSP op and its parts, alone, on the student's own maps for this batch (training-mode forward). */
function profileFsp(backend: string, student: TappedModel, batch: number, rounds: number, ms: { [m in Mode]: number[] }): Breakdown {
  const images = tf.tidy(() => tf.randomNormal([batch, ...SHAPE], 0, 1, 'float32', 8)) as tf.Tensor4D;
  const { logits, features } = forwardWithTaps(student, images, { training: false });
  const pairs = student.pairs.map(([a, b]) => [features[a]!, features[b]!] as [tf.Tensor4D, tf.Tensor4D]);
  const matrices = tf.tidy(() => pairs.map(([a, b]) => tf.randomNormal([batch, a.shape[3], b.shape[3]], 0, 0.1, 'float32', 9) as tf.Tensor3D));
  const reps = backend === 'cpu' ? Math.max(3, rounds) : Math.max(5, rounds);
  const opGrads = tf.grads((...fs: tf.Tensor[]) => {
    const ps = student.pairs.map(([a, b]) => [fs[a], fs[b]] as [tf.Tensor4D, tf.Tensor4D]);
    return fspLoss(ps, matrices);
  });
  // Reading the gradients back forces any lazy upload, as the backward pass would.
  const op = median(repeat(reps, () => tf.tidy(() => opGrads(features).forEach((g) => g.dataSync()))));
  const maps = pairs.map(([a, b]) => ({ first: arrays(a), second: arrays(b) }));
  const mats = matrices.map((m) => m.dataSync() as Float32Array);
  const kernel = median(repeat(reps, () => getKernels().fspLoss(maps, { matrices: mats }, { returnGradients: true })));
  const readMaps = median(repeat(reps, () => features.forEach((f) => f.dataSync())));
  const readPairMaps = median(repeat(reps, () => pairs.flat().forEach((f) => f.dataSync())));
  tf.dispose([images, logits, ...features, ...matrices]);
  return {
    backend,
    fsp_op_ms: op,
    fsp_kernel_ms: kernel,
    read_maps_ms: readMaps,
    read_pair_maps_ms: readPairMaps,
    cached_extra_ms: median(ms['fsp-cached'].map((v, i) => v - ms.plain[i]!)),
    unexplained_ms: 0,
  };
}

const arrays = (t: tf.Tensor4D): FeatureMap => ({ data: t.dataSync() as Float32Array, shape: t.shape, layout: 'NHWC' });

function repeat(n: number, f: () => unknown): number[] {
  f(); // warm-up
  return Array.from({ length: n }, () => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  });
}

function report(records: Record[], breakdowns: Breakdown[]): string {
  const rows = records.map((r) => [
    r.backend,
    r.mode,
    String(r.batch),
    r.ms_per_step.toFixed(0),
    r.ms_min.toFixed(0),
    r.images_per_s.toPrecision(3),
    `${r.ratio_to_plain.toFixed(2)}×`,
    r.teacher_ms === null ? '—' : r.teacher_ms.toFixed(1),
    r.fsp_share === null ? '—' : `${(100 * r.fsp_share).toPrecision(2)}%`,
    String(r.steps),
  ]);
  const bRows = breakdowns.map((b) => [
    b.backend,
    b.cached_extra_ms.toFixed(0),
    b.fsp_op_ms.toFixed(1),
    b.fsp_kernel_ms.toFixed(1),
    `${b.read_pair_maps_ms.toFixed(1)} (${b.read_maps_ms.toFixed(1)})`,
    b.unexplained_ms.toFixed(0),
  ]);
  const verdict = records
    .filter((r) => r.backend !== 'cpu' && r.mode === 'fsp-cached')
    .map(
      (r) =>
        `**${r.backend}**: cached stage-1 / plain = **${r.ratio_to_plain.toFixed(2)}** (target ≤ 1.15: ${r.ratio_to_plain <= 1.15 ? 'met' : 'missed'}; the paper: 1.19), ` +
        `recomputed / plain = ${records.find((o) => o.backend === r.backend && o.mode === 'fsp-recomputed')!.ratio_to_plain.toFixed(2)} (the paper: 2.19); ` +
        `FSP op share of a cached stage-1 step = **${(100 * r.fsp_share!).toFixed(1)}%** (target ≤ 10%: ${r.fsp_share! <= 0.1 ? 'met' : 'missed'}).`,
    );
  const why = records
    .filter((r) => r.backend !== 'cpu' && r.mode === 'fsp-recomputed')
    .map((r) => {
      const plain = records.find((o) => o.backend === r.backend && o.mode === 'plain')!;
      return (
        `Why recomputing the teacher costs less here than in the paper (${r.backend}): the teacher's inference forward plus its FSP matrices ` +
        `take ${r.teacher_ms!.toFixed(0)} ms, ${((100 * r.teacher_ms!) / plain.ms_per_step).toFixed(0)}% of a plain training step, because a tfjs ` +
        'training step is dominated by its backward pass (BatchNorm and ReLU gradients run as many separate elementwise ops).'
      );
    });
  return [
    '## Training steps (`npm run bench:train`)',
    '',
    `${new Date().toISOString().slice(0, 10)}, ${machineLine()}. ResNet-${DEPTH} teacher and student, ${SHAPE.join('×')} inputs, batch ${BATCH} ` +
      `(the pure-JS cpu backend: batch ${batchOf('cpu')}, ${rounds('cpu')} measured round after a warm-up round, because its Conv2DBackpropFilter makes a ResNet-26 step take 30-40 s even at that batch: indicative only), ` +
      'random data. The modes run interleaved round by round (noise hits them alike); ms/step is the median, "vs plain" the median of ' +
      'per-round ratios. Teacher ms: StepResult.teacherMs (cache lookups, or the teacher forward + its FSP matrices). FSP share: the FSP op ' +
      '(map reads out of the backend, fused native loss+gradient kernel, gradient tensors) timed alone on the same maps, over the step. ' +
      'Raw records: `bench/results/train.json`.',
    '',
    markdownTable(['backend', 'mode', 'batch', 'ms/step', 'min ms', 'images/s', 'vs plain', 'teacher ms', 'FSP op share', 'rounds'], rows),
    '',
    ...verdict,
    '',
    ...why,
    '',
    'Where the cached stage-1 step spends its extra time over a plain step (ms, medians):',
    '',
    markdownTable(['backend', 'cached − plain', 'FSP op alone', 'of which kernel', 'map reads 6× (4 unique)', 'rest'], bRows),
  ].join('\n');
}

await main();
