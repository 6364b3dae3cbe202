import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { Dense } from './dense';
import { Module } from './module';

/**
 * Attention pooling of a sequence by a query vector (SDM's "user attention"): with the query projected into the
 * sequence space, q' = q W,
 *   a_l = softmax_l( q' . h_l / sqrt(d) )   over real positions,   out = sum_l a_l h_l
 * Without a query input (queryDim 0) a learned vector is the query. Rows with no real position give zeros.
 */
export class QueryAttentionPooling extends Module {
  private readonly project: Dense | null;
  private readonly learned: tf.Variable | null;

  constructor(
    readonly dim: number,
    readonly queryDim: number,
    rng: Rng,
  ) {
    super();
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`QueryAttentionPooling: dim must be a positive integer (got ${dim})`);
    if (!Number.isInteger(queryDim) || queryDim < 0) throw new Error(`QueryAttentionPooling: queryDim must be a non-negative integer (got ${queryDim})`);
    this.project = queryDim > 0 ? this.addChild('query', new Dense(queryDim, dim, rng, 'linear', false)) : null;
    this.learned = queryDim > 0 ? null : this.addParam('query', [1, dim], Float32Array.from({ length: dim }, () => 0.1 * rng.normal()));
  }

  /** Pool `values` [B, L, d] (mask [B, L]) with `query` [B, queryDim] (omit it when queryDim is 0). */
  apply(values: tf.Tensor3D, mask: tf.Tensor2D, query?: tf.Tensor2D | null): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, L, d] = values.shape;
      if (this.project && !query) throw new Error(`QueryAttentionPooling: a query [B, ${this.queryDim}] is required`);
      const q = this.project ? (this.project.apply(query!) as tf.Tensor2D) : tf.tile(this.learned!, [B, 1]);
      const logits = tf.div(tf.sum(tf.mul(values, q.reshape([B, 1, d])), 2), Math.sqrt(d));
      const a = tf.mul(tf.softmax(tf.add(logits, tf.mul(tf.sub(mask, 1), 1e9))), mask);
      return tf.sum(tf.mul(values, a.reshape([B, L, 1])), 1) as tf.Tensor2D;
    });
  }
}
