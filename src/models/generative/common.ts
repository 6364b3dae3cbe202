import * as tf from '@tensorflow/tfjs-core';
import { customOp } from '../../basic/layers/custom-op';
import { fusedOpsEnabled } from '../../basic/layers/fused-mode';

function normalised(x: tf.Tensor): { y: tf.Tensor; r: tf.Tensor } {
  const r = tf.rsqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12));
  return { y: tf.mul(x, r), r };
}

/*
 * One custom op with the closed-form backward dx = r (g - y sum(g y)) (r = 1 / |x|, y = x r): the forward runs the
 * same kernels as the composed version; the backward takes 5 kernels instead of ~12 plus tfjs' copies of saved
 * intermediates. The next-item loss normalises three [positions, D] blocks per step.
 */
const l2NormalizeOp = customOp(([x], save) => {
  const { y, r } = normalised(x);
  save([y, r]);
  return { value: y, gradFunc: (g, [ys, rs]) => tf.mul(rs, tf.sub(g, tf.mul(ys, tf.sum(tf.mul(g, ys), -1, true)))) };
});

/** Rows scaled to unit L2 norm along the last axis; all-zero rows (padding) stay zero. */
export function l2Normalize(x: tf.Tensor): tf.Tensor {
  return fusedOpsEnabled() ? l2NormalizeOp(x) : normalised(x).y;
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
