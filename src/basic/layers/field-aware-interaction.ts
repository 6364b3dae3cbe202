import * as tf from '@tensorflow/tfjs-core';

const upperMasks = new Map<number, Float32Array>();

/**
 * Second-order term of a field-aware factorization machine (Juan et al., RecSys 2016). Each feature i holds one
 * latent vector per field, v_{i,f}; a pair meets through the vectors it keeps for the other's field:
 *   phi = sum_{i<j} <v_{i, f_j}, v_{j, f_i}>
 * Input [B, F, F, D] with v[b, i, f] = v_{i,f} of row b; output [B, 1].
 */
export function fieldAwareInteraction(vectors: tf.Tensor4D): tf.Tensor2D {
  const [, F, F2] = vectors.shape;
  if (F !== F2) throw new Error(`fieldAwareInteraction: expected [B, F, F, D], got [${vectors.shape}]`);
  let mask = upperMasks.get(F);
  if (!mask) {
    mask = new Float32Array(F * F);
    for (let i = 0; i < F; i++) for (let j = i + 1; j < F; j++) mask[i * F + j] = 1;
    upperMasks.set(F, mask);
  }
  const m = mask;
  return tf.tidy(() => {
    // dots[b, i, j] = <v_{i, f_j}, v_{j, f_i}>, symmetric; keep each pair once
    const dots = tf.sum(tf.mul(vectors, vectors.transpose([0, 2, 1, 3])), 3);
    return tf.sum(tf.mul(dots, tf.tensor2d(m, [F, F])), [1, 2]).expandDims(1) as tf.Tensor2D;
  });
}
