// SGD with momentum and L2 weight decay, as PyTorch's torch.optim.SGD (dampening 0, no Nesterov) computes it:
//   d = g + weightDecay·w          (the L2 term is added to the gradient: "coupled" decay, not AdamW's)
//   b = d on a variable's first update, else b = momentum·b + d
//   w = w − lr·b
// Variables without a gradient in a step are left alone (no decay, no momentum), as PyTorch skips
// parameters whose .grad is None. Nothing is excluded from decay: the paper says only "weight decay 1e-4"
// and the usual CIFAR ResNet code decays every parameter, BatchNorm's γ/β included. (BatchNorm's moving
// statistics are not trainable variables, so they are never touched here.)
//
// Why not tf.train.momentum: it has no weight decay (adding λ/2·‖w‖² to the loss would tape extra ops
// and change the reported loss), it starts the buffer at 0 rather than at the first gradient, and its
// state is keyed by tfjs's process-unique variable names ('conv/kernel_3'), which differ between a run
// and the fresh objects a checkpoint is restored into. Here the state is one buffer per variable, by
// position, with the variable's stable name for checking.
import * as tf from '@tensorflow/tfjs';
import { variableGrads } from './grads.js';

export interface SgdOptions {
  learningRate?: number; // default 0.1
  momentum?: number; // default 0.9
  weightDecay?: number; // default 1e-4
}

/** A trainable variable and the name it is saved under (stable across processes, e.g. 'stem/conv/kernel'). */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

/** One momentum buffer per variable (null until its first update). */
export interface SgdState {
  momentum: number;
  weightDecay: number;
  learningRate: number;
  slots: { name: string; shape: number[]; data: Float32Array | null }[];
}

export class MomentumSgd {
  learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  private readonly vars: NamedVariable[];
  private slots: (tf.Variable | null)[];

  constructor(variables: readonly NamedVariable[], options: SgdOptions = {}) {
    const { learningRate = 0.1, momentum = 0.9, weightDecay = 1e-4 } = options;
    checkRate(learningRate, 'learningRate');
    if (!(momentum >= 0 && momentum < 1)) throw new RangeError(`momentum: expected a number in [0, 1), got ${momentum}`);
    if (!(weightDecay >= 0 && Number.isFinite(weightDecay))) throw new RangeError(`weightDecay: expected a finite number >= 0, got ${weightDecay}`);
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.vars = [...variables];
    this.slots = this.vars.map(() => null);
  }

  get variables(): readonly NamedVariable[] {
    return this.vars;
  }

  /** Updates every variable that has a gradient in `grads` (keyed by tf.Variable.name, as tf.variableGrads returns). */
  applyGradients(grads: tf.NamedTensorMap): void {
    checkRate(this.learningRate, 'learningRate');
    tf.tidy(() => {
      const lr = tf.scalar(this.learningRate);
      const mu = tf.scalar(this.momentum);
      const wd = tf.scalar(this.weightDecay);
      this.vars.forEach(({ variable: w }, i) => {
        const g = grads[w.name];
        if (!g) return;
        const d = this.weightDecay === 0 ? g : tf.add(g, tf.mul(wd, w));
        let b = this.slots[i];
        if (!b) {
          b = tf.variable(d, false);
          this.slots[i] = b;
        } else if (this.momentum !== 0) {
          b.assign(tf.add(tf.mul(mu, b), d));
        } else {
          b.assign(d);
        }
        w.assign(tf.sub(w, tf.mul(lr, b)));
      });
    });
  }

  /** Minimises f over the variables: one forward + backward + update; returns the loss value. */
  minimize(f: () => tf.Scalar): number {
    return tf.tidy(() => {
      const { value, grads } = variableGrads(f, this.vars.map((v) => v.variable));
      this.applyGradients(grads);
      return value.dataSync()[0]!;
    });
  }

  getState(): SgdState {
    return {
      momentum: this.momentum,
      weightDecay: this.weightDecay,
      learningRate: this.learningRate,
      slots: this.vars.map(({ name, variable }, i) => ({
        name,
        shape: [...variable.shape],
        data: this.slots[i] ? Float32Array.from(this.slots[i]!.dataSync() as Float32Array) : null,
      })),
    };
  }

  /** Replaces the buffers; names and shapes must match this optimizer's variables, in order. */
  setState(state: SgdState): void {
    if (state.momentum !== this.momentum || state.weightDecay !== this.weightDecay) {
      throw new RangeError(
        `optimizer state: momentum ${state.momentum}, weight decay ${state.weightDecay} differ from this optimizer's ${this.momentum}, ${this.weightDecay}`,
      );
    }
    if (state.slots.length !== this.vars.length) throw new RangeError(`optimizer state: ${state.slots.length} buffers for ${this.vars.length} variables`);
    state.slots.forEach((s, i) => {
      const v = this.vars[i]!;
      if (s.name !== v.name || !sameShape(s.shape, v.variable.shape)) {
        throw new RangeError(`optimizer state: buffer ${i} is '${s.name}' ${JSON.stringify(s.shape)}, the variable is '${v.name}' ${JSON.stringify(v.variable.shape)}`);
      }
      if (s.data && s.data.length !== v.variable.size) throw new RangeError(`optimizer state: buffer '${s.name}' has ${s.data.length} values, expected ${v.variable.size}`);
    });
    this.disposeSlots();
    this.slots = state.slots.map((s, i) => {
      if (!s.data) return null;
      // A variable shares its initial tensor's data; the initial tensor itself is disposed.
      const t = tf.tensor(Float32Array.from(s.data), this.vars[i]!.variable.shape, 'float32');
      const v = tf.variable(t, false);
      t.dispose();
      return v;
    });
    this.learningRate = state.learningRate;
  }

  dispose(): void {
    this.disposeSlots();
  }

  private disposeSlots(): void {
    for (const s of this.slots) s?.dispose();
    this.slots = this.vars.map(() => null);
  }
}

function checkRate(lr: number, name: string): void {
  if (!(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0)) throw new RangeError(`${name}: expected a finite number >= 0, got ${lr}`);
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
