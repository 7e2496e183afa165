// src/models/backend: FSPD_BACKEND parsing, the errors for a backend that cannot load, and the
// backend-agreement test: a small residual conv net trains on the pure-JS `cpu` backend and on
// `tensorflow` (libtensorflow through @tensorflow/tfjs-node) from the same weights and data, and the losses
// agree at every step. Without tfjs-node these skip, except in CI (process.env.CI), where
// `npm run setup:tensorflow` must have run first and they fail instead.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  BACKEND_REQUESTS,
  backendInfo,
  initBackend,
  parseBackendRequest,
  resetBackendChoice,
  TFJS_NODE,
  type BackendOptions,
} from '../src/models/backend.js';

const inCI = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());
const quiet = { logger: () => {} };

// Look for tfjs-node once, without making it the active backend.
const probe = await backendInfo({ ...quiet, env: { ...process.env, FSPD_BACKEND: 'cpu' } });
resetBackendChoice();
const tfReady = probe.tensorflow.available;
const notSetUp = `tfjs-node is not set up (${probe.tensorflow.error ?? 'unknown'}); run npm run setup:tensorflow`;
/** Skip without tfjs-node, but never in CI: there the test runs and fails. */
const skipTf = tfReady || inCI ? false : notSetUp;

const missing = async (specifier: string) => {
  throw Object.assign(new Error(`Cannot find package '${specifier}' imported from /x/src/models/backend.ts`), { code: 'ERR_MODULE_NOT_FOUND' });
};
const unbuilt = async () => {
  throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/lib/napi-v8/tfjs_binding.node. \nPlease run command ...');
};
const noGpu = () => ({ visible: false, how: 'test: none' });
const oneGpu = () => ({ visible: true, how: 'test: one' });

async function init(env: Record<string, string>, extra: Partial<BackendOptions> = {}) {
  resetBackendChoice();
  try {
    return await initBackend({ ...quiet, env: { ...process.env, ...env }, ...extra });
  } finally {
    resetBackendChoice();
  }
}

describe('FSPD_BACKEND', () => {
  it('parses the four values, case and spaces ignored; unset or empty means auto', () => {
    assert.equal(parseBackendRequest(undefined), 'auto');
    assert.equal(parseBackendRequest(''), 'auto');
    assert.equal(parseBackendRequest('  '), 'auto');
    for (const v of BACKEND_REQUESTS) {
      assert.equal(parseBackendRequest(v), v);
      assert.equal(parseBackendRequest(` ${v.toUpperCase()} `), v);
    }
  });

  it('rejects anything else, naming the variable and the choices', () => {
    for (const v of ['gpu', 'tfjs-node', 'webgl', 'tensorflow_gpu', 'cpu,tensorflow']) {
      assert.throws(() => parseBackendRequest(v), (err: Error) => {
        assert.ok(err instanceof RangeError);
        assert.match(err.message, /^FSPD_BACKEND: expected one of auto, cpu, tensorflow, tensorflow-gpu, got /);
        assert.ok(err.message.includes(JSON.stringify(v)));
        return true;
      });
    }
  });

  it('initBackend rejects an invalid value; backendInfo reports it without throwing', async () => {
    await assert.rejects(init({ FSPD_BACKEND: 'bogus' }), RangeError);
    resetBackendChoice();
    const info = await backendInfo({ ...quiet, env: { ...process.env, FSPD_BACKEND: 'bogus' }, importModule: missing });
    resetBackendChoice();
    assert.equal(info.backend, null);
    assert.equal(info.requested, 'bogus');
    assert.match(info.error ?? '', /FSPD_BACKEND/);
    assert.deepEqual(JSON.parse(JSON.stringify(info)), info);
  });
});

describe('an explicit backend that cannot load fails clearly', () => {
  it('tensorflow without tfjs-node installed', async () => {
    await assert.rejects(init({ FSPD_BACKEND: 'tensorflow' }, { importModule: missing }), (err: Error) => {
      assert.match(err.message, /^FSPD_BACKEND=tensorflow but @tensorflow\/tfjs-node is not usable: @tensorflow\/tfjs-node is not installed/);
      assert.ok(err.message.includes('run `npm run setup:tensorflow`'), err.message);
      return true;
    });
  });

  it('tensorflow with tfjs-node installed but no binding built', async () => {
    await assert.rejects(init({ FSPD_BACKEND: 'tensorflow' }, { importModule: unbuilt }), (err: Error) => {
      assert.match(err.message, /is installed but its binding was not built/);
      assert.ok(err.message.includes('run `npm run setup:tensorflow`'), err.message);
      return true;
    });
  });

  it('tensorflow-gpu without a GPU', async () => {
    await assert.rejects(init({ FSPD_BACKEND: 'tensorflow-gpu' }, { detectGpu: noGpu }), /FSPD_BACKEND=tensorflow-gpu but no NVIDIA GPU is visible \(test: none\)/);
  });

  it('tensorflow-gpu with a GPU but without tfjs-node-gpu', async () => {
    await assert.rejects(init({ FSPD_BACKEND: 'tensorflow-gpu' }, { detectGpu: oneGpu, importModule: missing }), (err: Error) => {
      assert.match(err.message, /@tensorflow\/tfjs-node-gpu is not installed/);
      assert.ok(err.message.includes('run `npm run setup:tensorflow -- --gpu`'), err.message);
      return true;
    });
  });

  it('auto falls back to cpu, says how to get tensorflow, and logs once', async () => {
    const lines: string[] = [];
    resetBackendChoice();
    const opts: BackendOptions = { env: { ...process.env, FSPD_BACKEND: 'auto' }, logger: (l) => lines.push(l), importModule: missing, detectGpu: noGpu };
    const a = await initBackend(opts);
    const b = await initBackend(opts);
    resetBackendChoice();
    assert.equal(a.backend, 'cpu');
    assert.deepEqual(a, b);
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(a.tensorflow.available, false);
    assert.match(a.reason, /not installed.*npm run setup:tensorflow/);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^fspd: tfjs backend cpu \(auto: /);
  });

  it('cpu never imports tfjs-node', async () => {
    let imported = 0;
    const info = await init({ FSPD_BACKEND: 'cpu' }, { importModule: async () => void imported++ });
    assert.equal(info.backend, 'cpu');
    assert.equal(info.tensorflow.checked, false);
    assert.equal(imported, 0);
    assert.equal(tf.getBackend(), 'cpu');
  });
});

describe('tensorflow backend (tfjs-node)', () => {
  it('is set up (required in CI: npm run setup:tensorflow)', { skip: skipTf }, async () => {
    assert.ok(tfReady, `${notSetUp}. CI must run it before npm test.`);
    assert.equal(probe.tensorflow.package, TFJS_NODE);
    assert.equal(probe.tensorflow.version, tf.version.tfjs, 'tfjs-node must have the version of @tensorflow/tfjs');
    assert.match(probe.tensorflow.tensorflowVersion ?? '', /^\d+\.\d+/);
    assert.match(probe.tensorflow.libraryPath ?? '', /libtensorflow/);
    assert.deepEqual(JSON.parse(JSON.stringify(probe)), probe);
  });

  it('auto and FSPD_BACKEND=tensorflow choose it, on the same tfjs-core as the project', { skip: skipTf }, async () => {
    assert.ok(tfReady, notSetUp);
    for (const FSPD_BACKEND of ['auto', 'tensorflow']) {
      await tf.setBackend('cpu');
      const info = await init({ FSPD_BACKEND }, { detectGpu: noGpu });
      assert.equal(info.backend, 'tensorflow');
      // The project's own @tensorflow/tfjs import switched: tfjs-node registered on the one shared core.
      assert.equal(tf.getBackend(), 'tensorflow');
      assert.equal(info.tfjsBackend, 'tensorflow');
    }
    await tf.setBackend('cpu');
  });

  it('trains a residual conv net with batch norm and momentum SGD like the cpu backend (20 steps, 1e-4 relative)', { skip: skipTf }, async () => {
    assert.ok(tfReady, notSetUp);
    const data = makeData(4, 8);
    await tf.setBackend('cpu');
    const initial = snapshot(buildNet(true));
    const cpu = await train('cpu', initial, data, 20);
    const tfl = await train('tensorflow', initial, data, 20);
    for (let i = 0; i < cpu.losses.length; i++) {
      const [a, b] = [cpu.losses[i]!, tfl.losses[i]!];
      assert.ok(Number.isFinite(a) && Number.isFinite(b), `step ${i}: ${a} vs ${b}`);
      const rel = Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
      assert.ok(rel <= 1e-4, `step ${i}: cpu loss ${a}, tensorflow loss ${b}, relative difference ${rel.toExponential(2)}`);
    }
    assert.ok(cpu.losses.at(-1)! < cpu.losses[0]!, `the loss should fall: ${cpu.losses.join(', ')}`);
    // Every step disposes what it creates (on both backends).
    assert.deepEqual(cpu.tensorsAfterStep.slice(1), cpu.tensorsAfterStep.slice(1).map(() => cpu.tensorsAfterStep[1]));
    assert.deepEqual(tfl.tensorsAfterStep.slice(1), tfl.tensorsAfterStep.slice(1).map(() => tfl.tensorsAfterStep[1]));
  });
});

// --- the agreement net ----------------------------------------------------------------------------------

interface Weights {
  shape: number[];
  values: Float32Array;
}
interface Batch {
  x: Float32Array;
  y: Float32Array;
}
const H = 8;
const C = 3;
const CLASSES = 10;

/** conv-BN-ReLU, a residual block (two 3×3 convs, stride 2, with a 1×1 projection shortcut), GAP, dense. */
function buildNet(seeded: boolean): tf.LayersModel {
  let seed = 1;
  const init = () => (seeded ? { kernelInitializer: tf.initializers.heNormal({ seed: seed++ }) } : {});
  const conv = (filters: number, kernelSize: number, strides: number) =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, ...init() });
  const bn = () => tf.layers.batchNormalization({ momentum: 0.9 });
  const relu = () => tf.layers.activation({ activation: 'relu' });

  const input = tf.input({ shape: [H, H, C] });
  const stem = relu().apply(bn().apply(conv(8, 3, 1).apply(input))) as tf.SymbolicTensor;
  let main = relu().apply(bn().apply(conv(16, 3, 2).apply(stem))) as tf.SymbolicTensor;
  main = bn().apply(conv(16, 3, 1).apply(main)) as tf.SymbolicTensor;
  const shortcut = bn().apply(conv(16, 1, 2).apply(stem)) as tf.SymbolicTensor;
  const merged = relu().apply(tf.layers.add().apply([main, shortcut])) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(merged) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: CLASSES, activation: 'softmax', ...init() }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

/** All weights (trainable and BN moving statistics) as plain arrays; disposes the model. */
function snapshot(model: tf.LayersModel): Weights[] {
  const out = model.getWeights().map((w) => ({ shape: w.shape, values: w.dataSync().slice() as Float32Array }));
  model.dispose();
  return out;
}

async function train(backend: 'cpu' | 'tensorflow', initial: Weights[], data: Batch[], steps: number) {
  assert.ok(await tf.setBackend(backend));
  assert.equal(tf.getBackend(), backend);
  const model = buildNet(false);
  model.setWeights(initial.map((w) => tf.tensor(w.values, w.shape)));
  const optimizer = tf.train.momentum(0.05, 0.9);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const batches = data.map((b) => ({
    x: tf.tensor4d(b.x, [b.x.length / (H * H * C), H, H, C]),
    y: tf.tensor2d(b.y, [b.y.length / CLASSES, CLASSES]),
  }));
  const losses: number[] = [];
  const tensorsAfterStep: number[] = [];
  for (let step = 0; step < steps; step++) {
    const batch = batches[step % batches.length]!;
    const loss = await model.trainOnBatch(batch.x, batch.y); // batch norm in training mode
    losses.push(Array.isArray(loss) ? loss[0]! : loss);
    tensorsAfterStep.push(tf.memory().numTensors);
  }
  for (const b of batches) tf.dispose([b.x, b.y]);
  optimizer.dispose();
  model.dispose();
  return { losses, tensorsAfterStep };
}

/** Deterministic batches: inputs in [-1, 1], one-hot labels. */
function makeData(count: number, batchSize: number): Batch[] {
  let s = 0x9e3779b9;
  const rand = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => {
    const x = Float32Array.from({ length: batchSize * H * H * C }, () => rand() * 2 - 1);
    const y = new Float32Array(batchSize * CLASSES);
    for (let i = 0; i < batchSize; i++) y[i * CLASSES + Math.floor(rand() * CLASSES)] = 1;
    return { x, y };
  });
}
