// The options of `fspd serve` and `fspd health`, apart from their actions, so tests can parse command
// lines (e.g. a Kubernetes container's args) with the real flag set without starting anything.
import { Command } from 'commander';
import { optionHelp, SERVER_OPTIONS } from '../server/config.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds the `serve` options (one per row of SERVER_OPTIONS); their values are ConfigFlags for loadConfig. */
export function serveOptions(command: Command): Command {
  for (const o of SERVER_OPTIONS) {
    if (o.list) command.option(`--${o.flag} ${o.arg}`, optionHelp(o), collect);
    else command.option(`--${o.flag} ${o.arg}`, optionHelp(o));
  }
  return command;
}

export interface HealthFlags {
  address?: string;
  service: string;
  timeout: string;
}

/** Adds the `health` options to `command`. */
export function healthOptions(command: Command): Command {
  return command
    .option(
      '--address <address>',
      'HOST:PORT or unix:/path of a plaintext gRPC port (default: FSPD_HEALTH_ADDRESS, else the first of FSPD_ADDRESS, else 127.0.0.1:50051)',
    )
    .option('--service <name>', "the service to check; '' = the whole server", '')
    .option('--timeout <seconds>', 'give up after this long', '5');
}
