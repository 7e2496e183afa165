// This repository's `fspd serve` as a child process on free ports (spawnServe), for tests that signal or
// kill the server: its first gRPC address, its exit code and signal.
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnServe } from './serve-process.js';

const root = path.resolve(import.meta.dirname, '..', '..');

export interface ChildServer {
  child: ChildProcess;
  address: string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Its JSON log lines so far (more are appended as they come). */
  lines: string[];
}

/** Starts `fspd serve` with `args` after the address flags; resolves once it serves. */
export async function serveChild(args: string[], { env = {}, limitMs }: { env?: Record<string, string>; limitMs?: number } = {}): Promise<ChildServer> {
  const serve = await spawnServe(process.execPath, ['bin/fspd.js', 'serve', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    limitMs,
  });
  const exited = serve.exited.then((code) => ({ code, signal: serve.child.signalCode }));
  return { child: serve.child, address: serve.serving.addresses[0]!, exited, lines: serve.lines };
}
