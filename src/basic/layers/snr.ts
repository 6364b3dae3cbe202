import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { ExpertSet } from './experts';
import { MlpConfig } from './mlp';
import { ForwardContext, init, Module } from './module';

/** Hard concrete stretch and temperature of Louizos et al. (ICLR 2018), as used by SNR. */
const BETA = 2 / 3;
const GAMMA = -0.1;
const ZETA = 1.1;

/** Settings of a {@link SubNetworkRouter}. */
export interface SubNetworkRouterConfig {
  /** Lower sub-networks (experts). */
  numLower: number;
  /** Shape of every lower sub-network. */
  lower: MlpConfig;
  /** Width of each upper input u_j. */
  upperDim: number;
  /** Initial log α of every connection (default 3: codes start near 1, every connection open). */
  initLogAlpha?: number;
}

/**
 * Sub-Network Routing with transformation matrices (SNR-Trans; Ma et al., AAAI 2019). Lower sub-networks v_i(x)
 * feed upper inputs through learned connections with binary codes z_ij:
 *   u_j = relu( sum_i z_ij W_ij v_i + b_j ).
 * z_ij follows a hard concrete distribution with parameter log α_ij: in training
 *   s = σ((log u − log(1 − u) + log α) / β), z = min(1, max(0, s (ζ − γ) + γ)),  u ~ U(0, 1),
 * and at inference z = min(1, max(0, σ(log α)(ζ − γ) + γ)), exactly 0 or 1 once log α is far from 0. The expected
 * number of open connections, sum_ij σ(log α_ij − β log(−γ/ζ)), is the L0 penalty that prunes them.
 */
export class SubNetworkRouter extends Module {
  private readonly lower: ExpertSet;
  private readonly transforms: tf.Variable[];
  private readonly biases: tf.Variable[];
  readonly logAlpha: tf.Variable;
  readonly outputDim: number;

  constructor(readonly inputDim: number, readonly numUpper: number, readonly cfg: SubNetworkRouterConfig, rng: Rng, owner = 'SNR') {
    super();
    if (!Number.isInteger(cfg.upperDim) || cfg.upperDim < 1) throw new Error(`${owner}: upperDim must be a positive integer (got ${cfg.upperDim})`);
    this.lower = this.addChild('lower', new ExpertSet(inputDim, cfg.numLower, cfg.lower, rng, owner));
    const H = this.lower.outputDim;
    const K = cfg.numLower;
    // W_j = [W_1j; ...; W_Kj] stacked: u_j = (z_·j ⊙ v) W_j over the concatenated lower outputs
    this.transforms = Array.from({ length: numUpper }, (_, j) => this.addParam(`transform/${j}`, [K * H, cfg.upperDim], init.glorotUniform(rng, [K * H, cfg.upperDim], H, cfg.upperDim)));
    this.biases = Array.from({ length: numUpper }, (_, j) => this.addParam(`bias/${j}`, [cfg.upperDim], init.constant([cfg.upperDim], 0), { regularize: false }));
    this.logAlpha = this.addParam('log_alpha', [K, numUpper], init.constant([K, numUpper], cfg.initLogAlpha ?? 3), { regularize: false });
    this.outputDim = cfg.upperDim;
  }

  /** Codes z [K, M]: sampled in training, deterministic at inference. */
  codes(ctx: ForwardContext): tf.Tensor2D {
    const [K, M] = this.logAlpha.shape;
    let s: tf.Tensor;
    if (ctx.training) {
      const u = new Float32Array(K * M);
      for (let i = 0; i < u.length; i++) u[i] = Math.min(Math.max(ctx.rng.next(), 1e-6), 1 - 1e-6);
      const ut = tf.tensor2d(u, [K, M]);
      s = tf.sigmoid(tf.div(tf.add(tf.sub(tf.log(ut), tf.log1p(tf.neg(ut))), this.logAlpha), BETA));
    } else {
      s = tf.sigmoid(this.logAlpha);
    }
    return tf.clipByValue(tf.add(tf.mul(s, ZETA - GAMMA), GAMMA), 0, 1) as tf.Tensor2D;
  }

  /** Expected number of open connections (the L0 penalty). */
  l0(): tf.Scalar {
    return tf.sum(tf.sigmoid(tf.sub(this.logAlpha, BETA * Math.log(-GAMMA / ZETA)))) as tf.Scalar;
  }

  /** One upper input [B, upperDim] per upper sub-network. */
  apply(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D[] {
    const v = this.lower.apply(x, ctx); // [B, K, H]
    const [B, K, H] = v.shape;
    const z = this.codes(ctx);
    return this.transforms.map((W, j) => {
      const gated = tf.mul(v, z.slice([0, j], [K, 1]).reshape([1, K, 1])).reshape([B, K * H]) as tf.Tensor2D;
      return tf.relu(tf.add(tf.matMul(gated, W as tf.Tensor2D), this.biases[j])) as tf.Tensor2D;
    });
  }
}
