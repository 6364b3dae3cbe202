import { BoundColumn, DataError, Dataset } from '../../basic/dataset/dataset';
import { DataInput } from '../../basic/model/types';
import { Rng } from '../../basic/random';

/**
 * Training batches of rows with similar sequence lengths: rows are shuffled (so equal lengths mix randomly),
 * stably sorted by length, cut into batches, and the batch order is shuffled. Each batch is then truncated to its
 * own longest row, so short sequences do not pay for the longest one in the data set.
 */
export function* lengthBucketedBatches(lengths: ArrayLike<number>, batchSize: number, opts: { shuffle: boolean; rng: Rng; dropLast?: boolean }): Generator<Int32Array> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new DataError(`batchSize must be a positive integer (got ${batchSize})`);
  const n = lengths.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (opts.shuffle) opts.rng.shuffle(order);
  const sorted = Int32Array.from(Array.from(order).sort((a, b) => lengths[a] - lengths[b]));
  const starts: number[] = [];
  for (let s = 0; s < n; s += batchSize) if (!(opts.dropLast && s + batchSize > n)) starts.push(s);
  if (opts.shuffle) {
    for (let i = starts.length - 1; i > 0; i--) {
      const j = opts.rng.int(i + 1);
      [starts[i], starts[j]] = [starts[j], starts[i]];
    }
  }
  for (const s of starts) yield sorted.subarray(s, Math.min(n, s + batchSize));
}

/** Row chunks in order of length (for inference: each chunk is truncated to its longest row). */
export function lengthSortedChunks(lengths: ArrayLike<number>, rows: number, chunk: number): Int32Array[] {
  const order = Array.from({ length: rows }, (_, i) => i).sort((a, b) => lengths[a] - lengths[b]);
  const out: Int32Array[] = [];
  for (let s = 0; s < rows; s += chunk) out.push(Int32Array.from(order.slice(s, s + chunk)));
  return out;
}

/** Real lengths of a bound sequence column (computed from the zero padding when the binding did not record them). */
export function sequenceLengths(col: BoundColumn): Int32Array {
  if (col.lengths) return col.lengths;
  const n = col.data.length / col.width;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let len = 0;
    while (len < col.width && col.data[i * col.width + len] !== 0) len++;
    out[i] = len;
  }
  return out;
}

/** Longest real length among rows `indices`. */
export function maxLength(lengths: Int32Array, indices: Int32Array): number {
  let m = 0;
  for (let i = 0; i < indices.length; i++) m = Math.max(m, lengths[indices[i]]);
  return m;
}

/** Ids of rows `indices` of a bound (left-aligned, zero-padded) sequence column, time-major [L x B]. */
export function timeMajorIds(col: BoundColumn, indices: Int32Array, L: number): Int32Array {
  const B = indices.length;
  const out = new Int32Array(L * B);
  const W = col.width;
  const src = col.data as Int32Array;
  for (let b = 0; b < B; b++) {
    const off = indices[b] * W;
    for (let t = 0; t < Math.min(L, W); t++) out[t * B + b] = src[off + t];
  }
  return out;
}

/** A raw column of user input (columnar or row objects), or undefined when absent; null for an already bound Dataset. */
export function rawColumn(data: DataInput, name: string): ArrayLike<unknown> | undefined | null {
  if (data instanceof Dataset) return null;
  if (Array.isArray(data)) {
    if (data.length === 0 || !(name in (data[0] as Record<string, unknown>))) return undefined;
    return (data as Record<string, unknown>[]).map((r) => r[name]);
  }
  return (data as Record<string, ArrayLike<unknown>>)[name];
}

/**
 * Bind a per-item value column (timestamps, per-candidate labels) to a sequence column exactly as the Dataset
 * binds the ids: jagged rows keep their last `maxLen` entries, and entries whose id is 0 are dropped, so value t of
 * a row belongs to item t of the bound sequence. Returns [rows x maxLen] values, 0 on padding.
 */
export function alignToSequence(refName: string, ref: ArrayLike<unknown>, name: string, values: ArrayLike<unknown>, rows: number, maxLen: number): Float64Array {
  const out = new Float64Array(rows * maxLen);
  const jagged = (x: unknown) => Array.isArray(x) || ArrayBuffer.isView(x);
  const refJagged = jagged(ref[0]);
  const valJagged = jagged(values[0]);
  if (refJagged !== valJagged) throw new DataError(`column '${name}' must have the same layout as '${refName}' (both lists per row, or both flat rows x ${maxLen})`);
  if (!refJagged && values.length !== rows * maxLen) throw new DataError(`column '${name}': flat input must have rows x maxLen = ${rows * maxLen} values, got ${values.length}`);
  for (let i = 0; i < rows; i++) {
    let ids: ArrayLike<number>;
    let vals: ArrayLike<unknown>;
    let start = 0;
    if (refJagged) {
      ids = ref[i] as ArrayLike<number>;
      vals = values[i] as ArrayLike<unknown>;
      if (!vals || vals.length !== ids.length) throw new DataError(`column '${name}' row ${i}: has ${vals?.length} entries but '${refName}' has ${ids.length}`);
      start = Math.max(0, ids.length - maxLen);
    } else {
      ids = (ref as ArrayLike<number>) as ArrayLike<number>;
      vals = values;
      start = i * maxLen;
    }
    const end = refJagged ? ids.length : start + maxLen;
    let len = 0;
    for (let j = start; j < end; j++) {
      if (ids[j] === 0) continue;
      const v = vals[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new DataError(`column '${name}' row ${i}: entry ${refJagged ? j : j - start} is ${JSON.stringify(v)}, expected a finite number`);
      out[i * maxLen + len++] = v;
    }
  }
  return out;
}
