// CIFAR ResNets (He et al. 2016, as used by the FSP paper): depth 6n+2, a 3×3 conv stem, three sections of
// n residual modules (16·w, 32·w, 64·w channels; sections 2 and 3 start with stride 2), global average
// pool, dense logits. Weight decay is the optimiser's job, not a layer regulariser.
//
// Layer names (stable; tfjs accepts '/' in names, and weights are saved as `<layer>/<weight>`):
//   input
//   stem/conv  stem/bn  stem/relu
//   section{s}/block{b}/conv1  …/bn1  …/relu1  …/conv2  …/bn2  …/add  …/relu     s = 1..3, b = 1..n
//   section{s}/block{b}/shortcut/conv  …/shortcut/bn     only where the shape changes (section 2 and 3, block 1)
//   pool  logits
// Taps: stem/relu, then section{s}/block{n}/relu for s = 1..3; pairs [0,1], [1,2], [2,3]: each section's
// input and output (docs/PAPER.md#algorithm-1). Sections 2 and 3 halve the spatial size, so their pairs' maps differ in h×w
// (e.g. 32×32×16w → 16×16×32w) and the FSP op pools the larger map to the smaller.
import * as tf from '@tensorflow/tfjs';
import { tapModel, type TappedModel } from './taps.js';

export interface ResNetOptions {
  /** 6n+2 with n ≥ 1: 8, 14, 20, 26, 32, 44, 56, 110, … (at most 1202). */
  depth: number;
  /** Channel multiplier w (the paper's "×4 width" is 4). Default 1. */
  widthMultiplier?: number;
  /** Default 10. */
  numClasses?: number;
  /** [height, width, channels]. Default [32, 32, 3]. */
  inputShape?: [number, number, number];
  /** Same seed → same initial weights. Omitted: unseeded random weights. */
  seed?: number;
  /** Model name. Default `resnet{depth}` (with `x{w}` when w ≠ 1). */
  name?: string;
}

// BatchNorm as in the usual CIFAR ResNet training code (PyTorch defaults), not tfjs's 0.99 / 1e-3.
const BN_MOMENTUM = 0.9;
const BN_EPSILON = 1e-5;
const MAX_DEPTH = 1202;

/** Builds a CIFAR ResNet with MSRA (He normal) initialisation and its three section FSP taps. */
export function buildResNet(options: ResNetOptions): TappedModel {
  const { depth, widthMultiplier = 1, numClasses = 10, inputShape = [32, 32, 3], seed } = options;
  if (!Number.isInteger(depth) || depth < 8 || depth > MAX_DEPTH || (depth - 2) % 6 !== 0) {
    throw new RangeError(`depth: expected 6n+2 between 8 and ${MAX_DEPTH} (8, 14, 20, 26, 32, 44, 56, 110, …), got ${depth}`);
  }
  if (!Number.isInteger(widthMultiplier) || widthMultiplier < 1) throw new RangeError(`widthMultiplier: expected a positive integer, got ${widthMultiplier}`);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses: expected a positive integer, got ${numClasses}`);
  if (inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`inputShape: expected [height, width, channels] of positive integers, got ${JSON.stringify(inputShape)}`);
  }
  if (seed !== undefined && !Number.isInteger(seed)) throw new RangeError(`seed: expected an integer, got ${seed}`);

  const n = (depth - 2) / 6;
  let layerIndex = 0;
  // One seed per weighted layer, mixed from the model seed so models with nearby seeds share no streams.
  const init = () => tf.initializers.heNormal(seed === undefined ? {} : { seed: mix(seed, layerIndex++) });
  const conv = (name: string, filters: number, kernelSize: number, strides: number) =>
    tf.layers.conv2d({ name, filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: init() });
  const bn = (name: string) => tf.layers.batchNormalization({ name, momentum: BN_MOMENTUM, epsilon: BN_EPSILON });
  const relu = (name: string) => tf.layers.reLU({ name });

  const input = tf.input({ shape: inputShape, name: 'input' });
  let x = relu('stem/relu').apply(bn('stem/bn').apply(conv('stem/conv', 16 * widthMultiplier, 3, 1).apply(input))) as tf.SymbolicTensor;
  const taps = ['stem/relu'];

  for (let s = 1; s <= 3; s++) {
    const filters = 16 * widthMultiplier * 2 ** (s - 1);
    for (let b = 1; b <= n; b++) {
      const p = `section${s}/block${b}`;
      const strides = s > 1 && b === 1 ? 2 : 1;
      let y = conv(`${p}/conv1`, filters, 3, strides).apply(x) as tf.SymbolicTensor;
      y = relu(`${p}/relu1`).apply(bn(`${p}/bn1`).apply(y)) as tf.SymbolicTensor;
      y = bn(`${p}/bn2`).apply(conv(`${p}/conv2`, filters, 3, 1).apply(y)) as tf.SymbolicTensor;
      const changes = strides !== 1 || x.shape[3] !== filters;
      const shortcut = changes ? (bn(`${p}/shortcut/bn`).apply(conv(`${p}/shortcut/conv`, filters, 1, strides).apply(x)) as tf.SymbolicTensor) : x;
      x = relu(`${p}/relu`).apply(tf.layers.add({ name: `${p}/add` }).apply([y, shortcut])) as tf.SymbolicTensor;
    }
    taps.push(`section${s}/block${n}/relu`);
  }

  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x);
  const logits = tf.layers.dense({ name: 'logits', units: numClasses, kernelInitializer: init() }).apply(pooled) as tf.SymbolicTensor;
  const name = options.name ?? `resnet${depth}${widthMultiplier === 1 ? '' : `x${widthMultiplier}`}`;
  const base = tf.model({ inputs: input, outputs: logits, name });
  return tapModel(base, taps, [
    [0, 1],
    [1, 2],
    [2, 3],
  ]);
}

/** A 32-bit hash of (seed, k): distinct, well-spread seeds for each layer. */
function mix(seed: number, k: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}
