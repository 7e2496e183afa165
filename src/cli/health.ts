// `fspd health`: one grpc.health.v1 Check over plaintext, exit 0 when the answer is SERVING, 1 otherwise.
// For Docker's HEALTHCHECK and Kubernetes exec probes (gRPC probes need no command, but cannot reach a
// unix socket). Point it at --health-address when the main port has TLS; health never needs a token.
import * as grpc from '@grpc/grpc-js';
import { loadHealthDefinition } from '../proto/index.js';
import type { HealthFlags } from './flags.js';

type HealthClient = grpc.Client & {
  Check(req: { service: string }, md: grpc.Metadata, options: grpc.CallOptions, cb: grpc.requestCallback<{ status: string }>): void;
};

/**
 * The address to check: --address, else FSPD_HEALTH_ADDRESS, else the first FSPD_ADDRESS, else the
 * default. A wildcard host (what a server in a container listens on) becomes loopback.
 */
export function healthTarget(address: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = address || env.FSPD_HEALTH_ADDRESS || env.FSPD_ADDRESS?.split(',')[0]?.trim() || '127.0.0.1:50051';
  return chosen.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
}

export function parseTimeout(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new RangeError(`--timeout: expected seconds > 0, got '${value}'`);
  return seconds * 1000;
}

/** The serving status `address` reports for `service`; rejects with the call's error (e.g. UNAVAILABLE). */
export function checkHealth(address: string, service: string, timeoutMs: number): Promise<string> {
  const proto = grpc.loadPackageDefinition(loadHealthDefinition()) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
  const client = new proto.grpc.health.v1.Health(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
  return new Promise<string>((resolve, reject) =>
    client.Check({ service }, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res!.status))),
  ).finally(() => client.close());
}

/** Runs the command: prints the status, returns the exit code. */
export async function runHealth(flags: HealthFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const timeoutMs = parseTimeout(flags.timeout);
  const address = healthTarget(flags.address, env);
  try {
    const status = await checkHealth(address, flags.service, timeoutMs);
    if (status === 'SERVING') {
      console.log(status);
      return 0;
    }
    console.error(`fspd health: ${address}: ${status}`);
  } catch (err) {
    const e = err as grpc.ServiceError;
    console.error(`fspd health: ${address}: ${grpc.status[e.code] ?? 'error'}: ${e.details ?? e.message}`);
  }
  return 1;
}
