import * as tf from '@tensorflow/tfjs-core';
import { readAndDispose } from '../../basic/read-tensor';
import { TopK } from '../../basic/retrieval-metrics';

/** How `recommend` searches the catalogue: every item scored exactly, or an approximate HNSW graph. */
export type ItemIndexKind = 'exact' | 'hnsw';

/** The catalogue's item vectors at one training step, as a host matrix. */
export interface ItemVectors {
  /** Item ids, row = catalogue position. */
  ids: Int32Array;
  /** [N, D] row-major (normalised for cosine models). */
  matrix: Float32Array;
  dim: number;
}

/**
 * User queries of one batch: `vectors` [rows * interests, D] (row-major, interests of a row adjacent) and, for
 * multi-interest users with interests switched off, a [rows, interests] mask (1 = in use).
 */
export interface IndexQuery {
  vectors: tf.Tensor2D;
  rows: number;
  interests: number;
  interestMask: tf.Tensor2D | null;
}

/** Per query row, item ids best first and their scores (similarity times `scale`). */
export interface IndexHits {
  ids: Int32Array[];
  scores: Float32Array[];
}

/**
 * Top-K search over item vectors. Multi-interest users score an item by their best interest in use; items in a
 * row's exclusion set are never returned (rows may hold fewer than k when the catalogue runs out).
 */
export interface ItemIndex {
  readonly kind: ItemIndexKind;
  readonly size: number;
  readonly dim: number;
  search(query: IndexQuery, k: number, exclude: Array<Set<number> | null>, scale: number): IndexHits;
  dispose(): void;
}

const INDEX_CHUNK = 65536;

export { readAndDispose };

/**
 * Exact top-K: a matMul of the user vectors with column blocks of the transposed item matrix, selection on the
 * host with a bounded heap. Ties break by smaller id, so results are deterministic.
 */
export class ExactItemIndex implements ItemIndex {
  readonly kind = 'exact' as const;
  readonly size: number;
  readonly dim: number;
  /** Widest block of scores one user row produces. */
  readonly widestBlock: number;
  private readonly ids: Int32Array;
  /** Column blocks of the transposed matrix, [D, n_c] each: an untransposed matMul runs on XNNPACK. */
  private readonly chunks: tf.Tensor2D[] = [];
  private readonly chunkStarts: number[] = [];

  constructor(items: ItemVectors) {
    const { matrix, dim, ids } = items;
    this.ids = ids;
    this.size = ids.length;
    this.dim = dim;
    this.widestBlock = Math.min(this.size, INDEX_CHUNK);
    for (let start = 0; start < this.size; start += INDEX_CHUNK) {
      const m = Math.min(INDEX_CHUNK, this.size - start);
      // the backend's transpose kernel is much faster than a strided copy in JS
      this.chunks.push(tf.tidy(() => tf.transpose(tf.tensor2d(matrix.subarray(start * dim, (start + m) * dim), [m, dim])) as tf.Tensor2D));
      this.chunkStarts.push(start);
    }
  }

  search(query: IndexQuery, k: number, exclude: Array<Set<number> | null>, scale: number): IndexHits {
    const b = query.rows;
    const K = query.interests;
    const heaps = Array.from({ length: b }, () => new TopK(k));
    const bias = query.interestMask ? tf.tidy(() => tf.mul(tf.sub(query.interestMask!, 1), 1e30).reshape([b, K, 1])) : null;
    try {
      this.chunks.forEach((chunk, c) => {
        const m = chunk.shape[1];
        const block = readAndDispose(
          tf.tidy(() => {
            let s: tf.Tensor = tf.matMul(query.vectors, chunk);
            // multi-interest: the best of the user's (active) interests
            if (K > 1) s = tf.max(bias ? tf.add(s.reshape([b, K, m]), bias) : s.reshape([b, K, m]), 1);
            return s;
          }),
        );
        const offset = this.chunkStarts[c];
        for (let i = 0; i < b; i++) {
          const heap = heaps[i];
          const ex = exclude[i];
          const base = i * m;
          for (let j = 0; j < m; j++) {
            const id = this.ids[offset + j];
            const s = block[base + j] * scale;
            if (!heap.accepts(s, id)) continue;
            if (ex && ex.has(id)) continue;
            heap.push(s, id);
          }
        }
      });
    } finally {
      bias?.dispose();
    }
    return drainHeaps(heaps, k);
  }

  dispose(): void {
    for (const t of this.chunks) t.dispose();
    this.chunks.length = 0;
  }
}

/** Empty the heaps into one flat buffer, each row a view of at most k entries. */
export function drainHeaps(heaps: TopK[], k: number): IndexHits {
  const flatIds = new Int32Array(heaps.length * k);
  const flatScores = new Float32Array(heaps.length * k);
  const ids: Int32Array[] = [];
  const scores: Float32Array[] = [];
  heaps.forEach((heap, i) => {
    const off = i * k;
    const got = heap.drainInto(flatIds, flatScores, off);
    ids.push(flatIds.subarray(off, off + got));
    scores.push(flatScores.subarray(off, off + got));
  });
  return { ids, scores };
}
