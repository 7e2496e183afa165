// A mixed-load soak of an in-process fspd server over loopback gRPC: FspLoss (inline and through a
// shared-memory region with gradients_to), ComputeFsp, TeacherFsp with sample ids (its cache fills and
// evicts), TrainStep on an FSP session, save and restore checkpoints, model uploads and deletes, and
// shared-memory regions registered, used and unregistered. Each kind of work runs in its own loop.
//
// The figures are taken at quiet points (every loop stopped): once after a warm-up, once at the end. Between
// them (each after a full garbage collection) the process's RSS may grow by at most a bound, and the tfjs tensor count and the memory budget's
// reserved bytes must come back exactly: a leak in any path shows as growth there. Used by
// test/soak.test.ts (a short run) and test/soak/main.ts (`npm run soak -- --minutes N`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { pino } from 'pino';
import { FspdClient, toBatch } from '../../src/client/index.js';
import { DEFAULT_CONFIG } from '../../src/server/config.js';
import { startServer, type FspdServer } from '../../src/server/server.js';
import type { FeaturePair } from '../../src/generated/fspd/v1/FeaturePair.js';
import type { Tensor } from '../../src/generated/fspd/v1/Tensor.js';

export interface SoakOptions {
  /** Length of the measured phase. */
  durationMs: number;
  /** Load before the first measurement (caches, pools and JIT settle). */
  warmupMs: number;
  /** Progress lines (the CLI prints them; the test stays quiet). */
  log?: (line: string) => void;
  /** Run only these kinds of work (names as in SoakReport.calls); default all. */
  only?: readonly string[];
}

export interface SoakFigures {
  rssBytes: number;
  /** V8's live heap and the memory of ArrayBuffers and other external objects (where RSS growth comes from). */
  heapUsedBytes: number;
  externalBytes: number;
  tensors: number;
  reservedBytes: number;
}

export interface SoakReport {
  /** Calls completed per kind of work, in the measured phase. */
  calls: Record<string, number>;
  /** Calls that failed (warm-up included), by kind and message (none expected). */
  errors: Record<string, number>;
  warm: SoakFigures;
  end: SoakFigures;
  /** Largest RSS sampled during the measured phase. */
  maxRssBytes: number;
  seconds: number;
}

const TINY = { depth: 8, inputShape: [8, 8, 1] };

/**
 * A full garbage collection before each quiet-point figure, so RSS compares live memory rather than when V8
 * last collected (mapped regions, too, are unmapped when their buffers are collected). `--expose-gc` set at
 * run time: the test runner starts test files without it.
 */
const collectGarbage = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();
const REGION_BYTES = 256 * 1024;

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

const tensor = (data: Float32Array, shape: number[]): Tensor => ({ dtype: 'DATA_TYPE_FLOAT32', shape, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });

/** A student/teacher pair of NHWC maps: [b, 8, 8, c1] and [b, 4, 4, c2] (the second pooled to the first's size is not needed: the larger is pooled). */
function pairOf(seed: number, b = 8, c1 = 16, c2 = 32): FeaturePair {
  return { first: tensor(seeded(b * 8 * 8 * c1, seed), [b, 8, 8, c1]), second: tensor(seeded(b * 4 * 4 * c2, seed + 1), [b, 4, 4, c2]), layout: 'LAYOUT_NHWC' };
}

const images = (n: number, seed: number) => toBatch({ data: seeded(n * 64, seed), shape: [n, 8, 8, 1] }, Array.from({ length: n }, (_, i) => (seed + i) % 10));

/** The loops: each takes the client and an iteration number and makes one round of its calls. */
function workloads(client: FspdClient, shmDir: string, exported: Awaited<ReturnType<FspdClient['exportModel']>>) {
  return {
    fspLoss: async (i: number) => {
      const r = await client.fspLoss({ student: [pairOf(i)], teacher: [pairOf(i + 7)], returnGradients: true, returnTeacherMatrices: true });
      if (!Number.isFinite(r.loss)) throw new Error(`loss ${r.loss}`);
    },
    computeFsp: async (i: number) => {
      await client.computeFsp({ pairs: [pairOf(i), pairOf(i + 3, 4, 8, 8)] });
    },
    teacherFsp: async (i: number) => {
      // 64 distinct sample ids: the cache (1 MiB) keeps some and evicts others.
      const ids = Array.from({ length: 8 }, (_, k) => `s${(i * 8 + k) % 64}`);
      await client.teacherFsp({ modelId: 'teacher', images: images(8, i % 8).images, sampleIds: ids });
    },
    train: async (i: number) => {
      const batch = images(8, i);
      await client.trainStep('soak', { ...batch, sampleIds: Array.from({ length: 8 }, (_, k) => `t${(i * 8 + k) % 32}`) });
      if (i % 10 === 0) await client.saveCheckpoint('soak', `c${(i / 10) % 3}`);
      if (i % 20 === 5) await client.restoreCheckpoint('soak');
    },
    upload: async (i: number) => {
      const id = `up-${i % 2}`;
      await client.uploadModel(exported, id);
      await client.deleteModel(id);
    },
    region: async (i: number) => {
      // A file written as a co-located client would, registered, used by FspLoss (inputs and gradients), unregistered.
      const name = `r${i % 4}`;
      const file = path.join(shmDir, name);
      const student = { first: seeded(8 * 64 * 16, i), second: seeded(8 * 16 * 32, i + 1) };
      const bytes = Buffer.alloc(REGION_BYTES);
      Buffer.from(student.first.buffer).copy(bytes, 0);
      Buffer.from(student.second.buffer).copy(bytes, student.first.byteLength);
      fs.writeFileSync(file, bytes);
      await client.registerSharedMemory(name, name, REGION_BYTES);
      try {
        const ref = (offset: number, shape: number[]): Tensor => ({ dtype: 'DATA_TYPE_FLOAT32', shape, sharedMemory: { region: name, offset } });
        const gradientsAt = student.first.byteLength + student.second.byteLength;
        await client.fspLoss({
          student: [{ first: ref(0, [8, 8, 8, 16]), second: ref(student.first.byteLength, [8, 4, 4, 32]), layout: 'LAYOUT_NHWC' }],
          teacher: [pairOf(i + 11)],
          returnGradients: true,
          gradientsTo: { region: name, offset: gradientsAt },
        });
      } finally {
        await client.unregisterSharedMemory(name);
        fs.rmSync(file, { force: true });
      }
    },
  };
}

async function reservedBytes(server: FspdServer): Promise<number> {
  const text = await (await fetch(`http://${server.metricsAddress}/metrics`)).text();
  const m = /^fspd_memory_reserved_bytes (\S+)$/m.exec(text);
  if (!m) throw new Error('fspd_memory_reserved_bytes is not in /metrics');
  return Number(m[1]);
}

/**
 * Runs every workload in its own loop until `ms` have passed and it has made at least `minRounds` rounds;
 * counts calls and errors. Each workload numbers its own rounds, continuing across phases (`next`).
 */
async function drive(
  loads: Record<string, (i: number) => Promise<void>>,
  { ms, minRounds = 0, next, calls, errors, onTick }: { ms: number; minRounds?: number; next: Record<string, number>; calls: Record<string, number>; errors: Record<string, number>; onTick?: () => void },
): Promise<void> {
  const end = Date.now() + ms;
  const ticker = onTick ? setInterval(onTick, 250) : undefined;
  try {
    await Promise.all(
      Object.entries(loads).map(async ([kind, run]) => {
        for (let rounds = 0; Date.now() < end || rounds < minRounds; rounds++) {
          const i = (next[kind] = (next[kind] ?? -1) + 1);
          try {
            await run(i);
            calls[kind] = (calls[kind] ?? 0) + 1;
          } catch (err) {
            const key = `${kind}: ${(err as Error).message.slice(0, 200)}`;
            errors[key] = (errors[key] ?? 0) + 1;
          }
        }
      }),
    );
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

/** Warm-up rounds per workload at least: every path of every loop (checkpoint save and restore included) runs before the first figures. */
const WARMUP_ROUNDS = 25;

export async function soak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const shmDir = fs.mkdtempSync(path.join(base, 'fspd-soak-shm-'));
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-soak-state-'));
  const server = await startServer(
    { ...DEFAULT_CONFIG, addresses: ['127.0.0.1:0'], metricsAddress: '127.0.0.1:0', checkpointDir: stateDir, sharedMemoryDir: shmDir, teacherCacheSize: 1024 * 1024, shutdownGraceMs: 5000 },
    pino({ level: 'silent' }),
  );
  const client = new FspdClient({ address: server.addresses[0]!, deadlineMs: 60_000 });
  try {
    await client.createModel({ modelId: 'teacher', resnet: { ...TINY, seed: 1 } });
    await client.createModel({ modelId: 'student', resnet: { ...TINY, seed: 2 } });
    await client.createSession({ sessionId: 'soak', spec: { studentModelId: 'student', teacherModelId: 'teacher', seed: 3 } });
    const exported = await client.exportModel('teacher');
    const all = workloads(client, shmDir, exported);
    const unknown = options.only?.filter((k) => !(k in all)) ?? [];
    if (unknown.length > 0) throw new RangeError(`only: no workload ${unknown.join(', ')}; there are ${Object.keys(all).join(', ')}`);
    const loads = Object.fromEntries(Object.entries(all).filter(([k]) => !options.only || options.only.includes(k))) as typeof all;
    const next: Record<string, number> = {};
    const figures = async (): Promise<SoakFigures> => {
      collectGarbage();
      const m = process.memoryUsage();
      return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external, tensors: tf.memory().numTensors, reservedBytes: await reservedBytes(server) };
    };

    log(`warm-up ${(options.warmupMs / 1000).toFixed(0)} s, at least ${WARMUP_ROUNDS} rounds of each workload`);
    const warmupErrors: Record<string, number> = {};
    await drive(loads, { ms: options.warmupMs, minRounds: WARMUP_ROUNDS, next, calls: {}, errors: warmupErrors });
    const warm = await figures();
    log(`warm: rss ${mib(warm.rssBytes)}, heap ${mib(warm.heapUsedBytes)}, external ${mib(warm.externalBytes)}, ${warm.tensors} tensors, ${mib(warm.reservedBytes)} reserved`);

    const calls: Record<string, number> = {};
    const errors: Record<string, number> = {};
    let maxRssBytes = warm.rssBytes;
    let lastLog = Date.now();
    const started = performance.now();
    Object.assign(errors, warmupErrors);
    await drive(loads, { ms: options.durationMs, next, calls, errors, onTick: () => {
      const rss = process.memoryUsage().rss;
      maxRssBytes = Math.max(maxRssBytes, rss);
      if (Date.now() - lastLog >= 30_000) {
        lastLog = Date.now();
        log(`${((performance.now() - started) / 1000).toFixed(0)} s: rss ${mib(rss)} (max ${mib(maxRssBytes)}), ${tf.memory().numTensors} tensors, ${Object.values(calls).reduce((a, b) => a + b, 0)} calls`);
      }
    } });
    const seconds = (performance.now() - started) / 1000;
    const end = await figures();
    maxRssBytes = Math.max(maxRssBytes, end.rssBytes);
    return { calls, errors, warm, end, maxRssBytes, seconds };
  } finally {
    client.close();
    await server.shutdown();
    fs.rmSync(shmDir, { recursive: true, force: true });
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

export const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/** The report as lines for people. */
export function formatSoak(r: SoakReport): string {
  const total = Object.values(r.calls).reduce((a, b) => a + b, 0);
  return [
    `measured ${r.seconds.toFixed(0)} s: ${total} rounds (${Object.entries(r.calls).map(([k, n]) => `${k} ${n}`).join(', ')})`,
    `rss ${mib(r.warm.rssBytes)} after warm-up -> ${mib(r.end.rssBytes)} at the end (growth ${mib(r.end.rssBytes - r.warm.rssBytes)}, max ${mib(r.maxRssBytes)})`,
    `V8 heap used ${mib(r.warm.heapUsedBytes)} -> ${mib(r.end.heapUsedBytes)}; external ${mib(r.warm.externalBytes)} -> ${mib(r.end.externalBytes)}`,
    `tfjs tensors ${r.warm.tensors} -> ${r.end.tensors}; memory budget reserved ${r.warm.reservedBytes} -> ${r.end.reservedBytes} bytes`,
    `errors: ${Object.keys(r.errors).length === 0 ? 'none' : JSON.stringify(r.errors)}`,
  ].join('\n');
}
