// The `fspd` command line.
import { Command, InvalidArgumentError } from 'commander';
import type { ConfigFlags } from '../server/config.js';
import type { DemoOptions } from './demo.js';
import { doctorReport, formatDoctor } from './doctor.js';
import { healthOptions, serveOptions, type HealthFlags } from './flags.js';

// Commander's own usage errors (unknown option, missing value, unknown command) would exit 1, which
// `fspd health` reserves for "not SERVING": every usage error exits 2. Help and --version exit 0, and
// program.error keeps the exit code it is given. Subcommands inherit this from `program`.
const program = new Command('fspd')
  .description('FSP knowledge distillation as a service')
  .exitOverride((err) => process.exit(err.exitCode === 0 || err.code === 'commander.error' ? err.exitCode : 2));

program
  .command('doctor')
  .description('print what fspd found on this machine (kernels, addon build, CUDA) and why')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
    const report = await doctorReport();
    console.log(opts.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
  });

serveOptions(program.command('serve').description('run the gRPC server (each option: flag > FSPD_* environment variable > default)'))
  .action(async (flags: ConfigFlags) => {
    // Loaded here so other commands don't pay for gRPC.
    const { loadConfig } = await import('../server/config.js');
    const { serve } = await import('../server/serve.js');
    const config = (() => {
      try {
        return loadConfig(flags);
      } catch (err) {
        return program.error(`fspd serve: ${(err as Error).message}`, { exitCode: 2 });
      }
    })();
    try {
      await serve(config);
    } catch (err) {
      // A start that fails (a TLS or token file, an address in use): one line, not a stack.
      program.error(`fspd serve: ${(err as Error).message}`, { exitCode: 1 });
    }
  });

healthOptions(program.command('health').description('check a server through grpc.health.v1 over plaintext: exit 0 when SERVING, else 1 (Docker HEALTHCHECK, exec probes)'))
  .action(async (flags: HealthFlags) => {
    const { runHealth } = await import('./health.js');
    try {
      process.exitCode = await runHealth(flags);
    } catch (err) {
      program.error(`fspd health: ${(err as Error).message}`, { exitCode: 2 });
    }
  });

program
  .command('bench')
  .description('run a benchmark, as `npm run bench:<name>`: fsp, rpc, train or clients; extra arguments pass through (e.g. --quick)')
  .argument('<name>', 'fsp, rpc, train or clients')
  .argument('[args...]', 'passed to the benchmark')
  .allowUnknownOption()
  .action(async (name: string, args: string[]) => {
    const { runBench } = await import('./bench.js');
    try {
      process.exitCode = runBench(name, args);
    } catch (err) {
      program.error(`fspd bench: ${(err as Error).message}`, { exitCode: 2 });
    }
  });

const int = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${flag}: expected an integer >= 0, got '${value}'`);
  return n;
};

const rate = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!(value.trim() !== '' && Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`${flag}: expected a learning rate > 0, got '${value}'`);
  return n;
};

const indexList = (flag: string) => (value: string) => {
  const list = value.split(',').map((v) => v.trim());
  if (!list.every((v) => /^\d+$/.test(v))) throw new InvalidArgumentError(`${flag}: expected comma-separated indices such as 0,1,2, got '${value}'`);
  return list.map(Number);
};

program
  .command('demo')
  .description('FSP distillation end to end over gRPC on the embedded MNIST digits: teacher, FSP student, baseline; prints a table, writes an SVG plot')
  .option('--teacher-depth <n>', 'teacher ResNet depth, 6n+2 (default 8)', int('--teacher-depth'))
  .option('--student-depth <n>', 'student ResNet depth (default 8)', int('--student-depth'))
  .option('--width <n>', 'channel multiplier of all models (default 1)', int('--width'))
  .option('--batch-size <n>', 'training batch size (default 32)', int('--batch-size'))
  .option('--teacher-steps <n>', 'teacher iterations (default 400)', int('--teacher-steps'))
  .option('--stage1-steps <n>', 'FSP stage-1 iterations (default 100)', int('--stage1-steps'))
  .option('--stage2-steps <n>', 'FSP stage-2 iterations; the baseline trains stage 1 + stage 2 (default 150)', int('--stage2-steps'))
  .option('--eval-every <n>', 'test evaluation interval in iterations (default 25)', int('--eval-every'))
  .option('--train-limit <n>', 'use n of the 8,004 training digits, evenly spaced (default all)', int('--train-limit'))
  .option('--test-limit <n>', 'evaluate on n of the 1,996 test digits, evenly spaced, 0 = all (default 500)', int('--test-limit'))
  .option('--stage1-limit <n>', 'FSP stage 1 draws from n training digits, so its later epochs come from the teacher-FSP cache; 0 = --train-limit (default 0)', int('--stage1-limit'))
  .option('--fsp-lr <rate>', "stage 1's first learning rate (the paper's 1e-3, ×0.1 at 11/21, ×0.01 at 16/21 of stage 1) (default 0.001)", rate('--fsp-lr'))
  .option('--reduction <mode>', 'FSP loss reduction: paper (sum over entries) or mean (default paper)')
  .option('--pairs <list>', 'FSP pairs matched in stage 1, comma-separated indices (default 0,1,2)', indexList('--pairs'))
  .option('--study <file>', "the study summary: the unset options above come from the FSP configuration it chose on validation, and the closing line states its finding (default bench/results/study-a-fast-opt.json)")
  .option('--seed <n>', 'seed of the models and the data order (default 1)', int('--seed'))
  .option('--out <dir>', 'where demo.json and demo.svg go (default fspd-demo)')
  .option('--json', 'print the result as JSON instead of the table')
  .option('--progress <mode>', 'bars (default on a terminal), lines (default otherwise) or none')
  .action(async (flags: Partial<DemoOptions>) => {
    // Loaded here so other commands don't pay for the server and tfjs. The defaults in the help texts above
    // are DEFAULT_DEMO's (test/demo.test.ts checks).
    // Unset options take the study's choice, then DEMO_DEFAULT's (the same values while the study chooses fsp-100).
    const { DEFAULT_DEMO, runDemo, checkDemoOptions, demoOptionsFromStudy } = await import('./demo.js');
    const { readStudyFile } = await import('../study/finding.js');
    let options: DemoOptions;
    try {
      const study = flags.study ?? DEFAULT_DEMO.study;
      options = checkDemoOptions({ ...DEFAULT_DEMO, ...demoOptionsFromStudy(readStudyFile(study)), ...flags, study, json: flags.json ?? false });
    } catch (err) {
      return program.error(`fspd demo: ${(err as Error).message}`, { exitCode: 2 });
    }
    await runDemo(options);
  });

await program.parseAsync();
