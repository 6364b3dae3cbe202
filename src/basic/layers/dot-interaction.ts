import * as tf from '@tensorflow/tfjs-core';

/**
 * DLRM's dot interaction (Naumov et al., 2019): the inner products of every pair of N vectors,
 *   z = [<t_i, t_j>]_{i<j}   (and <t_i, t_i> with `selfInteraction`)
 * Vectors [B, N, D] -> [B, N(N-1)/2] (or N(N+1)/2). The Gram matrix T Tᵀ is one batched product; the upper
 * triangle is taken by a constant 0/1 matrix (a matMul, since a gather's gradient is missing on wasm).
 */
export function dotInteraction(vectors: tf.Tensor3D, selfInteraction = false): tf.Tensor2D {
  const [B, N] = vectors.shape;
  const pairs = dotInteractionWidth(N, selfInteraction);
  const select = new Float32Array(N * N * pairs);
  let p = 0;
  for (let i = 0; i < N; i++) for (let j = selfInteraction ? i : i + 1; j < N; j++, p++) select[(i * N + j) * pairs + p] = 1;
  const gram = tf.matMul(vectors, vectors, false, true).reshape([B, N * N]);
  return tf.matMul(gram, tf.tensor2d(select, [N * N, pairs])) as tf.Tensor2D;
}

/** Output width of {@link dotInteraction} for N vectors. */
export function dotInteractionWidth(n: number, selfInteraction = false): number {
  return selfInteraction ? (n * (n + 1)) / 2 : (n * (n - 1)) / 2;
}
