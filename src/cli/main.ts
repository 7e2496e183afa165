// The `fspd` command line.
import { Command } from 'commander';
import { doctorReport, formatDoctor } from './doctor.js';

const program = new Command('fspd').description('FSP knowledge distillation as a service');

program
  .command('doctor')
  .description('print what fspd found on this machine (kernels, addon build, CUDA) and why')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
    const report = await doctorReport();
    console.log(opts.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
  });

await program.parseAsync();
