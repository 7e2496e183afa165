// Chooses the TensorFlow.js backend once per process:
//   FSPD_BACKEND=auto            tensorflow-gpu when @tensorflow/tfjs-node-gpu loads and TensorFlow uses a GPU,
//                                else tensorflow when @tensorflow/tfjs-node loads, else the pure-JS cpu backend
//   FSPD_BACKEND=cpu             the pure-JS backend of @tensorflow/tfjs (always there)
//   FSPD_BACKEND=tensorflow      libtensorflow through @tensorflow/tfjs-node; fails when it does not load
//   FSPD_BACKEND=tensorflow-gpu  libtensorflow with CUDA through @tensorflow/tfjs-node-gpu; fails without a GPU
// tfjs-node(-gpu) is optional and not in package.json: `npm run setup:tensorflow [-- --gpu]` installs it and
// builds its binding. It is imported dynamically, so the project works without it. Importing it registers
// the 'tensorflow' backend on the one @tensorflow/tfjs-core that the project's @tensorflow/tfjs uses too.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const BACKEND_REQUESTS = ['auto', 'cpu', 'tensorflow', 'tensorflow-gpu'] as const;
export type BackendRequest = (typeof BACKEND_REQUESTS)[number];
export type BackendName = Exclude<BackendRequest, 'auto'>;

export const TFJS_NODE = '@tensorflow/tfjs-node';
export const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
type TfjsNodePackage = typeof TFJS_NODE | typeof TFJS_NODE_GPU;

/** What was found of libtensorflow (JSON-able, for `fspd doctor --json`). */
export interface TensorflowInfo {
  /** False when nobody looked (FSPD_BACKEND=cpu skips the import; backendInfo() looks anyway). */
  checked: boolean;
  available: boolean;
  /** The package that loaded, or the last one tried. */
  package?: TfjsNodePackage;
  /** That package's version. */
  version?: string;
  /** libtensorflow's own version (TF_Version()). */
  tensorflowVersion?: string;
  /** The libtensorflow files this process mapped. */
  libraryPath?: string;
  bindingPath?: string;
  /** Whether TensorFlow placed its eager context on a GPU. */
  usingGpu?: boolean;
  /** Why it is not available (one line per package tried). */
  error?: string;
}

export interface GpuInfo {
  /** Whether an NVIDIA GPU is visible to this process. */
  visible: boolean;
  /** How that was decided. */
  how: string;
}

export interface BackendInfo {
  /** The backend in use; null when initBackend failed (see error). */
  backend: BackendName | null;
  /** FSPD_BACKEND as given (auto when unset). */
  requested: string;
  /** Why this backend. */
  reason: string;
  /** The tfjs backend name now active (tf.getBackend()). */
  tfjsBackend: string | null;
  tfjsVersion: string;
  gpu: GpuInfo;
  tensorflow: TensorflowInfo;
  /** initBackend's error, when it failed. */
  error?: string;
}

export interface BackendOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Receives the one line saying which backend was chosen. Defaults to stderr. */
  logger?: (line: string) => void;
  /** For tests: how tfjs-node packages are imported. */
  importModule?: (specifier: string) => Promise<unknown>;
  /** For tests: whether a GPU is visible. */
  detectGpu?: (env: NodeJS.ProcessEnv) => GpuInfo;
}

export const SETUP_HINT = 'run `npm run setup:tensorflow`';
const SETUP_HINT_GPU = 'run `npm run setup:tensorflow -- --gpu`';

/** Parses FSPD_BACKEND (case and surrounding spaces ignored; unset or empty = auto). */
export function parseBackendRequest(value: string | undefined): BackendRequest {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'auto';
  if ((BACKEND_REQUESTS as readonly string[]).includes(v)) return v as BackendRequest;
  throw new RangeError(`FSPD_BACKEND: expected one of ${BACKEND_REQUESTS.join(', ')}, got ${JSON.stringify(value)}`);
}

let chosen: Promise<BackendInfo> | undefined;

interface ImportState {
  /** The tfjs-node package imported (at most one: both register the same 'tensorflow' backend). */
  loaded?: { pkg: TfjsNodePackage; info: TensorflowInfo };
  /** Import failures, per package, so each is tried once. */
  failures: Map<TfjsNodePackage, string>;
}
/** What this process imported; an injected importModule (tests) starts from nothing each time. */
const processImports: ImportState = { failures: new Map() };

/**
 * Picks and activates the backend once per process (later calls return the same result). Throws when
 * FSPD_BACKEND is invalid or names a backend that cannot load; the message says what to run.
 */
export function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  chosen ??= choose(options).then(
    (info) => {
      (options.logger ?? ((line: string) => process.stderr.write(`${line}\n`)))(
        `fspd: tfjs backend ${info.backend} (${info.reason})`,
      );
      return info;
    },
    (err: unknown) => {
      chosen = undefined; // let a corrected environment try again
      throw err;
    },
  );
  return chosen.then(copy);
}

/**
 * What was found, for `fspd doctor`: initialises the backend if nobody did (never throws; a failure is in
 * `error`), and also looks for libtensorflow when FSPD_BACKEND=cpu skipped it (the active backend stays).
 */
export async function backendInfo(options: BackendOptions = {}): Promise<BackendInfo> {
  const env = options.env ?? process.env;
  let info: BackendInfo;
  try {
    info = await initBackend(options);
  } catch (err) {
    const gpu = (options.detectGpu ?? detectGpu)(env);
    info = {
      backend: null,
      requested: env.FSPD_BACKEND ?? 'auto',
      reason: 'initBackend failed',
      tfjsBackend: safeGetBackend(),
      tfjsVersion: tf.version.tfjs,
      gpu,
      tensorflow: { checked: false, available: false },
      error: (err as Error).message,
    };
  }
  if (!info.tensorflow.checked) {
    const active = safeGetBackend();
    const preferGpu = info.gpu.visible ? [TFJS_NODE_GPU, TFJS_NODE] : [TFJS_NODE, TFJS_NODE_GPU];
    const found = await loadTensorflow(preferGpu as TfjsNodePackage[], options);
    if (active && active !== tf.getBackend()) await tf.setBackend(active); // the import switched to 'tensorflow'
    info.tensorflow = found.info;
  }
  return info;
}

/** For tests: choose again on the next initBackend(). Imported packages stay imported. */
export function resetBackendChoice(): void {
  chosen = undefined;
}

async function choose(options: BackendOptions): Promise<BackendInfo> {
  const env = options.env ?? process.env;
  const requested = parseBackendRequest(env.FSPD_BACKEND);
  const gpu = (options.detectGpu ?? detectGpu)(env);
  const base = { requested: env.FSPD_BACKEND?.trim() || 'auto', tfjsVersion: tf.version.tfjs, gpu };

  if (requested === 'cpu') {
    await activate('cpu');
    return { ...base, backend: 'cpu', reason: 'FSPD_BACKEND=cpu', tfjsBackend: tf.getBackend(), tensorflow: { checked: false, available: false } };
  }

  if (requested === 'tensorflow-gpu') {
    if (!gpu.visible) {
      throw new Error(`FSPD_BACKEND=tensorflow-gpu but no NVIDIA GPU is visible (${gpu.how}). Use FSPD_BACKEND=tensorflow or auto on this machine.`);
    }
    const { info } = await loadTensorflow([TFJS_NODE_GPU], options);
    if (!info.available) {
      throw new Error(`FSPD_BACKEND=tensorflow-gpu but ${TFJS_NODE_GPU} is not usable: ${info.error}. Possible solution: ${SETUP_HINT_GPU}, or set FSPD_BACKEND=auto.`);
    }
    if (!info.usingGpu) {
      throw new Error(
        `FSPD_BACKEND=tensorflow-gpu: ${TFJS_NODE_GPU} loaded but TensorFlow found no usable GPU ` +
          '(are the CUDA 12 and cuDNN 9 libraries on LD_LIBRARY_PATH?). Set FSPD_BACKEND=tensorflow or auto to run on the CPU.',
      );
    }
    await activate('tensorflow');
    return { ...base, backend: 'tensorflow-gpu', reason: 'FSPD_BACKEND=tensorflow-gpu', tfjsBackend: tf.getBackend(), tensorflow: info };
  }

  if (requested === 'tensorflow') {
    const { info } = await loadTensorflow([TFJS_NODE, TFJS_NODE_GPU], options);
    if (!info.available) {
      throw new Error(`FSPD_BACKEND=tensorflow but ${TFJS_NODE} is not usable: ${info.error}. Possible solution: ${SETUP_HINT}, or set FSPD_BACKEND=auto or cpu.`);
    }
    await activate('tensorflow');
    return { ...base, backend: 'tensorflow', reason: 'FSPD_BACKEND=tensorflow', tfjsBackend: tf.getBackend(), tensorflow: info };
  }

  // auto
  const order: TfjsNodePackage[] = gpu.visible ? [TFJS_NODE_GPU, TFJS_NODE] : [TFJS_NODE];
  const { info } = await loadTensorflow(order, options);
  if (info.available) {
    await activate('tensorflow');
    const onGpu = info.package === TFJS_NODE_GPU && info.usingGpu === true;
    const reason = onGpu
      ? `auto: ${TFJS_NODE_GPU} ${info.version} uses the GPU`
      : `auto: ${info.package} ${info.version} loads libtensorflow ${info.tensorflowVersion ?? '?'}` +
        (gpu.visible && info.package === TFJS_NODE_GPU ? ', but TensorFlow found no usable GPU' : gpu.visible ? `; for the GPU ${SETUP_HINT_GPU}` : '');
    return { ...base, backend: onGpu ? 'tensorflow-gpu' : 'tensorflow', reason, tfjsBackend: tf.getBackend(), tensorflow: info };
  }
  await activate('cpu');
  return {
    ...base,
    backend: 'cpu',
    reason: `auto: libtensorflow not available (${info.error}); the pure-JS backend is much slower, ${SETUP_HINT}`,
    tfjsBackend: tf.getBackend(),
    tensorflow: info,
  };
}

/** Imports the first of `packages` that loads (or reports the one already imported). */
async function loadTensorflow(packages: TfjsNodePackage[], options: BackendOptions): Promise<{ info: TensorflowInfo }> {
  const state: ImportState = options.importModule ? { failures: new Map() } : processImports;
  const { loaded, failures } = state;
  if (loaded) {
    if (packages.includes(loaded.pkg)) return { info: { ...loaded.info } };
    const why = `${packages.join(', ')} not imported: ${loaded.pkg} is loaded in this process already`;
    return { info: { checked: true, available: false, package: packages[0]!, error: why } };
  }
  const importModule = options.importModule ?? ((s: string) => import(s));
  const errors: string[] = [];
  for (const pkg of packages) {
    let error = failures.get(pkg);
    if (error === undefined) {
      try {
        // libtensorflow logs info lines to stderr at start; keep its warnings and errors unless the user chose.
        process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
        await importModule(pkg);
        const backend = tf.findBackend('tensorflow') as { binding?: { TF_Version?: string }; isUsingGpuDevice?: boolean } | null;
        if (!backend) {
          throw new Error(
            `${pkg} loaded but the project's @tensorflow/tfjs sees no 'tensorflow' backend: tfjs-node uses another copy of ` +
              `@tensorflow/tfjs-core (keep @tensorflow/tfjs at ${pkg}'s version and run npm dedupe)`,
          );
        }
        const dir = packageDir(pkg);
        const mapped = mappedFiles();
        const info: TensorflowInfo = {
          checked: true,
          available: true,
          package: pkg,
          ...(dir ? { version: readVersion(dir) } : {}),
          ...(backend.binding?.TF_Version ? { tensorflowVersion: backend.binding.TF_Version } : {}),
          ...pathInfo(dir, mapped),
          usingGpu: backend.isUsingGpuDevice === true,
        };
        state.loaded = { pkg, info };
        return { info: { ...info } };
      } catch (err) {
        error = describeImportError(pkg, err);
        failures.set(pkg, error);
      }
    }
    errors.push(error);
  }
  return { info: { checked: true, available: false, package: packages[0]!, error: errors.join('; ') } };
}

function describeImportError(pkg: string, err: unknown): string {
  const e = err as { code?: string; message?: string };
  const first = (e.message ?? String(err)).split('\n')[0]!.trim();
  if ((e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && first.includes(pkg)) return `${pkg} is not installed`;
  if (/tfjs_binding\.node.*can not be found/.test(first)) return `${pkg} is installed but its binding was not built`;
  return `${pkg} did not load: ${first}`;
}

function pathInfo(dir: string | undefined, mapped: string[]): Pick<TensorflowInfo, 'libraryPath' | 'bindingPath'> {
  const lib = mapped.find((f) => /libtensorflow(_cc)?\.so/.test(f)) ?? (dir ? realpathOr(path.join(dir, 'deps', 'lib', 'libtensorflow.so')) : undefined);
  const binding = mapped.find((f) => f.endsWith('tfjs_binding.node'));
  return { ...(lib ? { libraryPath: lib } : {}), ...(binding ? { bindingPath: binding } : {}) };
}

/** The files this process has mapped (Linux); empty elsewhere. */
function mappedFiles(): string[] {
  try {
    const files = new Set<string>();
    for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
      const i = line.indexOf('/');
      if (i > 0) files.add(line.slice(i));
    }
    return [...files];
  } catch {
    return [];
  }
}

function packageDir(pkg: string): string | undefined {
  try {
    return path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
}

function readVersion(dir: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function realpathOr(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

/** An NVIDIA GPU is visible when the driver lists one and CUDA_VISIBLE_DEVICES does not hide them all. */
export function detectGpu(env: NodeJS.ProcessEnv = process.env): GpuInfo {
  const cvd = env.CUDA_VISIBLE_DEVICES;
  if (cvd !== undefined && (cvd.trim() === '' || cvd.trim() === '-1')) return { visible: false, how: `CUDA_VISIBLE_DEVICES=${JSON.stringify(cvd)}` };
  try {
    const gpus = fs.readdirSync('/proc/driver/nvidia/gpus');
    if (gpus.length > 0) return { visible: true, how: `${gpus.length} in /proc/driver/nvidia/gpus` };
  } catch {
    // no NVIDIA driver here
  }
  if (fs.existsSync('/dev/nvidia0')) return { visible: true, how: '/dev/nvidia0 exists' };
  return { visible: false, how: 'no NVIDIA driver: /proc/driver/nvidia/gpus and /dev/nvidia0 are absent' };
}

async function activate(name: 'cpu' | 'tensorflow'): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs could not initialise its '${name}' backend`);
  await tf.ready();
}

function safeGetBackend(): string | null {
  try {
    return tf.getBackend() ?? null;
  } catch {
    return null;
  }
}

function copy(info: BackendInfo): BackendInfo {
  return { ...info, gpu: { ...info.gpu }, tensorflow: { ...info.tensorflow } };
}
