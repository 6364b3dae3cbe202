import * as tf from '@tensorflow/tfjs-core';

/** Rows scaled to unit L2 norm along the last axis; all-zero rows (padding) stay zero. */
export function l2Normalize(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12)));
}

/**
 * Token embeddings rescaled to unit root-mean-square per token (padding stays zero). Embedding rows start tiny
 * (std 0.01) while every residual branch of an attention block starts at unit scale, so unscaled tokens would be
 * drowned by the first block's output and the identity of each item lost for the next block; normalising also
 * makes the models indifferent to the table initialiser and to the embedding learning rate's effect on row norms.
 */
export function unitRms(x: tf.Tensor): tf.Tensor {
  return tf.mul(l2Normalize(x), Math.sqrt(x.shape[x.rank - 1]));
}
