import * as tf from '@tensorflow/tfjs-core';
import { init, Module } from './module';

/**
 * Layer normalisation over the last axis (Ba et al., 2016), with a learned gain and bias. Unlike batch
 * normalisation it has no batch statistics, so a token's output depends on that token alone: sequence models
 * rely on this to keep padded and unrelated positions from influencing each other.
 */
export class LayerNorm extends Module {
  readonly gamma: tf.Variable | null;
  readonly beta: tf.Variable | null;

  /**
   * @param dim width of the normalised (last) axis
   * @param opts `affine: false` drops the gain and bias; `epsilon` is added to the variance (default 1e-6)
   */
  constructor(
    readonly dim: number,
    readonly opts: { affine?: boolean; epsilon?: number } = {},
  ) {
    super();
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`LayerNorm: dim must be a positive integer (got ${dim})`);
    const affine = opts.affine ?? true;
    this.gamma = affine ? this.addParam('gamma', [dim], init.constant([dim], 1), { regularize: false }) : null;
    this.beta = affine ? this.addParam('beta', [dim], init.constant([dim], 0), { regularize: false }) : null;
  }

  /** Normalise `x` (any rank, last axis = dim). */
  apply(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.dim) throw new Error(`LayerNorm: expected last axis ${this.dim}, got shape [${x.shape}]`);
    const mean = tf.mean(x, -1, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), -1, true);
    const y = tf.mul(centred, tf.rsqrt(tf.add(variance, this.opts.epsilon ?? 1e-6)));
    return this.gamma && this.beta ? tf.add(tf.mul(y, this.gamma), this.beta) : y;
  }
}
