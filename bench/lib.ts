// Shared benchmark plumbing: timing, result files, and the tables in docs/BENCHMARKS.md.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** n seeded floats in [-1, 1): the same inputs on every run, cheap to make for large maps. */
export function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0; // a linear congruential step
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

export interface Timing {
  ms: number; // median
  runs: number;
}

/**
 * Median wall time of `fn` after one warm-up, repeated until `minRuns` and `budgetMs` are both met.
 * `between` runs untimed after each call (e.g. a turn of the event loop, as a training loop's awaits give).
 */
export async function time(fn: () => unknown | Promise<unknown>, minRuns = 5, budgetMs = 1500, maxRuns = 50, between?: () => Promise<void>): Promise<Timing> {
  await fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < maxRuns && (samples.length < minRuns || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
    await between?.();
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)]!, runs: samples.length };
}

export function machineLine(): string {
  return `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} CPUs, Node ${process.version}`;
}

export function writeResults(name: string, data: unknown): string {
  const dir = path.join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return path.relative(repoRoot, file);
}

/** Replaces the section between `<!-- name:start -->` and `<!-- name:end -->` (appends it if absent). */
export function updateBenchmarksDoc(name: string, markdown: string): void {
  const file = path.join(repoRoot, 'docs', 'BENCHMARKS.md');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  doc = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, doc);
}

export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
