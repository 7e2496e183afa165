// npm run bench:rpc — FspLoss with gradients over loopback gRPC vs the same call in-process, for request
// payloads of 64 KiB, 1 MiB and 16 MiB at concurrency 1 and 16: p50/p99 latency, MB/s (request +
// response bytes), and the longest event-loop stall of the process while each case ran. Server and
// client share this process, so the stall covers both sides' (de)serialisation.
// Writes bench/results/rpc.json and the bench:rpc table in docs/BENCHMARKS.md.
//   --quick   fewer calls (a smoke run)
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { getKernels } from '../src/native/index.js';
import type { FeatureMap } from '../src/native/types.js';
import { DEFAULT_CONFIG } from '../src/server/config.js';
import { fspdGrpcObject } from '../src/server/proto.js';
import { startServer } from '../src/server/server.js';
import type { FspLossRequest } from '../src/generated/fspd/v1/FspLossRequest.js';
import type { FspLossResponse__Output } from '../src/generated/fspd/v1/FspLossResponse.js';
import { machineLine, markdownTable, random, updateBenchmarksDoc, writeResults } from './lib.js';

const quick = process.argv.includes('--quick');
const C = 32;
const SIDE = 16; // one sample's pair of 32-channel 16×16 maps is 64 KiB
const PAYLOADS: [string, number][] = [
  ['64 KiB', 1],
  ['1 MiB', 16],
  ['16 MiB', 256],
];
const CONCURRENCY = [1, 16];

interface Row {
  payload: string;
  batch: number;
  concurrency: number;
  path: 'grpc' | 'in-process';
  calls: number;
  p50_ms: number;
  p99_ms: number;
  mb_per_s: number;
  max_stall_ms: number;
}

const tensor = (data: Float32Array, shape: number[]) => ({ dtype: 'DATA_TYPE_FLOAT32' as const, shape, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `call` `total` times with `concurrency` in flight; latencies, wall time and the worst loop stall. */
async function drive(call: () => Promise<unknown>, total: number, concurrency: number) {
  await call(); // warm-up
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  const latencies: number[] = [];
  let issued = 0;
  histogram.enable();
  const start = performance.now();
  const worker = async () => {
    while (issued < total) {
      issued++;
      const t0 = performance.now();
      await call();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wall = performance.now() - start;
  histogram.disable();
  latencies.sort((a, b) => a - b);
  return { latencies, wall, maxStall: histogram.max / 1e6 };
}

async function main() {
  const kernels = getKernels();
  const server = await startServer(
    { ...DEFAULT_CONFIG, addresses: ['127.0.0.1:0'], metricsAddress: '127.0.0.1:0', maxMessageSize: 64 * 1024 ** 2 },
    pino({ level: 'silent' }),
  );
  const Service = fspdGrpcObject().fspd.v1.FspService;
  const client = new Service(server.addresses[0]!, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 ** 2, 'grpc.max_send_message_length': 64 * 1024 ** 2 });
  console.log(`fspd bench:rpc — ${machineLine()}; kernels ${kernels.variant}`);

  const rows: Row[] = [];
  for (const [payload, batch] of PAYLOADS) {
    const shape: [number, number, number, number] = [batch, C, SIDE, SIDE];
    const first: FeatureMap = { data: random(batch * C * SIDE * SIDE, 1), shape, layout: 'NCHW' };
    const second: FeatureMap = { data: random(batch * C * SIDE * SIDE, 2), shape, layout: 'NCHW' };
    const teacher = random(batch * C * C, 3);
    const request: FspLossRequest = {
      student: [{ first: tensor(first.data, [...shape]), second: tensor(second.data, [...shape]), layout: 'LAYOUT_NCHW' }],
      teacherMatrices: [tensor(teacher, [batch, C, C])],
      returnGradients: true,
    };
    // Request and response both carry the two maps (features in, gradients out).
    const bytes = 2 * (first.data.byteLength + second.data.byteLength) + teacher.byteLength;
    const overGrpc = () =>
      new Promise<FspLossResponse__Output>((resolve, reject) => client.FspLoss(request, (err: grpc.ServiceError | null, res?: FspLossResponse__Output) => (err ? reject(err) : resolve(res!))));
    const inProcess = () => kernels.fspLossAsync([{ first, second }], { matrices: [teacher] }, { returnGradients: true });
    for (const concurrency of CONCURRENCY) {
      const total = Math.max(concurrency * (quick ? 1 : 4), quick ? 4 : Math.ceil(256 / batch) * 8);
      for (const [path, call] of [['grpc', overGrpc], ['in-process', inProcess]] as const) {
        const r = await drive(call, total, concurrency);
        const row: Row = {
          payload,
          batch,
          concurrency,
          path,
          calls: r.latencies.length,
          p50_ms: percentile(r.latencies, 50),
          p99_ms: percentile(r.latencies, 99),
          mb_per_s: (bytes * r.latencies.length) / 1e6 / (r.wall / 1000),
          max_stall_ms: r.maxStall,
        };
        rows.push(row);
        console.log(`${payload.padEnd(7)} c=${String(concurrency).padEnd(3)} ${path.padEnd(10)} p50 ${row.p50_ms.toFixed(2).padStart(8)} ms  p99 ${row.p99_ms.toFixed(2).padStart(8)} ms  ${row.mb_per_s.toFixed(0).padStart(6)} MB/s  stall ${row.max_stall_ms.toFixed(1)} ms`);
      }
    }
  }
  client.close();
  await server.shutdown(1000);

  const file = writeResults('rpc.json', { date: new Date().toISOString(), machine: machineLine(), kernels: kernels.variant, rows });
  const md = report(rows, kernels.variant);
  console.log(`\n${md}\n\nwrote ${file}`);
  if (!quick) updateBenchmarksDoc('bench:rpc', md);
}

function report(rows: Row[], variant: string): string {
  const table = rows
    .filter((r) => r.path === 'grpc')
    .map((g) => {
      const local = rows.find((r) => r.payload === g.payload && r.concurrency === g.concurrency && r.path === 'in-process')!;
      return [g.payload, g.concurrency, `${g.p50_ms.toFixed(2)} / ${g.p99_ms.toFixed(2)}`, `${local.p50_ms.toFixed(2)} / ${local.p99_ms.toFixed(2)}`, `${(g.p50_ms / local.p50_ms).toFixed(2)}×`, g.mb_per_s.toFixed(0), local.mb_per_s.toFixed(0), Math.max(g.max_stall_ms, local.max_stall_ms).toFixed(1)];
    });
  return [
    '## FspLoss over gRPC vs in-process (`npm run bench:rpc`)',
    '',
    `${new Date().toISOString().slice(0, 10)}, ${machineLine()}, ${variant} kernels. FspLoss with gradients, one NCHW pair of ` +
      `${C}-channel ${SIDE}×${SIDE} maps per sample (64 KiB per sample) against cached teacher matrices; the response carries the ` +
      'gradients, so MB/s counts both directions. Server and client share one process over loopback TCP. ' +
      'Stall: the longest event-loop delay while the case ran. Raw rows: `bench/results/rpc.json`.',
    '',
    markdownTable(['payload', 'concurrency', 'gRPC p50 / p99 ms', 'in-process p50 / p99 ms', 'gRPC / in-process (p50)', 'gRPC MB/s', 'in-process MB/s', 'max stall ms'], table),
  ].join('\n');
}

await main();
