import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { init, Module } from './module';
import { fieldPairs, pairMembers } from './pairwise';

/** Which product a {@link ProductLayer} takes of each field pair. */
export type ProductKind = 'inner' | 'outer';

/**
 * Product layer of PNN (Qu et al., ICDM 2016), one signal per field pair i < j:
 *   inner:  p_ij = <e_i, e_j>
 *   outer:  p_ij = e_i^T W_ij e_j   (the outer product e_i e_j^T contracted with a learned D x D kernel per pair)
 * Input [B, F, D], output [B, F(F-1)/2].
 */
export class ProductLayer extends Module {
  readonly kernel: tf.Variable | null;
  readonly numPairs: number;

  constructor(readonly numFields: number, readonly dim: number, readonly kind: ProductKind, rng: Rng) {
    super();
    if (kind !== 'inner' && kind !== 'outer') throw new Error(`ProductLayer: kind must be 'inner' or 'outer' (got '${kind as string}')`);
    if (!Number.isInteger(numFields) || numFields < 2) throw new Error(`ProductLayer: needs at least two fields (got ${numFields})`);
    this.numPairs = fieldPairs(numFields).length;
    const shape = [this.numPairs, dim, dim];
    this.kernel = kind === 'outer' ? this.addParam('kernel', shape, init.glorotUniform(rng, shape, dim, dim)) : null;
  }

  apply(fields: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const { left, right } = pairMembers(fields);
      if (!this.kernel) return tf.sum(tf.mul(left, right), 2) as tf.Tensor2D;
      // per pair p: (e_i W_p) · e_j, as one batched matmul over pairs: [P, B, D] x [P, D, D]
      const projected = tf.matMul(left.transpose([1, 0, 2]), this.kernel as tf.Tensor3D).transpose([1, 0, 2]);
      return tf.sum(tf.mul(projected, right), 2) as tf.Tensor2D;
    });
  }
}
