// Chooses the kernel implementation once per process:
//   FSPD_NATIVE=0        the pure-TypeScript kernels
//   otherwise            the native addon if it loads, else the TS kernels with one warning
//   FSPD_DEVICE          auto|cpu|cuda (cuda needs an addon built with CUDA and a device)
//   FSPD_THREADS         CPU threads for the native kernels (default: all hardware threads)
import type { KernelBackend } from './types.js';
import { addonBackend, addonPath, loadAddon, type BuildInfo } from './addon.js';
import { tsKernels } from './ts-kernels.js';
import { validated } from './validate.js';

export interface NativeInfo {
  variant: 'cpu' | 'cuda' | 'ts';
  /** Why this variant was chosen. */
  reason: string;
  addonPath: string;
  /** The loader's error when the addon did not load. */
  loadError?: string;
  build?: BuildInfo;
  simd: string;
  threads: number;
  cudaCompiled: boolean;
  cudaDevices: number;
}

interface Choice {
  kernels: KernelBackend;
  info: NativeInfo;
}

let choice: Choice | undefined;

/** The validated kernels this process uses. Throws when the environment asks for the impossible. */
export function getKernels(): KernelBackend {
  return choose().kernels;
}

export function nativeInfo(): NativeInfo {
  return choose().info;
}

/** For tests: pick again after changing FSPD_* variables. */
export function resetKernelChoice(): void {
  choice = undefined;
}

function choose(): Choice {
  choice ??= decide(process.env);
  return choice;
}

function decide(env: NodeJS.ProcessEnv): Choice {
  const device = env.FSPD_DEVICE ?? 'auto';
  if (!['auto', 'cpu', 'cuda'].includes(device)) throw new RangeError(`FSPD_DEVICE: expected auto, cpu or cuda, got ${device}`);
  const threads = parseThreads(env.FSPD_THREADS);
  const base = { addonPath, cudaCompiled: false, cudaDevices: 0 };

  if (env.FSPD_NATIVE === '0') {
    if (device === 'cuda') throw new Error('FSPD_DEVICE=cuda conflicts with FSPD_NATIVE=0 (the TypeScript kernels run on the CPU)');
    return ts({ ...base, reason: 'FSPD_NATIVE=0' });
  }

  let addon;
  try {
    addon = loadAddon();
  } catch (err) {
    const loadError = (err as Error).message.split('\n')[0]!;
    if (device === 'cuda') throw new Error(`FSPD_DEVICE=cuda but the native addon did not load: ${loadError}`);
    process.emitWarning(
      `fspd: native addon not loaded (${loadError}); using the pure-TypeScript kernels, which are much slower. ` +
        'Possible solutions: install CMake and a C++17 compiler, then `npm run build:native`; `npx fspd doctor` explains more.',
      { code: 'FSPD_NO_NATIVE' },
    );
    return ts({ ...base, reason: 'the native addon did not load', loadError });
  }

  const build = addon.buildInfo();
  if (device === 'cuda') {
    throw new Error(
      build.cudaCompiled
        ? 'FSPD_DEVICE=cuda but no CUDA device is usable'
        : 'FSPD_DEVICE=cuda but this addon was built without CUDA (rebuild with nvcc available, FSPD_CUDA=ON)',
    );
  }
  return {
    kernels: validated(addonBackend(addon, threads)),
    info: {
      ...base,
      variant: 'cpu',
      reason: device === 'cpu' ? 'FSPD_DEVICE=cpu' : 'native addon loaded; no CUDA in this build',
      build,
      simd: build.simd,
      threads: threads > 0 ? threads : build.threads,
      cudaCompiled: build.cudaCompiled,
    },
  };
}

function ts(info: Omit<NativeInfo, 'variant' | 'simd' | 'threads'>): Choice {
  return { kernels: validated(tsKernels), info: { ...info, variant: 'ts', simd: 'none', threads: 1 } };
}

function parseThreads(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`FSPD_THREADS: expected a positive integer, got ${value}`);
  return n;
}
