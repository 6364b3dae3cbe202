import * as tf from '@tensorflow/tfjs-core';

/**
 * Move each row's real items of a left-aligned padded sequence to the end: [B, L, D] items with 0/1 mask [B, L]
 * -> the same items right-aligned (padding first, the most recent item in slot L - 1) and their mask. Done as a
 * product with a per-row shift matrix built from the mask in tensor ops (P[b, i, j] = 1 iff j = i - (L - len_b)),
 * so the gradient is a plain matMul (no gather) and an exported graph (ONNX) derives it from the id column.
 */
export function rightAlign(items: tf.Tensor3D, mask: tf.Tensor2D): { items: tf.Tensor3D; mask: tf.Tensor2D } {
  const [B, L] = mask.shape;
  const lengths = tf.sum(mask, 1).reshape([B, 1, 1]);
  const slot = tf.range(0, L, 1, 'float32');
  const source = tf.add(tf.sub(slot.reshape([1, L, 1]), L), lengths); // [B, L, 1]: the left-aligned slot that lands in slot i
  const shift = tf.cast(tf.equal(source, slot.reshape([1, 1, L])), 'float32') as tf.Tensor3D; // [B, L, L]
  return { items: tf.matMul(shift, items), mask: tf.sum(shift, 2) as tf.Tensor2D };
}
