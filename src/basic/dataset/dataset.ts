import { Feature } from '../features';

/** Anything accepted as one column: a typed array, a plain array, or (for sequences) an array of id lists. */
export type ColumnInput = Int32Array | Float32Array | Float64Array | Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | number[] | number[][] | Int32Array[];

/** Column-oriented input: one entry per feature or label name. */
export type ColumnarInput = Record<string, ColumnInput>;

/** A bound column: `width` values per row (1 for scalars, maxLen for sequences, dim for dense vectors). */
export interface BoundColumn {
  kind: 'int' | 'float';
  data: Int32Array | Float32Array;
  width: number;
  /** Real (unpadded) lengths of a sequence column. */
  lengths?: Int32Array;
}

/** Raised for data that does not fit the declared features; the message names the column and, where known, the row. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** How labels are checked when data is bound. */
export interface LabelSpec {
  name: string;
  /** 'binary' requires values in {0, 1}; 'regression' any finite number. */
  type: 'binary' | 'regression';
  /** Value that marks a missing label (e.g. -1 or NaN): accepted in addition to the valid ones, masked by the model. */
  ignore?: number;
}

/** Whether `v` is the declared missing-label marker (NaN matches NaN). */
export function isIgnoredLabel(v: number, ignore: number | undefined): boolean {
  return ignore !== undefined && (Number.isNaN(ignore) ? Number.isNaN(v) : v === ignore);
}

function isTyped(x: unknown): x is ArrayLike<number> & { BYTES_PER_ELEMENT: number } {
  return ArrayBuffer.isView(x);
}

function toInt32(name: string, col: ColumnInput, n: number): Int32Array {
  if (col instanceof Int32Array) return col;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = (col as ArrayLike<number>)[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new DataError(`column '${name}' row ${i}: expected an integer id, got ${JSON.stringify(v)}`);
    }
    // Int32Array would wrap 3e9 to a negative number and the range check would then report the wrong id
    if (v > 0x7fffffff || v < -0x80000000) throw new DataError(`column '${name}' row ${i}: id ${v} does not fit in 32 bits; remap ids to 1..vocabSize-1 (a DataProcessor does this)`);
    out[i] = v;
  }
  return out;
}

function bindSequence(name: string, col: ColumnInput, n: number, maxLen: number): BoundColumn {
  const data = new Int32Array(n * maxLen);
  const lengths = new Int32Array(n);
  const first = (col as ArrayLike<unknown>)[0];
  if (Array.isArray(first) || ArrayBuffer.isView(first)) {
    // jagged: keep the most recent maxLen items, left-aligned, padded with 0 on the right
    const rows = col as ArrayLike<ArrayLike<number>>;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (r == null || typeof (r as ArrayLike<number>).length !== 'number') {
        throw new DataError(`sequence column '${name}' row ${i}: expected a list of ids, got ${JSON.stringify(r)}`);
      }
      const start = Math.max(0, r.length - maxLen);
      let len = 0;
      for (let j = start; j < r.length; j++) {
        const v = r[j];
        if (!Number.isInteger(v) || v < 0) throw new DataError(`sequence column '${name}' row ${i}: item ${j} is ${JSON.stringify(v)}, expected an id >= 0`);
        if (v === 0) continue;
        data[i * maxLen + len++] = v;
      }
      lengths[i] = len;
    }
    return { kind: 'int', data, width: maxLen, lengths };
  }
  const flat = col as ArrayLike<number>;
  if (flat.length !== n * maxLen) {
    throw new DataError(`sequence column '${name}': flat input must have rows x maxLen = ${n} x ${maxLen} = ${n * maxLen} values, got ${flat.length}`);
  }
  for (let i = 0; i < n; i++) {
    let len = 0;
    for (let j = 0; j < maxLen; j++) {
      const v = flat[i * maxLen + j];
      if (!Number.isInteger(v) || v < 0) throw new DataError(`sequence column '${name}' row ${i}: item ${j} is ${v}, expected an id >= 0`);
      if (v !== 0) data[i * maxLen + len++] = v;
    }
    lengths[i] = len;
  }
  return { kind: 'int', data, width: maxLen, lengths };
}

/**
 * Data bound to a model's features: every column converted once to a typed array and checked (ids in range,
 * finite numbers, binary labels), so the training loop never re-validates. Batches are index lists into it,
 * which keeps shuffling free of copies.
 */
export class Dataset {
  private constructor(
    readonly numRows: number,
    readonly columns: Map<string, BoundColumn>,
  ) {}

  /** Bind raw columns (or row objects) to features and labels; throws DataError naming the first problem. */
  static bind(input: ColumnarInput | Record<string, unknown>[] | Dataset, features: readonly Feature[], labels: readonly LabelSpec[] = []): Dataset {
    if (input instanceof Dataset) {
      for (const f of features) if (!input.columns.has(f.name)) throw new DataError(`dataset has no column '${f.name}'`);
      for (const l of labels) if (!input.columns.has(l.name)) throw new DataError(`dataset has no label column '${l.name}'`);
      return input;
    }
    const cols: ColumnarInput = Array.isArray(input) ? rowsToColumns(input) : input;
    if (cols == null || typeof cols !== 'object') throw new DataError('data must be an object of columns, an array of row objects, or a Dataset');
    const needed = [...features.map((f) => f.name), ...labels.map((l) => l.name)];
    const missing = needed.filter((name) => !(name in cols));
    if (missing.length) {
      throw new DataError(`missing column(s): ${missing.join(', ')} (data has: ${Object.keys(cols).join(', ') || 'no columns'})`);
    }
    const n = rowCount(cols, features, labels);
    if (n === 0) throw new DataError('data is empty (0 rows)');
    const out = new Map<string, BoundColumn>();
    for (const f of features) {
      const col = cols[f.name];
      if (f.kind === 'sequence') {
        const bound = bindSequence(f.name, col, n, f.maxLen);
        if (!f.hashing) checkIdRange(f.name, bound.data as Int32Array, f.vocabSize, f.maxLen);
        out.set(f.name, bound);
      } else if (f.kind === 'sparse') {
        const data = toInt32(f.name, col, n);
        if (f.hashing) checkIdRange(f.name, data, Infinity, 1);
        else checkIdRange(f.name, data, f.vocabSize, 1);
        out.set(f.name, { kind: 'int', data, width: 1 });
      } else {
        out.set(f.name, { kind: 'float', data: toFloat32(f.name, col, n * f.dim, f.dim), width: f.dim });
      }
    }
    for (const l of labels) {
      const data = toFloat32(l.name, cols[l.name], n, 1, l.ignore !== undefined && Number.isNaN(l.ignore));
      const orIgnore = l.ignore === undefined ? '' : ` (or the ignoreLabel ${l.ignore})`;
      const hint = l.ignore === undefined ? '; mark missing labels with compile({ ignoreLabel })' : '';
      for (let i = 0; i < n; i++) {
        const v = data[i];
        if (isIgnoredLabel(v, l.ignore)) continue;
        if (!Number.isFinite(v)) throw new DataError(`label '${l.name}' row ${i}: value ${v} is not a finite number${orIgnore}${hint}`);
        if (l.type === 'binary' && v !== 0 && v !== 1) throw new DataError(`label '${l.name}' row ${i}: binary labels must be 0 or 1${orIgnore}, got ${v}${hint}`);
      }
      out.set(l.name, { kind: 'float', data, width: 1 });
    }
    return new Dataset(n, out);
  }

  /** A bound column; throws DataError when absent. */
  column(name: string): BoundColumn {
    const c = this.columns.get(name);
    if (!c) throw new DataError(`dataset has no column '${name}'`);
    return c;
  }

  /** A new dataset holding the given rows (copies). */
  subset(indices: ArrayLike<number>): Dataset {
    const out = new Map<string, BoundColumn>();
    for (const [name, c] of this.columns) {
      const data = c.kind === 'int' ? new Int32Array(indices.length * c.width) : new Float32Array(indices.length * c.width);
      for (let i = 0; i < indices.length; i++) data.set(c.data.subarray(indices[i] * c.width, (indices[i] + 1) * c.width), i * c.width);
      let lengths: Int32Array | undefined;
      if (c.lengths) {
        lengths = new Int32Array(indices.length);
        for (let i = 0; i < indices.length; i++) lengths[i] = c.lengths[indices[i]];
      }
      out.set(name, { kind: c.kind, data, width: c.width, lengths });
    }
    return new Dataset(indices.length, out);
  }
}

function rowCount(cols: ColumnarInput, features: readonly Feature[], labels: readonly LabelSpec[]): number {
  let n = -1;
  let first = '';
  const check = (name: string, len: number) => {
    if (n < 0) {
      n = len;
      first = name;
    } else if (len !== n) {
      throw new DataError(`column '${name}' has ${len} rows but '${first}' has ${n}`);
    }
  };
  for (const f of features) {
    const col = cols[f.name] as ArrayLike<unknown>;
    if (col == null || typeof col.length !== 'number') throw new DataError(`column '${f.name}' is not an array`);
    const firstItem = col[0];
    const jagged = Array.isArray(firstItem) || ArrayBuffer.isView(firstItem);
    if (f.kind === 'sequence' && !jagged) {
      if (col.length > 0 && (typeof firstItem === 'string' || typeof col === 'string')) {
        throw new DataError(`sequence column '${f.name}' row 0: expected a list of ids per row (e.g. [[3, 7], [5]]), got the string ${JSON.stringify(String(typeof col === 'string' ? col : firstItem)).slice(0, 40)}; encode text sequences with a DataProcessor`);
      }
      if (col.length % f.maxLen !== 0) {
        throw new DataError(`sequence column '${f.name}': a flat column needs rows x maxLen (${f.maxLen}) values, got ${col.length}; or give one list of ids per row`);
      }
      check(f.name, col.length / f.maxLen);
    }
    else if (f.kind === 'dense' && f.dim > 1 && !jagged) check(f.name, col.length / f.dim);
    else check(f.name, col.length);
  }
  for (const l of labels) {
    const col = cols[l.name] as ArrayLike<unknown>;
    if (col == null || typeof col.length !== 'number') throw new DataError(`label column '${l.name}' is not an array`);
    check(l.name, col.length);
  }
  if (!Number.isInteger(n)) throw new DataError(`column '${first}' length is not a multiple of its width`);
  return Math.max(n, 0);
}

function toFloat32(name: string, col: ColumnInput, size: number, width: number, allowNaN = false): Float32Array {
  let out: Float32Array;
  const first = (col as ArrayLike<unknown>)[0];
  if (width > 1 && (Array.isArray(first) || ArrayBuffer.isView(first))) {
    const rows = col as ArrayLike<ArrayLike<number>>;
    out = new Float32Array(size);
    for (let i = 0; i < rows.length; i++) {
      if (rows[i].length !== width) throw new DataError(`column '${name}' row ${i}: expected ${width} values, got ${rows[i].length}`);
      for (let j = 0; j < width; j++) out[i * width + j] = rows[i][j];
    }
  } else if (col instanceof Float32Array) {
    out = col;
  } else {
    out = new Float32Array(size);
    const src = col as ArrayLike<unknown>;
    for (let i = 0; i < size; i++) {
      const v = src[i];
      if (typeof v !== 'number' && !isTyped(col)) throw new DataError(`column '${name}' row ${Math.floor(i / width)}: expected a number, got ${JSON.stringify(v)}`);
      out[i] = v as number;
    }
  }
  for (let i = 0; i < out.length; i++) {
    if (allowNaN && Number.isNaN(out[i])) continue;
    if (!Number.isFinite(out[i])) throw new DataError(`column '${name}' row ${Math.floor(i / width)}: value ${out[i]} is not a finite number`);
  }
  return out;
}

function checkIdRange(name: string, ids: Int32Array, vocab: number, width: number): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (v < 0 || v >= vocab) {
      const bound = Number.isFinite(vocab) ? `[0, ${vocab - 1}] (vocabSize ${vocab})` : '>= 0';
      throw new DataError(`column '${name}' row ${Math.floor(i / width)}: id ${v} is out of range; ids must be in ${bound}`);
    }
  }
}

function rowsToColumns(rows: Record<string, unknown>[]): ColumnarInput {
  if (rows.length === 0) throw new DataError('data is empty (0 rows)');
  const out: Record<string, unknown[]> = {};
  for (const key of Object.keys(rows[0])) out[key] = new Array(rows.length);
  rows.forEach((row, i) => {
    for (const key of Object.keys(out)) {
      if (!(key in row)) throw new DataError(`row ${i} has no field '${key}'`);
      out[key][i] = row[key];
    }
  });
  return out as ColumnarInput;
}

/** Yields shuffled (or ordered) index batches over `numRows` rows without copying any data. */
export function* indexBatches(numRows: number, batchSize: number, opts: { shuffle?: boolean; rng?: { shuffle: (a: Int32Array) => Int32Array }; dropLast?: boolean } = {}): Generator<Int32Array> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new DataError(`batchSize must be a positive integer (got ${batchSize})`);
  const order = new Int32Array(numRows);
  for (let i = 0; i < numRows; i++) order[i] = i;
  if (opts.shuffle) {
    if (!opts.rng) throw new Error('indexBatches: shuffle requires an rng');
    opts.rng.shuffle(order);
  }
  for (let start = 0; start < numRows; start += batchSize) {
    const end = Math.min(numRows, start + batchSize);
    if (opts.dropLast && end - start < batchSize) return;
    yield order.subarray(start, end);
  }
}
