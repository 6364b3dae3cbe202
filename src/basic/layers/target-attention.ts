import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Activation, ACTIVATIONS, applyActivation } from './activation';
import { Dense } from './dense';
import { Mlp } from './mlp';
import { ForwardContext, init, Module } from './module';

/** Settings of a {@link TargetAttention} layer. */
export interface TargetAttentionConfig {
  /** Hidden widths of the activation unit; at least one (default [80, 40], as in the DIN paper). */
  dims?: number[];
  /** Activation of the hidden layers (default 'sigmoid', as in the DIN reference implementation). */
  activation?: Activation;
  /**
   * Normalise the scores with a softmax over the real items (default false). DIN keeps raw scores on purpose so
   * the pooled vector also carries how strongly (how often) the history relates to the target.
   */
  softmax?: boolean;
}

/** Padded slots are pushed this far below any real score before a softmax, so exp() underflows to exactly 0. */
const MASK_PENALTY = 1e9;

/**
 * DIN's local activation unit (Zhou et al., KDD 2018) as a reusable layer: for a query q [B, Dq] (the target item)
 * and keys k [B, L, D] (the behaviour sequence) with mask [B, L],
 *   score_l = MLP([q, k_l, q - k_l, q ⊙ k_l]),   w_l = mask_l · score_l   (or a masked softmax)
 *   pooled  = sum_l w_l v_l                     (values v default to the keys)
 * Padded slots get a weight of exactly zero, whatever their key holds. When Dq ≠ D the query is first mapped to D
 * by a bias-free linear layer.
 *
 * The first layer is linear in the four blocks, so W [q; k; q-k; q⊙k] = q (W_q + W_d) + k (W_k - W_d) + (q⊙k) W_p:
 * the query part is computed once per row instead of once per position, which halves the widest matMul.
 */
export class TargetAttention extends Module {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly activation: Activation;
  readonly softmax: boolean;
  private readonly queryProj: Dense | null;
  private readonly rest: Mlp;
  private readonly hidden: number;

  constructor(
    readonly keyDim: number,
    cfg: TargetAttentionConfig,
    rng: Rng,
    readonly queryDim: number = keyDim,
  ) {
    super();
    const dims = cfg.dims ?? [80, 40];
    if (!Array.isArray(dims) || dims.length === 0) throw new Error('TargetAttention: dims must list at least one hidden width');
    dims.forEach((d, i) => {
      if (!Number.isInteger(d) || d < 1) throw new Error(`TargetAttention: dims[${i}] must be a positive integer (got ${d})`);
    });
    this.activation = cfg.activation ?? 'sigmoid';
    if (!ACTIVATIONS.includes(this.activation)) throw new Error(`TargetAttention: activation must be one of ${ACTIVATIONS.join(', ')} (got '${cfg.activation}')`);
    for (const [name, v] of [['keyDim', keyDim], ['queryDim', queryDim]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`TargetAttention: ${name} must be a positive integer (got ${v})`);
    }
    this.softmax = cfg.softmax ?? false;
    const D = keyDim;
    this.hidden = dims[0];
    this.queryProj = queryDim !== keyDim ? this.addChild('query_proj', new Dense(queryDim, keyDim, rng, 'linear', false)) : null;
    this.kernel = this.addParam('kernel', [4 * D, this.hidden], init.glorotUniform(rng, [4 * D, this.hidden], 4 * D, this.hidden));
    this.bias = this.addParam('bias', [this.hidden], init.constant([this.hidden], 0), { regularize: false });
    this.rest = this.addChild('mlp', new Mlp(this.hidden, { dims: dims.slice(1), activation: this.activation, outputDim: 1 }, rng, 'TargetAttention'));
  }

  /** Attention weights [B, L]: exactly zero on padded slots (and on every slot of an empty row). */
  weights(query: tf.Tensor2D, keys: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, L, D] = keys.shape;
      if (D !== this.keyDim) throw new Error(`TargetAttention: keys have width ${D}, layer was built for ${this.keyDim}`);
      if (query.shape[1] !== this.queryDim) throw new Error(`TargetAttention: query has width ${query.shape[1]}, layer was built for ${this.queryDim}`);
      const q = this.queryProj ? (this.queryProj.apply(query) as tf.Tensor2D) : query;
      const H = this.hidden;
      const w = this.kernel as tf.Tensor2D;
      const wq = w.slice([0, 0], [D, H]);
      const wk = w.slice([D, 0], [D, H]);
      const wd = w.slice([2 * D, 0], [D, H]);
      const wp = w.slice([3 * D, 0], [D, H]);
      const qPart = tf.fused.matMul({ a: q, b: tf.add(wq, wd) as tf.Tensor2D, bias: this.bias });
      const kq = tf.concat([keys, tf.mul(keys, q.reshape([B, 1, D]))], 2).reshape([B * L, 2 * D]) as tf.Tensor2D;
      const kPart = tf.matMul(kq, tf.concat([tf.sub(wk, wd), wp], 0) as tf.Tensor2D).reshape([B, L, H]);
      const h1 = applyActivation(tf.add(kPart, qPart.reshape([B, 1, H])), this.activation).reshape([B * L, H]) as tf.Tensor2D;
      const scores = this.rest.apply(h1, ctx).reshape([B, L]) as tf.Tensor2D;
      if (!this.softmax) return tf.mul(scores, mask) as tf.Tensor2D;
      const shifted = tf.add(scores, tf.mul(tf.sub(mask, 1), MASK_PENALTY));
      // the final mask multiply turns the uniform softmax of an all-padding row into zeros
      return tf.mul(tf.softmax(shifted), mask) as tf.Tensor2D;
    });
  }

  /** Weighted sum of `values` [B, L, Dv] (default: the keys) under the attention weights; output [B, Dv]. */
  apply(query: tf.Tensor2D, keys: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardContext, values: tf.Tensor3D = keys): tf.Tensor2D {
    return tf.tidy(() => {
      const a = this.weights(query, keys, mask, ctx);
      const [B, L] = a.shape;
      return tf.sum(tf.mul(values, a.reshape([B, L, 1])), 1) as tf.Tensor2D;
    });
  }
}
