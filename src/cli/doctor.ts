// `fspd doctor`: what this process found (kernels, addon build, machine) and why it chose it.
import os from 'node:os';
import { backendInfo, type BackendInfo } from '../models/backend.js';
import { nativeInfo, type NativeInfo } from '../native/index.js';
import { maskEnv } from '../server/config.js';

export interface DoctorReport {
  /** The kernels chosen (NativeInfo), with the addon's build flattened to its version and compiler. */
  native: Omit<NativeInfo, 'build'> & { version?: string; compiler?: string };
  /** The TensorFlow.js backend in use (FSPD_BACKEND) and why. */
  backend: Omit<BackendInfo, 'tensorflow'>;
  /** What was found of libtensorflow for @tensorflow/tfjs-node (npm run setup:tensorflow). */
  tensorflow: BackendInfo['tensorflow'];
  machine: { platform: string; arch: string; cpus: number; cpuModel: string; node: string };
  /** The FSPD_* variables, secrets (FSPD_TOKEN) masked. */
  env: Record<string, string>;
}

export async function doctorReport(): Promise<DoctorReport> {
  const { build, ...withoutBuild } = nativeInfo();
  const { tensorflow, ...backend } = await backendInfo({ logger: () => {} });
  return {
    native: { ...withoutBuild, ...(build ? { version: build.version, compiler: build.compiler } : {}) },
    backend,
    tensorflow,
    machine: {
      platform: os.platform(),
      arch: os.arch(),
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
    },
    env: maskEnv(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('FSPD_')) as [string, string][])),
  };
}

export function formatDoctor(r: DoctorReport): string {
  const n = r.native;
  const lines = [
    `kernels      ${n.variant} (${n.reason})`,
    n.variant === 'ts' ? `addon        not loaded: ${n.loadError ?? 'disabled'}` : `addon        ${n.addonPath}`,
  ];
  if (n.version) lines.push(`build        fspd ${n.version}, ${n.compiler}`);
  lines.push(
    `simd         ${n.simd}`,
    `threads      ${n.threads}`,
    `cuda         ${
      n.cudaCompiled
        ? `compiled, ${n.cudaDevices} device(s)${n.cudaDevices > 0 ? `: ${n.cudaDeviceNames.join(', ')}` : ` (${n.cudaReason})`}`
        : 'not compiled'
    }`,
    `tfjs         ${r.backend.backend ?? 'none'} backend (${r.backend.error ?? r.backend.reason}), tfjs ${r.backend.tfjsVersion}`,
    `tensorflow   ${r.tensorflow.available ? `${r.tensorflow.package} ${r.tensorflow.version}, libtensorflow ${r.tensorflow.tensorflowVersion ?? '?'}` : `not available${r.tensorflow.error ? `: ${r.tensorflow.error.split('\n')[0]}` : ''} (npm run setup:tensorflow)`}`,
    `machine      ${r.machine.cpuModel}, ${r.machine.cpus} CPUs, ${r.machine.platform}-${r.machine.arch}, Node ${r.machine.node}`,
    `environment  ${Object.entries(r.env).map(([k, v]) => `${k}=${v}`).join(' ') || '(no FSPD_* variables)'}`,
  );
  if (n.variant === 'ts') {
    lines.push('', 'The pure-TypeScript kernels are much slower. To build the addon: install CMake and a C++17 compiler, then `npm run build:native`.');
  }
  return lines.join('\n');
}
