import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { init, Module } from './module';

/** Settings of {@link CapsuleRouting}. */
export interface CapsuleRoutingConfig {
  /** Width of the behaviour (low-level capsule) vectors. */
  inputDim: number;
  /** Width of the interest (high-level capsule) vectors (default inputDim). */
  outputDim?: number;
  /** Maximum number of interest capsules K (default 4). */
  numCapsules?: number;
  /** Sequence length L the routing logits are laid out for (the behaviour feature's maxLen). */
  maxLen: number;
  /** Routing iterations (default 3). */
  iterations?: number;
  /** Std of the normal initial routing logits (default 1). */
  initStd?: number;
  /** Use K_u = max(1, min(K, floor(log2(len)))) capsules per user instead of always K (default false). */
  dynamicCapsules?: boolean;
  /**
   * 'final' (default): the coupling coefficients of the last iteration are treated as constants in backprop, so
   * gradients reach S and the behaviours only through the final weighted sum (the routing loop runs outside the
   * gradient tape, about 3x cheaper per step); 'full': differentiate through every routing iteration.
   */
  routingGradient?: 'final' | 'full';
}

/** Output of {@link CapsuleRouting.apply}. */
export interface CapsuleOutput {
  /** Interest capsules [B, K, outputDim]; disabled capsules (dynamic count) are zero. */
  capsules: tf.Tensor3D;
  /** [B, K], 1 for capsules in use. */
  capsuleMask: tf.Tensor2D;
}

/**
 * squash(z) = |z|^2 / (1 + |z|^2) * z / |z| along the last axis (Sabour et al., 2017): keeps the direction and
 * maps the length into [0, 1), so a capsule's length can act as the strength of what it represents.
 */
export function squash<T extends tf.Tensor>(z: T): T {
  return tf.tidy(() => {
    const n2 = tf.sum(tf.square(z), -1, true);
    // the epsilon keeps the gradient of sqrt finite for an all-zero capsule (e.g. a disabled one)
    return tf.mul(z, tf.div(n2, tf.mul(tf.add(1, n2), tf.sqrt(tf.add(n2, 1e-9))))) as T;
  });
}

/**
 * Dynamic interest count of MIND: K_u = max(1, min(K, floor(log2(len)))) per row, as a [B, K] 0/1 mask, from a
 * behaviour mask [B, L].
 */
export function dynamicCapsuleMask(mask: tf.Tensor2D, numCapsules: number): tf.Tensor2D {
  return tf.tidy(() => {
    const len = tf.sum(mask, 1, true);
    // log2 of an exact power of two can come out a hair below the integer; the epsilon keeps floor() exact
    const ku = tf.clipByValue(tf.floor(tf.add(tf.div(tf.log(tf.maximum(len, 1)), Math.LN2), 1e-5)), 1, numCapsules);
    const k = tf.range(0, numCapsules, 1, 'float32').reshape([1, numCapsules]);
    return tf.cast(tf.less(k, ku), 'float32') as tf.Tensor2D;
  });
}

/**
 * Behaviour-to-interest (B2I) dynamic routing of MIND (Li et al., CIKM 2019), a variant of capsule routing
 * (Sabour et al., 2017) with one bilinear map S shared by all behaviour/interest pairs:
 *   u_hat_i = S e_i                                  (behaviour capsules, [B, L, D_out])
 *   repeat r times:
 *     w_ij = softmax_j(b_ij)                          (over interest capsules j, for each behaviour i)
 *     z_j  = sum_i w_ij * mask_i * u_hat_i
 *     u_j  = squash(z_j)
 *     b_ij = b_ij + u_j . u_hat_i
 * The initial logits b_ij are drawn once from N(0, initStd^2) with the model's seeded generator and are not
 * trained: sharing S would otherwise make every interest capsule identical, and random initial couplings are what
 * breaks that symmetry. They are stored as a frozen parameter so a saved model routes exactly as before.
 * Padded behaviours (mask 0) take no part in routing.
 */
export class CapsuleRouting extends Module {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly numCapsules: number;
  readonly maxLen: number;
  readonly iterations: number;
  readonly dynamicCapsules: boolean;
  readonly routingGradient: 'final' | 'full';
  private readonly bilinear: tf.Variable;
  private readonly initialLogits: tf.Variable;

  constructor(cfg: CapsuleRoutingConfig, rng: Rng) {
    super();
    const { inputDim, outputDim = cfg.inputDim, numCapsules = 4, maxLen, iterations = 3, initStd = 1, dynamicCapsules = false, routingGradient = 'final' } = cfg;
    for (const [field, v, min] of [
      ['inputDim', inputDim, 1],
      ['outputDim', outputDim, 1],
      ['numCapsules', numCapsules, 1],
      ['maxLen', maxLen, 1],
      ['iterations', iterations, 1],
    ] as const) {
      if (!Number.isInteger(v) || v < min) throw new Error(`CapsuleRouting: ${field} must be an integer >= ${min} (got ${v})`);
    }
    if (routingGradient !== 'final' && routingGradient !== 'full') throw new Error(`CapsuleRouting: routingGradient must be 'final' or 'full' (got '${routingGradient}')`);
    if (!(initStd >= 0)) throw new Error(`CapsuleRouting: initStd must be >= 0 (got ${initStd})`);
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.numCapsules = numCapsules;
    this.maxLen = maxLen;
    this.iterations = iterations;
    this.dynamicCapsules = dynamicCapsules;
    this.routingGradient = routingGradient;
    this.bilinear = this.addParam('S', [inputDim, outputDim], init.glorotUniform(rng, [inputDim, outputDim], inputDim, outputDim));
    // laid out [L, K] so the softmax over capsules runs on the last axis (the only one tfjs softmax supports)
    this.initialLogits = this.addParam('routing_logits', [maxLen, numCapsules], init.normal(rng, [maxLen, numCapsules], initStd), { trainable: false, regularize: false });
  }

  /**
   * Route behaviours `seq` [B, L, inputDim] under `mask` [B, L] (1 = real behaviour) into interest capsules.
   * L may be shorter than maxLen (the first L initial logits are used).
   */
  apply(seq: tf.Tensor3D, mask: tf.Tensor2D): CapsuleOutput {
    const [B, L, D] = seq.shape;
    if (D !== this.inputDim) throw new Error(`CapsuleRouting: behaviours have width ${D}, expected ${this.inputDim}`);
    if (L > this.maxLen) throw new Error(`CapsuleRouting: sequence length ${L} exceeds maxLen ${this.maxLen}`);
    const K = this.numCapsules;
    const uHat = tf.matMul(seq.reshape([B * L, D]), this.bilinear).reshape([B, L, this.outputDim]) as tf.Tensor3D;
    const capsuleMask = this.dynamicCapsules ? dynamicCapsuleMask(mask, K) : (tf.ones([B, K]) as tf.Tensor2D);
    // disabled capsules get no coupling at all, so their z (and capsule) is exactly zero
    const capsuleBias = tf.mul(tf.sub(capsuleMask, 1), 1e9).expandDims(1) as tf.Tensor3D; // [B, 1, K]
    const behaviourMask = mask.expandDims(2) as tf.Tensor3D; // [B, L, 1]
    const initial = (L === this.maxLen ? this.initialLogits : this.initialLogits.slice([0, 0], [L, K])).expandDims(0) as tf.Tensor3D; // [1, L, K]
    // coupling coefficients of one iteration: softmax over capsules, padded behaviours weighted 0
    const coupling = (logits: tf.Tensor3D) => tf.mul(tf.softmax(tf.add(logits, capsuleBias)), behaviourMask) as tf.Tensor3D; // [B, L, K]
    // `iterations` rounds of routing; returns the last capsules and the logits accumulated before that round
    const route = (u: tf.Tensor3D, iterations: number): { logits: tf.Tensor3D; capsules: tf.Tensor3D } => {
      let logits = initial;
      let capsules = squash(tf.matMul(coupling(logits), u, true, false) as tf.Tensor3D); // [B, K, D_out]
      for (let r = 1; r < iterations; r++) {
        logits = tf.add(logits, tf.matMul(u, capsules, false, true)) as tf.Tensor3D;
        capsules = squash(tf.matMul(coupling(logits), u, true, false) as tf.Tensor3D);
      }
      return { logits, capsules };
    };
    if (this.routingGradient === 'full' || this.iterations === 1) return { capsules: route(uHat, this.iterations).capsules, capsuleMask };
    // ops inside a custom-gradient forward are not taped, so the routing loop costs no backward pass and the logits
    // of the last round enter the graph as a constant
    const finalLogits = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const u = args[0] as tf.Tensor3D;
      const { logits, capsules } = route(u, this.iterations - 1);
      return { value: tf.add(logits, tf.matMul(u, capsules, false, true)), gradFunc: () => tf.zerosLike(u) };
    }) as (u: tf.Tensor3D) => tf.Tensor3D;
    const capsules = squash(tf.matMul(coupling(finalLogits(uHat)), uHat, true, false) as tf.Tensor3D);
    return { capsules, capsuleMask };
  }
}
