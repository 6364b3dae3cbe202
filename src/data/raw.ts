import { DataError } from '../basic/dataset/dataset';
import { fmix32 } from '../basic/embedding/hashing';

/**
 * Raw (not yet encoded) tabular data and the sources that stream it. Everything here is isomorphic: file and
 * DuckDB readers implement {@link RawSource} in their own Node-only modules.
 */

/** Raw columns: one array of cells per column name, all of equal length. */
export type RawColumns = Record<string, ArrayLike<unknown>>;

/** Raw rows: one object per row. */
export type RawRows = Record<string, unknown>[];

/** A table held in memory (what the dataset loaders and views return): columns of raw cells and a row count. */
export interface RawTable {
  columns: Record<string, unknown[]>;
  numRows: number;
}

/** Whether `x` is a {@link RawTable}. */
export function isRawTable(x: unknown): x is RawTable {
  const t = x as RawTable;
  return typeof x === 'object' && x !== null && typeof t.numRows === 'number' && typeof t.columns === 'object' && t.columns !== null && !Array.isArray(t.columns);
}

/** A slice of a source: columns of `numRows` cells, and how to name a row of it in error messages. */
export interface RawChunk {
  columns: RawColumns;
  numRows: number;
  /** Index of the chunk's first row in the whole source (0-based). */
  offset: number;
  /** Where row `i` of this chunk is, for messages, e.g. "row 12 (line 13) of train.csv". */
  where(i: number): string;
}

/**
 * A DataError about one row of a source: `where` locates it, `detail` says what is wrong, `sourceRow` is the row's
 * 0-based index in the source (so a reader can translate it, e.g. into a file line, without tracking lines for
 * every row).
 */
export class RowError extends DataError {
  constructor(
    readonly where: string,
    readonly detail: string,
    readonly sourceRow: number,
  ) {
    super(`${where}: ${detail}`);
    this.name = 'DataError';
  }
}

/** Options of {@link RawSource.chunks}. */
export interface ChunkOptions {
  /** Rows per chunk (default 8192; the last chunk may be shorter). */
  chunkRows?: number;
  /** Only these columns (others are not decoded when the reader can skip them). */
  columns?: readonly string[];
}

/**
 * Aggregates a reader can compute where the data lives (SQL pushdown) so that fitting a DataProcessor on a large
 * file never streams it through JavaScript.
 */
export interface StatsProvider {
  /** Number of rows. */
  rowCount(): Promise<number>;
  /** count, mean, population std, min and max of the non-missing values of a numeric column. */
  numericStats(column: string, naValues: readonly string[]): Promise<NumericStats>;
  /**
   * Occurrence counts of the distinct values of a column (tokens of a sequence column), those seen at least
   * `minCount` times; with `topK`, only values whose count reaches the k-th largest count (ties kept).
   * Returns null when the reader cannot aggregate this column (the caller scans it instead).
   */
  valueCounts(column: string, how: ValueCountSpec): Promise<Array<[unknown, number]> | null>;
}

/** How {@link StatsProvider.valueCounts} reads a column's values. */
export interface ValueCountSpec {
  /** 'scalar': one value per row; 'sequence': a list or a separator-joined string per row. */
  kind: 'scalar' | 'sequence';
  separator?: string;
  minCount: number;
  topK?: number;
}

/** Summary of a numeric column. */
export interface NumericStats {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** Streams raw rows in chunks; re-iterable (each call to `chunks` starts from the first row). */
export interface RawSource {
  /** Human-readable origin for messages, e.g. a file path. */
  readonly description: string;
  /** Column names, known without scanning the data (header, schema, first row). */
  columnNames(): Promise<string[]>;
  /** One pass over the data. */
  chunks(opts?: ChunkOptions): AsyncIterable<RawChunk>;
  /** Present when the reader can aggregate in place (DuckDB). */
  readonly stats?: StatsProvider;
  /** Release files or connections held by the source (optional). */
  close?(): Promise<void>;
  /**
   * A precise location for a 0-based row, computed only when an error needs it (a CSV reader re-reads the file up
   * to that row to find its line, instead of tracking lines for every row it parses).
   */
  locate?(row: number): Promise<string>;
}

/** Rethrow a row error with the source's precise location when it has one. */
export async function refineRowError(err: unknown, src: RawSource): Promise<never> {
  if (err instanceof RowError && src.locate) {
    let where: string | null = null;
    try {
      where = await src.locate(err.sourceRow);
    } catch {
      // the original message is still correct, only less precise
    }
    if (where) throw new RowError(where, err.detail, err.sourceRow);
  }
  throw err;
}

/** Whether `x` is a {@link RawSource}. */
export function isRawSource(x: unknown): x is RawSource {
  return typeof x === 'object' && x !== null && typeof (x as RawSource).chunks === 'function' && typeof (x as RawSource).columnNames === 'function';
}

/** Default number of rows per streamed chunk. */
export const DEFAULT_CHUNK_ROWS = 8192;

function checkChunkRows(n: number | undefined): number {
  const rows = n ?? DEFAULT_CHUNK_ROWS;
  if (!Number.isInteger(rows) || rows < 1) throw new DataError(`chunkRows must be a positive integer (got ${n})`);
  return rows;
}

function sliceColumn(col: ArrayLike<unknown>, lo: number, hi: number): ArrayLike<unknown> {
  const c = col as { subarray?: (a: number, b: number) => ArrayLike<unknown>; slice?: (a: number, b: number) => ArrayLike<unknown> };
  if (typeof c.subarray === 'function') return c.subarray(lo, hi);
  if (typeof c.slice === 'function') return c.slice(lo, hi);
  return Array.prototype.slice.call(col, lo, hi) as unknown[];
}

/** A source over in-memory columns (slices are views or shallow copies, never a deep copy). */
export function columnsSource(columns: RawColumns, description = 'in-memory columns'): RawSource {
  if (columns == null || typeof columns !== 'object' || Array.isArray(columns)) throw new DataError('columns must be an object of arrays');
  const names = Object.keys(columns);
  let n = -1;
  for (const name of names) {
    const col = columns[name];
    if (col == null || typeof col.length !== 'number') throw new DataError(`column '${name}' is not an array`);
    if (n < 0) n = col.length;
    else if (col.length !== n) throw new DataError(`column '${name}' has ${col.length} rows but '${names[0]}' has ${n}`);
  }
  const numRows = Math.max(n, 0);
  return {
    description,
    async columnNames() {
      return names;
    },
    async *chunks(opts: ChunkOptions = {}) {
      const size = checkChunkRows(opts.chunkRows);
      const wanted = opts.columns ?? names;
      for (let lo = 0; lo < numRows; lo += size) {
        const hi = Math.min(numRows, lo + size);
        const cols: RawColumns = {};
        for (const name of wanted) if (name in columns) cols[name] = sliceColumn(columns[name], lo, hi);
        yield { columns: cols, numRows: hi - lo, offset: lo, where: (i: number) => `row ${lo + i}` };
      }
    },
  };
}

/**
 * A source over an array of row objects. Column names come from the first row; a later row lacking a field
 * reads as a missing value (not an error), the way a sparse JSON export usually means it.
 */
export function rowsSource(rows: RawRows, description = 'in-memory rows'): RawSource {
  if (!Array.isArray(rows)) throw new DataError('rows must be an array of objects');
  return {
    description,
    async columnNames() {
      if (rows.length === 0) throw new DataError(`${description}: data is empty (0 rows)`);
      return Object.keys(rows[0]);
    },
    async *chunks(opts: ChunkOptions = {}) {
      const size = checkChunkRows(opts.chunkRows);
      if (rows.length === 0) return;
      const wanted = opts.columns ?? Object.keys(rows[0]);
      for (let lo = 0; lo < rows.length; lo += size) {
        const hi = Math.min(rows.length, lo + size);
        const cols: Record<string, unknown[]> = {};
        for (const name of wanted) cols[name] = new Array(hi - lo);
        for (let r = lo; r < hi; r++) {
          const row = rows[r];
          if (row == null || typeof row !== 'object') throw new DataError(`row ${r}: expected an object, got ${JSON.stringify(row)}`);
          for (const name of wanted) cols[name][r - lo] = row[name];
        }
        yield { columns: cols, numRows: hi - lo, offset: lo, where: (i: number) => `row ${lo + i}` };
      }
    },
  };
}

/** Anything the DataProcessor accepts as input: a file path (CSV / TSV / Parquet), columns, rows, a table or a source. */
export type DataSourceInput = string | RawColumns | RawRows | RawTable | RawSource;

/** Turn a path, columns, rows or a source into a {@link RawSource}. Paths are opened by the Node readers. */
export function toRawSource(input: DataSourceInput): RawSource {
  if (isRawSource(input)) return input;
  if (typeof input === 'string') {
    // the readers are Node-only; resolving them lazily keeps this module (and the processor) usable in browsers
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { openPath } = require('./readers/open') as typeof import('./readers/open');
    return openPath(input);
  }
  if (Array.isArray(input)) return rowsSource(input);
  if (isRawTable(input)) return columnsSource(input.columns, 'in-memory table');
  if (input && typeof input === 'object') return columnsSource(input as RawColumns);
  throw new DataError(`unsupported data input: ${typeof input} (expected a file path, an object of columns, an array of rows or a RawSource)`);
}

/** Values read as missing in numeric columns and labels (pandas' common defaults, plus '?', UCI's marker). */
export const DEFAULT_NA_VALUES: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None', '?'];

const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The categorical key of a raw cell: null for a missing one, undefined for a cell that is not a scalar (an object).
 * Numbers and strings that print alike share a key (12, 12n and '12' are one category), so a CSV (strings), a
 * Parquet file (typed values) and JS objects encode the same.
 */
export function keyOf(v: unknown): string | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number') return Number.isNaN(v) ? null : String(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  // DuckDB hands DATE / TIMESTAMP columns over as Dates; their ISO text is a stable category
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  return undefined;
}

/**
 * Parse a numeric cell strictly: finite numbers, bigints and decimal strings. Returns null for a missing value
 * (null, undefined, NaN, or a string in `naValues`) and undefined for something that is not a number.
 */
export function parseNumber(v: unknown, naValues: ReadonlySet<string>): number | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isNaN(v) ? null : Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.trim();
    if (naValues.has(s)) return null;
    // Number() alone would accept '0x1f', '1_0'-free forms like ' ', 'Infinity': only plain decimals are data
    if (!NUMBER_PATTERN.test(s)) return undefined;
    // '1e999' is a plain decimal that overflows to Infinity: as data it would poison a whole column's scaling
    const x = Number(s);
    return Number.isFinite(x) ? x : undefined;
  }
  return undefined;
}

/** Show a raw cell in a message, shortened. */
export function showValue(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Collect a whole source into memory as columns of plain arrays (small files, validation sets). */
export async function readAll(input: DataSourceInput, columns?: readonly string[]): Promise<{ columns: Record<string, unknown[]>; numRows: number }> {
  const src = toRawSource(input);
  const names = columns ?? (await src.columnNames());
  const out: Record<string, unknown[]> = {};
  for (const n of names) out[n] = [];
  let numRows = 0;
  for await (const chunk of src.chunks({ columns: names })) {
    for (const n of names) {
      const col = chunk.columns[n];
      if (!col) throw new DataError(`${src.description} has no column '${n}'`);
      const dst = out[n];
      for (let i = 0; i < chunk.numRows; i++) dst.push(col[i]);
    }
    numRows += chunk.numRows;
  }
  return { columns: out, numRows };
}

/**
 * 32-bit hash of a string (FNV-1a over UTF-16 code units, then murmur3's finaliser to spread nearby keys). Stable
 * across platforms and versions: hashed ids are part of a saved processor's contract.
 */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}
