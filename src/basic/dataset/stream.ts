import type { FitOptions } from '../model/types';
import type { Rng } from '../random';
import { ColumnarInput, ColumnInput, DataError, Dataset } from './dataset';

/**
 * Streamed training data (isomorphic: no Node imports, the core's `fitStream` uses it). A source yields chunks of
 * model inputs; `bufferedBatches` turns them into shuffled mini-batches with memory bounded by a shuffle buffer.
 */

/** One chunk of a stream: encoded columns, row objects, or a bound Dataset. */
export type StreamChunk = ColumnarInput | Record<string, unknown>[] | Dataset;

/** Training data read in chunks, once per epoch: how data larger than memory reaches `model.fitStream`. */
export interface BatchSource {
  /** Where the data comes from, for messages. */
  readonly description?: string;
  /** Rows per epoch when known (only used to size progress bars). */
  readonly numRows?: number;
  /** One full pass over the data as chunks of model input. `epoch` starts at 1. */
  chunks(epoch: number): AsyncIterable<StreamChunk>;
}

/** Whether `x` is a {@link BatchSource}. */
export function isBatchSource(x: unknown): x is BatchSource {
  return typeof x === 'object' && x !== null && !(x instanceof Dataset) && !Array.isArray(x) && typeof (x as BatchSource).chunks === 'function';
}

/** Options of `model.fitStream`: those of `fit` plus the shuffle buffer. */
export interface StreamFitOptions extends FitOptions {
  /**
   * Rows held and shuffled together (default max(16 x batchSize, 50,000)). Larger buffers mix the stream better
   * and cost memory in proportion; rows are never shuffled across buffers.
   */
  shuffleBuffer?: number;
}

/** Default shuffle buffer for a batch size. */
export function defaultShuffleBuffer(batchSize: number): number {
  return Math.max(16 * batchSize, 50_000);
}

type AnyArray = ArrayLike<unknown> & { length: number };

/** Concatenate chunks of columns (typed arrays stay typed; plain arrays are joined). */
export function concatColumns(parts: readonly ColumnarInput[]): ColumnarInput {
  if (parts.length === 0) throw new DataError('nothing to concatenate (0 chunks)');
  if (parts.length === 1) return parts[0];
  const out: ColumnarInput = {};
  for (const name of Object.keys(parts[0])) {
    const cols = parts.map((p, i) => {
      const c = p[name] as unknown as AnyArray;
      if (!c) throw new DataError(`chunk ${i} has no column '${name}'`);
      return c;
    });
    const first = cols[0] as unknown;
    if (ArrayBuffer.isView(first)) {
      const total = cols.reduce((s, c) => s + c.length, 0);
      const Ctor = (first as unknown as { constructor: new (n: number) => Int32Array }).constructor;
      const dst = new Ctor(total);
      let off = 0;
      for (const c of cols) {
        if (!(c instanceof Ctor)) throw new DataError(`column '${name}' changes type between chunks`);
        dst.set(c as Int32Array, off);
        off += c.length;
      }
      out[name] = dst as unknown as ColumnInput;
    } else {
      const dst: unknown[] = [];
      for (const c of cols) for (let i = 0; i < c.length; i++) dst.push(c[i]);
      out[name] = dst as ColumnInput;
    }
  }
  return out;
}

/** The bound columns of several datasets as one columnar input, ready to bind again. */
function mergeBound(parts: readonly Dataset[]): ColumnarInput {
  return concatColumns(
    parts.map((ds) => {
      const cols: ColumnarInput = {};
      for (const [name, c] of ds.columns) cols[name] = c.data;
      return cols;
    }),
  );
}

/** Options of {@link bufferedBatches}. */
export interface BufferedBatchOptions {
  batchSize: number;
  /** Rows gathered before a buffer is shuffled and cut into batches. */
  bufferRows: number;
  /** Seeded generator for shuffling; null keeps stream order. */
  rng: Rng | null;
  /** Drop the epoch's final batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /** Validate and convert a chunk (the model's `bindData`). */
  bind: (chunk: StreamChunk) => Dataset;
}

/**
 * Mini-batches from a stream of chunks: chunks are bound (validated) as they arrive and gathered into windows of
 * exactly `bufferRows` rows (rounded up to a multiple of batchSize); each window is shuffled and cut into full
 * batches, and the final partial window gives the epoch's last batches. Because windows do not depend on how the
 * reader cut its chunks, a CSV, a Parquet file and in-memory rows give identical batches for the same seed.
 * Peak memory is about two windows.
 */
export async function* bufferedBatches(chunks: AsyncIterable<StreamChunk>, opts: BufferedBatchOptions): AsyncGenerator<{ data: Dataset; indices: Int32Array }> {
  const { batchSize, rng } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new DataError(`batchSize must be a positive integer (got ${batchSize})`);
  const window = Math.ceil(Math.max(opts.bufferRows, batchSize) / batchSize) * batchSize;
  let parts: Dataset[] = [];
  let held = 0;
  let streamed = 0;

  const gather = (): Dataset => (parts.length === 1 ? parts[0] : opts.bind(mergeBound(parts)));
  const order = (from: number, n: number): Int32Array => {
    const o = new Int32Array(n);
    for (let i = 0; i < n; i++) o[i] = from + i;
    if (rng) rng.shuffle(o);
    return o;
  };

  for await (const chunk of chunks) {
    let ds: Dataset;
    try {
      ds = opts.bind(chunk);
    } catch (err) {
      if (err instanceof DataError) throw new DataError(`stream chunk starting at row ${streamed}: ${err.message}`);
      throw err;
    }
    streamed += ds.numRows;
    if (ds.numRows === 0) continue;
    parts.push(ds);
    held += ds.numRows;
    if (held < window) continue;
    const data = gather();
    let pos = 0;
    for (; data.numRows - pos >= window; pos += window) {
      const idx = order(pos, window);
      for (let s = 0; s < window; s += batchSize) yield { data, indices: idx.subarray(s, s + batchSize) };
    }
    parts = pos < data.numRows ? [data.subset(Int32Array.from({ length: data.numRows - pos }, (_, i) => pos + i))] : [];
    held = data.numRows - pos;
  }
  if (held === 0) return;
  const data = gather();
  const idx = order(0, data.numRows);
  for (let s = 0; s < data.numRows; s += batchSize) {
    const end = Math.min(data.numRows, s + batchSize);
    if (opts.dropLast && end - s < batchSize) return;
    yield { data, indices: idx.subarray(s, end) };
  }
}
