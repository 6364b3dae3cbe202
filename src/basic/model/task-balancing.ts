import * as tf from '@tensorflow/tfjs-core';
import { customOp } from '../layers/custom-op';

/**
 * How a multi-task model weighs its per-task losses during training (compile's `taskBalancing`):
 *  - 'fixed' (default): total = sum_t w_t L_t with compile's `lossWeights`;
 *  - 'uncertainty': Kendall, Gal & Cipolla (CVPR 2018), homoscedastic uncertainty with learned log-variances s_t,
 *    total = sum_t w_t (c_t exp(-s_t) L_t + s_t / 2), c_t = 1 for binary and 1/2 for regression targets;
 *  - 'gradnorm': Chen et al. (ICML 2018), weights w_t moved so that each task's gradient norm at the last shared
 *    representation tracks the mean norm times its relative inverse training rate r_t^alpha.
 */
export type TaskBalancingOption = 'fixed' | 'uncertainty' | 'gradnorm' | TaskBalancingConfig;

/** Task balancing with its settings. */
export interface TaskBalancingConfig {
  method: 'fixed' | 'uncertainty' | 'gradnorm';
  /** GradNorm's asymmetry alpha: how strongly slow tasks are pushed (default 1.5, the paper's value for tasks of different kinds). */
  alpha?: number;
  /** Learning rate of GradNorm's weights (Adam; default 0.025, the paper's value). */
  lr?: number;
}

/** The per-task loss combiner used by BaseModel's training step. */
export interface TaskBalancer {
  readonly method: 'fixed' | 'uncertainty' | 'gradnorm';
  /** Training objective from the unweighted per-task losses. */
  combine(taskLosses: tf.Scalar[]): tf.Scalar;
  /** Trainable variables of the balancer, optimised with the dense parameters (uncertainty's log-variances). */
  variables(): tf.Variable[];
  /** Identity on task t's input representation; GradNorm records the norm of the gradient that flows back through it. */
  tap(task: number, representation: tf.Tensor2D): tf.Tensor2D;
  /** Update after a step from its unweighted per-task losses (GradNorm's weight step). */
  afterStep(taskLosses: number[]): void;
  /** Current effective weight of each task (logged per epoch). */
  weights(): number[];
  dispose(): void;
}

/** Task types the balancers need (uncertainty's factor c_t). */
export interface BalancedTask {
  name: string;
  type: 'binary' | 'regression';
}

const METHODS = ['fixed', 'uncertainty', 'gradnorm'] as const;

/** Build the balancer of compile's `taskBalancing` option. */
export function createTaskBalancer(option: TaskBalancingOption | undefined, tasks: BalancedTask[], lossWeights: number[]): TaskBalancer {
  const cfg: TaskBalancingConfig = option === undefined ? { method: 'fixed' } : typeof option === 'string' ? { method: option } : option;
  if (!cfg || !(METHODS as readonly string[]).includes(cfg.method)) {
    throw new Error(`compile: taskBalancing must be one of ${METHODS.map((m) => `'${m}'`).join(', ')} or { method, alpha, lr } (got ${JSON.stringify(option)})`);
  }
  if (cfg.method !== 'gradnorm' && (cfg.alpha !== undefined || cfg.lr !== undefined)) {
    throw new Error(`compile: taskBalancing.alpha and .lr are GradNorm settings; method '${cfg.method}' does not use them`);
  }
  if (cfg.method !== 'fixed' && tasks.length < 2) throw new Error(`compile: taskBalancing '${cfg.method}' needs at least two targets (the model has ${tasks.length})`);
  if (cfg.method === 'uncertainty') return new UncertaintyBalancer(tasks, lossWeights);
  if (cfg.method === 'gradnorm') return new GradNormBalancer(lossWeights, cfg.alpha ?? 1.5, cfg.lr ?? 0.025);
  return new FixedBalancer(lossWeights);
}

function weightedSum(losses: tf.Scalar[], weights: ArrayLike<number>): tf.Scalar {
  return tf.addN(losses.map((l, t) => tf.mul(l, weights[t]))) as tf.Scalar;
}

class FixedBalancer implements TaskBalancer {
  readonly method = 'fixed' as const;
  constructor(private readonly lossWeights: number[]) {}
  combine(taskLosses: tf.Scalar[]): tf.Scalar {
    return weightedSum(taskLosses, this.lossWeights);
  }
  variables(): tf.Variable[] {
    return [];
  }
  tap(_task: number, representation: tf.Tensor2D): tf.Tensor2D {
    return representation;
  }
  afterStep(): void {}
  weights(): number[] {
    return this.lossWeights.slice();
  }
  dispose(): void {}
}

/**
 * Kendall et al.: L = sum_t c_t exp(-s_t) L_t + s_t / 2 with s_t = log sigma_t^2 learned. A task whose loss stays
 * large (noisy, or on a larger scale) raises its s_t and so its own weight falls, which rescales the tasks without a
 * hand-tuned weight. c_t = 1/2 for a Gaussian (mse) task and 1 for a Bernoulli task, as in the paper.
 */
class UncertaintyBalancer implements TaskBalancer {
  readonly method = 'uncertainty' as const;
  private readonly logVariance: tf.Variable;
  private readonly factors: number[];

  constructor(tasks: BalancedTask[], private readonly lossWeights: number[]) {
    this.logVariance = tf.variable(tf.zeros([tasks.length]), true);
    this.factors = tasks.map((t) => (t.type === 'regression' ? 0.5 : 1));
  }
  combine(taskLosses: tf.Scalar[]): tf.Scalar {
    const losses = tf.stack(taskLosses) as tf.Tensor1D;
    const precision = tf.mul(tf.exp(tf.neg(this.logVariance)), this.factors);
    const perTask = tf.add(tf.mul(precision, losses), tf.mul(this.logVariance, 0.5));
    return tf.sum(tf.mul(perTask, this.lossWeights)) as tf.Scalar;
  }
  variables(): tf.Variable[] {
    return [this.logVariance];
  }
  tap(_task: number, representation: tf.Tensor2D): tf.Tensor2D {
    return representation;
  }
  afterStep(): void {}
  weights(): number[] {
    const s = this.logVariance.dataSync();
    return this.factors.map((c, t) => this.lossWeights[t] * c * Math.exp(-s[t]));
  }
  dispose(): void {
    this.logVariance.dispose();
  }
}

/**
 * Chen et al., GradNorm. With G_t = ||grad of w_t L_t at the shared representation||, Ḡ its mean over tasks,
 * L̃_t = L_t / L_t(0) and r_t = L̃_t / mean(L̃), the weights descend L_grad = sum_t |G_t − Ḡ r_t^alpha| (the target
 * held constant, as in the paper), so dL_grad/dw_t = sign(G_t − target_t) · G_t / w_t, and are renormalised to
 * keep their initial sum. G_t is measured where each task's tower reads its input (`tap`), in the same backward
 * pass as the training step: the gradient reaching tower t's input is exactly w_t times task t's gradient there.
 */
class GradNormBalancer implements TaskBalancer {
  readonly method = 'gradnorm' as const;
  private readonly w: tf.Variable;
  private readonly optimizer: tf.Optimizer;
  private readonly total: number;
  private current: number[];
  private initialLosses: number[] | null = null;
  private norms: number[] = [];

  constructor(lossWeights: number[], private readonly alpha: number, lr: number) {
    if (!(alpha >= 0)) throw new Error(`compile: taskBalancing.alpha must be >= 0 (got ${alpha})`);
    if (!(lr > 0)) throw new Error(`compile: taskBalancing.lr must be > 0 (got ${lr})`);
    const sum = lossWeights.reduce((a, b) => a + b, 0);
    if (!(sum > 0)) throw new Error('compile: GradNorm needs lossWeights with a positive sum');
    // the paper keeps the weights summing to the number of tasks; equal lossWeights start at w_t = 1
    this.total = lossWeights.length;
    this.current = lossWeights.map((v) => (v * this.total) / sum);
    this.w = tf.variable(tf.tensor1d(this.current), true);
    this.optimizer = tf.train.adam(lr);
  }
  combine(taskLosses: tf.Scalar[]): tf.Scalar {
    this.norms = taskLosses.map(() => NaN);
    return weightedSum(taskLosses, this.current);
  }
  variables(): tf.Variable[] {
    return [];
  }
  tap(task: number, representation: tf.Tensor2D): tf.Tensor2D {
    const record = (g: number) => (this.norms[task] = g);
    const f = customOp(([x]) => ({
      value: tf.clone(x),
      gradFunc: (dy: tf.Tensor) => {
        record(tf.tidy(() => tf.norm(dy).dataSync()[0]));
        return [dy];
      },
    }));
    return f(representation) as tf.Tensor2D;
  }
  afterStep(taskLosses: number[]): void {
    const T = taskLosses.length;
    if (this.norms.length !== T || this.norms.some((g) => !Number.isFinite(g))) {
      throw new Error("compile: taskBalancing 'gradnorm' needs the model to tap each task's tower input (MultiTaskModel.applyTowers); this model does not, so use 'uncertainty' or 'fixed'");
    }
    if (!this.initialLosses) this.initialLosses = taskLosses.map((l) => Math.max(l, 1e-12));
    const ratios = taskLosses.map((l, t) => l / this.initialLosses![t]);
    const meanRatio = ratios.reduce((a, b) => a + b, 0) / T;
    const meanNorm = this.norms.reduce((a, b) => a + b, 0) / T;
    const grad = this.norms.map((G, t) => {
      const target = meanNorm * Math.pow(ratios[t] / meanRatio, this.alpha);
      return Math.sign(G - target) * (G / Math.max(this.current[t], 1e-12));
    });
    const g = tf.tensor1d(grad);
    this.optimizer.applyGradients([{ name: this.w.name, tensor: g }]);
    g.dispose();
    const raw = Array.from(this.w.dataSync(), (v) => Math.max(v, 1e-3));
    const sum = raw.reduce((a, b) => a + b, 0);
    this.current = raw.map((v) => (v * this.total) / sum);
    const next = tf.tensor1d(this.current);
    this.w.assign(next);
    next.dispose();
  }
  weights(): number[] {
    return this.current.slice();
  }
  dispose(): void {
    this.w.dispose();
    this.optimizer.dispose();
  }
}
