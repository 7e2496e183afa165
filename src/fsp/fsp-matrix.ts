// FSP matrices as a differentiable tfjs op: G = firstᵀ·second / (h·w) per sample, [B, C1, C2].
import * as tf from '@tensorflow/tfjs';
import { getKernels } from '../native/index.js';
import type { Layout, Pooling } from '../native/types.js';
import { dimsOf } from '../native/types.js';
import { alignGradients, alignPair } from './align.js';
import { featureMap, float32Data } from './tensors.js';

export interface FspMatrixOptions {
  layout?: Layout; // default 'NHWC'
  /** How maps of different h×w are brought to (min h)×(min w); default 'max' (the paper). */
  pooling?: Pooling;
}

export function fspMatrix(first: tf.Tensor4D, second: tf.Tensor4D, options: FspMatrixOptions = {}): tf.Tensor3D {
  const layout = options.layout ?? 'NHWC';
  const pooling = options.pooling ?? 'max';
  const op = tf.customGrad<tf.Tensor3D>(() => {
    const pair = { first: featureMap(first, layout, 'first'), second: featureMap(second, layout, 'second') };
    const aligned = alignPair(pair, pooling); // kept for the backward pass (plain arrays, no tensors)
    const g = getKernels().fspForward(aligned.first, aligned.second);
    return {
      value: tf.tensor3d(g, [dimsOf(pair.first).batch, dimsOf(pair.first).channels, dimsOf(pair.second).channels]),
      gradFunc: (dy) => {
        const local = getKernels().fspBackward(aligned.first, aligned.second, float32Data(dy, 'dy'));
        const grads = alignGradients(pair, aligned, local, pooling);
        return [tf.tensor4d(grads.first, first.shape), tf.tensor4d(grads.second, second.shape)];
      },
    };
  });
  return op(first, second);
}
