// npm run study -- <config.json> [flags]
// Runs (or continues) a study (src/study): every configuration × seed, resumably; writes the records to the
// state folder as they finish, and after every run the summary (mean ± 95 % CI, paired differences against
// scratch, validation choices) to <out>/study-<name>.json and .svg.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../src/data/index.js';
import { initBackend } from '../src/models/backend.js';
import { nativeInfo } from '../src/native/index.js';
import { writeFileAtomic } from '../src/io/atomic-write.js';
import { duration } from '../src/report/progress.js';
import { carveValidation, importRecords, loadStudyConfig, readRecords, runStudy, StudyInterrupted, studyPlot, studyTables, summarizeStudy, type StudyConfig } from '../src/study/index.js';
import { machineLine, repoRoot } from './lib.js';

const HELP = `usage: npm run study -- <config.json> [flags]
  --state DIR          the study's records and teacher checkpoints (default .study/<name>); rerunning continues
  --out DIR            where study-<name>.json and .svg go (default bench/results)
  --seeds N            run seeds 1..N only this time (a piece of the study)
  --arms A,B           run only these arms this time (a piece of the study)
  --max-runs N         stop cleanly after N more finished runs (teachers count as runs)
  --summary-only       write the summary of what is there; train nothing
  --import FILE,...    first copy the records of results files (bench/results/study-*.json) into the state folder
                       (records it has are kept; teachers are retrained when an arm needs one: weights are not in
                       the results file) — to extend a committed study on a machine without its state folder
  --logdir DIR         TensorBoard event files per run: DIR/<arm>/seed<k> (loss, per-pair FSP loss, learning rate,
                       accuracy, teacher-cache hits; validation and test accuracy at the end)
  --backend B          auto|cpu|tensorflow|tensorflow-gpu (sets FSPD_BACKEND)
  --progress-every N   a progress line every N steps (default 50)
Ctrl-C stops after the current step; finished runs are kept and the next start continues.
`;

async function writeSummary(config: StudyConfig, state: string, out: string, extra: Record<string, unknown>) {
  const records = readRecords(config, state);
  const summary = summarizeStudy(config, records);
  fs.mkdirSync(out, { recursive: true });
  const base = path.join(out, `study-${config.name}`);
  await writeFileAtomic(`${base}.json`, `${JSON.stringify({ study: config.name, ...extra, config, summary, teachers: records.teachers, runs: records.runs }, null, 2)}\n`);
  await writeFileAtomic(`${base}.svg`, studyPlot(config, summary));
  return { summary, files: [`${base}.json`, `${base}.svg`] };
}

async function main() {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      state: { type: 'string' },
      out: { type: 'string' },
      seeds: { type: 'string' },
      'max-runs': { type: 'string' },
      arms: { type: 'string' },
      'summary-only': { type: 'boolean' },
      import: { type: 'string' },
      backend: { type: 'string' },
      logdir: { type: 'string' },
      'progress-every': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(HELP);
  if (positionals.length !== 1) throw new RangeError(`expected one study config file, got ${positionals.length}\n${HELP}`);
  const int = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(Number.isSafeInteger(n) && n >= 1)) throw new RangeError(`--${flag}: expected a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
  const config = loadStudyConfig(positionals[0]!);
  const state = path.resolve(values.state ?? path.join(repoRoot, '.study', config.name));
  const out = path.resolve(values.out ?? path.join(repoRoot, 'bench', 'results'));
  const seedLimit = int('seeds', values.seeds);
  const maxRuns = int('max-runs', values['max-runs']);
  const progressEvery = int('progress-every', values['progress-every']);
  if (values.backend !== undefined) process.env.FSPD_BACKEND = values.backend;
  const info = await initBackend();
  const kernels = nativeInfo();
  const command = `npm run study -- ${process.argv.slice(2).join(' ')}`;
  const extra = { command, date: new Date().toISOString(), machine: machineLine(), backend: info.backend, tfjs_backend: tf.getBackend(), fsp_kernels: `${kernels.variant} (${kernels.simd}, ${kernels.threads} threads)` };
  console.log(`fspd study ${config.name} — ${machineLine()}; tfjs backend ${info.backend}; state ${state}`);
  for (const file of values.import?.split(',') ?? []) {
    const n = await importRecords(config, path.resolve(file), state);
    console.log(`imported from ${file}: ${n.runs} runs, ${n.teachers} teachers (${n.present} already there, ${n.skipped} not in this config or with other settings)`);
  }
  if (values['summary-only']) {
    const { summary, files } = await writeSummary(config, state, out, extra);
    console.log(`\n${studyTables(summary)}\n\nwrote ${files.join(' and ')}`);
    return;
  }
  const splits = carveValidation(loadMnist('train'), loadMnist('test'), config.validation);
  let stop = false;
  process.on('SIGINT', () => {
    if (stop) process.exit(130);
    stop = true;
    console.log('\nstopping after this step (Ctrl-C again to quit at once; finished runs are kept)');
  });
  let finished = 0;
  const t0 = performance.now();
  try {
    await runStudy(config, splits, state, {
      log: (line) => console.log(line),
      shouldStop: () => stop,
      startNextRun: () => maxRuns === undefined || finished < maxRuns,
      onRunDone: async () => {
        finished++;
        await writeSummary(config, state, out, extra);
      },
      ...(seedLimit ? { seedLimit } : {}),
      ...(values.arms ? { arms: values.arms.split(',').map((a) => a.trim()) } : {}),
      ...(values.logdir ? { logdir: path.resolve(values.logdir) } : {}),
      ...(progressEvery ? { progressEvery } : {}),
    });
  } catch (err) {
    if (!(err instanceof StudyInterrupted)) throw err;
    console.log(err.message);
    process.exitCode = 130;
  }
  const { summary, files } = await writeSummary(config, state, out, extra);
  console.log(`\n${studyTables(summary)}\n\n${finished} runs finished in ${duration(performance.now() - t0)}; wrote ${files.join(' and ')}`);
}

main().catch((err) => {
  console.error(`study: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
