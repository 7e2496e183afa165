// Views of tfjs tensors as kernel inputs. dataSync() reads the values (no copy on the cpu backend);
// tensors are immutable, so the views stay valid as long as a closure holds them.
import type * as tf from '@tensorflow/tfjs';
import type { FeatureMap, Layout } from '../native/types.js';

export function float32Data(t: tf.Tensor, name: string): Float32Array {
  if (t.dtype !== 'float32') throw new TypeError(`${name} must be float32, got ${t.dtype}`);
  return t.dataSync() as Float32Array;
}

export function featureMap(t: tf.Tensor4D, layout: Layout, name: string): FeatureMap {
  return { data: float32Data(t, name), shape: t.shape, layout };
}
