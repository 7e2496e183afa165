// npm run experiment:fast-opt -- --dataset mnist|cifar10 [--data DIR] [flags]
// The paper's fast-optimisation experiment (src/report/fast-opt.ts): teacher, FSP student (stage 1 then
// stage 2) and a baseline student with the same budget; test accuracy vs iteration (Figure 3).
// Writes <out>/fast-opt-<dataset>.json and .svg (default out: bench/results).
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/models/backend.js';
import { nativeInfo } from '../src/native/index.js';
import {
  checkFastOptConfig,
  defaultFastOptConfig,
  FAST_OPT_DATASETS,
  fastOptPlot,
  fastOptTable,
  loadFastOptData,
  runFastOpt,
  scaledIterations,
  type FastOptConfig,
  type FastOptDataset,
} from '../src/report/fast-opt.js';
import { duration } from '../src/report/progress.js';
import { machineLine, repoRoot } from './lib.js';

const HELP = `usage: npm run experiment:fast-opt -- [flags]
  --dataset mnist|cifar10   default mnist (the embedded digits); cifar10 needs --data
  --data DIR                CIFAR-10 binary files (data_batch_1..5.bin, test_batch.bin, or their parent folder)
  --depth N                 teacher and student depth (6n+2); default mnist 8, cifar10 26 (the paper)
  --teacher-depth N         override the teacher's depth
  --student-depth N         override the students' depth
  --width N                 channel multiplier of both (default 1)
  --batch N                 batch size (default mnist 64, cifar10 128)
  --scale F                 iterations = the paper's (64k teacher, 21k + 21k student) × F; default mnist 0.01, cifar10 1
  --teacher-iters N         override: teacher iterations
  --stage1-iters N          override: FSP stage-1 iterations
  --stage2-iters N          override: FSP stage-2 iterations (the baseline trains stage1 + stage2)
  --eval-every N            test evaluation interval in iterations (default mnist 20, cifar10 1000)
  --eval-batch N            evaluation batch size (default 500)
  --train-samples N         use N evenly spaced training samples (smoke runs)
  --test-samples N          use N evenly spaced test samples
  --seed N                  default 1
  --no-augment              no augmentation in the cross-entropy runs (stage 1 never augments)
  --backend B               auto|cpu|tensorflow|tensorflow-gpu (sets FSPD_BACKEND; default: FSPD_BACKEND or auto)
  --progress-every N        a progress line every N steps (default mnist 50, cifar10 100)
  --out DIR                 where the JSON and SVG go (default bench/results)
`;

function parse(argv: string[]): { config: FastOptConfig; out: string; backend: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: 'string' },
      data: { type: 'string' },
      depth: { type: 'string' },
      'teacher-depth': { type: 'string' },
      'student-depth': { type: 'string' },
      width: { type: 'string' },
      batch: { type: 'string' },
      scale: { type: 'string' },
      'teacher-iters': { type: 'string' },
      'stage1-iters': { type: 'string' },
      'stage2-iters': { type: 'string' },
      'eval-every': { type: 'string' },
      'eval-batch': { type: 'string' },
      'train-samples': { type: 'string' },
      'test-samples': { type: 'string' },
      seed: { type: 'string' },
      'no-augment': { type: 'boolean' },
      backend: { type: 'string' },
      'progress-every': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const dataset = (values.dataset ?? 'mnist') as FastOptDataset;
  if (!(FAST_OPT_DATASETS as readonly string[]).includes(dataset)) throw new RangeError(`--dataset: expected ${FAST_OPT_DATASETS.join(' or ')}, got ${JSON.stringify(values.dataset)}`);
  const int = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new RangeError(`--${flag}: expected an integer, got ${JSON.stringify(v)}`);
    return n;
  };
  const c = defaultFastOptConfig(dataset);
  if (values.scale !== undefined) {
    const f = Number(values.scale);
    Object.assign(c, scaledIterations(f));
  }
  const set = <K extends keyof FastOptConfig>(key: K, v: FastOptConfig[K] | undefined) => {
    if (v !== undefined) c[key] = v;
  };
  set('dataDir', values.data);
  const depth = int('depth', values.depth);
  set('teacherDepth', int('teacher-depth', values['teacher-depth']) ?? depth);
  set('studentDepth', int('student-depth', values['student-depth']) ?? depth);
  set('width', int('width', values.width));
  set('batchSize', int('batch', values.batch));
  set('teacherIterations', int('teacher-iters', values['teacher-iters']));
  set('stage1Iterations', int('stage1-iters', values['stage1-iters']));
  set('stage2Iterations', int('stage2-iters', values['stage2-iters']));
  set('evalEvery', int('eval-every', values['eval-every']));
  set('evalBatchSize', int('eval-batch', values['eval-batch']));
  set('trainSamples', int('train-samples', values['train-samples']));
  set('testSamples', int('test-samples', values['test-samples']));
  set('seed', int('seed', values.seed));
  set('progressEvery', int('progress-every', values['progress-every']));
  if (values['no-augment']) c.augment = false;
  return { config: checkFastOptConfig(c), out: path.resolve(values.out ?? path.join(repoRoot, 'bench', 'results')), backend: values.backend };
}

async function main() {
  const { config, out, backend } = parse(process.argv.slice(2));
  if (backend !== undefined) process.env.FSPD_BACKEND = backend;
  const info = await initBackend();
  const kernels = nativeInfo();
  const argv = process.argv.slice(2);
  const command = `npm run experiment:fast-opt${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  console.log(`fspd experiment:fast-opt — ${machineLine()}; tfjs backend ${info.backend}; FSP kernels ${kernels.variant} (${kernels.simd}, ${kernels.threads} threads)`);
  console.log(`config: ${JSON.stringify(config)}`);
  const t0 = performance.now();
  const data = await loadFastOptData(config);
  console.log(`data: ${data.train.name} (${data.train.size}), ${data.test.name} (${data.test.size}), loaded in ${duration(performance.now() - t0)}`);

  const result = runFastOpt(config, data, { log: (line) => console.log(line) });
  const record = {
    ...result,
    date: new Date().toISOString(),
    machine: machineLine(),
    backend: info.backend,
    tfjs_backend: tf.getBackend(),
    fsp_kernels: `${kernels.variant} (${kernels.simd}, ${kernels.threads} threads)`,
    command,
  };
  mkdirSync(out, { recursive: true });
  const base = path.join(out, `fast-opt-${config.dataset}`);
  writeFileSync(`${base}.json`, JSON.stringify(record, null, 2) + '\n');
  writeFileSync(`${base}.svg`, fastOptPlot(result));
  const rel = (p: string) => path.relative(process.cwd(), p) || p;
  console.log(`\n${fastOptTable(result)}\n`);
  console.log(
    `FSP stage 1 loss ${result.fsp_student.stage1.first_loss.toPrecision(4)} → ${result.fsp_student.stage1.final_loss.toPrecision(4)} ` +
      `(teacher matrices: ${result.fsp_student.stage1.teacher_hits} cached, ${result.fsp_student.stage1.teacher_misses} computed)`,
  );
  console.log(`total ${duration(result.total_wall_s * 1000)}; wrote ${rel(`${base}.json`)} and ${rel(`${base}.svg`)}`);
}

main().catch((err: unknown) => {
  console.error(`experiment:fast-opt: ${(err as Error).message}`);
  process.exit(1);
});
