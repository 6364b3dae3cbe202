import * as tf from '@tensorflow/tfjs-core';

/**
 * Factorization-machine second-order term (Rendle 2010): sum over field pairs of <e_i, e_j>, computed in
 * O(F D) as 0.5 * sum_d[(sum_f e_fd)^2 - sum_f e_fd^2]. Input [B, F, D], output [B, 1].
 */
export function fmInteraction(fields: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const sum = tf.sum(fields, 1);
    const squareOfSum = tf.square(sum);
    const sumOfSquare = tf.sum(tf.square(fields), 1);
    return tf.mul(0.5, tf.sum(tf.sub(squareOfSum, sumOfSquare), 1, true)) as tf.Tensor2D;
  });
}
