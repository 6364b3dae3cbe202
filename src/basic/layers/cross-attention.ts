import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { ForwardContext, Module } from './module';
import { multiHeadAttend, resolveHeads, SelfAttentionConfig } from './self-attention';

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
    ({ heads: this.heads, headDim: this.headDim, outputDim: this.outputDim, dropout: this.dropout } = resolveHeads(config, queryDim, owner));
    this.query = this.addChild('query', new Dense(queryDim, this.outputDim, rng, 'linear', false));
    this.keyValue = this.addChild('keyValue', new Dense(memoryDim, 2 * this.outputDim, rng, 'linear', false));
  }

  /** `memoryMask` [Lk, B]: 1 for a real memory token, 0 for padding. */
  apply(queries: tf.Tensor3D, memory: tf.Tensor3D, ctx: ForwardContext, memoryMask: tf.Tensor2D | null = null): tf.Tensor3D {
    const [Lq, B] = queries.shape;
    const [Lk, Bm] = memory.shape;
    if (B !== Bm) throw new Error(`MultiHeadCrossAttention: queries [${queries.shape}] and memory [${memory.shape}] differ in batch size`);
    const q = this.query.apply(queries.reshape([Lq * B, this.queryDim])).reshape([Lq, B, this.outputDim]) as tf.Tensor3D;
    const [k, v] = this.keyValue.applyParts(memory.reshape([Lk * B, this.memoryDim]), [this.outputDim, this.outputDim]).map((t) => t.reshape([Lk, B, this.outputDim]) as tf.Tensor3D);
    return multiHeadAttend(q, k, v, this.heads, { keyMask: memoryMask }, ctx, this.dropout);
  }
}
