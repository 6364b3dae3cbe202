import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { detachedMax, keyMajorApply, keyMajorScores } from './attention';
import { ForwardContext, Module } from './module';
import { SelfAttentionConfig } from './self-attention';

const MASKED = -1e9;

/**
 * Multi-head cross-attention (Vaswani et al., 2017): queries from one token set attend to another (an encoder's
 * memory), head_h = softmax( (Y W_Q^h)(M W_K^h)^T / sqrt(d_h) ) M W_V^h. Time-major queries [Lq, B, Dq] and memory
 * [Lk, B, Dm] -> [Lq, B, H * d_h] (no output projection: callers add their own). Padded memory tokens get weight 0.
 */
export class MultiHeadCrossAttention extends Module {
  readonly heads: number;
  readonly headDim: number;
  readonly outputDim: number;
  private readonly query: Dense;
  private readonly keyValue: Dense;
  private readonly dropout: number;

  constructor(
    readonly queryDim: number,
    readonly memoryDim: number,
    config: SelfAttentionConfig,
    rng: Rng,
    owner = 'MultiHeadCrossAttention',
  ) {
    super();
    this.heads = config.heads ?? 2;
    if (!Number.isInteger(this.heads) || this.heads < 1) throw new Error(`${owner}: heads must be a positive integer (got ${config.heads})`);
    this.headDim = config.headDim ?? queryDim / this.heads;
    if (!Number.isInteger(this.headDim) || this.headDim < 1) {
      throw new Error(`${owner}: headDim must be a positive integer (got ${config.headDim ?? `${queryDim} / ${this.heads} heads`}); set headDim or make heads divide the width`);
    }
    this.dropout = config.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`${owner}: dropout must be in [0, 1) (got ${config.dropout})`);
    this.outputDim = this.heads * this.headDim;
    this.query = this.addChild('query', new Dense(queryDim, this.outputDim, rng, 'linear', false));
    this.keyValue = this.addChild('keyValue', new Dense(memoryDim, 2 * this.outputDim, rng, 'linear', false));
  }

  /** `memoryMask` [Lk, B]: 1 for a real memory token, 0 for padding. */
  apply(queries: tf.Tensor3D, memory: tf.Tensor3D, ctx: ForwardContext, memoryMask: tf.Tensor2D | null = null): tf.Tensor3D {
    const [Lq, B] = queries.shape;
    const [Lk, Bm] = memory.shape;
    if (B !== Bm) throw new Error(`MultiHeadCrossAttention: queries [${queries.shape}] and memory [${memory.shape}] differ in batch size`);
    const H = this.heads;
    const dh = this.headDim;
    const q = this.query.apply(queries.reshape([Lq * B, this.queryDim])).reshape([Lq, B * H, dh]) as tf.Tensor3D;
    const [k, v] = tf.split(this.keyValue.apply(memory.reshape([Lk * B, this.memoryDim])), 2, 1).map((t) => t.reshape([Lk, B * H, dh]) as tf.Tensor3D);
    let scores: tf.Tensor = tf.mul(keyMajorScores(q, k).reshape([Lk, B, H, Lq]), 1 / Math.sqrt(dh));
    if (memoryMask) scores = tf.add(scores, tf.mul(tf.sub(1, memoryMask), MASKED).reshape([Lk, B, 1, 1]));
    const e = tf.exp(tf.sub(scores, detachedMax(scores, 0)));
    let weights = tf.div(e, tf.sum(e, 0, true));
    if (ctx.training && this.dropout > 0) weights = tf.dropout(weights, this.dropout, undefined, ctx.rng.seed());
    return keyMajorApply(weights.reshape([Lk, B * H, Lq]) as tf.Tensor3D, v).reshape([Lq, B, this.outputDim]) as tf.Tensor3D;
  }
}
