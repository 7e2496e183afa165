// `fspd serve` as a child process: resolves once it logs 'serving' (with the addresses it bound), rejects
// when it exits first (with its log so far). SIGKILLed after `limitMs` whatever happens, so a failed test
// never leaves a server behind.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import readline from 'node:readline';

export interface Serving {
  addresses: string[];
  health?: string;
  metrics: string;
}

export interface ServeProcess {
  child: ChildProcess;
  serving: Serving;
  /** Resolves once it exited and its output is read to the end (`lines` is then complete). */
  exited: Promise<number | null>;
  /** The JSON log lines so far. */
  lines: string[];
}

/** Runs `command [...args]` (an fspd binary and `serve …`) and waits for its 'serving' log line. */
export async function spawnServe(command: string, args: string[], { limitMs = 120_000, ...options }: SpawnOptions & { limitMs?: number } = {}): Promise<ServeProcess> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const limit = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve(code);
    }),
  );
  const serving = await new Promise<Serving>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const entry = JSON.parse(line) as Serving & { msg?: string };
      if (entry.msg === 'serving') resolve(entry);
    });
    void exited.then((code) => reject(new Error(`fspd serve exited early (${code}): ${lines.join('\n')}`)));
  });
  return { child, serving, exited, lines };
}
