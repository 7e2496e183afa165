// `fspd serve` as a child process on free ports, for tests that signal or kill the server: resolves once it
// logs "serving", with its gRPC address and its JSON log lines so far (more are appended as they come).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const root = path.resolve(import.meta.dirname, '..', '..');

export interface ChildServer {
  child: ChildProcess;
  address: string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  lines: string[];
}

/** Starts `fspd serve` with `args` after the address flags; SIGKILLed after `limitMs` whatever happens. */
export async function serveChild(args: string[], { env = {}, limitMs = 120_000 }: { env?: Record<string, string>; limitMs?: number } = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, ['bin/fspd.js', 'serve', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const limit = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal });
    }),
  );
  const address = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const entry = JSON.parse(line) as { msg?: string; addresses?: string[] };
      if (entry.msg === 'serving') resolve(entry.addresses![0]!);
    });
    void exited.then(({ code, signal }) => reject(new Error(`fspd serve exited early (${code ?? signal}): ${lines.join('\n')}\n${stderr}`)));
  });
  return { child, address, exited, lines };
}
