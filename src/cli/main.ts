// The `fspd` command line.
import { Command } from 'commander';
import type { ConfigFlags } from '../server/config.js';
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

const collect = (value: string, previous: string[] = []) => [...previous, value];

program
  .command('serve')
  .description('run the gRPC server (each option: flag > FSPD_* environment variable > default)')
  .option('--address <address>', 'HOST:PORT or unix:/path to listen on; repeatable (FSPD_ADDRESS, comma-separated; default 127.0.0.1:50051)', collect)
  .option('--metrics-address <host:port>', 'Prometheus /metrics HTTP address (FSPD_METRICS_ADDRESS; default 127.0.0.1:9464)')
  .option('--max-message-size <size>', 'largest message, bytes or KiB/MiB/GiB (FSPD_MAX_MESSAGE_SIZE; default 64MiB)')
  .option('--token <token>', 'require `authorization: Bearer <token>` on every call but health checks (FSPD_TOKEN, which keeps it out of `ps`)')
  .option('--tls-cert <file>', 'PEM server certificate chain (FSPD_TLS_CERT)')
  .option('--tls-key <file>', 'PEM private key (FSPD_TLS_KEY)')
  .option('--tls-ca <file>', 'PEM CA bundle; clients must present a certificate it signed (mTLS) (FSPD_TLS_CA)')
  .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (FSPD_LOG_LEVEL; default info)')
  .option('--shutdown-grace <seconds>', 'on SIGTERM/SIGINT, how long in-flight calls may finish (FSPD_SHUTDOWN_GRACE; default 20)')
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
    await serve(config);
  });

await program.parseAsync();
