import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { customOp } from './custom-op';
import { init, Module } from './module';

/**
 * Learned embeddings of how far back a behaviour lies: the token t of a row with `len` real items gets row
 * len - t (1 = most recent), a target or non-sequence token row 0. Left-aligned histories of different lengths
 * then share one meaning per row ("k steps before the request"), which absolute positions lack.
 * The row lookup and its gradient's scatter-add run on the host (tf.gather's gradient is missing on wasm; the
 * table is tiny).
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
   * Time-major [L, B, dim] offsets for histories of padded length L with real lengths `lengths` [B]; padded slots
   * get row 0 too (their attention weight is zero anyway).
   */
  forHistories(L: number, lengths: ArrayLike<number>): tf.Tensor3D {
    if (L > this.maxLen) throw new Error(`RecencyEmbedding: history of ${L} positions exceeds maxLen ${this.maxLen}`);
    const B = lengths.length;
    const rows = new Int32Array(L * B);
    for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) rows[t * B + b] = lengths[b] - t;
    return gatherRows(this.table, rows, [L, B, this.dim]) as tf.Tensor3D;
  }

  /** Row 0 (the request itself) as [1, 1, dim], to broadcast over target / non-sequence tokens. */
  present(): tf.Tensor3D {
    return tf.slice(this.table, [0, 0], [1, this.dim]).reshape([1, 1, this.dim]) as tf.Tensor3D;
  }
}

/** table[rows[i]] for every i, shaped `shape` (last axis = table width), differentiable in `table`. */
function gatherRows(table: tf.Variable, rows: Int32Array, shape: number[]): tf.Tensor {
  const [K, D] = table.shape;
  const op = customOp(([w]) => {
    const values = w.dataSync() as Float32Array;
    const out = new Float32Array(rows.length * D);
    for (let i = 0; i < rows.length; i++) out.set(values.subarray(rows[i] * D, rows[i] * D + D), i * D);
    return {
      value: tf.tensor(out, shape, 'float32'),
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const acc = new Float32Array(K * D);
        for (let i = 0; i < rows.length; i++) for (let d = 0; d < D; d++) acc[rows[i] * D + d] += g[i * D + d];
        return tf.tensor2d(acc, [K, D]);
      },
    };
  });
  return op(table);
}
