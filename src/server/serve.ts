// `fspd serve`: JSON logs, the config printed (secrets masked), the server, and SIGTERM/SIGINT → graceful
// shutdown → exit 0. A second signal kills the process the default way.
import { pino } from 'pino';
import { maskConfig, type ServerConfig } from './config.js';
import { startServer } from './server.js';

export async function serve(config: ServerConfig): Promise<void> {
  const log = pino({ name: 'fspd', level: config.logLevel });
  log.info({ config: maskConfig(config) }, 'config');
  const server = await startServer(config, log);
  const stop = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'signal received');
    server.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        log.fatal({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
