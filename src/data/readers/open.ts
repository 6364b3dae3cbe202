import { DataError } from '../../basic/dataset/dataset';
import { RawSource } from '../raw';
import { csvSource } from './csv';
import { parquetSource } from './duckdb';
import { jsonlSource } from './jsonl';

/**
 * Open a file by its extension: .csv (comma) and .tsv / .tab (tab) with csv-parse, .parquet / .pq with DuckDB,
 * .jsonl / .ndjson / .json (one object per line) line by line. For other layouts call the readers directly.
 */
export function openPath(path: string): RawSource {
  const lower = path.toLowerCase();
  if (/\.(csv|tsv|tab|txt)$/.test(lower)) return csvSource(path);
  if (/\.(parquet|pq)$/.test(lower)) return parquetSource(path);
  if (/\.(jsonl|ndjson|json)$/.test(lower)) return jsonlSource(path);
  throw new DataError(`cannot tell the format of '${path}' from its extension (.csv, .tsv, .parquet, .jsonl); open it with csvSource, parquetSource or jsonlSource`);
}
