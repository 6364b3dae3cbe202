import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { init, Module } from './module';

/** Settings of {@link SelfAttentiveInterests}. */
export interface SelfAttentiveInterestsConfig {
  /** Width d of the behaviour vectors. */
  inputDim: number;
  /** Number of interests K. */
  numInterests: number;
  /** Hidden width d_a of the attention MLP (default 4 d, as in ComiRec). */
  attentionDim?: number;
  /** Sequence length L, for the learned position embeddings added to the behaviours (0 = none). */
  maxLen: number;
  /** Add learned position embeddings before attending (default true). */
  positions?: boolean;
}

/**
 * Multi-interest extraction by self-attention (Lin et al., 2017; ComiRec-SA, Cen et al., KDD 2020): for the
 * behaviours H [L, d] (plus learned position embeddings),
 *   A = softmax_L( W2^T tanh(W1^T (H + P)^T) ),   W1 [d, d_a], W2 [d_a, K],   A [K, L]
 *   V_u = A H   [K, d]
 * with padded behaviours masked out of the softmax, so each interest is a different weighted mix of the history.
 */
export class SelfAttentiveInterests extends Module {
  readonly inputDim: number;
  readonly numInterests: number;
  readonly attentionDim: number;
  private readonly w1: tf.Variable;
  private readonly w2: tf.Variable;
  private readonly positions: tf.Variable | null;

  constructor(cfg: SelfAttentiveInterestsConfig, rng: Rng) {
    super();
    const { inputDim, numInterests, maxLen } = cfg;
    const attentionDim = cfg.attentionDim ?? 4 * inputDim;
    for (const [field, v] of [
      ['inputDim', inputDim],
      ['numInterests', numInterests],
      ['attentionDim', attentionDim],
      ['maxLen', maxLen],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`SelfAttentiveInterests: ${field} must be a positive integer (got ${v})`);
    }
    this.inputDim = inputDim;
    this.numInterests = numInterests;
    this.attentionDim = attentionDim;
    this.w1 = this.addParam('w1', [inputDim, attentionDim], init.glorotUniform(rng, [inputDim, attentionDim], inputDim, attentionDim));
    this.w2 = this.addParam('w2', [attentionDim, numInterests], init.glorotUniform(rng, [attentionDim, numInterests], attentionDim, numInterests));
    this.positions = cfg.positions === false ? null : this.addParam('positions', [maxLen, inputDim], init.normal(rng, [maxLen, inputDim], 0.01));
  }

  /** Interests [B, K, d] from behaviours `values` [B, L, d] with `mask` [B, L] (1 = real). */
  apply(values: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, L, d] = values.shape;
      if (d !== this.inputDim) throw new Error(`SelfAttentiveInterests: behaviour width ${d}, layer was built for ${this.inputDim}`);
      const h = this.positions ? tf.add(values, tf.slice(this.positions, [0, 0], [L, d]).expandDims(0)) : values;
      const hidden = tf.tanh(tf.matMul(h.reshape([B * L, d]), this.w1 as tf.Tensor2D));
      const logits = tf.matMul(hidden, this.w2 as tf.Tensor2D).reshape([B, L, this.numInterests]).transpose([0, 2, 1]) as tf.Tensor3D;
      const masked = tf.add(logits, tf.mul(tf.sub(mask, 1), 1e9).reshape([B, 1, L]));
      const attention = tf.softmax(masked) as tf.Tensor3D;
      return tf.matMul(attention, values) as tf.Tensor3D;
    });
  }
}
