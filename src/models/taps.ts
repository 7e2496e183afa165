// A tfjs model with feature taps: one forward returns the logits and every tapped feature map, so the
// trainer computes FSP matrices from the same pass that gives the cross-entropy.
import * as tf from '@tensorflow/tfjs';

/** An FSP pair: indices into `taps` of the first and second feature map (G = firstᵀ·second / (h·w)). */
export type TapPair = [number, number];

export interface TappedModel {
  /** Outputs [logits, ...one NHWC map per tap]; shares its layers (and weights) with the model it was made from. */
  model: tf.LayersModel;
  /** Layer names whose outputs are tapped, in output order. */
  taps: string[];
  pairs: TapPair[];
}

export interface TapOutputs {
  logits: tf.Tensor2D;
  features: tf.Tensor4D[];
}

/**
 * Wraps `base` (single input; its first output is the logits) into a model that also outputs the named
 * layers. Throws when a name is missing (listing the available ones), a tap is not a 4-D map, or a
 * pair index is out of range.
 */
export function tapModel(base: tf.LayersModel, taps: readonly string[], pairs: readonly TapPair[]): TappedModel {
  if (base.inputs.length !== 1) throw new RangeError(`model '${base.name}' has ${base.inputs.length} inputs; a tapped model needs exactly one`);
  const names = base.layers.map((l) => l.name);
  const logits = base.outputs[0];
  if (!logits || logits.shape.length !== 2) {
    throw new RangeError(`model '${base.name}': its first output must be logits [batch, classes], got shape ${JSON.stringify(logits?.shape)}`);
  }
  const maps = taps.map((name, i) => {
    if (!names.includes(name)) {
      throw new RangeError(`taps[${i}]: no layer named '${name}' in model '${base.name}'; available layers: ${names.join(', ')}`);
    }
    // tfjs returns null for a repeated output; pairs can share a tap instead.
    if (taps.indexOf(name) !== i) throw new RangeError(`taps[${i}]: '${name}' is already taps[${taps.indexOf(name)}]; use that index in several pairs`);
    const layer = base.getLayer(name);
    if (layer.inboundNodes.length !== 1) throw new RangeError(`taps[${i}]: layer '${name}' is called ${layer.inboundNodes.length} times; its output is ambiguous`);
    const out = layer.output as tf.SymbolicTensor | tf.SymbolicTensor[];
    if (Array.isArray(out) || out.shape.length !== 4) {
      const shape = Array.isArray(out) ? out.map((o) => o.shape) : out.shape;
      throw new RangeError(`taps[${i}]: layer '${name}' outputs ${JSON.stringify(shape)}; FSP needs one 4-D NHWC feature map`);
    }
    return out;
  });
  pairs.forEach((pair, i) => {
    for (const k of pair) {
      if (!Number.isInteger(k) || k < 0 || k >= taps.length) throw new RangeError(`pairs[${i}]: index ${k} is not a tap index (0..${taps.length - 1})`);
    }
  });
  const model = tf.model({ inputs: base.inputs, outputs: [logits, ...maps], name: `${base.name}_tapped` });
  return { model, taps: [...taps], pairs: pairs.map(([a, b]) => [a, b]) };
}

/** The logits-only view of a tapped model (same layers), for saving and plain inference. */
export function logitsModel(tapped: TappedModel): tf.LayersModel {
  const { model } = tapped;
  return tf.model({ inputs: model.inputs, outputs: model.outputs[0]!, name: model.name.replace(/_tapped$/, '') });
}

/**
 * One forward pass: logits and the tapped maps. `training` selects batch statistics in BatchNorm (and
 * updates its moving averages). Intermediates are freed; the caller disposes the returned tensors.
 */
export function forwardWithTaps(tapped: TappedModel, x: tf.Tensor4D, { training = false }: { training?: boolean } = {}): TapOutputs {
  const outs = tf.tidy(() => {
    const y = tapped.model.apply(x, { training });
    return Array.isArray(y) ? (y as tf.Tensor[]) : [y as tf.Tensor];
  });
  const [logits, ...features] = outs;
  return { logits: logits as tf.Tensor2D, features: features as tf.Tensor4D[] };
}
