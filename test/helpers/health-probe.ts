// A child process that checks grpc.health.v1 on argv[2] every 20 ms, and on any IPC message replies with
// the longest call and the statuses seen in order (repeats collapsed), then exits. It says {ready} after
// its first answer. Run outside the server's process so a blocked server thread cannot delay the probe.
import * as grpc from '@grpc/grpc-js';
import { loadHealthDefinition } from '../../src/proto/index.js';

type HealthClient = grpc.Client & { Check(req: { service: string }, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void): void };
const { Health } = (grpc.loadPackageDefinition(loadHealthDefinition()) as unknown as { grpc: { health: { v1: { Health: new (a: string, c: grpc.ChannelCredentials) => HealthClient } } } }).grpc.health.v1;
const client = new Health(process.argv[2]!, grpc.credentials.createInsecure());
const statuses: string[] = [];
let maxMs = 0;
let stop = false;
process.on('message', () => void (stop = true));
while (!stop) {
  const t0 = performance.now();
  const status = await new Promise<string>((resolve) => client.Check({ service: '' }, (err, res) => resolve(err ? `error ${err.code}` : res!.status)));
  maxMs = Math.max(maxMs, performance.now() - t0);
  if (statuses.at(-1) !== status) {
    statuses.push(status);
    if (statuses.length === 1 && status === 'SERVING') process.send!({ ready: true });
  }
  await new Promise((r) => setTimeout(r, 20));
}
process.send!({ maxMs, statuses });
client.close();
process.disconnect();
