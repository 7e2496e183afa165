// src/models: the CIFAR ResNet builder (depths, parameter count, shapes, names, seeded init), feature taps,
// one-pass forward, and loading/saving any LayersModel from a directory or bytes (pure-JS cpu backend;
// small inputs keep it fast).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  buildResNet,
  forwardWithTaps,
  loadModelFromBytes,
  loadModelFromDir,
  MODEL_JSON,
  saveModelToBytes,
  saveModelToDir,
  tapModel,
  type TappedModel,
} from '../src/models/index.js';

let tmp: string;
before(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'fspd-models-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const input = (shape: [number, number, number, number], seed = 1) => tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor4D;
const shapes = (t: TappedModel) => t.model.outputs.map((o) => o.shape);
const weights = (t: TappedModel) => t.model.getWeights().map((w) => Array.from(w.dataSync()));

/** Logits and features of one inference pass, as plain arrays. */
function predict(t: TappedModel, x: tf.Tensor4D): number[][] {
  const { logits, features } = forwardWithTaps(t, x);
  const out = [logits, ...features].map((y) => Array.from(y.dataSync()));
  tf.dispose([logits, ...features]);
  return out;
}

describe('buildResNet', () => {
  it('accepts depth 6n+2 only, and checks the other options', () => {
    for (const depth of [2, 7, 9, 21, 8.5, 1208, NaN]) assert.throws(() => buildResNet({ depth }), (e: Error) => e instanceof RangeError && /^depth: expected 6n\+2/.test(e.message), `depth ${depth}`);
    assert.throws(() => buildResNet({ depth: 8, widthMultiplier: 1.5 }), /widthMultiplier/);
    assert.throws(() => buildResNet({ depth: 8, numClasses: 0 }), /numClasses/);
    assert.throws(() => buildResNet({ depth: 8, inputShape: [32, 32] as unknown as [number, number, number] }), /inputShape/);
    assert.throws(() => buildResNet({ depth: 8, seed: 0.5 }), /seed/);
  });

  it('ResNet-20 has the known ~0.27M parameters', () => {
    const { model } = buildResNet({ depth: 20, seed: 0 });
    const trainable = model.trainableWeights.reduce((a, w) => a + w.shape.reduce((p: number, d) => p * (d ?? 1), 1), 0);
    // 272,474 = the 0.27M of He et al. plus the two 1×1 projection shortcuts (16·32 + 32·64 + BN).
    assert.equal(trainable, 272_474);
    assert.equal(model.countParams() - trainable, 2 * (16 * 7 + 32 * 6 + 64 * 6 + 32 + 64)); // BN moving mean/variance
  });

  it('has stable layer names, section taps and pairs', () => {
    const r = buildResNet({ depth: 8, seed: 0 });
    assert.deepEqual(
      r.model.layers.map((l) => l.name),
      [
        'input', 'stem/conv', 'stem/bn', 'stem/relu',
        'section1/block1/conv1', 'section1/block1/bn1', 'section1/block1/relu1', 'section1/block1/conv2', 'section1/block1/bn2', 'section1/block1/add', 'section1/block1/relu',
        'section2/block1/conv1', 'section2/block1/bn1', 'section2/block1/relu1', 'section2/block1/conv2', 'section2/block1/shortcut/conv', 'section2/block1/bn2', 'section2/block1/shortcut/bn', 'section2/block1/add', 'section2/block1/relu',
        'section3/block1/conv1', 'section3/block1/bn1', 'section3/block1/relu1', 'section3/block1/conv2', 'section3/block1/shortcut/conv', 'section3/block1/bn2', 'section3/block1/shortcut/bn', 'section3/block1/add', 'section3/block1/relu',
        'pool', 'logits',
      ],
    );
    assert.deepEqual(r.pairs, [[0, 1], [1, 2], [2, 3]]);
    const r20 = buildResNet({ depth: 20, seed: 0 });
    assert.deepEqual(r20.taps, ['stem/relu', 'section1/block3/relu', 'section2/block3/relu', 'section3/block3/relu']);
    assert.ok(r20.model.getWeights().length > 0);
    assert.ok(r20.model.weights.some((w) => w.originalName === 'section3/block1/shortcut/conv/kernel'));
    assert.ok(!r20.model.layers.some((l) => l.name.startsWith('section1/block1/shortcut')), 'section 1 shortcuts are identities');
  });

  it('outputs logits and the tapped maps for 32×32×3 and 28×28×1, widths scaled by w', () => {
    assert.deepEqual(shapes(buildResNet({ depth: 14, seed: 0 })), [[null, 10], [null, 32, 32, 16], [null, 32, 32, 16], [null, 16, 16, 32], [null, 8, 8, 64]]);
    assert.deepEqual(shapes(buildResNet({ depth: 8, widthMultiplier: 2, numClasses: 100, seed: 0 })), [[null, 100], [null, 32, 32, 32], [null, 32, 32, 32], [null, 16, 16, 64], [null, 8, 8, 128]]);
    const mnist = buildResNet({ depth: 8, inputShape: [28, 28, 1], seed: 0 });
    assert.deepEqual(shapes(mnist), [[null, 10], [null, 28, 28, 16], [null, 28, 28, 16], [null, 14, 14, 32], [null, 7, 7, 64]]);
    const x = input([2, 28, 28, 1]);
    const { logits, features } = forwardWithTaps(mnist, x);
    assert.deepEqual(logits.shape, [2, 10]);
    assert.deepEqual(features.map((f) => f.shape), [[2, 28, 28, 16], [2, 28, 28, 16], [2, 14, 14, 32], [2, 7, 7, 64]]);
    tf.dispose([x, logits, ...features]);
  });

  it('same seed → same weights; another seed or none → different', () => {
    const opts = { depth: 8, inputShape: [8, 8, 3] as [number, number, number] };
    const a = weights(buildResNet({ ...opts, seed: 5 }));
    assert.deepEqual(weights(buildResNet({ ...opts, seed: 5 })), a);
    assert.notDeepEqual(weights(buildResNet({ ...opts, seed: 6 })), a);
    assert.notDeepEqual(weights(buildResNet(opts)), weights(buildResNet(opts)));
    // MSRA: std ≈ sqrt(2 / fan_in) (tfjs truncates at 2σ, which shrinks it by ~12%).
    const conv = buildResNet({ ...opts, widthMultiplier: 4, seed: 1 }).model.getLayer('section3/block1/conv2').getWeights()[0]!;
    const std = tf.tidy(() => Math.sqrt(tf.moments(conv).variance.dataSync()[0]!));
    const he = Math.sqrt(2 / (3 * 3 * 256));
    assert.ok(std > 0.8 * he && std < 1.02 * he, `std ${std} vs ${he}`);
  });
});

describe('forwardWithTaps', () => {
  it('keeps tensor count flat; training mode updates BatchNorm statistics, inference does not', () => {
    const r = buildResNet({ depth: 8, inputShape: [8, 8, 3], seed: 2 });
    const x = input([2, 8, 8, 3]);
    const movingMean = () => Array.from(r.model.getLayer('stem/bn').getWeights()[2]!.dataSync());
    const before = tf.memory().numTensors;
    const m0 = movingMean();
    for (const training of [false, false, true, true]) {
      const { logits, features } = forwardWithTaps(r, x, { training });
      if (!training) assert.deepEqual(movingMean(), m0);
      tf.dispose([logits, ...features]);
    }
    assert.notDeepEqual(movingMean(), m0);
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });

  it('gradients flow from logits and tapped maps to the weights, without leaks', () => {
    const r = buildResNet({ depth: 8, inputShape: [8, 8, 3], seed: 3 });
    const x = input([2, 8, 8, 3]);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const { logits, features } = forwardWithTaps(r, x, { training: true });
      return tf.addN([logits.square().mean(), ...features.map((f) => f.mean())]) as tf.Scalar;
    });
    const names = Object.keys(grads);
    assert.ok(names.some((n) => n.startsWith('stem/conv/kernel')));
    assert.ok(Object.values(grads).every((g) => tf.tidy(() => Number.isFinite(g.abs().sum().dataSync()[0]!) && g.abs().max().dataSync()[0]! > 0)));
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });
});

describe('load and save', () => {
  const small = () => buildResNet({ depth: 8, inputShape: [8, 8, 3], numClasses: 4, seed: 11 });

  it('round-trips through a directory and through bytes with identical predictions and taps', async () => {
    const r = small();
    const x = input([3, 8, 8, 3], 4);
    const want = predict(r, x);
    const dir = path.join(tmp, 'r8');
    await saveModelToDir(r, dir);
    assert.deepEqual((await fs.readdir(dir)).sort(), ['model.json', 'weights.bin']);
    const fromDir = await loadModelFromDir(dir);
    const bytes = await saveModelToBytes(r);
    assert.deepEqual(bytes.modelJson.weightsManifest[0]!.paths, ['weights.bin']);
    const fromBytes = await loadModelFromBytes(bytes);
    for (const loaded of [fromDir, fromBytes]) {
      assert.deepEqual(loaded.taps, r.taps);
      assert.deepEqual(loaded.pairs, r.pairs);
      assert.deepEqual(loaded.model.layers.map((l) => l.name), r.model.layers.map((l) => l.name));
      assert.deepEqual(predict(loaded, x), want);
    }
    x.dispose();
  });

  it('loads any LayersModel with taps chosen by layer name', async () => {
    const net = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'c1', inputShape: [6, 6, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tf.layers.conv2d({ name: 'c2', filters: 5, kernelSize: 3, strides: 2, padding: 'same' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ name: 'out', units: 3 }),
      ],
    });
    const tapped = tapModel(net, ['c1', 'c2'], [[0, 1]]);
    const bytes = await saveModelToBytes(tapped);
    const loaded = await loadModelFromBytes(bytes, { taps: ['c2', 'c1'], pairs: [[1, 0]] });
    assert.deepEqual(shapes(loaded), [[null, 3], [null, 3, 3, 5], [null, 6, 6, 3]]);
    const x = input([2, 6, 6, 2]);
    const a = predict(tapped, x);
    const b = predict(loaded, x);
    assert.deepEqual([b[0], b[2], b[1]], a);
    x.dispose();
  });

  it('explains a missing or unusable tap, bad pairs, and missing taps', async () => {
    const r = small();
    const bytes = await saveModelToBytes(r);
    await assert.rejects(loadModelFromBytes(bytes, { taps: ['stem/relu', 'stem/relu'], pairs: [[0, 1]] }), /taps\[1\]: 'stem\/relu' is already taps\[0\]/);
    await assert.rejects(loadModelFromBytes(bytes, { taps: ['stem/relu', 'section9/block1/relu'], pairs: [[0, 1]] }), (e: Error) => {
      assert.match(e.message, /taps\[1\]: no layer named 'section9\/block1\/relu' in model 'resnet8'; available layers: input, stem\/conv, .*section3\/block1\/relu, pool, logits$/);
      return true;
    });
    await assert.rejects(loadModelFromBytes(bytes, { taps: ['pool'], pairs: [] }), /taps\[0\]: layer 'pool' outputs \[null,64\]; FSP needs one 4-D NHWC feature map/);
    await assert.rejects(loadModelFromBytes(bytes, { taps: ['stem/relu'], pairs: [[0, 1]] }), /pairs\[0\]: index 1 is not a tap index \(0\.\.0\)/);
    await assert.rejects(loadModelFromBytes(bytes, { taps: ['stem/relu'] }), /no taps\/pairs given/);
    const plain = { ...bytes, modelJson: { ...bytes.modelJson, userDefinedMetadata: {} } };
    await assert.rejects(loadModelFromBytes(plain), /no taps\/pairs given and none saved with the model; choose taps from its layers: input, stem\/conv/);
  });

  it('rejects short weights, weight paths outside the directory, and a missing model.json', async () => {
    const r = small();
    const bytes = await saveModelToBytes(r);
    await assert.rejects(loadModelFromBytes({ ...bytes, weights: bytes.weights.subarray(4) }), /weights: the weights manifest needs \d+ bytes, got \d+/);
    const dir = path.join(tmp, 'evil');
    await saveModelToDir(r, dir);
    const json = JSON.parse(await fs.readFile(path.join(dir, MODEL_JSON), 'utf8'));
    json.weightsManifest[0].paths = ['../r8/weights.bin'];
    await fs.writeFile(path.join(dir, MODEL_JSON), JSON.stringify(json));
    await assert.rejects(loadModelFromDir(dir), /weight path '\.\.\/r8\/weights\.bin' leaves the model directory/);
    await assert.rejects(loadModelFromDir(path.join(tmp, 'nothing')), /nothing\/model\.json: cannot read \(ENOENT\)/);
  });
});
