import { existsSync } from 'fs';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DataError } from '../../basic/dataset/dataset';
import { ChunkOptions, DEFAULT_CHUNK_ROWS, NumericStats, RawChunk, RawSource, StatsProvider, ValueCountSpec } from '../raw';

/** Options of {@link duckdbSource}. Give exactly one of parquet, csv, query. */
export interface DuckDbSourceOptions {
  /** Parquet file(s); globs such as 'data/part-*.parquet' are expanded by DuckDB. */
  parquet?: string | string[];
  /** A CSV file read by DuckDB (every column as text, so cells match the csv-parse reader exactly). */
  csv?: string;
  /** CSV settings for `csv`. */
  csvOptions?: { delimiter?: string; header?: boolean; columns?: string[]; quote?: string };
  /** Any SELECT query (tables of `database`, or read_parquet / read_csv over files). */
  query?: string;
  /** A DuckDB database file (default: an in-memory database). */
  database?: string;
  /** DuckDB memory limit (default '1GB'): DuckDB spills to disk beyond it, which keeps training's RSS bounded. */
  memoryLimit?: string;
  /** DuckDB worker threads (default 1: training already uses the cores). */
  threads?: number;
  /** Description used in messages (default: the file or the query). */
  description?: string;
}

const NUMERIC_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|BOOLEAN|DECIMAL.*)$/;
const FLOAT_TYPES = /^(FLOAT|DOUBLE|REAL)$/;
// the same strict decimal syntax as parseNumber in raw.ts, so both paths accept and reject the same cells
const NUMBER_REGEX = '^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$';

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function ident(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

type DuckModule = typeof import('@duckdb/node-api');

function loadDuckDb(): DuckModule {
  try {
    // required lazily: the native binding loads only when a DuckDB source is used
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require('@duckdb/node-api') as DuckModule;
  } catch (err) {
    throw new Error(`@duckdb/node-api could not be loaded (${(err as Error).message}); it is needed for Parquet files and DuckDB sources`);
  }
}

/**
 * A table read through DuckDB: Parquet files, a CSV, or any SQL query. Rows stream in DuckDB's vector-sized chunks
 * (memory bounded by `memoryLimit` and the chunk size), and `stats` computes vocabulary counts and numeric
 * statistics in SQL (GROUP BY, avg / stddev_pop / min / max), so fitting a DataProcessor on a large file never
 * moves the rows into JavaScript.
 */
export class DuckDbSource implements RawSource {
  /** The file(s) or query, for messages. */
  readonly description: string;
  private readonly relation: string;
  private instance: DuckDBInstance | null = null;
  private connection: DuckDBConnection | null = null;
  private types: Map<string, string> | null = null;
  private readonly files: string[];

  constructor(private readonly opts: DuckDbSourceOptions) {
    const given = [opts.parquet, opts.csv, opts.query].filter((x) => x !== undefined).length;
    if (given !== 1) throw new DataError('duckdbSource: give exactly one of parquet, csv or query');
    if (opts.parquet !== undefined) {
      const files = Array.isArray(opts.parquet) ? opts.parquet : [opts.parquet];
      if (files.length === 0) throw new DataError('duckdbSource: parquet lists no file');
      this.files = files;
      this.relation = `read_parquet([${files.map(sqlString).join(', ')}])`;
      this.description = opts.description ?? files.join(', ');
    } else if (opts.csv !== undefined) {
      const c = opts.csvOptions ?? {};
      const args = [`header = ${c.header ?? true}`, 'all_varchar = true', `delim = ${sqlString(c.delimiter ?? (/\.(tsv|tab)$/i.test(opts.csv) ? '\t' : ','))}`];
      if (c.quote !== undefined) args.push(`quote = ${sqlString(c.quote)}`);
      if (c.columns) args.push(`names = [${c.columns.map(sqlString).join(', ')}]`);
      this.files = [opts.csv];
      this.relation = `read_csv(${sqlString(opts.csv)}, ${args.join(', ')})`;
      this.description = opts.description ?? opts.csv;
    } else {
      this.files = [];
      this.relation = `(${opts.query})`;
      this.description = opts.description ?? `query ${opts.query!.slice(0, 80)}`;
    }
  }

  private async conn(): Promise<DuckDBConnection> {
    if (this.connection) return this.connection;
    for (const f of this.files) {
      if (!/[*?[]/.test(f) && !existsSync(f)) throw new DataError(`file not found: ${f}`);
    }
    const duck = loadDuckDb();
    this.instance = await duck.DuckDBInstance.create(this.opts.database ?? ':memory:', {
      memory_limit: this.opts.memoryLimit ?? '1GB',
      threads: String(this.opts.threads ?? 1),
    });
    this.connection = await this.instance.connect();
    return this.connection;
  }

  private async query(sql: string): Promise<Record<string, unknown>[]> {
    const c = await this.conn();
    try {
      const reader = await c.runAndReadAll(sql);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    } catch (err) {
      throw new DataError(`${this.description}: ${(err as Error).message}`);
    }
  }

  /** DuckDB type names of the columns. */
  async columnTypes(): Promise<Map<string, string>> {
    if (!this.types) {
      const rows = await this.query(`DESCRIBE SELECT * FROM ${this.relation}`);
      this.types = new Map(rows.map((r) => [String(r.column_name), String(r.column_type)]));
    }
    return this.types;
  }

  /** Column names from the schema (no scan). */
  async columnNames(): Promise<string[]> {
    return [...(await this.columnTypes()).keys()];
  }

  private async typeOf(column: string): Promise<string> {
    const t = (await this.columnTypes()).get(column);
    if (t === undefined) throw new DataError(`missing column '${column}' in ${this.description} (it has: ${(await this.columnNames()).join(', ')})`);
    return t;
  }

  /** Stream the rows (in file order) as chunks of exactly `chunkRows` rows but the last. */
  async *chunks(opts: ChunkOptions = {}): AsyncGenerator<RawChunk> {
    const chunkRows = opts.chunkRows ?? DEFAULT_CHUNK_ROWS;
    if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new DataError(`chunkRows must be a positive integer (got ${opts.chunkRows})`);
    const names = opts.columns ?? (await this.columnNames());
    for (const n of names) await this.typeOf(n);
    const duck = loadDuckDb();
    const c = await this.conn();
    let result;
    try {
      result = await c.stream(`SELECT ${names.map(ident).join(', ')} FROM ${this.relation}`);
    } catch (err) {
      throw new DataError(`${this.description}: ${(err as Error).message}`);
    }
    // DuckDB hands out vectors of 2048 rows; they are re-cut so every chunk but the last has exactly chunkRows
    let cols: unknown[][] = names.map(() => []);
    let offset = 0;
    const description = this.description;
    const emit = (n: number): RawChunk => {
      const columns: Record<string, unknown[]> = {};
      names.forEach((name, j) => (columns[name] = cols[j].length === n ? cols[j] : cols[j].slice(0, n)));
      cols = cols.map((c) => (c.length === n ? [] : c.slice(n)));
      const start = offset;
      offset += n;
      return { columns, numRows: n, offset: start, where: (i: number) => `${description} row ${start + i + 1}` };
    };
    for (;;) {
      let dc;
      try {
        dc = await result.fetchChunk();
      } catch (err) {
        throw new DataError(`${this.description}: ${(err as Error).message}`);
      }
      if (!dc || dc.rowCount === 0) break;
      const got = dc.convertColumns(duck.JSDuckDBValueConverter) as unknown[][];
      for (let j = 0; j < names.length; j++) {
        const dst = cols[j];
        for (const v of got[j]) dst.push(v);
      }
      while (cols[0].length >= chunkRows) yield emit(chunkRows);
    }
    if (cols[0].length) yield emit(cols[0].length);
  }

  /** SQL aggregates for the DataProcessor. */
  readonly stats: StatsProvider = {
    rowCount: async () => {
      const [r] = await this.query(`SELECT count(*) AS n FROM ${this.relation}`);
      return Number(r.n);
    },
    numericStats: async (column: string, naValues: readonly string[]): Promise<NumericStats> => {
      const type = await this.typeOf(column);
      const col = ident(column);
      let x: string;
      if (NUMERIC_TYPES.test(type)) {
        x = FLOAT_TYPES.test(type) ? `CASE WHEN isnan(${col}) THEN NULL ELSE CAST(${col} AS DOUBLE) END` : `CAST(${col} AS DOUBLE)`;
      } else if (type === 'VARCHAR') {
        const isNa = (e: string) => (naValues.length ? `trim(${e}) IN (${naValues.map(sqlString).join(', ')})` : 'false');
        const bad = await this.query(
          `SELECT rn, v FROM (SELECT row_number() OVER () AS rn, ${col} AS v FROM ${this.relation}) ` +
            `WHERE v IS NOT NULL AND NOT (${isNa('v')}) AND NOT regexp_full_match(trim(v), ${sqlString(NUMBER_REGEX)}) LIMIT 1`,
        );
        if (bad.length) throw new DataError(`${this.description} row ${bad[0].rn}: dense column '${column}' holds ${JSON.stringify(bad[0].v)}, which is not a number`);
        x = `CASE WHEN ${col} IS NULL OR ${isNa(col)} THEN NULL ELSE CAST(trim(${col}) AS DOUBLE) END`;
      } else {
        throw new DataError(`${this.description}: dense column '${column}' has type ${type}, not a number`);
      }
      const [r] = await this.query(`SELECT count(x) AS n, avg(x) AS mean, stddev_pop(x) AS std, min(x) AS lo, max(x) AS hi FROM (SELECT ${x} AS x FROM ${this.relation})`);
      const n = Number(r.n);
      if (n === 0) return { count: 0, mean: 0, std: 0, min: 0, max: 0 };
      return { count: n, mean: Number(r.mean), std: Number(r.std ?? 0), min: Number(r.lo), max: Number(r.hi) };
    },
    valueCounts: async (column: string, how: ValueCountSpec): Promise<Array<[unknown, number]> | null> => {
      const type = await this.typeOf(column);
      const col = ident(column);
      let grouped: string;
      if (how.kind === 'sequence') {
        if (/\[\]$|^(LIST|ARRAY)/.test(type)) {
          grouped = `SELECT v AS k, count(*) AS c FROM (SELECT unnest(${col}) AS v FROM ${this.relation}) WHERE v IS NOT NULL GROUP BY v`;
        } else if (type === 'VARCHAR') {
          // a JSON-looking cell is an error the scan path reports with its row; let it
          const [j] = await this.query(`SELECT count(*) AS n FROM ${this.relation} WHERE starts_with(trim(${col}), '[')`);
          if (Number(j.n) > 0) return null;
          grouped =
            `SELECT k, count(*) AS c FROM (SELECT trim(unnest(string_split(trim(${col}), ${sqlString(how.separator ?? '|')}))) AS k ` +
            `FROM ${this.relation} WHERE ${col} IS NOT NULL) WHERE k <> '' GROUP BY k`;
        } else {
          return null;
        }
      } else {
        if (!NUMERIC_TYPES.test(type) && type !== 'VARCHAR') return null;
        const skip = type === 'VARCHAR' ? ` AND ${col} <> ''` : FLOAT_TYPES.test(type) ? ` AND NOT isnan(${col})` : '';
        grouped = `SELECT ${col} AS k, count(*) AS c FROM ${this.relation} WHERE ${col} IS NOT NULL${skip} GROUP BY ${col}`;
      }
      let sql = `WITH g AS (${grouped}) SELECT k, c FROM g WHERE c >= ${Math.max(1, Math.floor(how.minCount))}`;
      if (how.topK !== undefined) {
        // keep every value tied with the k-th largest count; the exact cut (ties by key) is made in JavaScript
        sql += ` AND c >= (SELECT coalesce(min(c), 0) FROM (SELECT c FROM g ORDER BY c DESC LIMIT ${Math.floor(how.topK)}))`;
      }
      const rows = await this.query(sql);
      return rows.map((r) => [r.k, Number(r.c)]);
    },
  };

  /** Close the DuckDB connection (a new one opens on the next use). */
  async close(): Promise<void> {
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = null;
    this.instance = null;
  }
}

/** A DuckDB-backed source (Parquet, CSV through DuckDB, or a SQL query); see {@link DuckDbSource}. */
export function duckdbSource(opts: DuckDbSourceOptions): DuckDbSource {
  return new DuckDbSource(opts);
}

/** A Parquet file (or several, or a glob) read through DuckDB. */
export function parquetSource(path: string | string[], opts: Omit<DuckDbSourceOptions, 'parquet' | 'csv' | 'query'> = {}): DuckDbSource {
  return new DuckDbSource({ ...opts, parquet: path });
}
