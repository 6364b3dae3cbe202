import { existsSync, statSync } from 'fs';
import * as path from 'path';
import { DataError } from '../../basic/dataset/dataset';
import { RawSource, RawTable } from '../raw';

export type { RawTable };

/** Raised when a dataset's files are not where the loader looks; names every expected file. */
export class DatasetFilesMissingError extends DataError {
  constructor(
    readonly dataset: string,
    readonly directory: string,
    readonly expected: string[],
    readonly missing: string[],
    hint: string,
  ) {
    super(
      `${dataset}: missing ${missing.map((m) => `'${m}'`).join(', ')} in ${directory} (expected ${expected.map((e) => `'${e}'`).join(', ')}). ${hint}`,
    );
    this.name = 'DatasetFilesMissingError';
  }
}

/**
 * Resolve the files of a dataset under `dir` (or `dir` itself when it is one of them), throwing
 * {@link DatasetFilesMissingError} that lists what is expected when any required file is absent.
 */
export function requireFiles(dataset: string, dir: string, required: string[], hint: string, optional: string[] = []): Record<string, string> {
  let base = dir;
  if (existsSync(dir) && statSync(dir).isFile()) base = path.dirname(dir);
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const f of required) {
    const p = path.join(base, f);
    if (existsSync(p)) out[f] = p;
    else missing.push(f);
  }
  if (missing.length) throw new DatasetFilesMissingError(dataset, base, [...required, ...optional.map((o) => `${o} (optional)`)], missing, hint);
  for (const f of optional) {
    const p = path.join(base, f);
    if (existsSync(p)) out[f] = p;
  }
  return out;
}

/** Read a whole source into a table (the datasets loaded this way fit in memory; use `limit` on big ones). */
export async function readTable(src: RawSource, columns?: string[]): Promise<RawTable> {
  const names = columns ?? (await src.columnNames());
  const out: Record<string, unknown[]> = {};
  for (const n of names) out[n] = [];
  let numRows = 0;
  for await (const chunk of src.chunks({ columns: names, chunkRows: 65536 })) {
    for (const n of names) {
      const col = chunk.columns[n];
      const dst = out[n];
      for (let i = 0; i < chunk.numRows; i++) dst.push(col[i]);
    }
    numRows += chunk.numRows;
  }
  return { columns: out, numRows };
}

/** Rows of a table in the given order (a new table; cells are shared, not copied). */
export function takeRows(table: RawTable, indices: ArrayLike<number>): RawTable {
  const columns: Record<string, unknown[]> = {};
  for (const [name, col] of Object.entries(table.columns)) {
    const dst = new Array(indices.length);
    for (let i = 0; i < indices.length; i++) dst[i] = col[indices[i]];
    columns[name] = dst;
  }
  return { columns, numRows: indices.length };
}

/** Parse a numeric cell of a dataset file, naming the file and row when it is not a number. */
export function toNumberColumn(values: unknown[], what: string): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(x)) throw new DataError(`${what} row ${i + 1}: ${JSON.stringify(v)} is not a number`);
    out[i] = x;
  }
  return out;
}

/** A column of a table, or a DataError naming what is there. */
export function tableColumn(table: RawTable, name: string): unknown[] {
  const c = table.columns[name];
  if (!c) throw new DataError(`table has no column '${name}' (it has: ${Object.keys(table.columns).join(', ')})`);
  return c;
}
