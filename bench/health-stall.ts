// How late grpc.health.v1 answers while the server trains: stage-1 TrainStep on a ResNet-<depth> teacher
// (CIFAR-shaped, batch 64) and a ResNet-8 student, 5 steps, with probes in child processes
// (test/helpers/health-probe.ts, a Check every 20 ms) on the main port and on the --health-address port,
// which has its own thread. Run: node --import tsx bench/health-stall.ts [depth=26]  (FSPD_BACKEND picks tfjs')
import { fork } from 'node:child_process';
import { FspdClient } from '../src/client/client.js';
import { startTestServer } from '../test/helpers/server.js';

const depth = Number(process.argv[2] ?? 26);
const server = await startTestServer({ healthAddress: '127.0.0.1:0' });
const client = new FspdClient({ address: server.addresses[0]! });

async function probe(address: string) {
  const child = fork(new URL('../test/helpers/health-probe.ts', import.meta.url).pathname, [address], { execArgv: ['--import', 'tsx'] });
  const next = () => new Promise<{ maxMs: number; statuses: string[] }>((resolve) => child.once('message', resolve as never));
  await next(); // it has seen SERVING
  return { result: () => (child.send('stop'), next()) };
}

const spec = (d: number, seed: number) => ({ depth: d, widthMultiplier: 1, numClasses: 10, inputShape: [32, 32, 3], seed });
await client.createModel({ modelId: 'teacher', resnet: spec(depth, 1) });
await client.createModel({ modelId: 'student', resnet: spec(8, 2) });
await client.createSession({ sessionId: 's', spec: { studentModelId: 'student', teacherModelId: 'teacher', seed: 3 } });
const batch = 64;
const images = { dtype: 'DATA_TYPE_FLOAT32' as const, shape: [batch, 32, 32, 3], data: Buffer.from(Float32Array.from({ length: batch * 32 * 32 * 3 }, (_, i) => Math.sin(i)).buffer) };
const mainPort = await probe(server.addresses[0]!);
const healthPort = await probe(server.healthAddress!);
const t0 = performance.now();
for (let i = 0; i < 5; i++) await client.trainStep('s', { images });
const stepMs = (performance.now() - t0) / 5;
const [main, side] = [await mainPort.result(), await healthPort.result()];
console.log(`ResNet-${depth} teacher, batch ${batch}: stage-1 step ${stepMs.toFixed(0)} ms; longest health check: main port ${main.maxMs.toFixed(0)} ms, health port ${side.maxMs.toFixed(0)} ms (statuses ${side.statuses.join(' → ')})`);
client.close();
await server.shutdown();
