// `fspd bench <name>`: runs one of the repository's benchmarks (the same scripts as `npm run bench:<name>`),
// from the package root, passing the remaining arguments through; exits with the benchmark's status.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Benchmark name → its command, as package.json's bench:* scripts run it. */
export const BENCHES: Record<string, { command: string[]; about: string }> = {
  fsp: { command: [process.execPath, '--import', 'tsx', 'bench/fsp.ts'], about: 'FSP kernels: C++ kernel vs roofline, the Node API (sync, async) and PyTorch side by side (--quick: fewer runs)' },
  rpc: { command: [process.execPath, '--import', 'tsx', 'bench/rpc.ts'], about: 'FspLoss over gRPC (inline bytes, shared memory) vs in-process (--quick: fewer calls)' },
  train: { command: [process.execPath, '--import', 'tsx', 'bench/train.ts'], about: 'training steps per second and the teacher-FSP cache speed-up' },
  clients: { command: [process.env.PYTHON ?? 'python3', 'bench/clients.py'], about: 'the Python client vs local PyTorch FSP' },
};

export function runBench(name: string, args: string[]): number {
  const bench = BENCHES[name];
  if (!bench) throw new RangeError(`unknown benchmark '${name}'; expected one of ${Object.keys(BENCHES).join(', ')}`);
  const [cmd, ...rest] = bench.command;
  const script = rest.find((a) => a.startsWith('bench/'))!;
  if (!fs.existsSync(path.join(ROOT, script))) {
    throw new Error(`${script} is missing: the benchmarks (and tsx, which runs them) come with a source checkout of fspd, not with the npm package`);
  }
  const r = spawnSync(cmd!, [...rest, ...args], { cwd: ROOT, stdio: 'inherit' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return r.status ?? 1;
}
