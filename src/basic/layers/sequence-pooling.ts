import * as tf from '@tensorflow/tfjs';
import { SequencePooling } from '../features';

/**
 * Pool a padded sequence [B, L, D] to [B, D] under a mask [B, L] (1 = real item). Padding never contributes:
 * mean divides by the real length (empty rows give zeros), max ignores padded slots.
 * 'attention' needs a query and lives in the attention layers; 'none' is not a pooling.
 */
export function poolSequence(seq: tf.Tensor3D, mask: tf.Tensor2D, mode: SequencePooling): tf.Tensor2D {
  return tf.tidy(() => {
    const m = mask.expandDims(2) as tf.Tensor3D;
    if (mode === 'sum') return tf.sum(tf.mul(seq, m), 1) as tf.Tensor2D;
    if (mode === 'mean') {
      const len = tf.maximum(tf.sum(mask, 1, true), 1);
      return tf.div(tf.sum(tf.mul(seq, m), 1), len) as tf.Tensor2D;
    }
    if (mode === 'max') {
      // shift padded slots far below any real value, then zero rows that had no items at all
      const shifted = tf.add(seq, tf.mul(tf.sub(m, 1), 1e9));
      const hasItems = tf.cast(tf.greater(tf.sum(mask, 1, true), 0), 'float32');
      return tf.mul(tf.max(shifted, 1), hasItems) as tf.Tensor2D;
    }
    throw new Error(`poolSequence: pooling '${mode}' is not a mask pooling (use mean, sum or max; attention needs a target query)`);
  });
}
