import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { init, Module } from './module';

/**
 * Learned embeddings of how far back a behaviour lies: the token t of a row with `len` real items gets row
 * len - t (1 = most recent), a target or non-sequence token row 0. Left-aligned histories of different lengths
 * then share one meaning per row ("k steps before the request"), which absolute positions lack.
 * The row lookup is a one-hot product (tf.gather's gradient is missing on wasm; the table is tiny).
 */
export class RecencyEmbedding extends Module {
  readonly table: tf.Variable;

  constructor(
    readonly maxLen: number,
    readonly dim: number,
    rng: Rng,
  ) {
    super();
    if (!Number.isInteger(maxLen) || maxLen < 1) throw new Error(`RecencyEmbedding: maxLen must be a positive integer (got ${maxLen})`);
    this.table = this.addParam('table', [maxLen + 1, dim], init.normal(rng, [maxLen + 1, dim], 0.02), { regularize: false });
  }

  /**
   * Time-major [L, B, dim] offsets for left-aligned histories with 0/1 mask [B, L]; padded slots get row 0 too
   * (their attention weight is zero anyway). The rows are picked by a one-hot product computed from the mask in
   * tensor ops (exact: one nonzero term per row), so an exported graph (ONNX) derives them from the id column.
   */
  forHistories(mask: tf.Tensor2D): tf.Tensor3D {
    const [B, L] = mask.shape;
    if (L > this.maxLen) throw new Error(`RecencyEmbedding: history of ${L} positions exceeds maxLen ${this.maxLen}`);
    const K = this.maxLen + 1;
    return tf.tidy(() => {
      const lengths = tf.sum(mask, 1).reshape([1, B]);
      const steps = tf.range(0, L, 1, 'float32').reshape([L, 1]);
      const rows = tf.mul(tf.sub(lengths, steps), tf.transpose(mask)); // [L, B]: len - t on real slots, 0 on padding
      const oneHot = tf.cast(tf.equal(rows.reshape([L * B, 1]), tf.range(0, K, 1, 'float32').reshape([1, K])), 'float32');
      return tf.matMul(oneHot, this.table).reshape([L, B, this.dim]) as tf.Tensor3D;
    });
  }

  /** Row 0 (the request itself) as [1, 1, dim], to broadcast over target / non-sequence tokens. */
  present(): tf.Tensor3D {
    return tf.slice(this.table, [0, 0], [1, this.dim]).reshape([1, 1, this.dim]) as tf.Tensor3D;
  }
}
