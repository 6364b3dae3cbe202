import { Rng } from '../../basic/random';

/** Options of {@link cooccurrenceEmbeddings}. */
export interface CooccurrenceOptions {
  /** Items up to this many positions apart in a sequence co-occur (default 3). */
  window?: number;
  /**
   * Scale every row to unit length (default false). Rare items get short rows, so without it a quantiser puts most
   * of a long-tailed catalogue into the few codes near the origin. Items that never co-occur get a random unit row.
   */
  normalizeRows?: boolean;
  /** Subspace iterations (default 30). */
  iterations?: number;
  seed?: number;
}

/**
 * Collaborative item embeddings from interaction sequences, for RQ-VAE semantic ids or HLLM's item inputs when no
 * content embeddings exist: the top `dim` eigenvectors of the symmetric co-occurrence matrix
 * A_ij = log(1 + #{i and j within `window` positions of each other}), found by subspace iteration, each scaled by
 * sqrt(|eigenvalue|) (a truncated SVD of A, since A is symmetric). Returns [numItems x dim], row r = item id r + 1;
 * ids outside 1..numItems are ignored.
 */
export function cooccurrenceEmbeddings(sequences: ArrayLike<ArrayLike<number>>, numItems: number, dim: number, opts: CooccurrenceOptions = {}): Float32Array {
  const window = opts.window ?? 3;
  const iterations = opts.iterations ?? 30;
  if (!Number.isInteger(numItems) || numItems < 1) throw new Error(`cooccurrenceEmbeddings: numItems must be a positive integer (got ${numItems})`);
  if (!Number.isInteger(dim) || dim < 1 || dim > numItems) throw new Error(`cooccurrenceEmbeddings: dim must be an integer in 1..numItems (got ${dim})`);
  if (!Number.isInteger(window) || window < 1) throw new Error(`cooccurrenceEmbeddings: window must be a positive integer (got ${window})`);
  const rows: Array<Map<number, number>> = Array.from({ length: numItems }, () => new Map());
  for (let s = 0; s < sequences.length; s++) {
    const seq = sequences[s];
    for (let i = 0; i < seq.length; i++) {
      const a = seq[i] - 1;
      if (a < 0 || a >= numItems) continue;
      for (let j = i + 1; j < Math.min(seq.length, i + 1 + window); j++) {
        const b = seq[j] - 1;
        if (b < 0 || b >= numItems || a === b) continue;
        rows[a].set(b, (rows[a].get(b) ?? 0) + 1);
        rows[b].set(a, (rows[b].get(a) ?? 0) + 1);
      }
    }
  }
  const cols: Int32Array[] = [];
  const vals: Float32Array[] = [];
  for (const r of rows) {
    cols.push(Int32Array.from(r.keys()));
    vals.push(Float32Array.from(r.values(), (c) => Math.log1p(c)));
  }
  const n = numItems;
  const rng = new Rng(opts.seed ?? 2024);
  let Q: Float64Array = Float64Array.from({ length: n * dim }, () => rng.normal());
  orthonormalise(Q, n, dim);
  const multiply = (X: Float64Array): Float64Array => {
    const Y = new Float64Array(n * dim);
    for (let i = 0; i < n; i++) {
      const c = cols[i];
      const v = vals[i];
      for (let e = 0; e < c.length; e++) {
        const w = v[e];
        const src = c[e] * dim;
        for (let k = 0; k < dim; k++) Y[i * dim + k] += w * X[src + k];
      }
    }
    return Y;
  };
  for (let it = 0; it < iterations; it++) {
    Q = multiply(Q);
    orthonormalise(Q, n, dim);
  }
  const AQ = multiply(Q);
  const out = new Float32Array(n * dim);
  for (let k = 0; k < dim; k++) {
    let eig = 0;
    for (let i = 0; i < n; i++) eig += Q[i * dim + k] * AQ[i * dim + k];
    const scale = Math.sqrt(Math.abs(eig));
    for (let i = 0; i < n; i++) out[i * dim + k] = Q[i * dim + k] * scale;
  }
  if (opts.normalizeRows) {
    for (let i = 0; i < n; i++) {
      let norm = 0;
      for (let k = 0; k < dim; k++) norm += out[i * dim + k] ** 2;
      if (norm > 0) for (let k = 0; k < dim; k++) out[i * dim + k] /= Math.sqrt(norm);
      else {
        // an item that never co-occurs carries no signal; a random direction keeps such items from all sharing one tuple
        let r = 0;
        for (let k = 0; k < dim; k++) r += (out[i * dim + k] = rng.normal()) ** 2;
        for (let k = 0; k < dim; k++) out[i * dim + k] /= Math.sqrt(r);
      }
    }
  }
  return out;
}

/** Modified Gram-Schmidt on the columns of X [n x d] in place (a column that vanishes becomes a unit axis). */
function orthonormalise(X: Float64Array, n: number, d: number): void {
  for (let k = 0; k < d; k++) {
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += X[i * d + k] * X[i * d + j];
      for (let i = 0; i < n; i++) X[i * d + k] -= dot * X[i * d + j];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += X[i * d + k] ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-12) {
      for (let i = 0; i < n; i++) X[i * d + k] = i === k % n ? 1 : 0;
      continue;
    }
    for (let i = 0; i < n; i++) X[i * d + k] /= norm;
  }
}
