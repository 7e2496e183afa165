// The options of `fspd serve` and `fspd health`, apart from their actions, so tests can parse command
// lines (e.g. a Kubernetes container's args) with the real flag set without starting anything.
import { Command } from 'commander';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds the `serve` options to `command`; their values are ConfigFlags for loadConfig. */
export function serveOptions(command: Command): Command {
  return command
    .option('--address <address>', 'HOST:PORT or unix:/path to listen on; repeatable (FSPD_ADDRESS, comma-separated; default 127.0.0.1:50051)', collect)
    .option('--metrics-address <host:port>', 'Prometheus /metrics HTTP address (FSPD_METRICS_ADDRESS; default 127.0.0.1:9464)')
    .option(
      '--health-address <host:port>',
      'extra plaintext gRPC port with grpc.health.v1 only, no token or TLS, for Kubernetes gRPC probes; served on its own thread (FSPD_HEALTH_ADDRESS; default none)',
    )
    .option(
      '--health-stall-limit <seconds>',
      'the health port says NOT_SERVING while the main thread has been blocked longer than this (FSPD_HEALTH_STALL_LIMIT; default 60)',
    )
    .option('--max-message-size <size>', 'largest message, bytes or KiB/MiB/GiB (FSPD_MAX_MESSAGE_SIZE; default 64MiB)')
    .option('--token <token>', 'require `authorization: Bearer <token>` on every call but health checks (FSPD_TOKEN, which keeps it out of `ps`)')
    .option('--tls-cert <file>', 'PEM server certificate chain (FSPD_TLS_CERT)')
    .option('--tls-key <file>', 'PEM private key (FSPD_TLS_KEY)')
    .option('--tls-ca <file>', 'PEM CA bundle; clients must present a certificate it signed (mTLS) (FSPD_TLS_CA)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (FSPD_LOG_LEVEL; default info)')
    .option('--shutdown-grace <seconds>', 'on SIGTERM/SIGINT, how long in-flight calls may finish (FSPD_SHUTDOWN_GRACE; default 20)')
    .option('--checkpoint-dir <dir>', 'where models and sessions persist: saved at shutdown, restored at start (FSPD_CHECKPOINT_DIR; default none: a temporary directory)')
    .option('--data-dir <dir>', 'root of the datasets Run and Evaluate read; DatasetSpec.path is relative to it (FSPD_DATA_DIR; default data)')
    .option('--max-models <n>', 'most models held (FSPD_MAX_MODELS; default 64)')
    .option('--max-sessions <n>', 'most training sessions (FSPD_MAX_SESSIONS; default 16)')
    .option('--max-memory <size>', 'tfjs tensors plus teacher-FSP caches, bytes or KiB/MiB/GiB (FSPD_MAX_MEMORY; default 8GiB)')
    .option('--teacher-cache-size <size>', 'teacher FSP matrices kept per session and for TeacherFsp (FSPD_TEACHER_CACHE_SIZE; default 256MiB)')
    .option(
      '--shared-memory-dir <dir>',
      'directory (a tmpfs, e.g. /dev/shm/fspd) whose files co-located clients may register as shared-memory tensor regions (FSPD_SHARED_MEMORY_DIR; default off)',
    )
    .option('--logdir <dir>', 'TensorBoard event files of every session (SessionSpec.tensorboard) under <dir>/<session id> (FSPD_LOGDIR; default none)');
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
