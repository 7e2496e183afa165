// npm run bench:rpc — FspLoss with gradients over loopback gRPC vs the same call in-process, for request
// payloads of 64 KiB, 1 MiB and 16 MiB at concurrency 1 and 16: p50/p99 latency, MB/s (request +
// response bytes), and the longest event-loop stall while each case ran: the server's (it runs in its own
// process, bench/rpc-server.ts, as deployed) and, for the in-process rows, this process's.
// Two gRPC paths: tensors inline as bytes, and tensors in a shared-memory region (SharedMemoryService):
// each call copies the features into the region, sends refs, and reads the gradients the server wrote
// there (gradients_to) as views, as a co-located trainer would.
// Writes bench/results/rpc.json and the bench:rpc table in docs/BENCHMARKS.md.
//   --quick   fewer calls (a smoke run)
//   --payload=16MiB   only that payload (64KiB, 1MiB or 16MiB)
//   --server-node-arg=ARG   a Node flag for the server process, repeatable: e.g. --server-node-arg=--cpu-prof
//             --server-node-arg=--cpu-prof-dir=prof profiles the server while the cases run
// Partial runs (--quick, --payload) print their table and write nothing.
import { fork, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getKernels } from '../src/native/index.js';
import type { FeatureMap } from '../src/native/types.js';
import type { FspLossRequest } from '../src/generated/fspd/v1/FspLossRequest.js';
import { FspdClient } from '../src/client/client.js';
import { SharedMemoryFile } from '../src/client/shared-memory.js';
import { machineLine, markdownTable, random, updateBenchmarksDoc, writeResults } from './lib.js';

const quick = process.argv.includes('--quick');
const option = (name: string) => process.argv.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));
const onlyPayload = option('payload')[0];
const serverNodeArgs = option('server-node-arg');
const C = 32;
const SIDE = 16; // one sample's pair of 32-channel 16×16 maps is 64 KiB
const PAYLOADS = (
  [
    ['64 KiB', 1],
    ['1 MiB', 16],
    ['16 MiB', 256],
  ] as [string, number][]
).filter(([label]) => onlyPayload === undefined || label.replace(' ', '') === onlyPayload);
const CONCURRENCY = [1, 16];

type Path = 'grpc' | 'grpc-shm' | 'in-process' | 'in-process-reuse';

interface Row {
  payload: string;
  batch: number;
  concurrency: number;
  path: Path;
  calls: number;
  p50_ms: number;
  p99_ms: number;
  mb_per_s: number;
  /** The server's longest event-loop delay (gRPC rows), or this process's (in-process rows). */
  max_stall_ms: number;
}

const tensor = (data: Float32Array, shape: number[]) => ({ dtype: 'DATA_TYPE_FLOAT32' as const, shape, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Where the stall is measured: the server process over IPC, or this process. */
interface StallMeter {
  reset(): Promise<void>;
  maxMs(): Promise<number>;
}

function localStall(): StallMeter {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  return { reset: async () => histogram.reset(), maxMs: async () => histogram.max / 1e6 };
}

/** bench/rpc-server.ts in a child process: its address and its event-loop stall meter. */
async function startServerProcess(sharedMemoryDir: string): Promise<{ address: string; stall: StallMeter; stop(): Promise<void> }> {
  const child: ChildProcess = fork(new URL('./rpc-server.ts', import.meta.url).pathname, [sharedMemoryDir], { execArgv: ['--import', 'tsx', ...serverNodeArgs], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  // One request in flight at a time: each reply settles the oldest waiter.
  const waiters: Array<{ resolve: (m: unknown) => void; reject: (e: Error) => void }> = [];
  child.on('message', (m) => waiters.shift()?.resolve(m));
  child.on('exit', (code) => waiters.splice(0).forEach((w) => w.reject(new Error(`bench/rpc-server.ts exited (${code})`))));
  const next = <T>() => new Promise<T>((resolve, reject) => waiters.push({ resolve: (m) => resolve(m as T), reject }));
  const { address } = await next<{ address: string }>();
  return {
    address,
    stall: {
      reset: async () => void child.send('reset'),
      maxMs: async () => {
        child.send('stall');
        return (await next<{ stallMs: number }>()).stallMs;
      },
    },
    stop: () => new Promise((resolve) => (child.once('exit', () => resolve()), child.send('stop'))),
  };
}

/**
 * Runs `call` `total` times with `concurrency` in flight (`slot`: which of the in-flight calls, 0-based);
 * latencies, wall time and the worst loop stall.
 */
async function drive(call: (slot: number) => Promise<unknown>, total: number, concurrency: number, stall: StallMeter) {
  for (let slot = 0; slot < concurrency; slot++) await call(slot); // warm-up (each slot's memory, too)
  const latencies: number[] = [];
  let issued = 0;
  await stall.reset();
  const start = performance.now();
  const worker = async (slot: number) => {
    while (issued < total) {
      issued++;
      const t0 = performance.now();
      await call(slot);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, slot) => worker(slot)));
  const wall = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return { latencies, wall, maxStall: await stall.maxMs() };
}

async function main() {
  const kernels = getKernels();
  const shmDir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'fspd-bench-'));
  const server = await startServerProcess(shmDir);
  const local = localStall();
  const shmClient = new FspdClient({ address: server.address });
  const client = new FspdClient({ address: server.address }); // inline calls on their own connection
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
    const overGrpc = () => client.fspLoss(request);
    const inProcess = () => kernels.fspLossAsync([{ first, second }], { matrices: [teacher] }, { returnGradients: true });
    for (const concurrency of CONCURRENCY) {
      // The same call writing into gradient arrays kept per in-flight slot (gradientsInto), as the shm path does.
      const outputs = Array.from({ length: concurrency }, () => [{ first: new Float32Array(first.data.length), second: new Float32Array(second.data.length) }]);
      const inProcessReuse = (slot: number) => kernels.fspLossAsync([{ first, second }], { matrices: [teacher] }, { returnGradients: true, gradientsInto: outputs[slot]! });
      const total = Math.max(concurrency * (quick ? 1 : 4), quick ? 4 : Math.ceil(256 / batch) * 8);
      const shm = await sharedMemoryCall(shmClient, shmDir, `${payload.replace(' ', '')}-c${concurrency}`, concurrency, first, second, teacher);
      const paths = [['grpc', overGrpc], ['grpc-shm', shm.call], ['in-process', inProcess], ['in-process-reuse', inProcessReuse]] as const;
      for (const [path, call] of paths) {
        const r = await drive(call, total, concurrency, path.startsWith('in-process') ? local : server.stall);
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
  shmClient.close();
  await server.stop();
  fs.rmSync(shmDir, { recursive: true, force: true });

  const md = report(rows, kernels.variant);
  console.log(`\n${md}`);
  // A partial run leaves the records alone: the docs' table and bench/results/rpc.json stay one full run.
  if (quick || onlyPayload !== undefined) return;
  const file = writeResults('rpc.json', { date: new Date().toISOString(), machine: machineLine(), kernels: kernels.variant, rows });
  console.log(`\nwrote ${file}`);
  updateBenchmarksDoc('bench:rpc', md);
}

/**
 * The shared-memory path: one region per case with a slot per in-flight call (features, teacher matrices,
 * gradients). Each call copies the features and matrices in, sends refs, and takes the gradients as views.
 */
async function sharedMemoryCall(client: FspdClient, dir: string, region: string, slots: number, first: FeatureMap, second: FeatureMap, teacher: Float32Array) {
  const slotBytes = 2 * (first.data.byteLength + second.data.byteLength) + teacher.byteLength;
  const file = SharedMemoryFile.create(dir, region, slotBytes * slots);
  await client.registerSharedMemory(region, region, slotBytes * slots);
  const call = async (slot: number) => {
    let at = slot * slotBytes;
    const put = (data: Float32Array, shape: readonly number[]) => {
      const t = file.putFloat32(data, shape, at);
      at += data.byteLength;
      return t;
    };
    const request: FspLossRequest = {
      student: [{ first: put(first.data, first.shape), second: put(second.data, second.shape), layout: 'LAYOUT_NCHW' }],
      teacherMatrices: [put(teacher, [first.shape[0], C, C])],
      returnGradients: true,
      gradientsTo: file.ref(at),
    };
    const response = await client.fspLoss(request);
    const g = response.studentGradients[0]!;
    return [file.viewFloat32(g.first!), file.viewFloat32(g.second!)];
  };
  return { call, file };
}

function report(rows: Row[], variant: string): string {
  const find = (like: Row, path: Path) => rows.find((r) => r.payload === like.payload && r.concurrency === like.concurrency && r.path === path)!;
  const ms = (r: Row) => `${r.p50_ms.toFixed(2)} / ${r.p99_ms.toFixed(2)}`;
  const table = rows
    .filter((r) => r.path === 'grpc')
    .map((g) => {
      const shm = find(g, 'grpc-shm');
      const local = find(g, 'in-process');
      const reuse = find(g, 'in-process-reuse');
      const stall = (r: Row) => r.max_stall_ms.toFixed(1);
      const ratio = (a: Row, b: Row) => `${(a.p50_ms / b.p50_ms).toFixed(2)}×`;
      return [
        g.payload,
        g.concurrency,
        ms(local),
        ms(reuse),
        ms(g),
        ratio(g, local),
        ms(shm),
        `${ratio(shm, local)} / ${ratio(shm, reuse)}`,
        `${g.mb_per_s.toFixed(0)} / ${shm.mb_per_s.toFixed(0)} / ${local.mb_per_s.toFixed(0)}`,
        `${stall(g)} / ${stall(shm)} / ${stall(local)}`,
      ];
    });
  return [
    '## FspLoss over gRPC vs in-process (`npm run bench:rpc`)',
    '',
    `${new Date().toISOString().slice(0, 10)}, ${machineLine()}, ${variant} kernels. FspLoss with gradients, one NCHW pair of ` +
      `${C}-channel ${SIDE}×${SIDE} maps per sample (64 KiB per sample) against cached teacher matrices; the response carries the ` +
      'gradients, so MB/s counts both directions. The server runs in its own process (bench/rpc-server.ts) with its defaults (receive gate, 1 MiB HTTP/2 windows), ' +
      'the client, fspd\'s Node client (FspdClient, its defaults), in the bench\'s, over loopback TCP. ' +
      '"inline": tensors as bytes in the messages; "shm": tensors in a registered shared-memory region under /dev/shm (each call ' +
      'copies the features and matrices in, the server writes the gradients there, the client reads them as views). ' +
      '"in-process": the kernel call with new gradient arrays each time; "reused": the same writing into arrays kept per in-flight call (gradientsInto), as the shm path does. ' +
      'Stall: the longest event-loop delay while the case ran — the server\'s for the gRPC columns, the bench process\'s for in-process. Raw rows: `bench/results/rpc.json`.',
    '',
    markdownTable(
      [
        'payload',
        'concurrency',
        'in-process p50 / p99 ms',
        'reused p50 / p99 ms',
        'inline p50 / p99 ms',
        'inline / in-process',
        'shm p50 / p99 ms',
        'shm / in-process / reused',
        'MB/s inline / shm / in-process',
        'max stall ms inline / shm / in-process',
      ],
      table,
    ),
  ].join('\n');
}

await main();
