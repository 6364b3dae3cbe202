import * as tf from '@tensorflow/tfjs-core';

/**
 * Bi-interaction pooling of NFM (He & Chua, SIGIR 2017, eq. 4): the sum of all pairwise element-wise products,
 *   f_BI(V) = sum_{i<j} e_i ⊙ e_j = 0.5 [ (sum_i e_i)^2 - sum_i e_i^2 ]
 * computed in O(F D). Input [B, F, D], output [B, D]. Summing its D entries gives the FM second-order term.
 */
export function biInteraction(fields: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const squareOfSum = tf.square(tf.sum(fields, 1));
    const sumOfSquare = tf.sum(tf.square(fields), 1);
    return tf.mul(0.5, tf.sub(squareOfSum, sumOfSquare)) as tf.Tensor2D;
  });
}
