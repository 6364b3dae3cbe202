import * as tf from '@tensorflow/tfjs-core';

type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * Dense (tfjs) optimizers that tfjs does not ship: AdamW and FTRL-Proximal. Each keeps named slot variables per
 * parameter so that `getWeights`/`setWeights` (and so model save/load) carry the optimizer state exactly like
 * tfjs' own optimizers do. Their formulas match the row-sparse counterparts in embedding/sparse-optimizer.ts.
 */
abstract class SlotOptimizer extends tf.Optimizer {
  /**
   * Slot variables by position of the parameter in the gradient list (as tfjs' own optimizers keep them): variable
   * names are not stable across a save and load, the order of a model's parameters is.
   */
  private slots: tf.Variable[][] = [];

  constructor(
    public learningRate: number,
    private readonly slotNames: string[],
  ) {
    super();
  }

  /** Update one parameter in place from its gradient and slot variables (called inside a tidy). */
  protected abstract update(value: tf.Variable, gradient: tf.Tensor, slots: tf.Variable[], iteration: number): void;

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const iteration = this.iterations + 1;
    list.forEach(({ name, tensor: gradient }, i) => {
      if (gradient == null) return;
      const value = tf.engine().registeredVariables[name];
      let slots = this.slots[i];
      if (!slots) slots = this.slots[i] = this.slotNames.map(() => tf.tidy(() => tf.zerosLike(value).variable(false)));
      const s = slots;
      tf.tidy(() => this.update(value, gradient, s, iteration));
    });
    this.incrementIterations();
  }

  async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    this.slots.forEach((vars, i) => vars.forEach((v, k) => out.push({ name: `${i}/${this.slotNames[k]}`, tensor: v })));
    return out;
  }

  async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const per = this.slotNames.length;
    if (rest.length % per !== 0) throw new Error(`${this.getClassName()}: saved state has ${rest.length} tensors, not a multiple of ${per} (${this.slotNames.join(', ')})`);
    // new variables first: the given tensors may be this optimizer's own slots (getWeights returns them)
    const restored: tf.Variable[][] = [];
    for (let i = 0; i < rest.length; i += per) restored.push(rest.slice(i, i + per).map((w) => tf.variable(w.tensor, false)));
    this.disposeSlots();
    this.slots = restored;
  }

  private disposeSlots(): void {
    for (const vars of this.slots) if (vars) tf.dispose(vars);
    this.slots = [];
  }

  dispose(): void {
    super.dispose();
    this.disposeSlots();
  }
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"):
 * w <- w (1 - lr wd) - lr mhat / (sqrt(vhat) + eps). The decay scales with the (scheduled) learning rate, as in
 * PyTorch's AdamW, and applies to every dense parameter it updates.
 */
export class AdamWOptimizer extends SlotOptimizer {
  static className = 'NextrecAdamW';

  constructor(
    learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
    readonly weightDecay = 0.01,
  ) {
    super(learningRate, ['m', 'v']);
  }

  protected update(value: tf.Variable, g: tf.Tensor, [m, v]: tf.Variable[], t: number): void {
    const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
    const vNew = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
    const mHat = tf.div(mNew, 1 - Math.pow(this.beta1, t));
    const vHat = tf.div(vNew, 1 - Math.pow(this.beta2, t));
    const step = tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon));
    m.assign(mNew);
    v.assign(vNew);
    value.assign(tf.sub(tf.mul(value, 1 - this.learningRate * this.weightDecay), tf.mul(step, this.learningRate)));
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }
}

/**
 * FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the Trenches", 2013), per coordinate with
 * alpha = learning rate: sigma = (sqrt(n + g^2) - sqrt(n)) / alpha; z += g - sigma w; n += g^2;
 * w = 0 where |z| <= l1, else -(z - sign(z) l1) / ((beta + sqrt(n)) / alpha + l2).
 * L1/L2 are proximal (closed form); `penalties` sets them per parameter (biases are left unpenalised).
 */
export class FtrlOptimizer extends SlotOptimizer {
  static className = 'NextrecFtrl';
  private l1 = 0;
  private l2 = 0;
  private penalised: Set<string> | null = null;

  constructor(
    learningRate: number,
    readonly beta = 1,
  ) {
    super(learningRate, ['z', 'n']);
  }

  /** Proximal L1 and L2 strengths, applied to the named parameters only (all when `names` is null). */
  setPenalties(l1: number, l2: number, names: Iterable<string> | null): void {
    this.l1 = l1;
    this.l2 = l2;
    this.penalised = names ? new Set(names) : null;
  }

  protected update(value: tf.Variable, g: tf.Tensor, [z, n]: tf.Variable[]): void {
    const on = !this.penalised || this.penalised.has(value.name);
    const l1 = on ? this.l1 : 0;
    const l2 = on ? this.l2 : 0;
    const alpha = this.learningRate;
    const nNew = tf.add(n, tf.square(g));
    const sqrtNew = tf.sqrt(nNew);
    const sigma = tf.div(tf.sub(sqrtNew, tf.sqrt(n)), alpha);
    const zNew = tf.sub(tf.add(z, g), tf.mul(sigma, value));
    const denom = tf.add(tf.div(tf.add(sqrtNew, this.beta), alpha), l2);
    const shrunk = tf.sub(zNew, tf.mul(tf.sign(zNew), l1));
    const w = tf.where(tf.lessEqual(tf.abs(zNew), l1), tf.zerosLike(zNew), tf.neg(tf.div(shrunk, denom)));
    z.assign(zNew);
    n.assign(nNew);
    value.assign(w);
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta: this.beta };
  }
}

/** Optimizers whose L1/L2 penalties are applied proximally inside the update rather than added to the loss. */
export interface ProximalOptimizer {
  setPenalties(l1: number, l2: number, names: Iterable<string> | null): void;
}

export function isProximal(opt: tf.Optimizer): opt is tf.Optimizer & ProximalOptimizer {
  return typeof (opt as Partial<ProximalOptimizer>).setPenalties === 'function';
}

/**
 * Set a dense optimizer's learning rate between steps. tfjs' SGD and momentum optimizers cache the rate in a
 * tensor (setLearningRate); Adam, Adagrad and RMSProp read their `learningRate` field at each step.
 */
export function setDenseLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate?: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else if (typeof o.learningRate === 'number') o.learningRate = lr;
  else throw new Error(`cannot set the learning rate of optimizer ${opt.getClassName()} (it has no learningRate field)`);
}
