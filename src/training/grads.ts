// tf.variableGrads that frees its gradient tape when it throws. The tape holds a clone of every tensor a
// kernel saves for its gradient (kept: tf.tidy does not free them), and tfjs frees those only at the end of
// a backward pass that completes. An error in the forward pass (a layer, the loss, the FSP kernel) or in the
// backward (a gradient function) would leave them allocated for the process's life (a failed step of the
// three-conv net in test/training-leak.test.ts left 39 to 76).
import * as tf from '@tensorflow/tfjs';

export function variableGrads(f: () => tf.Scalar, varList: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  try {
    return tf.variableGrads(f, varList);
  } catch (err) {
    const { state } = tf.engine();
    // A tape under an enclosing gradient (higher order) is the enclosing call's to free.
    if (state.gradientDepth === 0) {
      for (const node of state.activeTape ?? []) tf.dispose(node.saved ?? []);
      state.activeTape = [];
    }
    throw err;
  }
}
