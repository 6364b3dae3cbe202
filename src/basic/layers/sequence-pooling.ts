import * as tf from '@tensorflow/tfjs-core';
import { SequencePooling } from '../features';
import { Rng } from '../random';
import { ForwardContext, Module } from './module';
import { TargetAttention, TargetAttentionConfig } from './target-attention';

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

/**
 * Pools one sequence feature according to its declared `pooling`, so every model handles 'attention' the same way:
 * mean / sum / max go through {@link poolSequence}; 'attention' owns a DIN {@link TargetAttention} unit and pools
 * against a query (normally the target item's embedding). Output [B, D].
 */
export class SequencePooler extends Module {
  readonly attention: TargetAttention | null;

  /**
   * @param mode the feature's pooling ('none' is rejected: it is not a pooling)
   * @param keyDim width D of the sequence embeddings
   * @param attention settings of the attention unit and the query width (default D); used when mode is 'attention'
   */
  constructor(
    readonly mode: SequencePooling,
    keyDim: number,
    rng: Rng,
    attention: TargetAttentionConfig & { queryDim?: number } = {},
  ) {
    super();
    if (mode === 'none') throw new Error("SequencePooler: pooling 'none' keeps the [B, L, D] sequence and cannot be pooled");
    const { queryDim, ...cfg } = attention;
    this.attention = mode === 'attention' ? this.addChild('attention', new TargetAttention(keyDim, cfg, rng, queryDim ?? keyDim)) : null;
  }

  /** Pool `seq` [B, L, D] under `mask` [B, L]; `query` [B, Dq] is required for attention pooling. */
  apply(seq: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardContext, query?: tf.Tensor2D): tf.Tensor2D {
    if (!this.attention) return poolSequence(seq, mask, this.mode);
    if (!query) throw new Error('SequencePooler: attention pooling needs a query (e.g. the target item embedding)');
    return this.attention.apply(query, seq, mask, ctx);
  }
}
