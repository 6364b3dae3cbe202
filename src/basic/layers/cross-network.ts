import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Activation, ACTIVATIONS, applyActivation } from './activation';
import { init, Module } from './module';

/**
 * One full-rank DCN-V2 cross layer (Wang et al., KDD 2021, eq. 1):
 *   x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l
 * Each layer raises the polynomial degree in x_0 by one, so L layers model feature crosses up to order L + 1.
 * Inputs and output are [B, d].
 */
export class CrossLayer extends Module {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;

  constructor(readonly dim: number, rng: Rng) {
    super();
    checkDim(dim, 'CrossLayer');
    this.kernel = this.addParam('kernel', [dim, dim], init.glorotUniform(rng, [dim, dim], dim, dim));
    this.bias = this.addParam('bias', [dim], init.constant([dim], 0), { regularize: false });
  }

  /** x0: the network input; x: this layer's input (x0 for the first layer). */
  apply(x0: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      // row-vector convention (x W) so the product is a plain untransposed matMul, the fast XNNPACK path on wasm
      const wx = tf.fused.matMul({ a: x, b: this.kernel as tf.Tensor2D, bias: this.bias });
      return tf.add(tf.mul(x0, wx), x) as tf.Tensor2D;
    });
  }
}

/**
 * One DCN (v1) cross layer (Wang et al., ADKDD 2017, eq. 3) with a weight vector instead of a matrix:
 *   x_{l+1} = x_0 (x_l^T w_l) + b_l + x_l
 * O(d) parameters per layer; L layers model crosses up to order L + 1. Inputs and output are [B, d].
 */
export class CrossLayerV1 extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(readonly dim: number, rng: Rng) {
    super();
    checkDim(dim, 'CrossLayerV1');
    this.weight = this.addParam('weight', [dim, 1], init.glorotUniform(rng, [dim, 1], dim, 1));
    this.bias = this.addParam('bias', [dim], init.constant([dim], 0), { regularize: false });
  }

  /** x0: the network input; x: this layer's input (x0 for the first layer). */
  apply(x0: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const xw = tf.matMul(x, this.weight as tf.Tensor2D); // [B, 1]
      return tf.add(tf.add(tf.mul(x0, xw), this.bias), x) as tf.Tensor2D;
    });
  }
}

/** Settings of the low-rank mixture-of-experts cross layer. */
export interface CrossMixConfig {
  /** Rank r of each expert's factorisation U V^T (default 32, capped at d). */
  lowRank?: number;
  /** Number of experts K (default 4). */
  numExperts?: number;
  /** Nonlinearity g applied in the r-dimensional space (default 'tanh'; 'linear' gives the purely low-rank layer). */
  lowRankActivation?: Activation;
  /** Apply the r x r transform C_i between the two g's (default true, as in the paper). */
  useLowRankTransform?: boolean;
}

/**
 * DCN-V2 low-rank mixture-of-experts cross layer (the paper's DCN-Mix, eq. 5):
 *   E_i(x_l) = x_0 ⊙ (U_i g(C_i g(V_i^T x_l)) + b_l)
 *   x_{l+1}  = sum_i G_i(x_l) E_i(x_l) + x_l,     G(x_l) = softmax(x_l W_g)
 * With softmax gates summing to one, sum_i G_i (U_i h_i + b_l) = (concat_i G_i h_i) [U_1; ...; U_K] + b_l, so all K
 * experts run as three dense matMuls of width K r (V stacked, C block-diagonal, U stacked) instead of K small ones.
 */
export class CrossMixLayer extends Module {
  readonly v: tf.Variable;
  readonly c: tf.Variable | null;
  readonly u: tf.Variable;
  readonly bias: tf.Variable;
  readonly gate: tf.Variable | null;
  readonly rank: number;
  readonly experts: number;
  readonly activation: Activation;
  /** 1 on the K diagonal r x r blocks: keeps C block-diagonal (so experts stay independent) through training. */
  private readonly blockMask: tf.Variable | null;

  constructor(readonly dim: number, cfg: CrossMixConfig, rng: Rng) {
    super();
    checkDim(dim, 'CrossMixLayer');
    this.rank = Math.min(cfg.lowRank ?? 32, dim);
    this.experts = cfg.numExperts ?? 4;
    this.activation = cfg.lowRankActivation ?? 'tanh';
    if (!Number.isInteger(this.rank) || this.rank < 1) throw new Error(`CrossMixLayer: lowRank must be a positive integer (got ${cfg.lowRank})`);
    if (!Number.isInteger(this.experts) || this.experts < 1) throw new Error(`CrossMixLayer: numExperts must be a positive integer (got ${cfg.numExperts})`);
    if (!ACTIVATIONS.includes(this.activation)) throw new Error(`CrossMixLayer: lowRankActivation must be one of ${ACTIVATIONS.join(', ')} (got '${cfg.lowRankActivation}')`);
    const K = this.experts;
    const r = this.rank;
    const kr = K * r;
    const v = new Float32Array(dim * kr);
    const u = new Float32Array(kr * dim);
    // each expert is initialised as its own [d, r] / [r, d] glorot matrix, independent of how many experts exist
    const vLimit = Math.sqrt(6 / (dim + r));
    for (let i = 0; i < v.length; i++) v[i] = rng.uniform(-vLimit, vLimit);
    for (let i = 0; i < u.length; i++) u[i] = rng.uniform(-vLimit, vLimit);
    this.v = this.addParam('v', [dim, kr], v);
    if (cfg.useLowRankTransform ?? true) {
      const cLimit = Math.sqrt(6 / (2 * r));
      const c = new Float32Array(kr * kr);
      const mask = new Float32Array(kr * kr);
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < r; i++) {
          for (let j = 0; j < r; j++) {
            const at = (k * r + i) * kr + k * r + j;
            c[at] = rng.uniform(-cLimit, cLimit);
            mask[at] = 1;
          }
        }
      }
      this.c = this.addParam('c', [kr, kr], c);
      // a frozen parameter rather than a loose tensor, so it is disposed and saved together with the model
      this.blockMask = this.addParam('c_mask', [kr, kr], mask, { trainable: false, regularize: false });
    } else {
      this.c = null;
      this.blockMask = null;
    }
    this.u = this.addParam('u', [kr, dim], u);
    this.bias = this.addParam('bias', [dim], init.constant([dim], 0), { regularize: false });
    this.gate = K > 1 ? this.addParam('gate', [dim, K], init.glorotUniform(rng, [dim, K], dim, K)) : null;
  }

  /** The low-rank nonlinearity; tanh as 2σ(2x) - 1, since wasm's tanh kernel is a scalar loop ~10x slower than σ. */
  private g(x: tf.Tensor2D): tf.Tensor2D {
    if (this.activation !== 'tanh') return applyActivation(x, this.activation) as tf.Tensor2D;
    return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1) as tf.Tensor2D;
  }

  /** x0: the network input; x: this layer's input (x0 for the first layer). */
  apply(x0: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const B = x.shape[0];
      const K = this.experts;
      const r = this.rank;
      let h: tf.Tensor2D = this.g(tf.matMul(x, this.v as tf.Tensor2D));
      if (this.c) {
        // masking the product, not the variable, also zeroes the off-block gradient, so those entries never move
        const c = tf.mul(this.c, this.blockMask!) as tf.Tensor2D;
        h = this.g(tf.matMul(h, c));
      }
      if (this.gate) {
        const g = tf.softmax(tf.matMul(x, this.gate as tf.Tensor2D)) as tf.Tensor2D;
        h = tf.mul(h.reshape([B, K, r]), g.reshape([B, K, 1])).reshape([B, K * r]) as tf.Tensor2D;
      }
      const mixed = tf.fused.matMul({ a: h, b: this.u as tf.Tensor2D, bias: this.bias });
      return tf.add(tf.mul(x0, mixed), x) as tf.Tensor2D;
    });
  }
}

/** Settings of a stack of cross layers. */
export interface CrossNetworkConfig extends CrossMixConfig {
  /** Number of cross layers (default 3). */
  numLayers?: number;
  /** 'full' (d x d matrices, DCN-V2; default), 'mix' (low-rank mixture of experts) or 'vector' (DCN v1: one weight vector per layer). */
  crossType?: 'full' | 'mix' | 'vector';
}

/** A stack of DCN-V2 cross layers sharing the same x_0; input and output [B, d]. */
export class CrossNetwork extends Module {
  private readonly layers: Array<CrossLayer | CrossMixLayer | CrossLayerV1> = [];

  constructor(readonly dim: number, cfg: CrossNetworkConfig, rng: Rng) {
    super();
    const n = cfg.numLayers ?? 3;
    if (!Number.isInteger(n) || n < 0) throw new Error(`CrossNetwork: numLayers must be a non-negative integer (got ${cfg.numLayers})`);
    const type = cfg.crossType ?? 'full';
    if (type !== 'full' && type !== 'mix' && type !== 'vector') throw new Error(`CrossNetwork: crossType must be 'full', 'mix' or 'vector' (got '${type as string}')`);
    for (let i = 0; i < n; i++) {
      const layer = type === 'full' ? new CrossLayer(dim, rng) : type === 'mix' ? new CrossMixLayer(dim, cfg, rng) : new CrossLayerV1(dim, rng);
      this.layers.push(this.addChild(`${i}`, layer));
    }
  }

  /** Number of cross layers. */
  get depth(): number {
    return this.layers.length;
  }

  apply(x0: tf.Tensor2D): tf.Tensor2D {
    let x = x0;
    for (const layer of this.layers) x = layer.apply(x0, x);
    return x;
  }
}

function checkDim(dim: number, owner: string): void {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`${owner}: dim must be a positive integer (got ${dim})`);
}
