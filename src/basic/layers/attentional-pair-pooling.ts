import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { init, Module } from './module';
import { pairwiseProducts } from './pairwise';

/**
 * Attention-based pooling of AFM (Xiao et al., IJCAI 2017, eqs. 3-5) over the pairwise products of F fields:
 *   a'_ij = h^T relu(W (e_i ⊙ e_j) + b),   a_ij = softmax over pairs (a'_ij)
 *   out   = p^T sum_{i<j} a_ij (e_i ⊙ e_j)
 * Input [B, F, D], output [B, 1].
 */
export class AttentionalPairPooling extends Module {
  readonly attention: tf.Variable;
  readonly attentionBias: tf.Variable;
  readonly query: tf.Variable;
  readonly projection: tf.Variable;

  constructor(readonly dim: number, readonly attentionDim: number, rng: Rng) {
    super();
    if (!Number.isInteger(attentionDim) || attentionDim < 1) throw new Error(`AttentionalPairPooling: attentionDim must be a positive integer (got ${attentionDim})`);
    this.attention = this.addParam('W', [dim, attentionDim], init.glorotUniform(rng, [dim, attentionDim], dim, attentionDim));
    this.attentionBias = this.addParam('b', [attentionDim], init.constant([attentionDim], 0), { regularize: false });
    this.query = this.addParam('h', [attentionDim, 1], init.glorotUniform(rng, [attentionDim, 1], attentionDim, 1));
    this.projection = this.addParam('p', [dim, 1], init.glorotUniform(rng, [dim, 1], dim, 1));
  }

  /** The attention weights a_ij, [B, P] (exposed for inspection). */
  weights(products: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, P, D] = products.shape;
      const hidden = tf.fused.matMul({ a: products.reshape([B * P, D]) as tf.Tensor2D, b: this.attention as tf.Tensor2D, bias: this.attentionBias, activation: 'relu' });
      return tf.softmax(tf.matMul(hidden, this.query as tf.Tensor2D).reshape([B, P])) as tf.Tensor2D;
    });
  }

  apply(fields: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const products = pairwiseProducts(fields);
      const a = this.weights(products);
      const pooled = tf.sum(tf.mul(products, a.expandDims(2)), 1) as tf.Tensor2D;
      return tf.matMul(pooled, this.projection as tf.Tensor2D);
    });
  }
}
